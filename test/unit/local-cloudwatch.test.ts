import { describe, expect, it } from 'vitest';
import { alarmContributorStateChangeEvent, alarmStateChangeEvent } from '../../functions/handlers/schemas.ts';
import { Agenda } from '../../local/agenda.ts';
import type { AwsEvent } from '../../local/aws-shapes.ts';
import { contributorId, gameDayAlarms } from '../../local/gameday/declared-alarms.ts';
import type { FleetInstance } from '../../local/gameday/fleet.ts';
import { LocalCloudWatch } from '../../local/gameday/local-cloudwatch.ts';
import { LocalBus } from '../../local/local-bus.ts';
import type { Sandbox } from '../../local/sandbox.ts';
import { runbooks } from '../../runbooks/index.ts';

const T0 = Date.parse('2026-11-21T03:00:00Z');
const serviceDown = runbooks.find((r) => r.name === 'service-down');
const diskFull = runbooks.find((r) => r.name === 'disk-full');

/** An instance whose probe prints the next of `values` each period (undefined: no datapoint). */
function instance(n: number, values: Array<number | undefined>): FleetInstance {
  let period = 0;
  const sandbox = {
    run: async () => {
      const value = values[Math.min(period++, values.length - 1)];
      return value === undefined
        ? { exitCode: 1, stdout: '', stderr: 'no process', timedOut: false, durationMs: 1 }
        : { exitCode: 0, stdout: `${value}\n`, stderr: '', timedOut: false, durationMs: 1 };
    },
  } as unknown as Sandbox;
  return {
    name: `web-${n}`,
    instanceId: `i-0da0000000000000${n}`,
    availabilityZone: 'us-east-1a',
    instanceType: 't3.micro',
    imageId: 'ami-0123456789abcdef0',
    tags: {},
    sandbox,
  };
}

/** Runs the local CloudWatch over `minutes` one-minute periods; returns it and every event it put. */
async function runFor(mode: 'fleet' | 'per-instance', fleet: FleetInstance[], minutes: number) {
  const agenda = new Agenda(T0);
  const bus = new LocalBus(agenda);
  const events: AwsEvent[] = [];
  bus.addRule({
    name: 'capture',
    pattern: { source: ['aws.cloudwatch'] },
    immediate: true,
    target: async (e) => {
      events.push(e);
    },
  });
  const alarms = gameDayAlarms([serviceDown as NonNullable<typeof serviceDown>], fleet, mode);
  const cloudwatch = new LocalCloudWatch({ alarms, scheduler: agenda, bus });
  cloudwatch.start();
  await agenda.run(T0 + minutes * 60_000);
  return { cloudwatch, events, alarms };
}

