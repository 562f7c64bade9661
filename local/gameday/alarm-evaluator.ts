import type { AlarmStateValue } from '../../functions/core/alarm.ts';
import { breaches, type ComparisonOperator } from '../../functions/core/runbook.ts';

/**
 * A local CloudWatch metric alarm evaluator for the game day: given one datapoint per alarm period, it
 * decides the alarm state the way CloudWatch documents it. Pure: no clock, no I/O.
 *
 * Sources (Amazon CloudWatch User Guide):
 *
 * - "Using Amazon CloudWatch alarms", section "Evaluating an alarm" (alarm-evaluation): Period, Evaluation
 *   Periods (N) and Datapoints to Alarm (M). ALARM when at least M of the last N datapoints breach; the
 *   breaching datapoints need not be consecutive.
 * - "Configuring how CloudWatch alarms treat missing data" (alarms-and-missing-data), with its section
 *   "How alarm state is evaluated when data is missing" and its two example tables, and "Avoiding
 *   premature transitions to alarm state" (CloudWatch-alarms-avoiding-premature-transition).
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html
 * - PutMetricAlarm (CloudWatch API Reference): `ComparisonOperator` is "the arithmetic operation to use
 *   when comparing the specified statistic and threshold. The specified statistic value is used as the
 *   first operand": GreaterThanThreshold (value > threshold), GreaterThanOrEqualToThreshold (value >=
 *   threshold), LessThanThreshold (value < threshold), LessThanOrEqualToThreshold (value <= threshold).
 *   The anomaly detection operators (LessThanLowerOrGreaterThanUpperThreshold, ...) are not supported.
 *   `Period` is 10, 20, 30 or a multiple of 60 seconds; Period x EvaluationPeriods is at most 7 days, and
 *   at most one day when the period is under an hour.
 *
 * The missing-data rules, as the docs state them:
 *
 * 1. CloudWatch retrieves more datapoints than N: the *evaluation range* (5 when N is 3 in the docs'
 *    tables).
 * 2. When the range holds at least N real datapoints, the N most recent real ones are evaluated, reaching
 *    further back in the range past missing periods; how missing data is treated "is not needed and is
 *    ignored".
 * 3. When it holds fewer than N, every real datapoint in the range is evaluated and the remaining
 *    N - real slots are "filled in" with the treatment: `breaching` counts them as breaching,
 *    `notBreaching` as within the threshold.
 * 4. `missing` does not consider the filled slots: ALARM when the real datapoints alone reach M; OK when
 *    fewer than M breach and a real datapoint is within the threshold; INSUFFICIENT_DATA when the whole
 *    range is missing. When every real datapoint breaches but there are fewer than M, the premature rule
 *    decides: ALARM when the oldest breaching datapoint is at least M periods old, all more recent ones
 *    being breaching or missing; otherwise not enough is known yet (INSUFFICIENT_DATA).
 * 5. `ignore` decides like `missing` wherever the real data decide, and keeps the current state wherever
 *    `missing` would go to INSUFFICIENT_DATA or alarm prematurely (the tables' "Retain current state").
 */

export type TreatMissingData = 'missing' | 'notBreaching' | 'breaching' | 'ignore';

export interface AlarmRule {
  readonly comparison: ComparisonOperator;
  readonly threshold: number;
  readonly periodSeconds: number;
  /** N: how many of the most recent periods are evaluated. */
  readonly evaluationPeriods: number;
  /** M: how many of those must breach for ALARM, 1..N. */
  readonly datapointsToAlarm: number;
  readonly treatMissingData: TreatMissingData;
}

/** One period's datapoint: a number, or undefined when the period has no data. */
export type Datapoint = number | undefined;

