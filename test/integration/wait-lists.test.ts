import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { SendCommandCommand } from '@aws-sdk/client-ssm';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Incident, IncidentKey } from '../../functions/core/incident.ts';
import { deliveryTime, type QueuedTimer, type TimerMessage } from '../../functions/core/inputs.ts';
import { defineRunbook, type Runbook } from '../../functions/core/runbook.ts';
import { waitEntryOf } from '../../functions/core/wait-lists.ts';
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
 * Wait lists on DynamoDB Local: an incident waiting for a slot or a lease stands in line, the holder's
 * release wakes the first in line (first come, first served), a lost wake-up is made good by the slow
 * fallback timer, and the limits stay exact when many incidents wait and are woken at once.
 */

const T0 = Date.parse('2030-12-01T03:00:00Z');
const cpu = (over: Partial<Parameters<typeof defineRunbook>[0]>): Runbook =>
  defineRunbook({
    ...testRunbook,
    name: 'cpu-high',
    match: { metrics: [{ namespace: 'AWS/EC2', metricName: 'CPUUtilization' }] },
    breaker: false,
    ...over,
  });
const single = cpu({ concurrency: { maxInFlight: 1, maxPerHour: 1000 } });

let sample: any;
beforeAll(async () => {
  sample = await sampleEvent('cloudwatch-alarm-state-change.single-metric.json');
});

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
const cpuAlarmArn = (instanceId: string) =>
  `arn:aws:cloudwatch:us-east-1:123456789012:alarm:cpu-high-${instanceId}`;
const keyOf = (runbook: string, instanceId: string) => keyFor(runbook, instanceId, cpuAlarmArn(instanceId));
const instance = (series: number, n: number) =>
  `i-${String(series).padStart(5, '0')}${String(n).padStart(12, '0')}`;

function timerOf(incident: Incident | undefined): TimerMessage {
  if (!incident?.timer) throw new Error(`no timer on ${incident?.id}`);
  return { key: incident.key, incidentId: incident.id, ...incident.timer };
}

/** Every timer message sent to SQS so far, in order. */
function queued(): QueuedTimer[] {
  return mocks.sqs
    .commandCalls(SendMessageCommand)
    .map((c) => JSON.parse(c.args[0].input.MessageBody as string));
}

/** The wake-ups among the messages sent since `from`. */
function wakesSince(from: number): TimerMessage[] {
  return queued()
    .slice(from)
    .filter((t): t is TimerMessage => t.kind !== 'breaker' && t.wake !== undefined);
}

