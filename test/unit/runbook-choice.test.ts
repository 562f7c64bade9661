import { describe, expect, it } from 'vitest';
import {
  type Choice,
  type ChooseContext,
  defineRunbook,
  type Runbook,
  RunbookDefinitionError,
} from '../../functions/core/runbook.ts';
import { repeatUnlessFinal } from '../../runbooks/shared/service-restart.ts';
import { alarmInput, INSTANCE, Scenario, T0, testRunbook } from '../support/fixtures.ts';

/** A ladder: clean caches, then restart the service named by the alarm's `service` dimension. */
const ladder: Runbook = defineRunbook({
  ...testRunbook,
  name: 'app-degraded',
  maxAttempts: 4,
  actions: [
    { name: 'clean-caches', script: 'clean.sh' },
    { name: 'restart-service', script: 'restart.sh' },
  ],
  parameters: {
    service: {
      description: 'The unit.',
      allowedPattern: '^[a-z0-9][a-z0-9@._-]{0,63}$',
      fromAlarm: { dimension: 'service' },
    },
    mode: { description: 'How hard.', allowedPattern: '^(soft|hard)$', default: 'soft' },
  },
});

const onService = (service: string) => ({
  metrics: [{ namespace: 'App', metricName: 'Errors', dimensions: { InstanceId: INSTANCE, service } }],
});

/** Fails every attempt, so the incident climbs the ladder. */
function climb(s: Scenario, attempts: number): void {
  for (let n = 1; n <= attempts; n++) {
    s.apply({ kind: 'command-sent', attempt: n, commandId: `cmd-${n}` });
    s.apply({
      kind: 'command-finished',
      commandId: `cmd-${n}`,
      result: { status: 'Failed', responseCode: 1 },
    });
    if (s.incident?.status === 'backing-off') s.fireTimer();
  }
}

describe('the escalation ladder', () => {
  it('tries one action per attempt, in order, repeating the last', () => {
    const s = new Scenario(ladder);
    s.apply(alarmInput('ALARM', T0, onService('nginx')));

    climb(s, 3);

    expect(s.effectsOf('send-command').map((e) => e.action)).toEqual([
      'clean-caches',
      'restart-service',
      'restart-service',
      'restart-service',
    ]);
    expect(s.effectsOf('send-command')[0]?.parameters).toEqual({ service: 'nginx', mode: 'soft' });
    expect(s.incident?.attempts[1]).toMatchObject({
      action: 'restart-service',
      parameters: { service: 'nginx' },
    });
  });

  it('pages at once, running nothing, when a value from the alarm is not allowed', () => {
    const s = new Scenario(ladder);

    s.apply(alarmInput('ALARM', T0, onService('nginx; reboot $(id)')));

    expect(s.effectsOf('send-command')).toEqual([]);
    expect(s.incident?.status).toBe('escalated');
    expect(s.incident?.escalation?.reason).toMatch(
      /parameter service from the alarm's dimension service .* does not match/,
    );
  });

  it('pages at once when the alarm does not carry a value the runbook needs', () => {
    const s = new Scenario(ladder);
    s.apply(alarmInput('ALARM', T0));
    expect(s.incident?.escalation?.reason).toContain(
      'parameter service has no value: the alarm has no dimension service',
    );
  });
});

