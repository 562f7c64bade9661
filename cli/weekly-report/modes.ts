import type { Attempt, Incident } from '../../functions/core/incident.ts';
import { percent, plural, times } from './format.ts';

/**
 * Graduation with evidence: per runbook, what its mode did this period (dry-run decisions, proposals
 * approved, denied and expired, and whether the approved runs were verified; the fixes of the runs
 * automation started alone), and the next mode that evidence suggests, in either direction, against
 * thresholds stated with the recommendation. Pure: computed from the incidents alone.
 */

/** The mode a runbook's incidents show: a proposal (approve), a dry-run record, or commands run alone. */
export type ObservedMode = 'dry-run' | 'approve' | 'enforce';

/**
 * The thresholds of the recommendations, printed with them. They ask for a run of evidence, not
 * proof: a runbook is promoted one step at a time, and each step is a person's decision.
 */
export const GRADUATION = {
  /** dry-run → approve: at least this many decisions that would have run a command. */
  dryRunDecisions: 5,
  /** approve → enforce: at least this many approved runs, every one verified, none denied. */
  approvedRuns: 10,
  /** Back one step: at least this many approved runs, or incidents automation acted on alone, ... */
  failingRuns: 3,
  /** ... of which fewer than this share were verified. */
  failingRate: 0.5,
  /** approve → dry-run also when at least this share of the answered proposals were denied. */
  deniedShare: 0.5,
} as const;

/** What a runbook's mode did in the period. */
export interface ModeReview {
  readonly runbook: string;
  /** The mode of its most recent incident, and every mode seen (a switch during the period shows both). */
  readonly mode: ObservedMode;
  readonly modesSeen: readonly ObservedMode[];
  /** Decisions recorded in dry-run (attempts `not-run`): what would have been sent. */
  readonly dryRuns: number;
  /** Proposals approved (each approval that took effect), and of their runs how many were verified. */
  readonly approved: number;
  readonly approvedVerified: number;
  /** Approved runs still running or being verified: neither a success nor a failure yet. */
  readonly approvedPending: number;
  readonly denied: number;
  readonly expired: number;
  /**
   * Incidents in which automation ran commands by itself (not a person's approval, retry or run), and
   * in how many of them one of those commands was verified; pending: not yet known.
   */
  readonly autoRuns: number;
  readonly autoVerified: number;
  readonly autoPending: number;
  /** The suggested next mode, with the evidence in words; absent when the evidence suggests no change. */
  readonly recommendation?: {
    readonly to: ObservedMode;
    readonly direction: 'promote' | 'demote';
    readonly because: string;
    /** How to make the switch: the command for a switch at run time, or the definition's change. */
    readonly command: string;
  };
}

function isRun(attempt: Attempt): boolean {
  return attempt.status !== 'not-run' && attempt.status !== 'withdrawn' && attempt.status !== 'diagnosing';
}

function isPending(attempt: Attempt): boolean {
  return (
    attempt.status === 'dispatching' ||
    attempt.status === 'running' ||
    (attempt.status === 'succeeded' &&
      (attempt.verification === undefined || attempt.verification === 'pending'))
  );
}

/** Closed or paged: its outcome is known. */
function isClosed(incident: Incident): boolean {
  return (
    incident.status === 'resolved' || incident.status === 'escalated' || incident.escalation !== undefined
  );
}

/** The attempt an approval started: the approver's, requested at or after the approval, the earliest. */
function approvedAttempt(incident: Incident, by: string, at: number): Attempt | undefined {
  return incident.attempts
    .filter((a) => a.by === by && a.requestedAt >= at && isRun(a))
    .sort((a, b) => a.requestedAt - b.requestedAt || a.number - b.number)[0];
}

function modeOf(incident: Incident): ObservedMode {
  if (incident.proposal) return 'approve';
  if (incident.attempts.some((a) => a.status === 'not-run')) return 'dry-run';
  return 'enforce';
}

