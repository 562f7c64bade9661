import type { AlarmChange } from './alarm.ts';
import { matchRunbook } from './matching.ts';
import type { Runbook } from './runbook.ts';
import {
  type FleetScope,
  fleetQuery,
  isHighResolution,
  isVendedNamespace,
  type ResolvedAlarm,
  type Shard,
} from './runbook-alarm.ts';
import { runbookSetProblems } from './runbook-overlap.ts';

/**
 * How the stack provisions a runbook's declared alarm: one Metrics Insights alarm over the whole
 * opted-in fleet (`fleet`), one alarm per instance and series kept in step with the fleet by the
 * alarm keeper (`per-instance`), or none (`none`: the team brings its own alarms). Pure: the stack,
 * `npx remediate alarms plan` and the benchmarks share it.
 */
export type AlarmMode = 'fleet' | 'per-instance' | 'none';

export const ALARM_MODES: readonly AlarmMode[] = ['fleet', 'per-instance', 'none'];

/** CloudWatch's documented limits that shape the plan (CloudWatch User Guide, "alarm-limits"). */
export const LIMITS = {
  /** Series a Metrics Insights query returns (above: PARTIAL_DATA, the rest unwatched). */
  seriesPerQuery: 500,
  /** Contributors of one multi-time-series alarm in ALARM at once. */
  contributorsInAlarm: 100,
  /** Metrics Insights alarms per account and Region (default quota, adjustable). */
  fleetAlarmsPerRegion: 200,
  /** How much of a shard's room the plan fills, so that an uneven spread of ids still fits. */
  shardFill: 0.75,
} as const;

/**
 * Prices (USD, us-east-1) from AWS's CloudWatch pricing page as it read on 2026-12-01; not checked
 * from this machine. Metrics Insights alarms are billed per metric analyzed, like a standard alarm per
 * metric: a fleet alarm costs about what per-instance alarms cost, and saves their upkeep.
 */
export const PRICES = {
  date: '2026-12-01',
  region: 'us-east-1',
  standardAlarmMetricMonth: 0.1,
  highResolutionAlarmMetricMonth: 0.3,
  insightsAlarmMetricAnalyzedMonth: 0.1,
  /** ListMetrics and the other read APIs beyond the free tier, per 1,000 requests. */
  apiRequestsPerThousand: 0.01,
} as const;

/** What the stack is told about provisioning. */
export interface ProvisioningOptions {
  /** @default 'fleet' (a high-resolution alarm goes per-instance: Metrics Insights alarms are not) */
  readonly mode?: AlarmMode;
  /** Per runbook, over `mode`. */
  readonly modes?: Readonly<Record<string, AlarmMode>>;
  /**
   * How many instances the fleet may reach: sizes the fleet alarms' shards so that every series is
   * watched. A fleet that outgrows it still has its worst 500 series per alarm watched (the query
   * orders them worst first). @default 100
   */
  readonly expectedInstances?: number;
  /** The opt-in tag: scopes fleet alarms over AWS's own metrics (`WHERE tag.<key> = '<value>'`). */
  readonly optInTag: { readonly key: string; readonly value: string };
  /** The dimension the CloudWatch agent stamps on opted-in instances' metrics. */
  readonly agentDimension: { readonly name: string; readonly value: string };
  /** Names the fleet alarms (`<runbook>-fleet-<stackName>`). */
  readonly stackName: string;
}

/** One fleet alarm: a shard of a runbook's fleet. */
export interface FleetAlarmPlan {
  readonly name: string;
  readonly query: string;
  readonly shard: Shard;
}

/** What the stack does for one runbook. */
export interface RunbookAlarmPlan {
  readonly runbook: string;
  readonly mode: AlarmMode;
  /** Why this mode, in words. */
  readonly why: string;
  readonly alarm?: ResolvedAlarm;
  /** Series each instance contributes. */
  readonly seriesPerInstance: number;
  readonly fleetAlarms: readonly FleetAlarmPlan[];
  /** Alarms the keeper keeps per opted-in instance (one per series). */
  readonly alarmsPerInstance: number;
}

