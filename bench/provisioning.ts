import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  ListMetricsCommand,
  ListTagsForResourceCommand,
  PutMetricAlarmCommand,
} from '@aws-sdk/client-cloudwatch';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import type { MetricSeries } from '../functions/core/alarm-keeper.ts';
import { monthlyCost, PRICES } from '../functions/core/alarm-provisioning.ts';
import { createAlarmKeeper, type KeeperReport } from '../functions/handlers/alarm-keeper.ts';
import {
  ASSUMED_DAILY_REPLACEMENT,
  type CallsByApi,
  keeperCalls,
  METRIC_LISTED_DAYS,
  planFor,
} from '../local/authoring/alarms-plan.ts';
import { runbooks } from '../runbooks/index.ts';
import { AWS_PAGES, FakeAccount } from '../test/support/fake-account.ts';
import { machine, round } from './machine.ts';

const FLEETS = [100, 2_000, 10_000] as const;
const STACK = 'Ec2AutoRemediation';
const OPT_IN = { key: 'AutoRemediation', value: 'enabled' } as const;
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
/** The services each simulated instance runs: the procstat runbooks' three series. */
const SERVICES = ['nginx', 'php-fpm', 'app'];
const APIS = [
  'DescribeInstances',
  'DescribeAlarms',
  'ListMetrics',
  'PutMetricAlarm',
  'ListTagsForResource',
  'DeleteAlarms',
] as const;

/**
 * Alarm provisioning for the shipped runbooks and fleets of 100, 2,000 and 10,000 instances: the
 * alarms each mode creates, the monthly cost of each, and the EC2 and CloudWatch calls a day. Fleet
 * alarms make no call after the deploy. Per-instance alarms are measured: the alarm keeper's real
 * handler (`createAlarmKeeper`, functions/handlers/alarm-keeper.ts) runs with its EC2 and CloudWatch
 * clients mocked at the SDK boundary (aws-sdk-client-mock) over a fake account in memory
 * (test/support/fake-account.ts, with AWS's page sizes), its sleep a no-op on a virtual clock. For
 * each fleet: (a) the deploy, a sweep on an account with no alarms; (b) a day, in which 10% of the
 * fleet is replaced (each a `terminated` event while EC2 still describes the instance, and a
 * `running` event for its successor, whose agent metrics appear after its launch), then the daily
 * sweep; (c) a second sweep with nothing changed; and (d) one termination event arriving after EC2
 * has forgotten the instance. Every call is counted from the mocks, by API. The fleet has been
 * replacing 10% a day before the deploy too: ListMetrics still lists the series of the instances
 * replaced in the last two weeks. The target: `npx remediate alarms plan`'s estimate
 * (`keeperCalls`) equals the measured calls of the day, of the second sweep and of the late event.
 */
export async function provisioning(): Promise<Record<string, unknown>> {
  const ec2 = mockClient(EC2Client);
  const cloudwatch = mockClient(CloudWatchClient);
  const fleets = [];
  try {
    for (const instances of FLEETS) fleets.push(await fleetResult(instances, ec2, cloudwatch));
  } finally {
    ec2.restore();
    cloudwatch.restore();
  }
  return {
    machine: machine(),
    prices: `${PRICES.region}, as read on ${PRICES.date}; not checked live`,
    assumedDailyReplacement: ASSUMED_DAILY_REPLACEMENT,
    target: "the plan's per-instance estimate (keeperCalls) equals the measured calls, by API",
    fleets,
    met: fleets.every((f) => f.perInstance.planMatches.all),
  };
}

