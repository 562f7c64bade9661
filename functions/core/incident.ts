import type { AlarmContributor, AlarmStateValue } from './alarm.ts';
import type { Refusal } from './gates.ts';

/**
 * The lifecycle of an incident:
 * - `remediating`: an attempt's command is being sent or is running;
 * - `verifying`: the command succeeded; waiting for the same alarm to return to OK;
 * - `backing-off`: an attempt failed; waiting (exponential backoff, full jitter) before the next;
 * - `waiting`: a gate asked to wait (another remediation holds the instance's lease, or the
 *   runbook's concurrency limit is reached); the attempt starts when the gate allows it;
 * - `suppressed`: the runbook's fleet breaker is open; the group page covers this instance, and
 *   nothing runs until the alarm returns to OK;
 * - `awaiting-approval`: the runbook is in approve mode; a proposal (the exact action, parameters and
 *   instance) was paged, and nothing runs unless a person approves it before it expires;
 * - `snoozed`: a person asked automation to stand down until a set time; then, if the alarm is still
 *   in ALARM, a human is paged again;
 * - `escalated`: a human was paged (or took the incident over); waiting for the alarm to return to
 *   OK to say so;
 * - `resolved`: the alarm is OK again; the incident is closed and kept for reports.
 */
export type IncidentStatus =
  | 'remediating'
  | 'verifying'
  | 'backing-off'
  | 'waiting'
  | 'suppressed'
  | 'awaiting-approval'
  | 'snoozed'
  | 'escalated'
  | 'resolved';

/**
 * An incident is one episode of one alarm on one target; at most one is open per key. The alarm and
 * the target are the key's identity (see `identity.ts`); the runbook that answers the alarm travels
 * with it, since every message about an incident needs it.
 */
export interface IncidentKey {
  readonly runbook: string;
  /** A stable hash of the alarm's ARN (16 hex digits). */
  readonly alarm: string;
  /** The instance id, or `none` when the alarm names no single instance. */
  readonly target: string;
}

/**
 * What is kept for an alarm and target with no incident yet: the alarm's latest known state (an OK,
 * say, delivered before an older ALARM), so that a stale ALARM is recognised and never acts.
 */
export interface AlarmMemory {
  readonly kind: 'alarm-memory';
  readonly key: IncidentKey;
  readonly alarmName: string;
  readonly alarmState: AlarmStateValue;
  readonly alarmStateAt: number;
  readonly updatedAt: number;
  /** Incremented on every write; the store's conditional write checks it. */
  readonly version: number;
}

/** What the store holds for a key: its current (or last) incident, or only the alarm's latest state. */
export type KeyRecord = Incident | AlarmMemory;

/** Whether a key's record is an incident (and not only the alarm's remembered state). */
export function isIncident(record: KeyRecord | undefined): record is Incident {
  return record !== undefined && !('kind' in record && record.kind === 'alarm-memory');
}

/** The open or closed record of one episode: from the alarm to its resolution. */
export interface Incident {
  /** Unique per episode and derived from the alarm's state timestamp, so a duplicate ALARM maps to it. */
  readonly id: string;
  readonly key: IncidentKey;
  /** The instance acted on; absent when the alarm names none. */
  readonly instanceId?: string;
  readonly alarm: IncidentAlarm;
  readonly status: IncidentStatus;
  /** The alarm's latest known state and when it entered it (epoch ms), to order alarm inputs. */
  readonly alarmState: AlarmStateValue;
  readonly alarmStateAt: number;
  readonly openedAt: number;
  readonly updatedAt: number;
  readonly closedAt?: number;
  readonly attempts: readonly Attempt[];
  /** The runbook's parameter values for this incident, resolved from the alarm when it opened. */
  readonly parameters?: Readonly<Record<string, string>>;
  /** The safety gates that said no, each with its reason. */
  readonly refusals?: readonly Refusal[];
  readonly escalation?: Escalation;
  readonly resolution?: Resolution;
  /**
   * The shared resources the current attempt holds: the instance's lease, one of the runbook's
   * concurrency slots, and the unit of hourly budget it spent. Taken in the same transaction that
   * records the attempt; given back when the incident leaves `remediating` and `verifying`.
   */
  readonly hold?: Hold;
  /** When the incident started waiting on a gate (epoch ms); cleared when an attempt starts. */
  readonly waitingSince?: number;
  /** The one timer that is current; a timer message with another token is stale and absorbed. */
  readonly timer?: TimerState;
  /** The instance's Name tag and Availability Zone, as EC2 reported them when the gates were read. */
  readonly instance?: InstanceFacts;
  /** The current (or last) proposal of a runbook in approve mode. */
  readonly proposal?: Proposal;
  /** What people did to the incident (approve, deny, retry, run, snooze, take), oldest first, with who. */
  readonly responders?: readonly ResponderAction[];
  /**
   * When a human is paged if automation has neither fixed the fault nor paged by then (epoch ms):
   * opened + the runbook's `pageWithin` budget (from the end of an instance's settle time when it
   * opened within it). Whatever attempt is under way then, the page goes out.
   */
  readonly pageBy?: number;
  /** While `snoozed`: when automation looks again (epoch ms). */
  readonly snoozedUntil?: number;
  /** Set when a person took the incident over: automation stands down, and the alarm's OK still closes it. */
  readonly owner?: { readonly by: string; readonly since: number };
  /** What happened, oldest first, capped to the latest entries. */
  readonly history: readonly HistoryEntry[];
  /** Incremented on every write; the store's conditional write checks it. */
  readonly version: number;
}

