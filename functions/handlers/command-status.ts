import { createCommandStatusHandler } from './command-status-handler.ts';
import { runtimeFromEnv } from './runtime.ts';

/** Lambda entry point; the runtime (SDK clients, adapters) is built once per container. */
export const handler = createCommandStatusHandler(runtimeFromEnv());
