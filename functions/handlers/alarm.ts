// Every ALARM reads the instance's opt-in tag from EC2: its client loads with the function (the
// adapters import it on first use, which then finds it loaded). See adapters/aws/sdk-modules.ts.
import '@aws-sdk/client-ec2';
import type { Runbook } from '../core/runbook.ts';
import { createAlarmHandler } from './alarm-handler.ts';
import { runtimeFromEnv } from './runtime.ts';

/**
 * The Lambda handler for the given runbooks; the runtime (SDK clients, adapters) is built once per
 * container. The stack's generated entry calls it with exactly the runbooks it deploys.
 */
export function handlerFor(runbooks: readonly Runbook[]): ReturnType<typeof createAlarmHandler> {
  return createAlarmHandler(runtimeFromEnv(runbooks));
}
