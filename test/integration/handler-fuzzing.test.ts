import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { PublishCommand } from '@aws-sdk/client-sns';
import {
  GetCommandInvocationCommand,
  type GetCommandInvocationCommandOutput,
  InvocationDoesNotExist,
  ListCommandsCommand,
  SendCommandCommand,
  type SendCommandCommandInput,
} from '@aws-sdk/client-ssm';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FINAL_INVOCATION_STATUSES } from '../../functions/core/event-patterns.ts';
import { fnv1a64 } from '../../functions/core/identity.ts';
import type { IncidentKey } from '../../functions/core/incident.ts';
import type { TimerMessage } from '../../functions/core/inputs.ts';
import { defineRunbook, type Runbook } from '../../functions/core/runbook.ts';
import { createAlarmHandler, type HandlerResult } from '../../functions/handlers/alarm-handler.ts';
import { createCommandStatusHandler } from '../../functions/handlers/command-status-handler.ts';
import type { HandlerConfig } from '../../functions/handlers/config.ts';
import type { Runtime } from '../../functions/handlers/runtime.ts';
import { queuedTimer } from '../../functions/handlers/schemas.ts';
import { createTimerHandler } from '../../functions/handlers/timer-handler.ts';
import { alarmArn, alarmStateChange, commandInvocationStatusChange } from '../../local/aws-shapes.ts';
import {
  lambdaContext,
  loadIncident,
  mocks,
  resetMocks,
  sampleEvent,
  TestClock,
  testRuntime,
} from '../support/aws-runtime.ts';
import { DynamoDbFaults, sqsBatch } from '../support/fault-harness.ts';
import { keyFor, T0 } from '../support/fixtures.ts';
import {
  expectPagesWithinSnsLimits,
  expectSafeSendCommands,
  fuzzString,
  HOSTILE,
  instanceId,
  type Mutation,
  mutate,
  mutations,
  retarget,
  weirdValue,
} from '../support/fuzz-inputs.ts';

/**
 * Fuzzing every handler's input with fast-check, on DynamoDB Local with SDK mocks: malformed JSON,
 * AWS's sample events with fields dropped, truncated or replaced by wrong types, oversized and
 * hostile strings. Properties, for every input:
 * - the handler answers, never throws (alarm and command-status: `rejected`, `ignored`, `absorbed`
 *   or `processed`; timer: a batch response that reports no message for retry, since only the
 *   messages are at fault and every AWS call succeeds);
 * - a rejected event makes no AWS call and no DynamoDB call at all (so it writes no incident and
 *   sends no command); an ignored one writes nothing and sends nothing;
 * - every SendCommand carries the runbook's document, one valid instance id, the runbook's action
 *   and timeout and only its declared parameters, each matching its allowedPattern, and no hostile
 *   value anywhere; every page fits SNS's limits.
 * Run counts and time are bounded per property (`numRuns`, and a time limit as a backstop).
 */

/** Answers nearly every alarm name, and the metrics of AWS's samples. */
const anyAlarm = defineRunbook({
  name: 'fuzz-any',
  description: 'Answers what the fuzzer sends.',
  owner: 'test',
  match: {
    alarmNames: [
      '*e*',
      '*a*',
      '*o*',
      '*i*',
      '*u*',
      '*E*',
      '*A*',
      '*O*',
      '*I*',
      '*-*',
      '* *',
      '*$*',
      '*;*',
      '*`*',
      '*1*',
    ],
    metrics: [
      { namespace: 'AWS/EC2', metricName: 'CPUUtilization' },
      { namespace: 'AWS/EC2', metricName: 'NetworkIn' },
    ],
  },
  remediate: 'remediate.sh',
  maxAttempts: 2,
  backoff: { baseSeconds: 60, capSeconds: 600 },
  verifyWindowSeconds: 300,
  executionTimeoutSeconds: 120,
  deliveryTimeoutSeconds: 60,
  pageWithin: { seconds: 3600, reason: 'round numbers that keep expected times easy to read in tests' },
  breaker: false,
  autoDisable: false,
  concurrency: { maxInFlight: 1000, maxPerHour: 100_000 },
});

