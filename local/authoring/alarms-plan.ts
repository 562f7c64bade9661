import {
  ALARM_MODES,
  type AlarmMode,
  type AlarmPlan,
  alternativeCost,
  LIMITS,
  monthlyCost,
  PRICES,
  planAlarms,
  type RunbookAlarmPlan,
} from '../../functions/core/alarm-provisioning.ts';
import { closest } from '../../functions/core/edit-distance.ts';
import type { Runbook } from '../../functions/core/runbook.ts';
import type { ResolvedAlarm } from '../../functions/core/runbook-alarm.ts';
import { MAX_ALARM_PAGES } from '../../functions/handlers/alarm-keeper.ts';

/**
 * The engine of the repository's CDK app (bin/app.ts: stack `Ec2AutoRemediation`, construct
 * `Remediation`): fleet alarms are named after the engine, as the construct names them.
 */
export const DEFAULT_STACK_NAME = 'Ec2AutoRemediation-Remediation';
/** The construct's defaults: the opt-in tag and the dimension the CloudWatch agent stamps. */
const OPT_IN_TAG = { key: 'AutoRemediation', value: 'enabled' } as const;
const AGENT_DIMENSION = { name: 'AutoRemediation', value: 'enabled' } as const;
/**
 * Items per page of the keeper's listings (DescribeInstances up to 1,000 by MaxResults, DescribeAlarms
 * 100 by MaxRecords, ListMetrics 500), names per DeleteAlarms call.
 */
const PAGE = { describeInstances: 1000, describeAlarms: 100, listMetrics: 500, deleteAlarms: 100 } as const;
/** The share of the fleet assumed replaced (one launch, one termination) a day, for the events' figure. */
export const ASSUMED_DAILY_REPLACEMENT = 0.1;
/**
 * ListMetrics lists a series for two weeks after its last data point: the sweep's fleet-wide listing
 * also pages through the series of the instances replaced in the last 14 days.
 */
export const METRIC_LISTED_DAYS = 14;

/** What `remediate alarms plan` is asked. */
export interface AlarmsPlanRequest {
  readonly instances: number;
  readonly mode?: AlarmMode;
  readonly stackName?: string;
}

/** The keeper's calls by API (those it makes: EC2 DescribeInstances, the rest CloudWatch). */
export interface CallsByApi {
  readonly DescribeInstances: number;
  readonly DescribeAlarms: number;
  readonly ListMetrics: number;
  readonly PutMetricAlarm: number;
  readonly ListTagsForResource: number;
  readonly DeleteAlarms: number;
}

/**
 * An estimate of the EC2 and CloudWatch calls the alarm keeper (functions/handlers/alarm-keeper.ts)
 * makes for the per-instance runbooks of a plan, from its call pattern as `bench/provisioning.ts`
 * measures it on a fake account:
 * - a sweep: DescribeInstances pages of the opted-in running fleet (1,000 each); one fleet-wide
 *   ListMetrics listing per runbook, in pages of 500 series (the running fleet's and, for two weeks,
 *   the replaced instances'); DescribeAlarms pages (100 each) of every metric alarm of the account
 *   (the keeper's counted here, the account's others add theirs); PutMetricAlarm for each alarm missing
 *   (the day's new instances' agent alarms: no series at their launch), nothing for an unchanged one;
 * - an instance start (state `running`): 1 DescribeInstances, per runbook 1 DescribeAlarms (by the
 *   instance's name prefix) and 1 ListMetrics (its series), and a PutMetricAlarm for each alarm
 *   watched from launch (an AWS/EC2 metric by instance only); the agent's wait for the sweep;
 * - a termination or stop while EC2 still describes the instance (an hour after a termination): 1
 *   DescribeInstances, 1 DescribeAlarms per runbook, 1 ListTagsForResource per alarm (the managed-by
 *   check) and DeleteAlarms per runbook and 100 names;
 * - a termination event arriving once EC2 has forgotten the instance lists each runbook's alarms by the
 *   runbook's prefix, every page of them: `lateStop`.
 * A sweep reads at most MAX_ALARM_PAGES pages of alarms (200,000): with more, it stops there and changes
 * nothing (`sweepFails`), so no ListMetrics and no PutMetricAlarm, and the agent alarms of new
 * instances are not made.
 */
