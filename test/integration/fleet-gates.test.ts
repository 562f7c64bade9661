import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { PublishCommand } from '@aws-sdk/client-sns';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { ListCommandsCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbFleetGuard } from '../../functions/adapters/aws/dynamodb-fleet-guard.ts';
import type { Incident } from '../../functions/core/incident.ts';
import type { QueuedTimer, TimerMessage } from '../../functions/core/inputs.ts';
import { defineRunbook, type Runbook } from '../../functions/core/runbook.ts';
import { createAlarmHandler } from '../../functions/handlers/alarm-handler.ts';
import type { Runtime } from '../../functions/handlers/runtime.ts';
import { createTimerHandler } from '../../functions/handlers/timer-handler.ts';
import { lambdaContext as localLambdaContext, sqsEvent } from '../../local/aws-shapes.ts';
import {
  lambdaContext,
  loadIncident,
  mocks,
  resetMocks,
  sampleEvent,
  TestClock,
  testRuntime,
} from '../support/aws-runtime.ts';
import { alarmInput, keyFor, onInstance, testRunbook } from '../support/fixtures.ts';

/**
 * The fleet gates under concurrency, on DynamoDB Local: the counts are exact because the lease, the
 * slot and the budget are taken in the transaction that records the attempt.
 */

/** A virtual clock of the tests' own (test tables leave TTL off, so no lease lapses by the wall clock). */
const T0 = Date.parse('2030-11-21T03:00:00Z');
/** A CPU runbook answering the AWS sample event (AWS/EC2 CPUUtilization on one instance). */
const cpu = (over: Partial<Parameters<typeof defineRunbook>[0]>): Runbook =>
  defineRunbook({
    ...testRunbook,
    name: 'cpu-high',
    match: { metrics: [{ namespace: 'AWS/EC2', metricName: 'CPUUtilization' }] },
    ...over,
  });

let sample: any;
beforeAll(async () => {
  sample = await sampleEvent('cloudwatch-alarm-state-change.single-metric.json');
});

/** AWS's sample alarm event, moved to an instance, a state and a time. */
function alarmEvent(instanceId: string, state: 'ALARM' | 'OK', at: number): any {
  const event = structuredClone(sample);
  event.detail.alarmName = `cpu-high-${instanceId}`;
  event.resources = [cpuAlarmArn(instanceId)];
  event.detail.configuration.metrics[0].metricStat.metric.dimensions.InstanceId = instanceId;
  event.detail.state.value = state;
  event.detail.state.timestamp = new Date(at).toISOString().replace('Z', '+0000');
  event.detail.previousState.value = state === 'ALARM' ? 'OK' : 'ALARM';
  return event;
}

/** Each instance's alarm, as {@link alarmEvent} names it. */
const cpuAlarmArn = (instanceId: string) =>
  `arn:aws:cloudwatch:us-east-1:123456789012:alarm:cpu-high-${instanceId}`;

/** The key of an instance's incident of `runbook`, raised by its alarm. */
const keyOf = (runbook: string, instanceId: string) => keyFor(runbook, instanceId, cpuAlarmArn(instanceId));

const instance = (series: number, n: number) =>
  `i-${String(series).padStart(5, '0')}${String(n).padStart(12, '0')}`;

async function loadAll(runtime: Runtime, runbook: Runbook, ids: readonly string[]) {
  return Promise.all(ids.map((target) => loadIncident(runtime, keyOf(runbook.name, target))));
}

function count(incidents: readonly (Incident | undefined)[], status: Incident['status']): number {
  return incidents.filter((i) => i?.status === status).length;
}

function timerOf(incident: Incident | undefined): TimerMessage {
  if (!incident?.timer) throw new Error(`no timer on ${incident?.id}`);
  return { key: incident.key, incidentId: incident.id, ...incident.timer };
}

/** The command of an attempt finished well and the alarm returned to OK: the incident closes and gives back its hold. */
async function fixed(
  runtime: Runtime,
  runbook: Runbook,
  incident: Incident,
  clock: TestClock,
): Promise<void> {
  const key = incident.key;
  const commandId = incident.attempts.at(-1)?.commandId as string;
  await runtime.processor.process(key, runbook, {
    kind: 'command-finished',
    commandId,
    result: { status: 'Success', responseCode: 0 },
  });
  await runtime.processor.process(
    key,
    runbook,
    alarmInput('OK', clock.now(), {
      ...onInstance(key.target),
      alarmName: incident.alarm.name,
      alarmArn: incident.alarm.arn,
    }),
  );
}

/** SNS messages of one kind (`page` attribute: escalation, breaker-opened, runbook-dry-run, ...). */
function published(kind: string) {
  return mocks.sns
    .commandCalls(PublishCommand)
    .map((c) => c.args[0].input)
    .filter((input) => input.MessageAttributes?.page?.StringValue === kind);
}

function queuedTimers(): QueuedTimer[] {
  return mocks.sqs
    .commandCalls(SendMessageCommand)
    .map((c) => JSON.parse(c.args[0].input.MessageBody as string));
}

