import { describe, expect, it } from 'vitest';
import { alarmIdentity, alarmTarget } from '../../functions/core/alarm.ts';
import {
  fleetAlarmName,
  perInstanceAlarmName,
  planAlarms,
  provisionedAlarmProblems,
  shardsFor,
} from '../../functions/core/alarm-provisioning.ts';
import { incidentKeyFor } from '../../functions/core/identity.ts';
import { matchRunbook } from '../../functions/core/matching.ts';
import { defineRunbook, proofCondition, RunbookDefinitionError } from '../../functions/core/runbook.ts';
import {
  fleetQuery,
  parseInsightsQuery,
  resolveAlarm,
  validateRunbookAlarm,
} from '../../functions/core/runbook-alarm.ts';
import { runbooks } from '../../runbooks/index.ts';
import { alarmChange, T0, testRunbook } from '../support/fixtures.ts';

const diskAlarm = {
  metric: { namespace: 'CWAgent', name: 'disk_used_percent' },
  dimensions: { path: '/' },
  periodSeconds: 60,
  comparison: 'GreaterThanThreshold',
  threshold: 90,
  evaluationPeriods: 3,
  datapointsToAlarm: 2,
} as const;

const options = {
  optInTag: { key: 'AutoRemediation', value: 'enabled' },
  agentDimension: { name: 'AutoRemediation', value: 'enabled' },
  stackName: 'Remediation',
};

