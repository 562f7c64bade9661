import { DescribeAlarmContributorsCommand, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeInstancesCommand, DescribeTagsCommand } from '@aws-sdk/client-ec2';
import { PublishCommand } from '@aws-sdk/client-sns';
import { SendCommandCommand } from '@aws-sdk/client-ssm';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { alarmIdentity } from '../../functions/core/alarm.ts';
import { fnv1a64, NO_TARGET } from '../../functions/core/identity.ts';
import type { Incident, IncidentKey } from '../../functions/core/incident.ts';
import { defineRunbook, type Runbook } from '../../functions/core/runbook.ts';
import { createAlarmHandler } from '../../functions/handlers/alarm-handler.ts';
import type { Runtime } from '../../functions/handlers/runtime.ts';
import { parseAwsTimestamp } from '../../functions/handlers/schemas.ts';
import { alarmArn, cloudWatchTimestamp } from '../../local/aws-shapes.ts';
import builtInDiskFull from '../../runbooks/disk-full/runbook.ts';
import builtInServiceDown from '../../runbooks/service-down/runbook.ts';
import {
  lambdaContext,
  loadIncident,
  mocks,
  resetMocks,
  sampleEvent,
  TestClock,
  testRuntime,
} from '../support/aws-runtime.ts';
import { testRunbook } from '../support/fixtures.ts';

/**
 * "CloudWatch Alarm Contributor State Change" events (one series of a Metrics Insights fleet alarm)
 * and the fleet alarm's own state change, through the real alarm handler and resync on DynamoDB Local
 * (SSM, SQS, SNS, EC2 and CloudWatch mocked at the SDK boundary). Every event is AWS's published
 * sample, as is or with the fields a test is about changed in a copy.
 */

const CONTRIBUTOR_SAMPLE = 'cloudwatch-alarm-contributor-state-change.json';
const PARENT_SAMPLE = 'cloudwatch-alarm-state-change.multi-time-series-parent.json';

/** The built-in disk-full runbook's fleet alarm, as an operator would write it. */
const DISK_QUERY =
  "SELECT AVG(disk_used_percent) FROM CWAgent WHERE path = '/' GROUP BY InstanceId ORDER BY MAX() DESC";
const DISK_ALARM = 'disk-full-fleet-Test';
/** The built-in service-down runbook's fleet alarm: one series per instance and service. */
const SERVICE_QUERY =
  'SELECT MIN(procstat_lookup_pid_count) FROM CWAgent GROUP BY InstanceId, exe ORDER BY MIN() ASC';
const SERVICE_ALARM = 'service-down-fleet-Test';

/**
 * The built-in runbooks as deployed, but for the fleet breaker: this file opens incidents on many
 * instances of one table within minutes, and the breaker has tests of its own.
 */
const diskFull: Runbook = { ...builtInDiskFull, breaker: false };
const serviceDown: Runbook = { ...builtInServiceDown, breaker: false };

/** Answers the published sample's alarm by name, so that what happens to it is this system's choice. */
const dynamoInsights = defineRunbook({
  ...testRunbook,
  name: 'dynamodb-insights',
  match: { alarmNames: ['DynamoDBInsightsAlarm'] },
});

const INSTANCE = 'i-0123456789abcdef0';
const T = Date.parse('2026-11-21T03:00:00.000Z');

type Json = any;

/** A contributor event: a copy of AWS's sample with this series, state, time and query. */
function contributorEvent(
  sample: Json,
  options: {
    alarmName?: string;
    id: string;
    attributes: Record<string, string>;
    expression?: string;
    state: 'ALARM' | 'OK';
    at: number;
    muted?: boolean;
  },
): Json {
  const event = structuredClone(sample);
  const name = options.alarmName ?? DISK_ALARM;
  event.resources = [alarmArn(name)];
  event.time = new Date(options.at).toISOString().replace(/\.\d{3}Z$/, 'Z');
  event.detail.alarmName = name;
  event.detail.alarmContributor = { id: options.id, attributes: options.attributes };
  event.detail.state = {
    value: options.state,
    reason:
      options.state === 'ALARM'
        ? 'Threshold Crossed: 2 datapoints were greater than the threshold (90.0).'
        : 'Threshold Crossed: 2 datapoints were not greater than the threshold (90.0).',
    timestamp: cloudWatchTimestamp(options.at),
  };
  event.detail.configuration.metrics[0].expression = options.expression ?? DISK_QUERY;
  if (!options.muted) delete event.detail.muteDetail;
  return event;
}

