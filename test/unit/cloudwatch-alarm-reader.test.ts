import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetAlarmMuteRuleCommand,
  ListAlarmMuteRulesCommand,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  CloudWatchAlarmReader,
  PAGE_INTERVAL_MS,
} from '../../functions/adapters/aws/cloudwatch-alarm-reader.ts';

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
});
