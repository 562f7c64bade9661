import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { PublishCommand } from '@aws-sdk/client-sns';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommandInvocationCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { readIncidents } from '../../cli/incidents.ts';
import type { AlarmStateValue } from '../../functions/core/alarm.ts';
import type { Incident } from '../../functions/core/incident.ts';
import { defineRunbook, type Runbook } from '../../functions/core/runbook.ts';
import { createAlarmHandler } from '../../functions/handlers/alarm-handler.ts';
import type { Runtime } from '../../functions/handlers/runtime.ts';
import { createTimerHandler } from '../../functions/handlers/timer-handler.ts';
import { alarmArn, alarmStateChange, cloudWatchTimestamp, sqsEvent } from '../../local/aws-shapes.ts';
import { lambdaContext, mocks, resetMocks, TestClock, testRuntime } from '../support/aws-runtime.ts';
import { testRunbook } from '../support/fixtures.ts';

/**
 * The seven ways the lifecycle once broke "no silent alarm", each driven through the real handlers on
 * DynamoDB Local (SSM, SQS, SNS and CloudWatch mocked at the SDK boundary), and read back as an
 * operator would (`readIncidents`, the SDK calls made).
 */

/** A runbook restarting the service an alarm names in its `exe` dimension: two services, two alarms. */
const serviceDown = defineRunbook({
  ...testRunbook,
  name: 'svc-down',
  match: { alarmNames: ['svc-*'] },
  parameters: {
    service: {
      description: 'the unit',
      allowedPattern: '^[a-z][a-z0-9-]{0,31}$',
      fromAlarm: { dimension: 'exe' },
    },
  },
  maxAttempts: 2,
  breaker: false,
});

/**
 * Ahead of the wall clock: leases and slots carry a TTL from their expiry, and DynamoDB Local deletes
 * items whose TTL has passed (by the wall clock), which would free a lease under a test's feet.
 */
const T = Date.parse('2030-11-21T03:00:00.000Z');

interface World {
  readonly runtime: Runtime;
  readonly table: string;
  readonly clock: TestClock;
  alarm(name: string, instanceId: string, to: AlarmStateValue, at: number, exe?: string): Promise<unknown>;
  /** Delivers the last timer SQS was asked to send (as SQS would), and returns the batch response. */
  fireLastTimer(): Promise<unknown>;
  /** Delivers the last timer sent for one incident. */
  fireTimerOf(incidentId: string): Promise<unknown>;
  incidents(): Promise<Incident[]>;
}

async function world(runbooks: readonly Runbook[] = [serviceDown], now = T): Promise<World> {
  const clock = new TestClock(now);
  const { runtime, config } = await testRuntime({ runbooks, clock });
  const alarmHandler = createAlarmHandler(runtime);
  const timerHandler = createTimerHandler(runtime);
  return {
    runtime,
    table: config.tableName,
    clock,
    alarm: (name, instanceId, to, at, exe) =>
      alarmHandler(
        alarmStateChange(
          {
            name,
            namespace: 'CWAgent',
            metricName: 'procstat_lookup_pid_count',
            dimensions: { InstanceId: instanceId, ...(exe ? { exe } : {}) },
            threshold: 1,
            periodSeconds: 60,
          },
          {
            from: to === 'ALARM' ? 'OK' : 'ALARM',
            to,
            at,
            previousAt: at - 60_000,
            value: to === 'ALARM' ? 0 : 1,
          },
        ),
        lambdaContext,
      ),
    fireLastTimer: async () => {
      const sent = mocks.sqs.commandCalls(SendMessageCommand).at(-1);
      const body = sent?.args[0].input.MessageBody as string;
      return timerHandler(sqsEvent([body]), lambdaContext);
    },
    fireTimerOf: async (incidentId) => {
      const body = mocks.sqs
        .commandCalls(SendMessageCommand)
        .map((c) => c.args[0].input.MessageBody as string)
        .filter((b) => JSON.parse(b).incidentId === incidentId)
        .at(-1);
      return timerHandler(sqsEvent([body as string]), lambdaContext);
    },
    incidents: () =>
      readIncidents({ table: config.tableName, endpoint: inject('dynamoDbEndpoint'), all: true }),
  };
}

const sends = () => mocks.ssm.commandCalls(SendCommandCommand).length;
const pages = () => mocks.sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject ?? '');

