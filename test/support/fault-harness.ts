import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishCommand, type PublishCommandInput } from '@aws-sdk/client-sns';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import {
  GetCommandInvocationCommand,
  type GetCommandInvocationCommandOutput,
  InvocationDoesNotExist,
  ListCommandsCommand,
  SendCommandCommand,
  type SendCommandCommandInput,
} from '@aws-sdk/client-ssm';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { AlarmStateValue } from '../../functions/core/alarm.ts';
import { fnv1a64 } from '../../functions/core/identity.ts';
import { type Incident, type IncidentKey, isIncident } from '../../functions/core/incident.ts';
import type { Runbook } from '../../functions/core/runbook.ts';
import { createAlarmHandler } from '../../functions/handlers/alarm-handler.ts';
import { createCommandStatusHandler } from '../../functions/handlers/command-status-handler.ts';
import type { HandlerConfig } from '../../functions/handlers/config.ts';
import type { Runtime } from '../../functions/handlers/runtime.ts';
import { createTimerHandler } from '../../functions/handlers/timer-handler.ts';
import {
  type AwsEvent,
  alarmArn,
  alarmStateChange,
  commandInvocationStatusChange,
  LOCAL_ACCOUNT,
  LOCAL_REGION,
} from '../../local/aws-shapes.ts';
import { lambdaContext, mocks, resetMocks, TestClock, testRuntime } from './aws-runtime.ts';

/**
 * Fakes behind the SDK mocks for fault-injection tests: SSM that remembers the commands it accepted
 * (so that ListCommands and GetCommandInvocation answer like SSM), an SQS queue that delivers timer
 * messages when they are due, SNS and CloudWatch that fail on request, and a middleware that makes
 * DynamoDB Local fail the calls a test names.
 */

/** An AWS service error as the SDK raises it: a name, a message, an HTTP status. */
export function awsError(name: string, message: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode, attempts: 1, totalRetryDelay: 0 },
  });
}

// --- DynamoDB ------------------------------------------------------------------------------------

/** One request that reached DynamoDB Local's wire (below the SDK's retries: every try counts). */
export interface DynamoDbCall {
  /** The API operation, from `X-Amz-Target` (`PutItem`, `TransactWriteItems`, `GetItem`, `Query`...). */
  readonly operation: string;
  /** The serialized request body (JSON), for predicates. */
  readonly body: string;
}

/** Which calls to fail, how many times, with what, and where in the SDK's middleware stack. */
export interface DynamoDbFaultRule {
  readonly operation: string | RegExp;
  readonly when?: (call: DynamoDbCall) => boolean;
  /** How many matching calls fail (then the rule is spent). */
  readonly times: number;
  readonly error: (call: DynamoDbCall) => Error;
  /**
   * `below-retry`: the SDK's retry strategy sees the error and retries as it would on AWS (a
   * throttle that fails `times` < maxAttempts tries is absorbed). `above-retry`: the caller sees
   * the error at once, as after the SDK's retries ran out.
   */
  readonly layer: 'below-retry' | 'above-retry';
}

/** Middleware on a DynamoDB client (and so on every DocumentClient built from it) that injects faults. */
export class DynamoDbFaults {
  /** Every try that reached the wire, failed by a rule or not. */
  readonly calls: DynamoDbCall[] = [];
  /** The tries a rule failed. */
  readonly failed: DynamoDbCall[] = [];
  private readonly rules: Array<{ rule: DynamoDbFaultRule; left: number }> = [];
  private readonly client: DynamoDBClient;

  constructor(client: DynamoDBClient) {
    this.client = client;
    client.middlewareStack.add((next) => async (args) => this.intercept('above-retry', args, next), {
      step: 'build',
      priority: 'low',
      name: 'faultInjectionAboveRetry',
    });
    client.middlewareStack.add((next) => async (args) => this.intercept('below-retry', args, next), {
      step: 'finalizeRequest',
      priority: 'low',
      name: 'faultInjectionBelowRetry',
    });
  }