export interface KeeperCalls {
  readonly runbooks: number;
  readonly alarms: number;
  /** Alarms of each instance put at its launch (the rest by the next sweep). */
  readonly alarmsAtLaunch: number;
  /** Instances replaced a day ({@link ASSUMED_DAILY_REPLACEMENT} of the fleet). */
  readonly replaced: number;
  /** Whether the sweep finds more metric alarms than it reads (MAX_ALARM_PAGES pages), and fails. */
  readonly sweepFails: boolean;
  /** The metric alarms a sweep reads at most. */
  readonly sweepAlarmLimit: number;
  /** A sweep with nothing to change (reads only). */
  readonly sweep: {
    readonly describeInstances: number;
    readonly listMetrics: number;
    readonly describeAlarms: number;
    readonly total: number;
  };
  /** The daily sweep after the day's replacements: the sweep's reads and the new instances' agent alarms. */
  readonly daySweep: CallsByApi & { readonly total: number };
  readonly perStart: number;
  readonly perStop: number;
  readonly lateStop: number;
  /** The events' calls a day when {@link ASSUMED_DAILY_REPLACEMENT} of the fleet is replaced. */
  readonly eventsPerDay: number;
  /** The events' and the daily sweep's calls, by API. */
  readonly perDayByApi: CallsByApi;
  readonly perDay: number;
}

export function keeperCalls(plan: AlarmPlan, instances: number): KeeperCalls {
  const kept = plan.runbooks.filter((r) => r.mode === 'per-instance');
  const alarmsPerInstance = kept.reduce((sum, r) => sum + r.alarmsPerInstance, 0);
  const alarmsAtLaunch = kept.filter((r) => watchedFromLaunch(r.alarm)).length;
  const replaced = Math.round(instances * ASSUMED_DAILY_REPLACEMENT);
  const pages = (items: number, size: number) => Math.max(1, Math.ceil(items / size));
  const describeInstances = kept.length === 0 ? 0 : pages(instances, PAGE.describeInstances);
  const listed = instances + METRIC_LISTED_DAYS * replaced;
  const fleetListMetrics = kept.reduce(
    (sum, r) => sum + pages(listed * r.seriesPerInstance, PAGE.listMetrics),
    0,
  );
  const alarms = instances * alarmsPerInstance;
  const limit = MAX_ALARM_PAGES * PAGE.describeAlarms;
  /** A sweep finding `found` alarms: its reads, unless it fails after its last page. */
  const sweepReads = (found: number) =>
    found > limit
      ? { describeAlarms: MAX_ALARM_PAGES, listMetrics: 0, fails: true }
      : {
          describeAlarms: kept.length === 0 ? 0 : pages(found, PAGE.describeAlarms),
          listMetrics: fleetListMetrics,
          fails: false,
        };
  const steady = sweepReads(alarms);
  const sweep = describeInstances + steady.listMetrics + steady.describeAlarms;
  const missing = replaced * (alarmsPerInstance - alarmsAtLaunch);
  const day = sweepReads(alarms - missing);
  const daySweep = {
    DescribeInstances: describeInstances,
    DescribeAlarms: day.describeAlarms,
    ListMetrics: day.listMetrics,
    PutMetricAlarm: day.fails ? 0 : missing,
    ListTagsForResource: 0,
    DeleteAlarms: 0,
  };
  const deletes = kept.reduce(
    (sum, r) => sum + (r.alarmsPerInstance > 0 ? Math.ceil(r.alarmsPerInstance / PAGE.deleteAlarms) : 0),
    0,
  );
  const start = kept.length === 0 ? 0 : 1 + 2 * kept.length + alarmsAtLaunch;
  const stop = kept.length === 0 ? 0 : 1 + kept.length + alarmsPerInstance + deletes;
  const lateStop =
    kept.length === 0
      ? 0
      : 1 +
        kept.reduce((sum, r) => sum + pages(instances * r.alarmsPerInstance, PAGE.describeAlarms), 0) +
        alarmsPerInstance +
        deletes;
  const events = {
    DescribeInstances: replaced * 2 * (kept.length === 0 ? 0 : 1),
    DescribeAlarms: replaced * 2 * kept.length,
    ListMetrics: replaced * kept.length,
    PutMetricAlarm: replaced * alarmsAtLaunch,
    ListTagsForResource: replaced * alarmsPerInstance,
    DeleteAlarms: replaced * deletes,
  };
  const perDayByApi = Object.fromEntries(
    Object.entries(events).map(([api, n]) => [api, n + daySweep[api as keyof CallsByApi]]),
  ) as unknown as CallsByApi;
  const total = (calls: CallsByApi) => Object.values(calls).reduce((sum, n) => sum + n, 0);
  return {
    runbooks: kept.length,
    alarms,
    alarmsAtLaunch,
    replaced,
    sweepFails: steady.fails || day.fails,
    sweepAlarmLimit: limit,
    sweep: {
      describeInstances,
      listMetrics: steady.listMetrics,
      describeAlarms: steady.describeAlarms,
      total: sweep,
    },
    daySweep: { ...daySweep, total: total(daySweep) },
    perStart: start,
    perStop: stop,
    lateStop,
    eventsPerDay: replaced * (start + stop),
    perDayByApi,
    perDay: total(perDayByApi),
  };
}

