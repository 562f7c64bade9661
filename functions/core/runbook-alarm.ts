import type { ComparisonOperator } from './runbook.ts';

/**
 * The production alarm a runbook declares: one source for the alarms the stack provisions (a fleet
 * alarm, or one alarm per instance kept by the alarm keeper), for the runbook's proof and for the
 * game day's local CloudWatch. Every series is grouped by `InstanceId`, so that each one names the
 * instance to act on.
 */
export interface RunbookAlarm {
  /** The metric, by namespace and name (`CWAgent` / `disk_used_percent`). Give `metric` or `query`. */
  readonly metric?: { readonly namespace: string; readonly name: string };
  /**
   * A Metrics Insights query of your own (`SELECT MAX(x) FROM "NS" WHERE … GROUP BY InstanceId …`),
   * used as written by a fleet alarm. It must group by `InstanceId`. Per-instance alarms need
   * `metric` instead. Give `metric` or `query`.
   */
  readonly query?: string;
  /**
   * The dimensions each series is grouped by, besides `InstanceId` (for example `['exe']` for one
   * series per service). Each becomes a contributor attribute, and a dimension the runbook's
   * parameters can read (`fromAlarm: { dimension }`). @default - InstanceId only
   */
  readonly groupBy?: readonly string[];
  /** Dimension values every series must carry (`{ path: '/' }`). @default - none */
  readonly dimensions?: Readonly<Record<string, string>>;
  /** @default 'Average' */
  readonly statistic?: AlarmStatistic;
  /** 10, 20 or 30 (high resolution, per-instance alarms only) or a multiple of 60 seconds. */
  readonly periodSeconds: number;
  readonly comparison: ComparisonOperator;
  readonly threshold: number;
  /** N: the periods evaluated. */
  readonly evaluationPeriods: number;
  /** M: how many of them must breach, 1 to N. @default evaluationPeriods */
  readonly datapointsToAlarm?: number;
  /** @default 'missing' */
  readonly treatMissingData?: TreatMissingData;
  /**
   * How many series one instance contributes (for example its services, for a procstat alarm grouped
   * by `exe`): sizes the fleet alarm's shards against the 500 series a query may read. @default 1
   */
  readonly seriesPerInstance?: number;
}

export type AlarmStatistic = 'Average' | 'Maximum' | 'Minimum' | 'Sum' | 'SampleCount';
export type TreatMissingData = 'missing' | 'notBreaching' | 'breaching' | 'ignore';

