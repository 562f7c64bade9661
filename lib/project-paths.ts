import { join, resolve } from 'node:path';

/** The repository root: the stack bundles handlers and reads runbook scripts relative to it. */
export const PROJECT_ROOT = resolve(import.meta.dirname, '..');

/** Where each runbook keeps its folder (`runbooks/<name>/`), with its script beside its policy. */
export const RUNBOOKS_DIRECTORY = join(PROJECT_ROOT, 'runbooks');