async function fleetResult(
  instances: number,
  ec2: AwsClientStub<EC2Client>,
  cloudwatch: AwsClientStub<CloudWatchClient>,
) {
  const fleet = planFor(runbooks, { instances, mode: 'fleet' });
  const each = planFor(runbooks, { instances, mode: 'per-instance' });
  const alarmsPerRunbook = Object.fromEntries(
    fleet.runbooks.map((r, i) => [
      r.runbook,
      { fleet: r.fleetAlarms.length, perInstance: instances * (each.runbooks[i]?.alarmsPerInstance ?? 0) },
    ]),
  );
  const measured = await measureKeeper(instances, ec2, cloudwatch);
  const model = keeperCalls(each, instances);
  const same = (a: CallsByApi, b: CallsByApi) => APIS.every((api) => a[api] === b[api]);
  const steadyModel: CallsByApi = {
    DescribeInstances: model.sweep.describeInstances,
    DescribeAlarms: model.sweep.describeAlarms,
    ListMetrics: model.sweep.listMetrics,
    PutMetricAlarm: 0,
    ListTagsForResource: 0,
    DeleteAlarms: 0,
  };
  const planMatches = {
    day: same(measured.day.byApi, model.perDayByApi),
    secondSweep: same(measured.secondSweep.byApi, steadyModel),
    // The plan counts every alarm in place; when the sweeps fail, the day's agent alarms are missing
    // and the late event lists fewer pages.
    lateTermination: model.sweepFails
      ? measured.lateTermination.calls <= model.lateStop
      : measured.lateTermination.calls === model.lateStop,
    sweepFails: measured.secondSweep.failures.length > 0 === model.sweepFails,
  };
  const cost = (plan: typeof fleet) =>
    round(plan.runbooks.reduce((s, r) => s + monthlyCost(r, instances).usd, 0));
  return {
    instances,
    alarmsPerRunbook,
    fleet: {
      alarms: fleet.fleetAlarmCount,
      callsPerDay: 0,
      usdPerMonth: cost(fleet),
      warnings: fleet.warnings.length,
    },
    perInstance: {
      ...measured,
      plan: {
        perDay: model.perDay,
        perDayByApi: model.perDayByApi,
        eventsPerDay: model.eventsPerDay,
        daySweep: model.daySweep.total,
        steadySweep: model.sweep.total,
        lateStop: model.lateStop,
        sweepFails: model.sweepFails,
      },
      planMatches: { ...planMatches, all: Object.values(planMatches).every(Boolean) },
      usdPerMonth: cost(each),
      apiUsdPerMonth: round((measured.day.calls * 30 * PRICES.apiRequestsPerThousand) / 1000),
    },
  };
}

/** The keeper's real handler over a fake account of `instances` opted-in instances. */
async function measureKeeper(
  instances: number,
  ec2: AwsClientStub<EC2Client>,
  cloudwatch: AwsClientStub<CloudWatchClient>,
) {
  ec2.reset();
  cloudwatch.reset();
  const account = new FakeAccount({ account: ACCOUNT, region: REGION, pages: AWS_PAGES });
  account.install(ec2, cloudwatch);
  let clock = 0;
  const kept = runbooks.filter((r) => r.alarm && !r.alarm.query).map((r) => r.name);
  const keep = createAlarmKeeper(
    runbooks,
    {
      stackName: STACK,
      optInTag: OPT_IN,
      runbooks: kept,
      origin: { accounts: [ACCOUNT], regions: [REGION] },
    },
    {
      ec2: new EC2Client({ region: REGION }),
      cloudwatch: new CloudWatchClient({ region: REGION }),
      logger: new Logger({ serviceName: 'bench', logLevel: 'SILENT' }),
      metrics: { record: () => {}, flush: () => {} },
      random: () => 0.5,
      now: () => clock,
      // No wait on this machine: the virtual clock records what the pacing would wait on AWS.
      sleep: async (ms) => {
        clock += ms;
      },
    },
  );
  const id = (n: number) => `i-${n.toString(16).padStart(17, '0')}`;
  const launch = (n: number) =>
    account.instances.set(id(n), {
      state: 'running',
      tags: {
        Name: `web-${n}`,
        [OPT_IN.key]: OPT_IN.value,
        'AutoRemediation:services': SERVICES.join(':'),
        team: 'web',
        'aws:autoscaling:groupName': 'web-asg',
      },
    });
  const replaced = Math.round(instances * ASSUMED_DAILY_REPLACEMENT);
  // Instances numbered from 0: the history's (gone), then the fleet, then the day's new ones.
  const history = (METRIC_LISTED_DAYS - 1) * replaced;
  for (let n = 0; n < history; n++) account.metrics.push(...seriesOf(id(n)));
  for (let n = history; n < history + instances; n++) {
    launch(n);
    account.metrics.push(...seriesOf(id(n)));
  }
  const phase = async (work: () => Promise<KeeperReport[]>) => {
    ec2.resetHistory();
    cloudwatch.resetHistory();
    const virtual = clock;
    const started = performance.now();
    const reports = await work();
    const wallMs = round(performance.now() - started, 0);
    const byApi = countCalls(ec2, cloudwatch);
    const sum = (k: 'created' | 'updated' | 'deleted' | 'failed' | 'skipped') =>
      reports.reduce((s, r) => s + r[k], 0);
    return {
      byApi,
      calls: total(byApi),
      created: sum('created'),
      updated: sum('updated'),
      deleted: sum('deleted'),
      failed: sum('failed'),
      skipped: sum('skipped'),
      failures: reports.flatMap((r) => (r.outcome === 'kept' ? [] : [r.reason ?? r.outcome])),
      alarmsAfter: account.alarms.size,
      wallMs,
      pacedWaitS: round((clock - virtual) / 1000, 1),
    };
  };
  const sweep = () => keep(scheduled()).then((r) => [r]);

  // (a) The deploy: a sweep on an account with no alarms.
  const deploy = await phase(sweep);
  // (b) The day: replacements (a termination, then a launch, each an event), then the daily sweep.
  const events = await phase(async () => {
    const reports: KeeperReport[] = [];
    for (let k = 0; k < replaced; k++) {
      const gone = id(history + k);
      const instance = account.instances.get(gone);
      if (instance) instance.state = 'terminated';
      reports.push(await keep(stateChange(gone, 'terminated')));
      const successor = history + instances + k;
      launch(successor);
      reports.push(await keep(stateChange(id(successor), 'running')));
      // Its metrics (CPUUtilization and the agent's) are listed once they have data points.
      account.metrics.push(...seriesOf(id(successor)));
    }
    return reports;
  });
  // About an hour after a termination EC2 no longer describes the instance.
  for (let k = 0; k < replaced; k++) account.instances.delete(id(history + k));
  const daySweep = await phase(sweep);
  // (c) A second sweep with nothing changed.
  const secondSweep = await phase(sweep);
  // (d) A termination event arriving after EC2 has forgotten the instance.
  const late = id(history + replaced);
  account.instances.delete(late);
  const lateTermination = await phase(async () => [await keep(stateChange(late, 'terminated'))]);
  const dayByApi = Object.fromEntries(
    APIS.map((api) => [api, events.byApi[api] + daySweep.byApi[api]]),
  ) as unknown as CallsByApi;
  return {
    alarms: deploy.alarmsAfter,
    replaced,
    deploy,
    events: { ...events, perReplacement: round(events.calls / Math.max(1, replaced), 2) },
    daySweep,
    day: { byApi: dayByApi, calls: total(dayByApi) },
    secondSweep,
    lateTermination,
  };
}

