import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { alarmTarget } from '../../functions/core/alarm.ts';
import { alarmStateChangeEvent, parseAwsTimestamp, toAlarmChange } from '../../functions/handlers/schemas.ts';

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

  it('reads CloudWatch timestamps, whose offset has no colon', () => {
    expect(parseAwsTimestamp('2019-10-02T17:04:40.989+0000')).toBe(Date.parse('2019-10-02T17:04:40.989Z'));
    expect(parseAwsTimestamp('2019-10-02T19:04:40.989+0200')).toBe(Date.parse('2019-10-02T17:04:40.989Z'));
    expect(Number.isNaN(parseAwsTimestamp('yesterday'))).toBe(true);
  });
});