/** The command of the incident's attempt finished well, and its alarm returned to OK: it closes and gives back its hold. */
async function fixed(runtime: Runtime, runbook: Runbook, key: IncidentKey, clock: TestClock): Promise<void> {
  const incident = (await loadIncident(runtime, key)) as Incident;
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

describe('the wait list of a runbook', () => {
  it('wakes its waiters first come, first served, one per slot given back, each as soon as the slot is free', async () => {
    const clock = new TestClock(T0);
    const { runtime } = await testRuntime({ runbooks: [single], clock });
    resetMocks();
    const alarms = createAlarmHandler(runtime);
    const timers = createTimerHandler(runtime);
    const holder = instance(50, 0);
    await alarms(alarmEvent(holder, 'ALARM', T0 - 1000), lambdaContext);
    // Three wait, in this order (not their ids' order), a second apart.
    const line = [instance(50, 3), instance(50, 1), instance(50, 2)];
    for (const id of line) {
      clock.advance(1);
      await alarms(alarmEvent(id, 'ALARM', clock.now() - 500), lambdaContext);
      expect((await loadIncident(runtime, keyOf(single.name, id)))?.status).toBe('waiting');
    }
    // Waiting costs no poll: one slow fallback timer each, and nothing else.
    const fallbacks = queued().filter((t) => t.kind === 'retry');
    expect(fallbacks).toHaveLength(3);

    let current = holder;
    for (const next of line) {
      clock.advance(40);
      const sent = queued().length;
      await fixed(runtime, single, keyOf(single.name, current), clock);

      const wakes = wakesSince(sent);
      expect(wakes).toHaveLength(1);
      const wake = wakes[0] as TimerMessage;
      expect(wake).toMatchObject({
        incidentId: (await loadIncident(runtime, keyOf(single.name, next)))?.id,
        kind: 'retry',
        dueAt: clock.now(),
        wake: { list: 'runbook:cpu-high', slot: 0 },
      });
      await timers(sqsEvent([JSON.stringify(wake)]), lambdaContext);
      const woken = await loadIncident(runtime, keyOf(single.name, next));
      expect(woken?.status).toBe('remediating');
      expect(woken?.attempts[0]?.requestedAt).toBe(clock.now());
      current = next;
    }

    // The last one's release finds nobody in line: nothing is sent.
    clock.advance(40);
    const sent = queued().length;
    await fixed(runtime, single, keyOf(single.name, current), clock);
    expect(wakesSince(sent)).toEqual([]);
    expect(await runtime.fleet.takeFromWaitList('runbook:cpu-high', 10, clock.now())).toEqual([]);
    expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, 4);
  });

  it('passes a wake-up on when the woken incident moved on: the next in line gets the slot', async () => {
    const clock = new TestClock(T0);
    const { runtime } = await testRuntime({ runbooks: [single], clock });
    resetMocks();
    const alarms = createAlarmHandler(runtime);
    const timers = createTimerHandler(runtime);
    const [holder, gone, next] = [instance(51, 0), instance(51, 1), instance(51, 2)];
    await alarms(alarmEvent(holder, 'ALARM', T0 - 1000), lambdaContext);
    clock.advance(1);
    await alarms(alarmEvent(gone, 'ALARM', clock.now() - 500), lambdaContext);
    const stale = (await loadIncident(runtime, keyOf(single.name, gone))) as Incident;
    clock.advance(1);
    await alarms(alarmEvent(next, 'ALARM', clock.now() - 500), lambdaContext);

    // The first in line clears by itself and leaves the line; an entry of it is left behind anyway
    // (as if taking it out had failed), ahead of the second.
    clock.advance(10);
    await alarms(alarmEvent(gone, 'OK', clock.now() - 500), lambdaContext);
    expect((await loadIncident(runtime, keyOf(single.name, gone)))?.status).toBe('resolved');
    const entry = waitEntryOf(stale, single);
    if (!entry) throw new Error('the incident stood in no line');
    expect(await runtime.fleet.inWaitList(entry.list, entry.until, stale.id)).toBe(false);
    await runtime.fleet.joinWaitList({
      ...entry,
      incidentId: stale.id,
      wake: { ...timerOf(stale), kind: 'retry' },
    });

    clock.advance(30);
    let sent = queued().length;
    await fixed(runtime, single, keyOf(single.name, holder), clock);
    const [first] = wakesSince(sent);
    expect(first?.incidentId).toBe(stale.id);
    sent = queued().length;
    await timers(sqsEvent([JSON.stringify(first)]), lambdaContext);

    const [second] = wakesSince(sent);
    expect(second?.incidentId).toBe((await loadIncident(runtime, keyOf(single.name, next)))?.id);
    await timers(sqsEvent([JSON.stringify(second)]), lambdaContext);
    expect((await loadIncident(runtime, keyOf(single.name, next)))?.status).toBe('remediating');
  });
});