/** An AWS/EC2 metric by instance only: the keeper alarms on it at launch, before ListMetrics lists it. */
function watchedFromLaunch(alarm: ResolvedAlarm | undefined): boolean {
  return alarm?.namespace === 'AWS/EC2' && alarm.groupBy.length === 1;
}

/** The plan for the runbooks and a fleet, with the construct's defaults. */
export function planFor(runbooks: readonly Runbook[], request: AlarmsPlanRequest): AlarmPlan {
  return planAlarms(runbooks, {
    ...(request.mode ? { mode: request.mode } : {}),
    expectedInstances: request.instances,
    optInTag: OPT_IN_TAG,
    agentDimension: AGENT_DIMENSION,
    stackName: request.stackName ?? DEFAULT_STACK_NAME,
  });
}

/** What `remediate alarms plan` prints: per runbook, then the limits, the totals and the keeper's calls. */
export function alarmsPlanLines(runbooks: readonly Runbook[], request: AlarmsPlanRequest): string[] {
  const { instances } = request;
  const plan = planFor(runbooks, request);
  const stack = request.stackName ?? DEFAULT_STACK_NAME;
  const lines = [
    `Alarm plan: ${count(instances)} instances, ${runbooks.length} runbooks, mode ${request.mode ?? 'fleet'}` +
      `${request.mode ? '' : ' (the default)'}, engine ${stack}`,
    '',
  ];
  for (const runbook of plan.runbooks) lines.push(...runbookLines(runbook, instances), '');
  lines.push('Limits (CloudWatch, per account and Region)');
  lines.push(
    `  Metrics Insights alarms: ${plan.fleetAlarmCount} of the ${LIMITS.fleetAlarmsPerRegion} an account may have per Region (default quota)`,
    `  series per query: ${LIMITS.seriesPerQuery} (beyond: PARTIAL_DATA, the rest unwatched); a fleet is split in 16 shards by the last hex digit of the instance id once it passes ${LIMITS.seriesPerQuery * LIMITS.shardFill}`,
    `  contributors in ALARM: ${LIMITS.contributorsInAlarm} per fleet alarm; the fleet breaker opens far earlier, and the resync lists the rest`,
  );
  if (plan.needsResourceTags)
    lines.push(
      "  a fleet alarm over AWS/ metrics filters by the opt-in tag: it needs the account's resource tags on telemetry (enableResourceTagsOnTelemetry: true)",
    );
  for (const note of plan.notes) lines.push(`  ${note}`);
  for (const warning of plan.warnings) lines.push(`warning: ${warning}`);
  for (const error of plan.errors) lines.push(`error: ${error}`);
  lines.push('', ...totalLines(plan, instances), '', ...keeperLines(plan, instances));
  return lines;
}

