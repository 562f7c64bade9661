import { describe, expect, it } from 'vitest';
import { type AlarmChange, alarmTarget } from '../../functions/core/alarm.ts';
import { backoffSeconds } from '../../functions/core/backoff.ts';
import { globMatches, matchRunbook } from '../../functions/core/matching.ts';
import { defineRunbook, type Runbook, RunbookDefinitionError } from '../../functions/core/runbook.ts';
import { runbooks } from '../../runbooks/index.ts';
import { alarmChange, T0, testRunbook } from '../support/fixtures.ts';

const runbook = (name: string, match: Runbook['match']): Runbook =>
  defineRunbook({ ...testRunbook, name, match });

describe('matchRunbook', () => {
  const byMetric = runbook('disk-by-metric', {
    metrics: [{ namespace: 'CWAgent', metricName: 'disk_used_percent' }],
  });
  const byGlob = runbook('disk-by-glob', { alarmNames: ['disk-*'] });
  const byLongerGlob = runbook('disk-by-longer-glob', { alarmNames: ['disk-full-*'] });
  const byName = runbook('disk-by-name', { alarmNames: ['disk-full-web-1'] });

  it('prefers an exact alarm name, then the most specific glob, then a metric', () => {
    const alarm = alarmChange('ALARM', T0);
    expect(matchRunbook(alarm, [byMetric, byGlob, byLongerGlob, byName])?.runbook.name).toBe('disk-by-name');
    expect(matchRunbook(alarm, [byMetric, byGlob, byLongerGlob])?.runbook.name).toBe('disk-by-longer-glob');
    expect(matchRunbook(alarm, [byMetric, byGlob])?.runbook.name).toBe('disk-by-glob');
    expect(matchRunbook(alarm, [byMetric])).toMatchObject({ matchedBy: 'metric CWAgent/disk_used_percent' });
  });

  it('answers only alarms that carry every tag the runbook lists', () => {
    const tagged = runbook('disk-tagged', {
      alarmNames: ['disk-full-*'],
      alarmTags: { team: 'web', tier: 'prod' },
    });
    const both = alarmChange('ALARM', T0, { tags: { team: 'web', tier: 'prod', extra: 'x' } });
    const one = alarmChange('ALARM', T0, { tags: { team: 'web' } });
    expect(matchRunbook(both, [tagged])?.runbook.name).toBe('disk-tagged');
    expect(matchRunbook(one, [tagged])).toBeUndefined();
    expect(matchRunbook(alarmChange('ALARM', T0), [tagged])).toBeUndefined();
  });

  describe('dimension values a metric matcher requires', () => {
    const rootOnly = runbook('root-disk', {
      alarmNames: ['disk-full-*'],
      metrics: [{ namespace: 'CWAgent', metricName: 'disk_used_percent', dimensions: { path: '/' } }],
    });
    const onPath = (path: string | undefined, alarmName = 'disk-full-web-1'): AlarmChange =>
      alarmChange('ALARM', T0, {
        alarmName,
        metrics: [
          {
            namespace: 'CWAgent',
            metricName: 'disk_used_percent',
            dimensions: { InstanceId: 'i-0123456789abcdef0', ...(path === undefined ? {} : { path }) },
          },
        ],
      });

    it('answers the metric with those values, by metric as by name, and says which', () => {
      expect(matchRunbook(onPath('/', 'data-volume'), [rootOnly])).toMatchObject({
        matchedBy: 'metric CWAgent/disk_used_percent (path=/)',
      });
      expect(matchRunbook(onPath('/'), [rootOnly])?.runbook.name).toBe('root-disk');
    });

    it('answers no alarm that reads the metric with other values, or without them, whatever its name', () => {
      expect(matchRunbook(onPath('/data'), [rootOnly])).toBeUndefined();
      expect(matchRunbook(onPath(undefined), [rootOnly])).toBeUndefined();
      expect(matchRunbook(onPath('/data', 'data-volume'), [rootOnly])).toBeUndefined();
    });

    it('keeps the shipped disk-full runbook to the root mount, which is what its script cleans', () => {
      const shipped = runbooks.filter((r) => r.name === 'disk-full');
      expect(matchRunbook(onPath('/'), shipped)?.runbook.name).toBe('disk-full');
      expect(matchRunbook(onPath('/', 'web-1-root-volume-full'), shipped)?.runbook.name).toBe('disk-full');
      expect(matchRunbook(onPath('/data'), shipped)).toBeUndefined();
      expect(matchRunbook(onPath('/data', 'data-volume'), shipped)).toBeUndefined();
    });

    it('prefers the matcher that requires more values', () => {
      const anyMount = runbook('any-disk', {
        metrics: [{ namespace: 'CWAgent', metricName: 'disk_used_percent' }],
      });
      const metricOnly = runbook('root-disk-by-metric', { metrics: rootOnly.match.metrics ?? [] });
      expect(matchRunbook(onPath('/', 'data-volume'), [anyMount, metricOnly])?.runbook.name).toBe(
        'root-disk-by-metric',
      );
    });
  });

  it('answers nothing when no matcher fits', () => {
    const alarm = alarmChange('ALARM', T0, { alarmName: 'cpu-high', metrics: [] });
    expect(matchRunbook(alarm, [byMetric, byGlob, byName])).toBeUndefined();
  });
});