/** What an attempt holds while its command runs and is verified. */
export interface Hold {
  readonly attempt: number;
  /** The instance whose lease is held. */
  readonly instanceId: string;
  /** The index of the runbook's concurrency slot held, below the runbook's `maxInFlight`. */
  readonly slot: number;
  /** When the lease and the slot lapse if nobody gives them back (epoch ms): a crashed holder cannot block forever. */
  readonly expiresAt: number;
  /** The clock hour (UTC, `YYYY-MM-DDTHH`) whose budget the attempt spent, and that hour's budget. */
  readonly budgetHour: string;
  readonly budgetMax: number;
}

/** The alarm that opened the incident. */
export interface IncidentAlarm {
  readonly name: string;
  readonly arn: string;
  readonly account: string;
  readonly region: string;
  /** CloudWatch's sentence when the incident opened. */
  readonly reason: string;
  /** The alarm's own description, when the event carried it (untrusted data). */
  readonly description?: string;
  /** The dimensions of the metrics the alarm reads (untrusted data). */
  readonly dimensions?: Readonly<Record<string, string>>;
  /** The alarm's tags, when tag propagation is on (untrusted data). */
  readonly tags?: Readonly<Record<string, string>>;
  /** The series of a multi-time-series alarm this incident is about (untrusted data). */
  readonly contributor?: AlarmContributor;
}

/** What EC2 says of the instance, for the humans reading a page. Untrusted text (tags). */
export interface InstanceFacts {
  readonly name?: string;
  readonly zone?: string;
}

/** The things a person can do to an incident, from the CLI or a chat button. */
export type ResponderVerb = 'approve' | 'deny' | 'retry' | 'run' | 'snooze' | 'take';

export const RESPONDER_VERBS: readonly ResponderVerb[] = [
  'approve',
  'deny',
  'retry',
  'run',
  'snooze',
  'take',
];

/** One thing a person did to the incident, with who, when, and whether it took effect. */
export interface ResponderAction {
  readonly at: number;
  readonly by: string;
  readonly verb: ResponderVerb;
  /** The request's id: the same request delivered twice is done once. */
  readonly request: string;
  /** What it asked for (`restart (service=app)`, `1h`, the proposal's id). */
  readonly detail?: string;
  /** `done`, or why it was refused (a gate, the state, an expired proposal). */
  readonly outcome: 'done' | 'refused';
  readonly reason?: string;
}

/**
 * A runbook in approve mode proposes before it acts: exactly this action, with these parameters, on
 * this instance, as attempt `attempt`. Approving runs it once, if the gates still allow it then.
 */
export interface Proposal {
  /** `<incident id>/p<attempt>`: what an approval names, so that it approves this proposal and no other. */
  readonly id: string;
  readonly attempt: number;
  readonly action: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly instanceId: string;
  readonly proposedAt: number;
  readonly expiresAt: number;
  /** The proposal's own page (the escalation page, if any, is separate). */
  readonly page: PageState;
  /** How it ended, once it has. */
  readonly answer?: {
    readonly kind: 'approved' | 'denied' | 'expired' | 'withdrawn';
    readonly at: number;
    readonly by?: string;
  };
}

/** One try of the runbook's command. */
export interface Attempt {
  readonly number: number;
  /** The person who started it (an approval, a retry or a run), when a person did; automation's own otherwise. */
  readonly by?: string;
  /** The runbook action this attempt runs, and its parameter values. */
  readonly action?: string;
  readonly parameters?: Readonly<Record<string, string>>;
  readonly requestedAt: number;
  /** `dispatching` until SSM has accepted the command, then `running` until its result is known. */
  readonly status: AttemptStatus;
  readonly commandId?: string;
  readonly result?: CommandResult;
  /** Why the attempt counts as failed, in words, when it does. */
  readonly failure?: string;
  /** Whether the alarm returned to OK after a successful command. */
  readonly verification?: 'pending' | 'passed' | 'failed';
  /** What the runbook's probe read on the instance right after the remedy, in the same command. */
  readonly probe?: ProbeRecord;
  /**
   * When the fault was known fixed (epoch ms): the probe read healthy (the alarm's OK then confirms),
   * or, without a reading, the alarm's OK itself. The time to fix is measured to it.
   */
  readonly fixedAt?: number;
  /** How many times the alarm's state could not be read at the verify deadline (retried, bounded). */
  readonly unreadable?: number;
  /** The runbook's diagnose script, run (read-only) before the first attempt's remedy. */
  readonly diagnosis?: Diagnosis;
}

