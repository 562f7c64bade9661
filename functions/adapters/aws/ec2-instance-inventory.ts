import type { EC2Client } from '@aws-sdk/client-ec2';
import type { InstanceFacts } from '../../core/fleet.ts';
import type { InstanceInventory } from '../../core/ports.ts';
import { type ClientSource, clientOf, ec2Sdk } from './sdk-modules.ts';

/** DescribeInstances takes at most this many ids per call when filtering by id. */
const IDS_PER_CALL = 200;
/** A group page describes at most this many instances (the rest are listed by id only). */
export const MAX_DESCRIBED = 1000;

/** Availability zone, type, AMI and tags of instances, from DescribeInstances. */
export class Ec2InstanceInventory implements InstanceInventory {
  private readonly ec2: ClientSource<EC2Client>;

  constructor(ec2: ClientSource<EC2Client>) {
    this.ec2 = ec2;
  }

  async describe(instanceIds: readonly string[]): Promise<InstanceFacts[]> {
    const ids = [...new Set(instanceIds)].slice(0, MAX_DESCRIBED);
    const [{ DescribeInstancesCommand }, ec2] = await Promise.all([ec2Sdk(), clientOf(this.ec2)]);
    const batches: string[][] = [];
    for (let i = 0; i < ids.length; i += IDS_PER_CALL) batches.push(ids.slice(i, i + IDS_PER_CALL));
    const described = await Promise.all(
      batches.map(async (batch) => {
        const facts: InstanceFacts[] = [];
        let NextToken: string | undefined;
        do {
          // Filtering by instance-id (not InstanceIds) so that one terminated id does not fail the batch.
          const page = await ec2.send(
            new DescribeInstancesCommand({
              Filters: [{ Name: 'instance-id', Values: batch }],
              ...(NextToken ? { NextToken } : {}),
            }),
          );
          for (const reservation of page.Reservations ?? []) {
            for (const instance of reservation.Instances ?? []) {
              if (!instance.InstanceId) continue;
              facts.push({
                instanceId: instance.InstanceId,
                ...(instance.Placement?.AvailabilityZone
                  ? { availabilityZone: instance.Placement.AvailabilityZone }
                  : {}),
                ...(instance.InstanceType ? { instanceType: instance.InstanceType } : {}),
                ...(instance.ImageId ? { imageId: instance.ImageId } : {}),
                tags: Object.fromEntries(
                  (instance.Tags ?? []).flatMap((t) =>
                    t.Key && t.Value !== undefined ? [[t.Key, t.Value]] : [],
                  ),
                ),
              });
            }
          }
          NextToken = page.NextToken;
        } while (NextToken);
        return facts;
      }),
    );
    return described.flat();
  }
}
