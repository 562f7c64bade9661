import { fileURLToPath } from 'node:url';
import {
  type ExistingAlarm,
  type KeeperInstance,
  type MetricSeries,
  planInstance,
} from '../functions/core/alarm-keeper.ts';
import { monthlyCost, PRICES } from '../functions/core/alarm-provisioning.ts';
import type { Runbook } from '../functions/core/runbook.ts';
import { ASSUMED_DAILY_REPLACEMENT, keeperCalls, planFor } from '../local/cli/alarms-plan.ts';
import { runbooks } from '../runbooks/index.ts';
import { machine, round } from './machine.ts';

const FLEETS = [100, 2_000, 10_000] as const;
const STACK = 'Ec2AutoRemediation';
const OPT_IN = { key: 'AutoRemediation', value: 'enabled' } as const;
/** The services each simulated instance runs: the procstat runbooks' three series. */
const SERVICES = ['nginx', 'php-fpm', 'app'];

/**
 * Alarm provisioning for the shipped runbooks and fleets of 100, 2,000 and 10,000 instances: the
 * alarms each mode creates, the monthly cost of each, and the CloudWatch calls a day. Fleet alarms
 * make no call after the deploy. Per-instance alarms are simulated: the keeper's pure plan
 * (`planInstance` in functions/core/alarm-keeper.ts) runs over a simulated account (ListMetrics,
 * DescribeAlarms, the alarms it puts and deletes) for a deploy, then a day in which 10% of the
 * fleet is replaced (a termination and a launch each, as EC2 state-change events) and the daily
 * sweep. Calls are counted by the handler's documented pattern (the handler is not written yet):
 * ListMetrics and DescribeAlarms per runbook per instance looked at, PutMetricAlarm per alarm put,
 * ListTagsForResource before each delete, DeleteAlarms per 100 names. The count is checked against
 * `keeperCalls` of `npx remediate alarms plan`.
 */
export async function provisioning(): Promise<Record<string, unknown>> {
  const fleets = FLEETS.map((instances) => fleetResult(instances));
  return {
    machine: machine(),
    prices: `${PRICES.region}, as read on ${PRICES.date}; not checked live`,
    assumedDailyReplacement: ASSUMED_DAILY_REPLACEMENT,
    fleets,
    met: fleets.every((f) => f.perInstance.sweepMatchesPlan),
  };
}

function fleetResult(instances: number) {
  const fleet = planFor(runbooks, { instances, mode: 'fleet' });
  const each = planFor(runbooks, { instances, mode: 'per-instance' });
  const alarmsPerRunbook = Object.fromEntries(
    fleet.runbooks.map((r, i) => [
      r.runbook,
      { fleet: r.fleetAlarms.length, perInstance: instances * (each.runbooks[i]?.alarmsPerInstance ?? 0) },
    ]),
  );
  const kept = runbooks.filter((r) => r.alarm && !r.alarm.query);
  const simulated = simulateDay(instances, kept);
  const model = keeperCalls(each, instances);
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
      alarms: simulated.alarms,
      ...simulated.calls,
      modelSweepReads: model.sweep.total,
      /** The plan's figure: an upper bound (a start's agent alarms come with the next sweep instead). */
      modelPerDay: model.perDay,
      sweepMatchesPlan:
        simulated.calls.steadySweepReads === model.sweep.total && simulated.calls.perDay <= model.perDay,
      usdPerMonth: cost(each),
      apiUsdPerMonth: round((simulated.calls.perDay * 30 * PRICES.apiRequestsPerThousand) / 1000),
    },
  };
}

/** A simulated account: the metrics each instance publishes, and the alarms that exist. */
class Account {
  readonly alarms = new Map<string, Map<string, ExistingAlarm>>();
  readonly calls: Record<string, number> = {};
  private readonly metrics = new Map<string, MetricSeries[]>();

  count(api: string, n = 1): void {
    this.calls[api] = (this.calls[api] ?? 0) + n;
  }

  /** An instance starts publishing: EC2 from launch, the agent's metrics once it has run (`agent`). */
  publish(instanceId: string, agent: boolean): void {
    const m = (namespace: string, metricName: string, dimensions: Record<string, string>) => ({
      namespace,
      metricName,
      dimensions: { InstanceId: instanceId, ...dimensions },
    });
    const series = [m('AWS/EC2', 'CPUUtilization', {})];
    if (agent) {
      series.push(
        m('CWAgent', 'disk_used_percent', {
          path: '/',
          device: 'nvme0n1p1',
          fstype: 'xfs',
          AutoRemediation: 'enabled',
        }),
        m('CWAgent', 'clock_offset_ms', { AutoRemediation: 'enabled' }),
        ...SERVICES.flatMap((exe) => [
          m('CWAgent', 'procstat_memory_rss', { exe, pid_finder: 'native', AutoRemediation: 'enabled' }),
          m('CWAgent', 'procstat_lookup_pid_count', {
            exe,
            pid_finder: 'native',
            AutoRemediation: 'enabled',
          }),
        ]),
      );
    }
    this.metrics.set(instanceId, series);
  }

  /** ListMetrics per runbook for the instance (one call each: well under a page). */
  listMetrics(instanceId: string, kept: readonly Runbook[]): MetricSeries[] {
    this.count('ListMetrics', kept.length);
    return this.metrics.get(instanceId) ?? [];
  }

