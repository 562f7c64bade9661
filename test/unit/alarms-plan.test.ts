import { describe, expect, it } from 'vitest';
import {
  alarmsPlanLines,
  alarmsPlanRequest,
  closest,
  keeperCalls,
  planFor,
} from '../../local/authoring/alarms-plan.ts';
import { runbooks } from '../../runbooks/index.ts';

const text = (instances: number, mode?: 'fleet' | 'per-instance' | 'none') =>
  alarmsPlanLines(runbooks, { instances, ...(mode ? { mode } : {}) }).join('\n');

describe('remediate alarms plan', () => {
  it('plans one fleet alarm per runbook for 100 instances, with its full query and cost', () => {
    // Prepare / Act
    const out = text(100);
    // Assess
    expect(out).toContain('Alarm plan: 100 instances, 6 runbooks, mode fleet (the default)');
    expect(out).toContain('disk-full: fleet\n  why:      mode fleet\n');
    expect(out).toContain(
      "    disk-full-fleet-Ec2AutoRemediation-Remediation\n      SELECT AVG(disk_used_percent) FROM CWAgent WHERE AutoRemediation = 'enabled' AND path = '/' GROUP BY InstanceId ORDER BY MAX() DESC LIMIT 500",
    );
    expect(out).toContain(
      `SELECT AVG(CPUUtilization) FROM "AWS/EC2" WHERE tag.AutoRemediation = 'enabled' GROUP BY InstanceId`,
    );
    expect(out).toContain(
      '  cost:     $30.00 a month (300 metrics analyzed × $0.10); per-instance would be $30.00',
    );
    expect(out).toContain(
      'inode-exhaustion: none\n  why:      the runbook declares no alarm: bring your own',
    );
    expect(out).toContain('Metrics Insights alarms: 5 of the 200');
    expect(out).toContain('Cost a month: $90.00 for the alarms (5 runbooks fleet, 0 per-instance)');
    expect(out).toContain('billed per metric analyzed ($0.10 each a month)');
    expect(out).toContain(
      "prices: USD, us-east-1, from AWS's CloudWatch pricing page as read on 2026-12-01; not checked live",
    );
    expect(out).toContain('CloudWatch calls a day: none after the deploy');
    expect(out).not.toContain('\u001b[');
  });

  it('shards 2,000 instances in 16 alarms per runbook by the last hex digit', () => {
    const out = text(2000);
    expect(planFor(runbooks, { instances: 2000 }).fleetAlarmCount).toBe(80);
    expect(out).toContain('why:      mode fleet, in 16 shards (6000 series > 375)');
    expect(out).toContain(
      "    memory-leak-fleet-Ec2AutoRemediation-Remediation-shard-f\n      SELECT AVG(procstat_memory_rss) FROM CWAgent WHERE AutoRemediation = 'enabled' AND InstanceId LIKE '%f' GROUP BY InstanceId, exe ORDER BY MAX() DESC LIMIT 500",
    );
    expect(out).toContain('6,000 series (2,000 × 3), about 375 per alarm of the 500 a query reads');
    expect(out).toContain('Metrics Insights alarms: 80 of the 200');
    expect(out).toContain('Cost a month: $1,800.00 for the alarms');
    expect(out).toContain(
      "needs the account's resource tags on telemetry (enableResourceTagsOnTelemetry: true)",
    );
  });

  it('warns at 10,000 instances that the fleet alarms cannot watch every series', () => {
    const out = text(10000);
    expect(out).toContain(
      '30,000 series (10,000 × 3), about 1,875 per alarm of the 500 a query reads: TOO MANY',
    );
    expect(out).toMatch(/warning: runbook memory-leak: 30000 series .* use per-instance for it/);
    expect(out).toContain('Cost a month: $9,000.00 for the alarms');
  });

  it("counts the alarm keeper's calls for per-instance alarms", () => {
    const out = text(10000, 'per-instance');
    expect(out).toContain('memory-leak: per-instance');
    expect(out).toContain('    named    memory-leak-<Name tag>-<instance id>-exe=<exe>');
    expect(out).toContain('  cost:     $3,000.00 a month (30,000 alarms × $0.10); fleet would be $3,000.00');
    expect(out).toContain(
      "CloudWatch calls a day (the alarm keeper, 5 per-instance runbooks, 90,000 alarms): an estimate from the keeper's call pattern as measured by bench/provisioning.ts",
    );
    // 90,000 alarms: a sweep reads them all (up to 200,000), 900 pages.
    expect(out).toContain(
      'a sweep with nothing to change: 1,342 = 10 DescribeInstances pages (1,000 instances each) + 432 ListMetrics pages',
    );
    expect(out).not.toContain('warning: 90,000 alarms');
    // 270,000 alarms: more than a sweep reads, so every sweep after the deploy fails after 2,000 pages.
    const huge = text(30000, 'per-instance');
    expect(huge).toContain(
      'a sweep with nothing to change: 2,030 = 30 DescribeInstances pages (1,000 instances each) + 2000 DescribeAlarms pages, then it fails',
    );
    expect(huge).toContain('warning: 270,000 alarms are more than the 200,000 metric alarms a sweep reads');
    expect(out).toContain('an instance start costs 12');
    expect(out).toContain('a stop or termination 20');
    expect(out).toContain('events 32,000, then the daily sweep 9,262');
    expect(out).toContain('in all 41,262 a day');
    expect(out).toContain(
      'forgotten the instance (about an hour) lists every alarm of each runbook: 915 calls',
    );
    const small = text(2000, 'per-instance');
    expect(small).toContain(
      'a sweep with nothing to change: 270 = 2 DescribeInstances pages (1,000 instances each) + 88 ListMetrics pages',
    );
    expect(small).toContain('+ 180 DescribeAlarms pages');
    expect(small).toContain('1,600 PutMetricAlarm for the new instances');
    expect(small).not.toContain('warning: 18,000 alarms');
    // The figures bench/provisioning.ts measured from the keeper's handler on a fake account.
    for (const [instances, sweep, daySweep, perDay, lateStop] of [
      [100, 17, 97, 417, 24],
      [2000, 270, 1854, 8254, 195],
      [10_000, 1342, 9262, 41_262, 915],
    ] as const) {
      const calls = keeperCalls(planFor(runbooks, { instances, mode: 'per-instance' }), instances);
      expect({
        sweep: calls.sweep.total,
        daySweep: calls.daySweep.total,
        perDay: calls.perDay,
        lateStop: calls.lateStop,
      }).toEqual({ sweep, daySweep, perDay, lateStop });
    }
    expect(
      keeperCalls(planFor(runbooks, { instances: 2000, mode: 'per-instance' }), 2000).perDayByApi,
    ).toEqual({
      DescribeInstances: 402,
      DescribeAlarms: 2164,
      ListMetrics: 1088,
      PutMetricAlarm: 1800,
      ListTagsForResource: 1800,
      DeleteAlarms: 1000,
    });
  });

  it('shows mode none as $0 from the stack, with what the paid modes would cost', () => {
    const out = text(2000, 'none');
    expect(out).toContain('disk-full: none\n  why:      mode none: bring your own alarms');
    expect(out).toContain('bring your own alarms named disk-full-*');
    expect(out).toContain('$0 from this stack; fleet would be $200.00, per-instance $200.00 a month');
  });

  it('names the closest valid value for a mistyped mode or flag', () => {
    expect(alarmsPlanRequest([], { mode: 'per-instace' })).toEqual({
      error: '--mode: "per-instace" is not a mode; did you mean per-instance? (fleet | per-instance | none)',
    });
    expect(alarmsPlanRequest([], { table: 'x' })).toMatchObject({
      error: expect.stringContaining('--instances'),
    });
    expect(alarmsPlanRequest([], { instances: '12k' })).toMatchObject({
      error: expect.stringContaining('12k'),
    });
    expect(alarmsPlanRequest([], {})).toEqual({ instances: 100 });
    expect(closest('instancs', ['instances', 'since'])).toBe('instances');
    expect(closest('alarms plna', ['alarms plan', 'runbooks list'])).toBe('alarms plan');
    expect(closest('frobnicate', ['pause', 'status'])).toBeUndefined();
  });
});