describe('choose', () => {
  const chooser = (choose: Runbook['choose']): Runbook =>
    defineRunbook({ ...ladder, name: 'chooser', choose });

  it('picks the action and parameters from the alarm and the history', () => {
    const runbook = chooser(({ attempt, history, parameters }): Choice => {
      if (history.some((h) => h.exitCode === 1))
        return { action: 'restart-service', parameters: { mode: 'hard' } };
      return {
        action: attempt === 1 ? 'clean-caches' : 'restart-service',
        parameters: { service: parameters.service as string },
      };
    });
    const s = new Scenario(runbook);
    s.apply(alarmInput('ALARM', T0, onService('api')));

    climb(s, 1);

    expect(s.effectsOf('send-command').map((e) => [e.action, e.parameters.mode])).toEqual([
      ['clean-caches', 'soft'],
      ['restart-service', 'hard'],
    ]);
  });

  it.each([
    [
      'chooses to page',
      () => ({ escalate: 'the database is the problem' }),
      'the runbook chose to page: the database is the problem',
    ],
    [
      'throws',
      () => {
        throw new Error('boom');
      },
      "the runbook's choose function failed: boom",
    ],
    [
      'names an action it does not define',
      () => ({ action: 'rm-rf' }),
      'chose action "rm-rf", which it does not define',
    ],
    [
      'returns a value its pattern refuses',
      () => ({ action: 'restart-service', parameters: { mode: '$(reboot)' } }),
      `parameter mode from attempt 1's plan ("$(reboot)") does not match ^(soft|hard)$`,
    ],
    [
      'returns a parameter the runbook does not declare',
      () => ({ action: 'restart-service', parameters: { extra: 'x' } }),
      'parameter extra="x" is not declared by the runbook',
    ],
  ])('pages instead of running anything when it %s', (_name, choose, reason) => {
    const s = new Scenario(chooser(choose as Runbook['choose']));

    s.apply(alarmInput('ALARM', T0, onService('api')));

    expect(s.effectsOf('send-command')).toEqual([]);
    expect(s.incident?.escalation?.reason).toContain(reason);
  });
});

describe('defineRunbook validation of parameters and actions', () => {
  const define = (overrides: object) => () => defineRunbook({ ...ladder, ...overrides } as never);

  it.each([
    [
      'an unanchored pattern',
      { parameters: { s: { description: 'd', allowedPattern: '[a-z]+' } } },
      'anchor it with ^ and $',
    ],
    [
      'a pattern that admits shell text',
      { parameters: { s: { description: 'd', allowedPattern: '^.*$' } } },
      'admits "$(reboot)"',
    ],
    [
      'a pattern that does not compile',
      { parameters: { s: { description: 'd', allowedPattern: '^([a-z]$' } } },
      'not a valid regular expression',
    ],
    [
      'a default its pattern refuses',
      { parameters: { s: { description: 'd', allowedPattern: '^[a-z]+$', default: 'A1' } } },
      'default: "A1" does not match',
    ],
    [
      'a reserved parameter name',
      { parameters: { action: { description: 'd', allowedPattern: '^[a-z]+$' } } },
      '(not "action" or "executionTimeout")',
    ],
    [
      'an action listed twice',
      {
        actions: [
          { name: 'a', script: 'a.sh' },
          { name: 'a', script: 'b.sh' },
        ],
      },
      '"a" is listed twice',
    ],
    ['an action named diagnose', { actions: [{ name: 'diagnose', script: 'a.sh' }] }, 'not "diagnose"'],
    [
      'both remediate and actions',
      { remediate: 'r.sh' },
      'give a remediate script, or a list of actions, not both',
    ],
    [
      'a fixed value for an undeclared parameter',
      { actions: [{ name: 'a', script: 'a.sh', parameters: { nope: 'x' } }] },
      'declare "nope" in parameters first',
    ],
    ['a mode that does not exist', { mode: 'yolo' }, 'mode is "yolo": use "enforce", "approve" or "dry-run"'],
    [
      'a concurrency of zero',
      { concurrency: { maxInFlight: 0, maxPerHour: 10 } },
      'concurrency.maxInFlight is 0',
    ],
    [
      'an allowed value its pattern refuses',
      { parameters: { s: { description: 'd', allowedPattern: '^[a-z]+$', allowedValues: ['ok', 'A1'] } } },
      'parameters.s.allowedValues: parameter s from allowedValues ("A1") does not match ^[a-z]+$',
    ],
    [
      'an empty list of allowed values',
      { parameters: { s: { description: 'd', allowedPattern: '^[a-z]+$', allowedValues: [] } } },
      'parameters.s.allowedValues: list at least one value',
    ],
    [
      'a default the runbook does not allow',
      {
        parameters: {
          s: { description: 'd', allowedPattern: '^[a-z]+$', allowedValues: ['a', 'b'], default: 'c' },
        },
      },
      'parameters.s.default: parameter s from the default: "c" is not one of the values the runbook allows (a, b)',
    ],
    [
      'a default its own check refuses',
      {
        parameters: {
          s: {
            description: 'd',
            allowedPattern: '^[a-z]+$',
            default: 'x',
            refuse: (v: string) => (v === 'x' ? 'never x' : undefined),
          },
        },
      },
      'parameters.s.default: parameter s from the default: "x" is refused by the runbook: never x',
    ],
    [
      'an instance tag key EC2 would not accept',
      {
        parameters: {
          s: {
            description: 'd',
            allowedPattern: '^[a-z]+$',
            fromAlarm: { dimension: 's' },
            allowedByInstanceTag: 'aws:services',
          },
        },
      },
      'parameters.s.allowedByInstanceTag: "aws:services" is not an EC2 tag key',
    ],
    [
      'an instance allow-list with nowhere to take the value from',
      { parameters: { s: { description: 'd', allowedPattern: '^[a-z]+$', allowedByInstanceTag: 'T' } } },
      'the value must come from somewhere: give fromAlarm or a default, or make it a list',
    ],
    [
      'a metric matcher with an empty dimension value',
      {
        match: {
          metrics: [{ namespace: 'CWAgent', metricName: 'disk_used_percent', dimensions: { path: '' } }],
        },
      },
      `match.metrics[0].dimensions: "path" needs a dimension name and a value`,
    ],
    [
      'a proof value its instance does not allow',
      {
        parameters: {
          s: {
            description: 'd',
            allowedPattern: '^[a-z]+$',
            fromAlarm: { dimension: 's' },
            allowedByInstanceTag: 'T',
          },
        },
        proof: {
          fault: 'f.sh',
          probe: 'p.sh',
          alarm: { comparison: 'LessThanThreshold', threshold: 1 },
          parameters: { s: 'a' },
        },
      },
      "proof.parameters.s: parameter s from the proof (\"a\"): the instance has no tag T listing the values automation may use there, so none is allowed; give the proof's instance the tag as a real one would carry it (proof.instanceTags: { 'T': 'a' })",
    ],
  ])('refuses %s, naming the runbook, the field and the fix', (_name, overrides, message) => {
    expect(define(overrides)).toThrow(RunbookDefinitionError);
    expect(define(overrides)).toThrow(message);
    expect(define(overrides)).toThrow('runbook "app-degraded" is invalid');
  });

  it('applies the documented defaults', () => {
    expect(ladder).toMatchObject({
      cooldownSeconds: 1800,
      concurrency: { maxInFlight: 10, maxPerHour: 60 },
      mode: 'enforce',
    });
    expect(testRunbook.actions).toEqual([{ name: 'remediate', script: 'remediate.sh' }]);
  });
});