/** The whole plan: per runbook, and what the stack must warn about or refuse. */
export interface AlarmPlan {
  readonly runbooks: readonly RunbookAlarmPlan[];
  readonly warnings: readonly string[];
  readonly errors: readonly string[];
  /** What holds for the plan and is worth knowing, not a problem. */
  readonly notes: readonly string[];
  readonly fleetAlarmCount: number;
  /** Whether any runbook needs the account's "resource tags on telemetry" (a fleet alarm over AWS/ metrics). */
  readonly needsResourceTags: boolean;
}

/** The name of a runbook's fleet alarm (or one of its shards); the runbook answers `<runbook>-*`. */
export function fleetAlarmName(
  stackName: string,
  runbook: string,
  shard: Shard = { index: 0, of: 1 },
): string {
  const base = `${runbook}-fleet-${stackName}`;
  return shard.of > 1 ? `${base}-shard-${shard.index.toString(16)}` : base;
}

/**
 * The name of a per-instance alarm: the runbook (which answers `<runbook>-*`), the instance's Name
 * tag (readable, cut and cleaned), the instance id, and the series' grouping values. At most 255.
 */
export function perInstanceAlarmName(
  runbook: string,
  instance: { readonly instanceId: string; readonly name?: string },
  series: Readonly<Record<string, string>> = {},
): string {
  const clean = (text: string, max: number) =>
    text
      .replace(/[^A-Za-z0-9_.:=/@+-]+/g, '-')
      .replace(/-+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, max);
  const name = instance.name ? clean(instance.name, 60) : '';
  const extra = Object.entries(series)
    .filter(([key]) => key !== 'InstanceId')
    .map(([key, value]) => `${clean(key, 30)}=${clean(value, 60)}`)
    .join('-');
  return [runbook, name, instance.instanceId, extra]
    .filter((part) => part !== '')
    .join('-')
    .slice(0, 255);
}

/** Where a fleet alarm's scope comes from: the opt-in tag for AWS's metrics, the agent's dimension for the rest. */
export function scopeFor(alarm: ResolvedAlarm, options: ProvisioningOptions): FleetScope {
  return isVendedNamespace(alarm.namespace)
    ? { kind: 'tag', key: options.optInTag.key, value: options.optInTag.value }
    : { kind: 'dimension', name: options.agentDimension.name, value: options.agentDimension.value };
}

/** The shard count a fleet needs: one alarm while its series fit a query, else one per last hex digit. */
export function shardsFor(series: number): number {
  return series <= LIMITS.seriesPerQuery * LIMITS.shardFill ? 1 : 16;
}

