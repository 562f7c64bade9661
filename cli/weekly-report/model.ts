import type { GateName } from '../../functions/core/gates.ts';
import type { ModeReview } from './modes.ts';

/** The weekly review's shape: what `buildReview` computes and both renderings print. */

/**
 * How an incident ended, as the review counts it. Exactly one per incident, first match wins:
 * - `fixed`: resolved with `resolution.how === 'verified'` (a command succeeded and its alarm
 *   returned to OK within the verify window);
 * - `escalated`: a human was paged (`escalation` is set; this includes dry-run pages, and pages
 *   whose alarm later cleared);
 * - `suppressed`: held back by the runbook's fleet breaker (status `suppressed`, or refused by the
 *   `breaker` gate), so the breaker's group page covered it;
 * - `cleared`: resolved because its alarm returned to OK by itself, without a verified fix, a page
 *   or the breaker;
 * - `open`: still being handled (remediating, verifying, backing off, waiting).
 */
export type Outcome = 'fixed' | 'escalated' | 'suppressed' | 'cleared' | 'open';

/** Incident counts by outcome; the five outcomes add up to `incidents`. */
export interface OutcomeCounts {
  readonly incidents: number;
  readonly fixed: number;
  readonly escalated: number;
  readonly suppressed: number;
  readonly cleared: number;
  readonly open: number;
}

/** Incidents refused at least once by each gate (only gates that refused appear); an incident counts once per gate. */
export type GateCounts = Readonly<Partial<Record<GateName, number>>>;

/**
 * Time to a verified fix, in ms, over the incidents fixed automatically: nearest-rank percentiles
 * (the p-th percentile of n sorted values is the value of rank ⌈p·n/100⌉).
 */
export interface Mttr {
  /** How many verified fixes were measured. */
  readonly samples: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly maxMs: number;
}

/** One runbook's week. */
export interface RunbookReview extends OutcomeCounts {
  readonly runbook: string;
  readonly refusedBy: GateCounts;
  /**
   * Incidents no longer open in which the runbook ran at least one command (an attempt that was not
   * a dry-run `not-run`): the ones it had a real chance to fix.
   */
  readonly acted: number;
  /** Escalated incidents in which the runbook ran commands and every one failed (failed, lost, or not verified). */
  readonly exhausted: number;
  /** `fixed / acted`, absent when the runbook acted on nothing. */
  readonly verifiedRate?: number;
  /** Absent when the runbook fixed nothing. */
  readonly mttr?: Mttr;
}

/** One alarm's week. */
export interface AlarmReview extends OutcomeCounts {
  readonly alarm: string;
  /** The runbooks its incidents were for, by name. */
  readonly runbooks: readonly string[];
}

/** The incidents opened on one UTC day, by outcome. */
export interface DayReview extends OutcomeCounts {
  /** `YYYY-MM-DD`, UTC. */
  readonly day: string;
}

/** Toil saved: the verified fixes a human did not have to make, at an estimate per incident. */
export interface Toil {
  readonly fixes: number;
  readonly minutesPerFix: number;
  /** `fixes × minutesPerFix / 60`, unrounded. */
  readonly hours: number;
  /** What the estimate per incident stands for, as printed. */
  readonly basis: string;
}

/**
 * A candidate for the next runbook to write:
 * - `unhandled-alarm`: an alarm whose incidents were paged with nothing attempted and no safety
 *   gate behind the page, so no runbook could act on it (no single instance, a parameter the alarm
 *   could not supply, the runbook chose to page, ...); `name` is the alarm's name;
 * - `failing-runbook`: a runbook that keeps failing (escalated after every command it ran failed,
 *   or a verified rate below 50% over at least 3 incidents it acted on); `name` is the runbook's.
 */
export interface Candidate {
  /** 1 for the first candidate. */
  readonly rank: number;
  readonly kind: 'unhandled-alarm' | 'failing-runbook';
  readonly name: string;
  /**
   * What the ranking sorts on: incidents a human had to take that a (better) runbook could have
   * taken. `unhandled-alarm`: its pages with nothing attempted; `failing-runbook`: `acted − fixed`.
   */
  readonly score: number;
  readonly reason: string;
}

/** The weekly review of the incidents opened in [since, now). */
export interface Review {
  /** The period, epoch ms: incidents opened at or after `since` and before `now`. */
  readonly since: number;
  readonly now: number;
  readonly totals: OutcomeCounts & {
    readonly refusedBy: GateCounts;
    /** Incidents in which a command ran (see {@link RunbookReview.acted}). */
    readonly acted: number;
    /** Escalated with nothing attempted and no gate behind the page (see {@link Candidate}). */
    readonly unhandled: number;
  };
  /** Most incidents first, then by name. */
  readonly byRunbook: readonly RunbookReview[];
  /** Most incidents first, then by name. */
  readonly byAlarm: readonly AlarmReview[];
  /** Every UTC day the period touches, oldest first. */
  readonly perDay: readonly DayReview[];
  /** Over every runbook; absent when nothing was fixed. */
  readonly mttr?: Mttr;
  readonly toil: Toil;
  /** Ranked, best first; empty when nothing qualifies. */
  readonly candidates: readonly Candidate[];
  /** Per runbook: what its mode did, and the next mode the evidence suggests (see modes.ts). */
  readonly modes: readonly ModeReview[];
}

/** What the MTTR figures measure, as printed. */
export const MTTR_DEFINITION =
  'time to a verified fix: from the incident opening (the ALARM event handled) to its close ' +
  '(the return to OK handled after a successful command), over incidents fixed automatically; ' +
  'nearest-rank percentiles';

export const DEFAULT_MINUTES_PER_FIX = 30;

/** The basis of the default toil estimate, as printed. */
export const DEFAULT_TOIL_BASIS =
  '30 min per incident: page acknowledged, logged in, diagnosed, fixed, verified; override with --minutes-per-fix';

/** A runbook with a verified rate below this, over at least {@link MIN_ACTED_FOR_RATE} incidents it acted on, keeps failing. */
export const LOW_VERIFIED_RATE = 0.5;
export const MIN_ACTED_FOR_RATE = 3;

/** Every gate, in the order the decider asks them. */
export const GATES = Object.keys({
  'kill-switch': true,
  cooldown: true,
  'opt-in': true,
  settle: true,
  breaker: true,
  parameter: true,
  'auto-disable': true,
  budget: true,
  lease: true,
  concurrency: true,
} satisfies Record<GateName, true>) as GateName[];

/** Every outcome, in the order the review prints them. */
export const OUTCOMES: readonly Outcome[] = ['fixed', 'escalated', 'suppressed', 'cleared', 'open'];
