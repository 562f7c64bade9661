import type { GameDayIncident, GameDayRecord } from '../record.ts';

/** What the report makes of the record: each incident's outcome, time to fix, MTTR per runbook. */

/** `+mm:ss` from the start (minutes are not wrapped into hours: `+95:00`). */
export function formatOffset(ms: number): string {
  return `${ms < 0 ? '-' : '+'}${formatDuration(Math.abs(ms))}`;
}

/** A duration as `mm:ss`, rounded to the second. */
export function formatDuration(ms: number): string {
  const total = Math.round(Math.abs(ms) / 1000);
  const m = Math.floor(total / 60);
  const s = total % 60;
  return `${ms < 0 ? '-' : ''}${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

/**
 * How an incident ended, as the report groups it. `approved`: a person approved the proposal and its
 * fix was verified. `by-hand`: a person took it over and the alarm cleared.
 */
export type OutcomeKind =
  | 'verified'
  | 'approved'
  | 'by-hand'
  | 'escalated'
  | 'suppressed'
  | 'dry-run'
  | 'cleared'
  | 'open';

export interface Outcome {
  readonly kind: OutcomeKind;
  /** The gate behind the outcome, when one refused. */
  readonly gate?: string;
  readonly label: string;
}

/**
 * Fixed automatically (`resolved` and `verified`; `approved` when a person approved the fix) first;
 * then fixed by a person who took the incident over (`by-hand`); then a page to a human (`escalated`); then
 * held back by the fleet breaker (`suppressed`); then dry-run; then cleared without any of these.
 */
export function incidentOutcome(incident: GameDayIncident): Outcome {
  const lastGate = incident.refusals.at(-1)?.gate;
  const approvedBy = incident.proposal?.answer?.kind === 'approved' ? incident.proposal.answer.by : undefined;
  if (incident.resolution === 'verified' && approvedBy)
    return { kind: 'approved', label: `resolved (verified), approved by ${approvedBy}` };
  if (incident.resolution === 'verified') return { kind: 'verified', label: 'resolved (verified)' };
  if (incident.status === 'resolved' && incident.owner)
    return { kind: 'by-hand', label: `resolved by hand (${incident.owner.by})` };
  if (incident.escalation || incident.status === 'escalated') {
    return lastGate
      ? { kind: 'escalated', gate: lastGate, label: 'escalated' }
      : { kind: 'escalated', label: 'escalated' };
  }
  const breaker = incident.refusals.find((r) => r.gate === 'breaker');
  if (incident.status === 'suppressed' || breaker) {
    return { kind: 'suppressed', gate: breaker?.gate ?? lastGate ?? 'breaker', label: 'suppressed' };
  }
  if (incident.attempts.length > 0 && incident.attempts.every((a) => a.status === 'not-run')) {
    const gate = incident.refusals.find((r) => r.gate === 'auto-disable')?.gate;
    return gate ? { kind: 'dry-run', gate, label: 'dry-run' } : { kind: 'dry-run', label: 'dry-run' };
  }
  if (incident.resolution === 'cleared') return { kind: 'cleared', label: 'resolved (cleared)' };
  return lastGate
    ? { kind: 'open', gate: lastGate, label: incident.status }
    : { kind: 'open', label: incident.status };
}

/** Virtual ms from the fault (or, when unknown, from the incident's opening) to the verified fix. */
export function timeToFix(incident: GameDayIncident): number | undefined {
  if (incident.resolution !== 'verified' || incident.closedAt === undefined) return undefined;
  return incident.closedAt - (incident.faultAt ?? incident.openedAt);
}

export interface RunbookStats {
  readonly runbook: string;
  readonly incidents: number;
  readonly fixed: number;
  readonly escalated: number;
  readonly suppressed: number;
  /** Dry-run, cleared without remediation, or still open. */
  readonly other: number;
  /** Of the verified fixes' times to fix, in virtual ms; undefined without any. */
  readonly medianMs?: number;
  readonly maxMs?: number;
}

/** Per runbook, by name: how many incidents were fixed, escalated, suppressed, and how fast the fixes were. */
export function mttrByRunbook(record: GameDayRecord): RunbookStats[] {
  const byRunbook = new Map<string, GameDayIncident[]>();
  for (const incident of record.incidents) {
    const list = byRunbook.get(incident.runbook) ?? [];
    list.push(incident);
    byRunbook.set(incident.runbook, list);
  }
  return [...byRunbook.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([runbook, incidents]) => {
      const kinds = incidents.map((i) => incidentOutcome(i).kind);
      const fixes = incidents
        .map(timeToFix)
        .filter((ms): ms is number => ms !== undefined)
        .sort((a, b) => a - b);
      const count = (kind: OutcomeKind) => kinds.filter((k) => k === kind).length;
      // A fix a person approved is automation's command, verified: it counts as fixed.
      const fixed = count('verified') + count('approved');
      const escalated = count('escalated');
      const suppressed = count('suppressed');
      const stats: RunbookStats = {
        runbook,
        incidents: incidents.length,
        fixed,
        escalated,
        suppressed,
        other: incidents.length - fixed - escalated - suppressed,
      };
      return fixes.length === 0 ? stats : { ...stats, medianMs: median(fixes), maxMs: fixes.at(-1) };
    });
}

function median(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2);
  const hi = sorted[mid] ?? 0;
  return sorted.length % 2 === 1 ? hi : ((sorted[mid - 1] ?? hi) + hi) / 2;
}