export interface Evaluation {
  readonly state: AlarmStateValue;
  /**
   * CloudWatch-style reason sentence, e.g. "Threshold Crossed: 2 out of the last 3 datapoints [95.1
   * (21/11/26 03:04:00), 93.0 (21/11/26 03:03:00)] were greater than the threshold (90.0) (minimum 2
   * datapoints for OK -> ALARM transition)."
   */
  readonly reason: string;
  /** The real datapoints that were evaluated, most recent first, for reasonData.recentDatapoints. */
  readonly recentDatapoints: readonly number[];
}

export interface EvaluateOptions {
  /**
   * How many periods (N or more) CloudWatch looks back to find datapoints. Defaults to
   * {@link defaultEvaluationRange}.
   */
  readonly evaluationRange?: number;
}

/**
 * Periods the evaluation range holds beyond N by default. The docs give the range only for their
 * examples (N = 3, range 5) and say the exact number "depends on the length of the alarm period and
 * whether it is based on a metric with standard resolution or high resolution"; N + 2 reproduces the
 * examples.
 */
export const EXTRA_RANGE_PERIODS = 2;

/** The evaluation range used when the caller does not choose one: N + {@link EXTRA_RANGE_PERIODS}. */
export function defaultEvaluationRange(rule: AlarmRule): number {
  return rule.evaluationPeriods + EXTRA_RANGE_PERIODS;
}

const COMPARISONS: readonly ComparisonOperator[] = [
  'GreaterThanThreshold',
  'GreaterThanOrEqualToThreshold',
  'LessThanThreshold',
  'LessThanOrEqualToThreshold',
];

const TREATMENTS: readonly TreatMissingData[] = ['missing', 'notBreaching', 'breaching', 'ignore'];

/** How CloudWatch words each comparison in a reason ("was greater than or equal to the threshold"). */
const COMPARISON_WORDS: Readonly<Record<ComparisonOperator, string>> = {
  GreaterThanThreshold: 'greater than',
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};

const ONE_DAY_SECONDS = 86_400;
const SEVEN_DAYS_SECONDS = 604_800;

/** Validates a rule (M between 1 and N, period > 0 ...) and returns problems in words, empty when fine. */
export function validateAlarmRule(rule: AlarmRule): string[] {
  const problems: string[] = [];
  if (!COMPARISONS.includes(rule.comparison)) {
    problems.push(`comparison ${JSON.stringify(rule.comparison)} is not one of ${COMPARISONS.join(', ')}`);
  }
  if (!Number.isFinite(rule.threshold)) {
    problems.push(`threshold must be a finite number, not ${String(rule.threshold)}`);
  }
  const period = rule.periodSeconds;
  if (!Number.isInteger(period) || period <= 0) {
    problems.push(`periodSeconds must be a positive whole number of seconds, not ${String(period)}`);
  } else if (![10, 20, 30].includes(period) && period % 60 !== 0) {
    problems.push(`periodSeconds must be 10, 20, 30 or a multiple of 60, not ${period}`);
  }
  const n = rule.evaluationPeriods;
  const nValid = Number.isInteger(n) && n >= 1;
  if (!nValid) {
    problems.push(`evaluationPeriods (N) must be a whole number of at least 1, not ${String(n)}`);
  }
  const m = rule.datapointsToAlarm;
  if (!Number.isInteger(m) || m < 1) {
    problems.push(`datapointsToAlarm (M) must be a whole number of at least 1, not ${String(m)}`);
  } else if (nValid && m > n) {
    problems.push(`datapointsToAlarm (M = ${m}) must not exceed evaluationPeriods (N = ${n})`);
  }
  if (nValid && Number.isInteger(period) && period > 0) {
    const total = period * n;
    if (total > SEVEN_DAYS_SECONDS) {
      problems.push(`periodSeconds x evaluationPeriods is ${total} s, more than 7 days (604800 s)`);
    } else if (period < 3600 && total > ONE_DAY_SECONDS) {
      problems.push(
        `periodSeconds x evaluationPeriods is ${total} s, more than one day (86400 s) for a period under an hour`,
      );
    }
  }
  if (!TREATMENTS.includes(rule.treatMissingData)) {
    problems.push(
      `treatMissingData ${JSON.stringify(rule.treatMissingData)} is not one of ${TREATMENTS.join(', ')}`,
    );
  }
  return problems;
}