/**
 * A thousand invocations share this one process (on AWS each has its own container), so each waits
 * far longer than it would there: they get the longest time a Lambda function may run.
 */
const stormContext = localLambdaContext('storm', 900_000);

describe('the concurrency limit under an alarm storm', () => {
  const storm = cpu({ concurrency: { maxInFlight: 5, maxPerHour: 100_000 }, breaker: false });

  for (const round of [1, 2, 3]) {
    it(`run ${round}: 1,000 simultaneous ALARMs for distinct instances with a limit of 5 -> exactly 5 commands in flight, and freed slots are taken again`, async () => {
      const clock = new TestClock(T0);
      const { runtime } = await testRuntime({ runbooks: [storm], clock });
      resetMocks();
      const alarmHandler = createAlarmHandler(runtime);
      const ids = Array.from({ length: 1000 }, (_, n) => instance(round, n));

      const results = await Promise.all(
        ids.map((id) => alarmHandler(alarmEvent(id, 'ALARM', T0 - 1000), stormContext)),
      );

      expect(results.every((r) => r.outcome === 'processed')).toBe(true);
      expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, 5);
      let incidents = await loadAll(runtime, storm, ids);
      expect(count(incidents, 'remediating')).toBe(5);
      expect(count(incidents, 'waiting')).toBe(995);
      expect((await runtime.fleet.read(storm, undefined, clock.now())).fleet.slotsInUse).toBe(5);
      expect(mocks.sns).not.toHaveReceivedCommand(PublishCommand);
      const holders = incidents.filter((i) => i?.hold).map((i) => i?.hold?.slot);
      expect(new Set(holders).size).toBe(5);

      // The five finish; their slots come back, and the next five waiting incidents take them.
      clock.advance(30);
      for (const incident of incidents.filter((i) => i?.status === 'remediating'))
        await fixed(runtime, storm, incident as Incident, clock);
      expect((await runtime.fleet.read(storm, undefined, clock.now())).fleet.slotsInUse).toBe(0);
      const waiting = incidents.filter((i) => i?.status === 'waiting') as Incident[];
      clock.value = Math.max(...waiting.map((i) => timerOf(i).dueAt));
      const timerHandler = createTimerHandler(runtime);
      const timerResults = await Promise.all(
        waiting.map((i) => timerHandler(sqsEvent([JSON.stringify(timerOf(i))]), stormContext)),
      );

      expect(timerResults.every((r) => r.batchItemFailures.length === 0)).toBe(true);
      expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, 10);
      incidents = await loadAll(runtime, storm, ids);
      expect(count(incidents, 'remediating')).toBe(5);
      expect(count(incidents, 'resolved')).toBe(5);
      expect(count(incidents, 'waiting')).toBe(990);
    }, 400_000);
  }
});

describe('an incident waiting for a slot', () => {
  const limited = cpu({
    concurrency: { maxInFlight: 1, maxPerHour: 100_000, maxWaitSeconds: 900 },
    breaker: false,
  });

  it('waits without polling: a fallback look that finds the slot taken writes nothing and sends the same retry again; the release wakes it at once', async () => {
    const clock = new TestClock(T0);
    const { runtime } = await testRuntime({ runbooks: [limited], clock });
    resetMocks();
    const alarmHandler = createAlarmHandler(runtime);
    const timerHandler = createTimerHandler(runtime);
    const [holder, waiter] = [instance(40, 1), instance(40, 2)];
    await alarmHandler(alarmEvent(holder, 'ALARM', T0 - 1000), lambdaContext);
    await alarmHandler(alarmEvent(waiter, 'ALARM', T0 - 1000), lambdaContext);
    const key = keyOf(limited.name, waiter);
    const first = (await loadIncident(runtime, key)) as Incident;
    expect(first.status).toBe('waiting');

    // Its one fallback look before the deadline finds the slot still taken: the record is not
    // written, the same timer comes back (at the deadline).
    const timer = timerOf(first);
    let sent = mocks.sqs.commandCalls(SendMessageCommand).length;
    clock.value = timer.dueAt;
    const result = await timerHandler(sqsEvent([JSON.stringify(timer)]), lambdaContext);
    expect(result.batchItemFailures).toEqual([]);
    const again = queuedTimers().slice(sent);
    expect(again).toEqual([expect.objectContaining({ token: first.timer?.token, dueAt: T0 + 900_000 })]);
    expect(await loadIncident(runtime, key)).toEqual(first);

    // The holder finishes: its release wakes the waiter at once, which takes the slot and sends the command.
    clock.advance(30);
    sent = mocks.sqs.commandCalls(SendMessageCommand).length;
    await fixed(
      runtime,
      limited,
      (await loadIncident(runtime, keyOf(limited.name, holder))) as Incident,
      clock,
    );
    const wakes = queuedTimers()
      .slice(sent)
      .filter((t) => t.kind === 'retry');
    expect(wakes).toEqual([
      expect.objectContaining({
        token: first.timer?.token,
        dueAt: clock.now(),
        wake: { list: 'runbook:cpu-high', slot: 0 },
      }),
    ]);
    await timerHandler(sqsEvent([JSON.stringify(wakes[0])]), lambdaContext);
    const acting = (await loadIncident(runtime, key)) as Incident;
    expect(acting.status).toBe('remediating');
    // Written twice since it began to wait: the attempt, then SSM's command id.
    expect(acting.version).toBe(first.version + 2);
    expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, 2);
  });

  it('still pages once its wait reaches maxWaitSeconds, counted from when it began to wait', async () => {
    // A wait shorter than the holder's hold (600 s), so that the slot stays taken throughout.
    const impatient = cpu({
      concurrency: { maxInFlight: 1, maxPerHour: 100_000, maxWaitSeconds: 300 },
      breaker: false,
    });
    const clock = new TestClock(T0);
    const { runtime } = await testRuntime({ runbooks: [impatient], clock });
    resetMocks();
    const alarmHandler = createAlarmHandler(runtime);
    const timerHandler = createTimerHandler(runtime);
    await alarmHandler(alarmEvent(instance(41, 1), 'ALARM', T0 - 1000), lambdaContext);
    await alarmHandler(alarmEvent(instance(41, 2), 'ALARM', T0 - 1000), lambdaContext);
    const key = keyOf(impatient.name, instance(41, 2));
    let timer = timerOf(await loadIncident(runtime, key));
    let retries = 0;
    while ((await loadIncident(runtime, key))?.status === 'waiting' && retries++ < 100) {
      const sent = mocks.sqs.commandCalls(SendMessageCommand).length;
      clock.value = timer.dueAt;
      await timerHandler(sqsEvent([JSON.stringify(timer)]), lambdaContext);
      const again = queuedTimers().slice(sent);
      if (again.length > 0) timer = again.at(-1) as TimerMessage;
    }

    const paged = (await loadIncident(runtime, key)) as Incident;
    expect(paged.status).toBe('escalated');
    expect(clock.now() - T0).toBeLessThanOrEqual(300_000);
    expect(paged.escalation?.reason).toMatch(/^refused by the concurrency gate/);
    expect(paged.refusals?.at(-1)?.reason).toMatch(/waited 300s \(limit 300s\)$/);
    expect(published('escalation')).toHaveLength(1);
    // Never woken (the slot stays taken), it looked once on its own: on the deadline, where it paged.
    expect(retries).toBe(1);
  });
});

