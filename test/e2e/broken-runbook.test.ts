import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createIncidentTable, localDynamoDbClient } from '../../local/dynamodb-local.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A checkout of this repository in a temporary folder, so that its runbooks can be broken the way an
 * author breaks them (a typo in a definition, a registered folder deleted) without touching the
 * repository the other tests read.
 */
const checkout = mkdtempSync(join(tmpdir(), 'broken-runbook-'));
afterAll(() => rmSync(checkout, { recursive: true, force: true }));

/** A new runbook with the typos of a first draft. */
const DRAFT = `import { defineRunbook } from '../../functions/core/runbook.ts';
export default defineRunbook({
  name: 'app-unhealthy',
  description: 'Restarts an HTTP service that answers 5xx.',
  owner: 'web-team',
  match: { alarmNames: ['app-unhealthy-*'] },
  remediate: 'restart.sh',
  maxAttempts: 3,
  backoff: { baseSeconds: 30, capSeconds: 120 },
  verifyWindowSecond: 420,
  executionTimeoutSeconds: 120,
  deliveryTimeoutSeconds: 60,
});
`;

async function remediate(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(join(checkout, 'bin/remediate.ts'), args, {
      cwd: checkout,
      timeout: 60_000,
      env: { ...process.env, AWS_REGION: 'us-east-1', NO_COLOR: '1' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** A stack trace's frames: what a user must never see for a definition error. */
const STACK_FRAME = /^\s+at .+[(:]\d+/m;

describe('the CLI with a broken runbook in the checkout', () => {
  let table: string[];

  beforeAll(async () => {
    for (const folder of ['bin', 'cli', 'functions', 'lib', 'local', 'runbooks', 'scenarios'])
      cpSync(join(root, folder), join(checkout, folder), { recursive: true });
    for (const file of ['package.json', 'tsconfig.json']) cpSync(join(root, file), join(checkout, file));
    symlinkSync(join(root, 'node_modules'), join(checkout, 'node_modules'));
    mkdirSync(join(checkout, 'runbooks/app-unhealthy'));
    writeFileSync(join(checkout, 'runbooks/app-unhealthy/runbook.ts'), DRAFT);
    writeFileSync(join(checkout, 'runbooks/app-unhealthy/restart.sh'), '#!/usr/bin/env bash\n', {
      mode: 0o755,
    });
    const endpoint = inject('dynamoDbEndpoint');
    const name = `incidents-broken-${Date.now()}`;
    await createIncidentTable(localDynamoDbClient(endpoint), name, { timeToLive: false });
    table = ['--table', name, '--endpoint', endpoint];
  }, 60_000);

  it('registers the folders, whatever the old index imported, and says which one does not load', async () => {
    // A registered folder deleted: the old index imports it, and must not stop anything.
    rmSync(join(checkout, 'runbooks/time-drift'), { recursive: true });
    const indexed = await remediate('runbooks', 'index');
    expect(indexed.code).toBe(0);
    expect(indexed.stdout).toMatch(/registers: .*app-unhealthy/);
    expect(indexed.stdout).not.toMatch(/time-drift/);
    expect(readFileSync(join(checkout, 'runbooks/index.ts'), 'utf8')).not.toMatch(/time-drift/);
    expect(indexed.stderr).toMatch(/runbook app-unhealthy does not load.*verifyWindowSecond/);
    expect(indexed.stderr).not.toMatch(STACK_FRAME);
  });

  it('keeps the kill switch and every operator command working, naming the broken runbook', async () => {
    const steps = [
      ['pause', '--reason', 'bad deploy', '--by', 'alice'],
      ['status'],
      ['incidents', 'list'],
      ['breaker', 'close', '--runbook', 'disk-full', '--reason', 'fixed', '--by', 'alice'],
      ['resume'],
    ];
    for (const step of steps) {
      const result = await remediate(...step, ...table);
      expect(result.code, `${step.join(' ')}: ${result.stderr}`).toBe(0);
      expect(`${result.stdout}${result.stderr}`, step.join(' ')).toMatch(/app-unhealthy/);
      expect(result.stderr, step.join(' ')).not.toMatch(STACK_FRAME);
    }
    const status = await remediate('status', ...table);
    expect(status.stdout).toMatch(/^disk-full: enforce; breaker closed/m);
    expect(status.stdout).toMatch(
      /^app-unhealthy: its definition does not load in this checkout: .*verifyWindowSecond: no such field; did you mean verifyWindowSeconds\?/m,
    );
  });

  it('lists, validates and refuses to prove or play it, with the field and the fix, never a stack trace', async () => {
    const validate = await remediate('runbooks', 'validate');
    expect(validate.code).toBe(1);
    expect(validate.stdout).toMatch(
      /✗ app-unhealthy\n[^✓✗]*verifyWindowSecond: no such field; did you mean verifyWindowSeconds\?/,
    );
    expect(validate.stdout).toMatch(/✓ disk-full/);

    const list = await remediate('runbooks', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/app-unhealthy {2}\(does not load\)/);
    expect(list.stdout).toMatch(/^disk-full {2}\(owner/m);

    const test = await remediate('runbooks', 'test', 'app-unhealthy');
    expect(test.code).toBe(1);
    expect(test.stderr).toMatch(/runbook app-unhealthy does not load/);

    expect((await remediate('runbooks', 'index')).code).toBe(0);
    const gameday = await remediate('gameday');
    expect(gameday.code, gameday.stderr).toBe(2);
    expect(gameday.stderr).toMatch(/app-unhealthy: runbook "app-unhealthy" is invalid/);

    for (const result of [validate, list, test, gameday]) expect(result.stderr).not.toMatch(STACK_FRAME);
  });

  it('fails the synth with the runbook, the field and the fix, not a stack trace', async () => {
    const synth = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
      cwd: checkout,
      timeout: 120_000,
      env: { ...process.env, CDK_OUTDIR: join(checkout, 'cdk.out') },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(synth.code).toBe(1);
    expect(synth.stderr).toMatch(
      /^runbook "app-unhealthy" is invalid:\n {2}- verifyWindowSecond: no such field; did you mean verifyWindowSeconds\?/,
    );
    expect(synth.stderr).not.toMatch(STACK_FRAME);
  }, 150_000);
});
