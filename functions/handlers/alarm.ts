// Every ALARM reads the instance's opt-in tag from EC2: its client loads with the function (the
// adapters import it on first use, which then finds it loaded). See adapters/aws/sdk-modules.ts.
import '@aws-sdk/client-ec2';
import { createAlarmHandler } from './alarm-handler.ts';
import { runtimeFromEnv } from './runtime.ts';

/** Lambda entry point; the runtime (SDK clients, adapters) is built once per container. */
export const handler = createAlarmHandler(runtimeFromEnv());
