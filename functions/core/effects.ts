import type { Incident, IncidentKey } from './incident.ts';
import type { PageKind, TimerMessage } from './inputs.ts';
import type { WaitListName } from './wait-lists.ts';

/**
 * What the decider asks the world to do. Effects are data; the handler carries them out only after
 * the incident has been written, except timers, which go first (a timer whose write lost is stale
 * and absorbed, while a write whose timer was lost could strand the incident).
 */
export type Effect =
  | SendCommandEffect
  | ScheduleTimerEffect
  | PageEffect
  | PublishEventEffect
  | JoinWaitListEffect;

/** Run the runbook's document on the instance. */
export interface SendCommandEffect {
  readonly kind: 'send-command';
  readonly key: IncidentKey;
  readonly incidentId: string;
  readonly runbook: string;
  /** The runbook action to run, and its parameter values (each checked against its allowedPattern). */
  readonly action: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly instanceId: string;
  readonly attempt: number;
  /** `diagnose`: the attempt's diagnose command, sent before its remedy. */
  readonly phase?: 'diagnose';
  /** Names the incident and attempt, so that a command found later can be tied back (≤ 100 chars). */
  readonly comment: string;
  readonly executionTimeoutSeconds: number;
  readonly deliveryTimeoutSeconds: number;
}

/** Enqueue a timer message to fire at `timer.dueAt`. */
export interface ScheduleTimerEffect {
  readonly kind: 'schedule-timer';
  readonly timer: TimerMessage;
}

/**
 * Stand in line for what a gate asked to wait for (see `wait-lists.ts`): whoever gives it back wakes
 * the first in line by sending its `wake` message at once. Carried out after the write, like the
 * other effects; the incident's own timer (the slow fallback) is scheduled as usual.
 */
export interface JoinWaitListEffect {
  readonly kind: 'join-wait-list';
  readonly list: WaitListName;
  /** The wait's deadline (epoch ms): the line's order, and when the entry stops counting. */
  readonly until: number;
  /** What a wake-up sends: a `retry` bearing the incident's current timer token, due at once. */
  readonly wake: TimerMessage;
}

/** Page a human (a proposal to approve, or an escalation) or tell them the alarm cleared (resolution). */
export interface PageEffect {
  readonly kind: 'page';
  readonly page: PageKind;
  readonly incident: Incident;
}

/** Announce a transition on the event bus, for integrations and audit. */
export interface PublishEventEffect {
  readonly kind: 'publish-event';
  readonly detailType: RemediationDetailType;
  readonly detail: RemediationEventDetail;
}

/** The `source` of every event this system publishes. */
export const REMEDIATION_EVENT_SOURCE = 'ec2.auto-remediation';

/** The detail-types this system publishes, one per kind of transition. */
export const REMEDIATION_DETAIL_TYPES = [
  'Remediation Incident Opened',
  'Remediation Attempt Started',
  'Remediation Attempt Finished',
  'Remediation Incident Verifying',
  'Remediation Incident Backing Off',
  'Remediation Incident Waiting',
  'Remediation Incident Suppressed',
  'Remediation Proposal Awaiting Approval',
  'Remediation Incident Snoozed',
  'Remediation Incident Escalated',
  'Remediation Incident Resolved',
] as const;

/** One of {@link REMEDIATION_DETAIL_TYPES}. */
export type RemediationDetailType = (typeof REMEDIATION_DETAIL_TYPES)[number];

/**
 * Which events a deployment publishes. `lifecycle` (the default): an incident's opening and how it
 * ends or stops (Opened, Waiting, Suppressed, Proposal Awaiting Approval, Snoozed, Escalated, Resolved), two events for an incident fixed
 * at the first try; `all` adds each attempt's progress (Attempt Started, Attempt Finished, Verifying,
 * Backing Off), five for the same incident; `none` publishes nothing. EventBridge bills every event
 * put on a bus, whether or not a rule matches it, and the incident's record keeps the whole story.
 */
export type EventLevel = 'lifecycle' | 'all' | 'none';

export const EVENT_LEVELS: readonly EventLevel[] = ['lifecycle', 'all', 'none'];

const PROGRESS_EVENTS: ReadonlySet<RemediationDetailType> = new Set([
  'Remediation Attempt Started',
  'Remediation Attempt Finished',
  'Remediation Incident Verifying',
  'Remediation Incident Backing Off',
]);

/** Whether a deployment at `level` publishes events of `detailType`. */
export function publishedAt(level: EventLevel, detailType: RemediationDetailType): boolean {
  if (level === 'none') return false;
  return level === 'all' || !PROGRESS_EVENTS.has(detailType);
}

/** The detail of a remediation event: enough to correlate, without attempt output. */
export interface RemediationEventDetail {
  readonly incidentId: string;
  readonly runbook: string;
  readonly target: string;
  readonly instanceId?: string;
  readonly alarmName: string;
  readonly alarmArn: string;
  readonly status: string;
  readonly previousStatus?: string;
  readonly attempt?: number;
  readonly commandId?: string;
  readonly reason?: string;
  readonly at: string;
}
