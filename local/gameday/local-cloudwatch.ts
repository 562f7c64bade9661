import { randomUUID } from 'node:crypto';
import type { AlarmChange, AlarmContributor, AlarmStateValue } from '../../functions/core/alarm.ts';
import type { AlarmReader, AlarmReading } from '../../functions/core/ports.ts';
import type { Scheduler } from '../agenda.ts';
import { type AwsEvent, alarmArn, cloudWatchTimestamp, LOCAL_ACCOUNT, LOCAL_REGION } from '../aws-shapes.ts';
import type { LocalBus } from '../local-bus.ts';
import { type Datapoint, evaluateAlarm } from './alarm-evaluator.ts';
import type { AlarmAtEnd } from './audit.ts';
import type { GameDayAlarm, GameDaySeries } from './declared-alarms.ts';
import type { GameDayAlarmChange, GameDayFleetAlarmChange } from './record.ts';

export { probeOf } from './declared-alarms.ts';

/** Periods of history kept per series (CloudWatch may look back beyond N periods for missing data). */
const HISTORY_PERIODS = 20;

/**
 * One series' state. For a per-instance alarm it is the alarm's state. For a fleet alarm's
 * contributor it is ALARM or OK only; INSUFFICIENT_DATA here means "no state yet" (the series has
 * never been evaluated to anything, and no event named it).
 */
interface SeriesState {
  state: AlarmStateValue;
  since: number;
  reason: string;
  readonly history: Datapoint[];
  readonly periodEnds: number[];
}

/** A fleet alarm's own state: ALARM while at least one contributor is. */
interface ParentState {
  state: AlarmStateValue;
  since: number;
  reason: string;
}

/**
 * CloudWatch on this machine: every alarm period it runs each series' probe in its instance's sandbox
 * (a real measurement: `df`, the process table, /proc) and evaluates it with CloudWatch's rules
 * (period, M of N, comparison, threshold, missing data).
 *
 * - A per-instance alarm watches one series; when its state changes it puts a "CloudWatch Alarm State
 *   Change" event of AWS's single-metric shape on the local bus.
 * - A fleet alarm (Metrics Insights, multi-time-series) watches every instance's series, each a
 *   contributor with its own state. A contributor is only ever ALARM or OK, as on AWS: it starts with
 *   no state, its first evaluation to OK puts no event, and an evaluation to INSUFFICIENT_DATA (the
 *   probe printed nothing, and missing data is `missing`) counts as OK. Each contributor change puts
 *   a "CloudWatch Alarm Contributor State Change" event; the alarm's own state (ALARM when any
 *   contributor is, else OK) puts a "CloudWatch Alarm State Change" with "N out of M time series
 *   evaluated to ALARM", as AWS's parent sample.
 *
 * It also answers DescribeAlarms and DescribeAlarmContributors (the {@link AlarmReader} port).
 */
export class LocalCloudWatch implements AlarmReader {
  /** Every series state change (per-instance alarms, and fleet alarms' contributors). */
  readonly changes: GameDayAlarmChange[] = [];
  /** Every fleet alarm's own state change. */
  readonly fleetChanges: GameDayFleetAlarmChange[] = [];
  /** How many times the resync listed the alarms in ALARM (DescribeAlarms). */
  describeCalls = 0;
  /** How many times contributors were listed (DescribeAlarmContributors). */
  describeContributorsCalls = 0;
  private readonly alarms: readonly GameDayAlarm[];
  private readonly byName: ReadonlyMap<string, GameDayAlarm>;
  private readonly series = new Map<string, SeriesState>();
  private readonly parents = new Map<string, ParentState>();
  private readonly scheduler: Scheduler;
  private readonly bus: LocalBus;
  private readonly probeTimeoutSeconds: number;
  private readonly hold: (() => () => void) | undefined;
  private stopped = false;