/** The series an instance publishes: CPUUtilization, and the agent's (with its opt-in dimension). */
function seriesOf(instanceId: string): MetricSeries[] {
  const m = (namespace: string, metricName: string, dimensions: Record<string, string>) => ({
    namespace,
    metricName,
    dimensions: { InstanceId: instanceId, ...dimensions },
  });
  const agent = { AutoRemediation: 'enabled' };
  return [
    m('AWS/EC2', 'CPUUtilization', {}),
    m('CWAgent', 'disk_used_percent', { path: '/', device: 'nvme0n1p1', fstype: 'xfs', ...agent }),
    m('CWAgent', 'clock_offset_ms', agent),
    ...SERVICES.flatMap((exe) => [
      m('CWAgent', 'procstat_memory_rss', { exe, pid_finder: 'native', ...agent }),
      m('CWAgent', 'procstat_lookup_pid_count', { exe, pid_finder: 'native', ...agent }),
    ]),
  ];
}

function countCalls(ec2: AwsClientStub<EC2Client>, cloudwatch: AwsClientStub<CloudWatchClient>): CallsByApi {
  return {
    DescribeInstances: ec2.commandCalls(DescribeInstancesCommand).length,
    DescribeAlarms: cloudwatch.commandCalls(DescribeAlarmsCommand).length,
    ListMetrics: cloudwatch.commandCalls(ListMetricsCommand).length,
    PutMetricAlarm: cloudwatch.commandCalls(PutMetricAlarmCommand).length,
    ListTagsForResource: cloudwatch.commandCalls(ListTagsForResourceCommand).length,
    DeleteAlarms: cloudwatch.commandCalls(DeleteAlarmsCommand).length,
  };
}

function total(calls: CallsByApi): number {
  return APIS.reduce((s, api) => s + calls[api], 0);
}

const stateChange = (instanceId: string, state: string) => ({
  version: '0',
  id: 'ee376907-2647-4179-9203-343cfb3017a4',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: ACCOUNT,
  time: '2026-12-04T03:00:00Z',
  region: REGION,
  resources: [`arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${instanceId}`],
  detail: { 'instance-id': instanceId, state },
});

const scheduled = () => ({
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: ACCOUNT,
  time: '2026-12-04T03:00:00Z',
  region: REGION,
  resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/alarm-keeper-sweep`],
  detail: {},
});

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await provisioning(), null, 2));
}