/** The probe's reading after a remedy, judged against the alarm's condition. */
export interface ProbeRecord {
  readonly at: number;
  readonly reading?: number;
  /** Why there is no reading (the probe failed, timed out, or its line was lost). */
  readonly unreadable?: string;
  /** The reading against the alarm's condition; absent when there is no reading. */
  readonly healthy?: boolean;
  /** In words, for the story and the page: "reads 42 (the alarm's condition: > 90)". */
  readonly said: string;
}

/**
 * What the diagnose script found, before the first remediation. Best effort: whatever becomes of it
 * (finished, refused by SSM, lost), the remedy follows.
 */
export interface Diagnosis {
  readonly requestedAt: number;
  readonly status: 'dispatching' | 'running' | 'finished' | 'failed';
  readonly commandId?: string;
  /** The exit code and the tail of the output (the full output stays in SSM, linked from the page). */
  readonly result?: CommandResult;
  /** Why there is no result, when there is none. */
  readonly failure?: string;
}

/**
 * Where an attempt stands. `diagnosing`: the diagnose script runs first (first attempt only).
 * `lost`: SSM gave no result by the deadline. `not-run`: the runbook is in dry-run mode; the
 * attempt records what would have been sent. `withdrawn`: the alarm cleared while the diagnosis ran,
 * so the remedy was never sent.
 */
export type AttemptStatus =
  | 'diagnosing'
  | 'dispatching'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'lost'
  | 'not-run'
  | 'withdrawn';

/** The result of an SSM command invocation, with output excerpts. */
export interface CommandResult {
  /** SSM's invocation status: Success, Failed, TimedOut, Cancelled, ... */
  readonly status: string;
  /** SSM's detailed status (for example "Execution Timed Out", "Undeliverable"). */
  readonly statusDetails?: string;
  /** The script's exit code; -1 when it never started. */
  readonly responseCode?: number;
  readonly stdout?: string;
  readonly stderr?: string;
  /** The command's Comment, which names the incident and attempt. */
  readonly comment?: string;
  readonly finishedAt?: number;
}

/** Why and when a human was paged. */
export interface Escalation {
  readonly at: number;
  readonly reason: string;
  readonly page: PageState;
  /**
   * Set when automation stood down for a gate that lifts by itself or by an operator (the kill
   * switch): when the gate lifts, the resync looks again and acts, and the human hears the outcome.
   */
  readonly standDown?: 'kill-switch';
  /** The person who took the incident over, when that is why it is escalated. */
  readonly takenBy?: string;
  /**
   * Paged at the page-by deadline while a command was in flight: the incident stays `remediating`
   * (or `verifying`) until that command's outcome is known, then escalates under this same page.
   */
  readonly deadline?: true;
}

/** How the incident closed. `verified`: a command fixed it; `cleared`: the alarm cleared otherwise. */
export interface Resolution {
  readonly at: number;
  readonly how: 'verified' | 'cleared';
  /** The resolution message, sent only when a page was sent before. */
  readonly page?: PageState;
}

/** A page is `due` once decided and `sent` once SNS accepted it; a due page is retried by the timer. */
export interface PageState {
  readonly status: 'due' | 'sent';
  readonly dueSince: number;
  readonly messageId?: string;
  /**
   * The incident has no page of its own: `pause`, an announced pause's one notice covers it (the
   * resume is that notice's OK); `person`, a person took it over or answered it and holds it. A
   * covered incident that later gives up is paged then, and only a page of its own gets an OK.
   */
  readonly covered?: 'pause' | 'person';
}

/**
 * The kinds of timer: the next attempt, the end of the verify window, a check with SSM (or a page
 * SNS has not confirmed), and the slow check of an incident that waits on a human or a breaker,
 * which asks CloudWatch for the alarm's state so that no incident waits forever on an OK event;
 * `expire` ends a proposal nobody answered; `wake` ends a snooze (it reads the alarm's state, as a
 * check does); `page-by` is the page-by deadline.
 */
export const TIMER_KINDS = [
  'retry',
  'verify-deadline',
  'reconcile',
  'check',
  'expire',
  'wake',
  'page-by',
] as const;

/**
 * See {@link TIMER_KINDS}; `page-by` is the incident's page-by deadline, which takes the place of any
 * later timer while automation works on the incident alone (see `withTimer`).
 */
export type TimerKind = (typeof TIMER_KINDS)[number];

/** The incident's current timer. */
export interface TimerState {
  readonly kind: TimerKind;
  readonly dueAt: number;
  readonly token: string;
}

/** One line of the incident's story. */
export interface HistoryEntry {
  readonly at: number;
  readonly what: string;
}

/** The statuses in which an incident is over as far as automation is concerned. */
export function isOpen(incident: Incident): boolean {
  return incident.status !== 'resolved';
}

/** The attempt in progress or last made. */
export function latestAttempt(incident: Incident): Attempt | undefined {
  return incident.attempts[incident.attempts.length - 1];
}
