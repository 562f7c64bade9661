import { PublishCommand } from '@aws-sdk/client-sns';
import { SendCommandCommand } from '@aws-sdk/client-ssm';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineRunbook } from '../../functions/core/runbook.ts';
import { createAlarmHandler } from '../../functions/handlers/alarm-handler.ts';
import { alarmStateChange } from '../../local/aws-shapes.ts';
import { createSandbox, type Sandbox } from '../../local/sandbox.ts';
import serviceDown from '../../runbooks/service-down/runbook.ts';
import { runbookDocumentContent } from '../../runbooks/ssm-document.ts';
import {
  describeInstances,
  lambdaContext,
  mocks,
  resetMocks,
  TestClock,
  testRuntime,
} from '../support/aws-runtime.ts';
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
      allowedPattern: '^[a-z0-9][a-z0-9@._-]{0,63}$',
      fromAlarm: { dimension: 'service' },
    },
    team: { description: 'owner', allowedPattern: '^[a-z][a-z-]{0,31}$', fromAlarm: { tag: 'team' } },
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

describe('a value the runbook or the instance does not allow, through the alarm handler on DynamoDB Local', () => {
  const T = Date.parse('2030-11-21T03:00:00.000Z');
  /** The exe dimension of a procstat alarm on the instance, entering ALARM at T. */
  const procstat = (instanceId: string, exe: string) =>
    alarmStateChange(
      {
        name: `service-down-${instanceId.slice(-4)}`,
        namespace: 'CWAgent',
        metricName: 'procstat_lookup_pid_count',
        dimensions: { InstanceId: instanceId, exe },
        threshold: 1,
        periodSeconds: 60,
      },
      { from: 'OK', to: 'ALARM', at: T, previousAt: T - 60_000, value: 0 },
    );
  const pages = () => mocks.sns.commandCalls(PublishCommand).map((c) => c.args[0].input);

  it.each([
    [
      'a systemd target the instance lists',
      'reboot.target',
      '"reboot.target" is refused by the runbook: a systemd target unit',
    ],
    [
      'a service the instance does not list',
      'postgresql',
      `"postgresql" is not listed in the instance's tag AutoRemediation:services ("nginx:reboot.target")`,
    ],
    [
      'text that steers a terminal and reorders what is read',
      `nginx\u001b]8;;http://evil\u0007\u202e${'x'.repeat(300)}`,
      String.raw`("nginx\u001b]8;;http://evil\u0007\u202e${'x'.repeat(37)}"... (263 more characters)) does not match`,
    ],
  ])(
    'pages once for %s, with the value shown safely, and runs nothing; a duplicate pages no more',
    async (_case, exe, shown) => {
      // Prepare: the instance is opted in and lets automation restart nginx (and, wrongly, a target).
      resetMocks();
      const { runtime } = await testRuntime({ runbooks: [serviceDown], clock: new TestClock(T + 2000) });
      describeInstances(() => ({
        Tags: [
          { Key: 'AutoRemediation', Value: 'enabled' },
          { Key: 'AutoRemediation:services', Value: 'nginx:reboot.target' },
        ],
      }));
      const handler = createAlarmHandler(runtime);
      const event = procstat('i-0000000000000b001', exe);

      // Act: the event, and the same event delivered again.
      const first = await handler(structuredClone(event), lambdaContext);
      const again = await handler(structuredClone(event), lambdaContext);

      // Assess
      expect(first).toMatchObject({ outcome: 'processed' });
      expect(again).toMatchObject({ outcome: 'absorbed' });
      expect(mocks.ssm).not.toHaveReceivedCommand(SendCommandCommand);
      expect(pages()).toHaveLength(1);
      const [page] = pages();
      expect(page?.Subject).toBe(
        'ALARM: service-down-b001 on i-0000000000000b001 - no allowed parameter value, nothing run',
      );
      // The text a human reads (MessageStructure json: the default and the email forms).
      const forms = JSON.parse(page?.Message ?? '{}') as { default: string; email: string };
      // Why it paged: the refusal's own line (the page says a reason once, where it belongs).
      const why =
        forms.default.split('\n').find((line) => /^(Why paged|Refused): /.test(line.replace(/ +/, ' '))) ??
        '';
      expect(why).toContain(shown);
      for (const text of [forms.default, forms.email]) {
        // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must not reach a human
        expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f\u202a-\u202e]/);
      }
    },
  );
});