describe('the entries of a wait list', () => {
  const entry = (incidentId: string, until: number) => ({
    list: 'runbook:cpu-high' as const,
    until,
    incidentId,
    wake: {
      key: keyOf('cpu-high', incidentId),
      incidentId,
      kind: 'retry' as const,
      token: `retry.0.${until}.1`,
      dueAt: until,
    },
  });

  it('are taken in the order of their deadlines, those whose deadline passed left out, each only once', async () => {
    const clock = new TestClock(T0);
    const { runtime } = await testRuntime({ runbooks: [single], clock });
    const { fleet } = runtime;
    // Joined out of order; one joined twice (it keeps its place); one whose wait is over.
    await fleet.joinWaitList(entry('c', T0 + 903_000));
    await fleet.joinWaitList(entry('a', T0 + 901_000));
    await fleet.joinWaitList(entry('b', T0 + 902_000));
    await fleet.joinWaitList(entry('a', T0 + 901_000));
    await fleet.joinWaitList(entry('over', T0 - 1));

    expect((await fleet.takeFromWaitList('runbook:cpu-high', 2, T0)).map((e) => e.incidentId)).toEqual([
      'a',
      'b',
    ]);
    expect(await fleet.inWaitList('runbook:cpu-high', T0 + 901_000, 'a')).toBe(false);
    expect(await fleet.inWaitList('runbook:cpu-high', T0 + 903_000, 'c')).toBe(true);
    const [c] = await fleet.takeFromWaitList('runbook:cpu-high', 5, T0);
    expect(c).toEqual(entry('c', T0 + 903_000));
    expect(await fleet.takeFromWaitList('runbook:cpu-high', 5, T0)).toEqual([]);
  });

  it('are never taken twice by givers taking from the line at once', async () => {
    const clock = new TestClock(T0);
    const { runtime } = await testRuntime({ runbooks: [single], clock });
    const { fleet } = runtime;
    const ids = Array.from({ length: 40 }, (_, n) => `w${String(n).padStart(2, '0')}`);
    await Promise.all(ids.map((id, n) => fleet.joinWaitList(entry(id, T0 + 900_000 + n))));

    // 50 givers at once, one waiter each: 40 woken, each by one giver; 10 find the line empty.
    const taken = await Promise.all(
      Array.from({ length: 50 }, () => fleet.takeFromWaitList('runbook:cpu-high', 1, T0)),
    );
    const woken = taken.flat().map((e) => e.incidentId);
    expect(woken).toHaveLength(40);
    expect(new Set(woken).size).toBe(40);
    expect(taken.filter((t) => t.length === 0)).toHaveLength(10);
  }, 60_000);
});

describe('a lost wake-up', () => {
  it('is made good by the slow fallback timer, which takes the slot long before the wait pages', async () => {
    const clock = new TestClock(T0);
    const { runtime } = await testRuntime({ runbooks: [single], clock });
    resetMocks();
    const alarms = createAlarmHandler(runtime);
    const timers = createTimerHandler(runtime);
    const [holder, waiter] = [instance(52, 0), instance(52, 1)];
    await alarms(alarmEvent(holder, 'ALARM', T0 - 1000), lambdaContext);
    await alarms(alarmEvent(waiter, 'ALARM', T0 - 1000), lambdaContext);
    const waiting = (await loadIncident(runtime, keyOf(single.name, waiter))) as Incident;
    expect(waiting.status).toBe('waiting');

    // SQS refuses the wake-up: the entry was taken out of line, and no message is on its way.
    mocks.sqs.on(SendMessageCommand).callsFake((input: { MessageBody?: string }) => {
      if (JSON.parse(input.MessageBody ?? '{}').wake) throw new Error('SQS is unavailable');
      return { MessageId: 'timer-message' };
    });
    clock.advance(60);
    await fixed(runtime, single, keyOf(single.name, holder), clock);
    expect((await runtime.fleet.read(single, undefined, clock.now())).fleet.slotsInUse).toBe(0);
    expect((await loadIncident(runtime, keyOf(single.name, waiter)))?.status).toBe('waiting');

    // The fallback look comes at its time, finds the slot free and takes it.
    const fallback = timerOf(waiting);
    clock.value = fallback.dueAt;
    await timers(sqsEvent([JSON.stringify(fallback)]), lambdaContext);
    const acting = await loadIncident(runtime, keyOf(single.name, waiter));
    expect(acting?.status).toBe('remediating');
    expect(clock.now() - T0).toBeLessThan(single.concurrency.maxWaitSeconds * 1000);
    expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, 2);
  });

  it('whose entry was taken by a waker that died puts the waiter back in line at its fallback, in its place', async () => {
    const clock = new TestClock(T0);
    const { runtime } = await testRuntime({ runbooks: [single], clock });
    resetMocks();
    const alarms = createAlarmHandler(runtime);
    const timers = createTimerHandler(runtime);
    const [holder, waiter] = [instance(53, 0), instance(53, 1)];
    await alarms(alarmEvent(holder, 'ALARM', T0 - 1000), lambdaContext);
    await alarms(alarmEvent(waiter, 'ALARM', T0 - 1000), lambdaContext);
    const waiting = (await loadIncident(runtime, keyOf(single.name, waiter))) as Incident;
    const entry = waitEntryOf(waiting, single);
    if (!entry) throw new Error('the incident stood in no line');

    // A waker took the entry and died before sending the wake-up.
    const [taken] = await runtime.fleet.takeFromWaitList(entry.list, 1, clock.now());
    expect(taken?.incidentId).toBe(waiting.id);

    // The fallback finds the slot still held: it waits again, nothing written, back in line.
    const fallback = timerOf(waiting);
    clock.value = fallback.dueAt;
    let sent = queued().length;
    await timers(sqsEvent([JSON.stringify(fallback)]), lambdaContext);
    expect(await loadIncident(runtime, keyOf(single.name, waiter))).toEqual(waiting);
    expect(await runtime.fleet.inWaitList(entry.list, entry.until, waiting.id)).toBe(true);
    expect(queued().slice(sent)).toEqual([expect.objectContaining({ kind: 'retry', token: fallback.token })]);

    // The holder is done: the waiter is woken at once.
    clock.advance(10);
    sent = queued().length;
    await fixed(runtime, single, keyOf(single.name, holder), clock);
    expect(wakesSince(sent).map((w) => w.incidentId)).toEqual([waiting.id]);
  });
});