describe('the hourly budget under concurrency', () => {
  const budgeted = cpu({ concurrency: { maxInFlight: 1000, maxPerHour: 7 }, breaker: false });

  for (const round of [1, 2, 3]) {
    it(`run ${round}: 50 simultaneous ALARMs with a budget of 7 -> exactly 7 commands, 43 pages naming the budget`, async () => {
      const clock = new TestClock(T0);
      const { runtime } = await testRuntime({ runbooks: [budgeted], clock });
      resetMocks();
      const alarmHandler = createAlarmHandler(runtime);
      const ids = Array.from({ length: 50 }, (_, n) => instance(10 + round, n));

      await Promise.all(ids.map((id) => alarmHandler(alarmEvent(id, 'ALARM', T0 - 1000), lambdaContext)));

      expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, 7);
      const incidents = await loadAll(runtime, budgeted, ids);
      const refusedByBudget = incidents.filter((i) => i?.refusals?.at(-1)?.gate === 'budget');
      expect(refusedByBudget).toHaveLength(43);
      expect(count(incidents, 'escalated')).toBe(43);
      expect(published('escalation')).toHaveLength(43);

      // The next clock hour has a budget of its own.
      clock.value = T0 + 3_600_000 + 1000;
      await alarmHandler(alarmEvent(instance(20 + round, 1), 'ALARM', clock.now() - 1000), lambdaContext);
      expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, 8);
    }, 60_000);
  }
});

