import { breaches, type ComparisonOperator, DIAGNOSE_ACTION, type Runbook } from './runbook.ts';

/** Starts the line on which a runbook's command reports its probe's reading (see runbooks/ssm-document.ts). */
export const PROBE_MARKER = 'RUNBOOK_PROBE';

/**
 * GetCommandInvocation returns the first 24,000 characters of a command's output: an output that
 * long may have lost its last line, so whatever its last line says is not taken for the probe's.
 */
export const SSM_STDOUT_LIMIT = 24_000;

/** What the probe said after a remedy, as the command's last line reports it. */
export type ProbeReading =
  | { readonly kind: 'reading'; readonly value: number }
  | { readonly kind: 'unreadable'; readonly why: string };

/** The probe's verdict on a remedy, in words for the incident's story and the page. */
export interface ProbeVerdict {
  readonly reading?: number;
  /** Why there is no reading, when there is none. */
  readonly unreadable?: string;
  /** The reading against the alarm's condition: `false` is still broken. Absent when unreadable. */
  readonly healthy?: boolean;
  /** "reads 95 (the alarm's condition: > 90)". */
  readonly said: string;
}

const SIGNS: Record<ComparisonOperator, string> = {
  GreaterThanThreshold: '>',
  GreaterThanOrEqualToThreshold: '>=',
  LessThanThreshold: '<',
  LessThanOrEqualToThreshold: '<=',
};

/**
 * The probe's line of a command's output: only the last line counts, the one the document prints
 * after the action's process ended, so a line the remedy printed (a log it quotes, a file name) is
 * never taken for it. Undefined when the command carries no probe line at all.
 */
export function readProbe(stdout: string | undefined): ProbeReading | undefined {
  if (stdout === undefined) return undefined;
  const lines = stdout.split('\n').filter((line) => line.trim() !== '');
  const last = lines[lines.length - 1]?.trim() ?? '';
  if (!last.startsWith(`${PROBE_MARKER} `)) return undefined;
  const said = last.slice(PROBE_MARKER.length + 1);
  const reading = /^reading=(-?\d+(?:\.\d+)?)$/.exec(said);
  if (reading) {
    const value = Number(reading[1]);
    if (Number.isFinite(value)) return { kind: 'reading', value };
  }
  const unreadable = /^unreadable=(.*)$/.exec(said);
  return {
    kind: 'unreadable',
    why: unreadable ? (unreadable[1] ?? '').slice(0, 240) || 'no reason given' : 'its line is malformed',
  };
}

/** The condition a probe's reading is judged by in production: the runbook's alarm (or its proof's, without one). */
export function verifyCondition(
  runbook: Pick<Runbook, 'alarm' | 'proof'>,
): { readonly comparison: ComparisonOperator; readonly threshold: number } | undefined {
  if (runbook.alarm) return { comparison: runbook.alarm.comparison, threshold: runbook.alarm.threshold };
  return runbook.proof?.alarm;
}

/**
 * Judges a successful remedy's output by its probe: undefined when the runbook verifies by the alarm
 * alone (no probe) or the action was the diagnosis. A probe that was expected and is missing or
 * unparsable is unreadable: the alarm alone verifies, as without a probe.
 */
export function judgeProbe(
  runbook: Pick<Runbook, 'alarm' | 'proof' | 'verify'>,
  action: string | undefined,
  stdout: string | undefined,
): ProbeVerdict | undefined {
  if (!runbook.verify || action === DIAGNOSE_ACTION) return undefined;
  const condition = verifyCondition(runbook);
  const reading =
    (stdout?.length ?? 0) >= SSM_STDOUT_LIMIT
      ? {
          kind: 'unreadable' as const,
          why: `the command's output reached SSM's ${SSM_STDOUT_LIMIT.toLocaleString('en-US')} characters, so its last line may be lost`,
        }
      : (readProbe(stdout) ?? {
          kind: 'unreadable' as const,
          why: "the command's output has no probe line",
        });
  if (reading.kind === 'unreadable')
    return { unreadable: reading.why, said: `could not be read (${reading.why})` };
  if (!condition)
    return { reading: reading.value, said: `reads ${reading.value} (no alarm condition to judge it by)` };
  const shown = `${SIGNS[condition.comparison]} ${condition.threshold}`;
  const healthy = !breaches(reading.value, condition.comparison, condition.threshold);
  return {
    reading: reading.value,
    healthy,
    said: `reads ${reading.value} (the alarm's condition: ${shown})`,
  };
}
