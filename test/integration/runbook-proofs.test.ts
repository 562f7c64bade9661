import { describe, expect, it } from 'vitest';
import { proofTimeoutSeconds, proveRunbook } from '../../local/runbook-proof.ts';
import { runbooks } from '../../runbooks/index.ts';

/** Beyond the proof's own budget: starting and destroying its sandbox, reading its scripts. */
const SANDBOX_SETUP_SECONDS = 30;

describe('every registered runbook proves itself in a sandbox', () => {
  // Each proof has the time its runbook declares (proof.timeoutSeconds), and stops itself there.
  for (const runbook of runbooks) {
    it(
      `${runbook.name}: the fault trips its alarm and the runbook brings it back`,
      async () => {
        const report = await proveRunbook(runbook);

        const failed = report.steps
          .filter((s) => !s.ok)
          .map((s) => `${s.name}: ${s.detail}\n${s.run?.stderr ?? ''}`);
        expect(report.held, failed.join('\n')).toBe(true);
        expect(report.steps[0]?.name).toMatch(/^fault/);
        expect(report.steps.at(-1)).toMatchObject({
          ok: true,
          name: expect.stringMatching(/^probe after attempt/),
        });
      },
      (proofTimeoutSeconds(runbook) + SANDBOX_SETUP_SECONDS) * 1000,
    );
  }
});