describe('the per-instance lease', () => {
  const roomy = { maxInFlight: 100, maxPerHour: 1000 };
  const cpuRunbook = cpu({ breaker: false, concurrency: roomy });
  const disk = defineRunbook({ ...testRunbook, breaker: false, concurrency: roomy });

  for (const round of [1, 2, 3]) {
    it(`run ${round}: two runbooks alarming on 20 instances at once -> one remediation per instance, the other waits, then acts`, async () => {
      const clock = new TestClock(T0);
      const { runtime } = await testRuntime({ runbooks: [cpuRunbook, disk], clock });
      resetMocks();
      const ids = Array.from({ length: 20 }, (_, n) => instance(30 + round, n));
      const arn = (id: string, runbook: Runbook) =>
        `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${runbook.name}-${id}`;
      const input = (id: string, runbook: Runbook) =>
        alarmInput('ALARM', T0 - 1000, {
          ...onInstance(id),
          alarmName: `${runbook.name}-${id}`,
          alarmArn: arn(id, runbook),
        });
      const keyOf = (runbook: Runbook, id: string) => keyFor(runbook.name, id, arn(id, runbook));

      await Promise.all(
        ids.flatMap((id) => [
          runtime.processor.process(keyOf(cpuRunbook, id), cpuRunbook, input(id, cpuRunbook)),
          runtime.processor.process(keyOf(disk, id), disk, input(id, disk)),
        ]),
      );

      expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, 20);
      const sent = mocks.ssm.commandCalls(SendCommandCommand).map((c) => c.args[0].input.InstanceIds?.[0]);
      expect(new Set(sent).size).toBe(20);
      const pairs = await Promise.all(
        ids.map(async (id) => [
          await loadIncident(runtime, keyOf(cpuRunbook, id)),
          await loadIncident(runtime, keyOf(disk, id)),
        ]),
      );
      for (const [a, b] of pairs) {
        expect([a?.status, b?.status].sort()).toEqual(['remediating', 'waiting']);
        const waiter = a?.status === 'waiting' ? a : b;
        expect(waiter?.refusals?.[0]?.gate).toBe('lease');
      }

      // The holders finish; each waiting runbook then takes the instance.
      clock.advance(20);
      for (const [a, b] of pairs) {
        const holder = (a?.status === 'remediating' ? a : b) as Incident;
        await fixed(runtime, holder.key.runbook === 'cpu-high' ? cpuRunbook : disk, holder, clock);
      }
      const timerHandler = createTimerHandler(runtime);
      const waiters = pairs.map(([a, b]) => (a?.status === 'waiting' ? a : b) as Incident);
      clock.value = Math.max(...waiters.map((w) => timerOf(w).dueAt));
      await Promise.all(
        waiters.map((w) => timerHandler(sqsEvent([JSON.stringify(timerOf(w))]), lambdaContext)),
      );

      expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, 40);
    }, 60_000);
  }
});

describe('an invocation that dies between taking the lease and sending the command', () => {
  const single = cpu({ concurrency: { maxInFlight: 1, maxPerHour: 100 }, breaker: false });
  let runtime: Runtime;
  const clock = new TestClock(T0);

  beforeEach(async () => {
    clock.value = T0;
    ({ runtime } = await testRuntime({ runbooks: [single], clock }));
    resetMocks();
  });

  /** Opens an incident whose SendCommand never returns: the Lambda died after its write. */
  async function crashAfterWrite(id: string): Promise<Incident> {
    mocks.ssm.on(SendCommandCommand).callsFake(() => new Promise(() => {}));
    void createAlarmHandler(runtime)(alarmEvent(id, 'ALARM', T0 - 1000), lambdaContext);
    for (let i = 0; i < 200; i++) {
      const incident = await loadIncident(runtime, keyOf(single.name, id));
      if (incident?.attempts[0]?.status === 'dispatching') return incident;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('the first invocation never recorded its attempt');
  }

  it('holds the slot and lease until the dispatch check finds no command, then gives them back', async () => {
    const crashed = await crashAfterWrite(instance(40, 1));
    resetMocks();
    await createAlarmHandler(runtime)(alarmEvent(instance(40, 2), 'ALARM', T0 - 500), lambdaContext);
    const second = await loadIncident(runtime, keyOf(single.name, instance(40, 2)));
    expect(second?.status).toBe('waiting');
    expect(second?.refusals?.[0]?.gate).toBe('concurrency');

    // The dispatch check: SSM has no command with the attempt's Comment.
    mocks.ssm.on(ListCommandsCommand).resolves({ Commands: [] });
    const timers = createTimerHandler(runtime);
    clock.value = timerOf(crashed).dueAt;
    await timers(sqsEvent([JSON.stringify(timerOf(crashed))]), lambdaContext);

    const recovered = await loadIncident(runtime, crashed.key);
    expect(recovered?.attempts[0]?.status).toBe('lost');
    expect(recovered?.status).toBe('backing-off');
    expect((await runtime.fleet.read(single, instance(40, 1), clock.now())).fleet).toMatchObject({
      slotsInUse: 0,
      freeSlots: [0],
    });
    expect((await runtime.fleet.read(single, instance(40, 1), clock.now())).fleet.lease).toBeUndefined();

    const waiting = (await loadIncident(runtime, keyOf(single.name, instance(40, 2)))) as Incident;
    clock.value = Math.max(clock.value, timerOf(waiting).dueAt);
    await timers(sqsEvent([JSON.stringify(timerOf(waiting))]), lambdaContext);
    expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, 1);
    expect(mocks.ssm).toHaveReceivedCommandWith(SendCommandCommand, { InstanceIds: [instance(40, 2)] });
  });

  it('lets the slot and lease lapse at their expiry when even the timer is lost, and a late release frees nothing of the next holder', async () => {
    const crashed = await crashAfterWrite(instance(41, 1));
    resetMocks();
    const expiry = crashed.hold?.expiresAt as number;

    clock.value = expiry - 1000;
    await createAlarmHandler(runtime)(alarmEvent(instance(41, 2), 'ALARM', clock.now() - 500), lambdaContext);
    expect((await loadIncident(runtime, keyOf(single.name, instance(41, 2))))?.status).toBe('waiting');

    clock.value = expiry;
    await createAlarmHandler(runtime)(alarmEvent(instance(41, 3), 'ALARM', clock.now() - 500), lambdaContext);
    const third = await loadIncident(runtime, keyOf(single.name, instance(41, 3)));
    expect(third?.status).toBe('remediating');
    expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, 1);

    // The crashed incident is reconciled late: its release must not free the slot the third one holds.
    mocks.ssm.on(ListCommandsCommand).resolves({ Commands: [] });
    await createTimerHandler(runtime)(sqsEvent([JSON.stringify(timerOf(crashed))]), lambdaContext);
    expect((await loadIncident(runtime, crashed.key))?.attempts[0]?.status).toBe('lost');
    const facts = (await runtime.fleet.read(single, undefined, clock.now())).fleet;
    expect(facts.slotsInUse).toBe(1);
  });
});

