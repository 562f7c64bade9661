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
    const commands = [
      'pause',
      'resume',
      'status',
      'incidents list',
      'incidents show',
      'runbooks list',
      'runbooks validate',
      'runbooks test',
      'runbooks index',
      'runbooks approve-mode',
      'approve',
      'retry',
      'snooze',
      'take',
      'explain',
      'alarms plan',
      'report',
    ];
    // Each is its own process, as a person runs it; they start side by side.
    const [help, ...details] = await Promise.all([
      remediate('--help'),
      ...commands.map((command) => remediate(...command.split(' '), '--help')),
    ]);
    expect(help?.code).toBe(0);
    for (const [i, command] of commands.entries()) {
      expect(help?.stdout).toContain(`remediate ${command}`);
      expect(details[i]?.code, command).toBe(0);
      expect(details[i]?.stdout, command).toMatch(/^usage: remediate /);
    }
    // Eighteen processes on a CI machine of two cores, beside the other suites: a bound on a hang.
  }, 120_000);

  it('plans the fleet alarms with no AWS, and names the closest command, flag or mode for a typo', async () => {
    const [plan, help, command, flag, mode] = await Promise.all([
      remediate('alarms', 'plan', '--instances', '2000'),
      remediate('alarms', 'plan', '--help'),
      remediate('alarms', 'plna'),
      remediate('alarms', 'plan', '--instancs', '10'),
      remediate('alarms', 'plan', '--mode', 'per-instace'),
    ]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('disk-full-fleet-Ec2AutoRemediation-Remediation-shard-f');
    expect(plan.stdout).toContain('Cost a month: $1,800.00');
    expect(plan.stdout).not.toContain('\u001b[');
    expect(help.stdout).toMatch(/^usage: remediate alarms plan /);
    expect(command).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('did you mean remediate alarms plan?'),
    });
    expect(flag).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unknown option --instancs; did you mean --instances?'),
    });
    expect(mode).toMatchObject({ code: 2, stderr: expect.stringContaining('did you mean per-instance?') });
  }, 120_000);

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
