import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { alarmContributorStateChangeEvent, alarmStateChangeEvent } from '../../functions/handlers/schemas.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

/** Every event the game day's local CloudWatch put on the bus (alarm-events.jsonl). */
function alarmEvents(outDir: string): Array<{ 'detail-type': string; detail: Record<string, any> }> {
  return readFileSync(join(outDir, 'alarm-events.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

describe('npx remediate gameday --scenario short, run as a user runs it', () => {
  it('remediates real faults in sandboxes from fleet alarms, escalates the one it cannot fix once, and exits 0', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'gameday-'));
    const report = join(outDir, 'report.html');
    // A chat tool's incoming webhook, on this machine.
    const received: Array<{ subject: string }> = [];
    const webhook = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        received.push(JSON.parse(body));
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hooks/pager`;
    const args = ['bin/remediate.ts', 'gameday', '--scenario', 'short', '--out', outDir, '--report', report];

    const { stdout } = await run(process.execPath, ['--import', 'tsx', ...args, '--webhook', url], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 240_000,
    }).finally(() => webhook.close());

    expect(stdout).not.toContain('\u001b[');
    expect(stdout).toMatch(/^Every expectation held \(7\), in \d+ s\.$/m);
    expect(stdout).toMatch(/^ {2}\+\d\d:\d\d {2}web-1 {5}FAULT rotated logs fill the disk$/m);
    expect(stdout).toMatch(/disk-full incident resolved: verified/);
    expect(stdout).toMatch(
      /^ {2}✓ a bad deploy: app exits at every start on i-0da00000000000003: escalated$/m,
    );
    const pages = readFileSync(join(outDir, 'pages.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(pages).toHaveLength(1);
    expect(pages[0].subject).toBe(
      'ALARM: service-down-fleet-GameDay on i-0da00000000000003 - automation gave up after 1 attempt',
    );
    expect(pages[0].body).toContain('FAILED: app did not stay up after the restart');
    expect(pages[0].body).toContain('invalid listen address');
    expect(received.map((p) => p.subject)).toEqual([pages[0].subject]);
    const html = readFileSync(report, 'utf8');
    expect(html).toMatch(/<svg[^>]*class="timeline"/);
    expect(html.match(/class="instance-row"/g)).toHaveLength(3);

    // Fleet mode (the default): one alarm per runbook, each instance a contributor with its own events.
    expect(stdout).toMatch(
      /^ {2}\+\d\d:\d\d {2}web-3 {5}alarm service-down-fleet-GameDay: \S+ -> ALARM \(contributor\)$/m,
    );
    const events = alarmEvents(outDir);
    const contributors = events.filter(
      (e) => e['detail-type'] === 'CloudWatch Alarm Contributor State Change',
    );
    expect(contributors.length).toBeGreaterThanOrEqual(3);
    for (const event of contributors) {
      expect(alarmContributorStateChangeEvent.safeParse(event).success).toBe(true);
      expect(event.detail).not.toHaveProperty('previousState');
      expect(event.detail.alarmContributor.id).toMatch(/^[0-9a-f]{16}$/);
      expect(event.detail.configuration.metrics[0].expression).toMatch(
        /^SELECT .* GROUP BY InstanceId.* ORDER BY .* LIMIT 500$/,
      );
    }
    expect(
      contributors
        .filter((e) => e.detail.state.value === 'ALARM')
        .map((e) => e.detail.alarmContributor.attributes),
    ).toEqual(
      expect.arrayContaining([
        { InstanceId: 'i-0da00000000000001' },
        { InstanceId: 'i-0da00000000000002', exe: 'app' },
        { InstanceId: 'i-0da00000000000003', exe: 'app' },
      ]),
    );
    const parents = events.filter((e) => e['detail-type'] === 'CloudWatch Alarm State Change');
    expect(new Set(parents.map((e) => e.detail.alarmName))).toEqual(
      new Set(['disk-full-fleet-GameDay', 'service-down-fleet-GameDay']),
    );
    for (const event of parents) {
      expect(alarmStateChangeEvent.safeParse(event).success).toBe(true);
      expect(event.detail.state.reason).toMatch(/^\d out of 3 time series evaluated to ALARM$/);
      expect(event.detail.previousState).toBeDefined();
    }
  }, 300_000);

  it('holds every expectation with one alarm per instance (--alarms per-instance)', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'gameday-per-instance-'));
    const args = ['bin/remediate.ts', 'gameday', '--scenario', 'short', '--alarms', 'per-instance'];

    const { stdout } = await run(process.execPath, ['--import', 'tsx', ...args, '--out', outDir], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 240_000,
    });

    expect(stdout).toMatch(/^Every expectation held \(7\), in \d+ s\.$/m);
    expect(stdout).toMatch(/^ {2}✓ rotated logs fill the disk on i-0da00000000000001: fixed$/m);
    expect(stdout).toMatch(/^ {2}✓ app crashes \(SIGKILL\) on i-0da00000000000002: fixed$/m);
    expect(stdout).toMatch(
      /^ {2}✓ a bad deploy: app exits at every start on i-0da00000000000003: escalated$/m,
    );
    const pages = readFileSync(join(outDir, 'pages.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    // The per-instance alarm's name (runbook, Name tag, id, series), in a subject cut to SNS's 100 characters.
    expect(pages).toHaveLength(1);
    expect(pages[0].subject).toMatch(
      /^ALARM: service-down-web-3-i-0da00000000000003-exe=app on i-0da00000000000003 - automation gave u/,
    );
    // One single-metric alarm per instance and runbook, from the runbooks' declarations.
    const events = alarmEvents(outDir);
    expect(events.length).toBeGreaterThan(0);
    expect(new Set(events.map((e) => e['detail-type']))).toEqual(new Set(['CloudWatch Alarm State Change']));
    for (const event of events) expect(alarmStateChangeEvent.safeParse(event).success).toBe(true);
    const breached = events.filter((e) => e.detail.state.value === 'ALARM');
    expect(breached.map((e) => e.detail.alarmName)).toEqual(
      expect.arrayContaining([
        'disk-full-web-1-i-0da00000000000001',
        'service-down-web-2-i-0da00000000000002-exe=app',
        'service-down-web-3-i-0da00000000000003-exe=app',
      ]),
    );
    const disk = breached.find((e) => e.detail.alarmName.startsWith('disk-full-'));
    expect(disk?.detail.configuration.metrics[0].metricStat.metric).toEqual({
      namespace: 'CWAgent',
      name: 'disk_used_percent',
      dimensions: { InstanceId: 'i-0da00000000000001', path: '/', AutoRemediation: 'enabled' },
    });
  }, 300_000);
});

describe('npx remediate gameday --scenario humans: people on call', () => {
  it('approves a proposal that runs exactly one command, and takes an escalation fixed by hand, both closed with their OK page', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'gameday-humans-'));
    const args = ['bin/remediate.ts', 'gameday', '--scenario', 'humans', '--out', outDir];

    const { stdout } = await run(process.execPath, ['--import', 'tsx', ...args], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 180_000,
    });

    expect(stdout).toMatch(/^Every expectation held \(8\), in \d+ s\.$/m);
    expect(stdout).toContain('runbook disk-full in approve mode for this game day');
    // The people act on what the pager told them, named by a prefix of the incident id (the operator
    // function's answer follows; that it said done is the responders' expectations above).
    expect(stdout).toMatch(
      /^ {2}\+\d\d:\d\d {2}web-1 {5}PERSON alice \(on call\): approve [0-9a-f]{16}\.i-0da00000000000001: /m,
    );
    expect(stdout).toMatch(
      /^ {2}\+\d\d:\d\d {2}web-2 {5}PERSON bob \(on call\): take [0-9a-f]{16}\.i-0da00000000000002: /m,
    );
    expect(stdout).toMatch(/PERSON bob \(on call\) by hand: rolls the deploy back and starts app$/m);
    expect(stdout).toMatch(
      /PERSON bob \(on call\) by hand: exit 0: rolled back: \/opt\/app\/app.conf is 'listen = :80'$/m,
    );
    const pages = readFileSync(join(outDir, 'pages.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { page: string; subject: string; body: string });
    expect(pages.map((p) => `${p.page} ${p.subject.replace(/ - .*/, '')}`).sort()).toEqual([
      'escalation ALARM: service-down-fleet-GameDay on i-0da00000000000002',
      'proposal ALARM: disk-full-fleet-GameDay on i-0da00000000000001',
      'resolution OK: disk-full-fleet-GameDay on i-0da00000000000001',
      'resolution OK: service-down-fleet-GameDay on i-0da00000000000002',
    ]);
    const diskOk = pages.find((p) => p.page === 'resolution' && p.subject.includes('disk-full')) as {
      body: string;
    };
    expect(diskOk.body).toMatch(/alice \(on call\): approve \S+\/p1 \(done\)/);
    expect(diskOk.body).toMatch(
      /Attempts \(1\):\n {2}#1 at \S+ \(remediate, asked by alice \(on call\)\): Success, exit 0/,
    );
    const appOk = pages.find((p) => p.page === 'resolution' && p.subject.includes('service-down')) as {
      body: string;
    };
    expect(appOk.body).toMatch(/bob \(on call\): take \(done\)/);

    // The report: exactly one remediate command ran on web-1, and it was the approved one.
    const html = readFileSync(join(outDir, 'report.html'), 'utf8');
    expect(html).toMatch(
      /fixed-after-approval[\s\S]*?1 proposal page\(s\), approved by alice \(on call\); 1 remediate command\(s\) ran \(exit 0\); attempt 1 started by alice \(on call\); OK page sent/,
    );
    expect(html).toMatch(
      /fixed-by-hand[\s\S]*?taken by bob \(on call\), owned by bob \(on call\); 0 attempt\(s\) after the take; OK page sent/,
    );
    expect(html.match(/class="person person-approve person-done"/g)).toHaveLength(1);
    expect(html.match(/class="person person-take person-done"/g)).toHaveLength(1);
    expect(html.match(/class="hand-fix"/g)).toHaveLength(1);
    expect(html).toContain('<span class="n">2</span> human actions');
  }, 240_000);
});

describe('npx remediate gameday, given wrong options', () => {
  const cli = (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', 'bin/remediate.ts', 'gameday', ...args], {
      cwd: root,
      timeout: 60_000,
    }).catch((error: { code: number; stdout: string; stderr: string }) => error);

  it('names the scenarios there are, and refuses a fleet or a speed out of range, before starting anything', async () => {
    const unknown = await cli('--scenario', 'no-such-scenario');
    const fleet = await cli('--instances', '0');
    const speed = await cli('--speed', 'fast');

    // Whatever scenario files there are: adding one breaks nothing here.
    const scenarios = readdirSync(join(root, 'scenarios'))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.slice(0, -3))
      .sort();
    expect(scenarios).toEqual(expect.arrayContaining(['default', 'humans', 'short']));
    expect(unknown).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(`scenarios/ has: ${scenarios.join(', ')}\n`),
    });
    expect(fleet).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--instances: a whole number from 1 to 32'),
    });
    expect(speed).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--speed: a number above 0, at most 600'),
    });
    const mode = await cli('--alarms', 'composite');
    expect(mode).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--alarms: fleet or per-instance'),
    });
  });
});