  /** Adds a rule; rules apply in the order added, each until spent. */
  fail(rule: DynamoDbFaultRule): this {
    this.rules.push({ rule, left: rule.times });
    return this;
  }

  /** Drops every rule (spent or not). */
  clear(): void {
    this.rules.length = 0;
  }

  /** The calls of one operation so far. */
  count(operation: string): number {
    return this.calls.filter((c) => c.operation === operation).length;
  }

  /** Removes the middleware. */
  uninstall(): void {
    this.client.middlewareStack.remove('faultInjectionAboveRetry');
    this.client.middlewareStack.remove('faultInjectionBelowRetry');
  }

  private async intercept(
    layer: DynamoDbFaultRule['layer'],
    args: { request?: unknown },
    next: (args: any) => Promise<any>,
  ): Promise<any> {
    const request = args.request as { headers?: Record<string, string>; body?: unknown } | undefined;
    const target = request?.headers?.['x-amz-target'] ?? request?.headers?.['X-Amz-Target'] ?? '';
    const call: DynamoDbCall = {
      operation: target.split('.')[1] ?? 'unknown',
      body: bodyText(request?.body),
    };
    if (layer === 'below-retry') this.calls.push(call);
    const match = this.rules.find(
      ({ rule, left }) =>
        left > 0 &&
        rule.layer === layer &&
        (typeof rule.operation === 'string'
          ? rule.operation === call.operation
          : rule.operation.test(call.operation)) &&
        (rule.when?.(call) ?? true),
    );
    if (match) {
      match.left -= 1;
      this.failed.push(call);
      throw match.rule.error(call);
    }
    return next(args);
  }
}

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  return '';
}

// --- SSM -----------------------------------------------------------------------------------------

/** A command SSM accepted. */
export interface FakeCommand {
  readonly commandId: string;
  readonly instanceId: string;
  readonly comment: string;
  readonly documentName: string;
  readonly input: SendCommandCommandInput;
  readonly requestedAt: number;
}

/** What SendCommand does on one call: refuse, or accept and then lose the answer. */
export type SendFault =
  | { readonly kind: 'refuse'; readonly error: Error }
  | { readonly kind: 'accept-then-fail'; readonly error: Error };

/** SSM Run Command as the handlers see it, on the SDK mock. */
export class FakeSsm {
  /** Every SendCommand call, accepted or not, in order. */
  readonly sendCalls: SendCommandCommandInput[] = [];
  /** The commands SSM accepted (and so ListCommands and GetCommandInvocation know). */
  readonly accepted: FakeCommand[] = [];
  /** Faults for the next SendCommand calls, one per call. */
  readonly sendFaults: SendFault[] = [];
  /** Refuse every SendCommand call with this error (after `sendFaults` are spent). */
  refuseAll: Error | undefined;
  /** What GetCommandInvocation reports of an accepted command. */
  invocation: (command: FakeCommand) => Partial<GetCommandInvocationCommandOutput> | 'does-not-exist' =
    () => ({
      Status: 'Success',
      StatusDetails: 'Success',
      ResponseCode: 0,
      StandardOutputContent: 'done\n',
    });
  getInvocationCalls = 0;
  listCommandsCalls = 0;
  private readonly clock: TestClock;

  constructor(clock: TestClock) {
    this.clock = clock;
  }