describe("the game day's local CloudWatch, from a runbook's declared alarm", () => {
  it('keeps a fleet alarm whose contributors go ALARM and OK on their own, as AWS puts them', async () => {
    // web-1 stays up; web-2 has no app process in minutes 3 and 4.
    const fleet = [instance(1, [1]), instance(2, [1, 1, 0, 0, 1, 1])];
    const { cloudwatch, events } = await runFor('fleet', fleet, 4);

    const [parentOk, contributorAlarm, parentAlarm] = events;
    expect(events).toHaveLength(3);
    // No contributor event for a series' first OK; the alarm's own first state, as the parent sample.
    expect(parentOk?.['detail-type']).toBe('CloudWatch Alarm State Change');
    expect(parentOk?.detail).toMatchObject({
      alarmName: 'service-down-fleet-GameDay',
      state: { value: 'OK', reason: '0 out of 2 time series evaluated to ALARM' },
      previousState: { value: 'INSUFFICIENT_DATA', reason: 'Unchecked: Initial alarm creation' },
    });
    expect(alarmStateChangeEvent.safeParse(parentOk).success).toBe(true);
    expect(contributorAlarm?.['detail-type']).toBe('CloudWatch Alarm Contributor State Change');
    expect(alarmContributorStateChangeEvent.safeParse(contributorAlarm).success).toBe(true);
    const web2 = { InstanceId: 'i-0da00000000000002', exe: 'app' };
    expect(contributorAlarm?.detail).toEqual({
      alarmName: 'service-down-fleet-GameDay',
      alarmContributor: { id: contributorId(web2), attributes: web2 },
      state: {
        value: 'ALARM',
        reason: expect.stringContaining('Threshold Crossed'),
        timestamp: expect.any(String),
      },
      configuration: {
        metrics: [
          {
            id: 'm1',
            expression:
              "SELECT AVG(procstat_lookup_pid_count) FROM CWAgent WHERE AutoRemediation = 'enabled' GROUP BY InstanceId, exe ORDER BY MIN() ASC LIMIT 500",
            returnData: true,
            period: 60,
          },
        ],
        description: expect.any(String),
      },
    });
    expect(contributorId(web2)).toMatch(/^[0-9a-f]{16}$/);
    expect(parentAlarm?.detail).toMatchObject({
      state: { value: 'ALARM', reason: '1 out of 2 time series evaluated to ALARM' },
      previousState: { value: 'OK' },
    });

    // DescribeAlarms / DescribeAlarmContributors, as the resync and the verification read them.
    expect(await cloudwatch.state('service-down-fleet-GameDay')).toMatchObject({ state: 'ALARM' });
    expect(await cloudwatch.state('service-down-fleet-GameDay', contributorId(web2))).toMatchObject({
      state: 'ALARM',
    });
    const web1 = contributorId({ InstanceId: 'i-0da00000000000001', exe: 'app' });
    expect(await cloudwatch.state('service-down-fleet-GameDay', web1)).toEqual({
      state: 'OK',
      at: T0 + 240_000,
    });
    const listed = await cloudwatch.inAlarm();
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      alarmName: 'service-down-fleet-GameDay',
      state: 'ALARM',
      usesExpression: true,
      contributor: { id: contributorId(web2), attributes: web2 },
      metrics: [
        {
          namespace: 'CWAgent',
          metricName: 'procstat_lookup_pid_count',
          dimensions: { AutoRemediation: 'enabled', ...web2 },
        },
      ],
    });
    expect(cloudwatch.describeCalls).toBe(1);
    expect(cloudwatch.describeContributorsCalls).toBe(3);
    expect(cloudwatch.inAlarmNow()).toEqual([
      {
        alarmName: 'service-down-fleet-GameDay',
        instanceId: 'i-0da00000000000002',
        runbook: 'service-down',
        contributor: { id: contributorId(web2), attributes: web2 },
      },
    ]);
  });

  it('returns a contributor to OK, and the alarm with it, once its series is within the threshold', async () => {
    const fleet = [instance(1, [1]), instance(2, [1, 1, 0, 0, 1, 1])];
    const { events, cloudwatch } = await runFor('fleet', fleet, 6);

    expect(events.map((e) => [e['detail-type'], (e.detail.state as { value: string }).value])).toEqual([
      ['CloudWatch Alarm State Change', 'OK'],
      ['CloudWatch Alarm Contributor State Change', 'ALARM'],
      ['CloudWatch Alarm State Change', 'ALARM'],
      ['CloudWatch Alarm Contributor State Change', 'OK'],
      ['CloudWatch Alarm State Change', 'OK'],
    ]);
    expect(events[4]?.detail.state).toMatchObject({ reason: '0 out of 2 time series evaluated to ALARM' });
    expect(await cloudwatch.inAlarm()).toEqual([]);
    // The record keeps each contributor's changes, its first (silent) OK included.
    expect(cloudwatch.changes.filter((c) => c.instanceId === 'i-0da00000000000002')).toMatchObject([
      { from: 'INSUFFICIENT_DATA', to: 'OK', silent: true },
      { from: 'OK', to: 'ALARM' },
      { from: 'ALARM', to: 'OK' },
    ]);
  });

  it('keeps one single-metric alarm per instance in per-instance mode, named as the alarm keeper names it', async () => {
    const fleet = [instance(1, [1]), instance(2, [1, 1, 0, 0])];
    const { events, cloudwatch } = await runFor('per-instance', fleet, 4);

    expect(new Set(events.map((e) => e['detail-type']))).toEqual(new Set(['CloudWatch Alarm State Change']));
    for (const event of events) expect(alarmStateChangeEvent.safeParse(event).success).toBe(true);
    const alarm = events.find((e) => (e.detail.state as { value: string }).value === 'ALARM');
    expect(alarm?.detail.alarmName).toBe('service-down-web-2-i-0da00000000000002-exe=app');
    expect(alarm?.detail).toMatchObject({
      previousState: { value: 'OK' },
      configuration: {
        metrics: [
          {
            metricStat: {
              metric: {
                namespace: 'CWAgent',
                name: 'procstat_lookup_pid_count',
                dimensions: { InstanceId: 'i-0da00000000000002', AutoRemediation: 'enabled', exe: 'app' },
              },
              period: 60,
              stat: 'Average',
            },
          },
        ],
      },
    });
    expect(await cloudwatch.state('service-down-web-2-i-0da00000000000002-exe=app')).toMatchObject({
      state: 'ALARM',
    });
    expect(await cloudwatch.inAlarm()).toMatchObject([
      { usesExpression: false, metrics: [{ metricName: 'procstat_lookup_pid_count' }] },
    ]);
  });

  it("takes the declaration's settings and the proof's threshold, and says what it cannot find", () => {
    const [disk] = gameDayAlarms([diskFull as NonNullable<typeof diskFull>], [instance(1, [1])], 'fleet');
    expect(disk?.rule).toEqual({
      comparison: 'GreaterThanThreshold',
      threshold: 90,
      periodSeconds: 60,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: 'missing',
    });
    const cpu = runbooks.find((r) => r.name === 'runaway-cpu') as NonNullable<typeof serviceDown>;
    const [runaway] = gameDayAlarms([cpu], [instance(1, [1])], 'fleet');
    // The sandbox threshold of the proof; AWS/EC2 is scoped by the opt-in tag, not a dimension.
    expect(runaway?.rule).toMatchObject({ threshold: 40, periodSeconds: 300, evaluationPeriods: 1 });
    expect(runaway?.query).toContain("WHERE tag.AutoRemediation = 'enabled'");
    expect(runaway?.series[0]?.dimensions).toEqual({ InstanceId: 'i-0da00000000000001' });

    const noValue = {
      ...(serviceDown as NonNullable<typeof serviceDown>),
      proof: { fault: 'fault.sh', probe: 'probe.sh' },
    };
    expect(() => gameDayAlarms([noValue], [instance(1, [1])], 'fleet')).toThrow(
      /groups by exe, but its proof gives parameter service \(which reads exe\) no value/,
    );
    const inodes = runbooks.find((r) => r.name === 'inode-exhaustion') as NonNullable<typeof serviceDown>;
    expect(() => gameDayAlarms([inodes], [], 'fleet')).toThrow(/declares no alarm/);
  });
});