describe('the fleet breaker', () => {
  const guarded = cpu({
    concurrency: { maxInFlight: 100, maxPerHour: 1000 },
    breaker: { maxInstances: 5, maxPercent: 50, windowSeconds: 600, quietSeconds: 1800 },
  });

  it('opens on the sixth instance within the window, pages the group once, and suppresses the rest', async () => {
    const clock = new TestClock(T0);
    const { runtime } = await testRuntime({ runbooks: [guarded], clock });
    resetMocks();
    const alarmHandler = createAlarmHandler(runtime);
    const ids = Array.from({ length: 20 }, (_, n) => instance(50, n));
    // The fleet: twenty instances whose alarms report OK.
    for (const id of ids) await alarmHandler(alarmEvent(id, 'OK', T0 - 86_400_000), lambdaContext);

    for (const id of ids.slice(0, 5)) {
      clock.advance(10);
      await alarmHandler(alarmEvent(id, 'ALARM', clock.now() - 1000), lambdaContext);
    }
    expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, 5);
    expect(published('breaker-opened')).toHaveLength(0);

    for (const id of ids.slice(5, 8)) {
      clock.advance(10);
      await alarmHandler(alarmEvent(id, 'ALARM', clock.now() - 1000), lambdaContext);
    }

    expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, 5);
    const incidents = await loadAll(runtime, guarded, ids.slice(0, 8));
    expect(incidents.map((i) => i?.status)).toEqual([
      ...Array(5).fill('remediating'),
      ...Array(3).fill('suppressed'),
    ]);
    expect(incidents[5]?.refusals?.[0]).toMatchObject({ gate: 'breaker' });
    const group = published('breaker-opened');
    expect(group).toHaveLength(1);
    expect(published('escalation')).toHaveLength(0);
    expect(group[0]?.Subject).toBe('ALARM: cpu-high breaker open - 6 instances, shared cause?');
    for (const id of ids.slice(0, 6)) expect(group[0]?.Message).toContain(`  ${id}`);
    expect(group[0]?.Message).toContain('ALL   availability zone: us-east-1a x6');
    expect(group[0]?.Message).toContain('ALL   AMI: ami-0abcdef1234567890 x6');
    const breaker = (await runtime.fleet.read(guarded, undefined, clock.now())).breaker;
    expect(breaker?.instances).toEqual([...ids.slice(0, 8)].sort());
    expect(breaker?.page.status).toBe('sent');

    // Quiet for the quiet period: the breaker timer closes it and says OK for the group.
    const breakerTimer = queuedTimers().filter((t) => t.kind === 'breaker' && !t.purpose);
    expect(breakerTimer).toHaveLength(1);
    const timers = createTimerHandler(runtime);
    clock.advance(120);
    await timers(sqsEvent([JSON.stringify(breakerTimer[0])]), lambdaContext);
    const rescheduled = queuedTimers()
      .filter((t) => t.kind === 'breaker' && !t.purpose)
      .at(-1) as QueuedTimer;
    expect(rescheduled.dueAt).toBe((breaker?.lastAlarmAt as number) + 1_800_000);
    clock.value = rescheduled.dueAt;
    await timers(sqsEvent([JSON.stringify(rescheduled)]), lambdaContext);

    expect(published('breaker-closed')).toHaveLength(1);
    expect(published('breaker-closed')[0]?.Subject).toMatch(/^OK: cpu-high breaker closed/);
    expect((await runtime.fleet.read(guarded, undefined, clock.now())).breaker?.state).toBe('closed');
    // Suppressed incidents stay open, unpaged, until their alarms clear.
    expect((await loadIncident(runtime, keyOf('cpu-high', ids[6] as string)))?.status).toBe('suppressed');

    clock.advance(5);
    await alarmHandler(alarmEvent(ids[10] as string, 'ALARM', clock.now() - 1000), lambdaContext);
    expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, 6);

    // A timer of the closed episode, delivered again by SQS, is stale: no second OK message.
    const again = await timers(sqsEvent([JSON.stringify(rescheduled)]), lambdaContext);
    expect(again.batchItemFailures).toEqual([]);
    expect(published('breaker-closed')).toHaveLength(1);
  });

  it('names in one update of the group page the instances suppressed after it went out, and only those', async () => {
    const clock = new TestClock(T0);
    const { runtime } = await testRuntime({ runbooks: [guarded], clock });
    resetMocks();
    const alarmHandler = createAlarmHandler(runtime);
    const timers = createTimerHandler(runtime);
    const ids = Array.from({ length: 20 }, (_, n) => instance(52, n));
    for (const id of ids) await alarmHandler(alarmEvent(id, 'OK', T0 - 86_400_000), lambdaContext);
    for (const id of ids.slice(0, 6)) {
      clock.advance(10);
      await alarmHandler(alarmEvent(id, 'ALARM', clock.now() - 1000), lambdaContext);
    }
    expect(published('breaker-opened')).toHaveLength(1);
    const updates = () => queuedTimers().filter((t) => t.kind === 'breaker' && t.purpose === 'update');
    expect(updates()).toHaveLength(0);

    // Two more alarm while it is open: suppressed, and one update is due for both.
    const suppressedAt = clock.now() + 10_000;
    for (const id of ids.slice(6, 8)) {
      clock.advance(10);
      await alarmHandler(alarmEvent(id, 'ALARM', clock.now() - 1000), lambdaContext);
    }
    expect((await loadAll(runtime, guarded, ids.slice(6, 8))).map((i) => i?.status)).toEqual([
      'suppressed',
      'suppressed',
    ]);
    expect(updates()).toHaveLength(1);
    expect(updates()[0]?.dueAt).toBe(suppressedAt + 60_000);
    expect(published('breaker-grew')).toHaveLength(0);

    clock.value = updates()[0]?.dueAt as number;
    await timers(sqsEvent([JSON.stringify(updates()[0])]), lambdaContext);
    const grew = published('breaker-grew');
    expect(grew).toHaveLength(1);
    expect(grew[0]?.Subject).toBe('ALARM: cpu-high breaker still open - 2 more instance(s), 8 in all');
    const body = (n: number) => JSON.parse(published('breaker-grew')[n]?.Message as string).default as string;
    const listed = body(0).split('Newly suppressed (2):\n')[1] ?? '';
    expect(listed).toContain(`  ${ids[6]}\n  ${ids[7]}`);
    expect(listed).not.toContain(ids[0] as string);
    expect(grew[0]?.MessageAttributes?.notice_key?.StringValue).toBe(
      published('breaker-opened')[0]?.MessageAttributes?.notice_key?.StringValue,
    );
    const breaker = (await runtime.fleet.read(guarded, undefined, clock.now())).breaker;
    expect(breaker?.named).toEqual([...ids.slice(0, 8)].sort());
    expect(breaker?.updateDueAt).toBeUndefined();

    // SQS delivers the update again: nothing new to say.
    await timers(sqsEvent([JSON.stringify(updates()[0])]), lambdaContext);
    expect(published('breaker-grew')).toHaveLength(1);

    // A suppression whose record never reached the breaker (the write failed after the incident's):
    // the resync finds the suppressed incident in ALARM and names it.
    clock.advance(10);
    const lost = ids[8] as string;
    const recordOnly = runtime.fleet.suppressedUnder;
    runtime.fleet.suppressedUnder = async () => {
      throw new Error('ProvisionedThroughputExceededException');
    };
    try {
      await alarmHandler(alarmEvent(lost, 'ALARM', clock.now() - 1000), lambdaContext);
    } finally {
      runtime.fleet.suppressedUnder = recordOnly;
    }
    expect((await loadIncident(runtime, keyOf('cpu-high', lost)))?.status).toBe('suppressed');
    expect(updates()).toHaveLength(1);
    mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        {
          AlarmName: `cpu-high-${lost}`,
          AlarmArn: cpuAlarmArn(lost),
          StateValue: 'ALARM',
          StateReason: 'Threshold Crossed',
          StateTransitionedTimestamp: new Date(clock.now() - 1000),
          Namespace: 'AWS/EC2',
          MetricName: 'CPUUtilization',
          Dimensions: [{ Name: 'InstanceId', Value: lost }],
        },
      ],
    });
    await runtime.resync.run('schedule');
    expect(updates()).toHaveLength(2);
    clock.value = updates()[1]?.dueAt as number;
    await timers(sqsEvent([JSON.stringify(updates()[1])]), lambdaContext);
    expect(published('breaker-grew')).toHaveLength(2);
    expect(body(1)).toContain(`Newly suppressed (1):\n  ${lost}\n`);
  });

  it('opens on the percentage of a small fleet: 3 of 5 instances seen', async () => {
    const clock = new TestClock(T0);
    const { runtime } = await testRuntime({ runbooks: [guarded], clock });
    resetMocks();
    const alarmHandler = createAlarmHandler(runtime);
    const ids = Array.from({ length: 5 }, (_, n) => instance(51, n));
    for (const id of ids) await alarmHandler(alarmEvent(id, 'OK', T0 - 86_400_000), lambdaContext);
    for (const id of ids.slice(0, 3)) {
      clock.advance(10);
      await alarmHandler(alarmEvent(id, 'ALARM', clock.now() - 1000), lambdaContext);
    }
    expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, 2);
    expect(published('breaker-opened')[0]?.Message).toContain('3 of the 5 instances seen (60%)');
  });

  for (const round of [1, 2, 3]) {
    it(`run ${round}: 30 simultaneous ALARMs -> one group page, at most 5 commands, every other incident suppressed`, async () => {
      const clock = new TestClock(T0);
      const { runtime } = await testRuntime({ runbooks: [guarded], clock });
      resetMocks();
      const alarmHandler = createAlarmHandler(runtime);
      const ids = Array.from({ length: 30 }, (_, n) => instance(60 + round, n));

      await Promise.all(ids.map((id) => alarmHandler(alarmEvent(id, 'ALARM', T0 - 1000), lambdaContext)));

      const commands = mocks.ssm.commandCalls(SendCommandCommand).length;
      expect(commands).toBeLessThanOrEqual(5);
      const incidents = await loadAll(runtime, guarded, ids);
      expect(count(incidents, 'suppressed')).toBe(30 - commands);
      expect(count(incidents, 'remediating')).toBe(commands);
      expect(published('breaker-opened')).toHaveLength(1);
      expect(published('escalation')).toHaveLength(0);
      expect((await runtime.fleet.read(guarded, undefined, clock.now())).breaker?.instances).toHaveLength(30);
    }, 60_000);
  }

  it('closes by an operator command, and acts again at once', async () => {
    const clock = new TestClock(T0);
    const { runtime, dynamodb, config } = await testRuntime({ runbooks: [guarded], clock });
    resetMocks();
    const alarmHandler = createAlarmHandler(runtime);
    const ids = Array.from({ length: 7 }, (_, n) => instance(70, n));
    await Promise.all(
      ids.slice(0, 6).map((id) => alarmHandler(alarmEvent(id, 'ALARM', T0 - 1000), lambdaContext)),
    );
    expect(published('breaker-opened')).toHaveLength(1);

    const closed = await new DynamoDbFleetGuard(dynamodb, config.tableName).closeBreaker('cpu-high', {
      at: clock.now(),
      by: 'alice',
      reason: 'bad AMI rolled back',
    });
    expect(closed).toMatchObject({ state: 'closed', closedBy: 'alice' });
    const before = mocks.ssm.commandCalls(SendCommandCommand).length;

    // Within the same window: alarms from before the close do not count again.
    clock.advance(5);
    await alarmHandler(alarmEvent(ids[6] as string, 'ALARM', clock.now() - 1000), lambdaContext);

    expect(mocks.ssm.commandCalls(SendCommandCommand).length).toBe(before + 1);
  });
});

