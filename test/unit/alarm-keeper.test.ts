import { Logger } from '@aws-lambda-powertools/logger';
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  ListMetricsCommand,
  ListTagsForResourceCommand,
  type MetricAlarm,
  PutMetricAlarmCommand,
  type PutMetricAlarmCommandInput,
  type Tag,
} from '@aws-sdk/client-cloudwatch';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  keptAlarmDescription,
  MANAGED_BY_TAG,
  type MetricSeries,
  RUNBOOK_TAG,
} from '../../functions/core/alarm-keeper.ts';
import { defineRunbook, type Runbook } from '../../functions/core/runbook.ts';
import {
  BACKOFF_CAP_MS,
  createAlarmKeeper,
  DESCRIBE_INTERVAL_MS,
  handlerFor,
  type KeeperConfig,
  type KeeperReport,
  keeperConfigFromEnv,
} from '../../functions/handlers/alarm-keeper.ts';
import { FakeAccount } from '../support/fake-account.ts';
import { testRunbook } from '../support/fixtures.ts';

const ec2 = mockClient(EC2Client);
const cloudwatch = mockClient(CloudWatchClient);

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const STACK = 'prod-remediation';
const WEB_1 = 'i-0123456789abcdef0';
const WEB_2 = 'i-0fedcba9876543210';
const ARN = (name: string) => `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${name}`;

const cpu = defineRunbook({
  ...testRunbook,
  name: 'runaway-cpu',
  match: { alarmNames: ['runaway-cpu-*'] },
  alarm: {
    metric: { namespace: 'AWS/EC2', name: 'CPUUtilization' },
    periodSeconds: 60,
    comparison: 'GreaterThanThreshold',
    threshold: 95,
    evaluationPeriods: 5,
    datapointsToAlarm: 4,
  },
});
const disk = defineRunbook({
  ...testRunbook,
  alarm: {
    metric: { namespace: 'CWAgent', name: 'disk_used_percent' },
    dimensions: { path: '/' },
    statistic: 'Maximum',
    periodSeconds: 60,
    comparison: 'GreaterThanThreshold',
    threshold: 90,
    evaluationPeriods: 2,
    treatMissingData: 'notBreaching',
  },
});
/** Deployed, but not kept per instance: its alarms are orphans. */
const memory = defineRunbook({
  ...testRunbook,
  name: 'memory-leak',
  match: { alarmNames: ['memory-leak-*'] },
  alarm: {
    metric: { namespace: 'CWAgent', name: 'mem_used_percent' },
    periodSeconds: 60,
    comparison: 'GreaterThanThreshold',
    threshold: 90,
    evaluationPeriods: 3,
  },
});
const RUNBOOKS: readonly Runbook[] = [cpu, disk, memory];

const CONFIG: KeeperConfig = {
  stackName: STACK,
  optInTag: { key: 'AutoRemediation', value: 'enabled' },
  runbooks: ['runaway-cpu', 'disk-full'],
  origin: { accounts: [ACCOUNT], regions: [REGION] },
};

/** The account as the fakes see it: instances, metrics, alarms with their tags (pages of two). */
let world: FakeAccount;

/** The agent's root-volume series of an instance (with the agent's extra dimensions). */
const rootVolume = (instanceId: string): MetricSeries => ({
  namespace: 'CWAgent',
  metricName: 'disk_used_percent',
  dimensions: { InstanceId: instanceId, path: '/', device: 'nvme0n1p1', fstype: 'xfs' },
});

const optedIn = (name: string, extra: Record<string, string> = {}) => ({
  state: 'running',
  tags: {
    Name: name,
    AutoRemediation: 'enabled',
    team: 'web',
    'aws:autoscaling:groupName': 'web-asg',
    ...extra,
  },
});

