import type { ProofStep } from './runbook-proof.ts';
import { OUTPUT_LIMIT_BYTES } from './sandbox/command-run.ts';

/** How many of the last lines of a step's stdout and of its stderr `runbooks test` prints by default. */
export const PROOF_TAIL_LINES = 12;

/**
 * The lines `runbooks test` prints for one step of a proof: `✓` or `✗`, its name and detail, then its
 * stdout and stderr, indented. Without `full`, each keeps its last `tail` lines (12 by default), after
 * a line that says how many earlier ones were left out and that `--full` prints them; with `full`,
 * every line. The sandbox keeps the last MiB of each: an output that reached it says so.
 */
export function proofStepLines(step: ProofStep, options: { full: boolean; tail?: number }): string[] {
  const tail = Math.max(0, Math.floor(options.tail ?? PROOF_TAIL_LINES));
  const lines = [`${step.ok ? '✓' : '✗'} ${step.name}: ${step.detail}`];
  for (const [label, text] of [
    ['stdout', step.run?.stdout],
    ['stderr', step.run?.stderr],
  ] as const) {
    const all = text?.trimEnd().split('\n') ?? [];
    if (all.length === 0 || (all.length === 1 && all[0] === '')) continue;
    const shown = options.full ? all : all.slice(all.length - Math.min(tail, all.length));
    const left = all.length - shown.length;
    // A result keeps the last OUTPUT_LIMIT_BYTES; a character cut in two there may count a few more.
    const cut = Buffer.byteLength(text ?? '', 'utf8') >= OUTPUT_LIMIT_BYTES - 3;
    lines.push(`    ${label}:`);
    if (cut)
      lines.push(
        `      … earlier output was not kept: the sandbox keeps the last ${OUTPUT_LIMIT_BYTES / 1024 / 1024} MiB of each`,
      );
    if (left > 0)
      lines.push(
        `      … ${left} earlier ${left === 1 ? 'line' : 'lines'} (runbooks test --full prints every line${cut ? ' kept' : ''})`,
      );
    for (const line of shown) lines.push(`      ${line}`);
  }
  return lines;
}
