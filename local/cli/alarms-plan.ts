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
import type { Runbook } from '../../functions/core/runbook.ts';
import type { ResolvedAlarm } from '../../functions/core/runbook-alarm.ts';

/**
 * The engine of the repository's CDK app (bin/app.ts: stack `Ec2AutoRemediation`, construct
 * `Remediation`): fleet alarms are named after the engine, as the construct names them.
 */
export const DEFAULT_STACK_NAME = 'Ec2AutoRemediation-Remediation';
/** The construct's defaults: the opt-in tag and the dimension the CloudWatch agent stamps. */
const OPT_IN_TAG = { key: 'AutoRemediation', value: 'enabled' } as const;
const AGENT_DIMENSION = { name: 'AutoRemediation', value: 'enabled' } as const;
/** Instances per DescribeInstances page, alarms per DescribeAlarms page, names per DeleteAlarms call. */
const PAGE = { describeInstances: 1000, describeAlarms: 100, deleteAlarms: 100 } as const;
/** The share of the fleet assumed replaced (one launch, one termination) a day, for the events' figure. */
export const ASSUMED_DAILY_REPLACEMENT = 0.1;

/** What `remediate alarms plan` is asked. */
export interface AlarmsPlanRequest {
  readonly instances: number;
  readonly mode?: AlarmMode;
  readonly stackName?: string;
}

/**
 * The CloudWatch and EC2 calls the alarm keeper makes for the per-instance runbooks of a plan, from
 * its documented call pattern: a daily sweep (DescribeInstances pages of the opted-in fleet, one
 * ListMetrics per instance and runbook, DescribeAlarms pages of its alarms, writes only for drift),
 * and per EC2 state change of an instance (a start: one ListMetrics and one DescribeAlarms per
 * runbook, one PutMetricAlarm per alarm at most; a stop or termination: one DescribeAlarms per
 * runbook, one ListTagsForResource per alarm, its managed-by tag checked, and one DeleteAlarms per
 * 100 names).
 */
export interface KeeperCalls {
  readonly runbooks: number;
  readonly alarms: number;
  readonly sweep: {
    readonly describeInstances: number;
    readonly listMetrics: number;
    readonly describeAlarms: number;
    readonly total: number;
  };
  readonly perStart: number;
  readonly perStop: number;
  /** The events' calls a day when {@link ASSUMED_DAILY_REPLACEMENT} of the fleet is replaced. */
  readonly eventsPerDay: number;
  readonly perDay: number;
}

export function keeperCalls(plan: AlarmPlan, instances: number): KeeperCalls {
  const kept = plan.runbooks.filter((r) => r.mode === 'per-instance');
  const alarmsPerInstance = kept.reduce((sum, r) => sum + r.alarmsPerInstance, 0);
  const describeInstances = kept.length === 0 ? 0 : Math.ceil(instances / PAGE.describeInstances);
  const listMetrics = instances * kept.length;
  const describeAlarms = kept.reduce(
    (sum, r) => sum + Math.max(1, Math.ceil((instances * r.alarmsPerInstance) / PAGE.describeAlarms)),
    0,
  );
  const perStart = 2 * kept.length + alarmsPerInstance;
  const perStop =
    kept.length === 0
      ? 0
      : kept.length + alarmsPerInstance + Math.ceil(alarmsPerInstance / PAGE.deleteAlarms);
  const replaced = Math.round(instances * ASSUMED_DAILY_REPLACEMENT);
  const eventsPerDay = replaced * (perStart + perStop);
  const sweep = describeInstances + listMetrics + describeAlarms;
  return {
    runbooks: kept.length,
    alarms: instances * alarmsPerInstance,
    sweep: { describeInstances, listMetrics, describeAlarms, total: sweep },
    perStart,
    perStop,
    eventsPerDay,
    perDay: sweep + eventsPerDay,
  };
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
  return [
    `CloudWatch calls a day (the alarm keeper, ${calls.runbooks} per-instance runbooks, ${count(calls.alarms)} alarms)`,
    `  daily sweep: ${count(calls.sweep.total)} = ${count(calls.sweep.describeInstances)} DescribeInstances pages (1 per 1,000 instances)` +
      ` + ${count(calls.sweep.listMetrics)} ListMetrics (1 per instance and runbook)` +
      ` + ${count(calls.sweep.describeAlarms)} DescribeAlarms pages (100 alarms each); PutMetricAlarm/DeleteAlarms only for drift`,
    `  events: an instance start costs at most ${calls.perStart} (1 ListMetrics and 1 DescribeAlarms per runbook, 1 PutMetricAlarm per alarm);` +
      ` a stop or termination ${calls.perStop} (1 DescribeAlarms per runbook, 1 ListTagsForResource per alarm, DeleteAlarms per 100)`,
    `  with ${ASSUMED_DAILY_REPLACEMENT * 100}% of the fleet replaced a day (assumed): ${count(calls.eventsPerDay)}; in all ${count(calls.perDay)} a day,` +
      ` ${usd(apiUsd)} a month at $${PRICES.apiRequestsPerThousand} per 1,000 requests beyond the free tier`,
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

/** The candidate nearest to a mistyped word (edits, a swap counting as one), if any is near enough. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(best.candidate.length / 3))
    ? best.candidate
    : undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const above = d[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(
        (above[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (above[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function usd(n: number): string {
  return `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}
