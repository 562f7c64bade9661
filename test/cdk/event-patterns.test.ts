import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/project-paths.ts';
import { type EventPatternInput, matchesPattern } from '../../local/event-pattern.ts';
import { resourceOf, synthesize } from './synthesize.ts';

// The rules as deployed (read back from the template), matched against AWS's sample events.
const EVENTS = join(PROJECT_ROOT, 'test/events');
type SampleEvent = { 'detail-type': string; detail: Record<string, unknown> } & Record<string, unknown>;
const sample = (file: string): SampleEvent =>
  JSON.parse(readFileSync(join(EVENTS, file), 'utf8')) as SampleEvent;
const alarmStateSamples = readdirSync(EVENTS).filter((file) =>
  file.startsWith('cloudwatch-alarm-state-change'),
);
const ssmSamples = readdirSync(EVENTS).filter((file) => file.startsWith('ssm-'));

/** "CloudWatch Alarm Configuration Change", as the CloudWatch User Guide shows it (alarm events). */
function alarmConfigurationChange(): SampleEvent {
  const stateChange = sample('cloudwatch-alarm-state-change.single-metric.json');
  return {
    ...stateChange,
    'detail-type': 'CloudWatch Alarm Configuration Change',
    detail: {
      alarmName: 'ServerCpuTooHigh',
      operation: 'update',
      state: { value: 'ALARM', timestamp: '2019-10-02T17:04:40.989+0000' },
      configuration: stateChange.detail.configuration,
      previousConfiguration: stateChange.detail.configuration,
    },
  };
}