function runbookLines(plan: RunbookAlarmPlan, instances: number): string[] {
  const lines = [`${plan.runbook}: ${plan.mode}`, `  why:      ${plan.why}`];
  if (plan.alarm) lines.push(`  alarm:    ${describeAlarm(plan.alarm)}`);
  const series = instances * plan.seriesPerInstance;
  if (plan.mode === 'fleet') {
    const of = plan.fleetAlarms.length;
    lines.push(
      `  creates:  ${of} Metrics Insights alarm${of === 1 ? '' : 's'}` +
        `${of > 1 ? ', one per last hex digit of the instance id' : ''}; each series is a contributor with its own events`,
    );
    for (const alarm of plan.fleetAlarms) lines.push(`    ${alarm.name}`, `      ${alarm.query}`);
    const perAlarm = Math.ceil(series / of);
    lines.push(
      `  limits:   ${count(series)} series (${count(instances)} × ${plan.seriesPerInstance}), about ${count(perAlarm)} per alarm of the ${LIMITS.seriesPerQuery} a query reads` +
        `${perAlarm > LIMITS.seriesPerQuery ? ': TOO MANY, the rest go unwatched' : ''}; ${LIMITS.contributorsInAlarm} contributors in ALARM per alarm`,
    );
  } else if (plan.mode === 'per-instance' && plan.alarm) {
    lines.push(
      `  creates:  ${plan.alarmsPerInstance} alarm${plan.alarmsPerInstance === 1 ? '' : 's'} per instance (${count(series)} in all), kept by the alarm keeper`,
      `    named    ${namePattern(plan.runbook, plan.alarm)}`,
      '    tagged   AutoRemediation:managed-by; the keeper never touches an alarm it did not create',
      `  limits:   none of Metrics Insights'; one alarm per series${plan.alarm.periodSeconds < 60 ? ', high resolution' : ''}`,
    );
  } else {
    lines.push(
      `  creates:  nothing; bring your own alarms named ${plan.runbook}-* (or matching its patterns)`,
    );
  }
  lines.push(`  cost:     ${costLine(plan, instances)}`);
  return lines;
}

function describeAlarm(alarm: ResolvedAlarm): string {
  const dimensions = Object.entries(alarm.dimensions).map(([k, v]) => `${k}=${v}`);
  const by = alarm.groupBy.length > 1 ? ` by ${alarm.groupBy.join(', ')}` : '';
  const op = { GreaterThanThreshold: '>', GreaterThanOrEqualToThreshold: '>=', LessThanThreshold: '<' };
  const comparison = (op as Record<string, string>)[alarm.comparison] ?? '<=';
  return (
    `${alarm.namespace} ${alarm.metricName}${dimensions.length ? ` ${dimensions.join(' ')}` : ''}${by}, ` +
    `${alarm.statistic} over ${alarm.periodSeconds} s ${comparison} ${alarm.threshold}, ` +
    `${alarm.datapointsToAlarm} of ${alarm.evaluationPeriods} periods, missing data ${alarm.treatMissingData}`
  );
}

/** The names the keeper gives: the runbook, the Name tag, the instance id, then each grouping value. */
function namePattern(runbook: string, alarm: ResolvedAlarm): string {
  const extra = alarm.groupBy.filter((d) => d !== 'InstanceId').map((d) => `${d}=<${d}>`);
  return [runbook, '<Name tag>', '<instance id>', ...extra].join('-');
}

function costLine(plan: RunbookAlarmPlan, instances: number): string {
  if (plan.mode === 'none') {
    if (!plan.alarm) return '$0 (no alarm declared)';
    const fleet = monthlyCost({ ...plan, mode: 'fleet' }, instances).usd;
    const each = monthlyCost({ ...plan, mode: 'per-instance' }, instances).usd;
    return `$0 from this stack; fleet would be ${usd(fleet)}, per-instance ${usd(each)} a month`;
  }
  const chosen = monthlyCost(plan, instances);
  const other = alternativeCost(plan, instances);
  return (
    `${usd(chosen.usd)} a month (${count(chosen.metrics)} ${plan.mode === 'fleet' ? 'metrics analyzed' : 'alarms'} × ${usd(chosen.usd / chosen.metrics)})` +
    (other ? `; ${other.mode} would be ${usd(other.usd)}` : '; no other paid mode can watch it')
  );
}

function totalLines(plan: AlarmPlan, instances: number): string[] {
  const chosen = plan.runbooks.reduce((sum, r) => sum + monthlyCost(r, instances).usd, 0);
  const fleet = plan.runbooks.filter((r) => r.mode === 'fleet');
  const kept = plan.runbooks.filter((r) => r.mode === 'per-instance');
  return [
    `Cost a month: ${usd(chosen)} for the alarms (${fleet.length} runbooks fleet, ${kept.length} per-instance)`,
    `  Metrics Insights alarms are billed per metric analyzed (${usd(PRICES.insightsAlarmMetricAnalyzedMonth)} each a month), like a standard alarm per metric` +
      ` (${usd(PRICES.standardAlarmMetricMonth)}; high resolution ${usd(PRICES.highResolutionAlarmMetricMonth)}): a fleet alarm saves upkeep, not money`,
    `  prices: USD, ${PRICES.region}, from AWS's CloudWatch pricing page as read on ${PRICES.date}; not checked live`,
  ];
}

