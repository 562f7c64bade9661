import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Runbook } from '../functions/core/runbook.ts';
import { discoverRunbookFolders } from '../runbooks/discover.ts';
import { PROJECT_ROOT } from './project-paths.ts';

/**
 * The functions, each with the module whose `handlerFor(runbooks)` builds its handler: the five the
 * engine always deploys (the operator function answers people: the CLI and the chat buttons), and the
 * alarm keeper (deployed only when a runbook's alarms are per-instance).
 */
export const HANDLER_MODULES = {
  alarm: join(PROJECT_ROOT, 'functions/handlers/alarm.ts'),
  commandStatus: join(PROJECT_ROOT, 'functions/handlers/command-status.ts'),
  timer: join(PROJECT_ROOT, 'functions/handlers/timer.ts'),
  resync: join(PROJECT_ROOT, 'functions/handlers/resync.ts'),
  operator: join(PROJECT_ROOT, 'functions/handlers/operator.ts'),
  alarmKeeper: join(PROJECT_ROOT, 'functions/handlers/alarm-keeper.ts'),
} as const;

export type HandlerName = keyof typeof HANDLER_MODULES;

/** Where the functions are bundled from. */
export interface HandlerEntries {
  /** The generated entry file of each function. */
  readonly entries: Readonly<Record<HandlerName, string>>;
  /** The folder esbuild runs in: it holds the entries, this package and the lock file. */
  readonly projectRoot: string;
  /** The lock file of the app that installs this package (or of this repository). */
  readonly depsLockFilePath: string;
}

const LOCK_FILES = ['package-lock.json', 'pnpm-lock.yaml', 'yarn.lock', 'bun.lockb'];

/** The definition file of a runbook in a runbooks folder. */
export function runbookDefinitionFile(directory: string, name: string): string {
  return join(directory, name, 'runbook.ts');
}

/**
 * Writes one entry file per function that imports exactly these runbooks, each from its own folder
 * (`<directory>/<name>/runbook.ts`), so that what the functions decide with is what the stack deploys
 * as documents: one source, for this repository's app and for any app that embeds the construct.
 * The entries live in this package's `.build/` folder, named by their content, and are rewritten only
 * when it changes (the bundles stay byte-identical from one synth to the next).
 */
export function writeHandlerEntries(directory: string, runbooks: readonly Runbook[]): HandlerEntries {
  const folder = resolve(directory);
  const files = runbooks.map((runbook) => {
    const file = runbookDefinitionFile(folder, runbook.name);
    if (!existsSync(file)) {
      throw new Error(
        `runbook "${runbook.name}" has no definition at ${file}: the functions bundle each runbook from ` +
          `<runbooksDirectory>/<name>/runbook.ts. Pass the folder that holds it as runbooksDirectory, or load the ` +
          'runbooks from that folder with `await loadRunbooks(folder)`.',
      );
    }
    return file;
  });
  const key = createHash('sha256')
    .update(JSON.stringify([folder, files]))
    .digest('hex')
    .slice(0, 16);
  const out = join(PROJECT_ROOT, '.build', 'handlers', key);
  mkdirSync(out, { recursive: true });
  const entries = {} as Record<HandlerName, string>;
  for (const [name, module] of Object.entries(HANDLER_MODULES) as [HandlerName, string][]) {
    const file = join(out, `${name}.ts`);
    writeIfChanged(file, renderEntry(module, files));
    entries[name] = file;
  }
  const depsLockFilePath = findLockFile(PROJECT_ROOT);
  return { entries, projectRoot: dirname(depsLockFilePath), depsLockFilePath };
}

/** The entry module of one function: its handler, built with exactly these runbook definitions. */
export function renderEntry(handlerModule: string, runbookFiles: readonly string[]): string {
  return [
    '// Generated at synth by the RemediationEngine construct; do not edit. The function answers alarms',
    '// with exactly the runbooks the stack deploys as SSM documents.',
    `import { handlerFor } from ${JSON.stringify(handlerModule)};`,
    ...runbookFiles.map((file, i) => `import runbook${i} from ${JSON.stringify(file)};`),
    '',
    `export const handler = handlerFor([${runbookFiles.map((_, i) => `runbook${i}`).join(', ')}]);`,
    '',
  ].join('\n');
}

/**
 * The runbooks defined in a folder (every `<name>/runbook.ts`, by folder name), for an app that keeps
 * its runbooks outside this package: `new RemediationEngine(this, 'R', { runbooksDirectory: dir,
 * runbooks: await loadRunbooks(dir) })`.
 */
export async function loadRunbooks(directory: string): Promise<Runbook[]> {
  const folders = discoverRunbookFolders(resolve(directory));
  if (folders.length === 0) {
    throw new Error(`no runbooks in ${directory}: each runbook is a folder holding runbook.ts`);
  }
  const runbooks: Runbook[] = [];
  for (const name of folders) {
    const module = (await import(pathToFileURL(runbookDefinitionFile(resolve(directory), name)).href)) as {
      default?: Runbook;
    };
    const runbook = module.default;
    if (!runbook || runbook.name !== name) {
      throw new Error(
        `${runbookDefinitionFile(directory, name)} must \`export default defineRunbook({ name: '${name}', … })\`` +
          (runbook ? `, not a runbook named "${runbook.name}"` : ''),
      );
    }
    runbooks.push(runbook);
  }
  return runbooks;
}

function writeIfChanged(file: string, content: string): void {
  if (existsSync(file) && readFileSync(file, 'utf8') === content) return;
  writeFileSync(file, content);
}

/** The nearest lock file at or above `start`: the app's, when this package is installed in it. */
function findLockFile(start: string): string {
  let dir = start;
  for (;;) {
    for (const name of LOCK_FILES) {
      const file = join(dir, name);
      if (existsSync(file)) return file;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(
    `no lock file (${LOCK_FILES.join(', ')}) at or above ${start}: the functions are bundled from the ` +
      'project that installs this package; run npm install there first',
  );
}