/** The key of a contributor's incident. */
function contributorKey(runbook: string, alarmName: string, id: string, target: string): IncidentKey {
  return {
    runbook,
    alarm: fnv1a64(alarmIdentity({ alarmArn: alarmArn(alarmName), contributor: { id } })),
    target,
  };
}

const sends = () => mocks.ssm.commandCalls(SendCommandCommand).map((c) => c.args[0].input);
const pages = () => mocks.sns.commandCalls(PublishCommand).map((c) => c.args[0].input);

/**
 * Every instance opted in, launched long ago, and allowed to have nginx and php-fpm restarted
 * (service-down's allow-list tag), whichever EC2 call the opt-in reader makes (DescribeTags, or
 * DescribeInstances by id or by filter).
 */
function optInWithServices(): void {
  const tags = [
    { Key: 'AutoRemediation', Value: 'enabled' },
    { Key: 'AutoRemediation:services', Value: 'nginx:php-fpm' },
  ];
  type Filters = { Filters?: Array<{ Name?: string; Values?: string[] }> };
  mocks.ec2.on(DescribeTagsCommand).callsFake((input: Filters) => {
    const ResourceId = input.Filters?.find((f) => f.Name === 'resource-id')?.Values?.[0];
    return { Tags: tags.map((tag) => ({ ResourceId, ResourceType: 'instance', ...tag })) };
  });
  mocks.ec2.on(DescribeInstancesCommand).callsFake((input: Filters & { InstanceIds?: string[] }) => ({
    Reservations: [
      {
        Instances: (
          input.InstanceIds ??
          input.Filters?.find((f) => f.Name === 'instance-id')?.Values ??
          []
        ).map((id) => ({
          InstanceId: id,
          InstanceType: 'm6i.large',
          ImageId: 'ami-0abcdef1234567890',
          Placement: { AvailabilityZone: 'us-east-1a' },
          LaunchTime: new Date(Date.parse('2020-01-01T00:00:00.000Z')),
          Tags: [{ Key: 'Name', Value: `web-${id.slice(-4)}` }, ...tags],
        })),
      },
    ],
  }));
}

/** Finishes an incident's commands (its diagnosis, then its remedy) with success: it is verifying. */
async function succeed(runtime: Runtime, key: IncidentKey, runbook: Runbook): Promise<Incident | undefined> {
  for (let step = 0; step < 3; step++) {
    const incident = await loadIncident(runtime, key);
    if (incident?.status !== 'remediating') return incident;
    const attempt = incident.attempts.at(-1);
    const commandId = attempt?.status === 'diagnosing' ? attempt.diagnosis?.commandId : attempt?.commandId;
    await runtime.processor.process(key, runbook, {
      kind: 'command-finished',
      commandId: commandId as string,
      result: { status: 'Success', responseCode: 0 },
    });
  }
  return loadIncident(runtime, key);
}

