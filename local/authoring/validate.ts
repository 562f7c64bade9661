import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { provisionedAlarmProblems } from '../../functions/core/alarm-provisioning.ts';
import { closest } from '../../functions/core/edit-distance.ts';
import { type Runbook, runbookScripts } from '../../functions/core/runbook.ts';
import { runbookSetProblems } from '../../functions/core/runbook-overlap.ts';
import { indexIsCurrent, loadRunbookFolders, RUNBOOKS_DIR } from '../../runbooks/discover.ts';
import { runbookDocumentContent } from '../../runbooks/ssm-document.ts';

/** The outcome of validating one runbook folder. */
export interface FolderCheck {
  readonly folder: string;
  readonly runbook?: Runbook;
  readonly problems: readonly string[];
  /**
   * What the scaffold left to finish: TODO placeholders in the text pages show (description, owner,
   * contact, notes, parameter descriptions) and TODO comments in the scripts. Not problems: a fresh
   * scaffold validates and proves; but a runbook deployed with them pages "TODO-team" at 3 a.m.
   */
  readonly unfinished: readonly string[];
}

/**
 * Loads every runbook folder on its own (so one broken runbook does not hide the others) and checks
 * what `defineRunbook` cannot see: the folder name, the files, the generated document and the proof.
 */
export async function checkRunbookFolders(directory = RUNBOOKS_DIR): Promise<FolderCheck[]> {
  const { loaded, broken } = await loadRunbookFolders(directory);
  const checks: FolderCheck[] = [
    ...broken.map(({ folder, problem }) => ({ folder, problems: [problem], unfinished: [] })),
    ...loaded.map(({ folder, runbook }) => ({
      folder,
      runbook,
      problems: filesProblems(directory, folder, runbook),
      unfinished: unfinishedParts(directory, folder, runbook),
    })),
  ].sort((a, b) => a.folder.localeCompare(b.folder));
  // Across the runbooks: no two may claim one alarm equally, each must answer the alarms the stack
  // provisions for it, and no other may.
  const runbooks = loaded.map((entry) => entry.runbook);
  const names = runbooks.map((r) => r.name);
  const unknownPrecedence = runbooks.flatMap((runbook) =>
    (runbook.precedence?.over ?? [])
      .filter((name) => !names.includes(name))
      .map((name) => {
        const near = closest(name, names);
        return `runbook ${runbook.name}: precedence.over names "${name}", which is not a runbook here${near ? `; did you mean ${near}?` : ''}`;
      }),
  );
  const across = [
    ...unknownPrecedence,
    ...runbookSetProblems(runbooks),
    ...provisionedAlarmProblems(runbooks),
  ];
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
  for (const file of new Set([...runbookScripts(runbook), ...proofFiles])) {
    const path = join(directory, folder, file);
    const problem = scriptFileProblem(path);
    if (problem) problems.push(`${file}: ${problem.replace('{folder}', `runbooks/${folder}/`)}`);
    else scripts[file] = readFileSync(path, 'utf8');
  }
  // What SSM hands the scripts: SSM_action, and SSM_<name> for each declared parameter.
  const declared = new Set(['action', ...Object.keys(runbook.parameters)]);
  for (const file of runbookScripts(runbook)) {
    const text = scripts[file];
    if (text === undefined) continue;
    for (const name of readVariables(text)) {
      if (declared.has(name)) continue;
      const near = closest(name, [...declared]);
      problems.push(
        `${file}: reads SSM_${name}, which no parameter declares, so it is always empty: ` +
          (near ? `did you mean SSM_${near}? ` : '') +
          `declare "${name}" in parameters, or stop reading it`,
      );
    }
  }
  if (!runbook.proof)
    problems.push('proof: give a fault script, a probe script and the alarm condition they prove');
  else if (runbook.mode === 'enforce' && !runbook.verify)
    problems.push(
      "verify: a runbook that acts on its own checks each remedy at once with its probe; name one (verify: { probe: 'probe.sh' })",
    );
  if (problems.length === 0) {
    try {
      runbookDocumentContent(runbook, scripts);
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
    }
  }
  return problems;
}

const TODO = /\bTODO\b/;

/** The TODOs the scaffold left: in the text a page shows, then in each script, by file and line. */
function unfinishedParts(directory: string, folder: string, runbook: Runbook): string[] {
  const texts: Array<[string, string | undefined]> = [
    ['description', runbook.description],
    ['owner', runbook.owner],
    ['contact', runbook.contact],
    ['notes', runbook.notes],
    ...Object.entries(runbook.parameters).map(([name, parameter]): [string, string] => [
      `parameters.${name}.description`,
      parameter.description,
    ]),
  ];
  const unfinished = texts
    .filter(([, text]) => text !== undefined && TODO.test(text))
    .map(([field, text]) => `${field}: still the placeholder "${shorten(text ?? '')}"; pages show it`);
  const proofFiles = runbook.proof ? [runbook.proof.fault, runbook.proof.probe] : [];
  for (const file of new Set([...runbookScripts(runbook), ...proofFiles])) {
    let text: string;
    try {
      text = readFileSync(join(directory, folder, file), 'utf8');
    } catch {
      continue; // a problem already
    }
    text.split('\n').forEach((line, i) => {
      if (/^\s*#.*\bTODO\b/.test(line)) unfinished.push(`${file}:${i + 1}: ${shorten(line.trim())}`);
    });
  }
  return unfinished;
}

function shorten(text: string): string {
  return text.length > 70 ? `${text.slice(0, 67)}...` : text;
}

/** Why a script file cannot be used as it is, or undefined: it must exist, be readable and executable. */
function scriptFileProblem(path: string): string | undefined {
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path);
  } catch {
    return 'no such file in {folder}';
  }
  if (!stats.isFile()) return 'not a file';
  try {
    accessSync(path, constants.R_OK);
  } catch {
    return 'cannot be read: chmod u+r it';
  }
  // The scripts are also run by hand on an instance (`sudo ./restart.sh`), and the sandbox runs them as files.
  if ((stats.mode & 0o111) === 0) return 'is not executable: chmod +x it (and commit the mode)';
  return undefined;
}

/** The `SSM_<name>` variables a script reads (`$SSM_x`, `${SSM_x:-…}`, `${SSM_x+x}`). */
export function readVariables(script: string): string[] {
  const names = new Set<string>();
  for (const line of script.split('\n')) {
    const code = line.replace(/^\s*#.*$/, '');
    for (const match of code.matchAll(/\$\{?#?SSM_([A-Za-z0-9_]+)/g)) names.add(match[1] as string);
  }
  return [...names];
}

/** Whether runbooks/index.ts registers exactly the folders (else `npx remediate runbooks index`). */
export function registryIsCurrent(): boolean {
  return indexIsCurrent();
}
