import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PROOF_TIMEOUT_SECONDS,
  defineRunbook,
  RunbookDefinitionError,
  type RunbookProof,
} from '../../functions/core/runbook.ts';
import { proofTimeoutSeconds } from '../../local/runbook-proof.ts';
import { testRunbook } from '../support/fixtures.ts';

const PROOF: RunbookProof = {
  fault: 'fault.sh',
  probe: 'probe.sh',
  alarm: { comparison: 'GreaterThanThreshold', threshold: 90 },
};

const withProof = (proof: Record<string, unknown>) => () =>
  defineRunbook({ ...testRunbook, proof: { ...PROOF, ...proof } as RunbookProof });

describe("a proof's time budget", () => {
  it('is five minutes unless the proof says otherwise', () => {
    expect(DEFAULT_PROOF_TIMEOUT_SECONDS).toBe(300);
    expect(proofTimeoutSeconds(withProof({})())).toBe(300);
    expect(proofTimeoutSeconds(withProof({ timeoutSeconds: 10 })())).toBe(10);
    expect(proofTimeoutSeconds(withProof({ timeoutSeconds: 3600 })())).toBe(3600);
  });

  it.each([
    [9, '9'],
    [3601, '3601'],
    [30.5, '30.5'],
    ['60', '"60"'],
    [Number.NaN, 'NaN'],
  ])('refuses %s, naming the field and the range', (value, shown) => {
    expect(withProof({ timeoutSeconds: value })).toThrow(RunbookDefinitionError);
    expect(withProof({ timeoutSeconds: value })).toThrow(
      `proof.timeoutSeconds is ${shown}: the whole proof's budget in the sandbox, a whole number of seconds from 10 to 3600 (300 when left out)`,
    );
  });
});

describe("the values of a proof's alarm", () => {
  it('takes dimensions and tags with text values', () => {
    const runbook = withProof({ alarmValues: { dimensions: { exe: 'app' }, tags: { team: 'web' } } })();

    expect(runbook.proof?.alarmValues).toEqual({ dimensions: { exe: 'app' }, tags: { team: 'web' } });
    expect(withProof({ alarmValues: {} })).not.toThrow();
  });

  it.each([
    ['a list', [], "proof.alarmValues: give { dimensions: { name: 'value' }, tags: { key: 'value' } }"],
    ['text', 'exe=app', "proof.alarmValues: give { dimensions: { name: 'value' }"],
    [
      'a dimension with a number',
      { dimensions: { exe: 1 } },
      `proof.alarmValues.dimensions: "exe" needs a name and a text value (for example { exe: 'nginx' })`,
    ],
    [
      'a tag without a value',
      { tags: { team: undefined } },
      `proof.alarmValues.tags: "team" needs a name and a text value (for example { team: 'web' })`,
    ],
    ['an empty name', { tags: { ' ': 'web' } }, 'proof.alarmValues.tags: " " needs a name and a text value'],
    ['tags as a list', { tags: ['team'] }, "proof.alarmValues.tags: give them as { name: 'value' }"],
    [
      'dimensions as text',
      { dimensions: 'exe' },
      "proof.alarmValues.dimensions: give them as { name: 'value' }",
    ],
  ])('refuses %s, naming the field and the fix', (_name, alarmValues, message) => {
    expect(withProof({ alarmValues })).toThrow(RunbookDefinitionError);
    expect(withProof({ alarmValues })).toThrow(message);
  });
});