describe('auto-disable', () => {
  const flaky = cpu({
    maxAttempts: 1,
    breaker: false,
    autoDisable: { lastRuns: 3, minSuccessRate: 0.5 },
  });

  it('switches a runbook whose runs keep failing to dry-run, pages once, and then runs nothing', async () => {
    const clock = new TestClock(T0);
    const { runtime, dynamodb, config } = await testRuntime({ runbooks: [flaky], clock });
    resetMocks();
    const alarmHandler = createAlarmHandler(runtime);
    for (const n of [1, 2, 3]) {
      const id = instance(80, n);
      clock.advance(60);
      await alarmHandler(alarmEvent(id, 'ALARM', clock.now() - 1000), lambdaContext);
      const incident = (await loadIncident(runtime, keyOf(flaky.name, id))) as Incident;
      await runtime.processor.process(incident.key, flaky, {
        kind: 'command-finished',
        commandId: incident.attempts[0]?.commandId as string,
        result: { status: 'Failed', responseCode: 1, stdout: 'could not restart' },
      });
    }
    expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, 3);
    const notices = published('runbook-dry-run');
    expect(notices).toHaveLength(1);
    expect(notices[0]?.Subject).toBe('ALARM: runbook cpu-high switched to dry-run - too few fixes verified');
    expect(notices[0]?.Message).toContain('0 of its last 3 runs were verified (0%, below 50%)');

    clock.advance(60);
    const id = instance(80, 4);
    await alarmHandler(alarmEvent(id, 'ALARM', clock.now() - 1000), lambdaContext);

    expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, 3);
    const shadow = await loadIncident(runtime, keyOf(flaky.name, id));
    expect(shadow?.attempts.map((a) => a.status)).toEqual(['not-run']);
    expect(shadow?.refusals?.[0]).toMatchObject({ gate: 'auto-disable' });
    expect(published('runbook-dry-run')).toHaveLength(1);

    // An operator lets it act again; its failed runs are forgotten.
    expect(await new DynamoDbFleetGuard(dynamodb, config.tableName).clearMode(flaky.name, clock.now())).toBe(
      true,
    );
    clock.advance(60);
    await alarmHandler(alarmEvent(instance(80, 5), 'ALARM', clock.now() - 1000), lambdaContext);
    expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, 4);
    // One more failure is judged afresh: one run of three, not the fourth of a failing record.
    const fifth = (await loadIncident(runtime, keyOf(flaky.name, instance(80, 5)))) as Incident;
    await runtime.processor.process(fifth.key, flaky, {
      kind: 'command-finished',
      commandId: fifth.attempts[0]?.commandId as string,
      result: { status: 'Failed', responseCode: 1, stdout: 'could not restart' },
    });
    expect(published('runbook-dry-run')).toHaveLength(1);
    clock.advance(60);
    await alarmHandler(alarmEvent(instance(80, 6), 'ALARM', clock.now() - 1000), lambdaContext);
    expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, 5);
  });
});

