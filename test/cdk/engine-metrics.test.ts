import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { PowertoolsMetrics } from '../../functions/adapters/aws/powertools-metrics.ts';
import { transitionMetrics } from '../../functions/core/metrics.ts';
import type { RemediationEngine } from '../../lib/remediation-engine.ts';
import { RemediationStack } from '../../lib/remediation-stack.ts';
import { alarmInput, Scenario, T0 } from '../support/fixtures.ts';
import { testApp } from './synthesize.ts';

/** One metric of an EMF blob, as CloudWatch extracts it: namespace, name and dimension values. */
interface ExtractedMetric {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Record<string, string>;
}

/**
 * What the handlers publish for the last step of a scenario: its transition's metric points, recorded
 * and flushed by the sink every function uses, read back from the EMF the sink writes to stdout.
 */
function publishedBy(scenario: Scenario, step: () => void): ExtractedMetric[] {
  const before = scenario.incident;
  step();
  const written: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    written.push(String(chunk));
    return true;
  });
  try {
    const sink = new PowertoolsMetrics();
    for (const point of transitionMetrics(before, scenario.incident as NonNullable<Scenario['incident']>))
      sink.record(point);
    sink.flush();
  } finally {
    spy.mockRestore();
  }
  return written
    .join('')
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, any>)
    .filter((blob) => blob._aws)
    .flatMap((blob) =>
      (blob._aws.CloudWatchMetrics as Array<Record<string, any>>).flatMap((directive) =>
        (directive.Metrics as Array<{ Name: string }>).map((metric) => ({
          namespace: directive.Namespace as string,
          name: metric.Name,
          dimensions: Object.fromEntries(
            (directive.Dimensions[0] as string[]).map((key) => [key, String(blob[key])]),
          ),
        })),
      ),
    );
}

/** The published metric a CloudWatch metric of the engine reads, if it reads one. */
function read(metric: cloudwatch.Metric, published: readonly ExtractedMetric[]): ExtractedMetric | undefined {
  return published.find(
    (p) =>
      p.namespace === metric.namespace &&
      p.name === metric.metricName &&
      JSON.stringify(p.dimensions) === JSON.stringify(metric.dimensions ?? {}),
  );
}

describe("the engine's outcome metrics", () => {
  let stack: RemediationStack;
  let engine: RemediationEngine;
  beforeAll(() => {
    stack = new RemediationStack(testApp(), 'Ec2AutoRemediation');
    engine = stack.engine;
  });

  it('metricFixes reads what the handlers publish when a remediation is verified', () => {
    // Prepare
    const s = new Scenario();
    s.apply(alarmInput('ALARM', T0));
    s.apply({ kind: 'command-sent', attempt: 1, commandId: 'c1' });
    s.after(30).apply({
      kind: 'command-finished',
      commandId: 'c1',
      result: { status: 'Success', responseCode: 0 },
    });
    // Act
    const published = publishedBy(s, () => s.after(30).apply(alarmInput('OK', T0 + 60_000)));
    // Assess
    expect(s.incident?.status).toBe('resolved');
    expect(read(engine.metricFixes(), published)).toBeDefined();
    expect(read(engine.metricEscalations(), published)).toBeUndefined();
  });

  it('metricEscalations reads what the handlers publish when an incident is escalated', () => {
    // Prepare
    const s = new Scenario();
    s.safety = { paused: { scope: 'all runbooks', reason: 'failover', since: T0 } };
    // Act
    const published = publishedBy(s, () => s.apply(alarmInput('ALARM', T0)));
    // Assess
    expect(s.incident?.status).toBe('escalated');
    expect(read(engine.metricEscalations(), published)).toBeDefined();
    expect(read(engine.metricFixes(), published)).toBeUndefined();
  });

  it('metricSuppressions reads what the handlers publish when a fleet breaker suppresses an incident', () => {
    // Prepare
    const s = new Scenario();
    s.safety = {
      fleet: { slotsInUse: 0, freeSlots: [0] },
      breaker: { openedAt: T0, reason: 'six instances at once', instances: 6 },
    };
    // Act
    const published = publishedBy(s, () => s.apply(alarmInput('ALARM', T0)));
    // Assess
    expect(s.incident?.status).toBe('suppressed');
    expect(read(engine.metricSuppressions(), published)).toBeDefined();
    expect(read(engine.metricEscalations(), published)).toBeUndefined();
  });

  it('take the options of any CloudWatch metric, and alarm like one', () => {
    // Act
    const hourly = engine.metricEscalations({ period: Duration.hours(1) });
    new cloudwatch.Alarm(stack, 'TooManyPages', { metric: hourly, threshold: 10, evaluationPeriods: 1 });
    // Assess
    expect(engine.metricFixes({ label: 'Fixed' }).label).toBe('Fixed');
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: hourly.metricName,
      Namespace: hourly.namespace,
      Dimensions: Object.entries(hourly.dimensions ?? {}).map(([Name, Value]) => ({ Name, Value })),
      Period: 3600,
      Statistic: 'Sum',
    });
  });
});
