import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { provisionedAlarmProblems } from '../../functions/core/alarm-provisioning.ts';
import { type Runbook, runbookScripts } from '../../functions/core/runbook.ts';
import { discoverRunbookFolders, indexIsCurrent, RUNBOOKS_DIR } from '../../runbooks/discover.ts';
import { runbookDocumentContent } from '../../runbooks/ssm-document.ts';

/** The outcome of validating one runbook folder. */
export interface FolderCheck {
  readonly folder: string;
  readonly runbook?: Runbook;
  readonly problems: readonly string[];
}

/**
 * Loads every runbook folder on its own (so one broken runbook does not hide the others) and checks
 * what `defineRunbook` cannot see: the folder name, the files, the generated document and the proof.
 */
export async function checkRunbookFolders(directory = RUNBOOKS_DIR): Promise<FolderCheck[]> {
  const checks: FolderCheck[] = [];
  for (const folder of discoverRunbookFolders(directory)) {
    try {
      const module = (await import(pathToFileURL(join(directory, folder, 'runbook.ts')).href)) as {
        default?: Runbook;
      };
      const runbook = module.default;
      if (!runbook?.name) {
        checks.push({ folder, problems: ['runbook.ts must `export default defineRunbook({...})`'] });
        continue;
      }
      checks.push({ folder, runbook, problems: filesProblems(directory, folder, runbook) });
    } catch (error) {
      checks.push({ folder, problems: [error instanceof Error ? error.message : String(error)] });
    }
  }
  // Across the runbooks: each must answer the alarms the stack provisions for it, and no other may.
  const loaded = checks.flatMap((check) => (check.runbook ? [check.runbook] : []));
  const across = provisionedAlarmProblems(loaded);
  return checks.map((check) => {
    const mine = across.filter((problem) => problem.startsWith(`runbook ${check.runbook?.name}: `));
    return mine.length > 0 ? { ...check, problems: [...check.problems, ...mine] } : check;
  });
}

function filesProblems(directory: string, folder: string, runbook: Runbook): string[] {
  const problems: string[] = [];
  if (runbook.name !== folder)
    problems.push(`name "${runbook.name}" differs from its folder "${folder}"; rename one`);
  const scripts: Record<string, string> = {};
  const proofFiles = runbook.proof ? [runbook.proof.fault, runbook.proof.probe] : [];
  for (const file of [...runbookScripts(runbook), ...proofFiles]) {
    const path = join(directory, folder, file);
    if (!existsSync(path)) problems.push(`${file}: no such file in runbooks/${folder}/`);
    else scripts[file] = readFileSync(path, 'utf8');
  }
  if (!runbook.proof)
    problems.push('proof: give a fault script, a probe script and the alarm condition they prove');
  if (problems.length === 0) {
    try {
      runbookDocumentContent(runbook, scripts);
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
    }
  }
  return problems;
}

/** Whether runbooks/index.ts registers exactly the folders (else `npx remediate runbooks index`). */
export function registryIsCurrent(): boolean {
  return indexIsCurrent();
}
