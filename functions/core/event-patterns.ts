/**
 * The EventBridge patterns that route AWS events to the handlers. One source for both runtimes: the
 * stack deploys these rules, and the local bus routes with the same patterns.
 */

/** An EventBridge event pattern (the subset of the pattern language this system uses). */
export type EventPattern = { readonly [field: string]: EventPattern | readonly PatternValue[] };

/** A value or content filter in an event pattern. */
export type PatternValue = string | number | boolean | null | { readonly [filter: string]: unknown };

/** Command invocation statuses after which SSM will not change its mind (API model CommandInvocationStatus). */
export const FINAL_INVOCATION_STATUSES = ['Success', 'Failed', 'TimedOut', 'Cancelled'] as const;

/** Alarm state changes into ALARM or OK, from any alarm in the account; runbook matching happens in the handler. */
export function alarmStateChangePattern(): EventPattern {
  return {
    source: ['aws.cloudwatch'],
    'detail-type': ['CloudWatch Alarm State Change'],
    detail: { state: { value: ['ALARM', 'OK'] } },
  };
}

/** Final statuses of command invocations of this system's own runbook documents. */
export function commandInvocationPattern(documentNames: readonly string[]): EventPattern {
  return {
    source: ['aws.ssm'],
    'detail-type': ['EC2 Command Invocation Status-change Notification'],
    detail: { 'document-name': [...documentNames], status: [...FINAL_INVOCATION_STATUSES] },
  };
}

/** The source and detail-type of an operator's request for a resync (`resume`, `breaker close`). */
export const OPERATOR_EVENT_SOURCE = 'ec2.auto-remediation.operator';
export const RESYNC_REQUESTED = 'Remediation Resync Requested';

/** An operator's request for a resync now. */
export function resyncRequestPattern(): EventPattern {
  return { source: [OPERATOR_EVENT_SOURCE], 'detail-type': [RESYNC_REQUESTED] };
}