describe('contributor events of fleet alarms, through the alarm handler on DynamoDB Local', () => {
  const clock = new TestClock(T);
  let runtime: Runtime;
  let handler: ReturnType<typeof createAlarmHandler>;
  let sample: Json;

  beforeAll(async () => {
    ({ runtime } = await testRuntime({ runbooks: [diskFull, serviceDown, dynamoInsights], clock }));
    handler = createAlarmHandler(runtime);
    sample = await sampleEvent(CONTRIBUTOR_SAMPLE);
  });
  beforeEach(() => {
    resetMocks();
    optInWithServices();
    clock.value = T + 2000;
  });

  describe("(a) AWS's sample as published: a series grouped by TableName, muted", () => {
    it('stands down for the mute, as CloudWatch actions do: no incident, no page, no command', async () => {
      clock.value = parseAwsTimestamp(sample.detail.state.timestamp) + 2000;

      const result = await handler(structuredClone(sample), lambdaContext);

      expect(result).toEqual({
        outcome: 'ignored',
        reason: 'the alarm is muted by arn:aws:cloudwatch:us-east-1:1234567890:alarm-mute-rule:testMute',
      });
      expect(mocks.ssm).not.toHaveReceivedAnyCommand();
      expect(mocks.sns).not.toHaveReceivedAnyCommand();
      expect(
        await loadIncident(
          runtime,
          contributorKey('dynamodb-insights', 'DynamoDBInsightsAlarm', '6d442278dba546f6', NO_TARGET),
        ),
      ).toBeUndefined();
    });

    it('unmuted, pages at once for the series, naming no instance, and runs nothing', async () => {
      clock.value = parseAwsTimestamp(sample.detail.state.timestamp) + 2000;
      const unmuted = structuredClone(sample);
      delete unmuted.detail.muteDetail;

      const result = await handler(unmuted, lambdaContext);

      const key = contributorKey('dynamodb-insights', 'DynamoDBInsightsAlarm', '6d442278dba546f6', NO_TARGET);
      expect(result).toMatchObject({
        outcome: 'processed',
        incidentId: expect.stringMatching(new RegExp(`^${key.alarm}\\.none\\.`)),
      });
      expect(sends()).toEqual([]);
      expect(pages()).toHaveLength(1);
      expect(pages()[0]?.Subject).toMatch(/^ALARM: DynamoDBInsightsAlarm on no single instance/);
      expect(pages()[0]?.Message).toContain('not InstanceId');
      const incident = await loadIncident(runtime, key);
      expect(incident?.status).toBe('escalated');
      expect(incident?.alarm.contributor).toEqual({
        id: '6d442278dba546f6',
        attributes: { TableName: 'example-dynamodb-table-name' },
      });
    });

    it("is nobody's business when no runbook answers it: ignored, no page, no command", async () => {
      const { runtime: bare } = await testRuntime({ runbooks: [diskFull, serviceDown], clock });
      clock.value = parseAwsTimestamp(sample.detail.state.timestamp) + 2000;
      const unmuted = structuredClone(sample);
      delete unmuted.detail.muteDetail;

      const results = [
        await createAlarmHandler(bare)(structuredClone(sample), lambdaContext),
        await createAlarmHandler(bare)(unmuted, lambdaContext),
      ];

      expect(results).toEqual([
        { outcome: 'ignored', reason: 'no runbook answers this alarm' },
        { outcome: 'ignored', reason: 'no runbook answers this alarm' },
      ]);
      expect(mocks.ssm).not.toHaveReceivedAnyCommand();
      expect(mocks.sns).not.toHaveReceivedAnyCommand();
    });
  });

  it('(b) remediates the instance a series grouped by InstanceId names, with the runbook that answers it', async () => {
    const event = contributorEvent(sample, {
      id: 'b000000000000001',
      attributes: { InstanceId: INSTANCE },
      state: 'ALARM',
      at: T,
    });

    const result = await handler(event, lambdaContext);

    const key = contributorKey('disk-full', DISK_ALARM, 'b000000000000001', INSTANCE);
    expect(result).toMatchObject({
      outcome: 'processed',
      incidentId: expect.stringMatching(new RegExp(`^${key.alarm}\\.${INSTANCE}\\.`)),
    });
    expect(sends()).toHaveLength(1);
    expect(sends()[0]).toMatchObject({ DocumentName: 'Remediation-Test-disk-full', InstanceIds: [INSTANCE] });
    expect(pages()).toEqual([]);
    const incident = await loadIncident(runtime, key);
    expect(incident).toMatchObject({
      id: result.incidentId,
      alarm: {
        name: DISK_ALARM,
        arn: alarmArn(DISK_ALARM),
        contributor: { id: 'b000000000000001', attributes: { InstanceId: INSTANCE } },
      },
    });
    expect(incident?.attempts).toHaveLength(1);
    // The incident is the series', not the alarm's: the alarm's own key holds nothing.
    expect(
      await loadIncident(runtime, {
        runbook: 'disk-full',
        alarm: fnv1a64(alarmArn(DISK_ALARM)),
        target: INSTANCE,
      }),
    ).toBeUndefined();
  });

  it('(c) gives two series of one alarm on one instance (two services) an incident each', async () => {
    const instance = 'i-0000000000000c001';
    const series = (id: string, exe: string) =>
      contributorEvent(sample, {
        alarmName: SERVICE_ALARM,
        id,
        attributes: { InstanceId: instance, exe },
        expression: SERVICE_QUERY,
        state: 'ALARM',
        at: T,
      });

    const nginx = await handler(series('c000000000000001', 'nginx'), lambdaContext);
    const php = await handler(series('c000000000000002', 'php-fpm'), lambdaContext);

    const keys = [
      contributorKey('service-down', SERVICE_ALARM, 'c000000000000001', instance),
      contributorKey('service-down', SERVICE_ALARM, 'c000000000000002', instance),
    ];
    expect(keys[0]?.alarm).not.toBe(keys[1]?.alarm);
    expect([nginx.outcome, php.outcome]).toEqual(['processed', 'processed']);
    expect(nginx.incidentId).not.toBe(php.incidentId);
    const incidents = await Promise.all(keys.map((key) => loadIncident(runtime, key)));
    expect(incidents.map((i) => i?.id)).toEqual([nginx.incidentId, php.incidentId]);
    expect(incidents.map((i) => i?.alarm.contributor?.attributes.exe)).toEqual(['nginx', 'php-fpm']);
    // Neither is dropped: the first acts on the instance, the second waits its turn on its lease.
    expect(incidents.every((i) => i && i.status !== 'resolved' && i.status !== 'escalated')).toBe(true);
    expect(sends()).toHaveLength(1);
    expect(sends()[0]).toMatchObject({
      DocumentName: 'Remediation-Test-service-down',
      InstanceIds: [instance],
      Parameters: expect.objectContaining({ service: ['nginx'] }),
    });
    expect(pages()).toEqual([]);
  });

  it('(d) sends one command for the same contributor event delivered twice', async () => {
    const instance = 'i-0000000000000d001';
    const event = contributorEvent(sample, {
      id: 'd000000000000001',
      attributes: { InstanceId: instance },
      state: 'ALARM',
      at: T,
    });

    const first = await handler(structuredClone(event), lambdaContext);
    const second = await handler(structuredClone(event), lambdaContext);

    expect(first.outcome).toBe('processed');
    expect(second).toMatchObject({ outcome: 'absorbed', incidentId: first.incidentId });
    expect(sends()).toHaveLength(1);
    expect(sends()[0]?.InstanceIds).toEqual([instance]);
    const incident = await loadIncident(
      runtime,
      contributorKey('disk-full', DISK_ALARM, 'd000000000000001', instance),
    );
    expect(incident?.attempts).toHaveLength(1);
  });

  it('(e) runs nothing for an ALARM that arrives after the OK stamped later than it', async () => {
    const instance = 'i-0000000000000e001';
    const at = (state: 'ALARM' | 'OK', stamp: number) =>
      contributorEvent(sample, {
        id: 'e000000000000001',
        attributes: { InstanceId: instance },
        state,
        at: stamp,
      });
    clock.value = T + 120_000;

    const ok = await handler(at('OK', T + 60_000), lambdaContext);
    const alarm = await handler(at('ALARM', T), lambdaContext);

    // An OK with no incident opens nothing; its time is remembered for the series.
    expect(ok.outcome).toBe('absorbed');
    expect(alarm.outcome).toBe('absorbed');
    expect(sends()).toEqual([]);
    expect(pages()).toEqual([]);
    expect(
      await loadIncident(runtime, contributorKey('disk-full', DISK_ALARM, 'e000000000000001', instance)),
    ).toBeUndefined();
  });

  it('(f) stands down for a muted series: no incident, no page, no command', async () => {
    const instance = 'i-0000000000000f001';
    const event = contributorEvent(sample, {
      id: 'f000000000000001',
      attributes: { InstanceId: instance },
      state: 'ALARM',
      at: T,
      muted: true,
    });

    const result = await handler(event, lambdaContext);

    expect(result).toEqual({
      outcome: 'ignored',
      reason: 'the alarm is muted by arn:aws:cloudwatch:us-east-1:1234567890:alarm-mute-rule:testMute',
    });
    expect(mocks.ssm).not.toHaveReceivedAnyCommand();
    expect(mocks.sns).not.toHaveReceivedAnyCommand();
    expect(
      await loadIncident(runtime, contributorKey('disk-full', DISK_ALARM, 'f000000000000001', instance)),
    ).toBeUndefined();
  });

  describe("(g) the fleet alarm's own state change, which only counts its series", () => {
    it('ignores the published sample: no incident, no page, no command', async () => {
      const parent = await sampleEvent(PARENT_SAMPLE);
      clock.value = parseAwsTimestamp((parent as Json).detail.state.timestamp) + 2000;

      const result = await handler(parent, lambdaContext);

      expect(result).toEqual({
        outcome: 'ignored',
        reason:
          "a fleet alarm's own state change (6 out of 6 time series evaluated to ALARM): each series has its own event",
      });
      expect(mocks.ssm).not.toHaveReceivedAnyCommand();
      expect(mocks.sns).not.toHaveReceivedAnyCommand();
      const arn = alarmArn('DynamoDBInsightsAlarm');
      expect(
        await loadIncident(runtime, { runbook: 'dynamodb-insights', alarm: fnv1a64(arn), target: NO_TARGET }),
      ).toBeUndefined();
    });

    it('ignores it for a query grouped by InstanceId that a runbook answers, in ALARM and in OK', async () => {
      const parent = (await sampleEvent(PARENT_SAMPLE)) as Json;
      const variant = (state: 'ALARM' | 'OK', at: number) => {
        const event = structuredClone(parent);
        event.resources = [alarmArn(DISK_ALARM)];
        event.detail.alarmName = DISK_ALARM;
        event.detail.configuration.metrics[0].expression = DISK_QUERY;
        event.detail.previousState = { ...event.detail.state, timestamp: cloudWatchTimestamp(at - 60_000) };
        event.detail.state = {
          value: state,
          reason:
            state === 'ALARM'
              ? '2 out of 40 time series evaluated to ALARM'
              : '0 out of 40 time series evaluated to ALARM',
          timestamp: cloudWatchTimestamp(at),
        };
        return event;
      };

      const results = [
        await handler(variant('ALARM', T), lambdaContext),
        await handler(variant('OK', T + 1000), lambdaContext),
      ];

      expect(results.map((r) => r.outcome)).toEqual(['ignored', 'ignored']);
      expect(results[0]?.reason).toContain('2 out of 40 time series evaluated to ALARM');
      expect(mocks.ssm).not.toHaveReceivedAnyCommand();
      expect(mocks.sns).not.toHaveReceivedAnyCommand();
      expect(
        await loadIncident(runtime, {
          runbook: 'disk-full',
          alarm: fnv1a64(alarmArn(DISK_ALARM)),
          target: NO_TARGET,
        }),
      ).toBeUndefined();
    });
  });

  it('(h) resolves the incident of the series whose OK arrives, and only that one', async () => {
    const [one, two] = ['i-0000000000000a001', 'i-0000000000000a002'];
    const event = (id: string, instance: string, state: 'ALARM' | 'OK', at: number) =>
      contributorEvent(sample, { id, attributes: { InstanceId: instance }, state, at });
    await handler(event('h000000000000001', one, 'ALARM', T), lambdaContext);
    await handler(event('h000000000000002', two, 'ALARM', T), lambdaContext);
    const keys = [
      contributorKey('disk-full', DISK_ALARM, 'h000000000000001', one),
      contributorKey('disk-full', DISK_ALARM, 'h000000000000002', two),
    ];
    expect(sends().map((s) => s.InstanceIds)).toEqual([[one], [two]]);
    // The first series' commands succeed: it waits for its alarm to clear.
    expect((await succeed(runtime, keys[0] as IncidentKey, diskFull))?.status).toBe('verifying');
    const running = await loadIncident(runtime, keys[0] as IncidentKey);
    const sent = sends().length;
    const before = await loadIncident(runtime, keys[1] as IncidentKey);
    clock.value = T + 180_000;

    const result = await handler(event('h000000000000001', one, 'OK', T + 170_000), lambdaContext);

    expect(result).toMatchObject({ outcome: 'processed', incidentId: running?.id });
    const [first, second] = await Promise.all(keys.map((key) => loadIncident(runtime, key)));
    expect(first).toMatchObject({ status: 'resolved', resolution: { how: 'verified' } });
    expect(second?.status).toBe(before?.status);
    expect(second?.version).toBe(before?.version);
    // No further command for either.
    expect(sends()).toHaveLength(sent);
  });
});

