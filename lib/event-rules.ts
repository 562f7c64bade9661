import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  alarmStateChangePattern,
  commandInvocationPattern,
  type EventPattern,
  type PatternOrigin,
  resyncRequestPattern,
} from '../functions/core/event-patterns.ts';

/** Options of the remediation rules. */
export interface RemediationRulesProps {
  /** Receives alarm state changes. */
  readonly alarmFunction: lambda.IFunction;
  /** Receives final statuses of this stack's runbook commands. */
  readonly commandStatusFunction: lambda.IFunction;
  /** The SSM documents whose command invocations are routed. */
  readonly documentNames: readonly string[];
  /** Where EventBridge puts an event it could not deliver to a function. */
  readonly deadLetterQueue: sqs.IQueue;
  /** Reconciles the alarms in ALARM with the open incidents. */
  readonly resyncFunction: lambda.IFunction;
  /** How often the resync runs. */
  readonly resyncInterval: Duration;
  /** The accounts and Regions whose events the rules route (the stack's own, and any trusted). */
  readonly origin: PatternOrigin;
}

/**
 * The EventBridge rules on the default bus (the only bus AWS service events arrive on), built from
 * the same patterns the local bus routes with (functions/core/event-patterns.ts).
 */
export class RemediationRules extends Construct {
  /** CloudWatch alarm state changes into ALARM or OK. */
  readonly alarmRule: events.Rule;
  /** Final statuses of this stack's runbook command invocations. */
  readonly commandRule: events.Rule;
  /** The resync's schedule. */
  readonly resyncSchedule: events.Rule;
  /** An operator's request for a resync now (after `resume` or `breaker close`). */
  readonly resyncRequest: events.Rule;

  constructor(scope: Construct, id: string, props: RemediationRulesProps) {
    super(scope, id);
    const target = (fn: lambda.IFunction) =>
      new targets.LambdaFunction(fn, {
        // EventBridge's delivery retries (throttling, service errors), before the dead-letter queue.
        retryAttempts: 8,
        maxEventAge: Duration.hours(2),
        deadLetterQueue: props.deadLetterQueue,
      });
    this.alarmRule = new events.Rule(this, 'AlarmStateChange', {
      description: 'CloudWatch alarm state changes into ALARM or OK, to the alarm function',
      eventPattern: toCdkEventPattern(alarmStateChangePattern(props.origin)),
      targets: [target(props.alarmFunction)],
    });
    this.commandRule = new events.Rule(this, 'CommandInvocationStatus', {
      description: "Final statuses of this stack's runbook commands, to the command-status function",
      eventPattern: toCdkEventPattern(commandInvocationPattern(props.documentNames, props.origin)),
      targets: [target(props.commandStatusFunction)],
    });
    const resync = new targets.LambdaFunction(props.resyncFunction, {
      // A missed run is made good by the next one, minutes later.
      retryAttempts: 2,
      maxEventAge: Duration.minutes(10),
      deadLetterQueue: props.deadLetterQueue,
    });
    this.resyncSchedule = new events.Rule(this, 'ResyncSchedule', {
      description: 'Every few minutes: the alarms in ALARM against the open incidents (level-triggered)',
      schedule: events.Schedule.rate(props.resyncInterval),
      targets: [resync],
    });
    this.resyncRequest = new events.Rule(this, 'ResyncRequest', {
      description: "An operator's resume or breaker close asks for a resync at once",
      eventPattern: toCdkEventPattern(resyncRequestPattern(props.origin)),
      targets: [resync],
    });
  }
}

/** The CDK spells `detail-type` as `detailType`; every other field passes through as written. */
export function toCdkEventPattern(pattern: EventPattern): events.EventPattern {
  const { 'detail-type': detailType, ...rest } = pattern;
  return { ...rest, ...(detailType ? { detailType } : {}) } as events.EventPattern;
}
