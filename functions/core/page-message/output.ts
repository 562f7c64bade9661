import type { Attempt, CommandResult, Incident } from '../incident.ts';
import { linesThatMatter } from '../page-formats/page-parts.ts';
import type { Runbook } from '../runbook.ts';
import { iso, oneLine, who } from './text.ts';

/** What each attempt printed, as the text page shows it: the lines that matter, nothing twice. */

/** Ours: lines of each output shown (the lines that matter, after alike lines are counted). */
export const OUTPUT_LINES = 15;
const LINE_CHARS = 200;

/**
 * Liveness chatter: a process saying it is alive says nothing about why it failed. Such lines are
 * left out of a page (and counted), unless they also say FATAL, ERROR and the like.
 */
const NOISE = /\b(heart-?beat|keep-?alive|health-?check(ed)?:? (ok|passed|healthy)|ping(ed)?:? ok)\b/i;
/** The words that make a line matter wherever it is in the output, most telling first. */
const SEVERE = /\b(fatal|panic|traceback)\b/i;
const ERROR = /\b(error|exception|denied|refused)\b/i;
const FAILED = /\bfail(ed|ure|s)?\b/i;

/** An output's lines that matter, heartbeats left out: the lines, and how many heartbeats there were. */
export function outputLines(text: string): { lines: string[]; noise: number } {
  const all = text.replace(/\r/g, '').split('\n');
  const kept = all.filter((line) => !NOISE.test(line) || SEVERE.test(line) || ERROR.test(line));
  const noise = all.length - kept.length;
  return {
    lines: linesThatMatter(kept.join('\n'), OUTPUT_LINES).map((line) => oneLine(line, LINE_CHARS)),
    noise,
  };
}

/**
 * The one line a person should read first: the most telling line (FATAL, panic, a traceback; else
 * an error, an exception, a denial; else a failure) of the latest output, with where it came from.
 * None when the latest command succeeded.
 */
export function keyLine(incident: Incident): string | undefined {
  // After a command that succeeded, an older error is no longer news: it would mislead.
  const latest = [...incident.attempts].reverse().find((a) => a.result);
  if (latest?.result?.status === 'Success') return undefined;
  const sources: { text: string; from: string }[] = [];
  for (const a of [...incident.attempts].reverse()) {
    for (const text of [a.result?.stderr, a.result?.stdout])
      if (text?.trim()) sources.push({ text, from: `#${a.number}` });
    const d = a.diagnosis?.result;
    for (const text of [d?.stderr, d?.stdout])
      if (text?.trim()) sources.push({ text, from: `the diagnosis before #${a.number}` });
  }
  for (const pattern of [SEVERE, ERROR, FAILED]) {
    for (const { text, from } of sources) {
      const line = outputLines(text).lines.find((l) => pattern.test(l));
      if (line) return `${oneLine(line.trim(), LINE_CHARS)} (printed by ${from})`;
    }
  }
  return undefined;
}

/** The diagnosis run before the first remedy: what it printed, and where the full output is. */
export function diagnosisLines(
  incident: Incident,
  runbook: Runbook | undefined,
  commandUrl: (commandId: string, instanceId: string) => string,
): string[] {
  const diagnosis = incident.attempts.find((a) => a.diagnosis)?.diagnosis;
  if (!diagnosis) return [];
  const script = runbook?.diagnose ? ` (${runbook.diagnose})` : '';
  const result = diagnosis.result;
  const outcome = result ? resultLine(result) : (diagnosis.failure ?? diagnosis.status);
  const lines = [`Diagnosis${script}, before the first remedy: ${oneLine(outcome, 300)}`];
  lines.push(...outputBlock(result, '  ', '    '));
  if (diagnosis.commandId && incident.instanceId) {
    lines.push(`  full output: ${commandUrl(diagnosis.commandId, incident.instanceId)}`);
  }
  lines.push('');
  return lines;
}

/**
 * Each attempt on one line (when, which action, who asked for it, how it ended, its command), then
 * the lines of its output that matter; an output alike to the attempt before's is not shown again.
 */
export function attemptLines(attempts: readonly Attempt[], withOutput = true): string[] {
  if (attempts.length === 0) return ['Attempts: none (nothing was run).', ''];
  const lines = [`Attempts (${attempts.length}):`];
  let previous: string | undefined;
  let previousNumber = 0;
  for (const a of attempts) {
    const outcome = a.result ? resultLine(a.result) : a.status;
    const what = [...(a.action ? [a.action] : []), ...(a.by ? [`asked by ${who(a.by)}`] : [])];
    lines.push(
      `  #${a.number} at ${iso(a.requestedAt)}${what.length > 0 ? ` (${what.join(', ')})` : ''}: ${outcome}${a.commandId ? ` (command ${a.commandId})` : ''}`,
    );
    // `the command ended Failed (exit 1)` says again what the line says; other failures say more.
    if (a.failure && !a.failure.startsWith('the command ended '))
      lines.push(`     ${oneLine(a.failure, 300)}`);
    if (!withOutput) continue;
    const block = outputBlock(a.result, '     ', '       ');
    const shape = block.map((l) => l.replace(/\d+/g, '#')).join('\n');
    if (block.length > 0 && shape === previous) {
      lines.push(`     printed the same as #${previousNumber} (numbers aside)`);
    } else {
      lines.push(...block);
      previous = block.length > 0 ? shape : undefined;
      previousNumber = a.number;
    }
  }
  lines.push('');
  return lines;
}

function resultLine(result: CommandResult): string {
  const code = result.responseCode === undefined ? '' : `, exit ${result.responseCode}`;
  return `${result.statusDetails ?? result.status}${code}`;
}

function outputBlock(result: CommandResult | undefined, labelIndent: string, lineIndent: string): string[] {
  const lines: string[] = [];
  for (const [label, text] of [
    ['stdout', result?.stdout],
    ['stderr', result?.stderr],
  ] as const) {
    if (!text?.trim()) continue;
    const { lines: shown, noise } = outputLines(text);
    const left = noise > 0 ? ` (${noise} heartbeat line${noise === 1 ? '' : 's'} left out)` : '';
    if (shown.length === 0) {
      lines.push(`${labelIndent}${label}: only heartbeats${left}`);
      continue;
    }
    lines.push(`${labelIndent}${label}, the lines that matter${left}:`);
    for (const line of shown) lines.push(`${lineIndent}${line}`);
  }
  return lines;
}
