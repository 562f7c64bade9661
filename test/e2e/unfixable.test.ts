import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runbooks } from '../../runbooks/index.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

function jsonLines<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as T);
}

interface AlarmEvent {
  readonly time: string;
  readonly 'detail-type': string;
  readonly detail: {
    readonly state: { readonly value: string };
    readonly alarmContributor?: { readonly attributes: Record<string, string> };
  };
}

describe('npx remediate gameday --scenario unfixable: a remedy that runs and does not fix', () => {
  it('pages the on-call engineer once, within the runbook budget from the alarm, saying why, and leaves no alarm silent', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'gameday-unfixable-'));
    const args = ['bin/remediate.ts', 'gameday', '--scenario', 'unfixable', '--out', outDir];
    const budget =
      (runbooks.find((r) => r.name === 'disk-full') as { pageWithinSeconds?: number } | undefined)
        ?.pageWithinSeconds ?? 900;

    const { stdout } = await run(process.execPath, ['--import', 'tsx', ...args], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 240_000,
    });

    expect(stdout).toMatch(/^Every expectation held \(\d+\), in \d+ s\.$/m);
    expect(stdout).toContain(
      `✓ a live log keeps the disk full on i-0da00000000000001: escalated, paged within ${budget} s`,
    );
    expect(stdout).toMatch(/^ {2}✓ no silent alarm: /m);
    // The remedy ran and succeeded, every time: it is the disk that stayed full.
    expect(stdout).toMatch(/disk-full attempt finished 1/);

    const pages = jsonLines<{ at: string; page: string; subject: string; body: string }>(
      join(outDir, 'pages.jsonl'),
    );
    expect(pages.map((p) => p.page)).toEqual(['escalation']);
    const page = pages[0] as (typeof pages)[number];
    expect(page.subject).toMatch(/^ALARM: disk-full-fleet-GameDay on i-0da00000000000001 - /);
    // Why: a line that says it, and the cleanup's own words that the disk is still full after it.
    expect(page.body).toMatch(/^Why paged: \S.{10,}/m);
    expect(page.body).toMatch(/\/ is 9\d% used after cleanup/);
    expect(page.body).toMatch(/Success, exit 0/);

    // Within the budget of the alarm: its ALARM (the contributor's event) to the page.
    const events = jsonLines<AlarmEvent>(join(outDir, 'alarm-events.jsonl'));
    const breached = events.filter(
      (e) =>
        e['detail-type'] === 'CloudWatch Alarm Contributor State Change' && e.detail.state.value === 'ALARM',
    );
    expect(breached.map((e) => e.detail.alarmContributor?.attributes.InstanceId)).toEqual([
      'i-0da00000000000001',
    ]);
    const seconds = (Date.parse(page.at) - Date.parse((breached[0] as AlarmEvent).time)) / 1000;
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThanOrEqual(budget);
  }, 300_000);
});