describe('the run record under concurrent verifications', () => {
  it('records every one of 50 runs judged at once, and answers each with the latest ones', async () => {
    const { dynamodb, config } = await testRuntime({
      runbooks: [cpu({ breaker: false })],
      clock: new TestClock(T0),
    });
    const guard = new DynamoDbFleetGuard(dynamodb, config.tableName);
    const runs = Array.from({ length: 50 }, (_, n) => ({
      incidentId: `cpu-high.${instance(81, n)}.20261121T030000Z`,
      attempt: 1,
      at: T0 + n,
      verified: n % 5 !== 0,
    }));

    // A storm's fixes verify together: 50 handlers record their runs in the same instant.
    const answers = await Promise.all(runs.map((run) => guard.recordRuns('cpu-high', [run], 10)));
    const again = await guard.recordRuns('cpu-high', [runs[49] as (typeof runs)[number]], 10);
    const all = await guard.recordRuns('cpu-high', [], 100);

    expect(all).toEqual(runs);
    expect(again).toEqual(runs.slice(-10));
    // Each writer judges the latest ten it can see: its own run among them, unless ten later ones
    // landed first. Oldest first, as auto-disable reads them.
    for (const [n, answer] of answers.entries()) {
      const own = runs[n] as (typeof runs)[number];
      expect(answer.length).toBeLessThanOrEqual(10);
      expect(answer.map((r) => r.at)).toEqual([...answer.map((r) => r.at)].sort((a, b) => a - b));
      const ownKept = answer.some((r) => r.incidentId === own.incidentId);
      expect(ownKept || (answer.length === 10 && answer.every((r) => r.at > own.at))).toBe(true);
    }
  });
});

