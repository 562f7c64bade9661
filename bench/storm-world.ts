/**
 * The alarm storm's world (bench/alarm-storm.ts): SSM, SQS, SNS and CloudWatch as the runtime sees
 * them through the SDK mocks, a queue of happenings by due time, and the times the model assumes.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { PublishCommand, type PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, type SendMessageCommandInput, SQSClient } from '@aws-sdk/client-sqs';
import {
  GetCommandInvocationCommand,
  type GetCommandInvocationCommandInput,
  InvocationDoesNotExist,
  ListCommandsCommand,
  type ListCommandsCommandInput,
  SendCommandCommand,
  type SendCommandCommandInput,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import type { Clock } from '../functions/core/ports.ts';
import type { CallCounter } from './harness.ts';

/** How long a remediation command runs on its instance before SSM reports it `Success`. */
export const COMMAND_SECONDS = 60;
/** How long after its command finishes an instance's alarm returns to OK (the metric's next evaluations). */
export const RECOVERY_SECONDS = 30;
/** How long after an escalation page the on-call engineer has fixed the instance by hand. */
export const HUMAN_FIX_SECONDS = 600;

/** A command SSM accepted, and when it finishes. */
export interface SentCommand {
  readonly commandId: string;
  readonly instanceId: string;
  readonly comment: string;
  readonly documentName: string;
  readonly sentAt: number;
  readonly finishAt: number;
}

/** A message on the timer queue. */
export interface QueuedMessage {
  readonly messageId: string;
  readonly body: string;
  receiveCount: number;
}

export interface TimerDelivery {
  readonly kind: 'timer';
  readonly at: number;
  readonly message: QueuedMessage;
}
export interface StatusDelivery {
  readonly kind: 'command-status';
  readonly at: number;
  readonly command: SentCommand;
  readonly tries: number;
}
export interface AlarmOkDelivery {
  readonly kind: 'alarm-ok';
  readonly at: number;
  readonly instanceId: string;
  /** When the alarm entered OK (the event's state timestamp). */
  readonly okAt: number;
  readonly tries: number;
}
/** Something the world delivers to a handler at a time: a timer message, a command's end, an alarm's return to OK. */
export type Happening = TimerDelivery | StatusDelivery | AlarmOkDelivery;

/** A page as SNS took it. */
export interface SentPage {
  readonly page: string;
  readonly incidentId: string;
  readonly at: number;
}

/**
 * SSM, SQS, SNS and CloudWatch as the runtime sees them, on the SDK mocks (replacing the harness's
 * counting mocks of the same operations, and counting the same way): commands that run and succeed,
 * a timer queue that delivers when due, pages that wake a human, alarms that clear after a fix.
 */
export class World {
  readonly due = new DueQueue<Happening>();
  readonly commands: SentCommand[] = [];
  readonly pages: SentPage[] = [];
  /** Timer messages that failed `MAX_RECEIVES` times (SQS moves them to the dead-letter queue). */
  readonly deadLetters: QueuedMessage[] = [];
  /** Events whose invocation failed after Lambda's asynchronous retries (the on-failure destination). */
  readonly undelivered: Array<StatusDelivery | AlarmOkDelivery> = [];
  /** When each instance's alarm returns (or returned) to OK. */
  private readonly okAt = new Map<string, number>();
  private readonly byId = new Map<string, SentCommand>();
  private readonly clock: Clock;
  private readonly counter: CallCounter;
  private messages = 0;

  constructor(clock: Clock, counter: CallCounter) {
    this.clock = clock;
    this.counter = counter;
  }

  install(): void {
    const ssm = mockClient(SSMClient);
    ssm.on(SendCommandCommand).callsFake((input: SendCommandCommandInput) => this.sendCommand(input));
    ssm
      .on(GetCommandInvocationCommand)
      .callsFake((input: GetCommandInvocationCommandInput) => this.invocation(input));
    ssm.on(ListCommandsCommand).callsFake((input: ListCommandsCommandInput) => {
      this.counter.add('ssm:ListCommands');
      return {
        Commands: this.commands
          .filter((c) => c.instanceId === input.InstanceId)
          .map((c) => ({
            CommandId: c.commandId,
            Comment: c.comment,
            DocumentName: c.documentName,
            InstanceIds: [c.instanceId],
            RequestedDateTime: new Date(c.sentAt),
          })),
      };
    });
    mockClient(SQSClient)
      .on(SendMessageCommand)
      .callsFake((input: SendMessageCommandInput) => {
        this.counter.add('sqs:SendMessage');
        this.messages += 1;
        const message: QueuedMessage = {
          messageId: `timer-${this.messages}`,
          body: input.MessageBody ?? '',
          receiveCount: 0,
        };
        this.due.push({
          kind: 'timer',
          at: this.clock.now() + (input.DelaySeconds ?? 0) * 1000,
          message,
        });
        return { MessageId: message.messageId };
      });
    mockClient(SNSClient)
      .on(PublishCommand)
      .callsFake((input: PublishCommandInput) => {
        this.counter.add('sns:Publish');
        const page = input.MessageAttributes?.page?.StringValue ?? 'unknown';
        const incidentId = input.MessageAttributes?.incident_id?.StringValue ?? '';
        this.pages.push({ page, incidentId, at: this.clock.now() });
        // The incident id is `<alarm hash>.<target>.<stamp>`; the target here is the instance.
        const instance = incidentId.split('.')[1];
        if (page === 'escalation' && instance)
          this.recovers(instance, this.clock.now() + HUMAN_FIX_SECONDS * 1000);
        return { MessageId: `page-${this.pages.length}` };
      });
    mockClient(CloudWatchClient)
      .on(DescribeAlarmsCommand)
      .callsFake((input: { AlarmNames?: string[] }) => {
        this.counter.add('cloudwatch:DescribeAlarms');
        const name = input.AlarmNames?.[0] ?? '';
        const okAt = this.okAt.get(name.replace(/^cpu-high-/, ''));
        const state = okAt !== undefined && okAt <= this.clock.now() ? 'OK' : 'ALARM';
        return { MetricAlarms: [{ AlarmName: name, StateValue: state }] };
      });
  }