describe('dry-run mode', () => {
  it('records what would run, sends nothing, and tells a human', () => {
    const s = new Scenario(defineRunbook({ ...ladder, name: 'shadow', mode: 'dry-run' }));

    s.apply(alarmInput('ALARM', T0, onService('nginx')));

    expect(s.effectsOf('send-command')).toEqual([]);
    expect(s.incident?.attempts).toEqual([
      expect.objectContaining({
        action: 'clean-caches',
        status: 'not-run',
        parameters: { service: 'nginx', mode: 'soft' },
      }),
    ]);
    expect(s.incident?.status).toBe('escalated');
    expect(s.incident?.escalation?.reason).toContain(
      'dry-run mode: it would have run action clean-caches (service="nginx", mode="soft")',
    );
    expect(s.effectsOf('page')).toHaveLength(1);
  });
});

describe('repeatUnlessFinal (the restart runbooks)', () => {
  const context = (exitCode?: number): ChooseContext => ({
    attempt: 2,
    alarm: { name: 'service-down-web', dimensions: {}, tags: {} },
    parameters: { service: 'nginx' },
    history: exitCode === undefined ? [] : [{ action: 'restart', status: 'failed', exitCode }],
  });

  it('repeats the action after a failure another attempt may fix', () => {
    expect(repeatUnlessFinal('restart')(context())).toEqual({ action: 'restart' });
    expect(repeatUnlessFinal('restart')(context(1))).toEqual({ action: 'restart' });
  });

  it('pages at once after an exit a retry cannot change, saying which', () => {
    expect(repeatUnlessFinal('restart')(context(3))).toEqual({
      escalate:
        'the restart limit is reached: automation restarted this service 3 times in the last hour (exit 3)',
    });
    expect(repeatUnlessFinal('restart')(context(4))).toMatchObject({
      escalate: expect.stringContaining('no such service'),
    });
  });
});
