import { join, resolve } from 'node:path';

/** The repository root: the stack bundles handlers and reads runbook scripts relative to it. */
export const PROJECT_ROOT = resolve(import.meta.dirname, '..');

/** Where each runbook keeps its folder (`runbooks/<name>/`), with its script beside its policy. */
export const RUNBOOKS_DIRECTORY = join(PROJECT_ROOT, 'runbooks');

/** The Lambda entry points, one per event source. */
export const HANDLER_ENTRIES = {
  alarm: join(PROJECT_ROOT, 'functions/handlers/alarm.ts'),
  commandStatus: join(PROJECT_ROOT, 'functions/handlers/command-status.ts'),
  timer: join(PROJECT_ROOT, 'functions/handlers/timer.ts'),
  resync: join(PROJECT_ROOT, 'functions/handlers/resync.ts'),
} as const;
