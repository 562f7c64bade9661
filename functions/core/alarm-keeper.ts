import { perInstanceAlarmName } from './alarm-provisioning.ts';
import type { ComparisonOperator, Runbook } from './runbook.ts';
import type { AlarmStatistic, ResolvedAlarm, TreatMissingData } from './runbook-alarm.ts';

/**
 * The alarm keeper's plan (per-instance alarm mode), pure: from an instance, the metric series that
 * exist for it and the alarms that exist for it, the alarms to put and to delete. The handler
 * (handlers/alarm-keeper.ts) reads AWS, and checks an alarm's managed-by tag before it writes over
 * or deletes it.
 */

/** The tag naming the stack whose keeper made an alarm: the keeper writes over or deletes only those. */
export const MANAGED_BY_TAG = 'AutoRemediation:managed-by';
/** The tag naming the runbook an alarm is kept for. */
export const RUNBOOK_TAG = 'AutoRemediation:runbook';
/** Of an instance's own tags, at most this many are copied to its alarms (CloudWatch takes 50). */
export const MAX_INSTANCE_TAGS = 40;

/** An instance, as the keeper sees it; `state` is EC2's (`running`, `stopped`…) or `gone`. */
export interface KeeperInstance {
  readonly instanceId: string;
  readonly state: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** One metric series, as ListMetrics returns it. */
export interface MetricSeries {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

/** What the keeper compares of a metric alarm (and what it puts). */
export interface AlarmConfig {
  readonly name: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly statistic: AlarmStatistic;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly threshold: number;
  readonly comparison: ComparisonOperator;
  readonly treatMissingData: TreatMissingData;
  readonly description: string;
}

/** An alarm that exists, from DescribeAlarms. */
export interface ExistingAlarm extends Omit<AlarmConfig, 'statistic'> {
  readonly arn: string;
  /** Undefined for an extended statistic (p99) or a metric math alarm: never this keeper's. */
  readonly statistic?: AlarmStatistic;
  /** Whether it has any action (alarm, OK or insufficient data): the keeper's have none. */
  readonly hasActions: boolean;
  /** Whether it reads metric math (`Metrics`) rather than one metric. */
  readonly usesMetrics: boolean;
}

/** An alarm the keeper wants. */
export interface DesiredAlarm extends AlarmConfig {
  readonly runbook: string;
  readonly instanceId: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** What to do for one instance. */
export interface InstancePlan {
  readonly creates: readonly DesiredAlarm[];
  /** Alarms that exist with a different configuration (the handler checks their tag first). */
  readonly updates: readonly { readonly alarm: DesiredAlarm; readonly existing: ExistingAlarm }[];
  /** This stack's alarms (by their description) no longer wanted (the handler checks their tag first). */
  readonly deletes: readonly ExistingAlarm[];
  readonly unchanged: readonly string[];
}

/** What the plan needs besides the instance. */
export interface KeeperSettings {
  readonly stackName: string;
  readonly optInTag: { readonly key: string; readonly value: string };
  /** The runbooks kept per instance; each has a metric alarm. */
  readonly runbooks: readonly Runbook[];
}

/** Whether the keeper wants alarms on the instance: running, and opted in. */
export function wantsAlarms(instance: KeeperInstance, optInTag: KeeperSettings['optInTag']): boolean {
  return instance.state === 'running' && instance.tags[optInTag.key] === optInTag.value;
}

const DESCRIPTION =
  /^Runbook (\S+) answers this alarm on (i-[0-9a-f]+)\. Kept by the EC2 auto-remediation engine \(stack ([^\s)]+)\)/;

/**
 * The description of a kept alarm: which runbook answers it, and that the engine manages it. The
 * keeper finds its alarms by this text when it lists them, and trusts only their tag before writing.
 */
export function keptAlarmDescription(stackName: string, runbook: Runbook, instanceId: string): string {
  return (
    `Runbook ${runbook.name} answers this alarm on ${instanceId}. Kept by the EC2 auto-remediation engine ` +
    `(stack ${stackName}): edits are overwritten, and it is deleted when the instance stops, terminates or ` +
    'loses its opt-in tag. It has no actions: the engine reacts to its state changes.'
  ).slice(0, 1024);
}

/** The runbook, instance and stack a kept alarm's description names; undefined for any other alarm. */
export function parseKeptDescription(
  description: string | undefined,
): { readonly runbook: string; readonly instanceId: string; readonly stackName: string } | undefined {
  const match = DESCRIPTION.exec(description ?? '');
  if (!match) return undefined;
  return { runbook: match[1] as string, instanceId: match[2] as string, stackName: match[3] as string };
}

/** Whether an alarm's description says that this stack's keeper made it. */
export function describedAsKept(alarm: Pick<ExistingAlarm, 'description'>, stackName: string): boolean {
  return parseKeptDescription(alarm.description)?.stackName === stackName;
}

/** The tags of a kept alarm: the instance's own (not `aws:`, at most 40), and the keeper's two. */
export function keptAlarmTags(
  instance: KeeperInstance,
  runbook: string,
  stackName: string,
  optInTagKey?: string,
): Record<string, string> {
  const first = ['Name', ...(optInTagKey ? [optInTagKey] : [])];
  const keys = Object.keys(instance.tags)
    .filter((key) => !key.startsWith('aws:') && key !== MANAGED_BY_TAG && key !== RUNBOOK_TAG)
    .sort((a, b) => rank(a, first) - rank(b, first) || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, MAX_INSTANCE_TAGS);
  const tags: Record<string, string> = {};
  for (const key of keys) tags[key] = instance.tags[key] as string;
  tags[MANAGED_BY_TAG] = stackName;
  tags[RUNBOOK_TAG] = runbook;
  return tags;
}

function rank(key: string, first: readonly string[]): number {
  const index = first.indexOf(key);
  return index === -1 ? first.length : index;
}

/**
 * The series of a runbook's alarm on an instance: every listed metric of the instance whose
 * dimensions include the runbook's grouping and fixed values. An `AWS/EC2` metric grouped by
 * instance only is watched from launch, before ListMetrics knows it; the agent's metrics wait for
 * their first data point (the sweep adds their alarms).
 */
export function seriesOf(
  alarm: ResolvedAlarm,
  instanceId: string,
  listed: readonly MetricSeries[],
): MetricSeries[] {
  const mine = listed.filter(
    (metric) =>
      metric.namespace === alarm.namespace &&
      metric.metricName === alarm.metricName &&
      metric.dimensions.InstanceId === instanceId &&
      alarm.groupBy.every((name) => metric.dimensions[name] !== undefined) &&
      Object.entries(alarm.dimensions).every(([name, value]) => metric.dimensions[name] === value),
  );
  if (mine.length === 0 && alarm.namespace === 'AWS/EC2' && alarm.groupBy.length === 1) {
    return [
      {
        namespace: alarm.namespace,
        metricName: alarm.metricName,
        dimensions: { InstanceId: instanceId, ...alarm.dimensions },
      },
    ];
  }
  // One alarm per distinct dimension set, in a stable order.
  const unique = new Map(mine.map((metric) => [dimensionKey(metric.dimensions), metric]));
  return [...unique.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, metric]) => metric);
}