/** An alarm someone else made, at a name of their choosing, on an instance. */
function foreignAlarm(
  name: string,
  instanceId: string,
  tags: Tag[] = [],
  description = 'Ours, hands off',
): void {
  world.alarms.set(name, {
    alarm: {
      AlarmName: name,
      AlarmArn: ARN(name),
      AlarmDescription: description,
      Namespace: 'AWS/EC2',
      MetricName: 'CPUUtilization',
      Dimensions: [{ Name: 'InstanceId', Value: instanceId }],
      Statistic: 'Average',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 80,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: ['arn:aws:sns:eu-west-1:123456789012:team-pager'],
    },
    tags,
  });
}

let sleeps: number[];
let logger: Logger;
let keep: (event: unknown) => Promise<KeeperReport>;

function keeper(config: KeeperConfig = CONFIG) {
  let now = 1_000_000;
  return createAlarmKeeper(RUNBOOKS, config, {
    ec2: new EC2Client({ region: REGION }),
    cloudwatch: new CloudWatchClient({ region: REGION }),
    logger,
    metrics: { record: vi.fn(), flush: vi.fn() },
    random: () => 0.5,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  });
}

const stateChange = (instanceId: string, state: string, account = ACCOUNT) => ({
  version: '0',
  id: 'ee376907-2647-4179-9203-343cfb3017a4',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account,
  time: '2026-11-21T03:00:00Z',
  region: REGION,
  resources: [`arn:aws:ec2:${REGION}:${account}:instance/${instanceId}`],
  detail: { 'instance-id': instanceId, state },
});

const tagChange = (instanceId: string, tags: Record<string, string>) => ({
  version: '0',
  id: 'ffd8a6fe-32f8-ef66-c85c-111111111111',
  'detail-type': 'Tag Change on Resource',
  source: 'aws.tag',
  account: ACCOUNT,
  time: '2026-11-21T03:00:00Z',
  region: REGION,
  resources: [`arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${instanceId}`],
  detail: {
    'changed-tag-keys': ['AutoRemediation'],
    service: 'ec2',
    'resource-type': 'instance',
    version: 3,
    tags,
  },
});

