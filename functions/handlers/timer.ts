// Retries read opt-in tags (EC2) and verify deadlines read the alarm (CloudWatch): both clients load
// with the function. See adapters/aws/sdk-modules.ts.
import '@aws-sdk/client-cloudwatch';
import '@aws-sdk/client-ec2';
import { runtimeFromEnv } from './runtime.ts';
import { createTimerHandler } from './timer-handler.ts';

/** Lambda entry point; the runtime (SDK clients, adapters) is built once per container. */
export const handler = createTimerHandler(runtimeFromEnv());