describe('the resync, for the contributors of fleet alarms', () => {
  /**
   * Close to the wall clock, behind it: a series CloudWatch no longer lists is OK as of the reading,
   * and the reader stamps its readings with its own clock.
   */
  const T2 = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;
  const clock = new TestClock(T2);
  let runtime: Runtime;
  let sample: Json;

  beforeAll(async () => {
    sample = await sampleEvent(CONTRIBUTOR_SAMPLE);
  });
  beforeEach(async () => {
    resetMocks();
    optInWithServices();
    clock.value = T2 + 2000;
    // A table of its own: the other test's open incidents are not this one's to settle.
    ({ runtime } = await testRuntime({ runbooks: [diskFull], clock }));
  });

  /** The fleet alarm, in ALARM, as DescribeAlarms lists it. */
  const fleetAlarm = {
    AlarmName: DISK_ALARM,
    AlarmArn: alarmArn(DISK_ALARM),
    StateValue: 'ALARM' as const,
    StateReason: '1 out of 40 time series evaluated to ALARM',
    StateTransitionedTimestamp: new Date(T2),
    Metrics: [{ Id: 'm1', Expression: DISK_QUERY, Period: 60, ReturnData: true }],
  };
  const contributor = (id: string, instance: string) => ({
    ContributorId: id,
    ContributorAttributes: { InstanceId: instance },
    StateReason: 'Threshold Crossed: 2 datapoints were greater than the threshold (90.0).',
    StateTransitionedTimestamp: new Date(T2),
  });

  it('opens the incident of a series whose ALARM event was lost, on its instance, and none for the alarm itself', async () => {
    const instance = 'i-0000000000000b101';
    mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [fleetAlarm] });
    mocks.cloudwatch
      .on(DescribeAlarmContributorsCommand, { AlarmName: DISK_ALARM })
      .resolves({ AlarmContributors: [contributor('r000000000000001', instance)] });

    const report = await runtime.resync.run('schedule');

    expect(report.inAlarm).toBe(1);
    expect(report.answered).toEqual([
      expect.objectContaining({
        alarmName: DISK_ALARM,
        runbook: 'disk-full',
        instanceId: instance,
        action: 'opened',
      }),
    ]);
    expect(sends()).toHaveLength(1);
    expect(sends()[0]).toMatchObject({ DocumentName: 'Remediation-Test-disk-full', InstanceIds: [instance] });
    const incident = await loadIncident(
      runtime,
      contributorKey('disk-full', DISK_ALARM, 'r000000000000001', instance),
    );
    expect(incident?.alarm.contributor).toEqual({
      id: 'r000000000000001',
      attributes: { InstanceId: instance },
    });
    expect(
      await loadIncident(runtime, {
        runbook: 'disk-full',
        alarm: fnv1a64(alarmArn(DISK_ALARM)),
        target: NO_TARGET,
      }),
    ).toBeUndefined();
    // A second resync finds it in hand: nothing more is sent.
    const again = await runtime.resync.run('schedule');
    expect(again.answered.map((a) => a.action)).toEqual(['in-hand']);
    expect(sends()).toHaveLength(1);
  });

  it('resolves the incident of a series whose OK was lost, and leaves the series still in ALARM alone', async () => {
    const [gone, still] = ['i-0000000000000b201', 'i-0000000000000b202'];
    const handler = createAlarmHandler(runtime);
    const event = (id: string, instance: string) =>
      contributorEvent(sample, { id, attributes: { InstanceId: instance }, state: 'ALARM', at: T2 });
    await handler(event('r000000000000002', gone), lambdaContext);
    await handler(event('r000000000000003', still), lambdaContext);
    const keys = [
      contributorKey('disk-full', DISK_ALARM, 'r000000000000002', gone),
      contributorKey('disk-full', DISK_ALARM, 'r000000000000003', still),
    ];
    expect(sends().map((s) => s.InstanceIds)).toEqual([[gone], [still]]);
    // The first series' commands succeeded; its OK event never arrives.
    expect((await succeed(runtime, keys[0] as IncidentKey, diskFull))?.status).toBe('verifying');
    const opened = await Promise.all(keys.map((key) => loadIncident(runtime, key)));
    const sent = sends().length;
    // CloudWatch: the alarm is still in ALARM, for the second series only.
    mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [fleetAlarm] });
    mocks.cloudwatch
      .on(DescribeAlarmContributorsCommand, { AlarmName: DISK_ALARM })
      .resolves({ AlarmContributors: [contributor('r000000000000003', still)] });
    clock.advance(180);

    const report = await runtime.resync.run('schedule');

    expect(report.settled).toEqual([{ incidentId: opened[0]?.id, state: 'OK', status: 'resolved' }]);
    expect(report.answered).toEqual([
      expect.objectContaining({ instanceId: still, incidentId: opened[1]?.id, action: 'in-hand' }),
    ]);
    const [first, second] = await Promise.all(keys.map((key) => loadIncident(runtime, key)));
    expect(first).toMatchObject({ status: 'resolved', resolution: { how: 'verified' } });
    expect(second?.status).toBe(opened[1]?.status);
    expect(second?.version).toBe(opened[1]?.version);
    // The series' own state was read: the alarm, then its contributors.
    expect(mocks.cloudwatch).toHaveReceivedCommandWith(DescribeAlarmsCommand, { AlarmNames: [DISK_ALARM] });
    expect(sends()).toHaveLength(sent);
  });
});