const scheduled = {
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: ACCOUNT,
  time: '2026-11-21T03:00:00Z',
  region: REGION,
  resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/alarm-keeper-sweep`],
  detail: {},
};

const CPU_WEB_1 = `runaway-cpu-web-1-${WEB_1}`;
const DISK_WEB_1 = `disk-full-web-1-${WEB_1}`;
const puts = () => cloudwatch.commandCalls(PutMetricAlarmCommand).map((call) => call.args[0].input);
const tagsOf = (name: string) =>
  Object.fromEntries((world.alarms.get(name)?.tags ?? []).map((t) => [t.Key as string, t.Value as string]));

describe('the alarm keeper', () => {
  beforeEach(() => {
    ec2.reset();
    cloudwatch.reset();
    world = new FakeAccount({ account: ACCOUNT, region: REGION });
    world.install(ec2, cloudwatch);
    sleeps = [];
    logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
    keep = keeper();
  });

  it('a launch (running): one alarm per kept runbook and series, on exactly the series dimensions', async () => {
    // Prepare: the agent's root volume is listed; CPUUtilization of the new instance is not yet.
    world.instances.set(WEB_1, optedIn('web-1'));
    world.metrics.push(rootVolume(WEB_1), rootVolume(WEB_2), {
      ...rootVolume(WEB_1),
      dimensions: { ...rootVolume(WEB_1).dimensions, path: '/data', device: 'nvme1n1' },
    });
    // Act
    const report = await keep(stateChange(WEB_1, 'running'));
    // Assess
    expect(report).toMatchObject({ outcome: 'kept', trigger: 'state-change', created: 2, failed: 0 });
    expect(puts().map((p) => p.AlarmName)).toEqual([CPU_WEB_1, DISK_WEB_1]);
    expect(cloudwatch).toHaveReceivedCommandWith(PutMetricAlarmCommand, {
      AlarmName: CPU_WEB_1,
      Namespace: 'AWS/EC2',
      MetricName: 'CPUUtilization',
      // AWS/EC2 grouped by instance only: watched from launch, before ListMetrics knows the series.
      Dimensions: [{ Name: 'InstanceId', Value: WEB_1 }],
      Statistic: 'Average',
      Period: 60,
      EvaluationPeriods: 5,
      DatapointsToAlarm: 4,
      Threshold: 95,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'missing',
      AlarmDescription: keptAlarmDescription(STACK, cpu, WEB_1),
    });
    const diskPut = puts().find((p) => p.AlarmName === DISK_WEB_1);
    expect(diskPut).toMatchObject({
      Namespace: 'CWAgent',
      MetricName: 'disk_used_percent',
      Statistic: 'Maximum',
      TreatMissingData: 'notBreaching',
      DatapointsToAlarm: 2,
    });
    expect(diskPut?.Dimensions).toEqual(
      expect.arrayContaining([
        { Name: 'InstanceId', Value: WEB_1 },
        { Name: 'path', Value: '/' },
        { Name: 'device', Value: 'nvme0n1p1' },
        { Name: 'fstype', Value: 'xfs' },
      ]),
    );
    expect(diskPut?.Dimensions).toHaveLength(4);
    for (const put of puts()) {
      expect(put.AlarmActions).toBeUndefined();
      expect(put.OKActions).toBeUndefined();
    }
    expect(tagsOf(CPU_WEB_1)).toEqual({
      Name: 'web-1',
      AutoRemediation: 'enabled',
      team: 'web',
      [MANAGED_BY_TAG]: STACK,
      [RUNBOOK_TAG]: 'runaway-cpu',
    });
    expect(cloudwatch).toHaveReceivedCommandWith(ListMetricsCommand, {
      Namespace: 'CWAgent',
      MetricName: 'disk_used_percent',
      Dimensions: [
        { Name: 'InstanceId', Value: WEB_1 },
        { Name: 'path', Value: '/' },
      ],
    });
    // Nothing was written over, so nothing needed the managed-by check.
    expect(cloudwatch).not.toHaveReceivedCommand(ListTagsForResourceCommand);
  });

  it('a redelivered event creates nothing twice, and a drifted alarm is put back', async () => {
    world.instances.set(WEB_1, optedIn('web-1'));
    world.metrics.push(rootVolume(WEB_1));
    await keep(stateChange(WEB_1, 'running'));
    // Act: the same event again.
    const again = await keep(stateChange(WEB_1, 'running'));
    // Assess
    expect(again).toMatchObject({ outcome: 'kept', created: 0, updated: 0, unchanged: 2 });
    expect(cloudwatch).toHaveReceivedCommandTimes(PutMetricAlarmCommand, 2);
    // Someone edits the threshold of a kept alarm: the next event puts it back (after the tag check).
    const kept = world.alarms.get(CPU_WEB_1);
    if (kept) kept.alarm = { ...kept.alarm, Threshold: 50 };
    const third = await keep(stateChange(WEB_1, 'running'));
    expect(third).toMatchObject({ updated: 1, unchanged: 1, created: 0 });
    expect(world.alarms.get(CPU_WEB_1)?.alarm.Threshold).toBe(95);
    expect(cloudwatch).toHaveReceivedCommandWith(ListTagsForResourceCommand, { ResourceARN: ARN(CPU_WEB_1) });
  });

  it('the opt-in tag added: alarms created; removed: this stack’s alarms deleted', async () => {
    world.instances.set(WEB_1, { state: 'running', tags: { Name: 'web-1' } });
    world.metrics.push(rootVolume(WEB_1));
    // Not opted in yet: nothing.
    expect(await keep(stateChange(WEB_1, 'running'))).toMatchObject({ created: 0, deleted: 0 });
    expect(world.alarms.size).toBe(0);
    // Act: tagged.
    world.instances.set(WEB_1, optedIn('web-1'));
    const added = await keep(tagChange(WEB_1, { Name: 'web-1', AutoRemediation: 'enabled' }));
    // Assess
    expect(added).toMatchObject({ outcome: 'kept', trigger: 'tag-change', created: 2 });
    expect([...world.alarms.keys()].sort()).toEqual([DISK_WEB_1, CPU_WEB_1]);
    // Act: untagged (a team's own alarm on the instance stays).
    foreignAlarm('web-1-cpu-high', WEB_1);
    world.instances.set(WEB_1, { state: 'running', tags: { Name: 'web-1' } });
    const removed = await keep(tagChange(WEB_1, { Name: 'web-1' }));
    // Assess
    expect(removed).toMatchObject({ trigger: 'tag-change', deleted: 2, created: 0, skipped: 0 });
    expect([...world.alarms.keys()]).toEqual(['web-1-cpu-high']);
    expect(cloudwatch).toHaveReceivedCommandTimes(ListTagsForResourceCommand, 2);
    // One DeleteAlarms per runbook (the stack may grant deletes per runbook prefix).
    expect(cloudwatch).toHaveReceivedCommandWith(DeleteAlarmsCommand, { AlarmNames: [CPU_WEB_1] });
    expect(cloudwatch).toHaveReceivedCommandWith(DeleteAlarmsCommand, { AlarmNames: [DISK_WEB_1] });
  });

  it('a stop deletes the instance’s kept alarms, and another instance’s stay', async () => {
    world.instances.set(WEB_1, optedIn('web-1'));
    world.instances.set(WEB_2, optedIn('web-1'));
    world.metrics.push(rootVolume(WEB_1), rootVolume(WEB_2));
    await keep(stateChange(WEB_1, 'running'));
    await keep(stateChange(WEB_2, 'running'));
    expect(world.alarms.size).toBe(4);
    cloudwatch.resetHistory();
    // Act
    world.instances.set(WEB_1, { ...optedIn('web-1'), state: 'stopped' });
    const report = await keep(stateChange(WEB_1, 'stopped'));
    // Assess
    expect(report).toMatchObject({ outcome: 'kept', deleted: 2, failed: 0 });
    expect([...world.alarms.keys()].sort()).toEqual([
      `disk-full-web-1-${WEB_2}`,
      `runaway-cpu-web-1-${WEB_2}`,
    ]);
    // Its series are not listed for an instance that wants no alarms.
    expect(cloudwatch).not.toHaveReceivedCommandWith(ListMetricsCommand, {
      Dimensions: expect.arrayContaining([{ Name: 'InstanceId', Value: WEB_1 }]),
    });
  });

  it('a terminate (the instance no longer described) deletes its alarms found by the runbook prefix', async () => {
    world.instances.set(WEB_1, optedIn('web-1'));
    world.instances.set(WEB_2, optedIn('web-2'));
    await keep(stateChange(WEB_1, 'running'));
    await keep(stateChange(WEB_2, 'running'));
    // Act: EC2 forgot the instance.
    world.instances.delete(WEB_1);
    const report = await keep(stateChange(WEB_1, 'terminated'));
    // Assess
    expect(report).toMatchObject({ deleted: 1, created: 0, failed: 0 });
    expect([...world.alarms.keys()]).toEqual([`runaway-cpu-web-2-${WEB_2}`]);
    expect(cloudwatch).toHaveReceivedCommandWith(DescribeAlarmsCommand, { AlarmNamePrefix: 'runaway-cpu-' });
  });

  it('the sweep adds missing alarms and deletes orphans, and leaves other makers’ alarms alone', async () => {
    // Prepare: web-1 running and tagged, without alarms; web-2 stopped, with kept alarms;
    // a gone instance's alarm; an alarm of a runbook no longer kept; another stack's; a team's.
    world.instances.set(WEB_1, optedIn('web-1'));
    world.instances.set(WEB_2, optedIn('web-2'));
    world.instances.set('i-0aaaaaaaaaaaaaaa1', optedIn('web-3'));
    world.instances.set('i-0aaaaaaaaaaaaaaa2', { state: 'running', tags: { Name: 'untagged' } });
    world.metrics.push(rootVolume(WEB_1), rootVolume(WEB_2), rootVolume('i-0aaaaaaaaaaaaaaa2'));
    await keep(stateChange(WEB_2, 'running'));
    await keep(stateChange('i-0aaaaaaaaaaaaaaa1', 'running'));
    world.instances.set(WEB_2, { ...optedIn('web-2'), state: 'stopped' });
    world.instances.delete('i-0aaaaaaaaaaaaaaa1');
    const kept = (name: string, instanceId: string, runbook: Runbook, stack = STACK) => {
      foreignAlarm(
        name,
        instanceId,
        [
          { Key: MANAGED_BY_TAG, Value: stack },
          { Key: RUNBOOK_TAG, Value: runbook.name },
        ],
        keptAlarmDescription(stack, runbook, instanceId),
      );
    };
    kept(`memory-leak-web-1-${WEB_1}`, WEB_1, memory);
    kept(`runaway-cpu-web-1-${WEB_1}-other`, WEB_1, cpu, 'staging-remediation');
    foreignAlarm('web-2-team-alarm', WEB_2);
    cloudwatch.resetHistory();
    ec2.resetHistory();
    // Act
    const report = await keep(scheduled);
    // Assess
    expect(report).toMatchObject({
      outcome: 'kept',
      trigger: 'sweep',
      created: 2,
      // web-2's two, the gone instance's one, the runbook no longer kept.
      deleted: 4,
      unchanged: 0,
      failed: 0,
    });
    expect([...world.alarms.keys()].sort()).toEqual(
      [DISK_WEB_1, CPU_WEB_1, `runaway-cpu-web-1-${WEB_1}-other`, 'web-2-team-alarm'].sort(),
    );
    expect(ec2).toHaveReceivedCommandWith(DescribeInstancesCommand, {
      Filters: [
        { Name: 'tag:AutoRemediation', Values: ['enabled'] },
        { Name: 'instance-state-name', Values: ['running'] },
      ],
    });
    // One fleet-wide listing per kept runbook, not one per instance.
    expect(cloudwatch).toHaveReceivedCommandWith(ListMetricsCommand, {
      Dimensions: [{ Name: 'InstanceId' }, { Name: 'path', Value: '/' }],
    });
    // Every DescribeAlarms page waited its turn.
    expect(sleeps.filter((ms) => ms === DESCRIBE_INTERVAL_MS).length).toBeGreaterThan(0);
    // A second sweep finds nothing to do.
    const second = await keep({ sweep: true });
    expect(second).toMatchObject({ outcome: 'kept', created: 0, updated: 0, deleted: 0, unchanged: 2 });
  });

  it('never writes over an alarm another maker owns at a kept name, nor deletes one tagged for another stack', async () => {
    world.instances.set(WEB_1, optedIn('web-1'));
    foreignAlarm(CPU_WEB_1, WEB_1, [{ Key: 'owner', Value: 'web-team' }]);
    // Described as this stack's, but its tag says another's (copied, say): not deleted either.
    foreignAlarm(
      `runaway-cpu-web-1-${WEB_1}-copy`,
      WEB_1,
      [{ Key: MANAGED_BY_TAG, Value: 'someone-else' }],
      keptAlarmDescription(STACK, cpu, WEB_1),
    );
    // Act
    const report = await keep(stateChange(WEB_1, 'running'));
    // Assess
    expect(report).toMatchObject({ skipped: 2, updated: 0, deleted: 0 });
    expect(puts().map((p) => p.AlarmName)).not.toContain(CPU_WEB_1);
    expect(world.alarms.get(CPU_WEB_1)?.alarm.Threshold).toBe(80);
    expect(world.alarms.has(`runaway-cpu-web-1-${WEB_1}-copy`)).toBe(true);
    expect(cloudwatch).not.toHaveReceivedCommand(DeleteAlarmsCommand);
  });

  it('retries throttled calls with bounded, jittered backoff; one instance failing does not stop the sweep', async () => {
    world.instances.set(WEB_1, optedIn('web-1'));
    world.instances.set(WEB_2, optedIn('web-2'));
    const throttled = (name: string) => Object.assign(new Error('Rate exceeded'), { name });
    cloudwatch
      .on(PutMetricAlarmCommand)
      .rejectsOnce(throttled('Throttling'))
      .rejectsOnce(throttled('ThrottlingException'))
      .callsFake((input: PutMetricAlarmCommandInput) => {
        if (input.AlarmName?.includes(WEB_2)) throw throttled('Throttling');
        world.alarms.set(input.AlarmName as string, {
          alarm: { ...input, AlarmArn: ARN(input.AlarmName as string) } as MetricAlarm,
          tags: input.Tags ?? [],
        });
        return {};
      });
    ec2
      .on(DescribeInstancesCommand)
      .rejectsOnce(throttled('RequestLimitExceeded'))
      .callsFake(world.describeInstances);
    // Act
    const report = await keep(scheduled);
    // Assess: web-1 made it after two retries; web-2's put gave up after its attempts.
    expect(report).toMatchObject({ outcome: 'kept', created: 1, failed: 1 });
    expect(world.alarms.has(`runaway-cpu-web-1-${WEB_1}`)).toBe(true);
    const backoffs = sleeps.filter((ms) => ms !== DESCRIBE_INTERVAL_MS);
    expect(backoffs.length).toBeGreaterThanOrEqual(3);
    for (const ms of backoffs) expect(ms).toBeLessThanOrEqual(BACKOFF_CAP_MS);
    // 1 + 2 retries for web-1, 6 attempts for web-2.
    expect(cloudwatch).toHaveReceivedCommandTimes(PutMetricAlarmCommand, 3 + 6);
  });

  it('refuses an event from another account, logged, without a call', async () => {
    const warn = vi.spyOn(logger, 'warn');
    world.instances.set(WEB_1, optedIn('web-1'));
    // Act
    const report = await keep(stateChange(WEB_1, 'running', '999999999999'));
    // Assess
    expect(report).toMatchObject({ outcome: 'rejected', created: 0 });
    expect(report.reason).toContain('999999999999');
    expect(warn).toHaveBeenCalledWith(
      'event ignored: it is not from this deployment',
      expect.objectContaining({ reason: report.reason }),
    );
    expect(ec2).not.toHaveReceivedCommand(DescribeInstancesCommand);
    expect(cloudwatch).not.toHaveReceivedCommand(PutMetricAlarmCommand);
    // From another Region too.
    const region = await keep({ ...stateChange(WEB_1, 'running'), region: 'us-east-1' });
    expect(region.outcome).toBe('rejected');
  });

  it('rejects what is none of its events', async () => {
    const report = await keep({ source: 'aws.ec2', 'detail-type': 'EC2 Spot Instance Interruption Warning' });
    expect(report.outcome).toBe('rejected');
    expect(ec2).not.toHaveReceivedCommand(DescribeInstancesCommand);
  });
});

describe('the alarm keeper’s configuration', () => {
  const env = {
    OPT_IN_TAG_KEY: 'AutoRemediation',
    OPT_IN_TAG_VALUE: 'enabled',
    KEEPER_STACK_NAME: STACK,
    KEEPER_RUNBOOKS: 'runaway-cpu, disk-full',
    EVENT_ACCOUNTS: ACCOUNT,
    EVENT_REGIONS: REGION,
  };

  it('reads the stack’s environment variables', () => {
    expect(keeperConfigFromEnv(env)).toEqual(CONFIG);
  });

  it('fails at load on a missing variable, an unknown runbook, or one without a metric alarm', () => {
    expect(() => keeperConfigFromEnv({ ...env, KEEPER_STACK_NAME: '' })).toThrow('KEEPER_STACK_NAME');
    expect(() => createAlarmKeeper(RUNBOOKS, { ...CONFIG, runbooks: ['nope'] })).toThrow('nope');
    expect(() => createAlarmKeeper([testRunbook], { ...CONFIG, runbooks: ['disk-full'] })).toThrow(
      'not a metric',
    );
  });

  it('handlerFor builds the handler from the environment', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const handler = handlerFor(RUNBOOKS);
      const report = await handler({ nonsense: true });
      expect(report.outcome).toBe('rejected');
    } finally {
      for (const key of Object.keys(env)) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  });
});
