import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

describe('npm start (the walkthrough), run as a user runs it', () => {
  it('ends every incident as its scenario expects and exits 0', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'walkthrough-'));

    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'local/walkthrough.ts'], {
      cwd: root,
      env: { ...process.env, OUT_DIR: outDir },
      timeout: 120_000,
    });

    expect(stdout).toContain('Every incident ended as the scenario expects.');
    expect(stdout.match(/^ {2}✓ /gm)).toHaveLength(5);
    const pages = readFileSync(join(outDir, 'pages.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    // Three instances paged (a failed cleanup, a probe still breaching, an agent offline) and the
    // fleet alarm; the first two then cleared by an operator's hand.
    expect(pages.map((p) => p.subject.split(':')[0])).toEqual([
      'ALARM',
      'ALARM',
      'ALARM',
      'ALARM',
      'OK',
      'OK',
    ]);
  });
});
