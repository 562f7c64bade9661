import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { EC2Client } from '@aws-sdk/client-ec2';

/**
 * The EC2 and CloudWatch clients are the largest the functions use, and not every function calls
 * them: the command-status function never does, the alarm function never reads CloudWatch. Their SDK
 * modules are therefore imported when first needed, and the entry points of the functions that call
 * them import them statically (which loads them with the rest of the function, faster than a dynamic
 * import after start-up), so that each function loads only the clients it calls.
 */

/** A value made once, on first use. */
export function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => {
    made ??= make();
    return made;
  };
}

export const ec2Sdk = once(() => import('@aws-sdk/client-ec2'));
export const cloudWatchSdk = once(() => import('@aws-sdk/client-cloudwatch'));

/** A client, or how to make it on first use. */
export type ClientSource<T> = T | (() => Promise<T>);

export async function clientOf<T extends object>(source: ClientSource<T>): Promise<T> {
  return typeof source === 'function' ? (source as () => Promise<T>)() : source;
}

/** The default clients, made on first use. */
export const defaultEc2Client = once<EC2Client>(async () => new (await ec2Sdk()).EC2Client({}));
export const defaultCloudWatchClient = once<CloudWatchClient>(
  async () => new (await cloudWatchSdk()).CloudWatchClient({}),
);
