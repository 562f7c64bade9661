import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
