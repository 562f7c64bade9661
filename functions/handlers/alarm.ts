import { ec2Sdk } from '../adapters/aws/sdk-modules.ts';
import { createAlarmHandler } from './alarm-handler.ts';
import { runtimeFromEnv } from './runtime.ts';

// Every ALARM reads the instance's opt-in tag from EC2: load that client during start-up.
await ec2Sdk();

/** Lambda entry point; the runtime (SDK clients, adapters) is built once per container. */
export const handler = createAlarmHandler(runtimeFromEnv());
