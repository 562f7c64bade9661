import type { EC2Client } from '@aws-sdk/client-ec2';
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

/**
 * Reads the opt-in tag, and in the same DescribeTags call the allow-list tags the runbooks read,
 * remembered for a minute per instance (a storm asks once).
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
    const [{ DescribeTagsCommand }, ec2] = await Promise.all([ec2Sdk(), clientOf(this.ec2)]);
    const { Tags = [] } = await ec2.send(
      new DescribeTagsCommand({
        Filters: [
          { Name: 'resource-id', Values: [instanceId] },
          { Name: 'key', Values: [this.tagKey, ...this.allowLists] },
        ],
      }),
    );
    // Only the asked keys of this instance count, whatever else an answer may hold.
    const mine = Tags.filter((tag) => tag.ResourceId === undefined || tag.ResourceId === instanceId);
    const tags: Record<string, string> = {};
    for (const tag of mine) {
      if (tag.Key && this.allowLists.includes(tag.Key)) tags[tag.Key] = tag.Value ?? '';
    }
    const optIn: OptIn = {
      instanceId,
      tagKey: this.tagKey,
      tagValue: this.tagValue,
      tagged: mine.some((tag) => tag.Key === this.tagKey && tag.Value === this.tagValue),
      tags,
    };
    this.cache.set(instanceId, { optIn, at: this.now() });
    return optIn;
  }
}
