import { cloudWatchSdk, ec2Sdk } from '../adapters/aws/sdk-modules.ts';
import { runtimeFromEnv } from './runtime.ts';
import { createTimerHandler } from './timer-handler.ts';

// Retries read opt-in tags (EC2) and verify deadlines read the alarm (CloudWatch): load both during start-up.
await Promise.all([ec2Sdk(), cloudWatchSdk()]);

/** Lambda entry point; the runtime (SDK clients, adapters) is built once per container. */
export const handler = createTimerHandler(runtimeFromEnv());
