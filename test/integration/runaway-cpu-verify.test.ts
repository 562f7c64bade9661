import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readProbe, verifyCondition } from '../../functions/core/probe.ts';
import { RUNBOOKS_DIRECTORY } from '../../lib/project-paths.ts';
import { createSandbox, type Sandbox } from '../../local/sandbox.ts';
import { runbooks } from '../../runbooks/index.ts';

/**
 * runaway-cpu is verified by what its alarm reads, the instance's CPU over all its cores, and not by
 * its proof's probe (the busiest process in % of one core): after a kill that worked, another busy
 * process above 80% of its core must not read "still broken" on a many-core instance.
 */

const live: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(live.splice(0).map((s) => s.destroy()));
});

const runbook = runbooks.find((r) => r.name === 'runaway-cpu');
const PROBE = readFileSync(join(RUNBOOKS_DIRECTORY, 'runaway-cpu', 'verify-probe.sh'), 'utf8');

async function reading(sbx: Sandbox): Promise<{ cores: number; value: number }> {
  const run = await sbx.run(PROBE, { timeoutSeconds: 20 });
  expect(run.exitCode).toBe(0);
  const cores = Number(/on (\d+) core/.exec(run.stdout)?.[1]);
  const value = Number(run.stdout.trim().split('\n').at(-1));
  return { cores, value };
}

describe('runaway-cpu verify probe', () => {
  it('is the probe its runbook verifies with, judged by the alarm condition (> 80 % of the instance)', () => {
    expect(runbook?.verify?.probe).toBe('verify-probe.sh');
    expect(runbook && verifyCondition(runbook)).toMatchObject({
      comparison: 'GreaterThanThreshold',
      threshold: 80,
    });
  });

  it('reads the instance over all its cores: a process spinning one core is a share of them', async () => {
    const sbx = await createSandbox();
    live.push(sbx);

    const idle = await reading(sbx);
    await sbx.run('(while :; do :; done) >/dev/null 2>&1 & echo started', { timeoutSeconds: 5 });
    const spinning = await reading(sbx);

    expect(idle.cores).toBeGreaterThanOrEqual(1);
    expect(idle.value).toBeGreaterThanOrEqual(0);
    expect(idle.value).toBeLessThan(10);
    // One core's worth at most, spread over every core, whatever else the machine runs.
    expect(spinning.value).toBeGreaterThan(idle.value);
    expect(spinning.value).toBeLessThanOrEqual(100 / spinning.cores + 2);
    // Where there are two cores or more, one busy process cannot make the instance read as breaching.
    if (spinning.cores >= 2) expect(spinning.value).toBeLessThanOrEqual(80);
  });

  it('prints its reading as the last line, which is what the document reports', async () => {
    const sbx = await createSandbox();
    live.push(sbx);

    const run = await sbx.run(PROBE, { timeoutSeconds: 20 });

    expect(run.stdout).toMatch(/^instance CPU over 1\.\d s on \d+ core\(s\)\n\d+\.\d\n$/);
    expect(readProbe(`RUNBOOK_PROBE reading=${run.stdout.trim().split('\n').at(-1)}`)).toMatchObject({
      kind: 'reading',
    });
  });
});