/** Takes two values from the alarm (a dimension and a tag) and diagnoses first. */
const svcRestart = defineRunbook({
  ...anyAlarm,
  name: 'svc-restart',
  match: { alarmNames: ['svc-*'] },
  remediate: undefined,
  actions: [{ name: 'restart', script: 'restart.sh' }],
  diagnose: 'diagnose.sh',
  parameters: {
    service: {
      description: 'the unit to restart',
      allowedPattern: '^[a-z0-9][a-z0-9@._-]{0,63}$',
      default: 'app',
      fromAlarm: { dimension: 'service' },
    },
    team: {
      description: 'the owner',
      allowedPattern: '^[a-z][a-z-]{0,31}$',
      default: 'ops',
      fromAlarm: { tag: 'team' },
    },
  },
});

const RUNBOOKS: readonly Runbook[] = [anyAlarm, svcRestart];
const OUTCOMES = ['rejected', 'ignored', 'absorbed', 'processed'];
const WRITES = /^(PutItem|TransactWriteItems|UpdateItem|DeleteItem|BatchWriteItem)$/;
const SAMPLE_TIME = Date.parse('2019-10-02T17:04:42Z');

/** fast-check options: a fixed number of runs, and a time limit as a backstop on slow machines. */
const runs = (numRuns: number) => ({
  numRuns,
  interruptAfterTimeLimit: 12_000,
  markInterruptAsFailure: false,
});

/** What the fuzzed invocations did, for the report at the end (`FUZZ_STATS=1`). */
const stats = new Map<string, number>();
const count = (name: string) => stats.set(name, (stats.get(name) ?? 0) + 1);
afterAll(() => {
  if (process.env.FUZZ_STATS) console.info(Object.fromEntries([...stats].sort()));
});

interface World {
  readonly clock: TestClock;
  readonly runtime: Runtime;
  readonly config: HandlerConfig;
  readonly watch: DynamoDbFaults;
  readonly commands: Array<{ commandId: string; instanceId: string; comment: string; documentName: string }>;
  invocation: Partial<GetCommandInvocationCommandOutput>;
  readonly onAlarm: ReturnType<typeof createAlarmHandler>;
  readonly onStatus: ReturnType<typeof createCommandStatusHandler>;
  readonly onTimer: ReturnType<typeof createTimerHandler>;
}

/** A runtime on a fresh table; SSM remembers the commands it accepted and answers for them. */
async function world(): Promise<World> {
  resetMocks();
  const clock = new TestClock(T0);
  const { runtime, config, dynamodb } = await testRuntime({ runbooks: RUNBOOKS, clock });
  const w: World = {
    clock,
    runtime,
    config,
    watch: new DynamoDbFaults(dynamodb),
    commands: [],
    invocation: { Status: 'Success', ResponseCode: 0 },
    onAlarm: createAlarmHandler(runtime),
    onStatus: createCommandStatusHandler(runtime),
    onTimer: createTimerHandler(runtime),
  };
  mocks.ssm.on(SendCommandCommand).callsFake(async (input: SendCommandCommandInput) => {
    const commandId = `00000000-0000-4000-8000-${String(w.commands.length + 1).padStart(12, '0')}`;
    w.commands.push({
      commandId,
      instanceId: input.InstanceIds?.[0] ?? '',
      comment: input.Comment ?? '',
      documentName: input.DocumentName ?? '',
    });
    return { Command: { CommandId: commandId } };
  });
  mocks.ssm
    .on(GetCommandInvocationCommand)
    .callsFake(async (input: { CommandId?: string; InstanceId?: string }) => {
      const command = w.commands.find(
        (c) => c.commandId === input.CommandId && c.instanceId === input.InstanceId,
      );
      if (!command) throw new InvocationDoesNotExist({ message: 'InvocationDoesNotExist', $metadata: {} });
      return {
        CommandId: command.commandId,
        InstanceId: command.instanceId,
        Comment: command.comment,
        ...w.invocation,
      };
    });
  mocks.ssm.on(ListCommandsCommand).resolves({ Commands: [] });
  mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ StateValue: 'OK' }] });
  return w;
}

/** Clears the call history of every mock and of DynamoDB, before one fuzzed invocation. */
function clearHistory(w: World): void {
  for (const mock of Object.values(mocks)) mock.resetHistory();
  w.watch.calls.length = 0;
}

function awsCalls(): number {
  return Object.values(mocks).reduce((n, mock) => n + mock.calls().length, 0);
}

function sentCommands(): SendCommandCommandInput[] {
  return mocks.ssm.commandCalls(SendCommandCommand).map((call) => call.args[0].input);
}

