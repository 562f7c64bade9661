import { describe, expect, it } from 'vitest';
import { PROOF_TAIL_LINES, proofStepLines } from '../../local/proof-output.ts';
import { type ProofStep, probeReading } from '../../local/runbook-proof.ts';
import { OUTPUT_LIMIT_BYTES, type SandboxRunResult } from '../../local/sandbox.ts';

const numbered = (count: number, prefix = 'line') =>
  Array.from({ length: count }, (_, i) => `${prefix} ${i + 1}`).join('\n');

const run = (stdout: string, stderr = '', exitCode = 0): SandboxRunResult => ({
  exitCode,
  stdout,
  stderr,
  timedOut: false,
  durationMs: 10,
});

const step = (result?: SandboxRunResult, ok = true): ProofStep => ({
  name: 'attempt 1: restart',
  ok,
  detail: 'exit 0',
  ...(result ? { run: result } : {}),
});

describe('the lines runbooks test prints for a step', () => {
  it('prints the mark, the name and the detail, and nothing for a step without output', () => {
    expect(proofStepLines(step(), { full: false })).toEqual(['✓ attempt 1: restart: exit 0']);
    expect(proofStepLines(step(run('\n\n', '')), { full: false })).toEqual(['✓ attempt 1: restart: exit 0']);
    expect(proofStepLines({ ...step(), ok: false }, { full: true })).toEqual([
      '✗ attempt 1: restart: exit 0',
    ]);
  });

  it('prints a short output whole, with no marker', () => {
    expect(proofStepLines(step(run('one\ntwo\n', 'warning\n')), { full: false })).toEqual([
      '✓ attempt 1: restart: exit 0',
      '    stdout:',
      '      one',
      '      two',
      '    stderr:',
      '      warning',
    ]);
  });

  it('keeps the last 12 lines of a long output after a line counting the ones left out', () => {
    const lines = proofStepLines(step(run(`${numbered(52)}\n`)), { full: false });

    expect(PROOF_TAIL_LINES).toBe(12);
    expect(lines.slice(0, 3)).toEqual([
      '✓ attempt 1: restart: exit 0',
      '    stdout:',
      '      … 40 earlier lines (runbooks test --full prints every line)',
    ]);
    expect(lines.slice(3)).toEqual(
      numbered(52)
        .split('\n')
        .slice(40)
        .map((l) => `      ${l}`),
    );
  });

  it('counts stdout and stderr each on its own, and says "line" for one', () => {
    const lines = proofStepLines(step(run(numbered(13, 'out'), numbered(20, 'err'))), { full: false });

    expect(lines).toContain('      … 1 earlier line (runbooks test --full prints every line)');
    expect(lines).toContain('      … 8 earlier lines (runbooks test --full prints every line)');
    expect(lines.indexOf('    stderr:')).toBe(1 + 1 + 1 + 12);
    expect(lines.at(-1)).toBe('      err 20');
  });

  it('prints every line with full, and no marker', () => {
    const lines = proofStepLines(step(run(numbered(500), numbered(30, 'err'))), { full: true });

    expect(lines).toHaveLength(1 + 1 + 500 + 1 + 30);
    expect(lines[2]).toBe('      line 1');
    expect(lines.some((l) => l.includes('…'))).toBe(false);
  });

  it('takes another tail length', () => {
    const lines = proofStepLines(step(run(numbered(10))), { full: false, tail: 3 });

    expect(lines.slice(2)).toEqual([
      '      … 7 earlier lines (runbooks test --full prints every line)',
      '      line 8',
      '      line 9',
      '      line 10',
    ]);
  });

  it('says when the sandbox kept only the last MiB of an output', () => {
    const line = `${'x'.repeat(1023)}\n`;
    const kept = line.repeat(OUTPUT_LIMIT_BYTES / 1024);

    const full = proofStepLines(step(run(kept)), { full: true });
    const tail = proofStepLines(step(run(kept)), { full: false });

    expect(full[2]).toBe('      … earlier output was not kept: the sandbox keeps the last 1 MiB of each');
    expect(full).toHaveLength(3 + 1024);
    expect(tail[3]).toBe('      … 1012 earlier lines (runbooks test --full prints every line kept)');
    expect(tail).toHaveLength(4 + 12);
  });
});

describe("a probe's reading", () => {
  it('is the number on the last line of a probe that exited 0', () => {
    expect(probeReading(run('checking\n42.5\n'))).toMatchObject({ value: 42.5 });
    expect(probeReading(run('-3\n')).value).toBe(-3);
  });

  it('says what a probe that exited otherwise printed last, whatever it was', () => {
    expect(probeReading(run('1\n', '', 7))).toMatchObject({
      value: undefined,
      problem: 'the probe exited 7, so its output is no measure; its last line was "1"',
    });
    expect(probeReading(run('', 'df: not found\n', 127)).problem).toBe(
      'the probe exited 127, so its output is no measure; it printed nothing',
    );
    expect(probeReading({ ...run('', '', 137), timedOut: true }).problem).toBe(
      'the probe exited 137 (timed out), so its output is no measure; it printed nothing',
    );
  });

  it('says "printed no number" only for a probe that exited 0', () => {
    expect(probeReading(run('usage: 93%\n')).problem).toBe(
      'the probe printed no number on its last line; its last line was "usage: 93%"',
    );
    expect(probeReading(run('')).problem).toBe(
      'the probe printed no number on its last line; it printed nothing',
    );
  });
});