describe('globMatches', () => {
  it.each([
    ['disk-*', 'disk-full', true],
    ['disk-*', 'disk-', true],
    ['disk-*', 'cpu-disk-full', false],
    ['*-root', 'web-1-root', true],
    ['*-root', 'web-1-root-2', false],
    ['a*b*c', 'a-b-c', true],
    ['a*b*c', 'a-c-b', false],
    ['exact', 'exact', true],
    ['ab*ba', 'aba', false],
  ])('%s against %s is %s', (pattern, text, expected) => {
    expect(globMatches(pattern, text)).toBe(expected);
  });
});

describe('alarmTarget', () => {
  it('is the InstanceId dimension of a single-metric alarm', () => {
    expect(alarmTarget(alarmChange('ALARM', T0))).toEqual({
      kind: 'instance',
      instanceId: 'i-0123456789abcdef0',
    });
  });

  it('is the one instance of metric math over that instance alone', () => {
    const alarm = alarmChange('ALARM', T0, {
      usesExpression: true,
      metrics: [
        { namespace: 'AWS/EC2', metricName: 'NetworkIn', dimensions: { InstanceId: 'i-00000000000000001' } },
        { namespace: 'AWS/EC2', metricName: 'NetworkOut', dimensions: { InstanceId: 'i-00000000000000001' } },
      ],
    });
    expect(alarmTarget(alarm)).toEqual({ kind: 'instance', instanceId: 'i-00000000000000001' });
  });

  it.each([
    ['a composite alarm', { composite: true, metrics: [] }, 'composite alarm'],
    [
      'an alarm without InstanceId',
      { metrics: [{ namespace: 'AWS/ELB', metricName: 'Latency', dimensions: {} }] },
      'no InstanceId',
    ],
    [
      'metric math over two instances',
      {
        usesExpression: true,
        metrics: [
          {
            namespace: 'AWS/EC2',
            metricName: 'CPUUtilization',
            dimensions: { InstanceId: 'i-00000000000000001' },
          },
          {
            namespace: 'AWS/EC2',
            metricName: 'CPUUtilization',
            dimensions: { InstanceId: 'i-00000000000000002' },
          },
        ],
      },
      'metrics of 2 instances',
    ],
    [
      'metric math over an instance metric and a metric of no instance',
      {
        usesExpression: true,
        metrics: [
          {
            namespace: 'AWS/EC2',
            metricName: 'NetworkIn',
            dimensions: { InstanceId: 'i-00000000000000001' },
          },
          { namespace: 'AWS/ELB', metricName: 'RequestCount', dimensions: { LoadBalancerName: 'web' } },
        ],
      },
      'mixes metrics of an instance with metrics of no instance',
    ],
    [
      'a hostile InstanceId',
      {
        metrics: [
          { namespace: 'AWS/EC2', metricName: 'CPUUtilization', dimensions: { InstanceId: 'i-1; reboot' } },
        ],
      },
      'not an EC2 instance id',
    ],
  ] as Array<[string, Partial<AlarmChange>, string]>)(
    'is none for %s, with the reason',
    (_name, overrides, reason) => {
      const target = alarmTarget(alarmChange('ALARM', T0, overrides));
      expect(target.kind).toBe('none');
      expect(target.kind === 'none' && target.reason).toContain(reason);
    },
  );
});

describe('backoffSeconds', () => {
  const policy = { baseSeconds: 60, capSeconds: 600 };

  it('grows the ceiling exponentially from the base, up to the cap', () => {
    const ceilings = [2, 3, 4, 5, 6, 7].map((n) => backoffSeconds(policy, n, 0.9999999));
    expect(ceilings).toEqual([60, 120, 240, 480, 600, 600]);
  });

  it('spreads waits over the whole range (full jitter), never below one second', () => {
    expect(backoffSeconds(policy, 4, 0)).toBe(1);
    expect(backoffSeconds(policy, 4, 0.5)).toBe(120);
    expect(backoffSeconds(policy, 40, 0.5)).toBe(300);
  });
});

describe('defineRunbook', () => {
  it('names the runbook, the field and the fix for every problem', () => {
    const broken = { ...testRunbook, name: 'Disk Full', maxAttempts: 0, match: { alarmNames: ['*'] } };
    expect(() => defineRunbook(broken)).toThrow(RunbookDefinitionError);
    expect(() => defineRunbook(broken)).toThrow(
      /runbook "Disk Full" is invalid[\s\S]*name: use lower-case kebab-case/,
    );
    expect(() => defineRunbook(broken)).toThrow(/maxAttempts is 0: use a whole number from 1 to 10/);
    expect(() => defineRunbook(broken)).toThrow(/would answer every alarm/);
  });
});
