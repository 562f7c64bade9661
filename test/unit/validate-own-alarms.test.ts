import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/project-paths.ts';
import { checkRunbookFolders } from '../../local/authoring/validate.ts';

const core = pathToFileURL(join(PROJECT_ROOT, 'functions/core/runbook.ts')).href;
const folder = mkdtempSync(join(tmpdir(), 'validate-own-alarms-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** A runbook folder with a definition and its scripts. */
function runbook(name: string, match: string, alarm: string): void {
  mkdirSync(join(folder, name));
  for (const script of ['fix.sh', 'fault.sh', 'probe.sh'])
    writeFileSync(join(folder, name, script), '#!/usr/bin/env bash\necho 1\n', { mode: 0o755 });
  writeFileSync(
    join(folder, name, 'runbook.ts'),
    `import { defineRunbook } from '${core}';
export default defineRunbook({
  name: '${name}', description: 'test', owner: 'platform-team', match: ${match},
  ${alarm}
  remediate: 'fix.sh', maxAttempts: 1, backoff: { baseSeconds: 10, capSeconds: 60 },
  verifyWindowSeconds: 300, executionTimeoutSeconds: 60, deliveryTimeoutSeconds: 60,
  proof: { fault: 'fault.sh', probe: 'probe.sh'${alarm ? '' : ", alarm: { comparison: 'GreaterThanThreshold', threshold: 90 }"} },
});
`,
  );
}

describe('runbooks validate: each runbook answers its own provisioned alarms', () => {
  it('names the runbook whose alarms another, broader runbook would answer', async () => {
    const alarm = `alarm: { metric: { namespace: 'CWAgent', name: 'mem_used_percent' }, periodSeconds: 60, comparison: 'GreaterThanThreshold', threshold: 90, evaluationPeriods: 2 },`;
    runbook('memory-high', `{ metrics: [{ namespace: 'CWAgent', metricName: 'mem_used_percent' }] }`, alarm);
    runbook('catch-all', `{ alarmNames: ['memory-high-fleet-*', 'memory-high-web-*'] }`, '');
    const checks = await checkRunbookFolders(folder);
    const memory = checks.find((check) => check.folder === 'memory-high');
    expect(memory?.problems).toEqual([
      expect.stringMatching(
        /^runbook memory-high: its fleet alarm \(memory-high-fleet-Stack\) would be answered by runbook catch-all/,
      ),
      expect.stringMatching(
        /^runbook memory-high: its per-instance alarms \(memory-high-web-1-i-0123456789abcdef0\) would be answered by runbook catch-all/,
      ),
    ]);
    expect(checks.find((check) => check.folder === 'catch-all')?.problems).toEqual([]);
  });
});
