import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { alarmIdentity, alarmTarget } from '../../functions/core/alarm.ts';
import {
  alarmContributorStateChangeEvent,
  alarmStateChangeEvent,
  anyAlarmEvent,
  parseAwsTimestamp,
  toAlarmChange,
} from '../../functions/handlers/schemas.ts';

const eventsDir = new URL('../events/', import.meta.url);
const load = (name: string): unknown => JSON.parse(readFileSync(new URL(name, eventsDir), 'utf8'));

describe('AWS alarm events as published', () => {
  const stateChanges = readdirSync(eventsDir).filter((f) => f.startsWith('cloudwatch-alarm-state-change.'));

  it('has a sample of each documented shape to test against', () => {
    expect(stateChanges.length).toBeGreaterThanOrEqual(5);
  });

  it.each(stateChanges)('parses %s without a change', (file) => {
    const parsed = alarmStateChangeEvent.safeParse(load(file));
    expect(parsed.error?.issues).toBeUndefined();
    expect(Number.isFinite(toAlarmChange(parsed.data as never).stateAt)).toBe(true);
  });

  it.each([
    ['single-metric', { kind: 'instance', instanceId: 'i-12345678901234567' }],
    ['metric-math', { kind: 'instance', instanceId: 'i-12345678901234567' }],
    ['anomaly-detection', { kind: 'instance', instanceId: 'i-12345678901234567' }],
    ['composite-suppressor', { kind: 'none', reason: expect.stringContaining('composite alarm') }],
    ['initial', { kind: 'none', reason: expect.stringContaining('no InstanceId') }],
  ])('finds the target of the %s sample', (shape, expected) => {
    const alarm = toAlarmChange(
      alarmStateChangeEvent.parse(load(`cloudwatch-alarm-state-change.${shape}.json`)),
    );
    expect(alarmTarget(alarm)).toEqual(expected);
  });

  it('reads the mute rule of a muted alarm', () => {
    const alarm = toAlarmChange(
      alarmStateChangeEvent.parse(load('cloudwatch-alarm-state-change.single-metric-muted.json')),
    );
    expect(alarm.mutedBy).toBe('arn:aws:cloudwatch:us-east-1:1234567890:alarm-mute-rule:testMute');
  });

  it('reads the first transition out of INSUFFICIENT_DATA, which has no reasonData', () => {
    const alarm = toAlarmChange(
      alarmStateChangeEvent.parse(load('cloudwatch-alarm-state-change.initial.json')),
    );
    expect(alarm).toMatchObject({ state: 'ALARM', previousState: 'INSUFFICIENT_DATA', usesExpression: true });
  });

  it('rejects the configuration-change event, which is not a state change', () => {
    expect(alarmStateChangeEvent.safeParse(load('cloudwatch-alarm-configuration-change.json')).success).toBe(
      false,
    );
  });

  it("parses a fleet alarm's contributor event exactly as published: one series, its own state", () => {
    const event = load('cloudwatch-alarm-contributor-state-change.json');
    const parsed = anyAlarmEvent.safeParse(event);
    expect(parsed.error?.issues).toBeUndefined();
    expect(alarmContributorStateChangeEvent.safeParse(event).success).toBe(true);
    // Not a plain state change: the contributor schema is the one that reads it.
    expect(alarmStateChangeEvent.safeParse(event).success).toBe(false);
    const alarm = toAlarmChange(parsed.data as never);
    expect(alarm).toEqual({
      alarmName: 'DynamoDBInsightsAlarm',
      alarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:DynamoDBInsightsAlarm',
      account: '123456789012',
      region: 'us-east-1',
      state: 'ALARM',
      previousState: undefined,
      stateAt: Date.parse('2025-12-01T13:42:04.919Z'),
      reason:
        'Threshold Crossed: 1 datapoint was less than the threshold (1.0). The most recent datapoint which crossed the threshold: [0.0 (01/12/25 13:34:00)].',
      metrics: [
        {
          namespace: 'AWS/DynamoDB',
          metricName: 'ConsumedWriteCapacityUnits',
          dimensions: { TableName: 'example-dynamodb-table-name' },
        },
      ],
      usesExpression: true,
      composite: false,
      tags: {},
      mutedBy: 'arn:aws:cloudwatch:us-east-1:1234567890:alarm-mute-rule:testMute',
      contributor: { id: '6d442278dba546f6', attributes: { TableName: 'example-dynamodb-table-name' } },
    });
    expect(alarm.seriesCount).toBeUndefined();
    expect(alarmIdentity(alarm)).toBe(
      'arn:aws:cloudwatch:us-east-1:123456789012:alarm:DynamoDBInsightsAlarm#contributor/6d442278dba546f6',
    );
    // Grouped by TableName: the series names no instance.
    expect(alarmTarget(alarm)).toEqual({ kind: 'none', reason: expect.stringContaining('not InstanceId') });
  });

  it("parses a fleet alarm's own state change exactly as published: a count of series, no contributor", () => {
    const event = load('cloudwatch-alarm-state-change.multi-time-series-parent.json');
    const parsed = anyAlarmEvent.safeParse(event);
    expect(parsed.error?.issues).toBeUndefined();
    expect(alarmContributorStateChangeEvent.safeParse(event).success).toBe(false);
    const alarm = toAlarmChange(parsed.data as never);
    expect(alarm).toMatchObject({
      alarmName: 'DynamoDBInsightsAlarm',
      state: 'ALARM',
      previousState: 'INSUFFICIENT_DATA',
      stateAt: Date.parse('2025-12-01T13:42:04.919Z'),
      usesExpression: true,
      seriesCount: '6 out of 6 time series evaluated to ALARM',
    });
    expect(alarm.contributor).toBeUndefined();
    expect(alarm.mutedBy).toBeUndefined();
    expect(alarmIdentity(alarm)).toBe(
      'arn:aws:cloudwatch:us-east-1:123456789012:alarm:DynamoDBInsightsAlarm',
    );
  });

  it('reads CloudWatch timestamps, whose offset has no colon', () => {
    expect(parseAwsTimestamp('2019-10-02T17:04:40.989+0000')).toBe(Date.parse('2019-10-02T17:04:40.989Z'));
    expect(parseAwsTimestamp('2019-10-02T19:04:40.989+0200')).toBe(Date.parse('2019-10-02T17:04:40.989Z'));
    expect(Number.isNaN(parseAwsTimestamp('yesterday'))).toBe(true);
  });
});