/** Each runbook's mode review, by runbook name; only runbooks whose incidents show a mode's evidence. */
export function modeReviews(incidents: readonly Incident[]): ModeReview[] {
  const byRunbook = new Map<string, Incident[]>();
  for (const incident of incidents) {
    const list = byRunbook.get(incident.key.runbook) ?? [];
    list.push(incident);
    byRunbook.set(incident.key.runbook, list);
  }
  const reviews: ModeReview[] = [];
  for (const [runbook, list] of byRunbook) {
    const ordered = [...list].sort((a, b) => a.openedAt - b.openedAt || (a.id < b.id ? -1 : 1));
    let dryRuns = 0;
    let approved = 0;
    let approvedVerified = 0;
    let approvedPending = 0;
    let denied = 0;
    let expired = 0;
    let autoRuns = 0;
    let autoVerified = 0;
    let autoPending = 0;
    const seen = new Set<ObservedMode>();
    for (const incident of ordered) {
      seen.add(modeOf(incident));
      dryRuns += incident.attempts.filter((a) => a.status === 'not-run').length;
      for (const r of incident.responders ?? []) {
        if (r.outcome !== 'done') continue;
        if (r.verb === 'deny') denied += 1;
        if (r.verb !== 'approve') continue;
        approved += 1;
        const attempt = approvedAttempt(incident, r.by, r.at);
        if (attempt && isPending(attempt)) approvedPending += 1;
        else if (attempt?.verification === 'passed') approvedVerified += 1;
      }
      if (incident.proposal?.answer?.kind === 'expired') expired += 1;
      // Automation alone, per incident: a ladder whose first rung fails and whose second fixes is a fix.
      const alone = incident.attempts.filter((a) => a.by === undefined && isRun(a));
      if (alone.length > 0) {
        autoRuns += 1;
        if (alone.some((a) => a.verification === 'passed')) autoVerified += 1;
        else if (alone.some(isPending) || !isClosed(incident)) autoPending += 1;
      }
    }
    const last = ordered.at(-1);
    if (!last) continue;
    const review = {
      runbook,
      mode: modeOf(last),
      modesSeen: (['dry-run', 'approve', 'enforce'] as const).filter((m) => seen.has(m)),
      dryRuns,
      approved,
      approvedVerified,
      approvedPending,
      denied,
      expired,
      autoRuns,
      autoVerified,
      autoPending,
    };
    const recommendation = recommend(review);
    reviews.push(recommendation ? { ...review, recommendation } : review);
  }
  return reviews.sort((a, b) => (a.runbook < b.runbook ? -1 : a.runbook > b.runbook ? 1 : 0));
}

/** The next mode the evidence suggests (see {@link GRADUATION}), or none. */
function recommend(r: Omit<ModeReview, 'recommendation'>): ModeReview['recommendation'] {
  // A switch to dry-run or approve mode is stored at run time and outranks the definition;
  // `runbooks enforce` lifts it, back to the definition's mode.
  const command = (to: ObservedMode) =>
    to === 'enforce'
      ? `set mode: 'enforce' in its definition and deploy (or \`npx remediate runbooks enforce ${r.runbook}\` if approve mode was switched on at run time)`
      : `npx remediate runbooks ${to === 'approve' ? 'approve-mode' : to} ${r.runbook} --reason "…"`;
  const approvedDone = r.approved - r.approvedPending;
  const autoDone = r.autoRuns - r.autoPending;
  if (r.mode === 'enforce') {
    if (autoDone >= GRADUATION.failingRuns && r.autoVerified / autoDone < GRADUATION.failingRate) {
      return {
        to: 'approve',
        direction: 'demote',
        because: `acted alone on ${autoDone} incidents, fixed ${r.autoVerified} (${percent(r.autoVerified / autoDone)}): below ${percent(GRADUATION.failingRate)} over ${GRADUATION.failingRuns} incidents or more, so a person should confirm each run until it is fixed`,
        command: command('approve'),
      };
    }
    return undefined;
  }
  if (r.mode === 'approve') {
    const answered = r.approved + r.denied;
    if (
      approvedDone >= GRADUATION.failingRuns &&
      r.approvedVerified / approvedDone < GRADUATION.failingRate
    ) {
      return {
        to: 'dry-run',
        direction: 'demote',
        because: `approved ${times(approvedDone)}, verified ${r.approvedVerified} (${percent(r.approvedVerified / approvedDone)}): below ${percent(GRADUATION.failingRate)} over ${GRADUATION.failingRuns} approved runs or more, so its action is not fixing this alarm`,
        command: command('dry-run'),
      };
    }
    if (answered >= GRADUATION.failingRuns && r.denied / answered >= GRADUATION.deniedShare) {
      return {
        to: 'dry-run',
        direction: 'demote',
        because: `denied ${r.denied} of ${answered} proposal${plural(answered)} answered (${percent(r.denied / answered)}): the responders do not trust what it proposes`,
        command: command('dry-run'),
      };
    }
    if (approvedDone >= GRADUATION.approvedRuns && r.approvedVerified === approvedDone && r.denied === 0) {
      return {
        to: 'enforce',
        direction: 'promote',
        because: `approved ${times(approvedDone)}, verified ${times(r.approvedVerified)}, never denied${r.expired > 0 ? ` (${r.expired} expired unanswered)` : ''}: at least ${GRADUATION.approvedRuns} approved runs, every one verified`,
        command: command('enforce'),
      };
    }
    return undefined;
  }
  if (r.dryRuns >= GRADUATION.dryRunDecisions) {
    return {
      to: 'approve',
      direction: 'promote',
      because: `would have run ${times(r.dryRuns)}: at least ${GRADUATION.dryRunDecisions} decisions; in approve mode a person confirms each run, and the review counts what those runs fix`,
      command: command('approve'),
    };
  }
  return undefined;
}

/** The thresholds, in one sentence, as both renderings print them. */
export const GRADUATION_RULE =
  `dry-run → approve after ${GRADUATION.dryRunDecisions} decisions; approve → enforce after ${GRADUATION.approvedRuns} approved runs, every one verified and none denied; ` +
  `back one step when fewer than ${percent(GRADUATION.failingRate)} of ${GRADUATION.failingRuns} or more approved runs (or incidents acted on alone) were verified, or (approve) half or more of the answered proposals were denied. ` +
  "Each step is a decision for the runbook's owner: a switch with `npx remediate runbooks approve-mode|dry-run` is stored at run time and lasts until `runbooks enforce`.";
