import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { fnv1a64 } from '../functions/core/identity.ts';
import type { IncidentKey } from '../functions/core/incident.ts';
import type { Clock } from '../functions/core/ports.ts';
import type { Runbook } from '../functions/core/runbook.ts';
import type { HandlerConfig } from '../functions/handlers/config.ts';
import { createAwsRuntime, type Runtime } from '../functions/handlers/runtime.ts';
import { PROJECT_ROOT } from '../lib/project-paths.ts';
import { createIncidentTable, localDynamoDbClient, startDynamoDbLocal } from '../local/dynamodb-local.ts';
import { RecordedMetrics } from '../local/local-ports.ts';

/** Calls made through the SDK, by service and operation, as a benchmark counts them. */
export class CallCounter {
  readonly calls = new Map<string, number>();

  add(name: string, n = 1): void {
    this.calls.set(name, (this.calls.get(name) ?? 0) + n);
  }

  get(name: string): number {
    return this.calls.get(name) ?? 0;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.calls.entries()].sort());
  }
}

/** Counts every DynamoDB operation (and the items of each transaction) a client sends. */
export function countDynamoDb(client: DynamoDBClient, counter: CallCounter): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName).replace(/Command$/, '');
      counter.add(`dynamodb:${name}`);
      const input = args.input as { TransactItems?: unknown[] };
      if (name === 'TransactWriteItems')
        counter.add('dynamodb:TransactWriteItems.items', input.TransactItems?.length ?? 0);
      return next(args);
    },
    { step: 'initialize', name: 'benchCounter' },
  );
}

/**
 * Counts every item a write request names, by the kind of item (from its key), the operation and
 * whether the request took effect (`ok`) or was refused (a failed condition, a cancelled
 * transaction: DynamoDB charges for those too). Keys such as `incident:PutItem:ok` or
 * `slot:TransactWriteItems:refused`; and the transactions themselves, `transactions:ok` and
 * `transactions:refused` (a claim that lost its race for a slot, the lease or the budget).
 */
export function countWritesByItem(client: DynamoDBClient, counter: CallCounter): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName).replace(/Command$/, '');
      const kinds = writtenItemKinds(operation, args.input as Record<string, unknown>);
      const transaction = operation === 'TransactWriteItems';
      try {
        const result = await next(args);
        for (const kind of kinds) counter.add(`${kind}:${operation}:ok`);
        if (transaction) counter.add('transactions:ok');
        return result;
      } catch (error) {
        for (const kind of kinds) counter.add(`${kind}:${operation}:refused`);
        if (transaction) {
          counter.add('transactions:refused');
          // Why: a condition (the lease, the slot or the budget taken) or a concurrent transaction.
          const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
          const codes = new Set(reasons.map((r) => r.Code).filter((c) => c && c !== 'None'));
          counter.add(`transactions:refused:${[...codes].sort().join('+') || 'other'}`);
        }
        throw error;
      }
    },
    { step: 'build', name: 'benchWritesByItem' },
  );
}

function writtenItemKinds(operation: string, input: Record<string, unknown>): string[] {
  if (operation === 'TransactWriteItems') {
    const items = (input.TransactItems ?? []) as Record<string, Record<string, unknown>>[];
    return items.map((entry) => {
      const action = Object.values(entry)[0] ?? {};
      return itemKind((action.Item ?? action.Key) as Record<string, unknown> | undefined);
    });
  }
  if (operation === 'PutItem') return [itemKind(input.Item as Record<string, unknown> | undefined)];
  if (operation === 'UpdateItem' || operation === 'DeleteItem') {
    return [itemKind(input.Key as Record<string, unknown> | undefined)];
  }
  return [];
}

/** What an item is, from its keys (plain, or as AttributeValues). */
function itemKind(item: Record<string, unknown> | undefined): string {
  const text = (v: unknown) =>
    typeof v === 'string' ? v : String((v as { S?: string } | undefined)?.S ?? '');
  const pk = text(item?.pk);
  const sk = text(item?.sk);
  if (pk.startsWith('INCIDENT#')) return sk === 'HEAD' ? 'incident' : 'episode';
  if (pk.startsWith('LEASE#')) return 'lease';
  if (pk.startsWith('RUNBOOK#')) return sk.split('#')[0]?.toLowerCase() ?? 'runbook';
  if (pk.startsWith('RUNS#')) return 'run';
  if (pk.startsWith('FLEET#')) return 'fleet';
  if (pk.startsWith('WAIT#')) return 'wait';
  if (pk === 'SETTINGS') return 'settings';
  return 'other';
}