describe('EventBridge rules against AWS sample events', () => {
  let alarmRule: EventPatternInput;
  let commandRule: EventPatternInput;
  let resyncRule: EventPatternInput;
  let ourDocument: string;

  beforeAll(() => {
    // Deployed in the account and Region of AWS's samples (they all come from 123456789012, us-east-1).
    const { stack, template } = synthesize({ env: { account: '123456789012', region: 'us-east-1' } });
    resyncRule = resourceOf(template, 'AWS::Events::Rule', 'RemediationRulesResyncRequest')[1].Properties
      .EventPattern as EventPatternInput;
    alarmRule = resourceOf(template, 'AWS::Events::Rule', 'RemediationRulesAlarmStateChange')[1].Properties
      .EventPattern as EventPatternInput;
    commandRule = resourceOf(template, 'AWS::Events::Rule', 'RemediationRulesCommandInvocationStatus')[1]
      .Properties.EventPattern as EventPatternInput;
    ourDocument = Object.values(stack.engine.documentNames)[0] as string;
  });

  describe('alarm rule', () => {
    it('has state-change samples to match', () => {
      expect(alarmStateSamples).toContain('cloudwatch-alarm-state-change.single-metric.json');
    });

    it.each(alarmStateSamples)('routes %s when its state is ALARM or OK', (file) => {
      // Prepare
      const event = sample(file);
      const state = (event.detail.state as { value: string }).value;
      // Act & Assess
      expect(matchesPattern(alarmRule, event)).toBe(state === 'ALARM' || state === 'OK');
    });

    it('routes the return to OK', () => {
      const event = sample('cloudwatch-alarm-state-change.single-metric.json');
      const ok = {
        ...event,
        detail: { ...event.detail, state: { ...(event.detail.state as object), value: 'OK' } },
      };
      expect(matchesPattern(alarmRule, ok)).toBe(true);
    });

    it('ignores INSUFFICIENT_DATA', () => {
      const event = sample('cloudwatch-alarm-state-change.single-metric.json');
      const unknown = { ...event, detail: { ...event.detail, state: { value: 'INSUFFICIENT_DATA' } } };
      expect(matchesPattern(alarmRule, unknown)).toBe(false);
    });

    it('ignores alarm configuration changes, even of an alarm in ALARM', () => {
      expect(matchesPattern(alarmRule, alarmConfigurationChange())).toBe(false);
    });

    it.each(ssmSamples)('ignores %s', (file) => {
      expect(matchesPattern(alarmRule, sample(file))).toBe(false);
    });
  });

  describe('command rule', () => {
    const invocation = () => sample('ssm-command-invocation-status-change.json');
    const withDetail = (event: SampleEvent, detail: Record<string, unknown>) => ({
      ...event,
      detail: { ...event.detail, ...detail },
    });

    it('ignores the invocation sample as published: its document is not ours', () => {
      expect(invocation().detail['document-name']).toBe('AWS-RunPowerShellScript');
      expect(matchesPattern(commandRule, invocation())).toBe(false);
    });

    it('routes a final status of an invocation of our runbook document', () => {
      expect(matchesPattern(commandRule, withDetail(invocation(), { 'document-name': ourDocument }))).toBe(
        true,
      );
    });

    it.each(['Failed', 'TimedOut', 'Cancelled'])('routes the final status %s', (status) => {
      expect(
        matchesPattern(commandRule, withDetail(invocation(), { 'document-name': ourDocument, status })),
      ).toBe(true);
    });

    it.each(['Pending', 'InProgress', 'Delayed', 'Cancelling'])('ignores the passing status %s', (status) => {
      expect(
        matchesPattern(commandRule, withDetail(invocation(), { 'document-name': ourDocument, status })),
      ).toBe(false);
    });

    it('ignores the per-command "EC2 Command Status-change Notification", even for our document', () => {
      const perCommand = sample('ssm-command-status-change.json');
      expect(perCommand['detail-type']).toBe('EC2 Command Status-change Notification');
      expect(matchesPattern(commandRule, perCommand)).toBe(false);
      expect(matchesPattern(commandRule, withDetail(perCommand, { 'document-name': ourDocument }))).toBe(
        false,
      );
    });

    it('ignores alarm events', () => {
      for (const file of alarmStateSamples)
        expect(matchesPattern(commandRule, sample(file)), file).toBe(false);
    });
  });

  describe('origin', () => {
    const ours = () => ({
      alarm: sample('cloudwatch-alarm-state-change.single-metric.json'),
      command: {
        ...sample('ssm-command-invocation-status-change.json'),
        detail: {
          ...sample('ssm-command-invocation-status-change.json').detail,
          'document-name': ourDocument,
        },
      },
      resync: {
        ...sample('cloudwatch-alarm-state-change.single-metric.json'),
        source: 'ec2.auto-remediation.operator',
        'detail-type': 'Remediation Resync Requested',
        detail: { cause: 'resumed' },
      },
    });
    const rules = () => ({ alarm: alarmRule, command: commandRule, resync: resyncRule });

    it.each(['alarm', 'command', 'resync'] as const)(
      'routes a %s event from this account and Region',
      (kind) => {
        expect(matchesPattern(rules()[kind], ours()[kind])).toBe(true);
      },
    );

    it.each(['alarm', 'command', 'resync'] as const)('ignores a %s event from another account', (kind) => {
      expect(matchesPattern(rules()[kind], { ...ours()[kind], account: '210987654321' })).toBe(false);
    });

    it.each(['alarm', 'command', 'resync'] as const)('ignores a %s event from another Region', (kind) => {
      expect(matchesPattern(rules()[kind], { ...ours()[kind], region: 'eu-west-1' })).toBe(false);
    });

    it('routes the accounts it is told to trust, and still only this Region', () => {
      const { template } = synthesize({
        env: { account: '123456789012', region: 'us-east-1' },
        trustedEventAccounts: ['210987654321'],
      });
      const rule = resourceOf(template, 'AWS::Events::Rule', 'RemediationRulesAlarmStateChange')[1].Properties
        .EventPattern as EventPatternInput;
      expect(matchesPattern(rule, { ...ours().alarm, account: '210987654321' })).toBe(true);
      expect(matchesPattern(rule, { ...ours().alarm, account: '333333333333' })).toBe(false);
      expect(matchesPattern(rule, { ...ours().alarm, account: '210987654321', region: 'eu-west-1' })).toBe(
        false,
      );
    });
  });
});
