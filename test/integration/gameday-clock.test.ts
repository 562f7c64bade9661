import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineRunbook } from '../../functions/core/runbook.ts';
import type { FleetInstance } from '../../local/gameday/fleet.ts';
import { SandboxSsm } from '../../local/gameday/sandbox-ssm.ts';
import { ScaledTime } from '../../local/gameday/scaled-time.ts';
import { LocalBus } from '../../local/local-bus.ts';
import { createSandbox, type Sandbox } from '../../local/sandbox.ts';

/**
 * The game day runs a virtual clock many times faster than the sandboxes' real one. A command's
 * execution timeout must run on the virtual clock, the one the decider's deadlines run on: otherwise a
 * command that takes a few real seconds outlives its deadline there and is reported lost, without
 * its output, instead of failed or timed out with it.
 */
describe("the game day's SSM keeps the execution timeout on the game day's clock", () => {
  const folder = mkdtempSync(join(tmpdir(), 'gameday-clock-'));
  let sandbox: Sandbox;
  afterAll(async () => {
    await sandbox?.destroy();
    rmSync(folder, { recursive: true, force: true });
  });
  const runbook = defineRunbook({
    name: 'slow-fix',
    description: 'test',
    owner: 'platform-team',
    match: { alarmNames: ['slow-fix-*'] },
    actions: [
      { name: 'quick', script: 'quick.sh' },
      { name: 'late', script: 'late.sh' },
      { name: 'slow', script: 'slow.sh' },
    ],
    maxAttempts: 2,
    backoff: { baseSeconds: 10, capSeconds: 60 },
    verifyWindowSeconds: 180,
    executionTimeoutSeconds: 30,
    deliveryTimeoutSeconds: 30,
  });

  beforeAll(async () => {
    mkdirSync(join(folder, 'slow-fix'));
    writeFileSync(join(folder, 'slow-fix/quick.sh'), '#!/usr/bin/env bash\necho fixed\nexit 1\n');
    // 4 real seconds: as many on the game day's clock while the command holds it, within the timeout.
    writeFileSync(join(folder, 'slow-fix/late.sh'), '#!/usr/bin/env bash\necho waiting\nsleep 4\nexit 1\n');
    // 8 real seconds: 160 virtual seconds on a clock at 20x, past the 30 s timeout.
    writeFileSync(
      join(folder, 'slow-fix/slow.sh'),
      '#!/usr/bin/env bash\necho started\nsleep 8\necho finished\n',
    );
    sandbox = await createSandbox({ name: 'gameday-clock' });
  }, 60_000);

  /** `held`: the clock slows while the command runs, as the game day wires it. */
  async function send(action: string, held = true) {
    const time = new ScaledTime(Date.parse('2026-12-05T03:00:00Z'), held ? 60 : 20);
    const instance = {
      instanceId: 'i-0000000000000c10c',
      name: 'web-1',
      sandbox,
    } as unknown as FleetInstance;
    const ssm = new SandboxSsm({
      fleet: [instance],
      runbooks: [runbook],
      scheduler: time,
      bus: new LocalBus(time),
      documents: { 'slow-fix': 'Remediation-slow-fix' },
      runbooksDir: folder,
      ...(held ? { hold: () => time.hold() } : {}),
    });
    const requestedAt = time.now();
    const commandId = await ssm.send({
      kind: 'send-command',
      key: { runbook: 'slow-fix', alarm: '0123456789abcdef', target: instance.instanceId },
      incidentId: 'slow-fix.test',
      runbook: 'slow-fix',
      instanceId: instance.instanceId,
      attempt: 1,
      action,
      parameters: {},
      comment: `test ${action}`,
      executionTimeoutSeconds: runbook.executionTimeoutSeconds,
      deliveryTimeoutSeconds: runbook.deliveryTimeoutSeconds,
    });
    await ssm.settle();
    const observed = await ssm.observe(commandId, instance.instanceId);
    await time.stop();
    if (observed.kind !== 'finished') throw new Error(`no result: ${observed.kind}`);
    return {
      result: observed.result,
      virtualSeconds: ((observed.result.finishedAt ?? Number.NaN) - requestedAt) / 1000,
    };
  }

  it('a command that ends within its timeout reports its exit code and output', async () => {
    const { result, virtualSeconds } = await send('quick');
    expect(result).toMatchObject({ status: 'Failed', responseCode: 1, stdout: 'fixed\n' });
    expect(virtualSeconds).toBeLessThanOrEqual(30);
  });

  it('a script takes as long on the clock as on an instance, whatever the speed', async () => {
    const { result, virtualSeconds } = await send('late');
    expect(result).toMatchObject({ status: 'Failed', responseCode: 1, stdout: 'waiting\n' });
    expect(virtualSeconds).toBeGreaterThanOrEqual(4);
    expect(virtualSeconds).toBeLessThan(30);
  });

  it('a command that outlives its timeout on the virtual clock is TimedOut, with its output, at the timeout', async () => {
    const { result, virtualSeconds } = await send('slow', false);
    expect(result).toMatchObject({
      status: 'TimedOut',
      statusDetails: 'ExecutionTimedOut',
      stdout: 'started\n',
    });
    // Within the timeout and what it takes to stop the command, long before the decider's deadline
    // (the delivery timeout on top, and a margin).
    expect(virtualSeconds).toBeGreaterThanOrEqual(30);
    expect(virtualSeconds).toBeLessThan(30 + runbook.deliveryTimeoutSeconds);
  }, 30_000);
});
