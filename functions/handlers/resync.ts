// The resync reads alarms (CloudWatch), and the gates it decides with read opt-in tags (EC2): both
// clients load with the function. See adapters/aws/sdk-modules.ts.
import '@aws-sdk/client-cloudwatch';
import '@aws-sdk/client-ec2';
import { createResyncHandler } from './resync-handler.ts';
import { runtimeFromEnv } from './runtime.ts';

/** Lambda entry point; the runtime (SDK clients, adapters) is built once per container. */
export const handler = createResyncHandler(runtimeFromEnv());