describe('the wait list of an instance', () => {
  it("wakes the incident of another runbook waiting for the instance's lease when its holder gives it back", async () => {
    const roomy = { maxInFlight: 100, maxPerHour: 1000 };
    const cpuRunbook = cpu({ concurrency: roomy });
    const disk = defineRunbook({ ...testRunbook, breaker: false, concurrency: roomy });
    const clock = new TestClock(T0);
    const { runtime } = await testRuntime({ runbooks: [cpuRunbook, disk], clock });
    resetMocks();
    const timers = createTimerHandler(runtime);
    const id = instance(54, 0);
    const arn = (runbook: Runbook) => `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${runbook.name}-${id}`;
    const input = (runbook: Runbook) =>
      alarmInput('ALARM', T0 - 1000, {
        ...onInstance(id),
        alarmName: `${runbook.name}-${id}`,
        alarmArn: arn(runbook),
      });
    const key = (runbook: Runbook) => keyFor(runbook.name, id, arn(runbook));
    await runtime.processor.process(key(cpuRunbook), cpuRunbook, input(cpuRunbook));
    clock.advance(1);
    await runtime.processor.process(key(disk), disk, input(disk));
    const waiter = (await loadIncident(runtime, key(disk))) as Incident;
    expect(waiter.refusals?.at(-1)?.gate).toBe('lease');

    clock.advance(60);
    const sent = queued().length;
    await fixed(runtime, cpuRunbook, key(cpuRunbook), clock);
    const wakes = wakesSince(sent);
    expect(wakes).toEqual([
      expect.objectContaining({ incidentId: waiter.id, wake: { list: `instance:${id}` } }),
    ]);
    await timers(sqsEvent([JSON.stringify(wakes[0])]), lambdaContext);
    expect((await loadIncident(runtime, key(disk)))?.status).toBe('remediating');
  });
});