describe('dry-run mode at the handler', () => {
  it('decides, records and announces everything, and sends no command', async () => {
    const shadow = cpu({ mode: 'dry-run', breaker: false });
    const clock = new TestClock(T0);
    const { runtime } = await testRuntime({ runbooks: [shadow], clock });
    resetMocks();
    const alarmHandler = createAlarmHandler(runtime);
    const ids = Array.from({ length: 10 }, (_, n) => instance(90, n));

    await Promise.all(ids.map((id) => alarmHandler(alarmEvent(id, 'ALARM', T0 - 1000), lambdaContext)));

    expect(mocks.ssm).not.toHaveReceivedCommand(SendCommandCommand);
    const incidents = await loadAll(runtime, shadow, ids);
    expect(incidents.every((i) => i?.attempts[0]?.status === 'not-run' && i.status === 'escalated')).toBe(
      true,
    );
    expect(published('escalation')).toHaveLength(10);
    expect(published('escalation')[0]?.Message).toContain(
      'is in dry-run mode: it would have run action remediate',
    );
    expect((await runtime.fleet.read(shadow, undefined, clock.now())).fleet.slotsInUse).toBe(0);
  });
});

describe('approve mode at the handler', () => {
  it('pages one proposal per alarm and sends nothing; the runtime switch moves a runbook between modes', async () => {
    const plain = cpu({ breaker: false });
    const clock = new TestClock(T0);
    const { runtime, dynamodb, config } = await testRuntime({ runbooks: [plain], clock });
    const guard = new DynamoDbFleetGuard(dynamodb, config.tableName);
    resetMocks();
    // An operator's `runbooks dry-run`, then `runbooks approve-mode`: the second replaces the first.
    const since = clock.now();
    expect(await guard.setMode(plain.name, { mode: 'dry-run', reason: 'new', by: 'ana', since })).toBe(true);
    expect(await guard.setMode(plain.name, { mode: 'dry-run', reason: 'again', by: 'ana', since })).toBe(
      false,
    );
    expect(await guard.setMode(plain.name, { mode: 'approve', reason: 'ready', by: 'ana', since })).toBe(
      true,
    );
    expect((await runtime.fleet.read(plain, undefined, clock.now())).mode).toMatchObject({ mode: 'approve' });
    const alarmHandler = createAlarmHandler(runtime);
    const ids = Array.from({ length: 3 }, (_, n) => instance(95, n));

    await Promise.all(ids.map((id) => alarmHandler(alarmEvent(id, 'ALARM', T0 - 1000), lambdaContext)));

    expect(mocks.ssm).not.toHaveReceivedCommand(SendCommandCommand);
    const incidents = await loadAll(runtime, plain, ids);
    expect(incidents.map((i) => i?.status)).toEqual([
      'awaiting-approval',
      'awaiting-approval',
      'awaiting-approval',
    ]);
    expect(incidents.every((i) => i?.proposal?.page.status === 'sent' && i.timer?.kind === 'expire')).toBe(
      true,
    );
    expect(published('proposal')).toHaveLength(3);
    // Nothing is held while a proposal waits: an approval takes the slot when it runs.
    expect((await runtime.fleet.read(plain, undefined, clock.now())).fleet.slotsInUse).toBe(0);
  });
});
