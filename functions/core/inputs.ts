import type { AlarmChange, AlarmStateValue, AlarmTarget } from './alarm.ts';
import type { CommandResult, IncidentKey, TimerKind } from './incident.ts';

/** Everything that can happen to an incident. Each arrives at least once, in any order. */
export type DecisionInput =
  | AlarmInput
  | ResyncInput
  | CommandSentInput
  | CommandNotSentInput
  | CommandFinishedInput
  | TimerInput
  | PageSentInput
  | ResponderInput;

/** The alarm changed state. */
export interface AlarmInput {
  readonly kind: 'alarm';
  readonly alarm: AlarmChange;
  readonly target: AlarmTarget;
}

/**
 * The resync found the alarm in ALARM (CloudWatch's DescribeAlarms, not an event): level, not edge.
 * An alarm with no open incident gets one as if its event had arrived; an incident that stood down
 * for a gate (a breaker, a pause) looks again; anything else already in hand absorbs it.
 */
export interface ResyncInput {
  readonly kind: 'resync';
  /** The alarm as DescribeAlarms reports it; `stateAt` is when it last entered ALARM. */
  readonly alarm: AlarmChange;
  readonly target: AlarmTarget;
  /** What started the resync: its schedule, a breaker that closed, or an operator's resume. */
  readonly cause: 'schedule' | 'breaker-closed' | 'resumed';
}

/** SSM accepted the attempt's command. */
export interface CommandSentInput {
  readonly kind: 'command-sent';
  readonly attempt: number;
  /** `diagnose` when it was the attempt's diagnose command. */
  readonly phase?: 'diagnose';
  readonly commandId: string;
}

/** SSM refused the attempt's command (for example InvalidInstanceId, or throttling that outlasted retries). */
export interface CommandNotSentInput {
  readonly kind: 'command-not-sent';
  readonly attempt: number;
  /** `diagnose` when it was the attempt's diagnose command. */
  readonly phase?: 'diagnose';
  readonly error: string;
}

/** The command reached a final status, with what GetCommandInvocation said of it. */
export interface CommandFinishedInput {
  readonly kind: 'command-finished';
  readonly commandId: string;
  readonly result: CommandResult;
}

/** A timer fired. The handler may attach what it observed, so that the decider stays pure. */
export interface TimerInput {
  readonly kind: 'timer';
  readonly timer: TimerMessage;
  readonly observation?: TimerObservation;
}

/** What the timer handler learnt before deciding. */
export interface TimerObservation {
  /**
   * For `verify-deadline`, `check`, `wake` and a `retry` after a backoff: the alarm's state according
   * to DescribeAlarms, when it could be read (absent: unknown, which is never taken for ALARM), and
   * when it entered that state.
   */
  readonly alarmState?: AlarmStateValue;
  readonly alarmStateAt?: number;
  /** For `verify-deadline`, `check` and `wake`: see above. For `reconcile`: what SSM says of the current attempt's command. */
  readonly command?: CommandObservation;
}

/** SSM's answer about a command, when asked directly. */
export type CommandObservation =
  | { readonly kind: 'finished'; readonly commandId: string; readonly result: CommandResult }
  | { readonly kind: 'in-progress'; readonly commandId: string; readonly comment?: string }
  | { readonly kind: 'not-found' };

/** SNS accepted a page. */
export interface PageSentInput {
  readonly kind: 'page-sent';
  readonly page: PageKind;
  readonly messageId: string;
}

/** The pages of an incident: a proposal (approve mode), an escalation, and the resolution that closes them. */
export type PageKind = 'proposal' | 'escalation' | 'resolution';

/**
 * A person acted on the incident (the CLI or a chat button, through the operator function). Each is
 * gated like automation's own decisions and recorded with who. `request` makes a redelivery a no-op.
 */
export type ResponderInput = {
  readonly kind: 'responder';
  /** Who, as the operator function established it (the caller's IAM identity, or the chat channel and user). */
  readonly by: string;
  readonly request: string;
} & (
  | { readonly verb: 'approve' | 'deny'; readonly proposal: string }
  | { readonly verb: 'retry' }
  | { readonly verb: 'run'; readonly action: string }
  | { readonly verb: 'snooze'; readonly seconds: number }
  | { readonly verb: 'take' }
);

/** The body of a timer message on the queue. */
export interface TimerMessage {
  readonly key: IncidentKey;
  readonly incidentId: string;
  readonly kind: TimerKind;
  readonly token: string;
  /** When the decision that scheduled it wanted it to fire (epoch ms); never changed by a re-queue. */
  readonly dueAt: number;
  /**
   * Set on a timer sent back to the queue because it arrived before its own write was visible:
   * when to deliver it again, and how many times it has been sent back (bounded).
   */
  readonly redelivery?: { readonly at: number; readonly count: number };
  /**
   * Set on a wake-up: the incident was first in line on this wait list (see `wait-lists.ts`) when
   * what it waits for was given back, and its current `retry` is sent at once. `slot`: the
   * concurrency slot given back, which the woken incident is offered before any other free one.
   */
  readonly wake?: { readonly list: string; readonly slot?: number };
}

/** A timer of a runbook's fleet breaker: resend its group page, or close it after the quiet period. */
export interface BreakerTimerMessage {
  readonly kind: 'breaker';
  readonly runbook: string;
  /** The breaker episode it belongs to; a timer of an earlier one is stale. */
  readonly openedAt: number;
  readonly dueAt: number;
  /**
   * `update`: send the update page naming instances suppressed since the last group page, and nothing
   * else. Absent: the breaker's own timer (its page until the pager takes it, then its quiet period).
   */
  readonly purpose?: 'update';
}

/** Any message on the timer queue. */
export type QueuedTimer = TimerMessage | BreakerTimerMessage;

/** When a queued timer is to be delivered: its due time, or the later moment a redelivery set. */
export function deliveryTime(timer: QueuedTimer): number {
  return 'redelivery' in timer && timer.redelivery ? Math.max(timer.redelivery.at, timer.dueAt) : timer.dueAt;
}
