import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runbookScripts } from '../../functions/core/runbook.ts';
import { HOSTILE_VALUES, patternAccepts } from '../../functions/core/runbook-validation.ts';
import { discoverRunbookFolders, indexIsCurrent, RUNBOOKS_DIR } from '../../runbooks/discover.ts';
import { runbooks } from '../../runbooks/index.ts';
import { runbookDocumentContent } from '../../runbooks/ssm-document.ts';

const read = (runbook: string, file: string) => readFileSync(join(RUNBOOKS_DIR, runbook, file), 'utf8');

describe('the runbook registry', () => {
  it('registers exactly the folders in runbooks/ (run `npm run runbooks:index` after adding one)', () => {
    expect(indexIsCurrent()).toBe(true);
    expect(runbooks.map((r) => r.name)).toEqual(discoverRunbookFolders());
  });

  describe.each(runbooks.map((r) => [r.name, r] as const))('%s', (name, runbook) => {
    it('ships every script it names, and its proof', () => {
      expect(runbook.proof, 'a runbook ships its proof: fault, probe and the alarm condition').toBeDefined();
      const files = [...runbookScripts(runbook), runbook.proof?.fault, runbook.proof?.probe];
      for (const file of files) expect(existsSync(join(RUNBOOKS_DIR, name, file as string)), file).toBe(true);
    });

    it('becomes a document that carries each script verbatim and checks every parameter', () => {
      const scripts = Object.fromEntries(runbookScripts(runbook).map((file) => [file, read(name, file)]));

      const content = runbookDocumentContent(runbook, scripts);

      const text = content.mainSteps[0].inputs.runCommand.join('\n');
      for (const script of Object.values(scripts)) expect(text).toContain(script.trimEnd());
      for (const [parameter, spec] of Object.entries(content.parameters)) {
        expect(spec.allowedPattern, parameter).toMatch(/^\^.*\$$/);
        for (const hostile of HOSTILE_VALUES)
          expect(patternAccepts(spec.allowedPattern, hostile), `${parameter} ${hostile}`).toBe(false);
      }
    });

    it('reads parameters from the environment, never from {{ }} substitution', () => {
      for (const file of runbookScripts(runbook)) expect(read(name, file)).not.toContain('{{');
    });
  });
});
