import {
  type CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  type DescribeAlarmsCommandInput,
  ListMetricsCommand,
  type ListMetricsCommandInput,
  ListTagsForResourceCommand,
  type MetricAlarm,
  PutMetricAlarmCommand,
  type PutMetricAlarmCommandInput,
  type Tag,
} from '@aws-sdk/client-cloudwatch';
import {
  DescribeInstancesCommand,
  type DescribeInstancesCommandInput,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import type { MetricSeries } from '../../functions/core/alarm-keeper.ts';

/**
 * An account in memory, as the alarm keeper sees it through EC2 and CloudWatch: instances with their
 * tags, metric series (what ListMetrics lists), metric alarms with their tags. `install` answers the
 * keeper's calls from it on aws-sdk-client-mock stubs. Shared by the keeper's unit tests (pages of two,
 * so that every listing is paginated) and `bench/provisioning.ts` (AWS's page sizes, fleets of
 * 10,000 instances: every lookup is indexed).
 */

/** Items per page of each listing. */
export interface PageSizes {
  readonly describeInstances: number;
  readonly describeAlarms: number;
  readonly listMetrics: number;
}
/** Every listing in pages of two: the unit tests' default. */
export const TINY_PAGES: PageSizes = { describeInstances: 2, describeAlarms: 2, listMetrics: 2 };
/** AWS's: DescribeInstances up to 1,000 (MaxResults), DescribeAlarms 100 (MaxRecords), ListMetrics 500. */
export const AWS_PAGES: PageSizes = { describeInstances: 1000, describeAlarms: 100, listMetrics: 500 };

export interface FakeInstance {
  state: string;
  tags: Record<string, string>;
}
export interface StoredAlarm {
  alarm: MetricAlarm;
  tags: Tag[];
}

/** Alarms by name, with the names kept sorted for prefix listings (as DescribeAlarms orders them). */
export class AlarmStore extends Map<string, StoredAlarm> {
  private sorted: string[] | undefined;

  override set(name: string, alarm: StoredAlarm): this {
    if (this.sorted && !this.has(name)) this.sorted.splice(lowerBound(this.sorted, name), 0, name);
    return super.set(name, alarm);
  }

  override delete(name: string): boolean {
    if (this.sorted && this.has(name)) this.sorted.splice(lowerBound(this.sorted, name), 1);
    return super.delete(name);
  }

  override clear(): void {
    this.sorted = undefined;
    super.clear();
  }

  /** The names starting with the prefix, sorted. */
  namesFrom(prefix: string): readonly string[] {
    this.sorted ??= [...this.keys()].sort();
    const sorted = this.sorted;
    const start = lowerBound(sorted, prefix);
    let end = start;
    if (prefix === '') end = sorted.length;
    else while (end < sorted.length && (sorted[end] as string).startsWith(prefix)) end++;
    return sorted.slice(start, end);
  }
}

/** Metric series, indexed by metric and by instance; `push` as on an array. */
export class MetricStore {
  private readonly byMetric = new Map<string, MetricSeries[]>();
  private readonly byInstance = new Map<string, Map<string, MetricSeries[]>>();
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(...series: MetricSeries[]): number {
    for (const s of series) {
      const key = metricKey(s.namespace, s.metricName);
      append(this.byMetric, key, s);
      const id = s.dimensions.InstanceId;
      if (id !== undefined) {
        const of = this.byInstance.get(id) ?? new Map<string, MetricSeries[]>();
        append(of, key, s);
        this.byInstance.set(id, of);
      }
      this.count++;
    }
    return this.count;
  }

  /** The series of a metric, those of one instance when it is given. */
  of(namespace: string, metricName: string, instanceId?: string): readonly MetricSeries[] {
    const key = metricKey(namespace, metricName);
    if (instanceId === undefined) return this.byMetric.get(key) ?? [];
    return this.byInstance.get(instanceId)?.get(key) ?? [];
  }
}

export interface FakeAccountOptions {
  readonly account?: string;
  readonly region?: string;
  readonly pages?: PageSizes;
}

export class FakeAccount {
  readonly instances = new Map<string, FakeInstance>();
  readonly metrics = new MetricStore();
  readonly alarms = new AlarmStore();
  readonly account: string;
  readonly region: string;
  private readonly pages: PageSizes;

  constructor(options: FakeAccountOptions = {}) {
    this.account = options.account ?? '123456789012';
    this.region = options.region ?? 'eu-west-1';
    this.pages = options.pages ?? TINY_PAGES;
  }

  arn(name: string): string {
    return `arn:aws:cloudwatch:${this.region}:${this.account}:alarm:${name}`;
  }

  /** Answers the keeper's EC2 and CloudWatch calls from this account. */
  install(ec2: AwsClientStub<EC2Client>, cloudwatch: AwsClientStub<CloudWatchClient>): void {
    ec2
      .on(DescribeInstancesCommand)
      .callsFake((input: DescribeInstancesCommandInput) => this.describeInstances(input));
    cloudwatch
      .on(DescribeAlarmsCommand)
      .callsFake((input: DescribeAlarmsCommandInput) => this.describeAlarms(input));
    cloudwatch.on(ListMetricsCommand).callsFake((input: ListMetricsCommandInput) => this.listMetrics(input));
    cloudwatch
      .on(PutMetricAlarmCommand)
      .callsFake((input: PutMetricAlarmCommandInput) => this.putMetricAlarm(input));
    cloudwatch.on(DeleteAlarmsCommand).callsFake((input: { AlarmNames?: string[] }) => {
      for (const name of input.AlarmNames ?? []) this.alarms.delete(name);
      return {};
    });
    cloudwatch.on(ListTagsForResourceCommand).callsFake((input: { ResourceARN?: string }) => {
      const arn = input.ResourceARN ?? '';
      const found = this.alarms.get(arn.slice(arn.indexOf(':alarm:') + ':alarm:'.length));
      return { Tags: found?.alarm.AlarmArn === arn ? found.tags : [] };
    });
  }

  /** DescribeInstances by the filters the keeper uses (an instance id, the opt-in tag, the state). */
  describeInstances = (input: DescribeInstancesCommandInput) => {
    const filters = input.Filters ?? [];
    const byId = filters.find((f) => f.Name === 'instance-id');
    const candidates: [string, FakeInstance][] = byId
      ? (byId.Values ?? []).flatMap((id) => {
          const found = this.instances.get(id);
          return found ? [[id, found] as [string, FakeInstance]] : [];
        })
      : [...this.instances.entries()];
    const matches = candidates.filter(([id, instance]) =>
      filters.every((filter) => {
        if (filter.Name === 'instance-id') return filter.Values?.includes(id);
        if (filter.Name === 'instance-state-name') return filter.Values?.includes(instance.state);
        if (filter.Name?.startsWith('tag:'))
          return filter.Values?.includes(instance.tags[filter.Name.slice(4)] ?? '\u0000');
        throw new Error(`unexpected filter ${filter.Name}`);
      }),
    );
    const size = Math.min(this.pages.describeInstances, input.MaxResults ?? Number.POSITIVE_INFINITY);
    const { items, next } = page(matches, input.NextToken, size);
    return {
      Reservations: items.map(([id, instance]) => ({
        Instances: [
          {
            InstanceId: id,
            State: { Name: instance.state as 'running' },
            Tags: Object.entries(instance.tags).map(([Key, Value]) => ({ Key, Value })),
          },
        ],
      })),
      ...(next ? { NextToken: next } : {}),
    };
  };

  describeAlarms(input: DescribeAlarmsCommandInput) {
    const names = this.alarms.namesFrom(input.AlarmNamePrefix ?? '');
    const size = Math.min(this.pages.describeAlarms, input.MaxRecords ?? Number.POSITIVE_INFINITY);
    const { items, next } = page(names, input.NextToken, size);
    return {
      MetricAlarms: items.map((name) => (this.alarms.get(name) as StoredAlarm).alarm),
      ...(next ? { NextToken: next } : {}),
    };
  }

  /** ListMetrics: the series having every dimension named (with its value, when one is given). */
  listMetrics(input: ListMetricsCommandInput) {
    const dimensions = input.Dimensions ?? [];
    const instanceId = dimensions.find((d) => d.Name === 'InstanceId')?.Value;
    const found = this.metrics
      .of(input.Namespace ?? '', input.MetricName ?? '', instanceId)
      .filter((m) =>
        dimensions.every(
          (d) =>
            m.dimensions[d.Name ?? ''] !== undefined &&
            (d.Value === undefined || m.dimensions[d.Name ?? ''] === d.Value),
        ),
      );
    const { items, next } = page(found, input.NextToken, this.pages.listMetrics);
    return {
      Metrics: items.map((m) => ({
        Namespace: m.namespace,
        MetricName: m.metricName,
        Dimensions: Object.entries(m.dimensions).map(([Name, Value]) => ({ Name, Value })),
      })),
      ...(next ? { NextToken: next } : {}),
    };
  }

  putMetricAlarm(input: PutMetricAlarmCommandInput) {
    const name = input.AlarmName as string;
    const before = this.alarms.get(name);
    const { Tags, ...rest } = input;
    // Tags apply on creation only (PutMetricAlarm ignores them on an update).
    this.alarms.set(name, {
      alarm: { ...rest, AlarmArn: this.arn(name) } as MetricAlarm,
      tags: before?.tags ?? Tags ?? [],
    });
    return {};
  }
}

function append<T>(map: Map<string, T[]>, key: string, item: T): void {
  const list = map.get(key);
  if (list) list.push(item);
  else map.set(key, [item]);
}

function metricKey(namespace: string, metricName: string): string {
  return `${namespace}\u0000${metricName}`;
}

/** One page of a listing; the token is the offset of the next page. */
function page<T>(
  items: readonly T[],
  token: string | undefined,
  size: number,
): { items: T[]; next?: string } {
  const start = token ? Number(token) : 0;
  const next = start + size < items.length ? String(start + size) : undefined;
  return { items: items.slice(start, start + size), ...(next ? { next } : {}) };
}

/** The first index whose name is not before `name`. */
function lowerBound(sorted: readonly string[], name: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as string) < name) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