  /** SSM accepts the command; it runs for `COMMAND_SECONDS` and fixes the instance. */
  private sendCommand(input: SendCommandCommandInput) {
    this.counter.add('ssm:SendCommand');
    const sentAt = this.clock.now();
    const command: SentCommand = {
      commandId: `00000000-0000-4000-8000-${String(this.commands.length + 1).padStart(12, '0')}`,
      instanceId: input.InstanceIds?.[0] ?? '',
      comment: input.Comment ?? '',
      documentName: input.DocumentName ?? '',
      sentAt,
      finishAt: sentAt + COMMAND_SECONDS * 1000,
    };
    this.commands.push(command);
    this.byId.set(command.commandId, command);
    this.due.push({ kind: 'command-status', at: command.finishAt, command, tries: 0 });
    this.recovers(command.instanceId, command.finishAt + RECOVERY_SECONDS * 1000);
    return { Command: { CommandId: command.commandId, Comment: command.comment, Status: 'Pending' } };
  }

  /** GetCommandInvocation: in progress until the command's end, then `Success`. */
  private invocation(input: GetCommandInvocationCommandInput) {
    this.counter.add('ssm:GetCommandInvocation');
    const command = input.CommandId ? this.byId.get(input.CommandId) : undefined;
    if (!command || command.instanceId !== input.InstanceId)
      throw new InvocationDoesNotExist({ message: 'InvocationDoesNotExist', $metadata: {} });
    const finished = this.clock.now() >= command.finishAt;
    return {
      CommandId: command.commandId,
      InstanceId: command.instanceId,
      Comment: command.comment,
      DocumentName: command.documentName,
      Status: finished ? 'Success' : 'InProgress',
      StatusDetails: finished ? 'Success' : 'InProgress',
      ...(finished
        ? {
            ResponseCode: 0,
            StandardOutputContent: 'load shed\n',
            ExecutionEndDateTime: new Date(command.finishAt).toISOString(),
          }
        : {}),
    };
  }

  /** The instance's alarm returns to OK at `at`, unless it already does earlier. */
  private recovers(instance: string, at: number): void {
    if (this.okAt.has(instance)) return;
    this.okAt.set(instance, at);
    this.due.push({ kind: 'alarm-ok', at, instanceId: instance, okAt: at, tries: 0 });
  }
}

/**
 * The runtime's clock: real time during the storm, then frozen at the moment the drain starts and
 * moved on by the benchmark only.
 */
/** A min-heap of happenings by due time (first pushed first among equals). */
export class DueQueue<T extends { readonly at: number }> {
  private readonly heap: Array<{ item: T; seq: number }> = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(item: T): void {
    this.heap.push({ item, seq: this.seq++ });
    let i = this.heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  peek(): T | undefined {
    return this.heap[0]?.item;
  }

  /** Removes and returns everything due at or before `now`, earliest first. */
  takeDue(now: number): T[] {
    const taken: T[] = [];
    while ((this.heap[0]?.item.at ?? Number.POSITIVE_INFINITY) <= now) taken.push(this.pop() as T);
    return taken;
  }

  private pop(): T | undefined {
    const top = this.heap[0];
    const last = this.heap.pop();
    if (!top || !last || this.heap.length === 0) return top?.item;
    this.heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < this.heap.length && this.before(left, least)) least = left;
      if (right < this.heap.length && this.before(right, least)) least = right;
      if (least === i) break;
      this.swap(i, least);
      i = least;
    }
    return top.item;
  }

  private before(a: number, b: number): boolean {
    const x = this.heap[a] as { item: T; seq: number };
    const y = this.heap[b] as { item: T; seq: number };
    return x.item.at < y.item.at || (x.item.at === y.item.at && x.seq < y.seq);
  }

  private swap(a: number, b: number): void {
    const x = this.heap[a] as { item: T; seq: number };
    this.heap[a] = this.heap[b] as { item: T; seq: number };
    this.heap[b] = x;
  }
}

// --- Small helpers -------------------------------------------------------------------------------

/** The storm's shape: ALARM events, instances, concurrent invocations, and the runbook's limit in flight. */
export const EVENTS = 10_000;
export const INSTANCES = 2_000;
/** Concurrent invocations, as Lambda would run the alarm function under a storm (its reserved concurrency). */
export const PARALLELISM = 50;
export const LIMIT = 50;
