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

/**
 * The accounts and Regions a deployment takes events from: its own, and any it is told to trust. A
 * bus that other accounts may put events on (an organization's central bus) must not let their alarms
 * choose what this account runs.
 */
export interface PatternOrigin {
  readonly accounts: readonly string[];
  readonly regions: readonly string[];
}

function fromOrigin(origin: PatternOrigin | undefined): EventPattern {
  return origin ? { account: [...origin.accounts], region: [...origin.regions] } : {};
}

/**
 * Alarm state changes into ALARM or OK, from any alarm in the account, and the per-series changes of
 * fleet (Metrics Insights multi-time-series) alarms; runbook matching happens in the handler.
 */
export function alarmStateChangePattern(origin?: PatternOrigin): EventPattern {
  return {
    source: ['aws.cloudwatch'],
    ...fromOrigin(origin),
    'detail-type': ['CloudWatch Alarm State Change', 'CloudWatch Alarm Contributor State Change'],
    detail: { state: { value: ['ALARM', 'OK'] } },
  };
}

/** Final statuses of command invocations of this system's own runbook documents. */
export function commandInvocationPattern(
  documentNames: readonly string[],
  origin?: PatternOrigin,
): EventPattern {
  return {
    source: ['aws.ssm'],
    ...fromOrigin(origin),
    'detail-type': ['EC2 Command Invocation Status-change Notification'],
    detail: { 'document-name': [...documentNames], status: [...FINAL_INVOCATION_STATUSES] },
  };
}

/** The source and detail-type of an operator's request for a resync (`resume`, `breaker close`). */
export const OPERATOR_EVENT_SOURCE = 'ec2.auto-remediation.operator';
export const RESYNC_REQUESTED = 'Remediation Resync Requested';

/** An operator's request for a resync now. */
export function resyncRequestPattern(origin?: PatternOrigin): EventPattern {
  return { source: [OPERATOR_EVENT_SOURCE], ...fromOrigin(origin), 'detail-type': [RESYNC_REQUESTED] };
}

/**
 * The instance changes the alarm keeper follows (per-instance alarm mode): EC2 instance state
 * changes into running, stopped or terminated.
 */
export function instanceStateChangePattern(origin?: PatternOrigin): EventPattern {
  return {
    source: ['aws.ec2'],
    ...fromOrigin(origin),
    'detail-type': ['EC2 Instance State-change Notification'],
    detail: { state: ['running', 'stopped', 'terminated'] },
  };
}

/** An EC2 instance gaining, changing or losing the opt-in tag (Tag Change on Resource, from AWS's tagging service). */
export function instanceTagChangePattern(optInTagKey: string, origin?: PatternOrigin): EventPattern {
  return {
    source: ['aws.tag'],
    ...fromOrigin(origin),
    'detail-type': ['Tag Change on Resource'],
    detail: { service: ['ec2'], 'resource-type': ['instance'], 'changed-tag-keys': [optInTagKey] },
  };
}
