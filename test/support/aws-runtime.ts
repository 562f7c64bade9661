import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient, ListAlarmMuteRulesCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeInstancesCommand, EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { inject } from 'vitest';
import { type Incident, type IncidentKey, isIncident } from '../../functions/core/incident.ts';
import type { MetricsSink } from '../../functions/core/ports.ts';
import type { Runbook } from '../../functions/core/runbook.ts';
import type { HandlerConfig } from '../../functions/handlers/config.ts';
import { createAwsRuntime, type Runtime } from '../../functions/handlers/runtime.ts';
import { lambdaContext as localLambdaContext } from '../../local/aws-shapes.ts';
import { createIncidentTable, localDynamoDbClient } from '../../local/dynamodb-local.ts';
import { RecordedMetrics } from '../../local/local-ports.ts';

/** SDK mocks for the services that cannot run here; DynamoDB is the real engine. */
export const mocks = {
  ssm: mockClient(SSMClient),
  sqs: mockClient(SQSClient),
  sns: mockClient(SNSClient),
  eventbridge: mockClient(EventBridgeClient),
  cloudwatch: mockClient(CloudWatchClient),
  ec2: mockClient(EC2Client),
};

/** A clock the test moves. */
export class TestClock {
  value: number;
  constructor(start: number) {
    this.value = start;
  }
  now(): number {
    return this.value;
  }
  advance(seconds: number): void {
    this.value += seconds * 1000;
  }
}

/** A runtime on a fresh DynamoDB Local table, with mocked SSM, SQS, SNS, EventBridge and CloudWatch. */
export async function testRuntime(options: {
  runbooks: readonly Runbook[];
  clock: TestClock;
  documents?: Record<string, string>;
  logger?: Logger;
  metrics?: MetricsSink;
  /** Page for alarms on instances without the opt-in tag (the stack's `pageUnmanagedInstances`). */
  pageUnmanagedInstances?: boolean;
}): Promise<{
  runtime: Runtime;
  config: HandlerConfig;
  dynamodb: ReturnType<typeof localDynamoDbClient>;
  metrics: RecordedMetrics;
}> {
  const dynamodb = localDynamoDbClient(inject('dynamoDbEndpoint'));
  const tableName = `incidents-${randomUUID()}`;
  // The tests' clocks are virtual, some in the past: no sweep of expired leases by the wall clock.
  await createIncidentTable(dynamodb, tableName, { timeToLive: false });
  const config: HandlerConfig = {
    tableName,
    timerQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/timers',
    pagerTopicArn: 'arn:aws:sns:us-east-1:123456789012:pager',
    eventBusName: 'default',
    optInTag: { key: 'AutoRemediation', value: 'enabled' },
    ...(options.pageUnmanagedInstances ? { pageUnmanagedInstances: true } : {}),
    runbookDocuments:
      options.documents ??
      Object.fromEntries(options.runbooks.map((r) => [r.name, `Remediation-Test-${r.name}`])),
  };
  const metrics = new RecordedMetrics();
  const runtime = createAwsRuntime(config, {
    clients: {
      dynamodb,
      ssm: new SSMClient({ region: 'us-east-1' }),
      sqs: new SQSClient({ region: 'us-east-1' }),
      sns: new SNSClient({ region: 'us-east-1' }),
      eventbridge: new EventBridgeClient({ region: 'us-east-1' }),
      cloudwatch: new CloudWatchClient({ region: 'us-east-1' }),
      ec2: new EC2Client({ region: 'us-east-1' }),
    },
    runbooks: options.runbooks,
    clock: options.clock,
    random: () => 0.5,
    logger: options.logger ?? new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
    metrics: options.metrics ?? metrics,
    invocationRetryDelaysMs: [1, 1, 1],
  });
  return { runtime, config, dynamodb, metrics };
}

/** Resets every mock to sensible AWS answers: accepted commands, messages, pages and events. */
export function resetMocks(): void {
  for (const mock of Object.values(mocks)) mock.reset();
  let commands = 0;
  mocks.ssm.on(SendCommandCommand).callsFake(() => {
    commands += 1;
    return { Command: { CommandId: `00000000-0000-4000-8000-${String(commands).padStart(12, '0')}` } };
  });
  mocks.sqs.on(SendMessageCommand).resolves({ MessageId: 'timer-message' });
  mocks.sns.on(PublishCommand).resolves({ MessageId: 'page-message' });
  mocks.eventbridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
  // No alarm mute rule is active (the resync asks before it acts on alarms in ALARM), unless a test says otherwise.
  mocks.cloudwatch.on(ListAlarmMuteRulesCommand).resolves({ AlarmMuteRuleSummaries: [] });
  // Every instance opted in, unless a test says otherwise; its launch time unknown (no settle time).
  // As DescribeInstances reports them: one AZ, type and AMI, and the opt-in tag.
  describeInstances((id) => ({
    InstanceType: 'm6i.large',
    ImageId: 'ami-0abcdef1234567890',
    Placement: { AvailabilityZone: 'us-east-1a' },
    Tags: [
      { Key: 'Name', Value: `web-${id.slice(-4)}` },
      { Key: 'AutoRemediation', Value: 'enabled' },
    ],
  }));
}

/**
 * Answers DescribeInstances with the instances `describe` knows (undefined: EC2 knows no such
 * instance), asked by id as the opt-in reader does or by an `instance-id` filter as the inventory does.
 */
export function describeInstances(
  describe: (instanceId: string) => Omit<Instance, 'InstanceId'> | undefined,
): void {
  mocks.ec2
    .on(DescribeInstancesCommand)
    .callsFake((input: { InstanceIds?: string[]; Filters?: Array<{ Name?: string; Values?: string[] }> }) => {
      const ids = input.InstanceIds ?? input.Filters?.find((f) => f.Name === 'instance-id')?.Values ?? [];
      const instances = ids.flatMap((id) => {
        const instance = describe(id);
        return instance ? [{ InstanceId: id, ...instance }] : [];
      });
      return { Reservations: [{ Instances: instances }] };
    });
}

/** The incident a key holds (undefined when it holds none, or only its alarm's remembered state). */
export async function loadIncident(runtime: Runtime, key: IncidentKey): Promise<Incident | undefined> {
  const record = await runtime.store.load(key);
  return isIncident(record) ? record : undefined;
}

/** Reads an AWS sample event from test/events. */
export async function sampleEvent(name: string): Promise<Record<string, unknown>> {
  const { readFile } = await import('node:fs/promises');
  return JSON.parse(await readFile(new URL(`../events/${name}`, import.meta.url), 'utf8'));
}

/** A Lambda context for handler tests. */
export const lambdaContext = localLambdaContext('test');
