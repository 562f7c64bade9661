import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AlarmChange, AlarmStateValue } from '../../functions/core/alarm.ts';
import type { AlarmReader, AlarmReading } from '../../functions/core/ports.ts';
import type { Runbook } from '../../functions/core/runbook.ts';
import { RUNBOOKS_DIR } from '../../runbooks/discover.ts';
import type { Scheduler } from '../agenda.ts';
import { type AwsEvent, alarmArn, cloudWatchTimestamp, LOCAL_ACCOUNT, LOCAL_REGION } from '../aws-shapes.ts';
import type { LocalBus } from '../local-bus.ts';
import { type AlarmRule, type Datapoint, evaluateAlarm } from './alarm-evaluator.ts';
import type { FleetInstance } from './fleet.ts';
import type { GameDayAlarmChange } from './record.ts';

/** What a local metric alarm watches and how it decides. */
export interface LocalMetricAlarm {
  readonly name: string;
  readonly runbook: string;
  readonly instance: FleetInstance;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** Alarm tags, propagated into the event as CloudWatch does when tag propagation is on. */
  readonly tags: Readonly<Record<string, string>>;
  readonly rule: AlarmRule;
  /** The script that measures the metric in the sandbox: its last line is one number. */
  readonly probe: string;
}

/** Periods of history kept per alarm (CloudWatch may look back beyond N periods for missing data). */
const HISTORY_PERIODS = 20;

interface AlarmState {
  state: AlarmStateValue;
  since: number;
  reason: string;
  readonly history: Datapoint[];
  readonly periodEnds: number[];
}

/**
 * CloudWatch on this machine: every alarm period it runs each alarm's probe in its instance's
 * sandbox (a real measurement: `df`, the process table, /proc), evaluates the alarm with CloudWatch's
 * rules (period, M of N, comparison, threshold, missing data) and, when the state changes, puts an
 * "Alarm State Change" event of AWS's shape on the local bus. It also answers DescribeAlarms.
 */
export class LocalCloudWatch implements AlarmReader {
  readonly changes: GameDayAlarmChange[] = [];
  /** How many times the resync listed the alarms in ALARM. */
  describeCalls = 0;
  private readonly alarms: readonly LocalMetricAlarm[];
  private readonly states = new Map<string, AlarmState>();
  private readonly scheduler: Scheduler;
  private readonly bus: LocalBus;
  private readonly probeTimeoutSeconds: number;
  private stopped = false;

