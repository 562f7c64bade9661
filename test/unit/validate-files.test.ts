import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/project-paths.ts';
import { checkRunbookFolders, readVariables } from '../../local/authoring/validate.ts';
import { scenarioForRunbook } from '../../local/gameday/runbook-scenario.ts';
import diskFull from '../../runbooks/disk-full/runbook.ts';

const core = pathToFileURL(join(PROJECT_ROOT, 'functions/core/runbook.ts')).href;
const folder = mkdtempSync(join(tmpdir(), 'validate-files-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** A runbook folder whose fix.sh is `script`; `service` is its one parameter. */
function runbook(name: string, script: string, mode = 0o755): void {
  mkdirSync(join(folder, name));
  for (const file of ['fault.sh', 'probe.sh'])
    writeFileSync(join(folder, name, file), '#!/usr/bin/env bash\necho 1\n', { mode: 0o755 });
  writeFileSync(join(folder, name, 'fix.sh'), script, { mode });
  chmodSync(join(folder, name, 'fix.sh'), mode);
  writeFileSync(
    join(folder, name, 'runbook.ts'),
    `import { defineRunbook } from '${core}';
export default defineRunbook({
  name: '${name}', description: 'test', owner: 'platform-team', match: { alarmNames: ['${name}-*'] },
  parameters: { service: { description: 'unit', allowedPattern: '^[a-z0-9][a-z0-9.-]{0,31}$', default: 'app' } },
  remediate: 'fix.sh', maxAttempts: 1, backoff: { baseSeconds: 10, capSeconds: 60 },
  verifyWindowSeconds: 300, executionTimeoutSeconds: 60, deliveryTimeoutSeconds: 60,
  proof: { fault: 'fault.sh', probe: 'probe.sh', alarm: { comparison: 'GreaterThanThreshold', threshold: 0 } },
});
`,
  );
}

describe('runbooks validate checks the scripts as the instance will run them', () => {
  runbook('good', '#!/usr/bin/env bash\nsystemctl restart -- "$SSM_service"\necho "$' + '{SSM_action:-}"\n');
  runbook(
    'undeclared',
    '#!/usr/bin/env bash\nsystemctl restart -- "$' + '{SSM_servce:-}"\n# $SSM_commented is fine\n',
  );
  runbook('not-executable', '#!/usr/bin/env bash\ntrue\n', 0o644);
  runbook('directory', '#!/usr/bin/env bash\ntrue\n');
  rmSync(join(folder, 'directory', 'fix.sh'));
  mkdirSync(join(folder, 'directory', 'fix.sh'));

  it('names a script that reads an SSM_ variable no parameter declares, with the closest', async () => {
    const checks = await checkRunbookFolders(folder);
    const problems = (name: string) => checks.find((c) => c.folder === name)?.problems;
    expect(problems('good')).toEqual([]);
    expect(problems('undeclared')).toEqual([
      'fix.sh: reads SSM_servce, which no parameter declares, so it is always empty: did you mean SSM_service? declare "servce" in parameters, or stop reading it',
    ]);
    expect(problems('not-executable')).toEqual([
      'fix.sh: is not executable: chmod +x it (and commit the mode)',
    ]);
    // root reads anything: only an unprivileged author sees this one.
    if (process.getuid?.() !== 0)
      expect(problems('unreadable')).toEqual(['fix.sh: cannot be read: chmod u+r it']);
  });

  it('leaves nothing to finish in a runbook without TODOs, and none in the shipped runbooks', async () => {
    const mine = await checkRunbookFolders(folder);
    const shipped = await checkRunbookFolders();

    expect(mine.find((c) => c.folder === 'good')?.unfinished).toEqual([]);
    expect(shipped.length).toBeGreaterThan(5);
    expect(shipped.filter((c) => c.unfinished.length > 0).map((c) => [c.folder, c.unfinished])).toEqual([]);
  });

  it('reads every form of a variable, and no comment', () => {
    expect(
      readVariables(['echo $SSM_a', '{SSM_b:-x} $', '{SSM_c+x} $', '{#SSM_d}\n  # $SSM_e\n'].join('$')),
    ).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('gameday --runbook', () => {
  it('plays the runbook on its own: its proof fault on one of two instances, fixed as its mode allows', () => {
    const scenario = scenarioForRunbook(diskFull);
    expect(scenario).toMatchObject({
      instances: 2,
      alarms: ['disk-full'],
      faults: [{ atMinutes: 1, instances: [1], runbook: 'disk-full', expect: 'fixed' }],
    });
    const approve = scenarioForRunbook({ ...diskFull, mode: 'approve' });
    expect(approve).toMatchObject({
      faults: [{ expect: 'fixed-after-approval' }],
      responders: [{ verb: 'approve', waitsFor: 'proposal', instance: 1 }],
    });
    const dryRun = scenarioForRunbook({ ...diskFull, mode: 'dry-run' });
    expect(dryRun).toMatchObject({ modes: { 'disk-full': 'approve' } });
    const { alarm: _, ...undeclared } = diskFull;
    expect(scenarioForRunbook(undeclared)).toEqual({ error: expect.stringMatching(/declares no alarm/) });
  });
});