  constructor(options: {
    alarms: readonly GameDayAlarm[];
    scheduler: Scheduler;
    bus: LocalBus;
    probeTimeoutSeconds?: number;
    /**
     * Slows the scheduler's clock to real time until the returned function is called (see
     * `ScaledTime.hold`): held while a round of probes measures, so that a probe's own duration (the
     * CPU probe samples for a second) is the one it has on an instance, not a whole compressed period.
     */
    hold?: () => () => void;
  }) {
    this.hold = options.hold;
    this.alarms = options.alarms;
    this.byName = new Map(this.alarms.map((a) => [a.name, a]));
    if (this.byName.size !== this.alarms.length) throw new Error('two game-day alarms share a name');
    this.scheduler = options.scheduler;
    this.bus = options.bus;
    this.probeTimeoutSeconds = options.probeTimeoutSeconds ?? 20;
    const now = this.scheduler.now();
    for (const alarm of this.alarms) {
      if (alarm.kind === 'fleet')
        this.parents.set(alarm.name, {
          state: 'INSUFFICIENT_DATA',
          since: now,
          reason: 'Unchecked: Initial alarm creation',
        });
      for (const one of alarm.series) {
        this.series.set(seriesKey(alarm, one), {
          state: 'INSUFFICIENT_DATA',
          since: now,
          reason: 'Unchecked: Initial alarm creation',
          history: [],
          periodEnds: [],
        });
      }
    }
  }

  /** Starts the evaluation cycle: the first period ends one period from now. */
  start(): void {
    const periods = new Set(this.alarms.map((a) => a.rule.periodSeconds));
    for (const period of periods) this.schedule(period, this.scheduler.now() + period * 1000);
  }

  stop(): void {
    this.stopped = true;
  }

  /**
   * DescribeAlarms for one alarm; with `contributorId`, DescribeAlarmContributors for a fleet alarm:
   * ALARM when the contributor is listed in ALARM, else OK as of now.
   */
  async state(alarmName: string, contributorId?: string): Promise<AlarmReading | undefined> {
    const alarm = this.byName.get(alarmName);
    if (!alarm) return undefined;
    if (alarm.kind === 'fleet') {
      if (contributorId === undefined) {
        const parent = this.parents.get(alarm.name) as ParentState;
        return { state: parent.state, at: parent.since };
      }
      this.describeContributorsCalls += 1;
      const one = alarm.series.find((s) => s.contributorId === contributorId);
      const state = one && this.series.get(seriesKey(alarm, one));
      return state?.state === 'ALARM'
        ? { state: 'ALARM', at: state.since }
        : { state: 'OK', at: this.scheduler.now() };
    }
    const state = this.series.get(seriesKey(alarm, alarm.series[0] as GameDaySeries)) as SeriesState;
    return { state: state.state, at: state.since };
  }

  /**
   * DescribeAlarms with StateValue=ALARM: each alarm in ALARM as the change that put it there (no
   * tags, as on AWS); a fleet alarm in ALARM as its contributors in ALARM (DescribeAlarmContributors,
   * one call per such alarm), each with its metric: the query's WHERE equalities and its attributes.
   */
  async inAlarm(): Promise<AlarmChange[]> {
    this.describeCalls += 1;
    return this.alarms.flatMap((alarm): AlarmChange[] => {
      const base = {
        alarmName: alarm.name,
        alarmArn: alarmArn(alarm.name),
        account: LOCAL_ACCOUNT,
        region: LOCAL_REGION,
        state: 'ALARM' as const,
        previousState: undefined,
        composite: false,
        tags: {},
      };
      if (alarm.kind === 'fleet') {
        if (this.parents.get(alarm.name)?.state !== 'ALARM') return [];
        this.describeContributorsCalls += 1;
        return this.contributorsInAlarm(alarm).map(({ series: one, state }) => ({
          ...base,
          stateAt: state.since,
          reason: state.reason,
          metrics: [
            {
              namespace: alarm.namespace,
              metricName: alarm.metricName,
              dimensions: { ...alarm.where, ...one.attributes },
            },
          ],
          usesExpression: true,
          contributor: { id: one.contributorId, attributes: { ...one.attributes } },
        }));
      }
      const one = alarm.series[0] as GameDaySeries;
      const state = this.series.get(seriesKey(alarm, one));
      if (state?.state !== 'ALARM') return [];
      return [
        {
          ...base,
          stateAt: state.since,
          reason: state.reason,
          metrics: [{ namespace: alarm.namespace, metricName: alarm.metricName, dimensions: one.dimensions }],
          usesExpression: false,
        },
      ];
    });
  }

  /** The series in ALARM now (per-instance alarms, and fleet alarms' contributors): the game day's audit. */
  inAlarmNow(): AlarmAtEnd[] {
    return this.alarms.flatMap((alarm) =>
      alarm.series
        .filter((one) => this.series.get(seriesKey(alarm, one))?.state === 'ALARM')
        .map((one) => ({
          alarmName: alarm.name,
          instanceId: one.instance.instanceId,
          runbook: alarm.runbook,
          ...(alarm.kind === 'fleet'
            ? { contributor: { id: one.contributorId, attributes: { ...one.attributes } } }
            : {}),
        })),
    );
  }

