import { runtimeFromEnv } from './runtime.ts';
import { createTimerHandler } from './timer-handler.ts';

/** Lambda entry point; the runtime (SDK clients, adapters) is built once per container. */
export const handler = createTimerHandler(runtimeFromEnv());