/** Opens an incident on the alarm whose remedy fails: it backs off before its second attempt. */
async function backingOff(w: World, alarmName: string, instanceId: string): Promise<Incident | undefined> {
  await w.alarm(alarmName, instanceId, 'ALARM', T, 'app');
  const [opened] = await w.incidents();
  mocks.ssm.on(GetCommandInvocationCommand).resolves({
    Status: 'Failed',
    ResponseCode: 1,
    Comment: `${opened?.id} attempt 1`,
  });
  w.clock.advance(120);
  await w.fireTimerOf(opened?.id as string);
  expect((await w.incidents())[0]?.status).toBe('backing-off');
  return opened;
}

describe('no silent alarm: the seven defects', () => {
  beforeEach(() => resetMocks());

  it('1. gives each alarm of one runbook on one instance its own incident, remediated in turn, each closed by its own OK', async () => {
    // Prepare: two services down on one instance, two alarms of the same runbook.
    const w = await world();
    const id = 'i-0000000000000e001';
    // Act
    await w.alarm('svc-app-web-1', id, 'ALARM', T, 'app');
    await w.alarm('svc-worker-web-1', id, 'ALARM', T + 1000, 'worker');
    const both = await w.incidents();
    // Assess: two incidents; one acts, the other waits its turn on the instance's lease (not dropped).
    expect(both.map((i) => i.alarm.name).sort()).toEqual(['svc-app-web-1', 'svc-worker-web-1']);
    expect(both.map((i) => i.status).sort()).toEqual(['remediating', 'waiting']);
    expect(both.find((i) => i.status === 'waiting')?.refusals?.at(-1)?.gate).toBe('lease');
    expect(sends()).toBe(1);
    // Act: the first one's command succeeds and its alarm returns to OK.
    const first = both.find((i) => i.status === 'remediating') as Incident;
    const second = both.find((i) => i.status === 'waiting') as Incident;
    mocks.ssm.on(GetCommandInvocationCommand).resolves({
      Status: 'Success',
      ResponseCode: 0,
      Comment: `${first.id} attempt 1`,
    });
    w.clock.advance(120);
    await w.fireTimerOf(first.id);
    await w.alarm(
      first.alarm.name,
      id,
      'OK',
      T + 130_000,
      first.alarm.name === 'svc-app-web-1' ? 'app' : 'worker',
    );
    // Assess: its OK closes its own incident only, and no OK is paged for the other.
    const after = await w.incidents();
    expect(after.find((i) => i.id === first.id)?.status).toBe('resolved');
    expect(after.find((i) => i.id === second.id)?.status).toBe('waiting');
    expect(pages()).toEqual([]);
    // Act: the second one's retry comes; the lease is free now.
    w.clock.advance(120);
    await w.fireTimerOf(second.id);
    // Assess: the second service gets its own command.
    expect(sends()).toBe(2);
    expect(mocks.ssm.commandCalls(SendCommandCommand).at(-1)?.args[0].input.Comment).toBe(
      `${second.id} attempt 1`,
    );
  });

  it('2. remembers an OK with no incident, so that an older ALARM delivered after it never acts', async () => {
    // Prepare
    const w = await world();
    w.clock.advance(120);
    const id = 'i-0000000000000e002';
    // Act: the OK (newer) arrives first, then the ALARM it ended (a retry after a throttle).
    await w.alarm('svc-app-web-2', id, 'OK', T + 120_000, 'app');
    await w.alarm('svc-app-web-2', id, 'ALARM', T, 'app');
    // Assess: nothing run on a healthy instance, nobody paged, no incident.
    expect(sends()).toBe(0);
    expect(pages()).toEqual([]);
    expect(await w.incidents()).toEqual([]);
    // ...and the next real ALARM is answered.
    w.clock.advance(600);
    await w.alarm('svc-app-web-2', id, 'ALARM', T + 600_000, 'app');
    expect(sends()).toBe(1);
  });

  it('3. gives an escalated incident a way out: a newer ALARM opens the next episode, and the slow check finds an OK that was lost', async () => {
    // Prepare: a runbook in dry-run pages at once (escalated).
    const shadow = defineRunbook({
      ...serviceDown,
      name: 'svc-shadow',
      match: { alarmNames: ['shadow-*'] },
      mode: 'dry-run',
    });
    const w = await world([shadow]);
    const id = 'i-0000000000000e003';
    await w.alarm('shadow-app-web-3', id, 'ALARM', T, 'app');
    // Act: the alarm went through INSUFFICIENT_DATA (not routed) and fired again.
    w.clock.advance(900);
    await w.alarm('shadow-app-web-3', id, 'ALARM', T + 900_000, 'app');
    // Assess: two episodes, each paged: the second is not merely noted.
    const episodes = (await w.incidents()).filter((i) => i.alarm.name === 'shadow-app-web-3');
    expect(episodes).toHaveLength(2);
    expect(pages().filter((s) => s.startsWith('ALARM'))).toHaveLength(2);
    // Act: its OK event goes to a dead-letter queue; an hour later the slow check asks CloudWatch.
    mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        {
          AlarmName: 'shadow-app-web-3',
          StateValue: 'OK',
          StateTransitionedTimestamp: new Date(T + 1_200_000),
        },
      ],
    });
    w.clock.advance(3600);
    await w.fireLastTimer();
    // Assess: closed, and the human hears it.
    const latest = (await w.incidents()).sort((a, b) => b.openedAt - a.openedAt)[0];
    expect(latest?.status).toBe('resolved');
    expect(pages().filter((s) => s.startsWith('OK'))).toHaveLength(2);
  });

  it('4. looks again at an alarm held back by a stand-down once it lifts: the resync acts on what is still in ALARM', async () => {
    // Prepare: automation paused; the alarm pages "paused".
    const w = await world();
    const id = 'i-0000000000000e004';
    const { DynamoDbKillSwitch } = await import('../../functions/adapters/aws/dynamodb-kill-switch.ts');
    const { localDynamoDbClient } = await import('../../local/dynamodb-local.ts');
    const killSwitch = new DynamoDbKillSwitch(localDynamoDbClient(inject('dynamoDbEndpoint')), w.table);
    await killSwitch.pause(undefined, { reason: 'failover', since: T });
    await w.alarm('svc-app-web-4', id, 'ALARM', T, 'app');
    expect(sends()).toBe(0);
    await w.fireLastTimer(); // nothing: the page is confirmed by the send itself
    // Act: resume; CloudWatch sends nothing while the alarm stays in ALARM, so the resync looks.
    await killSwitch.resume(undefined);
    mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        {
          AlarmName: 'svc-app-web-4',
          AlarmArn: alarmArn('svc-app-web-4'),
          StateValue: 'ALARM',
          StateReason: 'Threshold Crossed',
          StateTransitionedTimestamp: new Date(T),
          Namespace: 'CWAgent',
          MetricName: 'procstat_lookup_pid_count',
          Dimensions: [
            { Name: 'InstanceId', Value: id },
            { Name: 'exe', Value: 'app' },
          ],
        },
      ],
    });
    w.clock.advance(300);
    const report = await w.runtime.resync.run('resumed');
    // Assess: the command runs now, on the incident the human was paged about.
    expect(sends()).toBe(1);
    expect(report.answered.map((a) => a.action)).toEqual(['looked-again']);
    expect((await w.incidents())[0]?.status).toBe('remediating');
  });

  it('5. keeps a re-queued early timer on its due time, and stops delivering it after a bounded number of times', async () => {
    // Prepare: a timer for an incident whose write never landed (its token names version 7).
    const w = await world();
    const dueAt = T - 1000;
    const timer = {
      key: { runbook: 'svc-down', alarm: '00000000000000e5', target: 'i-0000000000000e005' },
      incidentId: '00000000000000e5.i-0000000000000e005.20261121T025959000Z',
      kind: 'retry',
      token: `retry.1.${dueAt}.7`,
      dueAt,
    };
    const handler = createTimerHandler(w.runtime);
    // Act: deliver it, and each copy it sends back, when SQS would (after its delay).
    let body = JSON.stringify(timer);
    let deliveries = 0;
    for (; deliveries < 500; deliveries++) {
      const before = mocks.sqs.commandCalls(SendMessageCommand).length;
      await handler(sqsEvent([body]), lambdaContext);
      const sent = mocks.sqs.commandCalls(SendMessageCommand);
      if (sent.length === before) break;
      const last = sent.at(-1)?.args[0].input;
      body = last?.MessageBody as string;
      w.clock.advance(Number(last?.DelaySeconds ?? 0));
      expect(JSON.parse(body).dueAt).toBe(dueAt);
    }
    // Assess
    expect(deliveries).toBeLessThanOrEqual(21);
    expect(sends()).toBe(0);
  });

  it('6. takes an unreadable alarm state at the verify deadline for unknown, never for ALARM', async () => {
    // Prepare: a command succeeded; the verify window ends while DescribeAlarms fails.
    const w = await world();
    const id = 'i-0000000000000e006';
    await w.alarm('svc-app-web-6', id, 'ALARM', T, 'app');
    const commandId = '00000000-0000-4000-8000-000000000001';
    mocks.ssm.on(GetCommandInvocationCommand).resolves({
      CommandId: commandId,
      InstanceId: id,
      Status: 'Success',
      ResponseCode: 0,
      Comment: (await w.incidents())[0]?.id ? `${(await w.incidents())[0]?.id} attempt 1` : '',
    });
    w.clock.advance(120);
    await w.fireLastTimer(); // the dispatch check finds the command finished: verifying
    expect((await w.incidents())[0]?.status).toBe('verifying');
    mocks.cloudwatch.on(DescribeAlarmsCommand).rejects(new Error('Rate exceeded'));
    // Act: the deadline, and the checks after it, while CloudWatch does not answer.
    for (let i = 0; i < 4; i++) {
      w.clock.advance(i === 0 ? testRunbook.verifyWindowSeconds : 60);
      await w.fireLastTimer();
    }
    // Assess: no second command; a human is paged with "state unknown", not "still in ALARM".
    const incident = (await w.incidents())[0];
    expect(sends()).toBe(1);
    expect(incident?.status).toBe('escalated');
    expect(incident?.escalation?.reason).toMatch(/^state unknown/);
    expect(incident?.attempts[0]?.verification).not.toBe('failed');
    // (The page's next steps offer a snooze that "pages again if still in ALARM": not a verdict.)
    expect(JSON.stringify(mocks.sns.commandCalls(PublishCommand).at(-1)?.args[0].input)).not.toMatch(
      /was still in ALARM/,
    );
  });

  it('7. rejects an alarm whose state time is not a real date, or lies more than five minutes ahead', async () => {
    // Prepare
    const w = await world();
    const id = 'i-0000000000000e007';
    const handler = createAlarmHandler(w.runtime);
    const event = (timestamp: string) => {
      const e = alarmStateChange(
        {
          name: 'svc-app-web-7',
          namespace: 'CWAgent',
          metricName: 'procstat_lookup_pid_count',
          dimensions: { InstanceId: id, exe: 'app' },
          threshold: 1,
          periodSeconds: 60,
        },
        { from: 'OK', to: 'ALARM', at: T, previousAt: T - 60_000, value: 0 },
      );
      (e.detail as { state: { timestamp: string } }).state.timestamp = timestamp;
      return e;
    };
    // Act
    const ahead = await handler(event(cloudWatchTimestamp(T + 365 * 86_400_000)), lambdaContext);
    const invalid = await handler(event('2026-02-30T03:00:00.000+0000'), lambdaContext);
    const fine = await handler(event(cloudWatchTimestamp(T + 60_000)), lambdaContext);
    // Assess: the first two run nothing and keep nothing; a state a minute ahead (clock skew) is fine.
    expect(ahead).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/in the future/) });
    expect(invalid).toMatchObject({ outcome: 'rejected' });
    expect(fine).toMatchObject({ outcome: 'processed' });
    expect(sends()).toBe(1);
  });

  it('8. gives an open incident the OK it never received: the resync finds it in the index of open incidents', async () => {
    // Prepare: a remedy fails; the incident backs off before its second attempt.
    const w = await world();
    const opened = await backingOff(w, 'svc-app-web-8', 'i-0000000000000e008');
    expect(await w.runtime.store.openKeys(serviceDown.name)).toEqual([opened?.key]);
    // Act: the alarm returned to OK, and its event was lost; CloudWatch lists nothing in ALARM.
    mocks.cloudwatch.on(DescribeAlarmsCommand).callsFake((input) =>
      input.StateValue === 'ALARM'
        ? { MetricAlarms: [] }
        : {
            MetricAlarms: [
              {
                AlarmName: 'svc-app-web-8',
                StateValue: 'OK',
                StateTransitionedTimestamp: new Date(T + 110_000),
              },
            ],
          },
    );
    const report = await w.runtime.resync.run('schedule');
    // Assess: closed as cleared, no second command, and the retry that follows acts on nothing.
    expect(report.settled).toEqual([{ incidentId: opened?.id, state: 'OK', status: 'resolved' }]);
    const [closed] = await w.incidents();
    expect(closed).toMatchObject({ status: 'resolved', resolution: { how: 'cleared' } });
    expect(await w.runtime.store.openKeys(serviceDown.name)).toEqual([]);
    await w.fireTimerOf(opened?.id as string);
    expect(sends()).toBe(1);
    // A second resync finds nothing open: no call per alarm once nothing is open.
    const calls = mocks.cloudwatch.commandCalls(DescribeAlarmsCommand).length;
    expect((await w.runtime.resync.run('schedule')).settled).toEqual([]);
    expect(mocks.cloudwatch.commandCalls(DescribeAlarmsCommand).length).toBe(calls + 1);
  });

  it('9. sends again the lost check of an incident whose command result was lost, though its alarm went OK', async () => {
    // Prepare: a remedy is sent; its status event and its reconcile timer are both lost (SQS dropped
    // the message), and the alarm returns to OK while the command runs.
    const w = await world();
    const id = 'i-0000000000000e009';
    await w.alarm('svc-app-web-9', id, 'ALARM', T, 'app');
    const [running] = await w.incidents();
    expect(running).toMatchObject({ status: 'remediating', timer: { kind: 'reconcile' } });
    w.clock.advance(60);
    await w.alarm('svc-app-web-9', id, 'OK', T + 60_000, 'app');
    expect((await w.incidents())[0]?.status).toBe('remediating');
    mocks.cloudwatch.on(DescribeAlarmsCommand).callsFake((input) =>
      input.StateValue === 'ALARM'
        ? { MetricAlarms: [] }
        : {
            MetricAlarms: [
              {
                AlarmName: 'svc-app-web-9',
                StateValue: 'OK',
                StateTransitionedTimestamp: new Date(T + 60_000),
              },
            ],
          },
    );
    const timersBefore = mocks.sqs.commandCalls(SendMessageCommand).length;
    // Act: a resync long after the timer was due (its message never came).
    w.clock.advance(20 * 60);
    await w.runtime.resync.run('schedule');
    // Assess: the same timer is sent again, and firing it finds the command's result and closes the incident.
    const resent = mocks.sqs.commandCalls(SendMessageCommand).slice(timersBefore);
    expect(resent.map((c) => JSON.parse(c.args[0].input.MessageBody as string))).toEqual([
      expect.objectContaining({ incidentId: running?.id, kind: 'reconcile', token: running?.timer?.token }),
    ]);
    mocks.ssm.on(GetCommandInvocationCommand).resolves({
      Status: 'Success',
      ResponseCode: 0,
      Comment: `${running?.id} attempt 1`,
    });
    await w.fireTimerOf(running?.id as string);
    expect((await w.incidents())[0]?.status).toBe('resolved');
  });
  it('10. tries again, in the same run, an OK the resync read and could not write, and an ALARM it could not open', async () => {
    // Prepare: an incident backs off after a failed remedy (as in 8), and a second alarm fired unseen.
    const w = await world();
    const opened = await backingOff(w, 'svc-app-web-10', 'i-0000000000000e010');
    mocks.cloudwatch.on(DescribeAlarmsCommand).callsFake((input) =>
      input.StateValue === 'ALARM'
        ? {
            MetricAlarms: [
              {
                AlarmName: 'svc-app-web-11',
                AlarmArn: alarmArn('svc-app-web-11'),
                StateValue: 'ALARM',
                StateTransitionedTimestamp: new Date(T + 100_000),
                Namespace: 'CWAgent',
                MetricName: 'procstat_lookup_pid_count',
                Dimensions: [
                  { Name: 'InstanceId', Value: 'i-0000000000000e011' },
                  { Name: 'exe', Value: 'app' },
                ],
              },
            ],
          }
        : {
            MetricAlarms: [
              {
                AlarmName: 'svc-app-web-10',
                StateValue: 'OK',
                StateTransitionedTimestamp: new Date(T + 110_000),
              },
            ],
          },
    );
    // Act: the first write of each is throttled (past the SDK's own retries).
    const throttled = Object.assign(
      new Error('The level of configured provisioned throughput was exceeded'),
      {
        name: 'ProvisionedThroughputExceededException',
      },
    );
    const process = w.runtime.processor.process.bind(w.runtime.processor);
    const calls: string[] = [];
    const spy = vi.spyOn(w.runtime.processor, 'process').mockImplementation(async (key, runbook, input) => {
      const kind = typeof input === 'function' ? 'observed' : input.kind;
      calls.push(kind);
      if ((kind === 'alarm' || kind === 'resync') && calls.filter((c) => c === kind).length === 1)
        throw throttled;
      return process(key, runbook, input);
    });
    const report = await w.runtime.resync.run('schedule');
    spy.mockRestore();
    // Assess: both done in this run, not left for the next resync five minutes on.
    expect(calls.filter((c) => c === 'alarm')).toHaveLength(2);
    expect(calls.filter((c) => c === 'resync')).toHaveLength(2);
    expect(report.settled).toEqual([{ incidentId: opened?.id, state: 'OK', status: 'resolved' }]);
    expect(report.answered).toEqual([
      expect.objectContaining({ alarmName: 'svc-app-web-11', action: 'opened' }),
    ]);
    const byAlarm = new Map((await w.incidents()).map((i) => [i.alarm.name, i.status]));
    expect(byAlarm.get('svc-app-web-10')).toBe('resolved');
    expect(byAlarm.get('svc-app-web-11')).toBe('remediating');
  });
});