/** A real datapoint in the evaluation range. `age` 0 is the period that just ended. */
interface Point {
  readonly value: number;
  readonly age: number;
  readonly periodEnd: number;
  readonly breaching: boolean;
}

/**
 * Evaluates the alarm after the period that just ended.
 *
 * history: one datapoint per period, OLDEST first, the last element is the period that just ended
 * (the history may be longer than N). current: the alarm's state now. periodEnds: epoch ms of the end
 * of each period in `history` (same length), for the timestamps in the reason.
 *
 * Only the last `evaluationRange` periods of the history are looked at (see {@link EvaluateOptions});
 * periods before the history begins count as missing. NaN counts as missing. Throws a RangeError for an
 * invalid rule or range, or when `periodEnds` does not match `history`.
 */
export function evaluateAlarm(
  rule: AlarmRule,
  history: readonly Datapoint[],
  current: AlarmStateValue,
  periodEnds: readonly number[],
  options: EvaluateOptions = {},
): Evaluation {
  const problems = validateAlarmRule(rule);
  if (problems.length > 0) throw new RangeError(`invalid alarm rule: ${problems.join('; ')}`);
  if (history.length !== periodEnds.length) {
    throw new RangeError(
      `periodEnds has ${periodEnds.length} entries but history has ${history.length}; they must match`,
    );
  }
  const n = rule.evaluationPeriods;
  const m = rule.datapointsToAlarm;
  const range = options.evaluationRange ?? defaultEvaluationRange(rule);
  if (!Number.isInteger(range) || range < n) {
    throw new RangeError(`evaluationRange must be a whole number of at least N (${n}), not ${String(range)}`);
  }

  // The real datapoints of the evaluation range, most recent first.
  const points: Point[] = [];
  for (let age = 0; age < range && age < history.length; age++) {
    const index = history.length - 1 - age;
    const value = history[index];
    if (value === undefined || Number.isNaN(value)) continue;
    points.push({
      value,
      age,
      periodEnd: periodEnds[index] as number,
      breaching: breaches(value, rule.comparison, rule.threshold),
    });
  }

  // Enough real datapoints: the N most recent real ones decide, and the treatment is not needed.
  if (points.length >= n) {
    const evaluated = points.slice(0, n);
    const breaching = evaluated.filter((p) => p.breaching).length;
    return decided(rule, breaching >= m ? 'ALARM' : 'OK', evaluated, 0);
  }

  // Fewer than N: every real datapoint is evaluated, and N - real slots are filled in.
  const fill = n - points.length;
  const breaching = points.filter((p) => p.breaching).length;
  switch (rule.treatMissingData) {
    case 'breaching':
      return decided(rule, breaching + fill >= m ? 'ALARM' : 'OK', points, fill);
    case 'notBreaching':
      return decided(rule, breaching >= m ? 'ALARM' : 'OK', points, fill);
    case 'missing':
    case 'ignore': {
      // The real datapoints alone decide when they can.
      if (breaching >= m) return decided(rule, 'ALARM', points, 0);
      if (breaching < points.length) return decided(rule, 'OK', points, 0);
      const ignore = rule.treatMissingData === 'ignore';
      if (points.length === 0) {
        return ignore ? retained(current, n, points) : insufficient(fill, points);
      }
      // Every real datapoint breaches, but fewer than M: "Avoiding premature transitions to alarm state".
      const oldest = points[points.length - 1] as Point;
      if (oldest.age + 1 >= m)
        return ignore ? retained(current, n, points) : decided(rule, 'ALARM', points, 0);
      return ignore ? retained(current, n, points) : insufficient(fill, points);
    }
  }
}

