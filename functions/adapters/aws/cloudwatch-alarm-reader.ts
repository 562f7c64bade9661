import type {
  AlarmContributor,
  CloudWatchClient,
  CompositeAlarm,
  MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import type { AlarmChange, AlarmMetric, AlarmStateValue } from '../../core/alarm.ts';
import type { AlarmReader, AlarmReading } from '../../core/ports.ts';
import { isMultiTimeSeriesQuery, seriesMetrics } from '../../core/runbook-alarm.ts';
import { type ClientSource, clientOf, cloudWatchSdk } from './sdk-modules.ts';

/**
 * DescribeAlarms is limited to about 9 requests a second per account, shared with everything else in
 * it: the resync's pages are at least this far apart (at most 4 a second).
 */
export const PAGE_INTERVAL_MS = 250;
/** The resync reads at most this many pages of 100 alarms in ALARM in one run (10,000 alarms). */
export const MAX_PAGES = 100;
/**
 * The contributors the resync lists per multi-time-series alarm: CloudWatch keeps at most 100 of an
 * alarm's contributors in ALARM. A contributor left out is still read one by one (`state`) before its
 * open incident is settled, so it is never taken for OK.
 */
export const MAX_CONTRIBUTORS = 100;
/** Pages of DescribeAlarmContributors read for one alarm (one in practice). */
export const MAX_CONTRIBUTOR_PAGES = 10;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Reads alarms with DescribeAlarms: at verify deadlines, slow checks and the resync; never per event. */
export class CloudWatchAlarmReader implements AlarmReader {
  private readonly client: ClientSource<CloudWatchClient>;
  private readonly pause: (ms: number) => Promise<void>;
  private readonly now: () => number;

  /**
   * @param options.pause waits between paced calls (tests make it instant)
   * @param options.now the time of a reading (a contributor found OK is OK as of now)
   */
  constructor(
    client: ClientSource<CloudWatchClient>,
    options: { pause?: (ms: number) => Promise<void>; now?: () => number } = {},
  ) {
    this.client = client;
    this.pause = options.pause ?? sleep;
    this.now = options.now ?? Date.now;
  }

  async state(alarmName: string, contributorId?: string): Promise<AlarmReading | undefined> {
    const [{ DescribeAlarmsCommand }, client] = await Promise.all([cloudWatchSdk(), clientOf(this.client)]);
    const output = await client.send(
      new DescribeAlarmsCommand({ AlarmNames: [alarmName], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }),
    );
    const alarm = output.MetricAlarms?.[0] ?? output.CompositeAlarms?.[0];
    if (!alarm?.StateValue) return undefined;
    if (contributorId !== undefined) return this.contributorState(alarmName, contributorId);
    const at = transitionedAt(alarm);
    return { state: alarm.StateValue as AlarmStateValue, ...(at === undefined ? {} : { at }) };
  }

  /**
   * One series of a multi-time-series alarm: ALARM, since its transition, when DescribeAlarmContributors
   * lists it (it lists only the contributors in ALARM); else OK as of this reading, since a series is
   * only ever ALARM or OK and CloudWatch does not say when it left ALARM. Undefined when the alarm was
   * deleted meanwhile.
   */
  private async contributorState(
    alarmName: string,
    contributorId: string,
  ): Promise<AlarmReading | undefined> {
    const [DescribeAlarmContributorsCommand, client] = await Promise.all([
      contributorsCommand(),
      clientOf(this.client),
    ]);
    let NextToken: string | undefined;
    try {
      for (let page = 0; page < MAX_CONTRIBUTOR_PAGES; page++) {
        if (page > 0) await this.pause(PAGE_INTERVAL_MS);
        const output = await client.send(
          new DescribeAlarmContributorsCommand({ AlarmName: alarmName, ...(NextToken ? { NextToken } : {}) }),
        );
        const found = (output.AlarmContributors ?? []).find((c) => c.ContributorId === contributorId);
        if (found) {
          const at = found.StateTransitionedTimestamp?.getTime();
          return { state: 'ALARM', ...(at === undefined ? {} : { at }) };
        }
        NextToken = output.NextToken;
        if (!NextToken) break;
      }
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    // Not listed after every page read: a cut-off listing (more pages than read) says nothing.
    if (NextToken) throw new Error(`alarm ${alarmName} lists more contributors than this reader reads`);
    return { state: 'OK', at: this.now() };
  }

  async inAlarm(): Promise<AlarmChange[]> {
    const [{ DescribeAlarmsCommand }, client] = await Promise.all([cloudWatchSdk(), clientOf(this.client)]);
    const found: AlarmChange[] = [];
    /** Multi-time-series alarms in ALARM: listed as their contributors, after the pages. */
    const fleet: MetricAlarm[] = [];
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
        if (isMultiTimeSeriesAlarm(alarm)) {
          fleet.push(alarm);
          continue;
        }
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
    for (const alarm of fleet) found.push(...(await this.contributorsInAlarm(alarm)));
    if (found.length === 0) return found;
    const muted = await this.mutedAlarms();
    return found.map((alarm) => {
      const rule = muted.get(alarm.alarmName);
      return rule ? { ...alarm, mutedBy: rule } : alarm;
    });
  }

  /**
   * A multi-time-series alarm's contributors in ALARM, each shaped as its contributor event (at most
   * {@link MAX_CONTRIBUTORS}): one DescribeAlarmContributors call per alarm in practice, each paced as
   * the pages are. None when the alarm was deleted since it was listed.
   */
  private async contributorsInAlarm(alarm: MetricAlarm): Promise<AlarmChange[]> {
    const [DescribeAlarmContributorsCommand, client] = await Promise.all([
      contributorsCommand(),
      clientOf(this.client),
    ]);
    if (!alarm.AlarmName) return [];
    const contributors: AlarmContributor[] = [];
    let NextToken: string | undefined;
    try {
      for (let page = 0; page < MAX_CONTRIBUTOR_PAGES && contributors.length < MAX_CONTRIBUTORS; page++) {
        await this.pause(PAGE_INTERVAL_MS);
        const output = await client.send(
          new DescribeAlarmContributorsCommand({
            AlarmName: alarm.AlarmName,
            ...(NextToken ? { NextToken } : {}),
          }),
        );
        contributors.push(...(output.AlarmContributors ?? []));
        NextToken = output.NextToken;
        if (!NextToken) break;
      }
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    return contributors.slice(0, MAX_CONTRIBUTORS).flatMap((contributor) => {
      const change = fromAlarmContributor(alarm, contributor);
      return change ? [change] : [];
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

/** The error of an alarm that no longer exists. */
function isNotFound(error: unknown): boolean {
  return (error as { name?: string }).name === 'ResourceNotFoundException';
}

/**
 * Whether a metric alarm evaluates a Metrics Insights query with a GROUP BY: its own state only
 * counts its contributors, each of which has its own state and its own incident.
 */
export function isMultiTimeSeriesAlarm(alarm: MetricAlarm): boolean {
  return (alarm.Metrics ?? []).some(
    (query) => query.Expression !== undefined && isMultiTimeSeriesQuery(query.Expression),
  );
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

/**
 * A contributor of a multi-time-series alarm in ALARM, shaped as its contributor event: the metric
 * the alarm's query reads, with the query's dimension equalities and the contributor's GROUP BY values
 * as dimensions (as `toAlarmChange` reads the event). When CloudWatch gives no transition time for the
 * contributor, the alarm's own (when it entered ALARM, no later than any of its contributors' did).
 */
export function fromAlarmContributor(
  alarm: MetricAlarm,
  contributor: AlarmContributor,
): AlarmChange | undefined {
  const at = contributor.StateTransitionedTimestamp?.getTime() ?? transitionedAt(alarm);
  const where = alarm.AlarmArn ? arnParts(alarm.AlarmArn) : undefined;
  if (!alarm.AlarmName || !alarm.AlarmArn || !contributor.ContributorId || at === undefined || !where)
    return undefined;
  const attributes = { ...(contributor.ContributorAttributes ?? {}) };
  return {
    alarmName: alarm.AlarmName,
    alarmArn: alarm.AlarmArn,
    ...where,
    state: 'ALARM',
    previousState: undefined,
    stateAt: at,
    reason: contributor.StateReason ?? '',
    metrics: seriesMetrics(
      (alarm.Metrics ?? []).map((entry) => entry.Expression),
      attributes,
    ),
    usesExpression: true,
    composite: false,
    tags: {},
    contributor: { id: contributor.ContributorId, attributes },
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

/**
 * DescribeAlarmContributors came with multi-time-series alarms (late 2025); a Lambda runtime whose
 * built-in SDK predates it would fail obscurely. Fail with the fix instead: the resync logs it and
 * tries again, and the timers keep their incidents open until they can read the series.
 */
async function contributorsCommand(): Promise<
  typeof import('@aws-sdk/client-cloudwatch')['DescribeAlarmContributorsCommand']
> {
  const sdk = await cloudWatchSdk();
  if (typeof sdk.DescribeAlarmContributorsCommand !== 'function')
    throw new Error(
      "this runtime's AWS SDK has no DescribeAlarmContributors, which fleet alarms need: deploy with bundleAwsSdk: true (or -c bundleAwsSdk=true)",
    );
  return sdk.DescribeAlarmContributorsCommand;
}
