import {
  CloudWatchClient,
  DescribeAlarmContributorsCommand,
  DescribeAlarmsCommand,
  GetAlarmMuteRuleCommand,
  ListAlarmMuteRulesCommand,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  CloudWatchAlarmReader,
  MAX_CONTRIBUTORS,
  PAGE_INTERVAL_MS,
} from '../../functions/adapters/aws/cloudwatch-alarm-reader.ts';
import { alarmIdentity, alarmTarget } from '../../functions/core/alarm.ts';

const cloudwatch = mockClient(CloudWatchClient);
const ARN = (name: string) => `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${name}`;
const AT = new Date('2026-11-21T03:00:00.000Z');

/** A metric alarm in ALARM as DescribeAlarms returns it (API Reference, MetricAlarm). */
function metricAlarm(name: string, instanceId: string) {
  return {
    AlarmName: name,
    AlarmArn: ARN(name),
    StateValue: 'ALARM' as const,
    StateReason: 'Threshold Crossed: 1 datapoint [97.0] was greater than the threshold (90.0).',
    StateUpdatedTimestamp: new Date(AT.getTime() + 60_000),
    StateTransitionedTimestamp: AT,
    Namespace: 'CWAgent',
    MetricName: 'disk_used_percent',
    Dimensions: [
      { Name: 'InstanceId', Value: instanceId },
      { Name: 'path', Value: '/' },
    ],
  };
}

/** The query of a fleet alarm on the root volume of every instance (one series per instance). */
const FLEET_QUERY =
  "SELECT AVG(disk_used_percent) FROM CWAgent WHERE path = '/' GROUP BY InstanceId ORDER BY MAX() DESC";

/** A multi-time-series (Metrics Insights GROUP BY) alarm as DescribeAlarms returns it. */
function fleetAlarm(name: string, state: 'ALARM' | 'OK' = 'ALARM') {
  return {
    AlarmName: name,
    AlarmArn: ARN(name),
    StateValue: state,
    StateReason: '2 out of 40 time series evaluated to ALARM',
    StateTransitionedTimestamp: AT,
    Metrics: [{ Id: 'm1', Expression: FLEET_QUERY, Period: 60, ReturnData: true }],
    ComparisonOperator: 'GreaterThanThreshold' as const,
    Threshold: 90,
    EvaluationPeriods: 2,
  };
}

/** A contributor in ALARM as DescribeAlarmContributors returns it (API Reference, AlarmContributor). */
function contributor(id: string, instanceId: string, since = AT) {
  return {
    ContributorId: id,
    ContributorAttributes: { InstanceId: instanceId },
    StateReason: 'Threshold Crossed: 2 datapoints were greater than the threshold (90.0).',
    StateTransitionedTimestamp: since,
  };
}

const NOW = Date.parse('2026-11-21T03:30:00.000Z');
const instant = { pause: async () => undefined, now: () => NOW };