  install(): void {
    mocks.ssm.on(SendCommandCommand).callsFake(async (input: SendCommandCommandInput) => {
      this.sendCalls.push(input);
      const fault =
        this.sendFaults.shift() ??
        (this.refuseAll ? ({ kind: 'refuse', error: this.refuseAll } as const) : undefined);
      if (fault?.kind === 'refuse') throw fault.error;
      const command: FakeCommand = {
        commandId: `00000000-0000-4000-8000-${String(this.accepted.length + 1).padStart(12, '0')}`,
        instanceId: input.InstanceIds?.[0] ?? '',
        comment: input.Comment ?? '',
        documentName: input.DocumentName ?? '',
        input,
        requestedAt: this.clock.now(),
      };
      this.accepted.push(command);
      if (fault?.kind === 'accept-then-fail') throw fault.error;
      return { Command: { CommandId: command.commandId, Comment: command.comment, Status: 'Pending' } };
    });
    mocks.ssm
      .on(GetCommandInvocationCommand)
      .callsFake(async (input: { CommandId?: string; InstanceId?: string }) => {
        this.getInvocationCalls += 1;
        const command = this.accepted.find(
          (c) => c.commandId === input.CommandId && c.instanceId === input.InstanceId,
        );
        const answer = command ? this.invocation(command) : 'does-not-exist';
        if (!command || answer === 'does-not-exist') {
          throw new InvocationDoesNotExist({ message: 'InvocationDoesNotExist', $metadata: {} });
        }
        return {
          CommandId: command.commandId,
          InstanceId: command.instanceId,
          Comment: command.comment,
          DocumentName: command.documentName,
          ...answer,
        };
      });
    mocks.ssm.on(ListCommandsCommand).callsFake(async (input: { InstanceId?: string }) => {
      this.listCommandsCalls += 1;
      return {
        Commands: this.accepted
          .filter((c) => c.instanceId === input.InstanceId)
          .map((c) => ({
            CommandId: c.commandId,
            Comment: c.comment,
            DocumentName: c.documentName,
            InstanceIds: [c.instanceId],
            RequestedDateTime: new Date(c.requestedAt),
          })),
      };
    });
  }

  /** How many SendCommand calls each Comment got (an attempt is one Comment). */
  callsPerComment(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const call of this.sendCalls)
      counts.set(call.Comment ?? '', (counts.get(call.Comment ?? '') ?? 0) + 1);
    return counts;
  }

  /** The accepted commands per Comment: more than one is a duplicate command. */
  acceptedPerComment(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const c of this.accepted) counts.set(c.comment, (counts.get(c.comment) ?? 0) + 1);
    return counts;
  }
}

// --- SQS -----------------------------------------------------------------------------------------

/** A timer message on the fake queue. */
export interface QueuedMessage {
  readonly messageId: string;
  readonly body: string;
  visibleAt: number;
  receiveCount: number;
}

/** The timer queue: SendMessage with DelaySeconds; delivered by the test, in order of visibility. */
export class FakeTimerQueue {
  readonly pending: QueuedMessage[] = [];
  /** Every message SQS took. */
  readonly sent: QueuedMessage[] = [];
  /** What the next SendMessage calls do, one per call: fail with the error, or pass (`null`). */
  readonly sendFaults: Array<Error | null> = [];
  sendCalls = 0;
  /** Deliveries made, with what the handler answered. */
  readonly deliveries: Array<{ messageId: string; kind: string; at: number; retried: boolean }> = [];
  private readonly clock: TestClock;
  private counter = 0;

  constructor(clock: TestClock) {
    this.clock = clock;
  }

  install(): void {
    mocks.sqs
      .on(SendMessageCommand)
      .callsFake(async (input: { MessageBody?: string; DelaySeconds?: number }) => {
        this.sendCalls += 1;
        const fault = this.sendFaults.shift();
        if (fault) throw fault;
        this.counter += 1;
        const message: QueuedMessage = {
          messageId: `timer-${this.counter}`,
          body: input.MessageBody ?? '',
          visibleAt: this.clock.now() + (input.DelaySeconds ?? 0) * 1000,
          receiveCount: 0,
        };
        this.pending.push(message);
        this.sent.push(message);
        return { MessageId: message.messageId };
      });
  }

  /** The message SQS would deliver next (earliest visible, then oldest). */
  peek(): QueuedMessage | undefined {
    return [...this.pending].sort((a, b) => a.visibleAt - b.visibleAt)[0];
  }

  /** Takes the next message off the queue without delivering it (for tests that deliver by hand). */
  take(): QueuedMessage | undefined {
    const message = this.peek();
    if (message) this.pending.splice(this.pending.indexOf(message), 1);
    return message;
  }

