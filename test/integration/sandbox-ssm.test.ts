import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SendCommandEffect } from '../../functions/core/effects.ts';
import { defineRunbook } from '../../functions/core/runbook.ts';
import { createFleet, destroyFleet, type FleetInstance } from '../../local/gameday/fleet.ts';
import { SandboxSsm } from '../../local/gameday/sandbox-ssm.ts';
import { ScaledTime } from '../../local/gameday/scaled-time.ts';
import { LocalBus } from '../../local/local-bus.ts';
import { TIMEOUT_EXIT_CODE } from '../../local/sandbox.ts';

/** SSM's least execution timeout: at SPEED, a second and a half of real time. */
const EXECUTION_TIMEOUT_SECONDS = 30;
const SPEED = 20;

const runbook = defineRunbook({
  name: 'slow-check',
  description: 'Checks slowly.',
  owner: 'platform-team',
  match: { alarmNames: ['slow-check-*'] },
  remediate: 'hang.sh',
  maxAttempts: 1,
  backoff: { baseSeconds: 60, capSeconds: 60 },
  verifyWindowSeconds: 60,
  executionTimeoutSeconds: EXECUTION_TIMEOUT_SECONDS,
  deliveryTimeoutSeconds: 30,
});

let dir: string;
let fleet: FleetInstance[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sandbox-ssm-'));
  mkdirSync(join(dir, runbook.name));
  // Ten real seconds: two hundred seconds of the clock, well past the timeout.
  writeFileSync(
    join(dir, runbook.name, 'hang.sh'),
    'echo "waiting for the lock"\nsleep 10\necho "never printed"\n',
  );
  fleet = await createFleet(1);
});

afterAll(async () => {
  await destroyFleet(fleet);
  rmSync(dir, { recursive: true, force: true });
});

function command(instanceId: string): SendCommandEffect {
  return {
    kind: 'send-command',
    key: { runbook: runbook.name, alarm: '0123456789abcdef', target: instanceId },
    incidentId: 'incident-1',
    runbook: runbook.name,
    action: 'remediate',
    parameters: {},
    instanceId,
    attempt: 1,
    comment: 'incident-1 attempt 1',
    executionTimeoutSeconds: EXECUTION_TIMEOUT_SECONDS,
    deliveryTimeoutSeconds: runbook.deliveryTimeoutSeconds,
  };
}

describe("the game day's SSM, once its clock's timers have stopped", () => {
  it('still stops a command at its execution timeout on the clock, and answers TimedOut when asked then', async () => {
    const instanceId = fleet[0]?.instanceId as string;
    const time = new ScaledTime(Date.parse('2026-12-05T08:00:00Z'), SPEED);
    const ssm = new SandboxSsm({
      fleet,
      runbooks: [runbook],
      scheduler: time,
      bus: new LocalBus(time),
      documents: { [runbook.name]: 'Remediation-slow-check' },
      runbooksDir: dir,
    });
    const sentAt = time.now();
    const started = performance.now();
    const asked = await ssm.send(command(instanceId));
    const settled = await ssm.send(command(instanceId));
    // The game day is over: the clock's timers are cancelled, but its time goes on.
    await time.stop();
    while (time.now() < sentAt + EXECUTION_TIMEOUT_SECONDS * 1000)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const answer = await ssm.observe(asked, instanceId);
    await ssm.settle();
    const recorded = await ssm.observe(settled, instanceId);

    const timedOut = {
      kind: 'finished',
      result: { status: 'TimedOut', responseCode: TIMEOUT_EXIT_CODE, stdout: 'waiting for the lock\n' },
    };
    expect(answer).toMatchObject(timedOut);
    expect(recorded).toMatchObject(timedOut);
    // Stopped by the clock, not at the end of the script's ten seconds of sleep.
    expect(performance.now() - started).toBeLessThan(8_000);
  });
});
