import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { defineRunbook } from '../../functions/core/runbook.ts';
import {
  EXECUTION_TIMEOUT_PATTERN,
  runbookDocumentContent,
  SCRIPT_END,
} from '../../runbooks/ssm-document.ts';
import { testRunbook } from '../support/fixtures.ts';

const run = promisify(execFile);

const serviceDown = defineRunbook({
  ...testRunbook,
  name: 'service-down',
  description: 'Restarts a crashed service.',
  actions: [
    { name: 'restart', script: 'restart.sh' },
    { name: 'reboot-service-host', script: 'reboot.sh', parameters: { service: 'all' } },
  ],
  diagnose: 'diagnose.sh',
  parameters: {
    service: {
      description: 'The unit to restart.',
      allowedPattern: '^[a-z0-9][a-z0-9@._-]{0,63}$',
      fromAlarm: { dimension: 'service' },
    },
  },
});

const scripts = {
  'restart.sh': '#!/usr/bin/env bash\nprintf "restart %s\\n" "$SSM_service"\n',
  'reboot.sh': 'printf "reboot\\n"\nexit 7\n',
  'diagnose.sh': 'printf "diagnose %s\\n" "$SSM_service"\n',
};

/** Runs the document's script with bash, as the SSM agent would, with the given SSM_ variables. */
async function runDocument(
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'document-'));
  const file = join(dir, '_script.sh');
  writeFileSync(file, runbookDocumentContent(serviceDown, scripts).mainSteps[0].inputs.runCommand.join('\n'));
  try {
    const { stdout, stderr } = await run('bash', [file], {
      cwd: dir,
      env: { PATH: process.env.PATH, ...env },
    });
    return { code: 0, stdout, stderr, dir };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr, dir };
  }
}

describe('runbookDocumentContent', () => {
  it('declares every parameter with an allowedPattern, passed to the script as an environment variable', () => {
    const { parameters, schemaVersion, mainSteps } = runbookDocumentContent(serviceDown, scripts);

    expect(schemaVersion).toBe('2.2');
    expect(mainSteps[0]).toMatchObject({
      action: 'aws:runShellScript',
      precondition: { StringEquals: ['platformType', 'Linux'] },
    });
    expect(parameters.action).toEqual({
      type: 'String',
      description: 'The runbook action to run.',
      allowedPattern: '^(diagnose|restart|reboot-service-host)$',
      default: 'restart',
      interpolationType: 'ENV_VAR',
    });
    expect(parameters.service).toMatchObject({
      allowedPattern: '^[a-z0-9][a-z0-9@._-]{0,63}$',
      interpolationType: 'ENV_VAR',
    });
    expect(parameters.executionTimeout).toMatchObject({
      allowedPattern: EXECUTION_TIMEOUT_PATTERN,
      default: '120',
    });
    for (const parameter of Object.values(parameters)) expect(parameter.allowedPattern).toMatch(/^\^.*\$$/);
  });

  it('runs the chosen action, and the diagnose script, byte for byte as written', async () => {
    expect((await runDocument({ SSM_action: 'restart', SSM_service: 'nginx' })).stdout).toBe(
      'restart nginx\n',
    );
    expect((await runDocument({ SSM_action: 'diagnose', SSM_service: 'nginx' })).stdout).toBe(
      'diagnose nginx\n',
    );
  });

  it("passes on the action's exit code", async () => {
    expect(await runDocument({ SSM_action: 'reboot-service-host' })).toMatchObject({
      code: 7,
      stdout: 'reboot\n',
    });
  });

  it('refuses an unknown action, and an agent too old to pass parameters as environment variables', async () => {
    expect(await runDocument({ SSM_action: 'rm' })).toMatchObject({
      code: 2,
      stderr: 'unknown action: rm\n',
    });
    expect(await runDocument({})).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('SSM Agent 3.3.2746.0'),
    });
  });

  it('treats a hostile value as data even if it got past a pattern', async () => {
    const hostile = '$(touch pwned) `touch pwned2`; touch pwned3 "\' \n';

    const result = await runDocument({ SSM_action: 'restart', SSM_service: hostile });

    expect(result.stdout).toBe(`restart ${hostile}\n`);
    for (const file of ['pwned', 'pwned2', 'pwned3']) expect(existsSync(join(result.dir, file))).toBe(false);
  });

  it.each([
    ['an empty script', { ...scripts, 'restart.sh': '\n  \n' }, /restart.sh is empty/],
    [
      '"{{", which SSM would read as a parameter',
      { ...scripts, 'reboot.sh': 'true\ndocker ps --format "{{.Names}}"\n' },
      /line 2 of reboot.sh contains "\{\{"/,
    ],
    [
      'the line that ends an embedded script',
      { ...scripts, 'diagnose.sh': `true\n${SCRIPT_END}\n` },
      /ends an embedded script/,
    ],
    ['a missing script', { 'restart.sh': 'true', 'reboot.sh': 'true' }, /diagnose.sh was not provided/],
  ])('refuses %s, naming the file', (_name, given, message) => {
    expect(() => runbookDocumentContent(serviceDown, given)).toThrow(message);
  });

  it('accepts only plain numbers of seconds for the execution timeout', () => {
    const pattern = new RegExp(EXECUTION_TIMEOUT_PATTERN);
    for (const accepted of ['30', '300', '3600']) expect(pattern.test(accepted), accepted).toBe(true);
    for (const refused of ['0', '030', '10000', '30; reboot', '$(reboot)', ''])
      expect(pattern.test(refused), refused).toBe(false);
  });
});