describe("the fleet breaker counts a fleet alarm's healthy series", () => {
  // Healthy series of a fleet alarm send no event: without the fleet alarm's own count, the breaker's
  // percentage rule would see only the instances that alarmed (3 of 3, 100%) and stop a fleet of 8.
  const clock = new TestClock(T);
  let sample: Json;
  let parent: Json;
  beforeAll(async () => {
    sample = await sampleEvent(CONTRIBUTOR_SAMPLE);
    parent = await sampleEvent(PARENT_SAMPLE);
  });
  beforeEach(() => {
    resetMocks();
    optInWithServices();
    clock.value = T + 2000;
  });

  async function threeInstancesAlarm(withFleetCount: boolean): Promise<{ sent: number; suppressed: number }> {
    const { runtime } = await testRuntime({ runbooks: [builtInDiskFull], clock });
    const handle = createAlarmHandler(runtime);
    if (withFleetCount) {
      const count = structuredClone(parent);
      count.resources = [alarmArn(DISK_ALARM)];
      count.detail.alarmName = DISK_ALARM;
      count.detail.state = {
        value: 'OK',
        reason: '0 out of 8 time series evaluated to ALARM',
        timestamp: cloudWatchTimestamp(T - 60_000),
      };
      count.detail.configuration.metrics[0].expression = DISK_QUERY;
      expect(await handle(count, lambdaContext)).toMatchObject({ outcome: 'ignored' });
    }
    const instances = ['i-0000000000000c001', 'i-0000000000000c002', 'i-0000000000000c003'];
    for (const [n, instance] of instances.entries()) {
      clock.value = T + 2000 + n * 60_000;
      await handle(
        contributorEvent(sample, {
          id: `c00000000000000${n}`,
          attributes: { InstanceId: instance },
          state: 'ALARM',
          at: T + n * 60_000,
        }),
        lambdaContext,
      );
    }
    const statuses = await Promise.all(
      instances.map(
        async (instance, n) =>
          (
            await loadIncident(
              runtime,
              contributorKey('disk-full', DISK_ALARM, `c00000000000000${n}`, instance),
            )
          )?.status,
      ),
    );
    return {
      sent: new Set(sends().flatMap((input) => input.InstanceIds ?? [])).size,
      suppressed: statuses.filter((status) => status === 'suppressed').length,
    };
  }

  it('acts on 3 alarming instances of 8 series (37%), where 3 of 3 seen would open the breaker', async () => {
    expect(await threeInstancesAlarm(true)).toEqual({ sent: 3, suppressed: 0 });
  });

  it('opens the breaker without the count, as before (the count is what keeps it shut)', async () => {
    expect(await threeInstancesAlarm(false)).toEqual({ sent: 2, suppressed: 1 });
  });
});
