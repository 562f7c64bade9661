import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { INSTANCE_ID } from '../core/alarm.ts';
import { FINAL_INVOCATION_STATUSES } from '../core/event-patterns.ts';
import { keyOfIncidentId } from '../core/identity.ts';
import { isIncident } from '../core/incident.ts';
import type { HandlerResult } from './alarm-handler.ts';
import { acceptOrigin } from './middleware/accept-origin.ts';
import { flushMetrics } from './middleware/flush-metrics.ts';
import { parseEvent } from './middleware/parse-event.ts';
import type { Runtime } from './runtime.ts';
import { type CommandInvocationEvent, commandInvocationEvent } from './schemas.ts';

const FINAL: ReadonlySet<string> = new Set(FINAL_INVOCATION_STATUSES);

/**
 * Handles "EC2 Command Invocation Status-change Notification": reads the invocation's result from
 * SSM and hands it to the incident's decision. These events are best effort; the timer reconciles
 * whatever does not arrive.
 */
export async function handleCommandStatus(
  event: CommandInvocationEvent,
  runtime: Runtime,
): Promise<HandlerResult> {
  const { logger } = runtime;
  const {
    'command-id': commandId,
    'document-name': documentName,
    'instance-id': instanceId,
    status,
  } = event.detail;
  logger.appendKeys({ commandId, instanceId });
  if (!FINAL.has(status)) return ignored(runtime, `status ${status} is not final`);
  if (!INSTANCE_ID.test(instanceId)) return ignored(runtime, 'instance-id is not an EC2 instance id');
  // Every runbook has a document of its own; the command's Comment names the incident it was sent for.
  const runbook = runtime.runbooks.byDocument(documentName);
  if (!runbook) return ignored(runtime, 'the command belongs to no runbook of this deployment');
  const observed = await runtime.commands.observe(commandId, instanceId);
  const comment =
    observed.kind === 'not-found'
      ? undefined
      : observed.kind === 'finished'
        ? observed.result.comment
        : observed.comment;
  const key = comment ? keyOfIncidentId(comment, runbook.name) : undefined;
  if (!key || key.target !== instanceId) {
    // SSM lags behind its own event, or the command is not one of ours: the attempt's own check asks SSM.
    return ignored(
      runtime,
      comment
        ? 'the command names no incident of this deployment'
        : "SSM does not know the command yet; the attempt's check will ask it",
    );
  }
  // The incident is stored by alarm and instance: the runbook is the one it was opened with, never
  // the one an event's document name claims (a forged or foreign event would otherwise decide the
  // incident with another runbook's actions and document).
  const current = await runtime.store.load(key);
  if (isIncident(current) && current.key.runbook !== runbook.name)
    return ignored(
      runtime,
      `the event names the document of runbook ${runbook.name}, but the command belongs to an incident of runbook ${current.key.runbook}`,
    );
  // SSM is eventually consistent: when it lags behind its own event, the event's status stands alone.
  const result = observed.kind === 'finished' ? observed.result : { status, comment };
  logger.info('command finished', { status: result.status, responseCode: result.responseCode });
  const outcome = await runtime.processor.process(
    key,
    runbook,
    { kind: 'command-finished', commandId, result },
    isIncident(current) ? current : undefined,
  );
  return {
    outcome: outcome.changed ? 'processed' : 'absorbed',
    ...(outcome.reason ? { reason: outcome.reason } : {}),
    ...(outcome.incident ? { incidentId: outcome.incident.id } : {}),
  };
}

function ignored(runtime: Runtime, reason: string): HandlerResult {
  runtime.logger.info(`command status ignored: ${reason}`);
  return { outcome: 'ignored', reason };
}

/** The Lambda handler, built once per container around a runtime. */
export function createCommandStatusHandler(runtime: Runtime) {
  return middy<unknown, HandlerResult>()
    .use(injectLambdaContext(runtime.logger, { resetKeys: true }))
    .use(flushMetrics(runtime.metrics))
    .use(parseEvent(commandInvocationEvent, runtime.logger))
    .use(acceptOrigin(runtime.origin, runtime.logger, runtime.metrics))
    .handler((event) => handleCommandStatus(event as CommandInvocationEvent, runtime));
}