  private contributorsInAlarm(alarm: GameDayAlarm): { series: GameDaySeries; state: SeriesState }[] {
    return alarm.series.flatMap((one) => {
      const state = this.series.get(seriesKey(alarm, one)) as SeriesState;
      return state.state === 'ALARM' ? [{ series: one, state }] : [];
    });
  }

  private schedule(periodSeconds: number, at: number): void {
    if (this.stopped) return;
    this.scheduler.at(at, `evaluate alarms of period ${periodSeconds}s`, async () => {
      this.schedule(periodSeconds, at + periodSeconds * 1000);
      const due = this.alarms.filter((a) => a.rule.periodSeconds === periodSeconds);
      // Measuring takes real time: the clock runs at real speed meanwhile, as CloudWatch's datapoints
      // are taken when the period ends, not a compressed minute later on a loaded machine.
      const release = this.hold?.();
      try {
        await Promise.all(due.map((alarm) => this.evaluate(alarm, at)));
      } finally {
        release?.();
      }
    });
  }

  /** Measures every series of the alarm, then applies the results in the series' order. */
  private async evaluate(alarm: GameDayAlarm, periodEnd: number): Promise<void> {
    const values = await Promise.all(alarm.series.map((one) => this.measure(alarm, one)));
    if (this.stopped) return;
    alarm.series.forEach((one, i) => {
      this.evaluateSeries(alarm, one, values[i], periodEnd);
    });
    if (alarm.kind === 'fleet') this.updateParent(alarm);
  }

  private evaluateSeries(alarm: GameDayAlarm, one: GameDaySeries, value: Datapoint, periodEnd: number): void {
    const state = this.series.get(seriesKey(alarm, one)) as SeriesState;
    state.history.push(value);
    state.periodEnds.push(periodEnd);
    if (state.history.length > HISTORY_PERIODS) {
      state.history.shift();
      state.periodEnds.shift();
    }
    const evaluation = evaluateAlarm(alarm.rule, state.history, state.state, state.periodEnds);
    // A contributor is ALARM or OK: not enough data is OK.
    const next: AlarmStateValue =
      alarm.kind === 'fleet' && evaluation.state === 'INSUFFICIENT_DATA' ? 'OK' : evaluation.state;
    if (next === state.state) return;
    const at = this.scheduler.now();
    // A contributor's first OK names no series that was ever in ALARM: CloudWatch puts no event.
    const silent = alarm.kind === 'fleet' && state.state === 'INSUFFICIENT_DATA' && next === 'OK';
    const change: GameDayAlarmChange = {
      at,
      alarmName: alarm.name,
      instanceId: one.instance.instanceId,
      from: state.state,
      to: next,
      reason: evaluation.reason,
      ...(alarm.kind === 'fleet' ? { contributor: one.contributorId } : {}),
      ...(silent ? { silent: true } : {}),
    };
    const event =
      alarm.kind === 'fleet'
        ? contributorEvent(alarm, one, { value: next as 'ALARM' | 'OK', at, reason: evaluation.reason })
        : alarmEvent(alarm, one, {
            from: { value: state.state, at: state.since, reason: state.reason },
            to: { value: next, at, reason: evaluation.reason },
            recentDatapoints: evaluation.recentDatapoints,
          });
    state.state = next;
    state.since = at;
    state.reason = evaluation.reason;
    this.changes.push(change);
    if (!silent) this.bus.put(event);
  }

  /** A fleet alarm's own state after its contributors' evaluation: ALARM when any is. */
  private updateParent(alarm: GameDayAlarm): void {
    const parent = this.parents.get(alarm.name) as ParentState;
    const inAlarm = this.contributorsInAlarm(alarm).length;
    const next: AlarmStateValue = inAlarm > 0 ? 'ALARM' : 'OK';
    if (next === parent.state) return;
    const at = this.scheduler.now();
    const reason = `${inAlarm} out of ${alarm.series.length} time series evaluated to ALARM`;
    const event = parentEvent(alarm, {
      from: { value: parent.state, at: parent.since, reason: parent.reason },
      to: { value: next, at, reason },
    });
    this.fleetChanges.push({ at, alarmName: alarm.name, from: parent.state, to: next, reason });
    parent.state = next;
    parent.since = at;
    parent.reason = reason;
    this.bus.put(event);
  }