const STATISTICS: readonly AlarmStatistic[] = ['Average', 'Maximum', 'Minimum', 'Sum', 'SampleCount'];
const MISSING: readonly TreatMissingData[] = ['missing', 'notBreaching', 'breaching', 'ignore'];
const COMPARISONS: readonly ComparisonOperator[] = [
  'GreaterThanThreshold',
  'GreaterThanOrEqualToThreshold',
  'LessThanThreshold',
  'LessThanOrEqualToThreshold',
];
/** The Metrics Insights function of each statistic. */
const FUNCTION_OF: Readonly<Record<AlarmStatistic, string>> = {
  Average: 'AVG',
  Maximum: 'MAX',
  Minimum: 'MIN',
  Sum: 'SUM',
  SampleCount: 'COUNT',
};
/** Names CloudWatch accepts for namespaces, metrics and dimensions, without quoting surprises. */
const NAME = /^[A-Za-z0-9_.:/#-]{1,255}$/;
/** Dimension values that need no escaping inside a query's single quotes. */
const VALUE = /^[^'\\\n\r]{1,1024}$/;

/** A declaration with every default applied. */
export interface ResolvedAlarm {
  readonly namespace: string;
  readonly metricName: string;
  /** `InstanceId` first, then the declared grouping. */
  readonly groupBy: readonly string[];
  readonly dimensions: Readonly<Record<string, string>>;
  readonly statistic: AlarmStatistic;
  readonly periodSeconds: number;
  readonly comparison: ComparisonOperator;
  readonly threshold: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: TreatMissingData;
  readonly seriesPerInstance: number;
  /** The author's own query, when the declaration gives one. */
  readonly query?: string;
}

/** Every problem with an alarm declaration, each naming the field and the fix; empty when valid. */
export function validateRunbookAlarm(alarm: RunbookAlarm, field = 'alarm'): string[] {
  const problems: string[] = [];
  if (typeof alarm !== 'object' || alarm === null) return [`${field}: declare the alarm as an object`];
  if ((alarm.metric === undefined) === (alarm.query === undefined)) {
    problems.push(`${field}: give either metric { namespace, name } or query, not both and not neither`);
  }
  if (alarm.metric !== undefined) {
    if (!NAME.test(alarm.metric?.namespace ?? ''))
      problems.push(
        `${field}.metric.namespace: give the metric's namespace, for example "CWAgent" or "AWS/EC2"`,
      );
    if (!NAME.test(alarm.metric?.name ?? ''))
      problems.push(`${field}.metric.name: give the metric's name, for example "disk_used_percent"`);
  }
  if (alarm.query !== undefined) {
    const parsed = typeof alarm.query === 'string' ? parseInsightsQuery(alarm.query) : undefined;
    if (!parsed) {
      problems.push(
        `${field}.query: not a Metrics Insights query this system reads (SELECT FN(metric) FROM "Namespace" [WHERE d = 'v' AND …] GROUP BY InstanceId …)`,
      );
    } else if (!parsed.groupBy.includes('InstanceId')) {
      problems.push(`${field}.query: add GROUP BY InstanceId, so that each series names its instance`);
    }
  }
  for (const name of alarm.groupBy ?? []) {
    if (!NAME.test(name) || name === 'InstanceId')
      problems.push(
        `${field}.groupBy: "${name}" is not a dimension name to group by besides InstanceId (which is always first)`,
      );
  }
  for (const [name, value] of Object.entries(alarm.dimensions ?? {})) {
    if (!NAME.test(name) || typeof value !== 'string' || !VALUE.test(value))
      problems.push(
        `${field}.dimensions.${name}: a dimension name and a value without quotes or backslashes`,
      );
    if ((alarm.groupBy ?? []).includes(name) || name === 'InstanceId')
      problems.push(`${field}.dimensions.${name}: a fixed dimension cannot also be grouped by`);
  }
  if (alarm.statistic !== undefined && !STATISTICS.includes(alarm.statistic))
    problems.push(`${field}.statistic: use one of ${STATISTICS.join(', ')}`);
  const period = alarm.periodSeconds;
  if (
    !(
      period === 10 ||
      period === 20 ||
      period === 30 ||
      (Number.isInteger(period) && period >= 60 && period % 60 === 0)
    )
  )
    problems.push(`${field}.periodSeconds is ${period}: use 10, 20, 30 or a multiple of 60`);
  if (!COMPARISONS.includes(alarm.comparison))
    problems.push(`${field}.comparison: use one of ${COMPARISONS.join(', ')}`);
  if (typeof alarm.threshold !== 'number' || !Number.isFinite(alarm.threshold))
    problems.push(`${field}.threshold: give the threshold as a number`);
  const n = alarm.evaluationPeriods;
  if (!Number.isInteger(n) || n < 1)
    problems.push(`${field}.evaluationPeriods is ${n}: use a whole number, at least 1`);
  const m = alarm.datapointsToAlarm ?? n;
  if (!Number.isInteger(m) || m < 1 || m > n)
    problems.push(
      `${field}.datapointsToAlarm is ${m}: use a whole number from 1 to evaluationPeriods (${n})`,
    );
  if (Number.isInteger(n) && Number.isInteger(period) && period * n > (period < 3600 ? 86_400 : 604_800))
    problems.push(
      `${field}: periodSeconds × evaluationPeriods must be at most a day (a week for periods of an hour or more)`,
    );
  if (alarm.treatMissingData !== undefined && !MISSING.includes(alarm.treatMissingData))
    problems.push(`${field}.treatMissingData: use one of ${MISSING.join(', ')}`);
  const series = alarm.seriesPerInstance;
  if (series !== undefined && (!Number.isInteger(series) || series < 1 || series > 500))
    problems.push(`${field}.seriesPerInstance is ${series}: use a whole number from 1 to 500`);
  return problems;
}

/** The declaration with its defaults, and the metric a query names. */
export function resolveAlarm(alarm: RunbookAlarm): ResolvedAlarm {
  const parsed = alarm.query ? parseInsightsQuery(alarm.query) : undefined;
  const namespace = alarm.metric?.namespace ?? parsed?.namespace ?? '';
  const metricName = alarm.metric?.name ?? parsed?.metricName ?? '';
  const groupBy = parsed
    ? ['InstanceId', ...parsed.groupBy.filter((d) => d !== 'InstanceId')]
    : ['InstanceId', ...(alarm.groupBy ?? [])];
  return {
    namespace,
    metricName,
    groupBy,
    dimensions: parsed ? parsed.where : (alarm.dimensions ?? {}),
    statistic: alarm.statistic ?? parsed?.statistic ?? 'Average',
    periodSeconds: alarm.periodSeconds,
    comparison: alarm.comparison,
    threshold: alarm.threshold,
    evaluationPeriods: alarm.evaluationPeriods,
    datapointsToAlarm: alarm.datapointsToAlarm ?? alarm.evaluationPeriods,
    treatMissingData: alarm.treatMissingData ?? 'missing',
    seriesPerInstance: alarm.seriesPerInstance ?? 1,
    ...(alarm.query ? { query: alarm.query } : {}),
  };
}

/** Whether a namespace is AWS's own (`AWS/EC2`): its metrics carry resource tags, the agent's do not. */
export function isVendedNamespace(namespace: string): boolean {
  return namespace.startsWith('AWS/');
}

/**
 * How a fleet alarm keeps to opted-in instances: AWS's own metrics by the instance's opt-in tag
 * (which needs the account's "resource tags on telemetry" setting), the CloudWatch agent's by a
 * dimension the agent stamps on every metric it publishes (`append_dimensions`).
 */
export type FleetScope =
  | { readonly kind: 'tag'; readonly key: string; readonly value: string }
  | { readonly kind: 'dimension'; readonly name: string; readonly value: string };

/** One of `of` shards of a fleet alarm, by the last hex digit of the instance id. */
export interface Shard {
  readonly index: number;
  readonly of: number;
}

/** The shard counts a fleet alarm may use: the last hex digit of an instance id splits it evenly. */
export const SHARD_COUNTS = [1, 16] as const;

/**
 * The Metrics Insights query of a fleet alarm: every opted-in instance's series, grouped by instance
 * (and the declared grouping), the worst first, so that the 500 series a query may return keep the
 * ones that breach. A declaration with its own query is used as written.
 */
export function fleetQuery(
  alarm: ResolvedAlarm,
  scope: FleetScope,
  shard: Shard = { index: 0, of: 1 },
): string {
  if (alarm.query) return alarm.query;
  const conditions: string[] = [];
  if (scope.kind === 'tag') conditions.push(`tag.${quoteName(scope.key)} = '${scope.value}'`);
  else conditions.push(`${quoteName(scope.name)} = '${scope.value}'`);
  for (const [name, value] of Object.entries(alarm.dimensions))
    conditions.push(`${quoteName(name)} = '${value}'`);
  if (shard.of > 1) conditions.push(`InstanceId LIKE '%${shard.index.toString(16)}'`);
  const worst = alarm.comparison.startsWith('Greater') ? 'MAX() DESC' : 'MIN() ASC';
  return (
    `SELECT ${FUNCTION_OF[alarm.statistic]}(${quoteName(alarm.metricName)}) FROM ${quoteNamespace(alarm.namespace)} ` +
    `WHERE ${conditions.join(' AND ')} GROUP BY ${alarm.groupBy.map(quoteName).join(', ')} ORDER BY ${worst} LIMIT 500`
  );
}

/** An identifier as Metrics Insights reads it: bare when it is letters, digits and `_`, else quoted. */
function quoteName(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `"${name}"`;
}

function quoteNamespace(namespace: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(namespace) ? namespace : `"${namespace}"`;
}

/** What this system reads of a Metrics Insights query. */
export interface InsightsQuery {
  readonly namespace: string;
  readonly metricName: string;
  readonly statistic: AlarmStatistic;
  /** The `WHERE d = 'v'` equalities on dimensions (tag filters and other operators are left out). */
  readonly where: Readonly<Record<string, string>>;
  readonly groupBy: readonly string[];
}

const IDENT = '(?:"[^"]{1,255}"|[A-Za-z_][A-Za-z0-9_.:/#-]{0,254})';
const QUERY = new RegExp(
  String.raw`^\s*SELECT\s+(AVG|MAX|MIN|SUM|COUNT)\s*\(\s*(${IDENT})\s*\)\s+FROM\s+(?:SCHEMA\s*\(\s*(${IDENT})[^)]*\)|(${IDENT}))` +
    String.raw`(?:\s+WHERE\s+(.+?))?(?:\s+GROUP\s+BY\s+(.+?))?(?:\s+ORDER\s+BY\s+.+?)?(?:\s+LIMIT\s+\d+)?\s*;?\s*$`,
  'is',
);
const STATISTIC_OF: Readonly<Record<string, AlarmStatistic>> = {
  AVG: 'Average',
  MAX: 'Maximum',
  MIN: 'Minimum',
  SUM: 'Sum',
  COUNT: 'SampleCount',
};

/**
 * Reads the metric, the dimension equalities and the grouping of a Metrics Insights query (the
 * expression a multi-time-series alarm's events carry); undefined when the text is not one.
 */
export function parseInsightsQuery(expression: string): InsightsQuery | undefined {
  if (expression.length > 4096) return undefined;
  const match = QUERY.exec(expression);
  if (!match) return undefined;
  const [, fn, metric, schemaNamespace, namespace, where, groupBy] = match;
  const unquote = (text: string) => text.trim().replace(/^"(.*)"$/s, '$1');
  const equalities: Record<string, string> = {};
  for (const condition of (where ?? '').split(/\s+AND\s+/i)) {
    const equality = /^\s*("[^"]+"|[A-Za-z_][A-Za-z0-9_.:/#-]*)\s*=\s*'([^']*)'\s*$/.exec(condition);
    if (equality && !/^tag\./i.test(equality[1] as string))
      equalities[unquote(equality[1] as string)] = equality[2] as string;
  }
  return {
    namespace: unquote((schemaNamespace ?? namespace) as string),
    metricName: unquote(metric as string),
    statistic: STATISTIC_OF[(fn as string).toUpperCase()] as AlarmStatistic,
    where: equalities,
    groupBy: groupBy
      ? groupBy
          .split(',')
          .map(unquote)
          .filter((d) => d !== '')
      : [],
  };
}

/** Whether an alarm's expression is a Metrics Insights query with a GROUP BY: a multi-time-series alarm. */
export function isMultiTimeSeriesQuery(expression: string): boolean {
  return (parseInsightsQuery(expression)?.groupBy.length ?? 0) > 0;
}

/** High-resolution periods (10, 20, 30 s): per-instance alarms only. */
export function isHighResolution(alarm: Pick<ResolvedAlarm, 'periodSeconds'>): boolean {
  return alarm.periodSeconds < 60;
}

/**
 * The metrics a series of a multi-time-series alarm reads, as the core reads any alarm's: the metric
 * its query names, with the query's dimension equalities and the series' GROUP BY values as
 * dimensions. One source for the contributor event and the resync's DescribeAlarmContributors.
 */
export function seriesMetrics(
  expressions: readonly (string | undefined)[],
  attributes: Readonly<Record<string, string>>,
): { namespace: string; metricName: string; dimensions: Record<string, string> }[] {
  const query = expressions
    .map((expression) => (expression === undefined ? undefined : parseInsightsQuery(expression)))
    .find((parsed) => parsed !== undefined);
  return query
    ? [
        {
          namespace: query.namespace,
          metricName: query.metricName,
          dimensions: { ...query.where, ...attributes },
        },
      ]
    : [];
}