  /** Puts a message back, visible after the visibility timeout (what SQS does with a reported failure). */
  putBack(message: QueuedMessage, visibilityTimeoutSeconds = 30): void {
    message.visibleAt = this.clock.now() + visibilityTimeoutSeconds * 1000;
    this.pending.push(message);
  }

  /** The messages whose body is a timer of `kind`. */
  ofKind(kind: string): QueuedMessage[] {
    return this.pending.filter((m) => kindOf(m.body) === kind);
  }
}

function kindOf(body: string): string {
  try {
    return String(JSON.parse(body).kind);
  } catch {
    return 'malformed';
  }
}

/** An SQS batch of queued messages, as Lambda's event source mapping delivers it. */
export function sqsBatch(
  messages: readonly Pick<QueuedMessage, 'messageId' | 'body' | 'receiveCount'>[],
): SQSEvent {
  return {
    Records: messages.map((m) => ({
      messageId: m.messageId,
      receiptHandle: `receipt-${m.messageId}`,
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
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

// --- SNS and CloudWatch --------------------------------------------------------------------------

/** The pager topic: Publish calls, the ones SNS took, and faults on request. */
export class FakePager {
  readonly attempts: PublishCommandInput[] = [];
  readonly published: PublishCommandInput[] = [];
  readonly publishFaults: Error[] = [];

  install(): void {
    mocks.sns.on(PublishCommand).callsFake(async (input: PublishCommandInput) => {
      this.attempts.push(input);
      const fault = this.publishFaults.shift();
      if (fault) throw fault;
      this.published.push(input);
      return { MessageId: `page-${this.published.length}` };
    });
  }

  /** Successful pages of one incident (by the `incident_id` attribute), by kind. */
  pagesOf(incidentId: string, page: 'escalation' | 'resolution' = 'escalation'): PublishCommandInput[] {
    return this.published.filter(
      (p) =>
        p.MessageAttributes?.incident_id?.StringValue === incidentId &&
        p.MessageAttributes?.page?.StringValue === page,
    );
  }
}

/** DescribeAlarms, answering each alarm's state (OK unless told otherwise). */
export class FakeAlarms {
  readonly states = new Map<string, AlarmStateValue>();
  calls = 0;

  install(): void {
    mocks.cloudwatch.on(DescribeAlarmsCommand).callsFake(async (input: { AlarmNames?: string[] }) => {
      this.calls += 1;
      const name = input.AlarmNames?.[0] ?? '';
      return { MetricAlarms: [{ AlarmName: name, StateValue: this.states.get(name) ?? 'OK' }] };
    });
  }
}

// --- The harness ---------------------------------------------------------------------------------

/** Everything a fault-injection test drives: the three handlers on one runtime, and the fakes. */
export interface FaultHarness {
  readonly clock: TestClock;
  readonly runtime: Runtime;
  readonly config: HandlerConfig;
  readonly runbook: Runbook;
  readonly ssm: FakeSsm;
  readonly queue: FakeTimerQueue;
  readonly pager: FakePager;
  readonly alarms: FakeAlarms;
  readonly dynamodb: DynamoDbFaults;
  readonly onAlarm: ReturnType<typeof createAlarmHandler>;
  readonly onStatus: ReturnType<typeof createCommandStatusHandler>;
  readonly onTimer: ReturnType<typeof createTimerHandler>;
  /** A "CloudWatch Alarm State Change" of the runbook's alarm on `instanceId`, entering `state` at `at`. */
  alarmEvent(instanceId: string, state: AlarmStateValue, at: number): AwsEvent;
  /** A final "EC2 Command Invocation Status-change Notification" for an accepted command. */
  statusEvent(command: FakeCommand, status: string): AwsEvent;
  /** Loads the incident of the runbook on `instanceId`. */
  incident(instanceId: string): Promise<Incident | undefined>;
  key(instanceId: string): IncidentKey;
  /**
   * Delivers the next due timer message (moving the clock to it) as SQS would: a batch of one, or of
   * two copies of it when `duplicate` (at-least-once delivery). A message the handler reports as
   * failed goes back on the queue.
   */
  deliverNext(options?: { duplicate?: boolean }): Promise<SQSBatchResponse | undefined>;
  /**
   * Delivers timer messages until the system is quiet: nothing queued but the slow checks of
   * escalated or suppressed incidents (hourly, for as long as their alarms stay in ALARM), or `max`
   * deliveries, then throws.
   */
  drain(options?: { max?: number; duplicate?: boolean }): Promise<number>;
}

/**
 * Builds a harness on a fresh DynamoDB Local table, with every mock reset to the fakes.
 * `pageUnmanagedInstances`: the deployment pages for instances without the opt-in tag.
 */
export async function faultHarness(
  runbook: Runbook,
  start: number,
  options: { readonly pageUnmanagedInstances?: boolean } = {},
): Promise<FaultHarness> {
  resetMocks();
  const clock = new TestClock(start);
  const { runtime, config, dynamodb } = await testRuntime({ runbooks: [runbook], clock, ...options });
  const ssm = new FakeSsm(clock);
  const queue = new FakeTimerQueue(clock);
  const pager = new FakePager();
  const alarms = new FakeAlarms();
  for (const fake of [ssm, queue, pager, alarms]) fake.install();
  const onAlarm = createAlarmHandler(runtime);
  const onStatus = createCommandStatusHandler(runtime);
  const onTimer = createTimerHandler(runtime);
  const documentName = config.runbookDocuments[runbook.name] as string;
  // Each instance's alarm is `disk-full-<instance>` (see alarmEvent): its incident is keyed by that alarm.
  const key = (instanceId: string): IncidentKey => ({
    runbook: runbook.name,
    alarm: fnv1a64(alarmArn(`disk-full-${instanceId}`)),
    target: instanceId,
  });

  const deliverNext = async (options: { duplicate?: boolean } = {}) => {
    const message = queue.take();
    if (!message) return undefined;
    clock.value = Math.max(clock.value, message.visibleAt);
    message.receiveCount += 1;
    const copies = options.duplicate
      ? [message, { ...message, messageId: `${message.messageId}-copy` }]
      : [message];
    const response = (await onTimer(sqsBatch(copies), lambdaContext)) as SQSBatchResponse;
    const retried = response.batchItemFailures.some((f) => f.itemIdentifier === message.messageId);
    queue.deliveries.push({
      messageId: message.messageId,
      kind: kindOf(message.body),
      at: clock.now(),
      retried,
    });
    if (retried) queue.putBack(message);
    return response;
  };

  return {
    clock,
    runtime,
    config,
    runbook,
    ssm,
    queue,
    pager,
    alarms,
    dynamodb: new DynamoDbFaults(dynamodb),
    onAlarm,
    onStatus,
    onTimer,
    key,
    alarmEvent: (instanceId, state, at) =>
      alarmStateChange(
        {
          name: `disk-full-${instanceId}`,
          namespace: 'CWAgent',
          metricName: 'disk_used_percent',
          dimensions: { InstanceId: instanceId, path: '/' },
          threshold: 90,
          periodSeconds: 60,
        },
        {
          from: state === 'ALARM' ? 'OK' : 'ALARM',
          to: state,
          at,
          previousAt: at - 600_000,
          value: state === 'ALARM' ? 97 : 40,
        },
      ),
    statusEvent: (command, status) =>
      commandInvocationStatusChange({
        commandId: command.commandId,
        documentName,
        instanceId: command.instanceId,
        requestedAt: command.requestedAt,
        status,
        at: clock.now(),
      }),
    incident: async (instanceId) => {
      const record = await runtime.store.load(key(instanceId));
      return isIncident(record) ? record : undefined;
    },
    deliverNext,
    drain: async ({ max = 60, duplicate = false } = {}) => {
      let delivered = 0;
      while (queue.peek() && queue.pending.some((m) => kindOf(m.body) !== 'check')) {
        if (delivered >= max) throw new Error(`the timer queue did not drain in ${max} deliveries`);
        await deliverNext({ duplicate });
        delivered += 1;
      }
      return delivered;
    },
  };
}
