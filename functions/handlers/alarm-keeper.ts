// The keeper reads instances (EC2) and keeps alarms (CloudWatch): both clients load with the
// function. See adapters/aws/sdk-modules.ts.
import '@aws-sdk/client-cloudwatch';
import '@aws-sdk/client-ec2';
import { Logger } from '@aws-lambda-powertools/logger';
import type { CloudWatchClient, MetricAlarm } from '@aws-sdk/client-cloudwatch';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { Context } from 'aws-lambda';
import { PowertoolsMetrics } from '../adapters/aws/powertools-metrics.ts';
import {
  type ClientSource,
  clientOf,
  cloudWatchSdk,
  defaultCloudWatchClient,
  defaultEc2Client,
  ec2Sdk,
} from '../adapters/aws/sdk-modules.ts';
import {
  type DesiredAlarm,
  describedAsKept,
  type ExistingAlarm,
  type KeeperInstance,
  type KeeperSettings,
  MANAGED_BY_TAG,
  type MetricSeries,
  parseKeptDescription,
  planInstance,
} from '../core/alarm-keeper.ts';
import { perInstanceAlarmName } from '../core/alarm-provisioning.ts';
import type { MetricsSink } from '../core/ports.ts';
import type { ComparisonOperator, Runbook } from '../core/runbook.ts';
import type { AlarmStatistic, TreatMissingData } from '../core/runbook-alarm.ts';
import { ENV } from './config.ts';
import { type EventOrigin, foreignOrigin, refuseForeign } from './middleware/accept-origin.ts';
import { describeIssues } from './schemas.ts';
import * as z from './zod-locale.ts';

/**
 * The alarm keeper (per-instance alarm mode): one CloudWatch metric alarm per opted-in running
 * instance, per series, per kept runbook, in step with the fleet. Instance state changes and opt-in
 * tag changes reconcile that one instance; a scheduled sweep reconciles the whole fleet (and adds
 * the alarms of series that appeared since, such as the CloudWatch agent's first data points).
 *
 * How it finds its alarms: it lists them with DescribeAlarms (by name prefix for one instance, every
 * metric alarm for a sweep) and recognises its own by their description; it trusts only the
 * managed-by tag (ListTagsForResource, one call per alarm it is about to write over or delete)
 * before it touches one. An alarm it would create at a free name needs no check; an unchanged alarm
 * costs no call beyond the listing.
 */

/** The keeper's own environment variables (besides ENV.optInTagKey/Value, eventAccounts/Regions). */
export const KEEPER_ENV = {
  /** The value of the alarms' `AutoRemediation:managed-by` tag: the stack's name. */
  stackName: 'KEEPER_STACK_NAME',
  /** Comma-separated: the runbooks kept per instance (the others' alarms are the sweep's orphans). */
  runbooks: 'KEEPER_RUNBOOKS',
} as const;

/** What the keeper is told by the stack. */
export interface KeeperConfig {
  readonly stackName: string;
  readonly optInTag: { readonly key: string; readonly value: string };
  readonly runbooks: readonly string[];
  /** The accounts and Regions whose events are acted on; every origin when unset (tests). */
  readonly origin?: EventOrigin;
}

/** What one invocation did. */
export interface KeeperReport {
  readonly outcome: 'kept' | 'rejected' | 'failed';
  readonly reason?: string;
  readonly trigger?: 'state-change' | 'tag-change' | 'sweep';
  /** Instances reconciled. */
  readonly instances: number;
  readonly created: number;
  readonly updated: number;
  readonly deleted: number;
  readonly unchanged: number;
  /** Alarms at a kept name, or described as kept, whose managed-by tag is not this stack's: left alone. */
  readonly skipped: number;
  /** Operations (or whole instances) that failed; the next event or sweep tries again. */
  readonly failed: number;
}

/** Clients and seams; tests pass their own. */
export interface KeeperDependencies {
  readonly ec2?: ClientSource<EC2Client>;
  readonly cloudwatch?: ClientSource<CloudWatchClient>;
  readonly logger?: Logger;
  readonly metrics?: MetricsSink;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => number;
}

