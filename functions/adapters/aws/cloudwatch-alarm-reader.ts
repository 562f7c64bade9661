import type { CloudWatchClient, CompositeAlarm, MetricAlarm } from '@aws-sdk/client-cloudwatch';
import type { AlarmChange, AlarmMetric, AlarmStateValue } from '../../core/alarm.ts';
import type { AlarmReader, AlarmReading } from '../../core/ports.ts';
import { type ClientSource, clientOf, cloudWatchSdk } from './sdk-modules.ts';

/**
 * DescribeAlarms is limited to about 9 requests a second per account, shared with everything else in
 * it: the resync's pages are at least this far apart (at most 4 a second).
 */
export const PAGE_INTERVAL_MS = 250;
/** The resync reads at most this many pages of 100 alarms in ALARM in one run (10,000 alarms). */
export const MAX_PAGES = 100;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Reads alarms with DescribeAlarms: at verify deadlines, slow checks and the resync; never per event. */
export class CloudWatchAlarmReader implements AlarmReader {
  private readonly client: ClientSource<CloudWatchClient>;
  private readonly pause: (ms: number) => Promise<void>;

  constructor(
    client: ClientSource<CloudWatchClient>,
    options: { pause?: (ms: number) => Promise<void> } = {},
  ) {
    this.client = client;
    this.pause = options.pause ?? sleep;
  }

  async state(alarmName: string): Promise<AlarmReading | undefined> {
    const [{ DescribeAlarmsCommand }, client] = await Promise.all([cloudWatchSdk(), clientOf(this.client)]);
    const output = await client.send(
      new DescribeAlarmsCommand({ AlarmNames: [alarmName], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }),
    );
    const alarm = output.MetricAlarms?.[0] ?? output.CompositeAlarms?.[0];
    if (!alarm?.StateValue) return undefined;
    const at = transitionedAt(alarm);
    return { state: alarm.StateValue as AlarmStateValue, ...(at === undefined ? {} : { at }) };
  }

  async inAlarm(): Promise<AlarmChange[]> {
    const [{ DescribeAlarmsCommand }, client] = await Promise.all([cloudWatchSdk(), clientOf(this.client)]);
    const found: AlarmChange[] = [];
    let NextToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      if (page > 0) await this.pause(PAGE_INTERVAL_MS);
      const output = await client.send(
        new DescribeAlarmsCommand({
          StateValue: 'ALARM',
          AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
          MaxRecords: 100,
          ...(NextToken ? { NextToken } : {}),
        }),
      );
      for (const alarm of output.MetricAlarms ?? []) {
        const change = fromMetricAlarm(alarm);
        if (change) found.push(change);
      }
      for (const alarm of output.CompositeAlarms ?? []) {
        const change = fromCompositeAlarm(alarm);
        if (change) found.push(change);
      }
      NextToken = output.NextToken;
      if (!NextToken) break;
    }
    if (found.length === 0) return found;
    const muted = await this.mutedAlarms();
    return found.map((alarm) => {
      const rule = muted.get(alarm.alarmName);
      return rule ? { ...alarm, mutedBy: rule } : alarm;
    });
  }

  /**
   * The alarms an active mute rule targets (alarm name to rule ARN): one ListAlarmMuteRules, and one
   * GetAlarmMuteRule per active rule (rules, not alarms). A Region without mute rules answers that it
   * does not know the operation: nothing is muted there. Any other failure rejects, and the resync
   * tries again on its next run rather than act on an alarm a maintenance window may mute.
   */
  private async mutedAlarms(): Promise<Map<string, string>> {
    const [{ ListAlarmMuteRulesCommand, GetAlarmMuteRuleCommand }, client] = await Promise.all([
      cloudWatchSdk(),
      clientOf(this.client),
    ]);
    const muted = new Map<string, string>();
    let NextToken: string | undefined;
    try {
      for (let page = 0; page < MAX_PAGES; page++) {
        const output = await client.send(
          new ListAlarmMuteRulesCommand({ Statuses: ['ACTIVE'], ...(NextToken ? { NextToken } : {}) }),
        );
        for (const summary of output.AlarmMuteRuleSummaries ?? []) {
          const arn = summary.AlarmMuteRuleArn;
          const name = arn
            ?.split(':')
            .pop()
            ?.replace(/^alarm-mute-rule\//, '');
          if (!arn || !name) continue;
          const rule = await client.send(new GetAlarmMuteRuleCommand({ AlarmMuteRuleName: name }));
          for (const alarmName of rule.MuteTargets?.AlarmNames ?? []) muted.set(alarmName, arn);
        }
        NextToken = output.NextToken;
        if (!NextToken) break;
      }
    } catch (error) {
      if (isUnknownOperation(error)) return muted;
      throw error;
    }
    return muted;
  }
}