/** The mocked services that cannot run here, answering as AWS does, each call counted. */
export function mockAws(counter: CallCounter, timerMessages: string[] = []): void {
  let commands = 0;
  mockClient(SSMClient)
    .on(SendCommandCommand)
    .callsFake(() => {
      counter.add('ssm:SendCommand');
      commands += 1;
      return { Command: { CommandId: `00000000-0000-4000-8000-${String(commands).padStart(12, '0')}` } };
    });
  mockClient(SQSClient)
    .on(SendMessageCommand)
    .callsFake((input: { MessageBody?: string }) => {
      counter.add('sqs:SendMessage');
      timerMessages.push(input.MessageBody ?? '');
      return { MessageId: 'm' };
    });
  mockClient(SNSClient)
    .on(PublishCommand)
    .callsFake(() => {
      counter.add('sns:Publish');
      return { MessageId: 'p' };
    });
  mockClient(EventBridgeClient)
    .on(PutEventsCommand)
    .callsFake((input: { Entries?: unknown[] }) => {
      counter.add('events:PutEvents');
      counter.add('events:entries', input.Entries?.length ?? 0);
      return { FailedEntryCount: 0, Entries: [] };
    });
  mockClient(CloudWatchClient);
  const ec2 = mockClient(EC2Client);
  // The opt-in reader asks by id (tags and launch time); the inventory, by filter, finds nothing.
  ec2.on(DescribeInstancesCommand).callsFake((input: { InstanceIds?: string[] }) => {
    if (!input.InstanceIds) return { Reservations: [] };
    counter.add('ec2:DescribeInstances');
    const Tags = [{ Key: 'AutoRemediation', Value: 'enabled' }];
    return { Reservations: [{ Instances: input.InstanceIds.map((InstanceId) => ({ InstanceId, Tags })) }] };
  });
}

/**
 * DynamoDB Local with the incident table, a runtime on it, and the counters. The runtime reads real
 * time unless a benchmark hands it a clock of its own (to move time on without waiting for it).
 */
export async function benchRuntime(
  runbooks: readonly Runbook[],
  options: { readonly clock?: Clock } = {},
): Promise<{
  runtime: Runtime;
  client: DynamoDBClient;
  counter: CallCounter;
  tableName: string;
  endpoint: string;
  /** The body of every timer message sent, in order. */
  timerMessages: string[];
  stop: () => Promise<void>;
}> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const dynamo = await startDynamoDbLocal();
  const client = localDynamoDbClient(dynamo.endpoint);
  const counter = new CallCounter();
  await createIncidentTable(client, 'incidents');
  countDynamoDb(client, counter);
  const timerMessages: string[] = [];
  mockAws(counter, timerMessages);
  const config: HandlerConfig = {
    tableName: 'incidents',
    timerQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/timers',
    pagerTopicArn: 'arn:aws:sns:us-east-1:123456789012:pager',
    eventBusName: 'default',
    optInTag: { key: 'AutoRemediation', value: 'enabled' },
    runbookDocuments: Object.fromEntries(runbooks.map((r) => [r.name, `Remediation-${r.name}`])),
  };
  const runtime = createAwsRuntime(config, {
    clients: {
      dynamodb: client,
      ssm: new SSMClient({ region: 'us-east-1' }),
      sqs: new SQSClient({ region: 'us-east-1' }),
      sns: new SNSClient({ region: 'us-east-1' }),
      eventbridge: new EventBridgeClient({ region: 'us-east-1' }),
      cloudwatch: new CloudWatchClient({ region: 'us-east-1' }),
      ec2: new EC2Client({ region: 'us-east-1' }),
    },
    runbooks,
    ...(options.clock ? { clock: options.clock } : {}),
    logger: new Logger({ serviceName: 'bench', logLevel: 'SILENT' }),
    metrics: new RecordedMetrics(),
  });
  return {
    runtime,
    client,
    counter,
    tableName: 'incidents',
    endpoint: dynamo.endpoint,
    timerMessages,
    stop: () => dynamo.stop(),
  };
}

/** AWS's published single-metric alarm event, moved to an instance, a state and a time. */
export function alarmEvent(instanceId: string, state: 'ALARM' | 'OK', at: number): unknown {
  const event = JSON.parse(
    readFileSync(join(PROJECT_ROOT, 'test/events/cloudwatch-alarm-state-change.single-metric.json'), 'utf8'),
  );
  event.detail.alarmName = `cpu-high-${instanceId}`;
  event.resources = [alarmArn(instanceId)];
  event.detail.configuration.metrics[0].metricStat.metric.dimensions.InstanceId = instanceId;
  event.detail.state.value = state;
  event.detail.state.timestamp = new Date(at).toISOString().replace('Z', '+0000');
  event.detail.previousState.value = state === 'ALARM' ? 'OK' : 'ALARM';
  return event;
}

/** The ARN of the alarm {@link alarmEvent} makes for an instance (one alarm per instance). */
export function alarmArn(instanceId: string): string {
  return `arn:aws:cloudwatch:us-east-1:123456789012:alarm:cpu-high-${instanceId}`;
}

/** The key of the incident {@link alarmEvent}'s alarm opens on an instance, answered by `runbook`. */
export function incidentKey(runbook: string, instanceId: string): IncidentKey {
  return { runbook, alarm: fnv1a64(alarmArn(instanceId)), target: instanceId };
}

/** The n-th instance id of a series. */
export function instanceId(series: number, n: number): string {
  return `i-${String(series).padStart(5, '0')}${String(n).padStart(12, '0')}`;
}

/** Real time until frozen; then it moves only when a benchmark moves it. */
export class BenchClock implements Clock {
  private virtual: number | undefined;

  now(): number {
    return this.virtual ?? Date.now();
  }

  freeze(): void {
    this.virtual ??= Date.now();
  }

  advanceTo(at: number): void {
    this.virtual = Math.max(this.now(), at);
  }
}