/** DescribeAlarms is limited to about 9 requests a second per account: the keeper's are this far apart. */
export const DESCRIBE_INTERVAL_MS = 250;
/**
 * A sweep reads at most this many pages of 100 metric alarms (200,000 alarms: 500 s of paced pages,
 * within the function's 15 minutes), else it changes nothing rather than act on a partial listing.
 */
export const MAX_ALARM_PAGES = 2000;
/** Attempts of one call that AWS throttles, with full-jitter backoff between them. */
export const MAX_ATTEMPTS = 6;
export const BACKOFF_BASE_MS = 200;
export const BACKOFF_CAP_MS = 5_000;
/** DeleteAlarms takes at most 100 names. */
const DELETE_BATCH = 100;

const THROTTLED = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded']);

/** Reads the keeper's configuration; a missing variable is a deploy error. */
export function keeperConfigFromEnv(env: NodeJS.ProcessEnv = process.env): KeeperConfig {
  const required = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`environment variable ${name} is not set; the stack sets it, so redeploy`);
    return value;
  };
  const kept = env[KEEPER_ENV.runbooks];
  if (kept === undefined)
    throw new Error(`environment variable ${KEEPER_ENV.runbooks} is not set; the stack sets it, so redeploy`);
  return {
    stackName: required(KEEPER_ENV.stackName),
    optInTag: { key: required(ENV.optInTagKey), value: required(ENV.optInTagValue) },
    runbooks: list(kept),
    origin: { accounts: list(required(ENV.eventAccounts)), regions: list(required(ENV.eventRegions)) },
  };
}

/** The runbooks named by the configuration; each must be deployed and declare a metric alarm. */
export function keptRunbooks(runbooks: readonly Runbook[], names: readonly string[]): Runbook[] {
  return names.map((name) => {
    const runbook = runbooks.find((r) => r.name === name);
    if (!runbook)
      throw new Error(
        `${KEEPER_ENV.runbooks} names ${name}, which is not one of this deployment's runbooks (${runbooks.map((r) => r.name).join(', ')})`,
      );
    if (!runbook.alarm || runbook.alarm.query)
      throw new Error(
        `${KEEPER_ENV.runbooks} names ${name}, whose alarm is not a metric { namespace, name }: it cannot be kept per instance`,
      );
    return runbook;
  });
}

const stateChange = z.looseObject({
  source: z.literal('aws.ec2'),
  'detail-type': z.literal('EC2 Instance State-change Notification'),
  detail: z.looseObject({
    'instance-id': z.string().check(z.regex(/^i-[0-9a-f]{8,17}$/)),
    state: z.string().check(z.maxLength(32)),
  }),
});
const tagChange = z.looseObject({
  source: z.literal('aws.tag'),
  'detail-type': z.literal('Tag Change on Resource'),
  resources: z
    .array(z.string().check(z.regex(/^arn:aws[a-z-]*:ec2:[a-z0-9-]+:\d{12}:instance\/i-[0-9a-f]{8,17}$/)))
    .check(z.minLength(1)),
  detail: z.looseObject({
    service: z.literal('ec2'),
    'resource-type': z.literal('instance'),
    tags: z.optional(z.record(z.string(), z.string())),
  }),
});
const scheduled = z.looseObject({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
});
/** A direct invocation (`aws lambda invoke --payload '{"sweep":true}'`): no bus, so no origin to check. */
const sweepRequest = z.looseObject({ sweep: z.literal(true) });

type Counts = {
  -readonly [K in
    | 'instances'
    | 'created'
    | 'updated'
    | 'deleted'
    | 'unchanged'
    | 'skipped'
    | 'failed']: number;
};

/** The Lambda handler for the given runbooks, configured by the stack's environment variables. */
export function handlerFor(
  runbooks: readonly Runbook[],
): (event: unknown, context?: Context) => Promise<KeeperReport> {
  return createAlarmKeeper(runbooks, keeperConfigFromEnv());
}