describe('a runbook declares its production alarm', () => {
  it('resolves defaults: InstanceId first, Average, M = N, missing data missing', () => {
    const resolved = resolveAlarm({ ...diskAlarm, datapointsToAlarm: undefined, groupBy: ['device'] });
    expect(resolved).toMatchObject({
      namespace: 'CWAgent',
      metricName: 'disk_used_percent',
      groupBy: ['InstanceId', 'device'],
      statistic: 'Average',
      datapointsToAlarm: 3,
      treatMissingData: 'missing',
      seriesPerInstance: 1,
    });
  });

  it.each([
    [{ periodSeconds: 45 }, 'periodSeconds is 45'],
    [{ periodSeconds: 90 }, 'periodSeconds is 90'],
    [{ datapointsToAlarm: 4 }, 'datapointsToAlarm is 4'],
    [{ evaluationPeriods: 0 }, 'evaluationPeriods is 0'],
    [{ threshold: Number.NaN }, 'threshold'],
    [{ comparison: 'Above' }, 'comparison'],
    [{ statistic: 'p99' }, 'statistic'],
    [{ treatMissingData: 'zero' }, 'treatMissingData'],
    [{ groupBy: ['InstanceId'] }, 'groupBy'],
    [{ dimensions: { path: "/'; DROP" } }, 'dimensions.path'],
    [{ query: 'SELECT 1' }, 'not both'],
    [{ periodSeconds: 3600, evaluationPeriods: 200 }, 'at most a day'],
  ])('refuses %j', (change, problem) => {
    const problems = validateRunbookAlarm({ ...diskAlarm, ...change } as never);
    expect(problems.join('\n')).toContain(problem);
  });

  it('accepts high-resolution periods and a query that groups by InstanceId', () => {
    expect(validateRunbookAlarm({ ...diskAlarm, periodSeconds: 10 })).toEqual([]);
    const query = {
      ...diskAlarm,
      metric: undefined,
      dimensions: undefined,
      query: 'SELECT MAX(CPUUtilization) FROM "AWS/EC2" GROUP BY InstanceId ORDER BY MAX() DESC',
    };
    expect(validateRunbookAlarm(query)).toEqual([]);
    expect(validateRunbookAlarm({ ...query, query: 'SELECT MAX(CPUUtilization) FROM "AWS/EC2"' })).toEqual([
      'alarm.query: add GROUP BY InstanceId, so that each series names its instance',
    ]);
  });

  it('fails the definition at load, naming the runbook and the field', () => {
    expect(() =>
      defineRunbook({ ...testRunbook, name: 'bad-alarm', alarm: { ...diskAlarm, periodSeconds: 45 } }),
    ).toThrow(RunbookDefinitionError);
    expect(() =>
      defineRunbook({ ...testRunbook, name: 'bad-alarm', alarm: { ...diskAlarm, periodSeconds: 45 } }),
    ).toThrow(/runbook "bad-alarm" is invalid:[\s\S]*alarm\.periodSeconds is 45/);
  });

  it('refuses a parameter read from a dimension the alarm does not carry', () => {
    expect(() =>
      defineRunbook({
        ...testRunbook,
        name: 'needs-exe',
        alarm: diskAlarm,
        parameters: {
          service: { description: 'unit', allowedPattern: '^[a-z]{1,20}$', fromAlarm: { dimension: 'exe' } },
        },
      }),
    ).toThrow(/parameters\.service\.fromAlarm: the dimension "exe" is not on the runbook's alarm/);
  });

  it('judges the proof by the declared alarm, one source; a proof condition beside it is refused', () => {
    const proof = { fault: 'fault.sh', probe: 'probe.sh' };
    const declared = defineRunbook({ ...testRunbook, name: 'proved', alarm: diskAlarm, proof });
    expect(proofCondition(declared)).toEqual({ comparison: 'GreaterThanThreshold', threshold: 90 });
    const lowered = defineRunbook({
      ...testRunbook,
      name: 'proved',
      alarm: diskAlarm,
      proof: { ...proof, sandboxThreshold: { value: 40, reason: 'shared cores' } },
    });
    expect(proofCondition(lowered)).toEqual({ comparison: 'GreaterThanThreshold', threshold: 40 });
    expect(() =>
      defineRunbook({
        ...testRunbook,
        name: 'proved',
        alarm: diskAlarm,
        proof: { ...proof, alarm: { comparison: 'GreaterThanThreshold', threshold: 80 } },
      }),
    ).toThrow(/proof\.alarm: the proof is judged by the runbook's own alarm declaration/);
    expect(() => defineRunbook({ ...testRunbook, name: 'proved', proof })).toThrow(
      /proof\.alarm\.comparison/,
    );
  });
});

describe('Metrics Insights queries', () => {
  it('reads AWS published contributor sample query', () => {
    expect(
      parseInsightsQuery(
        'SELECT AVG(ConsumedWriteCapacityUnits) FROM "AWS/DynamoDB" GROUP BY TableName ORDER BY MAX() DESC',
      ),
    ).toEqual({
      namespace: 'AWS/DynamoDB',
      metricName: 'ConsumedWriteCapacityUnits',
      statistic: 'Average',
      where: {},
      groupBy: ['TableName'],
    });
    expect(parseInsightsQuery('not a query')).toBeUndefined();
  });

  it('scopes agent metrics by the stamped dimension and AWS metrics by the opt-in tag, worst first', () => {
    const disk = fleetQuery(resolveAlarm(diskAlarm), {
      kind: 'dimension',
      name: 'AutoRemediation',
      value: 'enabled',
    });
    expect(disk).toBe(
      "SELECT AVG(disk_used_percent) FROM CWAgent WHERE AutoRemediation = 'enabled' AND path = '/' GROUP BY InstanceId ORDER BY MAX() DESC LIMIT 500",
    );
    const cpu = fleetQuery(
      resolveAlarm({
        ...diskAlarm,
        dimensions: undefined,
        metric: { namespace: 'AWS/EC2', name: 'CPUUtilization' },
      }),
      { kind: 'tag', key: 'AutoRemediation', value: 'enabled' },
      { index: 11, of: 16 },
    );
    expect(cpu).toContain(`FROM "AWS/EC2" WHERE tag.AutoRemediation = 'enabled' AND InstanceId LIKE '%b'`);
    const low = fleetQuery(resolveAlarm({ ...diskAlarm, comparison: 'LessThanThreshold' }), {
      kind: 'dimension',
      name: 'AutoRemediation',
      value: 'enabled',
    });
    expect(low).toContain('ORDER BY MIN() ASC');
    // What the stack writes, the handler reads back: metric, equalities, grouping.
    expect(parseInsightsQuery(disk)).toMatchObject({
      namespace: 'CWAgent',
      metricName: 'disk_used_percent',
      where: { AutoRemediation: 'enabled', path: '/' },
      groupBy: ['InstanceId'],
    });
  });
});

describe('contributors are alarms of their own', () => {
  const contributor = (id: string, attributes: Record<string, string>) =>
    alarmChange('ALARM', T0, { contributor: { id, attributes } });

  it('takes the instance from the InstanceId attribute, and names none without it', () => {
    expect(alarmTarget(contributor('a', { InstanceId: 'i-0123456789abcdef0' }))).toEqual({
      kind: 'instance',
      instanceId: 'i-0123456789abcdef0',
    });
    expect(alarmTarget(contributor('a', { TableName: 'orders' }))).toMatchObject({ kind: 'none' });
    expect(alarmTarget(contributor('a', { InstanceId: '$(reboot)' }))).toMatchObject({ kind: 'none' });
  });

  it('gives two series of one alarm on one instance two incident keys, and one series always the same', () => {
    const nginx = contributor('1111111111111111', { InstanceId: 'i-0123456789abcdef0', exe: 'nginx' });
    const php = contributor('2222222222222222', { InstanceId: 'i-0123456789abcdef0', exe: 'php-fpm' });
    const key = (change: typeof nginx) => incidentKeyFor('service-down', change, alarmTarget(change));
    expect(key(nginx).target).toBe(key(php).target);
    expect(key(nginx).alarm).not.toBe(key(php).alarm);
    expect(key(nginx)).toEqual(key({ ...nginx, state: 'OK' }));
    expect(alarmIdentity(nginx)).not.toBe(alarmIdentity(alarmChange('ALARM', T0)));
  });
});

describe('runbooks answer the alarms the stack provisions for them', () => {
  it('every shipped runbook answers its own fleet and per-instance alarms, and no other runbook does', () => {
    expect(provisionedAlarmProblems(runbooks)).toEqual([]);
  });

  it('a runbook with an alarm answers <name>-*, and the alarm fixed dimensions restrict it', () => {
    const disk = runbooks.find((r) => r.name === 'disk-full');
    if (!disk) throw new Error('disk-full is shipped');
    const name = fleetAlarmName('Team', 'disk-full');
    const series = (path: string) =>
      alarmChange('ALARM', T0, {
        alarmName: name,
        metrics: [
          {
            namespace: 'CWAgent',
            metricName: 'disk_used_percent',
            dimensions: { InstanceId: 'i-0123456789abcdef0', path },
          },
        ],
        contributor: { id: 'abc', attributes: { InstanceId: 'i-0123456789abcdef0' } },
      });
    expect(matchRunbook(series('/'), [disk])?.runbook.name).toBe('disk-full');
    expect(matchRunbook(series('/data'), [disk])).toBeUndefined();
  });

  it('reports a broader runbook that would steal another runbook alarms', () => {
    const thief = defineRunbook({
      ...testRunbook,
      name: 'greedy',
      match: { alarmNames: ['disk-full-fleet-*'] },
    });
    const problems = provisionedAlarmProblems([...runbooks, thief]);
    expect(problems).toEqual([
      expect.stringMatching(
        /^runbook disk-full: its fleet alarm \(disk-full-fleet-Stack\) would be answered by runbook greedy/,
      ),
    ]);
  });
});

describe('the provisioning plan', () => {
  it('puts every declared alarm in one fleet alarm, and shards 16 ways beyond what a query reads', () => {
    const small = planAlarms(runbooks, { ...options, expectedInstances: 300 });
    expect(small.errors).toEqual([]);
    const disk = small.runbooks.find((r) => r.runbook === 'disk-full');
    expect(disk?.fleetAlarms.map((a) => a.name)).toEqual(['disk-full-fleet-Remediation']);
    expect(small.runbooks.find((r) => r.runbook === 'inode-exhaustion')?.mode).toBe('none');
    const big = planAlarms(runbooks, { ...options, expectedInstances: 2000 });
    expect(big.runbooks.find((r) => r.runbook === 'disk-full')?.fleetAlarms).toHaveLength(16);
    expect(big.fleetAlarmCount).toBe(80);
    expect(shardsFor(375)).toBe(1);
    expect(shardsFor(376)).toBe(16);
  });

  it('sends high-resolution alarms per-instance, and refuses fleet for them when asked', () => {
    const fast = defineRunbook({ ...testRunbook, name: 'fast', alarm: { ...diskAlarm, periodSeconds: 10 } });
    expect(planAlarms([fast], options).runbooks[0]).toMatchObject({
      mode: 'per-instance',
      alarmsPerInstance: 1,
    });
    expect(planAlarms([fast], { ...options, modes: { fast: 'fleet' } }).errors[0]).toMatch(/high resolution/);
  });

  it('names the unknown runbook in a mode override, and counts the Region quota', () => {
    expect(planAlarms(runbooks, { ...options, modes: { 'disk-ful': 'none' } }).errors[0]).toMatch(
      /alarm mode for "disk-ful": no deployed runbook has that name/,
    );
    const huge = planAlarms(runbooks, { ...options, expectedInstances: 100_000 });
    expect(huge.warnings.join('\n')).toMatch(/use per-instance/);
  });

  it('names per-instance alarms readably, from the Name tag, the id and the series', () => {
    expect(
      perInstanceAlarmName(
        'service-down',
        { instanceId: 'i-0123456789abcdef0', name: 'web 1 (blue)' },
        {
          InstanceId: 'i-0123456789abcdef0',
          exe: 'nginx',
        },
      ),
    ).toBe('service-down-web-1-blue-i-0123456789abcdef0-exe=nginx');
    expect(perInstanceAlarmName('disk-full', { instanceId: 'i-0123456789abcdef0' })).toBe(
      'disk-full-i-0123456789abcdef0',
    );
  });
});

describe("a fleet alarm's own count", () => {
  it('reads "N out of M time series", with the 100+ CloudWatch writes beyond a hundred', async () => {
    const { seriesOutOf } = await import('../../functions/core/alarm.ts');
    expect(seriesOutOf('6 out of 6 time series evaluated to ALARM')).toEqual({ inAlarm: 6, total: 6 });
    expect(seriesOutOf('100+ out of 2000 time series evaluated to ALARM')).toEqual({
      inAlarm: 100,
      total: 2000,
    });
    expect(seriesOutOf('Threshold Crossed: 1 datapoint')).toBeUndefined();
  });
});
