import type { Runbook } from '../core/runbook.ts';
import { createCommandStatusHandler } from './command-status-handler.ts';
import { runtimeFromEnv } from './runtime.ts';

/** The Lambda handler for the given runbooks (see alarm.ts). */
export function handlerFor(runbooks: readonly Runbook[]): ReturnType<typeof createCommandStatusHandler> {
  return createCommandStatusHandler(runtimeFromEnv(runbooks));
}