/** The keeper's handler, built once per container. */
export function createAlarmKeeper(
  runbooks: readonly Runbook[],
  config: KeeperConfig,
  deps: KeeperDependencies = {},
): (event: unknown, context?: Context) => Promise<KeeperReport> {
  const settings: KeeperSettings = {
    stackName: config.stackName,
    optInTag: config.optInTag,
    runbooks: keptRunbooks(runbooks, config.runbooks),
  };
  const logger = deps.logger ?? new Logger({ serviceName: 'ec2-auto-remediation' });
  const aws = new KeeperAws(
    deps.ec2 ?? defaultEc2Client,
    deps.cloudwatch ?? defaultCloudWatchClient,
    config,
    logger,
    deps,
  );
  let metrics = deps.metrics;

  return async (event: unknown, context?: Context): Promise<KeeperReport> => {
    if (context) logger.addContext(context);
    const counts: Counts = {
      instances: 0,
      created: 0,
      updated: 0,
      deleted: 0,
      unchanged: 0,
      skipped: 0,
      failed: 0,
    };
    const state = stateChange.safeParse(event);
    const tag = tagChange.safeParse(event);
    const schedule = scheduled.safeParse(event);
    const request = sweepRequest.safeParse(event);
    if (!state.success && !tag.success && !schedule.success && !request.success) {
      const reason = `not an instance state change, an opt-in tag change or a sweep: ${describeIssues(state.error)}`;
      logger.error('event rejected', { reason });
      return { outcome: 'rejected', reason, ...counts };
    }
    if (!request.success) {
      const foreign = foreignOrigin(event, config.origin);
      if (foreign) {
        metrics ??= new PowertoolsMetrics();
        refuseForeign(foreign, logger, metrics);
        return { outcome: 'rejected', reason: foreign, ...counts };
      }
    }
    const trigger = state.success ? 'state-change' : tag.success ? 'tag-change' : 'sweep';
    try {
      if (state.success || tag.success) {
        const instanceId = state.success
          ? state.data.detail['instance-id']
          : (tag.data?.resources[0]?.split('/').pop() ?? '');
        logger.info('instance changed', {
          instanceId,
          ...(state.success ? { state: state.data.detail.state } : { tagged: tag.data?.detail.tags }),
        });
        await reconcileInstance(instanceId, settings, aws, logger, counts);
      } else {
        await sweep(settings, aws, logger, counts);
      }
    } catch (error) {
      logger.error('alarm keeper failed; the next event or sweep tries again', { error });
      return {
        outcome: 'failed',
        reason: error instanceof Error ? error.message : String(error),
        trigger,
        ...counts,
      };
    }
    logger.info('alarms kept', { trigger, ...counts });
    return { outcome: 'kept', trigger, ...counts };
  };
}

/**
 * One instance, level-triggered: its current state and tags come from DescribeInstances, not from
 * the event (events may arrive late or out of order). Its alarms are listed by the name prefix its
 * Name tag gives (or the runbook's prefix, for an instance EC2 no longer describes).
 */
async function reconcileInstance(
  instanceId: string,
  settings: KeeperSettings,
  aws: KeeperAws,
  logger: Logger,
  counts: Counts,
): Promise<void> {
  const described = await aws.describeInstance(instanceId);
  const instance: KeeperInstance = described ?? { instanceId, state: 'gone', tags: {} };
  const existing: ExistingAlarm[] = [];
  for (const runbook of settings.runbooks) {
    const prefix = described
      ? perInstanceAlarmName(runbook.name, {
          instanceId,
          ...(described.tags.Name ? { name: described.tags.Name } : {}),
        })
      : `${runbook.name}-`;
    existing.push(...(await aws.describeAlarms({ AlarmNamePrefix: prefix })));
  }
  const listed: MetricSeries[] = [];
  if (instance.state === 'running' && instance.tags[settings.optInTag.key] === settings.optInTag.value) {
    for (const runbook of settings.runbooks) listed.push(...(await aws.listSeries(runbook, instanceId)));
  }
  // Every alarm at a prefix of the instance's names counts as taken (another maker's too); the
  // instance's own are those on it. Prefixes of two runbooks may overlap: each alarm once.
  const taken = new Map(existing.map((alarm) => [alarm.name, alarm]));
  const mine = [...taken.values()].filter((alarm) => alarm.dimensions.InstanceId === instanceId);
  counts.instances += 1;
  await apply(planInstance(settings, instance, listed, mine, taken), settings, aws, logger, counts);
}

