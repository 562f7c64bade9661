import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineRunbook } from '../../functions/core/runbook.ts';
import { createSandbox, type Sandbox } from '../../local/sandbox.ts';
import { runbookDocumentContent } from '../../runbooks/ssm-document.ts';
import { alarmInput, INSTANCE, Scenario, T0, testRunbook } from '../support/fixtures.ts';

/** Shell metacharacters, substitutions, quotes and newlines, as an attacker who names alarms would write them. */
const HOSTILE = [
  '$(touch /tmp/pwned)',
  '`touch /tmp/pwned`',
  'app; touch /tmp/pwned',
  'app && touch /tmp/pwned',
  "app' ; touch /tmp/pwned; '",
  'app" ; touch /tmp/pwned; "',
  'app\ntouch /tmp/pwned',
  'app | tee /tmp/pwned',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion is the point of this value
  '${IFS}touch${IFS}/tmp/pwned',
];

const restart = defineRunbook({
  ...testRunbook,
  name: 'restart-service',
  match: { alarmNames: ['svc-*'] },
  actions: [{ name: 'restart', script: 'restart.sh' }],
  parameters: {
    service: {
      description: 'unit',
      allowedPattern: '^[a-z0-9@._-]{1,64}$',
      fromAlarm: { dimension: 'service' },
    },
    team: { description: 'owner', allowedPattern: '^[a-z-]{1,32}$', fromAlarm: { tag: 'team' } },
  },
});
const script = 'printf "restarting %s for %s\\n" "$SSM_service" "$SSM_team"\n';

describe('values from an alarm never reach a script as code', () => {
  it.each(HOSTILE)(
    'a hostile alarm name, dimension or tag (%j) is refused or stays out of the command',
    (hostile) => {
      for (const where of ['name', 'dimension', 'tag'] as const) {
        const s = new Scenario(restart);
        s.apply(
          alarmInput('ALARM', T0, {
            alarmName: where === 'name' ? `svc-${hostile}` : 'svc-web',
            metrics: [
              {
                namespace: 'App',
                metricName: 'Up',
                dimensions: { InstanceId: INSTANCE, service: where === 'dimension' ? hostile : 'nginx' },
              },
            ],
            tags: { team: where === 'tag' ? hostile : 'web' },
          }),
        );

        const sent = s.effectsOf('send-command');
        if (where === 'name') {
          // The name is never a parameter: the command runs with the alarm's own, valid values.
          expect(sent.map((e) => e.parameters)).toEqual([{ service: 'nginx', team: 'web' }]);
        } else {
          expect(sent, `${where} ${hostile}`).toEqual([]);
          expect(s.incident?.status).toBe('escalated');
        }
        for (const effect of sent) expect(JSON.stringify(effect)).not.toContain('pwned');
      }
    },
  );

  describe('even past a pattern, the script reads a value as data', () => {
    let sandbox: Sandbox;
    beforeAll(async () => {
      sandbox = await createSandbox({ name: 'hostile' });
    });
    afterAll(() => sandbox.destroy());

    it.each(HOSTILE)('%j', async (hostile) => {
      const document = runbookDocumentContent(restart, {
        'restart.sh': script,
      }).mainSteps[0].inputs.runCommand.join('\n');

      const result = await sandbox.run(document, {
        env: { SSM_action: 'restart', SSM_service: hostile, SSM_team: hostile },
      });
      const canary = await sandbox.run('test -e /tmp/pwned && echo found || echo absent');

      expect(result.exitCode).toBe(0);
      expect(result.stdout).toBe(`restarting ${hostile} for ${hostile}\n`);
      expect(canary.stdout.trim()).toBe('absent');
    });
  });
});