describe('the limits while many wait and are woken at once', () => {
  const limit = 4;
  const roomy = { maxInFlight: limit, maxPerHour: 100_000 };
  const cpuRunbook = cpu({ concurrency: roomy });
  const disk = defineRunbook({ ...testRunbook, breaker: false, concurrency: roomy });
  const stormContext = localLambdaContext('storm', 900_000);

  it(`two runbooks alarming on 30 instances at once, limit ${limit} each, commands of 30 s: never more than ${limit} commands of a runbook, never two on an instance, and every incident fixed without a page`, async () => {
    const clock = new TestClock(T0);
    const runbooks = [cpuRunbook, disk];
    const { runtime } = await testRuntime({ runbooks, clock });
    resetMocks();
    const timers = createTimerHandler(runtime);
    const ids = Array.from({ length: 30 }, (_, n) => instance(55, n));
    const arn = (runbook: Runbook, id: string) =>
      `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${runbook.name}-${id}`;
    const keyOfIncident = (runbook: Runbook, id: string) => keyFor(runbook.name, id, arn(runbook, id));
    const all = runbooks.flatMap((runbook) =>
      ids.map((id) => ({ runbook, id, key: keyOfIncident(runbook, id) })),
    );

    await Promise.all(
      all.map(({ runbook, id, key }) =>
        runtime.processor.process(
          key,
          runbook,
          alarmInput('ALARM', T0 - 1000, {
            ...onInstance(id),
            alarmName: `${runbook.name}-${id}`,
            alarmArn: arn(runbook, id),
          }),
        ),
      ),
    );

    // The world: SQS delivers each message at its time; each command finishes 30 s after it was sent.
    const delivered = new Set<number>();
    const running = new Map<
      string,
      { readonly runbook: Runbook; readonly key: IncidentKey; readonly sentAt: number }
    >();
    let maxPerRunbook = 0;
    let maxPerInstance = 0;
    let maxSlotsSeen = 0;
    for (let step = 0; step < 200; step++) {
      // What runs now, from the incidents themselves (a command recorded as sent, not yet finished).
      const incidents = await Promise.all(all.map(({ key }) => loadIncident(runtime, key)));
      for (const [i, incident] of incidents.entries()) {
        const attempt = incident?.attempts.at(-1);
        if (incident?.status === 'remediating' && attempt?.commandId && !running.has(incident.id)) {
          const { runbook, key } = all[i] as (typeof all)[number];
          running.set(incident.id, { runbook, key, sentAt: clock.now() });
        }
      }
      for (const runbook of runbooks) {
        const inFlight = [...running.values()].filter((r) => r.runbook === runbook).length;
        maxPerRunbook = Math.max(maxPerRunbook, inFlight);
        const { fleet } = await runtime.fleet.read(runbook, undefined, clock.now());
        maxSlotsSeen = Math.max(maxSlotsSeen, fleet.slotsInUse);
      }
      const perInstance = new Map<string, number>();
      for (const r of running.values())
        perInstance.set(r.key.target, (perInstance.get(r.key.target) ?? 0) + 1);
      maxPerInstance = Math.max(maxPerInstance, ...perInstance.values(), 0);
      if (incidents.every((i) => i?.status === 'resolved' || i?.status === 'escalated')) break;

      clock.advance(10);
      // Commands due to finish do, all at once (their holds given back together, waking as many).
      const finishing = [...running.entries()].filter(([, r]) => clock.now() - r.sentAt >= 30_000);
      for (const [id] of finishing) running.delete(id);
      await Promise.all(finishing.map(([, r]) => fixed(runtime, r.runbook, r.key, clock)));
      // Then every message due, at once (each its own invocation, as a storm of them would be).
      const messages = queued();
      const due = messages.flatMap((timer, i) =>
        !delivered.has(i) && deliveryTime(timer) <= clock.now() ? [{ i, timer }] : [],
      );
      for (const { i } of due) delivered.add(i);
      await Promise.all(due.map(({ timer }) => timers(sqsEvent([JSON.stringify(timer)]), stormContext)));
    }

    const incidents = await Promise.all(all.map(({ key }) => loadIncident(runtime, key)));
    expect(incidents.map((i) => i?.status)).toEqual(all.map(() => 'resolved'));
    expect(incidents.every((i) => i?.escalation === undefined)).toBe(true);
    expect(maxPerRunbook).toBe(limit);
    expect(maxSlotsSeen).toBeLessThanOrEqual(limit);
    expect(maxPerInstance).toBe(1);
    expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, all.length);
    // No poll: besides the wake-ups, a waiting incident sent at most its fallback look.
    const retries = queued().filter((t) => t.kind === 'retry' && !t.wake).length;
    expect(retries).toBeLessThanOrEqual(all.length * 2);
    expect(wakesSince(0).length).toBeGreaterThan(0);
    for (const runbook of runbooks)
      expect(await runtime.fleet.takeFromWaitList(`runbook:${runbook.name}`, 100, clock.now())).toEqual([]);
  }, 300_000);
});