/** An OK or ALARM decision, with CloudWatch's "Threshold Crossed" sentence. */
function decided(
  rule: AlarmRule,
  state: 'OK' | 'ALARM',
  evaluated: readonly Point[],
  filled: number,
): Evaluation {
  const n = rule.evaluationPeriods;
  const m = rule.datapointsToAlarm;
  const alarm = state === 'ALARM';
  const supporting = evaluated.filter((p) => p.breaching === alarm);
  const recentDatapoints = evaluated.map((p) => p.value);
  const treatedAs = rule.treatMissingData === 'breaching' ? 'Breaching' : 'NonBreaching';
  const fillClause =
    filled > 0
      ? ` and ${count(filled, 'missing datapoint')} ${wasWere(filled)} treated as [${treatedAs}]`
      : '';

  if (supporting.length === 0) {
    // Only filled-in datapoints support the decision: CloudWatch then says what it received instead.
    const received =
      evaluated.length === 0
        ? 'no datapoints were received'
        : `${count(evaluated.length, 'datapoint')} ${wasWere(evaluated.length)} received`;
    return {
      state,
      reason: `Threshold Crossed: ${received} for ${count(n, 'period')}${fillClause}.`,
      recentDatapoints,
    };
  }

  const list = supporting.map(
    (p) => `${javaDouble(p.value)} (${timestamp(p.periodEnd, rule.periodSeconds)})`,
  );
  const minimum = alarm ? m : n - m + 1;
  const reason =
    `Threshold Crossed: ${supporting.length} out of the last ${n} datapoints [${list.join(', ')}] ` +
    `${wasWere(supporting.length)} ${alarm ? '' : 'not '}${COMPARISON_WORDS[rule.comparison]} the threshold ` +
    `(${javaDouble(rule.threshold)})${fillClause} ` +
    `(minimum ${count(minimum, 'datapoint')} for ${alarm ? 'OK -> ALARM' : 'ALARM -> OK'} transition).`;
  return { state, reason, recentDatapoints };
}

function insufficient(unknown: number, evaluated: readonly Point[]): Evaluation {
  return {
    state: 'INSUFFICIENT_DATA',
    reason: `Insufficient Data: ${count(unknown, 'datapoint')} ${wasWere(unknown)} unknown.`,
    recentDatapoints: evaluated.map((p) => p.value),
  };
}

/**
 * `ignore` keeps the state. CloudWatch changes nothing then (no new state, no new reason); this sentence
 * only says why the local evaluator kept it.
 */
function retained(current: AlarmStateValue, n: number, evaluated: readonly Point[]): Evaluation {
  const received =
    evaluated.length === 0
      ? 'no datapoints were received'
      : `only ${count(evaluated.length, 'datapoint')} ${wasWere(evaluated.length)} received`;
  return {
    state: current,
    reason: `Missing data ignored: ${received} for ${count(n, 'period')}, so the alarm stays ${current}.`,
    recentDatapoints: evaluated.map((p) => p.value),
  };
}

function count(k: number, noun: string): string {
  return `${k} ${noun}${k === 1 ? '' : 's'}`;
}

function wasWere(k: number): string {
  return k === 1 ? 'was' : 'were';
}

/**
 * A number the way CloudWatch (Java's Double.toString) prints it in reasons: "50.0", "0.0666851903306472",
 * "1.0E7", "1.0E-4".
 */
export function javaDouble(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    const plain = String(value);
    return plain.includes('.') ? plain : `${plain}.0`;
  }
  const [mantissa = '', exponent = ''] = value.toExponential().split('e');
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${exponent.replace('+', '')}`;
}

/**
 * A datapoint's timestamp in a reason: the START of its period (CloudWatch labels a datapoint with the
 * start of the period it aggregates), in UTC, as dd/MM/yy HH:mm:ss.
 */
export function timestamp(periodEnd: number, periodSeconds: number): string {
  const d = new Date(periodEnd - periodSeconds * 1000);
  const two = (k: number): string => String(k).padStart(2, '0');
  return (
    `${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${two(d.getUTCFullYear() % 100)} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`
  );
}