/** The error of a Region (or endpoint) that does not offer an operation. */
function isUnknownOperation(error: unknown): boolean {
  const name = (error as { name?: string }).name ?? '';
  return name === 'UnknownOperationException' || name === 'InvalidAction';
}

/** When the alarm entered its state: the transition, not a later change of its reason. */
function transitionedAt(alarm: MetricAlarm | CompositeAlarm): number | undefined {
  const at = alarm.StateTransitionedTimestamp ?? alarm.StateUpdatedTimestamp;
  return at ? at.getTime() : undefined;
}

/** `arn:aws:cloudwatch:<region>:<account>:alarm:<name>`: the account and Region of an alarm. */
function arnParts(arn: string): { account: string; region: string } | undefined {
  const parts = arn.split(':');
  if (parts.length < 7 || parts[2] !== 'cloudwatch') return undefined;
  return { region: parts[3] as string, account: parts[4] as string };
}

/** A metric alarm in ALARM, shaped as the state change that put it there. */
export function fromMetricAlarm(alarm: MetricAlarm): AlarmChange | undefined {
  const at = transitionedAt(alarm);
  const where = alarm.AlarmArn ? arnParts(alarm.AlarmArn) : undefined;
  if (!alarm.AlarmName || !alarm.AlarmArn || at === undefined || !where) return undefined;
  const dimensions = (list: MetricAlarm['Dimensions']) =>
    Object.fromEntries(
      (list ?? []).flatMap((d) => (d.Name && d.Value !== undefined ? [[d.Name, d.Value]] : [])),
    );
  const metrics: AlarmMetric[] = alarm.MetricName
    ? [
        {
          namespace: alarm.Namespace ?? '',
          metricName: alarm.MetricName,
          dimensions: dimensions(alarm.Dimensions),
        },
      ]
    : (alarm.Metrics ?? []).flatMap((query) =>
        query.MetricStat?.Metric?.MetricName
          ? [
              {
                namespace: query.MetricStat.Metric.Namespace ?? '',
                metricName: query.MetricStat.Metric.MetricName,
                dimensions: dimensions(query.MetricStat.Metric.Dimensions),
              },
            ]
          : [],
      );
  return {
    alarmName: alarm.AlarmName,
    alarmArn: alarm.AlarmArn,
    ...where,
    state: 'ALARM',
    previousState: undefined,
    stateAt: at,
    reason: alarm.StateReason ?? '',
    metrics,
    usesExpression: (alarm.Metrics ?? []).some((query) => query.Expression !== undefined),
    composite: false,
    // DescribeAlarms does not return tags, and the resync makes no call per alarm.
    tags: {},
  };
}

/** A composite alarm in ALARM: a runbook may answer it by name, and it names no instance. */
export function fromCompositeAlarm(alarm: CompositeAlarm): AlarmChange | undefined {
  const at = transitionedAt(alarm);
  const where = alarm.AlarmArn ? arnParts(alarm.AlarmArn) : undefined;
  if (!alarm.AlarmName || !alarm.AlarmArn || at === undefined || !where) return undefined;
  return {
    alarmName: alarm.AlarmName,
    alarmArn: alarm.AlarmArn,
    ...where,
    state: 'ALARM',
    previousState: undefined,
    stateAt: at,
    reason: alarm.StateReason ?? '',
    metrics: [],
    usesExpression: false,
    composite: true,
    tags: {},
  };
}