/**
 * The whole fleet: every running opted-in instance (DescribeInstances by tag), every metric alarm on
 * an instance (DescribeAlarms, paced), every series of the kept runbooks (ListMetrics, one listing
 * per runbook for the fleet). Adds what is missing, deletes this stack's orphans (instances gone,
 * stopped or untagged, runbooks no longer kept). One instance's failure does not stop the others.
 */
async function sweep(
  settings: KeeperSettings,
  aws: KeeperAws,
  logger: Logger,
  counts: Counts,
): Promise<void> {
  const instances = await aws.listOptedIn(settings.optInTag);
  const alarms = await aws.describeAlarms({});
  const taken = new Map(alarms.map((alarm) => [alarm.name, alarm]));
  const alarmsOf = groupBy(alarms, (alarm) => alarm.dimensions.InstanceId);
  const seriesOf = new Map<string, MetricSeries[]>();
  for (const runbook of settings.runbooks) {
    for (const series of await aws.listSeries(runbook)) {
      const id = series.dimensions.InstanceId as string;
      seriesOf.set(id, [...(seriesOf.get(id) ?? []), series]);
    }
  }
  const byId = new Map(instances.map((instance) => [instance.instanceId, instance]));
  const ids = new Set(byId.keys());
  for (const alarm of alarms) {
    const id = alarm.dimensions.InstanceId;
    if (id && describedAsKept(alarm, settings.stackName)) ids.add(id);
  }
  for (const id of ids) {
    const instance = byId.get(id) ?? { instanceId: id, state: 'gone', tags: {} };
    counts.instances += 1;
    try {
      const plan = planInstance(settings, instance, seriesOf.get(id) ?? [], alarmsOf.get(id) ?? [], taken);
      await apply(plan, settings, aws, logger, counts);
    } catch (error) {
      counts.failed += 1;
      logger.error('instance not reconciled; the next sweep tries again', { instanceId: id, error });
    }
  }
}

/** Carries out a plan: puts, and deletes in batches, each write after the managed-by check it needs. */
async function apply(
  plan: ReturnType<typeof planInstance>,
  settings: KeeperSettings,
  aws: KeeperAws,
  logger: Logger,
  counts: Counts,
): Promise<void> {
  counts.unchanged += plan.unchanged.length;
  const attempt = async (what: string, alarmName: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (error) {
      counts.failed += 1;
      logger.error(`alarm not ${what}; the next event or sweep tries again`, { alarmName, error });
    }
  };
  for (const alarm of plan.creates) {
    await attempt('created', alarm.name, async () => {
      await aws.put(alarm);
      counts.created += 1;
      logger.info('alarm created', {
        alarmName: alarm.name,
        runbook: alarm.runbook,
        instanceId: alarm.instanceId,
      });
    });
  }
  for (const { alarm, existing } of plan.updates) {
    await attempt('updated', alarm.name, async () => {
      if (!(await aws.managedByThisStack(existing.arn))) {
        counts.skipped += 1;
        logger.warn('alarm left alone: another maker owns its name', { alarmName: alarm.name });
        return;
      }
      await aws.put(alarm);
      counts.updated += 1;
      logger.info('alarm updated', {
        alarmName: alarm.name,
        runbook: alarm.runbook,
        instanceId: alarm.instanceId,
      });
    });
  }
  // Deleted in batches per runbook: a DeleteAlarms call fails whole when one name is denied, and the
  // stack may grant deletes per runbook prefix (an orphan of a runbook no longer kept, say).
  const deletable = new Map<string, string[]>();
  for (const alarm of plan.deletes) {
    await attempt('deleted', alarm.name, async () => {
      if (await aws.managedByThisStack(alarm.arn)) {
        const runbook = parseKeptDescription(alarm.description)?.runbook ?? '';
        deletable.set(runbook, [...(deletable.get(runbook) ?? []), alarm.name]);
      } else {
        counts.skipped += 1;
        logger.warn('alarm left alone: its managed-by tag is not this stack', {
          alarmName: alarm.name,
          stackName: settings.stackName,
        });
      }
    });
  }
  for (const names of deletable.values()) {
    for (let i = 0; i < names.length; i += DELETE_BATCH) {
      const batch = names.slice(i, i + DELETE_BATCH);
      try {
        await aws.delete(batch);
        counts.deleted += batch.length;
        logger.info('alarms deleted', { alarmNames: batch });
      } catch (error) {
        counts.failed += batch.length;
        logger.error('alarms not deleted; the next event or sweep tries again', { alarmNames: batch, error });
      }
    }
  }
}

