import { createSandbox, type Sandbox } from '../sandbox.ts';

/** A simulated EC2 instance: a sandbox with the attributes EC2 would report. */
export interface FleetInstance {
  readonly name: string;
  readonly instanceId: string;
  readonly availabilityZone: string;
  readonly instanceType: string;
  readonly imageId: string;
  /** Its EC2 tags: the opt-in tag, and the allow-lists of what automation may restart or end there. */
  readonly tags: Readonly<Record<string, string>>;
  readonly sandbox: Sandbox;
}

/**
 * The tags a platform team puts on each game-day instance: opted in, the service `app` may be
 * restarted (service-down, memory-leak), and the process `report-worker` ended (runaway-cpu).
 */
export const GAME_DAY_INSTANCE_TAGS: Readonly<Record<string, string>> = {
  AutoRemediation: 'enabled',
  'AutoRemediation:services': 'app',
  'AutoRemediation:processes': 'report-worker',
};

const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];

/** The id of the n-th instance (1-based), in EC2's format (`i-` and 17 hex digits). */
export function gameDayInstanceId(n: number): string {
  return `i-0da${n.toString(16).padStart(14, '0')}`;
}

/**
 * Starts `count` sandboxed instances, `web-1` to `web-N`, spread over three zones, all of one type,
 * AMI and tags (as an Auto Scaling group would launch them).
 */
export async function createFleet(
  count: number,
  tags: Readonly<Record<string, string>> = GAME_DAY_INSTANCE_TAGS,
): Promise<FleetInstance[]> {
  const created = await Promise.allSettled(
    Array.from({ length: count }, (_, i) => createSandbox({ name: `gameday-web-${i + 1}`, diskSizeMiB: 64 })),
  );
  const failed = created.find((c) => c.status === 'rejected');
  if (failed) {
    await Promise.all(created.map((c) => (c.status === 'fulfilled' ? c.value.destroy() : undefined)));
    throw (failed as PromiseRejectedResult).reason;
  }
  return created.map((c, i) => ({
    name: `web-${i + 1}`,
    instanceId: gameDayInstanceId(i + 1),
    availabilityZone: ZONES[i % ZONES.length] as string,
    instanceType: 'm6i.large',
    imageId: 'ami-0abcdef0000000001',
    tags: { Name: `web-${i + 1}`, ...tags },
    sandbox: (c as PromiseFulfilledResult<Sandbox>).value,
  }));
}

/** Stops every sandbox of the fleet. */
export async function destroyFleet(fleet: readonly FleetInstance[]): Promise<void> {
  await Promise.allSettled(fleet.map((i) => i.sandbox.destroy()));
}