describe('CloudWatchAlarmReader', () => {
  beforeEach(() => {
    cloudwatch.reset();
    cloudwatch.on(ListAlarmMuteRulesCommand).resolves({ AlarmMuteRuleSummaries: [] });
  });

  it('lists the alarms in ALARM page by page, paced, as the state changes that put them there', async () => {
    // Prepare
    cloudwatch
      .on(DescribeAlarmsCommand, { StateValue: 'ALARM', NextToken: undefined })
      .resolves({ MetricAlarms: [metricAlarm('disk-full-web-1', 'i-0000000000000a001')], NextToken: 'p2' })
      .on(DescribeAlarmsCommand, { StateValue: 'ALARM', NextToken: 'p2' })
      .resolves({ MetricAlarms: [metricAlarm('disk-full-web-2', 'i-0000000000000a002')] });
    const pauses: number[] = [];
    const reader = new CloudWatchAlarmReader(new CloudWatchClient({ region: 'eu-west-1' }), {
      pause: async (ms) => {
        pauses.push(ms);
      },
    });
    // Act
    const alarms = await reader.inAlarm();
    // Assess
    expect(alarms.map((a) => a.alarmName)).toEqual(['disk-full-web-1', 'disk-full-web-2']);
    expect(alarms[0]).toMatchObject({
      alarmArn: ARN('disk-full-web-1'),
      account: '123456789012',
      region: 'eu-west-1',
      state: 'ALARM',
      // When it entered ALARM, not when its reason last changed.
      stateAt: AT.getTime(),
      metrics: [
        {
          namespace: 'CWAgent',
          metricName: 'disk_used_percent',
          dimensions: { InstanceId: 'i-0000000000000a001', path: '/' },
        },
      ],
      composite: false,
      tags: {},
    });
    expect(cloudwatch).toHaveReceivedCommandTimes(DescribeAlarmsCommand, 2);
    expect(cloudwatch).toHaveReceivedCommandWith(DescribeAlarmsCommand, {
      StateValue: 'ALARM',
      MaxRecords: 100,
    });
    expect(pauses).toEqual([PAGE_INTERVAL_MS]);
  });

  it('marks the alarms an active mute rule targets, with one call per rule, not per alarm', async () => {
    // Prepare
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        metricAlarm('disk-full-web-1', 'i-0000000000000a001'),
        metricAlarm('disk-full-web-2', 'i-0000000000000a002'),
      ],
    });
    const rule = 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm-mute-rule:patch-tuesday';
    cloudwatch
      .on(ListAlarmMuteRulesCommand)
      .resolves({ AlarmMuteRuleSummaries: [{ AlarmMuteRuleArn: rule, Status: 'ACTIVE' }] });
    cloudwatch.on(GetAlarmMuteRuleCommand, { AlarmMuteRuleName: 'patch-tuesday' }).resolves({
      MuteTargets: { AlarmNames: ['disk-full-web-2'] },
    });
    // Act
    const alarms = await new CloudWatchAlarmReader(new CloudWatchClient({ region: 'eu-west-1' })).inAlarm();
    // Assess
    expect(alarms.map((a) => [a.alarmName, a.mutedBy])).toEqual([
      ['disk-full-web-1', undefined],
      ['disk-full-web-2', rule],
    ]);
    expect(cloudwatch).toHaveReceivedCommandWith(ListAlarmMuteRulesCommand, { Statuses: ['ACTIVE'] });
    expect(cloudwatch).toHaveReceivedCommandTimes(GetAlarmMuteRuleCommand, 1);
  });

  it('refuses to list when the mute rules cannot be read, rather than act on a muted alarm', async () => {
    cloudwatch
      .on(DescribeAlarmsCommand)
      .resolves({ MetricAlarms: [metricAlarm('disk-full-web-1', 'i-0000000000000a001')] });
    cloudwatch
      .on(ListAlarmMuteRulesCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(
      new CloudWatchAlarmReader(new CloudWatchClient({ region: 'eu-west-1' })).inAlarm(),
    ).rejects.toThrow('Rate exceeded');
  });

  it("reads one alarm's state and when it entered it; undefined for an alarm CloudWatch does not have", async () => {
    cloudwatch
      .on(DescribeAlarmsCommand, { AlarmNames: ['disk-full-web-1'] })
      .resolves({
        MetricAlarms: [{ ...metricAlarm('disk-full-web-1', 'i-0000000000000a001'), StateValue: 'OK' }],
      })
      .on(DescribeAlarmsCommand, { AlarmNames: ['gone'] })
      .resolves({ MetricAlarms: [] });
    const reader = new CloudWatchAlarmReader(new CloudWatchClient({ region: 'eu-west-1' }));
    expect(await reader.state('disk-full-web-1')).toEqual({ state: 'OK', at: AT.getTime() });
    expect(await reader.state('gone')).toBeUndefined();
  });

  describe('multi-time-series (fleet) alarms', () => {
    it("reads a series' state: ALARM since its own transition when DescribeAlarmContributors lists it", async () => {
      // Prepare
      cloudwatch
        .on(DescribeAlarmsCommand, { AlarmNames: ['disk-full-fleet'] })
        .resolves({ MetricAlarms: [fleetAlarm('disk-full-fleet')] });
      const since = new Date(AT.getTime() + 120_000);
      cloudwatch.on(DescribeAlarmContributorsCommand, { AlarmName: 'disk-full-fleet' }).resolves({
        AlarmContributors: [
          contributor('c00000000000000a', 'i-0000000000000a001'),
          contributor('c00000000000000b', 'i-0000000000000a002', since),
        ],
      });
      const reader = new CloudWatchAlarmReader(new CloudWatchClient({ region: 'eu-west-1' }), instant);
      // Act
      const reading = await reader.state('disk-full-fleet', 'c00000000000000b');
      // Assess: the series' own time, not the alarm's.
      expect(reading).toEqual({ state: 'ALARM', at: since.getTime() });
      expect(cloudwatch).toHaveReceivedCommandWith(DescribeAlarmsCommand, {
        AlarmNames: ['disk-full-fleet'],
      });
      expect(cloudwatch).toHaveReceivedCommandTimes(DescribeAlarmContributorsCommand, 1);
    });

    it('reads a series CloudWatch does not list as OK as of the reading, whatever the alarm itself says', async () => {
      // Prepare: the alarm is still in ALARM for another series.
      cloudwatch
        .on(DescribeAlarmsCommand, { AlarmNames: ['disk-full-fleet'] })
        .resolves({ MetricAlarms: [fleetAlarm('disk-full-fleet')] });
      cloudwatch
        .on(DescribeAlarmContributorsCommand)
        .resolves({ AlarmContributors: [contributor('c00000000000000a', 'i-0000000000000a001')] });
      const reader = new CloudWatchAlarmReader(new CloudWatchClient({ region: 'eu-west-1' }), instant);
      // Act
      const reading = await reader.state('disk-full-fleet', 'c00000000000000b');
      // Assess
      expect(reading).toEqual({ state: 'OK', at: NOW });
    });

    it('reads no state for a series of an alarm CloudWatch no longer has, and asks nothing more', async () => {
      // Prepare
      cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });
      const reader = new CloudWatchAlarmReader(new CloudWatchClient({ region: 'eu-west-1' }), instant);
      // Act
      const reading = await reader.state('gone', 'c00000000000000a');
      // Assess
      expect(reading).toBeUndefined();
      expect(cloudwatch).not.toHaveReceivedCommand(DescribeAlarmContributorsCommand);
    });

    it('reads no state for a series when the alarm is deleted between the two calls', async () => {
      cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [fleetAlarm('disk-full-fleet')] });
      cloudwatch
        .on(DescribeAlarmContributorsCommand)
        .rejects(Object.assign(new Error('no such alarm'), { name: 'ResourceNotFoundException' }));
      const reader = new CloudWatchAlarmReader(new CloudWatchClient({ region: 'eu-west-1' }), instant);
      expect(await reader.state('disk-full-fleet', 'c00000000000000a')).toBeUndefined();
    });

    it('rejects, rather than say OK, when the contributors cannot be read', async () => {
      cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [fleetAlarm('disk-full-fleet')] });
      cloudwatch
        .on(DescribeAlarmContributorsCommand)
        .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
      const reader = new CloudWatchAlarmReader(new CloudWatchClient({ region: 'eu-west-1' }), instant);
      await expect(reader.state('disk-full-fleet', 'c00000000000000a')).rejects.toThrow('Rate exceeded');
    });

    it("follows NextToken through the alarm's contributors, paced, before it says OK", async () => {
      // Prepare
      cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [fleetAlarm('disk-full-fleet')] });
      cloudwatch
        .on(DescribeAlarmContributorsCommand, { AlarmName: 'disk-full-fleet', NextToken: undefined })
        .resolves({
          AlarmContributors: [contributor('c00000000000000a', 'i-0000000000000a001')],
          NextToken: 'c2',
        })
        .on(DescribeAlarmContributorsCommand, { AlarmName: 'disk-full-fleet', NextToken: 'c2' })
        .resolves({ AlarmContributors: [contributor('c00000000000000b', 'i-0000000000000a002')] });
      const pauses: number[] = [];
      const reader = new CloudWatchAlarmReader(new CloudWatchClient({ region: 'eu-west-1' }), {
        now: () => NOW,
        pause: async (ms) => {
          pauses.push(ms);
        },
      });
      // Act
      const onSecondPage = await reader.state('disk-full-fleet', 'c00000000000000b');
      const onNoPage = await reader.state('disk-full-fleet', 'c00000000000000c');
      // Assess
      expect(onSecondPage).toEqual({ state: 'ALARM', at: AT.getTime() });
      expect(onNoPage).toEqual({ state: 'OK', at: NOW });
      expect(cloudwatch).toHaveReceivedCommandTimes(DescribeAlarmContributorsCommand, 4);
      expect(pauses).toEqual([PAGE_INTERVAL_MS, PAGE_INTERVAL_MS]);
    });

    it('lists a fleet alarm in ALARM as its contributors in ALARM, each shaped as its contributor event', async () => {
      // Prepare: one page with a fleet alarm and a per-instance alarm.
      cloudwatch.on(DescribeAlarmsCommand, { StateValue: 'ALARM' }).resolves({
        MetricAlarms: [fleetAlarm('disk-full-fleet'), metricAlarm('disk-full-web-9', 'i-0000000000000a009')],
      });
      const since = new Date(AT.getTime() + 120_000);
      cloudwatch.on(DescribeAlarmContributorsCommand, { AlarmName: 'disk-full-fleet' }).resolves({
        AlarmContributors: [
          contributor('c00000000000000a', 'i-0000000000000a001'),
          contributor('c00000000000000b', 'i-0000000000000a002', since),
        ],
      });
      const pauses: number[] = [];
      const reader = new CloudWatchAlarmReader(new CloudWatchClient({ region: 'eu-west-1' }), {
        pause: async (ms) => {
          pauses.push(ms);
        },
      });
      // Act
      const alarms = await reader.inAlarm();
      // Assess: the parent itself (which names no instance) is not listed; each series is, on its instance.
      expect(alarms.map((a) => [a.alarmName, a.contributor?.id])).toEqual([
        ['disk-full-web-9', undefined],
        ['disk-full-fleet', 'c00000000000000a'],
        ['disk-full-fleet', 'c00000000000000b'],
      ]);
      expect(alarms[2]).toEqual({
        alarmName: 'disk-full-fleet',
        alarmArn: ARN('disk-full-fleet'),
        account: '123456789012',
        region: 'eu-west-1',
        state: 'ALARM',
        previousState: undefined,
        stateAt: since.getTime(),
        reason: 'Threshold Crossed: 2 datapoints were greater than the threshold (90.0).',
        metrics: [
          {
            namespace: 'CWAgent',
            metricName: 'disk_used_percent',
            dimensions: { path: '/', InstanceId: 'i-0000000000000a002' },
          },
        ],
        usesExpression: true,
        composite: false,
        tags: {},
        contributor: { id: 'c00000000000000b', attributes: { InstanceId: 'i-0000000000000a002' } },
      });
      expect(alarms.slice(1).map((a) => alarmTarget(a))).toEqual([
        { kind: 'instance', instanceId: 'i-0000000000000a001' },
        { kind: 'instance', instanceId: 'i-0000000000000a002' },
      ]);
      expect(new Set(alarms.map(alarmIdentity)).size).toBe(3);
      // One call per fleet alarm, paced as the pages are.
      expect(cloudwatch).toHaveReceivedCommandTimes(DescribeAlarmContributorsCommand, 1);
      expect(pauses).toEqual([PAGE_INTERVAL_MS]);
    });

    it('lists nothing for a fleet alarm deleted since the page named it, and the rest as usual', async () => {
      cloudwatch.on(DescribeAlarmsCommand, { StateValue: 'ALARM' }).resolves({
        MetricAlarms: [fleetAlarm('disk-full-fleet'), metricAlarm('disk-full-web-9', 'i-0000000000000a009')],
      });
      cloudwatch
        .on(DescribeAlarmContributorsCommand)
        .rejects(Object.assign(new Error('no such alarm'), { name: 'ResourceNotFoundException' }));
      const alarms = await new CloudWatchAlarmReader(
        new CloudWatchClient({ region: 'eu-west-1' }),
        instant,
      ).inAlarm();
      expect(alarms.map((a) => a.alarmName)).toEqual(['disk-full-web-9']);
    });

    it(`lists at most ${MAX_CONTRIBUTORS} contributors of one alarm`, async () => {
      cloudwatch.on(DescribeAlarmsCommand, { StateValue: 'ALARM' }).resolves({
        MetricAlarms: [fleetAlarm('disk-full-fleet')],
      });
      const many = (from: number) =>
        Array.from({ length: 80 }, (_, i) => {
          const n = (from + i).toString(16).padStart(4, '0');
          return contributor(`c00000000000${n}`, `i-0000000000000${n.slice(1)}`);
        });
      cloudwatch
        .on(DescribeAlarmContributorsCommand, { AlarmName: 'disk-full-fleet', NextToken: undefined })
        .resolves({ AlarmContributors: many(0), NextToken: 'c2' })
        .on(DescribeAlarmContributorsCommand, { AlarmName: 'disk-full-fleet', NextToken: 'c2' })
        .resolves({ AlarmContributors: many(80), NextToken: 'c3' });
      const alarms = await new CloudWatchAlarmReader(
        new CloudWatchClient({ region: 'eu-west-1' }),
        instant,
      ).inAlarm();
      expect(alarms).toHaveLength(MAX_CONTRIBUTORS);
      expect(cloudwatch).toHaveReceivedCommandTimes(DescribeAlarmContributorsCommand, 2);
    });

    it("marks every contributor of a muted fleet alarm with the alarm's mute rule", async () => {
      // Prepare
      cloudwatch.on(DescribeAlarmsCommand, { StateValue: 'ALARM' }).resolves({
        MetricAlarms: [fleetAlarm('disk-full-fleet'), metricAlarm('disk-full-web-9', 'i-0000000000000a009')],
      });
      cloudwatch.on(DescribeAlarmContributorsCommand).resolves({
        AlarmContributors: [
          contributor('c00000000000000a', 'i-0000000000000a001'),
          contributor('c00000000000000b', 'i-0000000000000a002'),
        ],
      });
      const rule = 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm-mute-rule:patch-tuesday';
      cloudwatch
        .on(ListAlarmMuteRulesCommand)
        .resolves({ AlarmMuteRuleSummaries: [{ AlarmMuteRuleArn: rule, Status: 'ACTIVE' }] });
      cloudwatch.on(GetAlarmMuteRuleCommand).resolves({ MuteTargets: { AlarmNames: ['disk-full-fleet'] } });
      // Act
      const alarms = await new CloudWatchAlarmReader(
        new CloudWatchClient({ region: 'eu-west-1' }),
        instant,
      ).inAlarm();
      // Assess
      expect(alarms.map((a) => [a.alarmName, a.contributor?.id, a.mutedBy])).toEqual([
        ['disk-full-web-9', undefined, undefined],
        ['disk-full-fleet', 'c00000000000000a', rule],
        ['disk-full-fleet', 'c00000000000000b', rule],
      ]);
      expect(cloudwatch).toHaveReceivedCommandTimes(GetAlarmMuteRuleCommand, 1);
    });

    it('lists a metric math alarm without GROUP BY as itself, with no call for contributors', async () => {
      cloudwatch.on(DescribeAlarmsCommand, { StateValue: 'ALARM' }).resolves({
        MetricAlarms: [
          {
            ...fleetAlarm('disk-full-math'),
            Metrics: [
              {
                Id: 'm1',
                Expression:
                  "SELECT MAX(disk_used_percent) FROM CWAgent WHERE InstanceId = 'i-0000000000000a001'",
                ReturnData: true,
                Period: 60,
              },
            ],
          },
        ],
      });
      const alarms = await new CloudWatchAlarmReader(
        new CloudWatchClient({ region: 'eu-west-1' }),
        instant,
      ).inAlarm();
      expect(alarms.map((a) => [a.alarmName, a.contributor, a.usesExpression])).toEqual([
        ['disk-full-math', undefined, true],
      ]);
      expect(cloudwatch).not.toHaveReceivedCommand(DescribeAlarmContributorsCommand);
    });
  });
});