describe('the reasons a malformed event is rejected with', () => {
  it('say what was expected, in English, and keep the schemas’ own words', async () => {
    const { describeIssues } = await import('../../functions/handlers/schemas.ts');
    const sample = load('cloudwatch-alarm-state-change.single-metric.json') as {
      account: string;
      detail: { alarmName: unknown; state: { timestamp: string } };
    };
    const wrongType = structuredClone(sample);
    wrongType.detail.alarmName = 42;
    const badAccount = structuredClone(sample);
    badAccount.account = '12345';
    const badTime = structuredClone(sample);
    badTime.detail.state.timestamp = '2026-02-30T00:00:00.000+0000';
    const reason = (event: unknown) => {
      const parsed = alarmStateChangeEvent.safeParse(event);
      if (parsed.success) throw new Error('accepted');
      return describeIssues(parsed.error);
    };
    // zod's tree-shakable build has no messages of its own: only the English locale gives these.
    expect(reason(wrongType)).toBe('detail.alarmName: Invalid input: expected string, received number');
    expect(reason(badAccount)).toBe('account: account must be 12 digits');
    expect(reason(badTime)).toBe('detail.state.timestamp: not a timestamp');
  });
});

describe('zod in the functions', () => {
  it('comes from one module, which gives it its English messages', () => {
    const root = new URL('../../functions/', import.meta.url);
    const files = (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
    const direct = files.filter(
      (f) =>
        !f.endsWith('zod-locale.ts') && /from 'zod(\/[^']*)?'/.test(readFileSync(new URL(f, root), 'utf8')),
    );
    expect(files.length).toBeGreaterThan(50);
    expect(direct).toEqual([]);
  });
});
