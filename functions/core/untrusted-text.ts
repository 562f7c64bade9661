/** How many characters of an untrusted value a message shows. */
export const QUOTED_CHARS = 60;

/**
 * Characters a human must not receive raw: controls (newlines, terminal escapes), format characters
 * (bidirectional overrides, zero-width and invisible tag characters), line and paragraph separators,
 * surrogates, private-use and unassigned code points.
 */
const HIDDEN = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/u;

/**
 * An untrusted value (from an alarm or a tag) as a message may show it: in double quotes, at most
 * `max` characters (whole code points), with the quote, the backslash and every hidden character
 * written as an escape (`\n`, `\u202e`, `\u{e0041}`), so that it can neither break a line, end its
 * quotes, steer a terminal nor reorder what a human reads. A longer value is cut and says by how much.
 */
export function quoteUntrusted(value: string, max: number = QUOTED_CHARS): string {
  let shown = '';
  let count = 0;
  // Counts every code point (a value may be large) but escapes only those shown.
  for (const point of value) {
    if (count < max) shown += escapePoint(point);
    count += 1;
  }
  const more = count - max;
  return `"${shown}"${more > 0 ? `... (${more} more characters)` : ''}`;
}

const NAMED: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

function escapePoint(point: string): string {
  const named = NAMED[point];
  if (named) return named;
  if (!HIDDEN.test(point)) return point;
  const code = point.codePointAt(0) ?? 0;
  return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
}
