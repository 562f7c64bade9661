import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { defineRunbook, type Runbook } from '../../functions/core/runbook.ts';
import { RemediationEngine } from '../../lib/remediation-engine.ts';
import { RunbookDocuments, runbookDocumentName } from '../../lib/runbook-documents.ts';
import { runbooks } from '../../runbooks/index.ts';
import { testApp } from './synthesize.ts';

const runbook: Runbook = defineRunbook({
  name: 'service-down',
  description: 'Restarts a crashed service.',
  owner: 'platform-team',
  match: { alarmNames: ['service-down-*'] },
  remediate: 'remediate.sh',
  maxAttempts: 2,
  backoff: { baseSeconds: 30, capSeconds: 300 },
  verifyWindowSeconds: 120,
  executionTimeoutSeconds: 120,
  deliveryTimeoutSeconds: 60,
});

/** A runbooks folder in the temp dir, holding `<name>/remediate.sh` for each script given. */
function runbooksFolder(scripts: Record<string, string>): string {
  const directory = mkdtempSync(join(tmpdir(), 'runbooks-'));
  for (const [name, script] of Object.entries(scripts)) {
    mkdirSync(join(directory, name));
    writeFileSync(join(directory, name, 'remediate.sh'), script);
  }
  return directory;
}

describe('runbookDocumentName', () => {
  it('prepends the prefix', () => {
    expect(runbookDocumentName('Remediation-Prod-', runbook)).toBe('Remediation-Prod-service-down');
  });

  it.each([
    [
      'characters SSM refuses',
      'Remediation Prod/',
      /use 3 to 128 letters, digits.*change documentNamePrefix/,
    ],
    ['more than 128 characters', 'x'.repeat(120), /use 3 to 128/],
    ['a prefix SSM reserves for AWS', 'AWS-', /reserves for AWS.*choose another documentNamePrefix/],
  ])('refuses %s, saying how to fix it', (_, prefix, message) => {
    expect(() => runbookDocumentName(prefix, runbook)).toThrow(message);
  });

  it('accepts every runbook of the registry with the default prefix', () => {
    for (const registered of runbooks) {
      expect(runbookDocumentName('Remediation-Ec2AutoRemediation-', registered)).toMatch(
        /^[a-zA-Z0-9_.-]{3,128}$/,
      );
    }
  });
});

describe('RunbookDocuments', () => {
  it('names documents after the stack and the construct unless a prefix is given', () => {
    // Prepare
    const stack = new Stack(testApp(), 'Staging');
    const runbooksDirectory = runbooksFolder({ 'service-down': 'true\n' });
    // Act
    const byStack = new RunbookDocuments(stack, 'ByStack', { runbooks: [runbook], runbooksDirectory });
    const byPrefix = new RunbookDocuments(stack, 'ByPrefix', {
      runbooks: [runbook],
      runbooksDirectory,
      documentNamePrefix: 'Ops.',
    });
    // Assess
    expect(byStack.documentNames).toEqual({
      'service-down': expect.stringMatching(/^Staging-ByStack-service-down-[0-9a-f]{10}$/),
    });
    expect(byPrefix.documentNames).toEqual({
      'service-down': expect.stringMatching(/^Ops\.service-down-[0-9a-f]{10}$/),
    });
  });

  it('fails the synth when a runbook’s script is missing, naming the file', () => {
    // Prepare
    const stack = new Stack(testApp(), 'Missing');
    const runbooksDirectory = runbooksFolder({});
    // Act & Assess
    expect(
      () => new RemediationEngine(stack, 'Remediation', { runbooks: [runbook], runbooksDirectory }),
    ).toThrow(
      /runbook "service-down": cannot read its script .*service-down\/remediate.sh .*fix the file name in the runbook definition/,
    );
  });

  it('refuses a runbook registered twice', () => {
    const stack = new Stack(testApp(), 'Twice');
    const runbooksDirectory = runbooksFolder({ 'service-down': 'true\n' });
    expect(
      () => new RunbookDocuments(stack, 'Docs', { runbooks: [runbook, runbook], runbooksDirectory }),
    ).toThrow(/registered twice/);
  });
});
