import { describe, expect, it } from 'vitest';
import {
  desiredAlarms,
  type ExistingAlarm,
  type KeeperInstance,
  keptAlarmDescription,
  keptAlarmTags,
  MANAGED_BY_TAG,
  MAX_INSTANCE_TAGS,
  parseKeptDescription,
  planInstance,
  RUNBOOK_TAG,
  seriesOf,
} from '../../functions/core/alarm-keeper.ts';
import { defineRunbook } from '../../functions/core/runbook.ts';
import { testRunbook } from '../support/fixtures.ts';

const ID = 'i-0123456789abcdef0';
const settings = { stackName: 'prod', optInTag: { key: 'AutoRemediation', value: 'enabled' } };
const service = defineRunbook({
  ...testRunbook,
  name: 'service-down',
  match: { alarmNames: ['service-down-*'] },
  alarm: {
    metric: { namespace: 'CWAgent', name: 'procstat_lookup_pid_count' },
    groupBy: ['exe'],
    periodSeconds: 60,
    comparison: 'LessThanThreshold',
    threshold: 1,
    evaluationPeriods: 2,
  },
});
const instance: KeeperInstance = {
  instanceId: ID,
  state: 'running',
  tags: { Name: 'web 1 (blue)', AutoRemediation: 'enabled' },
};
const procstat = (exe: string, extra: Record<string, string> = {}) => ({
  namespace: 'CWAgent',
  metricName: 'procstat_lookup_pid_count',
  dimensions: { InstanceId: ID, exe, pid_finder: 'native', ...extra },
});

describe('the alarm keeper’s plan', () => {
  it('one alarm per series, named by its grouping values; only series that carry the grouping count', () => {
    const alarms = desiredAlarms(
      service,
      instance,
      [procstat('nginx'), procstat('sshd'), { ...procstat('x'), dimensions: { InstanceId: ID } }],
      settings,
    );
    expect(alarms.map((a) => a.name)).toEqual([
      `service-down-web-1-blue-${ID}-exe=nginx`,
      `service-down-web-1-blue-${ID}-exe=sshd`,
    ]);
    expect(alarms[0]?.dimensions).toEqual({ InstanceId: ID, exe: 'nginx', pid_finder: 'native' });
  });

  it('two series with the same grouping values are named by all their dimensions, so neither is lost', () => {
    const alarms = desiredAlarms(
      service,
      instance,
      [procstat('java', { user: 'app' }), procstat('java', { user: 'batch' })],
      settings,
    );
    expect(new Set(alarms.map((a) => a.name)).size).toBe(2);
    expect(alarms.map((a) => a.name)[0]).toContain('user=app');
  });

  it('the agent’s metric waits for its first data point (the sweep adds its alarm)', () => {
    expect(seriesOf(service.alarm as never, ID, [])).toEqual([]);
  });

  it('copies the instance’s tags (no aws:, at most 40, Name and the opt-in tag first) and adds its own two', () => {
    const many: Record<string, string> = { 'aws:cloudformation:stack-name': 'x', [MANAGED_BY_TAG]: 'forged' };
    for (let n = 0; n < 48; n++) many[`k${String(n).padStart(2, '0')}`] = 'v';
    const tags = keptAlarmTags(
      { ...instance, tags: { ...many, Name: 'web', AutoRemediation: 'enabled' } },
      'disk-full',
      'prod',
      'AutoRemediation',
    );
    expect(Object.keys(tags)).toHaveLength(MAX_INSTANCE_TAGS + 2);
    expect(tags).toMatchObject({
      Name: 'web',
      AutoRemediation: 'enabled',
      [MANAGED_BY_TAG]: 'prod',
      [RUNBOOK_TAG]: 'disk-full',
    });
    expect(Object.keys(tags).some((key) => key.startsWith('aws:'))).toBe(false);
  });

  it('reads back the stack, runbook and instance of its description', () => {
    expect(parseKeptDescription(keptAlarmDescription('prod-2', service, ID))).toEqual({
      runbook: 'service-down',
      instanceId: ID,
      stackName: 'prod-2',
    });
    expect(parseKeptDescription('CPU high on web-1')).toBeUndefined();
  });

  it('deletes only alarms described as this stack’s, and wants none on a stopped or untagged instance', () => {
    const config = { ...settings, runbooks: [service] };
    const [wanted] = desiredAlarms(service, instance, [procstat('nginx')], settings);
    const existing = (name: string, description: string): ExistingAlarm => ({
      ...(wanted as NonNullable<typeof wanted>),
      name,
      arn: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${name}`,
      description,
      hasActions: false,
      usesMetrics: false,
    });
    const ours = existing(wanted?.name as string, keptAlarmDescription('prod', service, ID));
    const theirs = existing('team-alarm', 'the team’s own');
    const other = existing('other-stack', keptAlarmDescription('staging', service, ID));
    const running = planInstance(config, instance, [procstat('nginx')], [ours, theirs, other]);
    expect(running).toMatchObject({ creates: [], updates: [], deletes: [], unchanged: [ours.name] });
    for (const changed of [
      { ...instance, state: 'stopped' },
      { ...instance, tags: { Name: 'web 1 (blue)' } },
    ]) {
      const plan = planInstance(config, changed, [procstat('nginx')], [ours, theirs, other]);
      expect(plan.deletes.map((a) => a.name)).toEqual([ours.name]);
      expect(plan.creates).toEqual([]);
    }
    // An alarm at the wanted name with actions is put back without them.
    const withActions = planInstance(config, instance, [procstat('nginx')], [{ ...ours, hasActions: true }]);
    expect(withActions.updates.map((u) => u.alarm.name)).toEqual([ours.name]);
  });
});
