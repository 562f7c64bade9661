import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeProbe } from '../../functions/core/probe.ts';
import { defineRunbook } from '../../functions/core/runbook.ts';
import { createSandbox, type Sandbox } from '../../local/sandbox.ts';
import { runbookDocumentContent } from '../../runbooks/ssm-document.ts';
import { testRunbook } from '../support/fixtures.ts';

describe('a runbook document on an instance whose root volume is exhausted', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await createSandbox({ name: 'exhausted', inodes: 4096 });
  });
  afterAll(() => sandbox.destroy());

  it('still runs its action when not one inode is left on /', async () => {
    // Prepare: take every free inode of the root file system.
    await sandbox.run(
      'mkdir -p /var/lib/flood && i=0; while : > "/var/lib/flood/$i" 2>/dev/null; do i=$((i+1)); done; true',
    );
    const full = await sandbox.run("df -Pi / | awk 'NR == 2 { print $4 }'");
    const document = runbookDocumentContent(testRunbook, {
      'remediate.sh': 'echo "cleaning up"; rm -rf /var/lib/flood\n',
    });

    // Act
    const result = await sandbox.run(document.mainSteps[0].inputs.runCommand.join('\n'), {
      env: { SSM_action: 'remediate' },
    });

    // Assess
    expect(full.stdout.trim()).toBe('0');
    expect(result).toMatchObject({ exitCode: 0, stdout: 'cleaning up\n' });
  });
});

describe("a runbook document's probe, right after the remedy, on a real sandbox", () => {
  const probed = defineRunbook({
    ...testRunbook,
    actions: [
      { name: 'clean', script: 'clean.sh' },
      { name: 'noop', script: 'noop.sh' },
      { name: 'fail', script: 'fail.sh' },
    ],
    remediate: undefined,
    alarm: {
      metric: { namespace: 'CWAgent', name: 'disk_used_percent' },
      dimensions: { path: '/' },
      periodSeconds: 60,
      comparison: 'GreaterThanThreshold',
      threshold: 50,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
    },
    diagnose: 'diagnose.sh',
    proof: { fault: 'fault.sh', probe: 'probe.sh' },
    verify: { settleSeconds: 1, timeoutSeconds: 5 },
  });
  const scripts = {
    'clean.sh': 'echo "removing the ballast"; rm -f /var/tmp/ballast\n',
    'noop.sh': 'echo "nothing to remove"\n',
    'fail.sh': 'echo "cannot" >&2; exit 3\n',
    'diagnose.sh': 'df -P /\n',
    'probe.sh': `df -P / | awk 'NR == 2 { sub("%", "", $5); print $5 }'\n`,
  };
  const document = runbookDocumentContent(probed, scripts).mainSteps[0].inputs.runCommand.join('\n');
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await createSandbox({ name: 'probed' });
  });
  afterAll(() => sandbox.destroy());

  const fill = () =>
    sandbox.run('head -c $((48 * 1024 * 1024)) /dev/zero > /var/tmp/ballast; df -P / | tail -n 1');
  const run = (action: string) => sandbox.run(document, { env: { SSM_action: action } });

  it('reports the metric on its last line: healthy after a remedy that fixed, still broken after one that did not', async () => {
    await fill();
    const idle = await run('noop');
    const fixed = await run('clean');

    expect(idle.exitCode).toBe(0);
    expect(judgeProbe(probed, 'noop', idle.stdout)).toMatchObject({ healthy: false });
    expect(fixed.exitCode).toBe(0);
    expect(fixed.stdout).toMatch(/removing the ballast\nprobe: \d+\nRUNBOOK_PROBE reading=\d+\n$/);
    expect(judgeProbe(probed, 'clean', fixed.stdout)).toMatchObject({ healthy: true });
  });

  it("keeps the action's exit code, and runs no probe after a failed remedy or the diagnosis", async () => {
    const failed = await run('fail');
    const diagnosed = await run('diagnose');

    expect(failed.exitCode).toBe(3);
    expect(failed.stdout).not.toContain('RUNBOOK_PROBE');
    expect(diagnosed.exitCode).toBe(0);
    expect(diagnosed.stdout).not.toContain('RUNBOOK_PROBE');
  });

  it('says why a probe that fails, hangs or prints no number could not be read', async () => {
    const variants: Array<[string, RegExp]> = [
      [
        'echo "df: /: permission denied" >&2; exit 2\n',
        /unreadable=the probe exited 2: df: \/: permission denied$/,
      ],
      ['sleep 30\n', /unreadable=the probe ran out of its 5s$/],
      ['echo "n/a"\n', /unreadable=its last line is not a number: n\/a$/],
    ];
    for (const [probe, said] of variants) {
      const text = runbookDocumentContent(probed, {
        ...scripts,
        'probe.sh': probe,
      }).mainSteps[0].inputs.runCommand.join('\n');
      const result = await sandbox.run(text, { env: { SSM_action: 'noop' } });
      expect(result.exitCode).toBe(0);
      expect(result.stdout.trim().split('\n').at(-1)).toMatch(said);
      expect(judgeProbe(probed, 'noop', result.stdout)).toMatchObject({ unreadable: expect.any(String) });
    }
  }, 60_000);
});