  /** The instance's alarms, from DescribeAlarms by each runbook's name prefix (one page each). */
  describeFor(instanceId: string, kept: readonly Runbook[]): ExistingAlarm[] {
    this.count('DescribeAlarms', kept.length);
    return [...(this.alarms.get(instanceId)?.values() ?? [])];
  }

  apply(instanceId: string, plan: ReturnType<typeof planInstance>): void {
    const mine = this.alarms.get(instanceId) ?? new Map<string, ExistingAlarm>();
    for (const alarm of [...plan.creates, ...plan.updates.map((u) => u.alarm)]) {
      this.count('PutMetricAlarm');
      mine.set(alarm.name, {
        ...alarm,
        arn: `arn:aws:cloudwatch:::alarm:${alarm.name}`,
        hasActions: false,
        usesMetrics: false,
      });
    }
    this.count('ListTagsForResource', plan.updates.length + plan.deletes.length);
    if (plan.deletes.length > 0) this.count('DeleteAlarms', Math.ceil(plan.deletes.length / 100));
    for (const alarm of plan.deletes) mine.delete(alarm.name);
    this.alarms.set(instanceId, mine);
  }

  total(): number {
    return Object.values(this.calls).reduce((s, n) => s + n, 0);
  }

  alarmCount(): number {
    return [...this.alarms.values()].reduce((s, m) => s + m.size, 0);
  }
}

function simulateDay(instances: number, kept: readonly Runbook[]) {
  const account = new Account();
  const settings = { stackName: STACK, optInTag: OPT_IN, runbooks: kept };
  const instance = (n: number, state = 'running'): KeeperInstance => ({
    instanceId: `i-${n.toString(16).padStart(17, '0')}`,
    state,
    tags: { Name: `web-${n}`, [OPT_IN.key]: OPT_IN.value, 'AutoRemediation:services': SERVICES.join(':') },
  });
  let fleet = Array.from({ length: instances }, (_, n) => instance(n));
  for (const i of fleet) account.publish(i.instanceId, true);
  // An event: a start lists the instance's metrics; a stop or termination needs only its alarms.
  const look = (i: KeeperInstance) =>
    account.apply(
      i.instanceId,
      planInstance(
        settings,
        i,
        i.state === 'running' ? account.listMetrics(i.instanceId, kept) : [],
        account.describeFor(i.instanceId, kept),
      ),
    );
  /** The sweep: DescribeInstances pages, then each instance's metrics and the alarms by page. */
  const sweep = () => {
    account.count('DescribeInstances', Math.ceil(fleet.length / 1000));
    const pages = kept.reduce((s, r) => {
      let alarms = 0;
      for (const m of account.alarms.values())
        for (const a of m.values()) if (a.name.startsWith(`${r.name}-`)) alarms++;
      return s + Math.max(1, Math.ceil(alarms / 100));
    }, 0);
    account.count('DescribeAlarmsPages', pages);
    for (const i of fleet) {
      account.apply(
        i.instanceId,
        planInstance(settings, i, account.listMetrics(i.instanceId, kept), [
          ...(account.alarms.get(i.instanceId)?.values() ?? []),
        ]),
      );
    }
  };
  sweep();
  const deploy = { ...account.calls };
  const deployed = account.alarmCount();
  // The day: 10% replaced, each a termination and a launch (EC2 state-change events), then the sweep.
  for (const api of Object.keys(account.calls)) delete account.calls[api];
  const replaced = Math.round(instances * ASSUMED_DAILY_REPLACEMENT);
  for (let k = 0; k < replaced; k++) {
    const gone = fleet[k] as KeeperInstance;
    look({ ...gone, state: 'terminated' });
    const launched = instance(instances + k);
    account.publish(launched.instanceId, false);
    look(launched);
    account.publish(launched.instanceId, true);
    fleet = [...fleet.slice(0, k), launched, ...fleet.slice(k + 1)];
  }
  const events = account.total();
  const eventCalls = { ...account.calls };
  for (const api of Object.keys(account.calls)) delete account.calls[api];
  sweep();
  const c = account.calls;
  const reads = (calls: Record<string, number>) =>
    (calls.DescribeInstances ?? 0) + (calls.ListMetrics ?? 0) + (calls.DescribeAlarmsPages ?? 0);
  const sweepReads = reads(c);
  const perDay = events + account.total();
  const sweepCalls = { ...c };
  // A second sweep with nothing changed: the steady state `keeperCalls` describes.
  for (const api of Object.keys(account.calls)) delete account.calls[api];
  sweep();
  return {
    alarms: deployed,
    calls: {
      deployPutMetricAlarm: deploy.PutMetricAlarm ?? 0,
      sweepReads,
      sweepWrites:
        (sweepCalls.PutMetricAlarm ?? 0) +
        (sweepCalls.DeleteAlarms ?? 0) +
        (sweepCalls.ListTagsForResource ?? 0),
      sweepCallsByApi: sweepCalls,
      eventCalls: events,
      eventCallsByApi: eventCalls,
      perDay,
      steadySweepReads: reads(account.calls),
      steadySweepWrites: account.total() - reads(account.calls),
      alarmsAfterDay: account.alarmCount(),
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await provisioning(), null, 2));
}