  /** One datapoint: the probe's last line, or no data when the probe fails or prints no number. */
  private async measure(alarm: GameDayAlarm, one: GameDaySeries): Promise<Datapoint> {
    try {
      const run = await one.instance.sandbox.run(alarm.probe, { timeoutSeconds: this.probeTimeoutSeconds });
      const last = run.stdout.trim().split('\n').pop()?.trim() ?? '';
      return run.exitCode === 0 && /^-?\d+(\.\d+)?$/.test(last) ? Number(last) : undefined;
    } catch {
      return undefined;
    }
  }
}

function seriesKey(alarm: GameDayAlarm, one: GameDaySeries): string {
  return `${alarm.name}#${one.contributorId}`;
}

type StateAt = { value: AlarmStateValue; at: number; reason: string };

function envelope(
  detailType: string,
  alarmName: string,
  at: number,
  detail: Record<string, unknown>,
): AwsEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source: 'aws.cloudwatch',
    account: LOCAL_ACCOUNT,
    time: new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_REGION,
    resources: [alarmArn(alarmName)],
    detail,
  };
}

/** A fleet alarm's configuration as its events carry it: the query, and the period. */
function fleetConfiguration(alarm: GameDayAlarm) {
  return {
    metrics: [{ id: 'm1', expression: alarm.query, returnData: true, period: alarm.rule.periodSeconds }],
    description: alarm.description,
  };
}

/**
 * A "CloudWatch Alarm Contributor State Change" event of AWS's documented shape (its sample): the
 * contributor's id and attributes, its state (no previous state, no reasonData), the alarm's query.
 */
export function contributorEvent(
  alarm: GameDayAlarm,
  one: GameDaySeries,
  state: { value: 'ALARM' | 'OK'; at: number; reason: string },
): AwsEvent {
  const contributor: AlarmContributor = { id: one.contributorId, attributes: { ...one.attributes } };
  return envelope('CloudWatch Alarm Contributor State Change', alarm.name, state.at, {
    alarmName: alarm.name,
    alarmContributor: contributor,
    state: { value: state.value, reason: state.reason, timestamp: cloudWatchTimestamp(state.at) },
    configuration: fleetConfiguration(alarm),
  });
}

/** A fleet alarm's own "CloudWatch Alarm State Change", as AWS's multi-time-series parent sample. */
export function parentEvent(alarm: GameDayAlarm, change: { from: StateAt; to: StateAt }): AwsEvent {
  const state = (s: StateAt) => ({
    value: s.value,
    reason: s.reason,
    timestamp: cloudWatchTimestamp(s.at),
  });
  return envelope('CloudWatch Alarm State Change', alarm.name, change.to.at, {
    alarmName: alarm.name,
    state: state(change.to),
    previousState: state(change.from),
    configuration: fleetConfiguration(alarm),
  });
}

/** A "CloudWatch Alarm State Change" event of AWS's documented shape, for a single-metric alarm. */
export function alarmEvent(
  alarm: GameDayAlarm,
  one: GameDaySeries,
  change: { from: StateAt; to: StateAt; recentDatapoints: readonly number[] },
): AwsEvent {
  const state = (s: StateAt, datapoints: readonly number[]) => ({
    reason: s.reason,
    reasonData: JSON.stringify({
      version: '1.0',
      queryDate: cloudWatchTimestamp(s.at),
      statistic: alarm.statistic,
      period: alarm.rule.periodSeconds,
      recentDatapoints: datapoints,
      threshold: alarm.rule.threshold,
      evaluatedDatapoints: [],
    }),
    timestamp: cloudWatchTimestamp(s.at),
    value: s.value,
  });
  return envelope('CloudWatch Alarm State Change', alarm.name, change.to.at, {
    alarmName: alarm.name,
    ...(Object.keys(alarm.tags).length > 0 ? { alarmTags: alarm.tags } : {}),
    configuration: {
      description: alarm.description,
      metrics: [
        {
          id: 'm1',
          metricStat: {
            metric: { dimensions: one.dimensions, name: alarm.metricName, namespace: alarm.namespace },
            period: alarm.rule.periodSeconds,
            stat: alarm.statistic,
          },
          returnData: true,
        },
      ],
    },
    previousState: state(change.from, []),
    state: state(change.to, change.recentDatapoints),
  });
}
