import type { EC2Client } from '@aws-sdk/client-ec2';
import type { OptIn } from '../../core/gates.ts';
import type { OptInReader } from '../../core/ports.ts';
import { type ClientSource, clientOf, ec2Sdk } from './sdk-modules.ts';

/** How long an instance's opt-in is remembered by a warm function. */
export const OPT_IN_CACHE_MS = 60_000;

/** Reads the opt-in tag with DescribeTags, remembered for a minute per instance (a storm asks once). */
export class Ec2OptInReader implements OptInReader {
  private readonly ec2: ClientSource<EC2Client>;
  private readonly tagKey: string;
  private readonly tagValue: string;
  private readonly now: () => number;
  private readonly cache = new Map<string, { optIn: OptIn; at: number }>();

  constructor(
    ec2: ClientSource<EC2Client>,
    tag: { key: string; value: string },
    now: () => number = Date.now,
  ) {
    this.ec2 = ec2;
    this.tagKey = tag.key;
    this.tagValue = tag.value;
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
          { Name: 'key', Values: [this.tagKey] },
        ],
      }),
    );
    const optIn: OptIn = {
      instanceId,
      tagKey: this.tagKey,
      tagValue: this.tagValue,
      tagged: Tags.some((tag) => tag.Key === this.tagKey && tag.Value === this.tagValue),
    };
    this.cache.set(instanceId, { optIn, at: this.now() });
    return optIn;
  }
}
