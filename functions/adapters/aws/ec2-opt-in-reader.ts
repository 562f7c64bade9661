import type { EC2Client, Instance } from '@aws-sdk/client-ec2';
import type { OptIn } from '../../core/gates.ts';
import type { OptInReader } from '../../core/ports.ts';
import { type ClientSource, clientOf, ec2Sdk } from './sdk-modules.ts';

/** How long an instance's opt-in is remembered by a warm function. */
export const OPT_IN_CACHE_MS = 60_000;

/** The tags the reader asks EC2 for: the opt-in tag, and the allow-list tags the runbooks read. */
export interface InstanceTagKeys {
  readonly key: string;
  readonly value: string;
  /** The `allowedByInstanceTag` keys of the deployed runbooks. @default - none */
  readonly allowLists?: readonly string[];
}

/** The errors EC2 answers for an instance id it does not know. */
const UNKNOWN_INSTANCE = new Set(['InvalidInstanceID.NotFound', 'InvalidInstanceID.Malformed']);

/**
 * Reads the opt-in tag, and in the same DescribeInstances call the allow-list tags the runbooks read
 * and the instance's launch time (for the settle time), remembered for a minute per instance (a
 * storm asks once). An instance EC2 does not know carries no tag, as DescribeTags used to say: it is
 * not opted in. That answer is not remembered, since EC2 may simply not list a new instance yet.
 */
export class Ec2OptInReader implements OptInReader {
  private readonly ec2: ClientSource<EC2Client>;
  private readonly tagKey: string;
  private readonly tagValue: string;
  private readonly allowLists: readonly string[];
  private readonly now: () => number;
  private readonly cache = new Map<string, { optIn: OptIn; at: number }>();

  constructor(ec2: ClientSource<EC2Client>, tags: InstanceTagKeys, now: () => number = Date.now) {
    this.ec2 = ec2;
    this.tagKey = tags.key;
    this.tagValue = tags.value;
    this.allowLists = [...new Set(tags.allowLists ?? [])].filter((key) => key !== tags.key);
    this.now = now;
  }

  async optIn(instanceId: string): Promise<OptIn> {
    const cached = this.cache.get(instanceId);
    if (cached && this.now() - cached.at < OPT_IN_CACHE_MS) return cached.optIn;
    const [{ DescribeInstancesCommand }, ec2] = await Promise.all([ec2Sdk(), clientOf(this.ec2)]);
    let instance: Instance | undefined;
    try {
      const { Reservations = [] } = await ec2.send(
        new DescribeInstancesCommand({ InstanceIds: [instanceId] }),
      );
      // Only this instance counts, whatever else an answer may hold.
      instance = Reservations.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
    } catch (error) {
      if (!UNKNOWN_INSTANCE.has((error as { name?: string }).name ?? '')) throw error;
      return this.answer(instanceId, undefined);
    }
    const optIn = this.answer(instanceId, instance);
    this.cache.set(instanceId, { optIn, at: this.now() });
    return optIn;
  }

  /** The opt-in of an instance as described (undefined: EC2 does not know it). */
  private answer(instanceId: string, instance: Instance | undefined): OptIn {
    const mine = instance?.Tags ?? [];
    const tags: Record<string, string> = {};
    for (const tag of mine) {
      if (tag.Key && this.allowLists.includes(tag.Key)) tags[tag.Key] = tag.Value ?? '';
    }
    const launchedAt = instance?.LaunchTime ? new Date(instance.LaunchTime).getTime() : Number.NaN;
    // For the humans reading a page: which host this is, and where.
    const name = mine.find((tag) => tag.Key === 'Name')?.Value;
    const zone = instance?.Placement?.AvailabilityZone;
    return {
      instanceId,
      tagKey: this.tagKey,
      tagValue: this.tagValue,
      tagged: mine.some((tag) => tag.Key === this.tagKey && tag.Value === this.tagValue),
      tags,
      ...(Number.isFinite(launchedAt) ? { launchedAt } : {}),
      ...(name ? { name } : {}),
      ...(zone ? { zone } : {}),
    };
  }
}