/** The alarms a runbook wants on an instance: one per series, named by its grouping values. */
export function desiredAlarms(
  runbook: Runbook,
  instance: KeeperInstance,
  listed: readonly MetricSeries[],
  settings: Pick<KeeperSettings, 'stackName' | 'optInTag'>,
): DesiredAlarm[] {
  const alarm = runbook.alarm;
  if (!alarm || alarm.query) return [];
  const series = seriesOf(alarm, instance.instanceId, listed);
  const grouping = (metric: MetricSeries) =>
    Object.fromEntries(alarm.groupBy.map((name) => [name, metric.dimensions[name] as string]));
  const named = (values: Record<string, string>) =>
    perInstanceAlarmName(
      runbook.name,
      { instanceId: instance.instanceId, ...(instance.tags.Name ? { name: instance.tags.Name } : {}) },
      values,
    );
  const counts = new Map<string, number>();
  for (const metric of series) {
    const name = named(grouping(metric));
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const description = keptAlarmDescription(settings.stackName, runbook, instance.instanceId);
  const tags = keptAlarmTags(instance, runbook.name, settings.stackName, settings.optInTag.key);
  return series.map((metric) => {
    // Two series with the same grouping values (the agent's extra dimensions differ): named by all
    // the dimensions that are neither fixed nor the instance.
    const values =
      (counts.get(named(grouping(metric))) ?? 0) > 1
        ? Object.fromEntries(
            Object.entries(metric.dimensions)
              .filter(([name]) => alarm.dimensions[name] === undefined)
              .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
          )
        : grouping(metric);
    return {
      name: named(values),
      runbook: runbook.name,
      instanceId: instance.instanceId,
      namespace: alarm.namespace,
      metricName: alarm.metricName,
      dimensions: { ...metric.dimensions },
      statistic: alarm.statistic,
      periodSeconds: alarm.periodSeconds,
      evaluationPeriods: alarm.evaluationPeriods,
      datapointsToAlarm: alarm.datapointsToAlarm,
      threshold: alarm.threshold,
      comparison: alarm.comparison,
      treatMissingData: alarm.treatMissingData,
      description,
      tags,
    };
  });
}

/** Whether an existing alarm is already what the keeper would put. */
export function sameConfig(existing: ExistingAlarm, wanted: AlarmConfig): boolean {
  return (
    !existing.hasActions &&
    !existing.usesMetrics &&
    existing.name === wanted.name &&
    existing.namespace === wanted.namespace &&
    existing.metricName === wanted.metricName &&
    dimensionKey(existing.dimensions) === dimensionKey(wanted.dimensions) &&
    existing.statistic === wanted.statistic &&
    existing.periodSeconds === wanted.periodSeconds &&
    existing.evaluationPeriods === wanted.evaluationPeriods &&
    existing.datapointsToAlarm === wanted.datapointsToAlarm &&
    existing.threshold === wanted.threshold &&
    existing.comparison === wanted.comparison &&
    existing.treatMissingData === wanted.treatMissingData &&
    existing.description === wanted.description
  );
}

/**
 * The plan for one instance. `listed` holds the instance's metric series (any runbook's), `existing`
 * the alarms found on it (whoever made them), `taken` every listed alarm by name (on any instance, or
 * none: a name another maker took is never created over). An alarm at a wanted name is updated when it differs
 * (the handler checks its tag first); an alarm not wanted is deleted only when its description says
 * this stack keeps it (and the handler checks its tag first). Alarms of other makers are left alone.
 */
export function planInstance(
  settings: KeeperSettings,
  instance: KeeperInstance,
  listed: readonly MetricSeries[],
  existing: readonly ExistingAlarm[],
  taken: ReadonlyMap<string, ExistingAlarm> = new Map(existing.map((alarm) => [alarm.name, alarm])),
): InstancePlan {
  const wanted = wantsAlarms(instance, settings.optInTag)
    ? settings.runbooks.flatMap((runbook) => desiredAlarms(runbook, instance, listed, settings))
    : [];
  const byName = taken;
  const wantedNames = new Set(wanted.map((alarm) => alarm.name));
  const creates: DesiredAlarm[] = [];
  const updates: { alarm: DesiredAlarm; existing: ExistingAlarm }[] = [];
  const unchanged: string[] = [];
  for (const alarm of wanted) {
    const found = byName.get(alarm.name);
    if (!found) creates.push(alarm);
    else if (sameConfig(found, alarm)) unchanged.push(alarm.name);
    else updates.push({ alarm, existing: found });
  }
  const deletes = existing.filter(
    (alarm) =>
      !wantedNames.has(alarm.name) &&
      alarm.dimensions.InstanceId === instance.instanceId &&
      describedAsKept(alarm, settings.stackName),
  );
  return { creates, updates, deletes, unchanged };
}

/** A dimension set as one comparable string, whatever the order. */
export function dimensionKey(dimensions: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.entries(dimensions).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
