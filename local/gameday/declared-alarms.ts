import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fleetAlarmName, perInstanceAlarmName } from '../../functions/core/alarm-provisioning.ts';
import { proofCondition, type Runbook } from '../../functions/core/runbook.ts';
import {
  type AlarmStatistic,
  type FleetScope,
  fleetQuery,
  isVendedNamespace,
  parseInsightsQuery,
  type ResolvedAlarm,
} from '../../functions/core/runbook-alarm.ts';
import { RUNBOOKS_DIR } from '../../runbooks/discover.ts';
import { type AlarmRule, validateAlarmRule } from './alarm-evaluator.ts';
import type { FleetInstance } from './fleet.ts';

/**
 * How the game day provisions the scenario's alarms, as the stack would: one Metrics Insights alarm
 * per runbook over the fleet (`fleet`, each instance a contributor), or one alarm per instance and
 * series (`per-instance`).
 */
export type GameDayAlarmMode = 'fleet' | 'per-instance';

export const GAME_DAY_ALARM_MODES: readonly GameDayAlarmMode[] = ['fleet', 'per-instance'];

/** The stack name the game day's fleet alarms carry (`<runbook>-fleet-GameDay`). */
export const GAME_DAY_STACK = 'GameDay';

/**
 * The opt-in, as the stack is told it by default: the tag that scopes fleet alarms over AWS's own
 * metrics, and the dimension the CloudWatch agent stamps on opted-in instances' metrics.
 */
const OPT_IN = { key: 'AutoRemediation', value: 'enabled' } as const;

/** One series of an alarm: what one instance publishes for it. */
export interface GameDaySeries {
  readonly instance: FleetInstance;
  /** The metric's dimensions: InstanceId, the fixed ones, the opt-in scope, the grouping values. */
  readonly dimensions: Readonly<Record<string, string>>;
  /** The GROUP BY values (InstanceId first): a fleet alarm's contributor attributes. */
  readonly attributes: Readonly<Record<string, string>>;
  /** A fleet alarm's id for this series: 16 hex digits derived from the attributes. */
  readonly contributorId: string;
}

/** An alarm the local CloudWatch keeps, from a runbook's declaration. */
export interface GameDayAlarm {
  readonly name: string;
  readonly runbook: string;
  readonly kind: GameDayAlarmMode;
  readonly namespace: string;
  readonly metricName: string;
  readonly statistic: AlarmStatistic;
  readonly rule: AlarmRule;
  /** A fleet alarm's Metrics Insights query, as the stack would provision it. */
  readonly query?: string;
  /** The query's dimension equalities (what DescribeAlarmContributors' callers read back). */
  readonly where: Readonly<Record<string, string>>;
  readonly description: string;
  /** Alarm tags, propagated into events as CloudWatch does when tag propagation is on. */
  readonly tags: Readonly<Record<string, string>>;
  /** The script that measures one series in its instance's sandbox: its last line is one number. */
  readonly probe: string;
  /** One series (per-instance), or every instance's (fleet). */
  readonly series: readonly GameDaySeries[];
}

/**
 * The alarms the game day provisions for the runbooks on the fleet, each from the runbook's declared
 * alarm (`runbook.alarm`): its metric, grouping, statistic, period, M of N and missing data, with the
 * comparison and threshold of {@link proofCondition} (the game day measures in the proof's sandboxes,
 * with the proof's probe). A runbook with an `alarm` and a `proof` needs nothing more.
 * @throws when a runbook declares no alarm or proof, or a grouping value cannot be found
 */
