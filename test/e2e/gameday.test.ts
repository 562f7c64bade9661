import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

describe('npx remediate gameday --scenario short, run as a user runs it', () => {
  it('remediates real faults in sandboxes, escalates the one it cannot fix once, and exits 0', async () => {
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
      'ALARM: service-down-web-3 on i-0da00000000000003 - automation gave up after 3 attempts',
    );
    expect(pages[0].body).toContain('FAILED: app did not stay up after the restart');
    expect(pages[0].body).toContain('invalid listen address');
    expect(received.map((p) => p.subject)).toEqual([pages[0].subject]);
    const html = readFileSync(report, 'utf8');
    expect(html).toMatch(/<svg[^>]*class="timeline"/);
    expect(html.match(/class="instance-row"/g)).toHaveLength(3);
  }, 300_000);
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

    expect(unknown).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('scenarios/ has: default, short'),
    });
    expect(fleet).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--instances: a whole number from 1 to 32'),
    });
    expect(speed).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--speed: a number above 0, at most 600'),
    });
  });
});