/** Plans the alarms of the runbooks for a fleet: modes, names, queries, and what to warn about. */
export function planAlarms(runbooks: readonly Runbook[], options: ProvisioningOptions): AlarmPlan {
  const instances = options.expectedInstances ?? 100;
  const warnings: string[] = [];
  const errors: string[] = [...runbookSetProblems(runbooks), ...provisionedAlarmProblems(runbooks)];
  for (const name of Object.keys(options.modes ?? {})) {
    if (!runbooks.some((r) => r.name === name))
      errors.push(
        `alarm mode for "${name}": no deployed runbook has that name (${runbooks.map((r) => r.name).join(', ')})`,
      );
  }
  const plans = runbooks.map((runbook): RunbookAlarmPlan => {
    const asked = options.modes?.[runbook.name] ?? options.mode ?? 'fleet';
    const alarm = runbook.alarm;
    const none = (why: string): RunbookAlarmPlan => ({
      runbook: runbook.name,
      mode: 'none',
      why,
      ...(alarm ? { alarm } : {}),
      seriesPerInstance: alarm?.seriesPerInstance ?? 1,
      fleetAlarms: [],
      alarmsPerInstance: 0,
    });
    if (!alarm) {
      if (asked !== 'none' && options.modes?.[runbook.name] !== undefined)
        errors.push(
          `runbook ${runbook.name} declares no alarm, so it cannot have ${asked} alarms: declare alarm in its runbook.ts, or set its mode to none`,
        );
      return none('the runbook declares no alarm: bring your own');
    }
    if (asked === 'none') return none('mode none: bring your own alarms');
    let mode: AlarmMode = asked;
    let why = options.modes?.[runbook.name] ? `mode ${asked} for this runbook` : `mode ${asked}`;
    if (mode === 'fleet' && isHighResolution(alarm)) {
      if (options.modes?.[runbook.name] === 'fleet')
        errors.push(
          `runbook ${runbook.name}: its alarm's period of ${alarm.periodSeconds}s is high resolution, which Metrics Insights alarms do not evaluate; use per-instance for it`,
        );
      mode = 'per-instance';
      why = `its ${alarm.periodSeconds}s period is high resolution: per-instance alarms`;
    }
    if (mode === 'per-instance' && alarm.query) {
      errors.push(
        `runbook ${runbook.name}: its alarm is a query, which per-instance alarms cannot watch; declare alarm.metric, or use fleet`,
      );
    }
    const series = instances * alarm.seriesPerInstance;
    if (mode === 'fleet') {
      const of = shardsFor(series);
      if (of > 1 && series > LIMITS.seriesPerQuery * LIMITS.shardFill * of) {
        warnings.push(
          `runbook ${runbook.name}: ${series} series (${instances} instances × ${alarm.seriesPerInstance}) exceed what 16 fleet alarms of 500 series watch evenly; use per-instance for it`,
        );
      }
      const fleetAlarms = Array.from({ length: of }, (_, index) => {
        const shard = { index, of };
        return {
          name: fleetAlarmName(options.stackName, runbook.name, shard),
          query: fleetQuery(alarm, scopeFor(alarm, options), shard),
          shard,
        };
      });
      if (alarm.query && of > 1)
        warnings.push(
          `runbook ${runbook.name}: its own query cannot be sharded; it watches the first 500 series only`,
        );
      return {
        runbook: runbook.name,
        mode,
        why:
          of > 1
            ? `${why}, in ${of} shards (${series} series > ${LIMITS.seriesPerQuery * LIMITS.shardFill})`
            : why,
        alarm,
        seriesPerInstance: alarm.seriesPerInstance,
        fleetAlarms: alarm.query ? fleetAlarms.slice(0, 1) : fleetAlarms,
        alarmsPerInstance: 0,
      };
    }
    return {
      runbook: runbook.name,
      mode,
      why,
      alarm,
      seriesPerInstance: alarm.seriesPerInstance,
      fleetAlarms: [],
      alarmsPerInstance: alarm.seriesPerInstance,
    };
  });
  const fleetAlarmCount = plans.reduce((sum, plan) => sum + plan.fleetAlarms.length, 0);
  if (fleetAlarmCount > LIMITS.fleetAlarmsPerRegion)
    errors.push(
      `${fleetAlarmCount} fleet alarms exceed the ${LIMITS.fleetAlarmsPerRegion} Metrics Insights alarms an account may have per Region; move runbooks to per-instance, or raise the quota first`,
    );
  else if (fleetAlarmCount > LIMITS.fleetAlarmsPerRegion / 2)
    warnings.push(
      `${fleetAlarmCount} fleet alarms use more than half the ${LIMITS.fleetAlarmsPerRegion} Metrics Insights alarms an account may have per Region`,
    );
  const notes: string[] = [];
  if (plans.some((plan) => plan.mode === 'fleet') && instances > LIMITS.contributorsInAlarm)
    notes.push(
      `a fleet alarm reports at most ${LIMITS.contributorsInAlarm} series in ALARM at once; beyond that the fleet breaker (which opens far earlier) stands in`,
    );
  return {
    runbooks: plans,
    warnings,
    errors,
    notes,
    fleetAlarmCount,
    needsResourceTags: plans.some(
      (plan) => plan.mode === 'fleet' && plan.alarm !== undefined && isVendedNamespace(plan.alarm.namespace),
    ),
  };
}

