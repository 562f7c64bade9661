import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Runbook } from '../../functions/core/runbook.ts';
import { RUNBOOK_SHAPE } from '../../functions/core/runbook-fields.ts';
import {
  newRunbook,
  runbookModuleSpecifier,
  runbookNameProblem,
  suggestRunbookName,
} from '../../local/authoring/new-runbook.ts';
import { checkRunbookFolders } from '../../local/authoring/validate.ts';
import { proveRunbook } from '../../local/runbook-proof.ts';
import { RUNBOOKS_DIR } from '../../runbooks/discover.ts';

/** Never the repository's runbooks/: every runbook here is made in a folder of its own. */
const scratch = mkdtempSync(join(tmpdir(), 'new-runbook-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const SCRIPTS = ['diagnose.sh', 'remediate.sh', 'fault.sh', 'probe.sh'];

/** As the suite runs it on the repository's scripts (test/unit/runbook-shellcheck.test.ts). */
function shellcheck(files: readonly string[]): string[] {
  const run = spawnSync(
    'shellcheck',
    ['--shell=bash', '--severity=style', '--external-sources', '--norc', '--format=json1', '--', ...files],
    { encoding: 'utf8' },
  );
  if (run.error) throw new Error(`shellcheck could not run: ${run.error.message}`);
  if (run.status !== 0 && run.status !== 1) throw new Error(`shellcheck failed: ${run.stderr}`);
  const { comments } = JSON.parse(run.stdout) as {
    comments: { file: string; line: number; code: number; message: string }[];
  };
  return comments.map((c) => `${c.file}:${c.line} SC${c.code} ${c.message}`);
}

async function load(directory: string, name: string): Promise<Runbook> {
  const module = (await import(pathToFileURL(join(directory, name, 'runbook.ts')).href)) as {
    default: Runbook;
  };
  return module.default;
}

/** Every field of a definition at the levels the scaffold shows: the top, a parameter, the proof. */
function fieldsOf(shape: unknown): string[] {
  return Object.keys((shape as { fields: Record<string, unknown> }).fields);
}

describe('runbooks new: the scaffold', () => {
  const directory = join(scratch, 'scaffold');
  const made = newRunbook({ name: 'app-unhealthy', directory });

  it('writes the policy and four executable scripts, and says what to run next', () => {
    if ('error' in made) throw new Error(made.error);
    expect(made.folder).toBe(join(directory, 'app-unhealthy'));
    expect(made.files.map((file) => file.slice(made.folder.length + 1)).sort()).toEqual(
      ['runbook.ts', ...SCRIPTS].sort(),
    );
    for (const script of SCRIPTS) {
      const path = join(made.folder, script);
      expect(statSync(path).mode & 0o777, script).toBe(0o755);
      const text = readFileSync(path, 'utf8');
      expect(text.startsWith('#!/usr/bin/env bash\n'), script).toBe(true);
      expect(text, script).toContain('set -euo pipefail');
    }
    // Outside this repository's runbooks/, nothing registers it, and the commands name the folder.
    expect(made.files.some((file) => file.endsWith('index.ts'))).toBe(false);
    expect(made.next).toHaveLength(3);
    expect(made.next[0]).toMatch(/^\$EDITOR .*app-unhealthy\/runbook\.ts .*app-unhealthy\/\*\.sh/);
    expect(made.next[1]).toMatch(/^npx remediate runbooks validate --runbooks-dir \S+/);
    expect(made.next[2]).toMatch(/^npx remediate runbooks test app-unhealthy --runbooks-dir \S+/);
  });

  it('shows every field of a definition, set or commented out', () => {
    const text = readFileSync(join(directory, 'app-unhealthy', 'runbook.ts'), 'utf8');
    const root = RUNBOOK_SHAPE as { fields: Record<string, unknown> };
    const levels = [
      ['', fieldsOf(root)],
      ['parameters.target.', fieldsOf((root.fields.parameters as { of: unknown }).of)],
      ['proof.', fieldsOf(root.fields.proof)],
    ] as const;
    for (const [at, fields] of levels)
      for (const field of fields)
        expect(text, `${at}${field}`).toMatch(new RegExp(`^\\s*(// )?${field}: `, 'm'));
    // An unproven runbook does not act unattended.
    expect(text).toMatch(/^ {2}mode: 'approve',$/m);
    expect(text).toContain("import { defineRunbook } from '");
  });

  it('passes runbooks validate as generated', async () => {
    const checks = await checkRunbookFolders(directory);
    expect(checks).toEqual([expect.objectContaining({ folder: 'app-unhealthy', problems: [] })]);
    const runbook = checks[0]?.runbook as Runbook;
    expect(runbook.mode).toBe('approve');
    expect(runbook.parameters.target?.allowedPattern).toBe('^[a-z0-9][a-z0-9._-]{0,63}$');
  });

  it('lists what is left to finish: every TODO a page would show, and every TODO in the scripts', async () => {
    const [check] = await checkRunbookFolders(directory);

    expect(check?.unfinished).toEqual([
      expect.stringMatching(/^description: still the placeholder "TODO: /),
      'owner: still the placeholder "TODO-team"; pages show it',
      expect.stringMatching(/^contact: still the placeholder "TODO: /),
      expect.stringMatching(/^notes: still the placeholder "TODO: /),
      expect.stringMatching(/^parameters\.target\.description: still the placeholder "TODO: /),
      expect.stringMatching(/^remediate\.sh:\d+: # TODO: replace the example/),
      expect.stringMatching(/^diagnose\.sh:\d+: # TODO: /),
      // The probe runs on instances too (it checks each remedy), so it comes with the scripts they run.
      expect.stringMatching(/^probe\.sh:\d+: # TODO: /),
      expect.stringMatching(/^fault\.sh:\d+: # TODO: /),
    ]);
  });

  it('writes scripts ShellCheck finds nothing in, at every level down to style', () => {
    expect(shellcheck(SCRIPTS.map((script) => join(directory, 'app-unhealthy', script)))).toEqual([]);
  });

  it('ships a working example: its proof holds in a sandbox', async () => {
    const runbook = await load(directory, 'app-unhealthy');
    const report = await proveRunbook(runbook, { directory });
    const failed = report.steps.filter((s) => !s.ok).map((s) => `${s.name}: ${s.detail} ${s.run?.stderr}`);
    expect(report.held, failed.join('\n')).toBe(true);
    expect(report.steps.map((s) => s.name)).toEqual([
      'fault (fault.sh)',
      'probe after the fault',
      'diagnose (diagnose.sh)',
      'attempt 1: remediate',
      'probe after attempt 1',
    ]);
  }, 60_000);

  it('remediate.sh refuses a value its pattern refuses, before any command', () => {
    for (const value of ['--force', '$(reboot)', '../etc', '']) {
      const run = spawnSync('bash', [join(directory, 'app-unhealthy', 'remediate.sh')], {
        env: { PATH: process.env.PATH, SSM_target: value },
        encoding: 'utf8',
      });
      expect(run.status, value).toBe(2);
      expect(run.stderr, value).toMatch(/^app-unhealthy: invalid target .*: set SSM_target to a name/);
    }
  });
});

describe('runbooks new: refusals', () => {
  const directory = join(scratch, 'refusals');

  it('never overwrites a folder', () => {
    mkdirSync(join(directory, 'taken'), { recursive: true });
    writeFileSync(join(directory, 'taken', 'notes.txt'), 'mine');
    const result = newRunbook({ name: 'taken', directory });
    expect(result).toEqual({
      error: `${join(directory, 'taken')} already exists: choose another name, or edit that runbook (a new runbook never overwrites a folder)`,
    });
    expect(readFileSync(join(directory, 'taken', 'notes.txt'), 'utf8')).toBe('mine');
    expect(existsSync(join(directory, 'taken', 'runbook.ts'))).toBe(false);
  });

  it('refuses a name that is not kebab-case, with the rule and a corrected name', () => {
    expect(newRunbook({ name: 'App_Unhealthy', directory })).toEqual({
      error:
        '"App_Unhealthy" is not a runbook name: use lower-case kebab-case (letters a-z and digits, words joined by single hyphens), at most 40 characters; for example "app-unhealthy"',
    });
    expect(existsSync(join(directory, 'App_Unhealthy'))).toBe(false);
    expect(suggestRunbookName('AppUnhealthy')).toBe('app-unhealthy');
    expect(suggestRunbookName('HTTPServer 5xx')).toBe('http-server-5xx');
    expect(suggestRunbookName(`${'a'.repeat(38)}-bcd`)).toBe('a'.repeat(38));
    expect(runbookNameProblem('a'.repeat(41))).toMatch(/at most 40 characters; for example "a{40}"$/);
    expect(runbookNameProblem('../x')).toMatch(/; for example "x"$/);
    expect(runbookNameProblem('---')).toMatch(/at most 40 characters$/);
    expect(runbookNameProblem('disk-full-2')).toBeUndefined();
  });

  it('refuses an unknown source, naming the closest runbook', () => {
    const result = newRunbook({ name: 'copy', from: 'servce-down', directory });
    expect('error' in result && result.error).toMatch(
      /^no runbook named "servce-down" to copy; did you mean service-down\? \(there are: .*service-down/,
    );
    expect(existsSync(join(directory, 'copy'))).toBe(false);
  });

  it('leaves nothing behind when a source cannot be renamed', () => {
    const sources = join(scratch, 'odd-sources');
    mkdirSync(join(sources, 'odd'), { recursive: true });
    writeFileSync(
      join(sources, 'odd', 'runbook.ts'),
      "const NAME = 'odd';\nexport default { name: NAME };\n",
    );
    const result = newRunbook({ name: 'copy', from: 'odd', directory: sources });
    expect('error' in result && result.error).toMatch(/^cannot find name: 'odd' in .* to rename it/);
    expect(existsSync(join(sources, 'copy'))).toBe(false);
  });
});

describe('runbooks new --from: a copy under a new name', () => {
  const directory = join(scratch, 'copies');
  const made = newRunbook({ name: 'app-down', from: 'service-down', directory });

  it('copies the folder, renamed, with the modes of its files', () => {
    if ('error' in made) throw new Error(made.error);
    const source = join(RUNBOOKS_DIR, 'service-down');
    for (const file of ['runbook.ts', 'restart.sh', 'diagnose.sh', 'fault.sh', 'probe.sh'])
      expect(statSync(join(made.folder, file)).mode & 0o777, file).toBe(
        statSync(join(source, file)).mode & 0o777,
      );
    const text = readFileSync(join(made.folder, 'runbook.ts'), 'utf8');
    expect(text).toContain("name: 'app-down',");
    expect(text).toContain("alarmNames: ['app-down-*']");
    expect(text).not.toMatch(/service-down/);
    expect(text).toMatch(/^ {2}mode: 'approve',$/m);
    expect(readFileSync(join(made.folder, 'restart.sh'), 'utf8')).toContain('readonly RUNBOOK=app-down\n');
  });

  it('passes runbooks validate under its new name', async () => {
    const checks = await checkRunbookFolders(directory);
    expect(checks).toEqual([expect.objectContaining({ folder: 'app-down', problems: [] })]);
    expect(checks[0]?.runbook?.name).toBe('app-down');
    expect(checks[0]?.runbook?.mode).toBe('approve');
  });
});

describe('runbooks new in this repository', () => {
  it('imports defineRunbook by the path the bundled runbooks use', () => {
    expect(runbookModuleSpecifier(join(RUNBOOKS_DIR, 'app-unhealthy'))).toBe(
      '../../functions/core/runbook.ts',
    );
  });
});