export function gameDayAlarms(
  runbooks: readonly Runbook[],
  fleet: readonly FleetInstance[],
  mode: GameDayAlarmMode,
  runbooksDir = RUNBOOKS_DIR,
): GameDayAlarm[] {
  return runbooks.flatMap((runbook): GameDayAlarm[] => {
    const alarm = declaredAlarm(runbook);
    const condition = proofCondition(runbook);
    if (!condition)
      throw new Error(`runbook ${runbook.name} has no proof: the game day cannot measure its alarm`);
    const rule: AlarmRule = {
      comparison: condition.comparison,
      threshold: condition.threshold,
      periodSeconds: alarm.periodSeconds,
      evaluationPeriods: alarm.evaluationPeriods,
      datapointsToAlarm: alarm.datapointsToAlarm,
      treatMissingData: alarm.treatMissingData,
    };
    const problems = validateAlarmRule(rule);
    if (problems.length > 0)
      throw new Error(`runbook ${runbook.name}: its alarm cannot be evaluated: ${problems.join('; ')}`);
    const probe = probeOf(runbook, runbooksDir);
    const series = fleet.map((instance) => seriesOf(runbook, alarm, instance));
    const common = {
      runbook: runbook.name,
      namespace: alarm.namespace,
      metricName: alarm.metricName,
      statistic: alarm.statistic,
      rule,
      tags: {},
      probe,
    };
    if (mode === 'fleet') {
      const query = fleetQuery(alarm, scopeOf(alarm));
      return [
        {
          ...common,
          name: fleetAlarmName(GAME_DAY_STACK, runbook.name),
          kind: 'fleet' as const,
          query,
          where: parseInsightsQuery(query)?.where ?? {},
          description: `${runbook.name}: ${alarm.metricName} of every opted-in instance, by ${alarm.groupBy.join(', ')} (game day)`,
          series,
        },
      ];
    }
    if (alarm.query)
      throw new Error(
        `runbook ${runbook.name}: its alarm is a query, which per-instance alarms cannot watch; run the game day with --alarms fleet`,
      );
    return series.map((one) => ({
      ...common,
      name: perInstanceAlarmName(
        runbook.name,
        { instanceId: one.instance.instanceId, name: one.instance.name },
        one.attributes,
      ),
      kind: 'per-instance' as const,
      where: {},
      description: `${alarm.metricName} of ${one.instance.name} (${one.instance.instanceId}) (game day)`,
      series: [one],
    }));
  });
}

/** The runbook's declared alarm. */
function declaredAlarm(runbook: Runbook): ResolvedAlarm {
  if (!runbook.alarm)
    throw new Error(
      `runbook ${runbook.name} declares no alarm: the game day provisions declared alarms only (add alarm to its runbook.ts)`,
    );
  return runbook.alarm;
}

/** How the stack scopes a fleet alarm to opted-in instances (its defaults). */
function scopeOf(alarm: ResolvedAlarm): FleetScope {
  return isVendedNamespace(alarm.namespace)
    ? { kind: 'tag', key: OPT_IN.key, value: OPT_IN.value }
    : { kind: 'dimension', name: OPT_IN.key, value: OPT_IN.value };
}

/**
 * An instance's series of the alarm. Each grouping dimension besides InstanceId takes the value the
 * proof gives the parameter that reads it (`fromAlarm: { dimension }`): service-down's `exe` is the
 * proof's `service`.
 */
function seriesOf(runbook: Runbook, alarm: ResolvedAlarm, instance: FleetInstance): GameDaySeries {
  const attributes: Record<string, string> = { InstanceId: instance.instanceId };
  for (const dimension of alarm.groupBy) {
    if (dimension === 'InstanceId') continue;
    const parameter = Object.entries(runbook.parameters).find(
      ([, p]) =>
        p.fromAlarm !== undefined && 'dimension' in p.fromAlarm && p.fromAlarm.dimension === dimension,
    );
    const value = parameter ? runbook.proof?.parameters?.[parameter[0]] : undefined;
    if (value === undefined)
      throw new Error(
        `runbook ${runbook.name}: its alarm groups by ${dimension}, but ` +
          (parameter
            ? `its proof gives parameter ${parameter[0]} (which reads ${dimension}) no value`
            : `no parameter reads that dimension (fromAlarm: { dimension: '${dimension}' })`) +
          `: the game day cannot tell which series to measure; add it to proof.parameters`,
      );
    attributes[dimension] = value;
  }
  const scope: Record<string, string> =
    isVendedNamespace(alarm.namespace) || alarm.query !== undefined ? {} : { [OPT_IN.key]: OPT_IN.value };
  return {
    instance,
    dimensions: { InstanceId: instance.instanceId, ...alarm.dimensions, ...scope, ...attributes },
    attributes,
    contributorId: contributorId(attributes),
  };
}

/** A contributor id: 16 hex digits of a hash of the GROUP BY values (stable for the same series). */
export function contributorId(attributes: Readonly<Record<string, string>>): string {
  const canonical = JSON.stringify(
    Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** The proof probe of a runbook, as the local alarm measures with it. */
export function probeOf(runbook: Runbook, runbooksDir = RUNBOOKS_DIR): string {
  if (!runbook.proof)
    throw new Error(`runbook ${runbook.name} has no proof: the game day cannot measure its alarm`);
  return readFileSync(join(runbooksDir, runbook.name, runbook.proof.probe), 'utf8');
}
