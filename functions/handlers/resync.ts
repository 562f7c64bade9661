// The resync reads alarms (CloudWatch), and the gates it decides with read opt-in tags (EC2): both
// clients load with the function. See adapters/aws/sdk-modules.ts.
import '@aws-sdk/client-cloudwatch';
import '@aws-sdk/client-ec2';
import type { Runbook } from '../core/runbook.ts';
import { createResyncHandler } from './resync-handler.ts';
import { runtimeFromEnv } from './runtime.ts';

/** The Lambda handler for the given runbooks (see alarm.ts). */
export function handlerFor(runbooks: readonly Runbook[]): ReturnType<typeof createResyncHandler> {
  return createResyncHandler(runtimeFromEnv(runbooks));
}
