import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ChooseContext,
  defineRunbook,
  type RunbookDefinition,
  type RunbookProof,
} from '../../functions/core/runbook.ts';
import { proofTimeoutSeconds, proveRunbook } from '../../local/runbook-proof.ts';

/**
 * Fixture runbooks, proved in real sandboxes: a level file that the fault raises to 95 (the alarm is
 * above 90), an action `soft` that leaves it there, and an action `hard` that brings it down to 10.
 * Each action prints its name and the level parameter it was given.
 */
const SCRIPTS: Readonly<Record<string, string>> = {
  'fault.sh': '#!/bin/bash\nmkdir -p /var/lib/fixture && echo 95 > /var/lib/fixture/level\n',
  'probe.sh': '#!/bin/bash\ncat /var/lib/fixture/level\n',
  'soft.sh': '#!/bin/bash\necho "soft level=$SSM_level"\n',
  'soft-fails.sh': '#!/bin/bash\necho "soft level=$SSM_level"\nexit 3\n',
  'hard.sh': '#!/bin/bash\necho "hard level=$SSM_level"\necho 10 > /var/lib/fixture/level\n',
  'slow.sh': '#!/bin/bash\necho "slow starts"\nsleep 60\necho 10 > /var/lib/fixture/level\n',
  'failing-probe.sh': '#!/bin/bash\necho 1\nexit 7\n',
};

const PROOF: RunbookProof = {
  fault: 'fault.sh',
  probe: 'probe.sh',
  alarm: { comparison: 'GreaterThanThreshold', threshold: 90 },
};

const base = (name: string, overrides: Partial<RunbookDefinition>): RunbookDefinition => ({
  name,
  description: 'Brings the fixture level down.',
  owner: 'platform-team',
  match: { alarmNames: [`${name}-*`] },
  actions: [
    { name: 'soft', script: 'soft.sh' },
    { name: 'hard', script: 'hard.sh' },
  ],
  parameters: { level: { description: 'How hard.', allowedPattern: '^(low|high)$', default: 'low' } },
  maxAttempts: 2,
  backoff: { baseSeconds: 30, capSeconds: 60 },
  verifyWindowSeconds: 300,
  executionTimeoutSeconds: 30,
  deliveryTimeoutSeconds: 60,
  // The proof runs none of the decider's waits: its budget of time to a human is beside the point.
  pageWithin: { seconds: 3600, reason: 'a proof fixture, judged in a sandbox, never paged for' },
  proof: PROOF,
  ...overrides,
});

/** Beyond a proof's own budget: starting and destroying its sandbox, reading its scripts. */
const SANDBOX_SETUP_SECONDS = 30;

let directory: string;

/** Writes the fixture's folder: every fixture script, so that any action may name any of them. */
function folder(name: string): void {
  mkdirSync(join(directory, name));
  for (const [file, text] of Object.entries(SCRIPTS))
    writeFileSync(join(directory, name, file), text, { mode: 0o755 });
}

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), 'proof-fixtures-'));
});

afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

const names = (steps: readonly { name: string }[]) => steps.map((s) => s.name);

