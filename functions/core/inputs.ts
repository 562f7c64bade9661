import type { AlarmChange, AlarmStateValue, AlarmTarget } from './alarm.ts';
import type { CommandResult, IncidentKey, TimerKind } from './incident.ts';

/** Everything that can happen to an incident. Each arrives at least once, in any order. */
export type DecisionInput =
  | AlarmInput
  | CommandSentInput
  | CommandNotSentInput
  | CommandFinishedInput
  | TimerInput
  | PageSentInput;

/** The alarm changed state. */
export interface AlarmInput {
  readonly kind: 'alarm';
  readonly alarm: AlarmChange;
  readonly target: AlarmTarget;
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
  /** For `verify-deadline`: the alarm's state according to DescribeAlarms, when it could be read. */
  readonly alarmState?: AlarmStateValue;
  /** For `reconcile`: what SSM says of the current attempt's command. */
  readonly command?: CommandObservation;
}

/** SSM's answer about a command, when asked directly. */
export type CommandObservation =
  | { readonly kind: 'finished'; readonly commandId: string; readonly result: CommandResult }
  | { readonly kind: 'in-progress'; readonly commandId: string }
  | { readonly kind: 'not-found' };

/** SNS accepted a page. */
export interface PageSentInput {
  readonly kind: 'page-sent';
  readonly page: 'escalation' | 'resolution';
  readonly messageId: string;
}

/** The body of a timer message on the queue. */
export interface TimerMessage {
  readonly key: IncidentKey;
  readonly incidentId: string;
  readonly kind: TimerKind;
  readonly token: string;
  readonly dueAt: number;
}

/** A timer of a runbook's fleet breaker: resend its group page, or close it after the quiet period. */
export interface BreakerTimerMessage {
  readonly kind: 'breaker';
  readonly runbook: string;
  /** The breaker episode it belongs to; a timer of an earlier one is stale. */
  readonly openedAt: number;
  readonly dueAt: number;
}

/** Any message on the timer queue. */
export type QueuedTimer = TimerMessage | BreakerTimerMessage;
