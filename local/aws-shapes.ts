import { randomUUID } from 'node:crypto';
import type { Context, SQSEvent } from 'aws-lambda';
import type { AlarmStateValue } from '../functions/core/alarm.ts';

/** The account and Region the local runtime pretends to be. */
export const LOCAL_ACCOUNT = '123456789012';
export const LOCAL_REGION = 'us-east-1';

/** An EventBridge event, as AWS delivers it. */
export interface AwsEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: Record<string, unknown>;
}

/** A metric alarm on one instance, as the local runtime watches it. */
export interface LocalAlarm {
  readonly name: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly threshold: number;
  readonly periodSeconds: number;
}

/** CloudWatch writes state timestamps with a `+0000` offset; so does the local runtime. */
export function cloudWatchTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('Z', '+0000');
}

/** The ARN of an alarm in the local account. */
export function alarmArn(name: string): string {
  return `arn:aws:cloudwatch:${LOCAL_REGION}:${LOCAL_ACCOUNT}:alarm:${name}`;
}

/** A "CloudWatch Alarm State Change" event of the shape AWS documents for a single-metric alarm. */
export function alarmStateChange(
  alarm: LocalAlarm,
  change: { from: AlarmStateValue; to: AlarmStateValue; at: number; previousAt: number; value: number },
): AwsEvent {
  const verb = change.to === 'ALARM' ? 'was greater than' : 'was not greater than';
  const state = (value: AlarmStateValue, at: number, reason: string) => ({
    reason,
    reasonData: JSON.stringify({
      version: '1.0',
      queryDate: cloudWatchTimestamp(at),
      statistic: 'Average',
      period: alarm.periodSeconds,
      recentDatapoints: [change.value],
      threshold: alarm.threshold,
    }),
    timestamp: cloudWatchTimestamp(at),
    value,
  });
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: LOCAL_ACCOUNT,
    time: new Date(change.at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_REGION,
    resources: [alarmArn(alarm.name)],
    detail: {
      alarmName: alarm.name,
      configuration: {
        description: `${alarm.metricName} of ${alarm.dimensions.InstanceId ?? 'the fleet'} over ${alarm.threshold}`,
        metrics: [
          {
            id: 'm1',
            metricStat: {
              metric: { dimensions: alarm.dimensions, name: alarm.metricName, namespace: alarm.namespace },
              period: alarm.periodSeconds,
              stat: 'Average',
            },
            returnData: true,
          },
        ],
      },
      previousState: state(change.from, change.previousAt, `previous state ${change.from}`),
      state: state(
        change.to,
        change.at,
        `Threshold Crossed: 1 out of the last 1 datapoints [${change.value}] ${verb} the threshold (${alarm.threshold}).`,
      ),
    },
  };
}

/** An "EC2 Command Invocation Status-change Notification" event of the shape AWS documents. */
export function commandInvocationStatusChange(invocation: {
  commandId: string;
  documentName: string;
  instanceId: string;
  requestedAt: number;
  status: string;
  at: number;
}): AwsEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'EC2 Command Invocation Status-change Notification',
    source: 'aws.ssm',
    account: LOCAL_ACCOUNT,
    time: new Date(invocation.at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_REGION,
    resources: [`arn:aws:ec2:${LOCAL_REGION}:${LOCAL_ACCOUNT}:instance/${invocation.instanceId}`],
    detail: {
      'command-id': invocation.commandId,
      'document-name': invocation.documentName,
      'instance-id': invocation.instanceId,
      'requested-date-time': new Date(invocation.requestedAt).toISOString(),
      status: invocation.status,
    },
  };
}

/** An SQS batch as Lambda's event source mapping delivers it, one record per body. */
export function sqsEvent(bodies: readonly string[]): SQSEvent {
  return {
    Records: bodies.map((body, index) => ({
      messageId: `local-message-${index}`,
      receiptHandle: 'local',
      body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '0',
        SenderId: 'local',
        ApproximateFirstReceiveTimestamp: '0',
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:timers`,
      awsRegion: LOCAL_REGION,
    })),
  };
}

/** A Lambda context good enough for middy and the Powertools logger. */
export function lambdaContext(functionName: string, remainingMs = 30_000): Context {
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