describe('a proof runs what choose picks, as the decider would', () => {
  it("runs the action choose picks over the ladder's, with its parameters, and shows it the proof's alarm", async () => {
    const seen: ChooseContext[] = [];
    const runbook = defineRunbook(
      base('fixture-choose', {
        // The ladder would run soft first; choose goes straight to hard, with level=high.
        choose: (context) => {
          seen.push(context);
          return { action: 'hard', parameters: { level: 'high' } };
        },
        proof: {
          ...PROOF,
          alarmValues: { dimensions: { exe: 'app' }, tags: { team: 'web' } },
        },
      }),
    );
    folder(runbook.name);

    const report = await proveRunbook(runbook, { directory });

    expect(report.held, JSON.stringify(report.steps, null, 2)).toBe(true);
    expect(names(report.steps)).toEqual([
      'fault (fault.sh)',
      'probe after the fault',
      'attempt 1: hard',
      'probe after attempt 1',
    ]);
    expect(report.steps[2]?.detail).toBe('exit 0, chosen by choose (level=high)');
    // The action's own output, then the probe's check of it, as the document runs it on an instance.
    expect(report.steps[2]?.run?.stdout).toMatch(/^hard level=high\nprobe: .*\nRUNBOOK_PROBE reading=\S+\n$/);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toEqual({
      attempt: 1,
      alarm: {
        name: expect.stringMatching(/^fixture-choose-sbx-[0-9a-f]{6}-exe=app$/),
        dimensions: { InstanceId: expect.stringMatching(/^sbx-[0-9a-f]{6}$/), exe: 'app' },
        tags: { team: 'web' },
      },
      parameters: { level: 'low' },
      history: [],
    });
  });

  it('gives choose the attempts so far, and stops when it hands over to a human', async () => {
    const seen: ChooseContext[] = [];
    const runbook = defineRunbook(
      base('fixture-escalate', {
        actions: [
          { name: 'soft', script: 'soft-fails.sh' },
          { name: 'hard', script: 'hard.sh' },
        ],
        maxAttempts: 3,
        choose: (context) => {
          seen.push(context);
          const code = context.history.at(-1)?.exitCode;
          return code === 3 ? { escalate: `soft refused (exit ${code})` } : { action: 'soft' };
        },
      }),
    );
    folder(runbook.name);

    const report = await proveRunbook(runbook, { directory });

    expect(report.held).toBe(false);
    expect(names(report.steps)).toEqual([
      'fault (fault.sh)',
      'probe after the fault',
      'attempt 1: soft',
      'probe after attempt 1',
      'attempt 2: choose',
    ]);
    expect(report.steps.at(-1)).toEqual({
      name: 'attempt 2: choose',
      ok: false,
      detail: 'choose handed over to a human: soft refused (exit 3)',
    });
    expect(seen.map((c) => c.history)).toEqual([[], [{ action: 'soft', status: 'failed', exitCode: 3 }]]);
  });

  it("records what the decider records of a command that exited 0 but did not fix it, and checks choose's values", async () => {
    const seen: ChooseContext[] = [];
    const runbook = defineRunbook(
      base('fixture-refused', {
        choose: (context) => {
          seen.push(context);
          return context.attempt === 1
            ? { action: 'soft' }
            : { action: 'hard', parameters: { level: 'x;y' } };
        },
      }),
    );
    folder(runbook.name);

    const report = await proveRunbook(runbook, { directory });

    expect(report.held).toBe(false);
    expect(seen[1]?.history).toEqual([
      { action: 'soft', status: 'succeeded', exitCode: 0, verification: 'failed' },
    ]);
    expect(report.steps.at(-1)).toMatchObject({
      name: 'attempt 2: choose',
      ok: false,
      detail: expect.stringMatching(/^handed over to a human: parameter level .*"x;y".* does not match/),
    });
  });

  it('without choose, climbs the ladder as before', async () => {
    const runbook = defineRunbook(base('fixture-ladder', {}));
    folder(runbook.name);

    const report = await proveRunbook(runbook, { directory });

    expect(report.held, JSON.stringify(report.steps, null, 2)).toBe(true);
    expect(names(report.steps).filter((n) => n.startsWith('attempt'))).toEqual([
      'attempt 1: soft',
      'attempt 2: hard',
    ]);
    expect(report.steps.find((s) => s.name === 'attempt 1: soft')?.detail).toBe('exit 0');
  });
});

describe("a proof's time budget", () => {
  // The action needs 60 s, within its execution timeout of 120 s, but the proof allows 10 s in all.
  const slow = defineRunbook(
    base('fixture-slow', {
      actions: [{ name: 'slow', script: 'slow.sh' }],
      maxAttempts: 1,
      executionTimeoutSeconds: 120,
      proof: { ...PROOF, timeoutSeconds: 10 },
    }),
  );

  it(
    'stops the running step when the budget runs out, and says which step and what to raise',
    async () => {
      folder(slow.name);
      const started = performance.now();

      const report = await proveRunbook(slow, { directory });

      const seconds = (performance.now() - started) / 1000;
      expect(report.held).toBe(false);
      expect(report.steps.at(-1)).toMatchObject({
        name: 'time budget',
        ok: false,
        detail:
          "the proof's time budget of 10 s ran out during attempt 1: slow; raise proof.timeoutSeconds if the runbook needs longer",
        run: { timedOut: true, stdout: 'slow starts\n' },
      });
      expect(names(report.steps)).toEqual(['fault (fault.sh)', 'probe after the fault', 'time budget']);
      expect(seconds).toBeGreaterThanOrEqual(9.5);
      expect(seconds).toBeLessThan(15);
    },
    (proofTimeoutSeconds(slow) + SANDBOX_SETUP_SECONDS) * 1000,
  );
});

describe("a probe's failure", () => {
  it('says that the probe exited otherwise, and what it printed last', async () => {
    const runbook = defineRunbook(
      base('fixture-probe-exit', { proof: { ...PROOF, probe: 'failing-probe.sh' } }),
    );
    folder(runbook.name);

    const report = await proveRunbook(runbook, { directory });

    expect(report.held).toBe(false);
    expect(report.steps.at(-1)).toMatchObject({
      name: 'probe after the fault',
      ok: false,
      detail: 'the probe exited 7, so its output is no measure; its last line was "1"',
    });
  });
});
