import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defineRunbook } from '../../functions/core/runbook.ts';
import { explainEvent } from '../../local/authoring/explain.ts';
import serviceDown from '../../runbooks/service-down/runbook.ts';
import { testRunbook } from '../support/fixtures.ts';

const eventsDir = new URL('../events/', import.meta.url);
const load = (name: string): any => JSON.parse(readFileSync(new URL(name, eventsDir), 'utf8'));

/** Answers every alarm in the published samples, so that explain goes all the way for each shape. */
const answersAll = defineRunbook({
  ...testRunbook,
  name: 'answers-all',
  match: {
    alarmNames: [
      'ServerCpuTooHigh',
      'TotalNetworkTrafficTooHigh',
      'EC2 CPU Utilization Anomaly',
      'ServiceAggregatedAlarm',
      'DynamoDBInsightsAlarm',
    ],
  },
});

describe('explainEvent', () => {
  it.each(readdirSync(eventsDir).filter((f) => f.endsWith('.json')))(
    'explains %s without a crash',
    (file) => {
      const explanation = explainEvent(load(file), [answersAll]);
      expect(explanation.lines.length).toBeGreaterThan(0);
    },
  );

  it('shows what a single-metric alarm would run, and where', () => {
    const { lines, wouldRun } = explainEvent(load('cloudwatch-alarm-state-change.single-metric.json'), [
      answersAll,
    ]);
    const text = lines.join('\n');
    expect(wouldRun).toBe(true);
    expect(text).toContain('Target:     instance i-12345678901234567');
    expect(text).toContain(
      'run action remediate of runbook answers-all on i-12345678901234567 with SSM Run Command',
    );
    expect(text).toContain('✓  names exactly one instance');
  });

  it.each([
    ['composite-suppressor', 'composite alarm'],
    ['initial', 'no InstanceId dimension'],
  ])('shows that the %s sample pages and runs nothing', (shape, reason) => {
    const { lines, wouldRun } = explainEvent(load(`cloudwatch-alarm-state-change.${shape}.json`), [
      answersAll,
    ]);
    expect(wouldRun).toBe(false);
    expect(lines.join('\n')).toContain(reason);
    expect(lines.join('\n')).toContain('page a human');
  });

  it('shows that a muted alarm runs nothing', () => {
    const { lines, wouldRun } = explainEvent(load('cloudwatch-alarm-state-change.single-metric-muted.json'), [
      answersAll,
    ]);
    expect(wouldRun).toBe(false);
    expect(lines.join('\n')).toContain(
      '✗  muted by arn:aws:cloudwatch:us-east-1:1234567890:alarm-mute-rule:testMute',
    );
  });

  it('shows that a hostile dimension value is refused, not run', () => {
    const withService = defineRunbook({
      ...answersAll,
      parameters: {
        service: {
          description: 'unit',
          allowedPattern: '^[a-z0-9][a-z0-9._-]{0,63}$',
          fromAlarm: { dimension: 'service' },
        },
      },
    });
    const event = load('cloudwatch-alarm-state-change.single-metric.json');
    event.detail.configuration.metrics[0].metricStat.metric.dimensions.service = 'web`reboot`; $(id)\n';

    const { lines, wouldRun } = explainEvent(event, [withService]);

    expect(wouldRun).toBe(false);
    expect(lines.join('\n')).toMatch(
      /Parameters: refused: parameter service from the alarm's dimension service/,
    );
  });

  it('reads propagated alarm tags (detail.alarmTags, a map AWS describes in prose) and matches on them', () => {
    const tagged = defineRunbook({
      ...answersAll,
      name: 'web-only',
      match: { ...answersAll.match, alarmTags: { team: 'web' } },
    });
    const event = load('cloudwatch-alarm-state-change.single-metric.json');
    event.detail.alarmTags = { team: 'web', env: 'prod' };

    expect(explainEvent(event, [tagged]).lines.join('\n')).toContain('Runbook:    web-only');
    event.detail.alarmTags = { team: 'db' };
    expect(explainEvent(event, [tagged]).lines.join('\n')).toContain('none answers this alarm');
  });

  it("runs a service only as the instance's allow-list tag allows, given with --instance-tag", () => {
    const event = load('cloudwatch-alarm-state-change.single-metric.json');
    event.detail.alarmName = 'service-down-web-1';
    event.detail.configuration.metrics[0].metricStat.metric = {
      namespace: 'CWAgent',
      name: 'procstat_lookup_pid_count',
      dimensions: { InstanceId: 'i-12345678901234567', exe: 'nginx' },
    };

    const untagged = explainEvent(event, [serviceDown]);
    const tagged = explainEvent(event, [serviceDown], {
      instanceTags: { 'AutoRemediation:services': 'nginx' },
    });

    expect(untagged.wouldRun).toBe(false);
    expect(untagged.lines.join('\n')).toContain(
      'Parameters: refused: parameter service from the alarm\'s dimension exe ("nginx"): the instance has no tag AutoRemediation:services',
    );
    expect(tagged.wouldRun).toBe(true);
    expect(tagged.lines.join('\n')).toContain('Instance tags: AutoRemediation:services="nginx"');
    expect(tagged.lines.join('\n')).toContain('Parameters: service="nginx"');
  });

  it('says what becomes of an event that is not an alarm state change, or is malformed', () => {
    expect(explainEvent(load('ssm-command-status-change.json'), [answersAll]).lines[0]).toMatch(
      /^Not an alarm state change/,
    );
    const broken = load('cloudwatch-alarm-state-change.single-metric.json');
    broken.detail.state.timestamp = 'soon';
    expect(explainEvent(broken, [answersAll]).lines[0]).toMatch(/^Rejected: .*detail\.state\.timestamp/);
  });
});