  constructor(options: {
    alarms: readonly LocalMetricAlarm[];
    scheduler: Scheduler;
    bus: LocalBus;
    probeTimeoutSeconds?: number;
  }) {
    this.alarms = options.alarms;
    this.scheduler = options.scheduler;
    this.bus = options.bus;
    this.probeTimeoutSeconds = options.probeTimeoutSeconds ?? 20;
    const now = this.scheduler.now();
    for (const alarm of this.alarms) {
      this.states.set(alarm.name, {
        state: 'INSUFFICIENT_DATA',
        since: now,
        reason: 'Unchecked: Initial alarm creation',
        history: [],
        periodEnds: [],
      });
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

  async state(alarmName: string): Promise<AlarmReading | undefined> {
    const known = this.states.get(alarmName);
    return known && { state: known.state, at: known.since };
  }

  /** DescribeAlarms with StateValue=ALARM: each alarm in ALARM as the change that put it there (no tags, as on AWS). */
  async inAlarm(): Promise<AlarmChange[]> {
    this.describeCalls += 1;
    return this.alarms.flatMap((alarm) => {
      const state = this.states.get(alarm.name);
      if (state?.state !== 'ALARM') return [];
      return [
        {
          alarmName: alarm.name,
          alarmArn: alarmArn(alarm.name),
          account: LOCAL_ACCOUNT,
          region: LOCAL_REGION,
          state: 'ALARM' as const,
          previousState: undefined,
          stateAt: state.since,
          reason: state.reason,
          metrics: [
            { namespace: alarm.namespace, metricName: alarm.metricName, dimensions: alarm.dimensions },
          ],
          usesExpression: false,
          composite: false,
          tags: {},
        },
      ];
    });
  }

  /** The alarms in ALARM now, by name (the game day's audit). */
  inAlarmNow(): string[] {
    return this.alarms.filter((a) => this.states.get(a.name)?.state === 'ALARM').map((a) => a.name);
  }

  private schedule(periodSeconds: number, at: number): void {
    if (this.stopped) return;
    this.scheduler.at(at, `evaluate alarms of period ${periodSeconds}s`, async () => {
      this.schedule(periodSeconds, at + periodSeconds * 1000);
      const due = this.alarms.filter((a) => a.rule.periodSeconds === periodSeconds);
      await Promise.all(due.map((alarm) => this.evaluate(alarm, at)));
    });
  }

  private async evaluate(alarm: LocalMetricAlarm, periodEnd: number): Promise<void> {
    const value = await this.measure(alarm);
    if (this.stopped) return;
    const state = this.states.get(alarm.name) as AlarmState;
    state.history.push(value);
    state.periodEnds.push(periodEnd);
    if (state.history.length > HISTORY_PERIODS) {
      state.history.shift();
      state.periodEnds.shift();
    }
    const evaluation = evaluateAlarm(alarm.rule, state.history, state.state, state.periodEnds);
    if (evaluation.state === state.state) return;
    const at = this.scheduler.now();
    const change: GameDayAlarmChange = {
      at,
      alarmName: alarm.name,
      instanceId: alarm.instance.instanceId,
      from: state.state,
      to: evaluation.state,
      reason: evaluation.reason,
    };
    const event = alarmEvent(alarm, {
      from: { value: state.state, at: state.since, reason: state.reason },
      to: { value: evaluation.state, at, reason: evaluation.reason },
      recentDatapoints: evaluation.recentDatapoints,
    });
    state.state = evaluation.state;
    state.since = at;
    state.reason = evaluation.reason;
    this.changes.push(change);
    this.bus.put(event);
  }

  /** One datapoint: the probe's last line, or no data when the probe fails or prints no number. */
  private async measure(alarm: LocalMetricAlarm): Promise<Datapoint> {
    try {
      const run = await alarm.instance.sandbox.run(alarm.probe, { timeoutSeconds: this.probeTimeoutSeconds });
      const last = run.stdout.trim().split('\n').pop()?.trim() ?? '';
      return run.exitCode === 0 && /^-?\d+(\.\d+)?$/.test(last) ? Number(last) : undefined;
    } catch {
      return undefined;
    }
  }
}

/** The proof probe of a runbook, as the local alarm measures with it. */
export function probeOf(runbook: Runbook, runbooksDir = RUNBOOKS_DIR): string {
  if (!runbook.proof)
    throw new Error(`runbook ${runbook.name} has no proof: the game day cannot measure its alarm`);
  return readFileSync(join(runbooksDir, runbook.name, runbook.proof.probe), 'utf8');
}

/** A "CloudWatch Alarm State Change" event of AWS's documented shape, for a single-metric alarm. */
export function alarmEvent(
  alarm: LocalMetricAlarm,
  change: {
    from: { value: AlarmStateValue; at: number; reason: string };
    to: { value: AlarmStateValue; at: number; reason: string };
    recentDatapoints: readonly number[];
  },
): AwsEvent {
  const state = (
    s: { value: AlarmStateValue; at: number; reason: string },
    datapoints: readonly number[],
  ) => ({
    reason: s.reason,
    reasonData: JSON.stringify({
      version: '1.0',
      queryDate: cloudWatchTimestamp(s.at),
      statistic: 'Average',
      period: alarm.rule.periodSeconds,
      recentDatapoints: datapoints,
      threshold: alarm.rule.threshold,
      evaluatedDatapoints: [],
    }),
    timestamp: cloudWatchTimestamp(s.at),
    value: s.value,
  });
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: LOCAL_ACCOUNT,
    time: new Date(change.to.at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_REGION,
    resources: [alarmArn(alarm.name)],
    detail: {
      alarmName: alarm.name,
      ...(Object.keys(alarm.tags).length > 0 ? { alarmTags: alarm.tags } : {}),
      configuration: {
        description: `${alarm.metricName} of ${alarm.instance.name} (${alarm.instance.instanceId})`,
        metrics: [
          {
            id: 'm1',
            metricStat: {
              metric: { dimensions: alarm.dimensions, name: alarm.metricName, namespace: alarm.namespace },
              period: alarm.rule.periodSeconds,
              stat: 'Average',
            },
            returnData: true,
          },
        ],
      },
      previousState: state(change.from, []),
      state: state(change.to, change.recentDatapoints),
    },
  };
}
