import { describe, expect, it } from 'vitest';
import { QUOTED_CHARS, quoteUntrusted } from '../../functions/core/untrusted-text.ts';

describe('quoteUntrusted', () => {
  it.each([
    ['a plain value', 'nginx', '"nginx"'],
    ['quotes and backslashes', 'a"b\\c', String.raw`"a\"b\\c"`],
    ['line breaks and tabs', 'a\nb\r\tc', String.raw`"a\nb\r\tc"`],
    ['terminal escapes and NUL', '\u001b[31mred\u0000', String.raw`"\u001b[31mred\u0000"`],
    ['C1 controls and DEL', '\u0085\u009b\u007f', String.raw`"\u0085\u009b\u007f"`],
    ['bidirectional overrides', 'abc\u202edcba\u2066', String.raw`"abc\u202edcba\u2066"`],
    ['zero-width and byte-order marks', 'ng\u200binx\ufeff', String.raw`"ng\u200binx\ufeff"`],
    ['line and paragraph separators', 'a\u2028b\u2029', String.raw`"a\u2028b\u2029"`],
    ['invisible tag characters', 'a\u{e0041}', String.raw`"a\u{e0041}"`],
    ['a lone surrogate', 'a\ud800b', String.raw`"a\ud800b"`],
    ['letters of other scripts and emoji, kept', 'café-日本-😀', '"café-日本-😀"'],
  ])('neutralises %s', (_name, value, expected) => {
    expect(quoteUntrusted(value)).toBe(expected);
  });

  it('cuts a long value on a code point, and says how much is left out', () => {
    const value = `${'😀'.repeat(QUOTED_CHARS - 1)}ab${'c'.repeat(1000)}`;

    const quoted = quoteUntrusted(value);

    expect(quoted).toBe(`"${'😀'.repeat(QUOTED_CHARS - 1)}a"... (1001 more characters)`);
    expect(quoteUntrusted('abcdef', 3)).toBe('"abc"... (3 more characters)');
  });
});