/** The monthly cost of one runbook's alarms for a fleet, in USD, with what it counts. */
export function monthlyCost(
  plan: RunbookAlarmPlan,
  instances: number,
): { readonly usd: number; readonly metrics: number; readonly basis: string } {
  if (plan.mode === 'none' || !plan.alarm) return { usd: 0, metrics: 0, basis: 'no alarms provisioned' };
  const metrics = instances * plan.seriesPerInstance;
  if (plan.mode === 'fleet') {
    return {
      usd: metrics * PRICES.insightsAlarmMetricAnalyzedMonth,
      metrics,
      basis: `${metrics} metrics analyzed × $${PRICES.insightsAlarmMetricAnalyzedMonth}`,
    };
  }
  const price = isHighResolution(plan.alarm)
    ? PRICES.highResolutionAlarmMetricMonth
    : PRICES.standardAlarmMetricMonth;
  return { usd: metrics * price, metrics, basis: `${metrics} alarms × $${price}` };
}

/** The same fleet's cost in the other paid mode, for comparison. */
export function alternativeCost(
  plan: RunbookAlarmPlan,
  instances: number,
): { readonly mode: AlarmMode; readonly usd: number } | undefined {
  if (plan.mode === 'none' || !plan.alarm) return undefined;
  const other: AlarmMode = plan.mode === 'fleet' ? 'per-instance' : 'fleet';
  if (other === 'fleet' && (isHighResolution(plan.alarm) || plan.alarm.query)) return undefined;
  return { mode: other, usd: monthlyCost({ ...plan, mode: other }, instances).usd };
}

/**
 * Whether each runbook answers the alarms the stack provisions for it, among all the deployed
 * runbooks: a series of its fleet alarm, and a per-instance alarm, must reach it and no other runbook
 * (another's broader name pattern, say). Returns the problems, each naming the runbooks involved.
 */
export function provisionedAlarmProblems(runbooks: readonly Runbook[]): string[] {
  const problems: string[] = [];
  for (const runbook of runbooks) {
    const alarm = runbook.alarm;
    if (!alarm) continue;
    const series: Record<string, string> = { ...alarm.dimensions, InstanceId: 'i-0123456789abcdef0' };
    for (const dimension of alarm.groupBy) series[dimension] ??= 'example';
    const metric = { namespace: alarm.namespace, metricName: alarm.metricName, dimensions: series };
    const common = {
      account: '123456789012',
      region: 'us-east-1',
      state: 'ALARM' as const,
      previousState: undefined,
      stateAt: 0,
      reason: '',
      metrics: [metric],
      composite: false,
      tags: {},
    };
    const fleetName = fleetAlarmName('Stack', runbook.name);
    const instanceName = perInstanceAlarmName(
      runbook.name,
      { instanceId: 'i-0123456789abcdef0', name: 'web-1' },
      series,
    );
    const changes: { what: string; change: AlarmChange }[] = [
      {
        what: `its fleet alarm (${fleetName})`,
        change: {
          ...common,
          alarmName: fleetName,
          alarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${fleetName}`,
          usesExpression: true,
          contributor: { id: '0123456789abcdef', attributes: series },
        },
      },
      {
        what: `its per-instance alarms (${instanceName})`,
        change: {
          ...common,
          alarmName: instanceName,
          alarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${instanceName}`,
          usesExpression: false,
        },
      },
    ];
    for (const { what, change } of changes) {
      const match = matchRunbook(change, runbooks);
      if (match?.runbook.name === runbook.name) continue;
      problems.push(
        match
          ? `runbook ${runbook.name}: ${what} would be answered by runbook ${match.runbook.name} (${match.matchedBy}); narrow that runbook's match`
          : `runbook ${runbook.name}: ${what} would be answered by no runbook; its match contradicts its own alarm (check match.metrics dimensions against alarm.dimensions)`,
      );
    }
  }
  return problems;
}
