import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `remediate` as `npx remediate` would, returning its exit code and output. */
async function remediate(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)('bin/remediate.ts', args, {
      cwd: root,
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('the remediate CLI', () => {
  it('lists its commands, and explains each with --help', async () => {
    const help = await remediate('--help');
    expect(help.code).toBe(0);
    for (const command of [
      'pause',
      'resume',
      'status',
      'incidents list',
      'incidents show',
      'runbooks list',
      'runbooks validate',
      'runbooks test',
      'runbooks index',
      'explain',
    ]) {
      expect(help.stdout).toContain(`remediate ${command}`);
      const detail = await remediate(...command.split(' '), '--help');
      expect(detail.code, command).toBe(0);
      expect(detail.stdout).toMatch(/^usage: remediate /);
    }
  });

  it('validates the registered runbooks', async () => {
    expect(await remediate('runbooks', 'validate')).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('✓ disk-full'),
    });
  });

  it('proves a runbook in a sandbox, printing each step', async () => {
    const proof = await remediate('runbooks', 'test', 'disk-full');
    expect(proof.code).toBe(0);
    expect(proof.stdout).toMatch(
      /✓ fault \(fault.sh\): exit 0[\s\S]*✓ probe after attempt 1: \d+ \(alarm when GreaterThanThreshold 90/,
    );
    expect(proof.stdout).toContain('✓ the proof of disk-full holds');
    expect(await remediate('runbooks', 'test', 'no-such')).toMatchObject({ code: 1 });
  });

  it('explains a published event with no AWS, and refuses an unknown command with usage', async () => {
    const explained = await remediate(
      'explain',
      'test/events/cloudwatch-alarm-state-change.single-metric.json',
    );
    expect(explained.stdout).toContain('Alarm:      ServerCpuTooHigh went ALARM');
    expect([0, 3]).toContain(explained.code);
    expect(await remediate('frobnicate')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unknown command'),
    });
  });
});