/** The AWS calls the keeper makes, each retried when throttled; DescribeAlarms paced. */
class KeeperAws {
  private lastDescribe = Number.NEGATIVE_INFINITY;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly ec2: ClientSource<EC2Client>;
  private readonly cloudwatch: ClientSource<CloudWatchClient>;
  private readonly config: KeeperConfig;
  private readonly logger: Logger;

  constructor(
    ec2: ClientSource<EC2Client>,
    cloudwatch: ClientSource<CloudWatchClient>,
    config: KeeperConfig,
    logger: Logger,
    deps: KeeperDependencies,
  ) {
    this.ec2 = ec2;
    this.cloudwatch = cloudwatch;
    this.config = config;
    this.logger = logger;
    this.sleep = deps.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    this.random = deps.random ?? Math.random;
    this.now = deps.now ?? Date.now;
  }

  /** Runs a call, again after a full-jitter wait while AWS throttles it, at most MAX_ATTEMPTS times. */
  async retry<T>(operation: string, call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const name = (error as { name?: string }).name ?? '';
        if (!THROTTLED.has(name) || attempt >= MAX_ATTEMPTS) throw error;
        const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
        const wait = Math.max(1, Math.floor(this.random() * ceiling));
        this.logger.warn('throttled; retrying', { operation, attempt, waitMs: wait });
        await this.sleep(wait);
      }
    }
  }

  async describeInstance(instanceId: string): Promise<KeeperInstance | undefined> {
    const [{ DescribeInstancesCommand }, ec2] = await Promise.all([ec2Sdk(), clientOf(this.ec2)]);
    // By filter, not InstanceIds: an id EC2 no longer knows answers empty instead of failing.
    const output = await this.retry('DescribeInstances', () =>
      ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: [instanceId] }] })),
    );
    const found = (output.Reservations ?? [])
      .flatMap((r) => r.Instances ?? [])
      .find((i) => i.InstanceId === instanceId);
    return found ? toInstance(found) : undefined;
  }

  async listOptedIn(optInTag: KeeperConfig['optInTag']): Promise<KeeperInstance[]> {
    const [{ DescribeInstancesCommand }, ec2] = await Promise.all([ec2Sdk(), clientOf(this.ec2)]);
    const instances: KeeperInstance[] = [];
    let NextToken: string | undefined;
    do {
      const token = NextToken;
      const page = await this.retry('DescribeInstances', () =>
        ec2.send(
          new DescribeInstancesCommand({
            Filters: [
              { Name: `tag:${optInTag.key}`, Values: [optInTag.value] },
              { Name: 'instance-state-name', Values: ['running'] },
            ],
            MaxResults: 1000,
            ...(token ? { NextToken: token } : {}),
          }),
        ),
      );
      for (const reservation of page.Reservations ?? [])
        for (const instance of reservation.Instances ?? []) {
          const kept = toInstance(instance);
          if (kept) instances.push(kept);
        }
      NextToken = page.NextToken;
    } while (NextToken);
    return instances;
  }

  /** Metric alarms, every page, paced. */
  async describeAlarms(filter: { AlarmNamePrefix?: string }): Promise<ExistingAlarm[]> {
    const [{ DescribeAlarmsCommand }, client] = await Promise.all([
      cloudWatchSdk(),
      clientOf(this.cloudwatch),
    ]);
    const alarms: ExistingAlarm[] = [];
    let NextToken: string | undefined;
    for (let page = 0; ; page++) {
      if (page >= MAX_ALARM_PAGES)
        throw new Error(
          `more than ${MAX_ALARM_PAGES * 100} metric alarms: not reconciled on a partial listing`,
        );
      const token = NextToken;
      const output = await this.retry('DescribeAlarms', async () => {
        await this.pace();
        return client.send(
          new DescribeAlarmsCommand({
            ...filter,
            AlarmTypes: ['MetricAlarm'],
            MaxRecords: 100,
            ...(token ? { NextToken: token } : {}),
          }),
        );
      });
      for (const alarm of output.MetricAlarms ?? []) {
        const existing = toExisting(alarm);
        if (existing) alarms.push(existing);
      }
      NextToken = output.NextToken;
      if (!NextToken) return alarms;
    }
  }

  /** The series of a runbook's metric, of one instance or (no id) of every instance. */
  async listSeries(runbook: Runbook, instanceId?: string): Promise<MetricSeries[]> {
    const alarm = runbook.alarm;
    if (!alarm) return [];
    const [{ ListMetricsCommand }, client] = await Promise.all([cloudWatchSdk(), clientOf(this.cloudwatch)]);
    const series: MetricSeries[] = [];
    let NextToken: string | undefined;
    do {
      const token = NextToken;
      const output = await this.retry('ListMetrics', () =>
        client.send(
          new ListMetricsCommand({
            Namespace: alarm.namespace,
            MetricName: alarm.metricName,
            Dimensions: [
              instanceId ? { Name: 'InstanceId', Value: instanceId } : { Name: 'InstanceId' },
              ...Object.entries(alarm.dimensions).map(([Name, Value]) => ({ Name, Value })),
            ],
            ...(token ? { NextToken: token } : {}),
          }),
        ),
      );
      for (const metric of output.Metrics ?? []) {
        const dimensions = Object.fromEntries(
          (metric.Dimensions ?? []).flatMap((d) =>
            d.Name && d.Value !== undefined ? [[d.Name, d.Value]] : [],
          ),
        );
        if (!dimensions.InstanceId || (instanceId && dimensions.InstanceId !== instanceId)) continue;
        series.push({
          namespace: metric.Namespace ?? alarm.namespace,
          metricName: metric.MetricName ?? alarm.metricName,
          dimensions,
        });
      }
      NextToken = output.NextToken;
    } while (NextToken);
    return series;
  }

  /** Whether the alarm's managed-by tag names this stack: the check before any overwrite or delete. */
  async managedByThisStack(arn: string): Promise<boolean> {
    const [{ ListTagsForResourceCommand }, client] = await Promise.all([
      cloudWatchSdk(),
      clientOf(this.cloudwatch),
    ]);
    const output = await this.retry('ListTagsForResource', () =>
      client.send(new ListTagsForResourceCommand({ ResourceARN: arn })),
    );
    return (output.Tags ?? []).some(
      (tag) => tag.Key === MANAGED_BY_TAG && tag.Value === this.config.stackName,
    );
  }

  async put(alarm: DesiredAlarm): Promise<void> {
    const [{ PutMetricAlarmCommand }, client] = await Promise.all([
      cloudWatchSdk(),
      clientOf(this.cloudwatch),
    ]);
    await this.retry('PutMetricAlarm', () =>
      client.send(
        new PutMetricAlarmCommand({
          AlarmName: alarm.name,
          AlarmDescription: alarm.description,
          Namespace: alarm.namespace,
          MetricName: alarm.metricName,
          Dimensions: Object.entries(alarm.dimensions).map(([Name, Value]) => ({ Name, Value })),
          Statistic: alarm.statistic,
          Period: alarm.periodSeconds,
          EvaluationPeriods: alarm.evaluationPeriods,
          DatapointsToAlarm: alarm.datapointsToAlarm,
          Threshold: alarm.threshold,
          ComparisonOperator: alarm.comparison,
          TreatMissingData: alarm.treatMissingData,
          // No actions: the engine reacts to the alarm's state changes on EventBridge.
          // Tags apply when the alarm is created; CloudWatch ignores them on an update.
          Tags: Object.entries(alarm.tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      ),
    );
  }

  async delete(names: readonly string[]): Promise<void> {
    const [{ DeleteAlarmsCommand }, client] = await Promise.all([cloudWatchSdk(), clientOf(this.cloudwatch)]);
    await this.retry('DeleteAlarms', () => client.send(new DeleteAlarmsCommand({ AlarmNames: [...names] })));
  }

  /** Waits until DESCRIBE_INTERVAL_MS have passed since this container's last DescribeAlarms. */
  private async pace(): Promise<void> {
    const wait = this.lastDescribe + DESCRIBE_INTERVAL_MS - this.now();
    if (wait > 0) await this.sleep(wait);
    this.lastDescribe = this.now();
  }
}

function toInstance(instance: {
  InstanceId?: string | undefined;
  State?: { Name?: string | undefined } | undefined;
  Tags?: { Key?: string | undefined; Value?: string | undefined }[] | undefined;
}): KeeperInstance | undefined {
  if (!instance.InstanceId) return undefined;
  return {
    instanceId: instance.InstanceId,
    state: instance.State?.Name ?? 'unknown',
    tags: Object.fromEntries(
      (instance.Tags ?? []).flatMap((t) => (t.Key && t.Value !== undefined ? [[t.Key, t.Value]] : [])),
    ),
  };
}

/** A metric alarm as the plan compares it (one on no instance too: its name is taken). */
export function toExisting(alarm: MetricAlarm): ExistingAlarm | undefined {
  const dimensions = Object.fromEntries(
    (alarm.Dimensions ?? []).flatMap((d) => (d.Name && d.Value !== undefined ? [[d.Name, d.Value]] : [])),
  );
  if (!alarm.AlarmName || !alarm.AlarmArn) return undefined;
  const nonEmpty = (actions: string[] | undefined) => (actions?.length ?? 0) > 0;
  return {
    name: alarm.AlarmName,
    arn: alarm.AlarmArn,
    namespace: alarm.Namespace ?? '',
    metricName: alarm.MetricName ?? '',
    dimensions,
    ...(alarm.Statistic ? { statistic: alarm.Statistic as AlarmStatistic } : {}),
    periodSeconds: alarm.Period ?? 0,
    evaluationPeriods: alarm.EvaluationPeriods ?? 0,
    datapointsToAlarm: alarm.DatapointsToAlarm ?? alarm.EvaluationPeriods ?? 0,
    threshold: alarm.Threshold ?? Number.NaN,
    comparison: (alarm.ComparisonOperator ?? '') as ComparisonOperator,
    treatMissingData: (alarm.TreatMissingData ?? 'missing') as TreatMissingData,
    description: alarm.AlarmDescription ?? '',
    hasActions:
      nonEmpty(alarm.AlarmActions) || nonEmpty(alarm.OKActions) || nonEmpty(alarm.InsufficientDataActions),
    usesMetrics: (alarm.Metrics?.length ?? 0) > 0,
  };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string | undefined): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === undefined) continue;
    groups.set(k, [...(groups.get(k) ?? []), item]);
  }
  return groups;
}

/** A comma-separated list, without blanks. */
function list(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
