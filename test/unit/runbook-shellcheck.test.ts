import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, RUNBOOKS_DIRECTORY } from '../../lib/project-paths.ts';
import { discoverRunbookFolders } from '../../runbooks/discover.ts';

const INSTALL_HINT =
  'shellcheck is not on PATH: install it with `apt-get install -y shellcheck` (Debian, Ubuntu) or ' +
  '`brew install shellcheck`, and check `shellcheck --version` (0.9 or later)';

/**
 * Every level down to style, the default checks, as bash: SSM runs each script with
 * `bash action.sh` (runbooks/ssm-document.ts), whatever its first line says. `--norc`: no
 * .shellcheckrc may turn a check off; a finding is fixed, or disabled on its line with a reason.
 */
const SHELLCHECK_ARGS = [
  '--shell=bash',
  '--severity=style',
  '--external-sources',
  '--norc',
  '--format=json1',
];

interface Finding {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly level: string;
  readonly code: number;
  readonly message: string;
}

/** Runs shellcheck on the files; one line per finding: `runbooks/x/y.sh:12:3 warning SC2086 …`. */
function shellcheck(files: readonly string[], command = 'shellcheck'): string[] {
  const run = spawnSync(command, [...SHELLCHECK_ARGS, '--', ...files], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
  });
  if ((run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error(`${INSTALL_HINT} (tried to run "${command}")`);
  }
  if (run.error) throw new Error(`shellcheck could not run: ${run.error.message}`, { cause: run.error });
  // 0: no finding; 1: findings; anything else: shellcheck could not check (a missing file, bad options).
  if (run.status !== 0 && run.status !== 1) {
    throw new Error(`shellcheck failed (exit ${run.status ?? run.signal}): ${run.stderr.trim()}`);
  }
  const { comments } = JSON.parse(run.stdout) as { comments: Finding[] };
  return comments.map(
    (c) => `${relative(PROJECT_ROOT, c.file)}:${c.line}:${c.column} ${c.level} SC${c.code} ${c.message}`,
  );
}

/** Every script of every runbook: `runbooks/<name>/*.sh`, found on disk. */
function runbookScripts(): string[] {
  return readdirSync(RUNBOOKS_DIRECTORY, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((folder) =>
      readdirSync(join(RUNBOOKS_DIRECTORY, folder.name))
        .filter((file) => file.endsWith('.sh'))
        .map((file) => relative(PROJECT_ROOT, join(RUNBOOKS_DIRECTORY, folder.name, file))),
    )
    .sort();
}

/** The game day's own scripts, `scenarios/scripts/*.sh`: they run in the sandbox as runbooks do. */
function scenarioScripts(): string[] {
  const dir = join(PROJECT_ROOT, 'scenarios', 'scripts');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.sh'))
    .map((file) => relative(PROJECT_ROOT, join(dir, file)))
    .sort();
}

describe('shellcheck on every runbook script', () => {
  let scripts: string[];
  let scratch: string;

  beforeAll(() => {
    scripts = [...runbookScripts(), ...scenarioScripts()];
    scratch = mkdtempSync(join(tmpdir(), 'shellcheck-'));
  });

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('finds the scripts of every runbook and of the game day on disk', () => {
    expect(scripts.filter((script) => script.startsWith('scenarios/scripts/')).length).toBeGreaterThan(2);
    for (const name of discoverRunbookFolders()) {
      expect(scripts.filter((script) => script.startsWith(`runbooks/${name}/`)).length, name).toBeGreaterThan(
        0,
      );
    }
  });

  it('reports no finding, at any level down to style', () => {
    expect(shellcheck(scripts)).toEqual([]);
  });

  it('gives a reason for every check turned off', () => {
    for (const script of scripts) {
      const lines = readFileSync(join(PROJECT_ROOT, script), 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (!/#\s*shellcheck\s+disable=/.test(line)) return;
        const reason = /disable=\S+\s+#\s*(.+)$/.exec(line)?.[1] ?? lines[i - 1]?.match(/^\s*#\s*(.+)$/)?.[1];
        expect(
          reason?.length ?? 0,
          `${script}:${i + 1}: say why, after the directive or on the line above`,
        ).toBeGreaterThan(15);
      });
    }
  });

  it('still catches a finding, and reports where it is', () => {
    // Prepare
    const script = join(scratch, 'unquoted.sh');
    writeFileSync(script, '#!/usr/bin/env bash\nrm -rf $1/cache\n');
    // Act
    const findings = shellcheck([script]);
    // Assess
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatch(/unquoted\.sh:2:8 info SC2086 Double quote to prevent globbing/);
  });

  it('fails, saying how to install it, when shellcheck is missing', () => {
    expect(() => shellcheck(scripts, 'shellcheck-that-is-not-installed')).toThrow(
      /shellcheck is not on PATH: install it with `apt-get install -y shellcheck`/,
    );
  });
});
