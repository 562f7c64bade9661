// An approval, a retry or a run reads the instance's opt-in tag from EC2: its client loads with the
// function. See adapters/aws/sdk-modules.ts.
import '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { eventBridgeResyncRequest } from '../adapters/aws/eventbridge-resync-request.ts';
import type { Runbook } from '../core/runbook.ts';
import { Announcements } from './announcements.ts';
import { createOperatorLambda } from './operator-handler.ts';
import { runtimeFromEnv } from './runtime.ts';

/**
 * The Lambda handler of the operator function for the given runbooks (see alarm.ts): invoked by the
 * CLI and by chat buttons, authenticated by IAM (lambda:InvokeFunction on this function).
 */
export function handlerFor(runbooks: readonly Runbook[]): ReturnType<typeof createOperatorLambda> {
  // Its own name, for the commands its announcements print: Lambda sets it; the stack cannot (a
  // function's environment cannot refer to the function).
  const name = process.env.OPERATOR_FUNCTION_NAME ?? process.env.AWS_LAMBDA_FUNCTION_NAME;
  const runtime = runtimeFromEnv(
    runbooks,
    name ? { ...process.env, OPERATOR_FUNCTION_NAME: name } : process.env,
  );
  return createOperatorLambda(runtime, {
    requestResync: eventBridgeResyncRequest(new EventBridgeClient({})),
    announcements: new Announcements(runtime),
  });
}
