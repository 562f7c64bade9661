// Retries read opt-in tags (EC2) and verify deadlines read the alarm (CloudWatch): both clients load
// with the function. See adapters/aws/sdk-modules.ts.
import '@aws-sdk/client-cloudwatch';
import '@aws-sdk/client-ec2';
import type { Runbook } from '../core/runbook.ts';
import { runtimeFromEnv } from './runtime.ts';
import { createTimerHandler } from './timer-handler.ts';

/** The Lambda handler for the given runbooks (see alarm.ts). */
export function handlerFor(runbooks: readonly Runbook[]): ReturnType<typeof createTimerHandler> {
  return createTimerHandler(runtimeFromEnv(runbooks));
}
