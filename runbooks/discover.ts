import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Runbook } from '../functions/core/runbook.ts';

/** The folder that holds one folder per runbook. */
export const RUNBOOKS_DIR = fileURLToPath(new URL('.', import.meta.url));
const INDEX = join(RUNBOOKS_DIR, 'index.ts');

/** The runbooks on disk: every folder of runbooks/ with a runbook.ts, by name. */
export function discoverRunbookFolders(directory = RUNBOOKS_DIR): string[] {
  return readdirSync(directory, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(directory, entry.name, 'runbook.ts')))
    .map((entry) => entry.name)
    .sort();
}

/**
 * The registry module for the given folders. It is generated, not written by hand, so that a runbook
 * is registered by adding its folder; the Lambda bundle needs static imports, hence a file.
 */
export function renderIndex(folders: readonly string[]): string {
  const identifier = (name: string) => name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return [
    '// Generated from the folders in runbooks/ by `npm run runbooks:index`; do not edit by hand.',
    "import type { Runbook } from '../functions/core/runbook.ts';",
    ...folders.map((name) => `import ${identifier(name)} from './${name}/runbook.ts';`),
    '',
    '/**',
    ' * Every runbook the system answers alarms with. The stack makes one SSM document of each, and the',
    ' * handlers bundle the same list, so what is deployed and what decides are one source.',
    ' */',
    `export const runbooks: readonly Runbook[] = [${folders.map(identifier).join(', ')}];`,
    '',
  ].join('\n');
}

/** A runbook folder whose definition does not load, and why (the message names the field and the fix). */
export interface BrokenRunbook {
  readonly folder: string;
  readonly problem: string;
}

/**
 * Loads every runbook folder on its own, so that one broken definition (or a folder deleted since the
 * registry was generated) never stops the others, nor a command that does not need it: the operator's
 * kill switch above all. Never throws for a definition.
 */
export async function loadRunbookFolders(
  directory = RUNBOOKS_DIR,
): Promise<{ runbooks: Runbook[]; loaded: { folder: string; runbook: Runbook }[]; broken: BrokenRunbook[] }> {
  const loaded: { folder: string; runbook: Runbook }[] = [];
  const broken: BrokenRunbook[] = [];
  for (const folder of discoverRunbookFolders(directory)) {
    try {
      const module = (await import(pathToFileURL(join(directory, folder, 'runbook.ts')).href)) as {
        default?: Runbook;
      };
      const runbook = module.default;
      if (!runbook?.name || !Array.isArray(runbook.actions))
        broken.push({ folder, problem: 'runbook.ts must `export default defineRunbook({...})`' });
      else loaded.push({ folder, runbook });
    } catch (error) {
      broken.push({ folder, problem: error instanceof Error ? error.message : String(error) });
    }
  }
  return { runbooks: loaded.map((entry) => entry.runbook), loaded, broken };
}

/** Whether runbooks/index.ts registers exactly the folders on disk. */
export function indexIsCurrent(): boolean {
  return existsSync(INDEX) && readFileSync(INDEX, 'utf8') === renderIndex(discoverRunbookFolders());
}

/** Rewrites runbooks/index.ts from the folders on disk; returns the names registered. */
export function writeIndex(): string[] {
  const folders = discoverRunbookFolders();
  writeFileSync(INDEX, renderIndex(folders));
  return folders;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(`runbooks/index.ts registers: ${writeIndex().join(', ')}`);
}