describe("the game day's clock while the local CloudWatch measures", () => {
  it('holds the clock at real speed for the whole round of probes, and lets go once every probe answered', async () => {
    const agenda = new Agenda(T0);
    const bus = new LocalBus(agenda);
    let held = 0;
    const heldDuringProbe: number[] = [];
    const fleet = [instance(1, [1]), instance(2, [1])];
    for (const one of fleet) {
      const run = one.sandbox.run.bind(one.sandbox);
      (one.sandbox as { run: typeof run }).run = async (...args) => {
        heldDuringProbe.push(held);
        await new Promise((resolve) => setTimeout(resolve, 5));
        return run(...args);
      };
    }
    const alarms = gameDayAlarms([serviceDown as NonNullable<typeof serviceDown>], fleet, 'per-instance');
    const hold = () => {
      held += 1;
      return () => {
        held -= 1;
      };
    };
    const cloudwatch = new LocalCloudWatch({ alarms, scheduler: agenda, bus, hold });
    cloudwatch.start();
    await agenda.run(T0 + 3 * 60_000);
    cloudwatch.stop();
    expect(heldDuringProbe.length).toBeGreaterThanOrEqual(4);
    expect(heldDuringProbe.every((n) => n >= 1)).toBe(true);
    expect(held).toBe(0);
  });
});