/** The properties every alarm or command-status invocation must hold. */
function expectHandled(w: World, result: HandlerResult | undefined, handler: string): void {
  expect(OUTCOMES).toContain(result?.outcome);
  count(`${handler}.${result?.outcome}`);
  if (sentCommands().length > 0) count(`${handler}.sent-command`);
  if (result?.outcome === 'rejected') {
    expect(w.watch.calls, 'a rejected event touches no table').toEqual([]);
    expect(awsCalls(), 'a rejected event calls no AWS API').toBe(0);
  }
  if (result?.outcome === 'ignored') {
    expect(w.watch.calls.filter((c) => WRITES.test(c.operation))).toEqual([]);
    expect(sentCommands()).toEqual([]);
  }
  expectSafeSendCommands(sentCommands(), RUNBOOKS, w.config.runbookDocuments);
  expectPagesWithinSnsLimits(mocks.sns.commandCalls(PublishCommand).map((call) => call.args[0].input));
}

describe('fuzzing the alarm handler', () => {
  let w: World;
  let samples: Record<string, unknown>[];

  beforeAll(async () => {
    w = await world();
    samples = await Promise.all(
      [
        'cloudwatch-alarm-state-change.single-metric.json',
        'cloudwatch-alarm-state-change.single-metric-muted.json',
        'cloudwatch-alarm-state-change.metric-math.json',
        'cloudwatch-alarm-state-change.anomaly-detection.json',
        'cloudwatch-alarm-state-change.composite-suppressor.json',
        'cloudwatch-alarm-state-change.initial.json',
        'cloudwatch-alarm-configuration-change.json',
      ].map(sampleEvent),
    );
    w.clock.value = SAMPLE_TIME;
  });

  async function invoke(event: unknown): Promise<HandlerResult> {
    clearHistory(w);
    return (await w.onAlarm(event, lambdaContext)) as HandlerResult;
  }

  it('rejects any JSON value that is not an alarm event, without a call to AWS or DynamoDB', async () => {
    const garbage = fc.oneof(
      fc.jsonValue(),
      fc.record(
        {
          source: fc.oneof(fc.constant('aws.cloudwatch'), fuzzString),
          'detail-type': fc.oneof(fc.constant('CloudWatch Alarm State Change'), fuzzString),
          detail: weirdValue,
          resources: weirdValue,
        },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(garbage, async (event) => {
        count('alarm.garbage.runs');
        const result = await invoke(event);
        expect(result.outcome).toBe('rejected');
        expectHandled(w, result, 'alarm.garbage');
      }),
      runs(300),
    );
  });

  const alarmTargets: readonly (readonly (string | number)[])[] = [
    ['detail', 'alarmName'],
    ['detail', 'state', 'value'],
    ['detail', 'state', 'timestamp'],
    ['detail', 'state', 'reason'],
    ['detail', 'previousState'],
    ['detail', 'configuration', 'metrics', 0, 'metricStat', 'metric', 'dimensions', 'InstanceId'],
    ['detail', 'configuration', 'metrics', 0, 'metricStat', 'metric', 'dimensions'],
    ['detail', 'configuration', 'metrics', 0, 'metricStat', 'metric', 'namespace'],
    ['detail', 'configuration', 'metrics'],
    ['detail', 'configuration', 'alarmRule'],
    ['detail', 'alarmTags'],
    ['detail', 'muteDetail'],
    ['resources', 0],
    ['resources'],
    ['account'],
    ['region'],
    ['source'],
    ['detail-type'],
    ['id'],
    ['time'],
    ['detail'],
  ];

  it('answers every mutation of the published samples (fields dropped, truncated, replaced) without throwing', async () => {
    const cases = fc.record({
      sample: fc.nat(),
      instance: fc.option(instanceId, { freq: 3 }),
      changes: fc.oneof(
        { arbitrary: fc.constant([] as Mutation[]), weight: 1 },
        { arbitrary: mutations(alarmTargets), weight: 4 },
      ),
    });
    await fc.assert(
      fc.asyncProperty(cases, async ({ sample, instance, changes }) => {
        count('alarm.mutated.runs');
        const base = structuredClone(samples[sample % samples.length]);
        const event = mutate(instance ? retarget(base, instance) : base, changes);
        const result = await invoke(event);
        expectHandled(w, result, 'alarm.mutated');
      }),
      runs(300),
    );
    // The fuzzer reached every outcome, and sent commands: the properties were not vacuous.
    for (const outcome of ['rejected', 'ignored', 'processed', 'sent-command'])
      expect(stats.get(`alarm.mutated.${outcome}`), outcome).toBeGreaterThan(0);
  });

  it('sends a value from the alarm only as a parameter that matches its allowedPattern', async () => {
    const valid = (value: string | null, pattern: RegExp) => value === null || pattern.test(value);
    const cases = fc.record({
      instance: instanceId,
      name: fc.oneof(
        fc.constant('svc-web'),
        fuzzString.map((s) => `svc-${s}`),
      ),
      service: fc.option(fc.oneof(fc.constantFrom('nginx', 'api@1', 'web.app_1'), fuzzString)),
      team: fc.option(fc.oneof(fc.constantFrom('web', 'platform-team'), fuzzString)),
      reason: fuzzString,
    });
    await fc.assert(
      fc.asyncProperty(cases, async ({ instance, name, service, team, reason }) => {
        count('alarm.hostile.runs');
        w.clock.value += 1000;
        const event: any = alarmStateChange(
          {
            name,
            namespace: 'App',
            metricName: 'Up',
            dimensions: { InstanceId: instance, ...(service === null ? {} : { service }) },
            threshold: 1,
            periodSeconds: 60,
          },
          { from: 'OK', to: 'ALARM', at: w.clock.now() - 500, previousAt: w.clock.now() - 60_000, value: 0 },
        );
        event.detail.state.reason = reason;
        if (team !== null) event.detail.alarmTags = { team };

        const result = await invoke(event);

        expectHandled(w, result, 'alarm.hostile');
        if (result.outcome === 'rejected') return;
        const accepted =
          valid(service, /^[a-z0-9][a-z0-9@._-]{0,63}$/u) && valid(team, /^[a-z][a-z-]{0,31}$/u);
        const sent = sentCommands();
        if (accepted) {
          // Diagnose first, with the values the alarm gave (or the defaults).
          expect(sent.map((s) => s.Parameters)).toEqual([
            {
              action: ['diagnose'],
              executionTimeout: ['120'],
              service: [service ?? 'app'],
              team: [team ?? 'ops'],
            },
          ]);
        } else {
          expect(sent).toEqual([]);
          expect(mocks.sns.commandCalls(PublishCommand)).toHaveLength(1);
        }
      }),
      runs(200),
    );
    expect(stats.get('alarm.hostile.sent-command')).toBeGreaterThan(0);
  });

  it('processes an event near EventBridge’s 256 KB limit, full of dimensions and tags', async () => {
    const instance = 'i-0f0f0f0f0f0f0f0f0';
    const event: any = retarget(structuredClone(samples[0]), instance);
    const dimensions = event.detail.configuration.metrics[0].metricStat.metric.dimensions;
    for (let i = 0; i < 110; i++)
      dimensions[`d${i}-${'k'.repeat(60)}`] = `${HOSTILE[i % HOSTILE.length]}${'v'.repeat(900)}`;
    event.detail.alarmTags = Object.fromEntries(
      Array.from({ length: 300 }, (_, i) => [`t${i}${'k'.repeat(100)}`, 'v'.repeat(250)]),
    );
    expect(Buffer.byteLength(JSON.stringify(event))).toBeGreaterThan(200_000);
    expect(Buffer.byteLength(JSON.stringify(event))).toBeLessThan(256 * 1024);

    const result = await invoke(event);

    expect(result.outcome).toBe('processed');
    expectHandled(w, result, 'alarm.large');
    expect(sentCommands()).toHaveLength(1);
  });

  // Found by this fuzzing: the schema accepted an empty dimension name or tag key, which reached the
  // incident and made DynamoDB refuse the item ("Empty attribute name"): the handler threw, Lambda
  // retried an event that could never succeed, and nobody was paged. The schema now refuses empty
  // keys (CloudWatch's dimension names and tag keys have at least one character).
  it('rejects an alarm with an empty dimension name or tag key, with a reason, instead of throwing', async () => {
    for (const patch of [
      (e: any) => {
        e.detail.configuration.metrics[0].metricStat.metric.dimensions[''] = 'x';
      },
      (e: any) => {
        e.detail.alarmTags = { '': 'x' };
      },
    ]) {
      const event: any = retarget(structuredClone(samples[0]), 'i-0e0e0e0e0e0e0e0e0');
      patch(event);
      w.clock.value += 1000;
      event.detail.state.timestamp = new Date(w.clock.now()).toISOString().replace('Z', '+0000');

      const result = await invoke(event);

      expect(result.outcome).toBe('rejected');
      expect(result.reason).toMatch(/dimensions|alarmTags/);
    }
  });
});

describe('fuzzing the command-status handler', () => {
  let w: World;
  let samples: Record<string, unknown>[];
  let live: () => Array<{ commandId: string; instanceId: string; documentName: string }>;

  beforeAll(async () => {
    w = await world();
    samples = await Promise.all(
      ['ssm-command-invocation-status-change.json', 'ssm-command-status-change.json'].map(sampleEvent),
    );
    live = () => w.commands;
  });

  async function open(name: string, instance: string): Promise<void> {
    w.clock.value += 1000;
    const event = alarmStateChange(
      {
        name,
        namespace: 'App',
        metricName: 'Up',
        dimensions: { InstanceId: instance, service: 'nginx' },
        threshold: 1,
        periodSeconds: 60,
      },
      { from: 'OK', to: 'ALARM', at: w.clock.now() - 500, previousAt: w.clock.now() - 60_000, value: 0 },
    );
    await w.onAlarm(event, lambdaContext);
  }

  async function invoke(event: unknown): Promise<HandlerResult> {
    clearHistory(w);
    return (await w.onStatus(event, lambdaContext)) as HandlerResult;
  }

  it('rejects any JSON value that is not a command invocation event, without a call', async () => {
    const garbage = fc.oneof(
      fc.jsonValue(),
      fc.record(
        {
          source: fc.oneof(fc.constant('aws.ssm'), fuzzString),
          'detail-type': fc.oneof(
            fc.constant('EC2 Command Invocation Status-change Notification'),
            fuzzString,
          ),
          account: fc.oneof(fc.constant('123456789012'), fuzzString),
          detail: weirdValue,
        },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(garbage, async (event) => {
        count('status.garbage.runs');
        const result = await invoke(event);
        expect(result.outcome).toBe('rejected');
        expectHandled(w, result, 'status.garbage');
      }),
      runs(300),
    );
  });

  it('answers mutated status events, for live commands and unknown ones, with any SSM output', async () => {
    const statuses = [...FINAL_INVOCATION_STATUSES, 'InProgress', 'Pending', 'Delayed'];
    const values = fc.oneof(
      weirdValue,
      fc.constantFrom(...statuses),
      fc.constantFrom('Remediation-Test-fuzz-any', 'Remediation-Test-svc-restart', 'AWS-RunShellScript'),
      fc.constantFrom('e8d3c0e4-71f7-4491-898f-c9b35bee5f3b', 'i-9bb89e2b', 'i-0123456789abcdef0'),
    );
    const cases = fc.record({
      base: fc.oneof(
        {
          arbitrary: fc.record({ live: fc.nat(), fresh: fc.boolean(), status: fc.constantFrom(...statuses) }),
          weight: 3,
        },
        { arbitrary: fc.record({ sample: fc.nat() }), weight: 1 },
      ),
      changes: fc.oneof(
        { arbitrary: fc.constant([] as Mutation[]), weight: 2 },
        {
          arbitrary: mutations(
            [
              ['detail', 'command-id'],
              ['detail', 'document-name'],
              ['detail', 'instance-id'],
              ['detail', 'status'],
              ['detail'],
              ['source'],
              ['detail-type'],
              ['account'],
              ['region'],
              ['id'],
            ],
            values,
          ),
          weight: 3,
        },
      ),
      // GetCommandInvocation's output as SSM bounds it: StatusDetails is one of SSM's short detailed
      // statuses (hostile text here, cut to 100 characters); stdout and stderr go past SSM's 24,000
      // and 8,000 characters, since the attempt keeps only their tails.
      invocation: fc.record(
        {
          Status: fc.constantFrom(...statuses),
          StatusDetails: fuzzString.map((s) => s.slice(0, 100)),
          ResponseCode: fc.integer({ min: -1, max: 255 }),
          StandardOutputContent: fuzzString,
          StandardErrorContent: fuzzString,
          ExecutionEndDateTime: fc.oneof(fc.constant('2026-11-21T03:05:00.000Z'), fuzzString),
        },
        { requiredKeys: ['Status'] },
      ),
    });
    let opened = 0;
    await fc.assert(
      fc.asyncProperty(cases, async ({ base, changes, invocation }) => {
        count('status.mutated.runs');
        let event: unknown;
        if ('live' in base) {
          if (base.fresh || live().length === 0) {
            opened += 1;
            const instance = `i-${String(opened).padStart(17, '0')}`;
            await open(opened % 2 ? `svc-${opened}` : `any-${opened}`, instance);
          }
          const command = live()[base.live % live().length];
          if (!command) throw new Error('no command');
          event = commandInvocationStatusChange({
            ...command,
            requestedAt: w.clock.now() - 5000,
            status: base.status,
            at: w.clock.now(),
          });
        } else {
          event = structuredClone(samples[base.sample % samples.length]);
        }
        w.invocation = invocation as Partial<GetCommandInvocationCommandOutput>;

        const result = await invoke(mutate(event, changes));

        expectHandled(w, result, 'status.mutated');
      }),
      runs(250),
    );
    for (const outcome of ['rejected', 'ignored', 'processed', 'absorbed', 'sent-command'])
      expect(stats.get(`status.mutated.${outcome}`), outcome).toBeGreaterThan(0);
  });
});

describe('fuzzing the timer handler with SQS batches', () => {
  let w: World;
  const keys: IncidentKey[] = [];
  /** The alarm of each key (an incident is one alarm's, on one instance). */
  const alarmNames: string[] = [];

  beforeAll(async () => {
    w = await world();
    for (let i = 1; i <= 6; i++) {
      const instance = `i-${String(i).padStart(17, 'a')}`;
      const name = i % 2 ? `any-${i}` : `svc-${i}`;
      keys.push(keyFor(i % 2 ? anyAlarm.name : svcRestart.name, instance, alarmArn(name)));
      alarmNames.push(name);
      const event = alarmStateChange(
        {
          name,
          namespace: 'App',
          metricName: 'Up',
          dimensions: { InstanceId: instance },
          threshold: 1,
          periodSeconds: 60,
        },
        { from: 'OK', to: 'ALARM', at: T0 - 1000, previousAt: T0 - 60_000, value: 0 },
      );
      await w.onAlarm(event, lambdaContext);
    }
  });

  /** A timer body: raw text, or the current timer of a live incident, mutated or cut. */
  type BodySpec =
    | { readonly raw: string }
    | {
        readonly live: number;
        readonly changes: readonly Mutation[];
        readonly cut: number | null;
        readonly due: boolean;
      };

  const timerTargets: readonly (readonly (string | number)[])[] = [
    ['key'],
    ['key', 'runbook'],
    ['key', 'alarm'],
    ['key', 'target'],
    ['incidentId'],
    ['kind'],
    ['token'],
    ['dueAt'],
    ['runbook'],
    ['openedAt'],
  ];
  const timerValues = fc.oneof(
    weirdValue,
    fc.constantFrom(
      'retry',
      'verify-deadline',
      'reconcile',
      'check',
      'breaker',
      anyAlarm.name,
      svcRestart.name,
      fnv1a64(alarmArn('any-1')),
    ),
    fc.constantFrom(0, -1, 1.5, 1e300, Number.MAX_SAFE_INTEGER, T0, T0 + 3_600_000),
  );
  const bodySpec: fc.Arbitrary<BodySpec> = fc.oneof(
    { arbitrary: fc.record({ raw: fuzzString }), weight: 2 },
    { arbitrary: fc.record({ raw: fc.jsonValue().map((v) => JSON.stringify(v)) }), weight: 1 },
    {
      arbitrary: fc.record({
        raw: fc
          .record({
            key: fc.record({
              runbook: fc.constantFrom(anyAlarm.name, svcRestart.name, 'gone'),
              alarm: fc.oneof(
                fc.constantFrom(fnv1a64(alarmArn('any-1')), fnv1a64(alarmArn('svc-2')), '0000000000000000'),
                fuzzString,
              ),
              target: fc.oneof(instanceId, fuzzString),
            }),
            incidentId: fuzzString,
            kind: fc.constantFrom('retry', 'verify-deadline', 'reconcile', 'check', 'breaker'),
            token: fuzzString,
            runbook: fc.constantFrom(anyAlarm.name, svcRestart.name),
            openedAt: fc.nat(),
            dueAt: fc.oneof(fc.constant(T0), fc.nat(), fc.constantFrom(1e300, Number.MAX_SAFE_INTEGER)),
          })
          .map((timer) => JSON.stringify(timer)),
      }),
      weight: 1,
    },
    {
      arbitrary: fc.record({
        live: fc.nat(),
        changes: fc.oneof(
          { arbitrary: fc.constant([] as Mutation[]), weight: 2 },
          { arbitrary: mutations(timerTargets, timerValues), weight: 1 },
        ),
        cut: fc.oneof({ arbitrary: fc.constant(null), weight: 3 }, { arbitrary: fc.nat(), weight: 1 }),
        due: fc.boolean(),
      }),
      weight: 4,
    },
  );

  /** Opens the incident on a key again (a new episode once it closed), so that timers keep coming. */
  async function reopen(index: number): Promise<void> {
    const key = keys[index % keys.length] as IncidentKey;
    await w.onAlarm(
      alarmStateChange(
        {
          name: alarmNames[index % keys.length] as string,
          namespace: 'App',
          metricName: 'Up',
          dimensions: { InstanceId: key.target },
          threshold: 1,
          periodSeconds: 60,
        },
        { from: 'OK', to: 'ALARM', at: w.clock.now(), previousAt: w.clock.now() - 60_000, value: 0 },
      ),
      lambdaContext,
    );
  }

  async function materialize(spec: BodySpec): Promise<string> {
    if ('raw' in spec) return spec.raw;
    const key = keys[spec.live % keys.length] as IncidentKey;
    const incident = await loadIncident(w.runtime, key);
    const timer: TimerMessage = incident?.timer
      ? { key, incidentId: incident.id, ...incident.timer }
      : { key, incidentId: 'gone', kind: 'retry', token: 'gone', dueAt: T0 };
    if (spec.due) w.clock.value = Math.max(w.clock.value, timer.dueAt);
    const body = JSON.stringify(mutate(timer, spec.changes));
    return spec.cut === null ? body : body.slice(0, spec.cut % (body.length + 1));
  }

  function malformed(body: string): boolean {
    try {
      return !queuedTimer.safeParse(JSON.parse(body)).success;
    } catch {
      return true;
    }
  }

  it('never throws and never reports a message for retry, whatever the batch holds', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(bodySpec, { minLength: 1, maxLength: 10 }),
        fc.option(fc.nat(), { freq: 2 }),
        fc.constantFrom(0, 0, 60_000, 2_000_000),
        async (specs, reopened, later) => {
          count('timer.batches');
          w.clock.value += later;
          if (reopened !== null) await reopen(reopened);
          const bodies = [];
          for (const spec of specs) bodies.push(await materialize(spec));
          const batch = sqsBatch(bodies.map((body, i) => ({ messageId: `m-${i}`, body, receiveCount: 1 })));
          clearHistory(w);

          const response = (await w.onTimer(batch, lambdaContext)) as SQSBatchResponse;

          expect(response).toEqual({ batchItemFailures: [] });
          for (const body of bodies) count(malformed(body) ? 'timer.malformed' : 'timer.well-formed');
          if (bodies.every(malformed)) {
            expect(w.watch.calls, 'malformed messages touch no table').toEqual([]);
            expect(awsCalls(), 'malformed messages call no AWS API').toBe(0);
          }
          if (sentCommands().length > 0) count('timer.sent-command');
          expectSafeSendCommands(sentCommands(), RUNBOOKS, w.config.runbookDocuments);
          expectPagesWithinSnsLimits(
            mocks.sns.commandCalls(PublishCommand).map((call) => call.args[0].input),
          );
        },
      ),
      runs(150),
    );
    for (const outcome of ['malformed', 'well-formed', 'sent-command'])
      expect(stats.get(`timer.${outcome}`), outcome).toBeGreaterThan(0);
  });

  it('answers an event that is not an SQS batch with an empty batch response', async () => {
    const notBatches = fc.oneof(
      fc.jsonValue().filter((v) => !(v && typeof v === 'object' && Array.isArray((v as any).Records))),
      fc.record({ Records: weirdValue.filter((v) => !Array.isArray(v)) }),
    );
    await fc.assert(
      fc.asyncProperty(notBatches, async (event) => {
        count('timer.not-a-batch');
        clearHistory(w);
        expect(await w.onTimer(event as SQSEvent, lambdaContext)).toEqual({ batchItemFailures: [] });
        expect(awsCalls()).toBe(0);
        expect(w.watch.calls).toEqual([]);
      }),
      runs(200),
    );
  });
});
