import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SendCommandCommand } from '@aws-sdk/client-ssm';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoDbKillSwitch } from '../../functions/adapters/aws/dynamodb-kill-switch.ts';
import { PowertoolsMetrics } from '../../functions/adapters/aws/powertools-metrics.ts';
import { METRIC, METRICS_NAMESPACE } from '../../functions/core/metrics.ts';
import { defineRunbook } from '../../functions/core/runbook.ts';
import { createAlarmHandler } from '../../functions/handlers/alarm-handler.ts';
import type { Runtime } from '../../functions/handlers/runtime.ts';
import type { RecordedMetrics } from '../../local/local-ports.ts';
import {
  lambdaContext,
  loadIncident,
  mocks,
  resetMocks,
  sampleEvent,
  TestClock,
  testRuntime,
} from '../support/aws-runtime.ts';
import { alarmInput, keyFor, onInstance, testRunbook } from '../support/fixtures.ts';

const cpu = defineRunbook({
  ...testRunbook,
  name: 'cpu-high',
  match: { metrics: [{ namespace: 'AWS/EC2', metricName: 'CPUUtilization' }] },
});
const T0 = Date.parse('2026-11-21T03:00:00Z');

/** What the process wrote to stdout meanwhile (Powertools writes logs and EMF there), one JSON per line. */
function captureStdout(): { lines: () => Record<string, any>[]; restore: () => void } {
  const written: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => {
    written.push(String(chunk));
    return true;
  });
  return {
    lines: () =>
      written
        .join('')
        .split('\n')
        .filter((l) => l.trim().startsWith('{'))
        .map((l) => JSON.parse(l)),
    restore: () => spy.mockRestore(),
  };
}

describe('the remediator watches itself: metrics and logs of the handlers, on DynamoDB Local', () => {
  const clock = new TestClock(T0);
  let runtime: Runtime;
  let metrics: RecordedMetrics;
  let killSwitch: DynamoDbKillSwitch;
  let sample: any;

  beforeAll(async () => {
    let dynamodb: ConstructorParameters<typeof DynamoDbKillSwitch>[0];
    let config: { tableName: string };
    ({ runtime, metrics, dynamodb, config } = await testRuntime({ runbooks: [cpu], clock }));
    killSwitch = new DynamoDbKillSwitch(dynamodb, config.tableName);
    sample = await sampleEvent('cloudwatch-alarm-state-change.single-metric.json');
  });
  beforeEach(() => resetMocks());

  const on = (instanceId: string) => {
    const event = structuredClone(sample);
    event.detail.configuration.metrics[0].metricStat.metric.dimensions.InstanceId = instanceId;
    return event;
  };

  it('counts an incident fixed by automation: opened, one attempt, fixed, and the time it took', async () => {
    const instance = 'i-0000000000000f001';
    const key = keyFor('cpu-high', instance);
    const opened = T0;
    clock.value = opened;
    await runtime.processor.process(key, cpu, alarmInput('ALARM', opened - 1000, onInstance(instance)));
    const commandId = (await loadIncident(runtime, key))?.attempts[0]?.commandId as string;
    clock.advance(40);
    await runtime.processor.process(key, cpu, {
      kind: 'command-finished',
      commandId,
      result: { status: 'Success', responseCode: 0 },
    });
    clock.advance(20);
    await runtime.processor.process(key, cpu, alarmInput('OK', clock.now(), onInstance(instance)));

    expect(metrics.total(METRIC.incidentsOpened)).toBe(1);
    expect(metrics.total(METRIC.attempts)).toBe(1);
    expect(metrics.total(METRIC.fixedAutomatically)).toBe(1);
    expect(metrics.total(METRIC.timeToRemediate)).toBe(60_000);
    expect(metrics.total(METRIC.escalated)).toBe(0);
  });

  it('counts a refusal per gate and the escalation, and flushes at the end of the invocation', async () => {
    await killSwitch.pause(undefined, { reason: 'failover', since: clock.now() });
    const before = metrics.published.length;

    await createAlarmHandler(runtime)(on('i-0000000000000f002'), lambdaContext);
    await killSwitch.resume(undefined);

    expect(mocks.ssm).not.toHaveReceivedCommand(SendCommandCommand);
    const flushed = metrics.published.slice(before);
    expect(flushed).toEqual(
      expect.arrayContaining([
        { name: METRIC.incidentsOpened, unit: 'Count', value: 1 },
        { name: METRIC.escalated, unit: 'Count', value: 1 },
        { name: METRIC.refused, unit: 'Count', value: 1 },
        { name: METRIC.refused, unit: 'Count', value: 1, dimensions: { Gate: 'kill-switch' } },
      ]),
    );
  });
});

describe('metrics and logs as CloudWatch reads them', () => {
  let out: ReturnType<typeof captureStdout>;
  beforeEach(() => {
    out = captureStdout();
  });
  afterEach(() => out.restore());

  it('writes EMF in namespace EC2AutoRemediation with the service dimension, and a per-gate metric of its own', () => {
    const sink = new PowertoolsMetrics(
      new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'ec2-auto-remediation' }),
    );

    sink.record({ name: METRIC.escalated, unit: 'Count', value: 1 });
    sink.record({ name: METRIC.timeToRemediate, unit: 'Milliseconds', value: 61_000 });
    sink.record({ name: METRIC.refused, unit: 'Count', value: 1, dimensions: { Gate: 'budget' } });
    sink.flush();
    sink.flush();

    const blobs = out.lines().filter((l) => l._aws);
    expect(blobs).toHaveLength(2);
    const gate = blobs.find((b) => b.Gate === 'budget');
    expect(gate?._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'EC2AutoRemediation',
      Dimensions: [expect.arrayContaining(['service', 'Gate'])],
      Metrics: [{ Name: 'Refused', Unit: 'Count' }],
    });
    const invocation = blobs.find((b) => b.Escalated !== undefined);
    expect(invocation).toMatchObject({
      service: 'ec2-auto-remediation',
      Escalated: 1,
      TimeToRemediate: 61_000,
    });
    expect(invocation?._aws.CloudWatchMetrics[0].Metrics).toEqual(
      expect.arrayContaining([
        { Name: 'Escalated', Unit: 'Count' },
        { Name: 'TimeToRemediate', Unit: 'Milliseconds' },
      ]),
    );
  });

  it('logs in JSON with the incident id as the correlation id', async () => {
    const logger = new Logger({ serviceName: 'ec2-auto-remediation', logLevel: 'INFO' });
    const clock = new TestClock(T0);
    const { runtime } = await testRuntime({ runbooks: [cpu], clock, logger });
    resetMocks();
    const sample = await sampleEvent('cloudwatch-alarm-state-change.single-metric.json');

    const result = await createAlarmHandler(runtime)(sample, lambdaContext);

    const updated = out.lines().find((l) => l.message === 'incident updated');
    expect(updated).toMatchObject({
      level: 'INFO',
      service: 'ec2-auto-remediation',
      correlation_id: result.incidentId,
      function_name: expect.any(String),
      to: 'remediating',
    });
    expect(out.lines().find((l) => l.message === 'command sent')?.correlation_id).toBe(result.incidentId);
  });
});