function keeperLines(plan: AlarmPlan, instances: number): string[] {
  const calls = keeperCalls(plan, instances);
  if (calls.runbooks === 0)
    return ['CloudWatch calls a day: none after the deploy (no per-instance runbook: no alarm keeper)'];
  const apiUsd = (calls.perDay * 30 * PRICES.apiRequestsPerThousand) / 1000;
  const day = calls.daySweep;
  const pct = ASSUMED_DAILY_REPLACEMENT * 100;
  const failing = calls.sweepFails
    ? [
        `  warning: ${count(calls.alarms)} alarms are more than the ${count(calls.sweepAlarmLimit)} metric alarms a sweep reads (${MAX_ALARM_PAGES} DescribeAlarms pages):` +
          " every sweep after the deploy stops there and changes nothing, so new instances' agent alarms are never made;" +
          ' keep fewer runbooks per instance, or put some in fleet mode',
      ]
    : [];
  return [
    `CloudWatch calls a day (the alarm keeper, ${calls.runbooks} per-instance runbooks, ${count(calls.alarms)} alarms):` +
      " an estimate from the keeper's call pattern as measured by bench/provisioning.ts, not a measurement of this account",
    `  a sweep with nothing to change: ${count(calls.sweep.total)} = ${count(calls.sweep.describeInstances)} DescribeInstances pages (1,000 instances each)` +
      (calls.sweepFails
        ? ` + ${MAX_ALARM_PAGES} DescribeAlarms pages, then it fails: too many alarms (below)`
        : ` + ${count(calls.sweep.listMetrics)} ListMetrics pages (one fleet-wide listing per runbook, 500 series a page, counting for ${METRIC_LISTED_DAYS} days the series of replaced instances)` +
          ` + ${count(calls.sweep.describeAlarms)} DescribeAlarms pages (100 alarms each; the account's other metric alarms add their pages)`),
    `  events: an instance start costs ${calls.perStart} (1 DescribeInstances, 1 DescribeAlarms and 1 ListMetrics per runbook, 1 PutMetricAlarm per alarm watched from launch: ${calls.alarmsAtLaunch});` +
      ` a stop or termination ${calls.perStop} (1 DescribeInstances, 1 DescribeAlarms per runbook, 1 ListTagsForResource per alarm, 1 DeleteAlarms per runbook and 100 names)`,
    `  with ${pct}% of the fleet replaced a day (assumed, ${count(calls.replaced)} instances): events ${count(calls.eventsPerDay)},` +
      (calls.sweepFails
        ? ` then the daily sweep ${count(day.total)} (it fails, and the new instances' agent alarms are not made);`
        : ` then the daily sweep ${count(day.total)} (its reads, and ${count(day.PutMetricAlarm)} PutMetricAlarm for the new instances' agent alarms, which wait for their first data point);`) +
      ` in all ${count(calls.perDay)} a day, ${usd(apiUsd)} a month at $${PRICES.apiRequestsPerThousand} per 1,000 requests beyond the free tier`,
    `  a termination event arriving after EC2 has forgotten the instance (about an hour) lists every alarm of each runbook: ${count(calls.lateStop)} calls`,
    ...failing,
  ];
}

/** Checks what `remediate alarms plan` was given; every error names the closest valid value. */
export function alarmsPlanRequest(
  args: readonly string[],
  options: Readonly<Record<string, unknown>>,
): AlarmsPlanRequest | { readonly error: string } {
  const own = ['instances', 'mode', 'runbooks-dir'];
  for (const key of Object.keys(options)) {
    if (!own.includes(key))
      return { error: `alarms plan does not take --${key}; it takes ${own.map((o) => `--${o}`).join(', ')}` };
  }
  if (args.length > 0) return { error: `alarms plan takes no arguments (got "${args.join(' ')}")` };
  const text = options.instances === undefined ? '100' : String(options.instances);
  const instances = Number(text);
  if (!/^\d+$/.test(text) || !(instances >= 1 && instances <= 1_000_000))
    return { error: `--instances: "${text}" is not a whole number from 1 to 1000000` };
  const mode = options.mode as string | undefined;
  if (mode !== undefined && !ALARM_MODES.includes(mode as AlarmMode)) {
    const near = closest(mode, ALARM_MODES);
    return {
      error: `--mode: "${mode}" is not a mode${near ? `; did you mean ${near}?` : ''} (${ALARM_MODES.join(' | ')})`,
    };
  }
  return { instances, ...(mode ? { mode: mode as AlarmMode } : {}) };
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function usd(n: number): string {
  return `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

export { closest };
