import { describe, expect, it } from 'vitest';
import { proveRunbook } from '../../local/runbook-proof.ts';
import { runbooks } from '../../runbooks/index.ts';

describe('every registered runbook proves itself in a sandbox', () => {
  it.each(runbooks.map((r) => [r.name, r] as const))(
    '%s: the fault trips its alarm and the runbook brings it back',
    async (_name, runbook) => {
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
  );
});
