import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand } from '@aws-sdk/client-sns';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { SendCommandCommand } from '@aws-sdk/client-ssm';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { REMEDIATION_EVENT_SOURCE } from '../../functions/core/effects.ts';
import { fnv1a64 } from '../../functions/core/identity.ts';
import { defineRunbook } from '../../functions/core/runbook.ts';
import { createAlarmHandler } from '../../functions/handlers/alarm-handler.ts';
import type { Runtime } from '../../functions/handlers/runtime.ts';
import { parseAwsTimestamp } from '../../functions/handlers/schemas.ts';
import {
  lambdaContext,
  loadIncident,
  mocks,
  resetMocks,
  sampleEvent,
  TestClock,
  testRuntime,
} from '../support/aws-runtime.ts';
import { keyFor, testRunbook } from '../support/fixtures.ts';

/** Answers the published sample alarm (AWS/EC2 CPUUtilization on i-12345678901234567) as it is. */
const cpuHigh = defineRunbook({
  ...testRunbook,
  name: 'cpu-high',
  match: { metrics: [{ namespace: 'AWS/EC2', metricName: 'CPUUtilization' }] },
  maxAttempts: 2,
});

/** Answers the published composite and Metrics Insights samples, which name no instance. */
const aggregate = defineRunbook({
  ...cpuHigh,
  name: 'service-aggregate',
  match: { alarmNames: ['ServiceAggregatedAlarm', 'DynamoDBInsightsAlarm'] },
});

const SAMPLE_STATE_AT = Date.parse('2019-10-02T17:04:40.989Z');
/** The published sample's alarm; its incidents are keyed by the ARN's hash, `cb6339db17806359`. */
const SAMPLE_ARN = 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh';
/** The key of the sample alarm's incident on an instance. */
const sampleKey = (instanceId: string) => keyFor('cpu-high', instanceId, SAMPLE_ARN);

describe('alarm handler, fed AWS sample events, on DynamoDB Local', () => {
  const clock = new TestClock(SAMPLE_STATE_AT + 2000);
  let runtime: Runtime;
  let handler: ReturnType<typeof createAlarmHandler>;
  let sample: Record<string, unknown>;

  beforeAll(async () => {
    ({ runtime } = await testRuntime({ runbooks: [cpuHigh, aggregate], clock }));
    handler = createAlarmHandler(runtime);
    sample = await sampleEvent('cloudwatch-alarm-state-change.single-metric.json');
  });
  beforeEach(() => {
    resetMocks();
    clock.value = SAMPLE_STATE_AT + 2000;
  });

  /** The sample as published, on another instance so that each test has its own incident. */
  function sampleOn(instanceId: string, patch: (event: any) => void = () => undefined): unknown {
    const event = structuredClone(sample) as any;
    event.detail.configuration.metrics[0].metricStat.metric.dimensions.InstanceId = instanceId;
    patch(event);
    return event;
  }

  it('runs the runbook document on the instance the published sample names', async () => {
    const result = await handler(sample, lambdaContext);

    expect(result).toMatchObject({
      outcome: 'processed',
      incidentId: 'cb6339db17806359.i-12345678901234567.20191002T170440989Z',
    });
    expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, 1);
    // Exactly these parameters: nothing from the alarm travels unless the runbook declares it.
    expect(mocks.ssm.commandCalls(SendCommandCommand)[0]?.args[0].input.Parameters).toEqual({
      action: ['remediate'],
      executionTimeout: ['120'],
    });
    expect(mocks.ssm).toHaveReceivedCommandWith(SendCommandCommand, {
      DocumentName: 'Remediation-Test-cpu-high',
      InstanceIds: ['i-12345678901234567'],
      Comment: 'cb6339db17806359.i-12345678901234567.20191002T170440989Z attempt 1',
      TimeoutSeconds: 60,
      Parameters: { action: ['remediate'], executionTimeout: ['120'] },
    });
    const stored = await loadIncident(runtime, sampleKey('i-12345678901234567'));
    expect(stored?.attempts[0]).toMatchObject({
      status: 'running',
      commandId: expect.stringMatching(/^0{8}-/),
    });
    expect(stored?.alarm).toMatchObject({
      name: 'ServerCpuTooHigh',
      arn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh',
    });
  });

  it('schedules the reconcile timer on SQS and announces the transitions on EventBridge', async () => {
    await handler(sampleOn('i-00000000000000a01'), lambdaContext);

    const timers = mocks.sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
    // One timer: the dispatch check, which also stands for the command's own check once SSM accepted it.
    expect(timers.map((t) => JSON.parse(t.MessageBody as string).kind)).toEqual(['reconcile']);
    expect(timers.map((t) => t.DelaySeconds)).toEqual([120]);
    const entries = mocks.eventbridge
      .commandCalls(PutEventsCommand)
      .flatMap((call) => call.args[0].input.Entries ?? []);
    // The default event level publishes the incident's lifecycle; the attempt's start is in its record.
    expect(entries.map((e) => e.DetailType)).toEqual(['Remediation Incident Opened']);
    expect(entries.every((e) => e.Source === REMEDIATION_EVENT_SOURCE)).toBe(true);
  });

  it('sends one command for 50 copies of the same ALARM handled in parallel', async () => {
    const event = sampleOn('i-00000000000000a02');

    const results = await Promise.all(
      Array.from({ length: 50 }, () => handler(structuredClone(event), lambdaContext)),
    );

    expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, 1);
    expect(results.filter((r) => r.outcome === 'processed')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'absorbed')).toHaveLength(49);
    const stored = await loadIncident(runtime, sampleKey('i-00000000000000a02'));
    expect(stored?.attempts).toHaveLength(1);
    expect(stored?.version).toBe(2);
  });

  it('ignores, with a reason, an alarm that no runbook answers', async () => {
    const event = sampleOn('i-00000000000000a03', (e) => {
      e.detail.configuration.metrics[0].metricStat.metric.name = 'NetworkIn';
    });

    const result = await handler(event, lambdaContext);

    expect(result).toEqual({ outcome: 'ignored', reason: 'no runbook answers this alarm' });
    expect(mocks.ssm).not.toHaveReceivedAnyCommand();
  });

  it('pages at once, and runs nothing, when the alarm reads several instances', async () => {
    const event = sampleOn('i-00000000000000a04', (e) => {
      const metric = e.detail.configuration.metrics[0];
      e.detail.configuration.metrics.push({
        ...structuredClone(metric),
        id: 'm2',
        metricStat: {
          ...structuredClone(metric.metricStat),
          metric: { ...metric.metricStat.metric, dimensions: { InstanceId: 'i-00000000000000a05' } },
        },
      });
    });

    const result = await handler(event, lambdaContext);

    expect(result.outcome).toBe('processed');
    expect(mocks.ssm).not.toHaveReceivedAnyCommand();
    expect(mocks.sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    const page = mocks.sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(page?.Subject).toMatch(/^ALARM: ServerCpuTooHigh on no single instance/);
    expect(page?.Message).toContain('reads metrics of 2 instances');
  });

  it('records a refused command and backs off instead of failing the invocation', async () => {
    mocks.ssm
      .on(SendCommandCommand)
      .rejects(Object.assign(new Error('Instances not in a valid state'), { name: 'InvalidInstanceId' }));

    const result = await handler(sampleOn('i-00000000000000a06'), lambdaContext);

    expect(result.outcome).toBe('processed');
    const stored = await loadIncident(runtime, sampleKey('i-00000000000000a06'));
    expect(stored?.status).toBe('backing-off');
    expect(stored?.attempts[0]?.failure).toContain('InvalidInstanceId');
    expect(stored?.timer?.kind).toBe('retry');
  });

  it('resolves when the same alarm returns to OK after a successful command', async () => {
    const instance = 'i-00000000000000a07';
    await handler(sampleOn(instance), lambdaContext);
    const key = sampleKey(instance);
    const running = await loadIncident(runtime, key);
    await runtime.processor.process(key, cpuHigh, {
      kind: 'command-finished',
      commandId: running?.attempts[0]?.commandId as string,
      result: { status: 'Success', responseCode: 0 },
    });

    const ok = sampleOn(instance, (e) => {
      e.detail.previousState = e.detail.state;
      e.detail.state = { ...e.detail.state, value: 'OK', timestamp: '2019-10-02T17:20:40.989+0000' };
    });
    // Delivered when it happened (a state stamped more than 5 minutes ahead of the clock is rejected).
    clock.value = Date.parse('2019-10-02T17:20:42.989Z');
    const result = await handler(ok, lambdaContext);

    expect(result.outcome).toBe('processed');
    expect((await loadIncident(runtime, key))?.status).toBe('resolved');
  });

  it('stands down for a muted alarm, as CloudWatch actions do', async () => {
    const muted = await sampleEvent('cloudwatch-alarm-state-change.single-metric-muted.json');

    const result = await handler(muted, lambdaContext);

    expect(result).toEqual({
      outcome: 'ignored',
      reason: 'the alarm is muted by arn:aws:cloudwatch:us-east-1:1234567890:alarm-mute-rule:testMute',
    });
    expect(mocks.ssm).not.toHaveReceivedAnyCommand();
    expect(mocks.sns).not.toHaveReceivedAnyCommand();
  });

  it("pages nobody for a fleet alarm's own count-only change (the published initial sample): its series have their own events", async () => {
    // AWS's "initial" sample is a Metrics Insights alarm grouped by TableName: "6 out of 6 time series".
    const event = (await sampleEvent('cloudwatch-alarm-state-change.initial.json')) as any;
    clock.value = parseAwsTimestamp(event.detail.state.timestamp) + 2000;

    const result = await handler(event, lambdaContext);

    expect(result).toMatchObject({
      outcome: 'ignored',
      reason: expect.stringContaining('6 out of 6 time series'),
    });
    expect(mocks.ssm).not.toHaveReceivedAnyCommand();
    expect(mocks.sns).not.toHaveReceivedAnyCommand();
  });

  it.each([['composite-suppressor', 'composite alarm']])(
    'pages at once for the published %s sample, which names no instance',
    async (shape, reason) => {
      const event = (await sampleEvent(`cloudwatch-alarm-state-change.${shape}.json`)) as any;
      // Delivered as it happened: a state stamped years after this clock would be rejected as future.
      clock.value = parseAwsTimestamp(event.detail.state.timestamp) + 2000;

      const result = await handler(event, lambdaContext);

      // The incident is the alarm's own, on no target.
      expect(result).toMatchObject({
        outcome: 'processed',
        incidentId: expect.stringMatching(new RegExp(`^${fnv1a64(event.resources[0])}\\.none\\.`)),
      });
      expect(mocks.ssm).not.toHaveReceivedAnyCommand();
      expect(mocks.sns).toHaveReceivedCommandTimes(PublishCommand, 1);
      expect(mocks.sns.commandCalls(PublishCommand)[0]?.args[0].input.Message).toContain(reason);
    },
  );

  describe('malformed and hostile input', () => {
    const malformed: Array<[string, unknown]> = [
      ['null', null],
      ['a string', 'CloudWatch Alarm State Change'],
      ['an empty object', {}],
      [
        'an event with no detail',
        {
          ...structuredClone({ id: '1', source: 'aws.cloudwatch' }),
          'detail-type': 'CloudWatch Alarm State Change',
        },
      ],
      [
        'an event from another source',
        { source: 'aws.ec2', 'detail-type': 'CloudWatch Alarm State Change', detail: {} },
      ],
    ];

    it.each(malformed)('rejects %s with a logged reason and runs nothing', async (_name, event) => {
      const logged = vi.spyOn(runtime.logger, 'error');

      const result = await handler(event, lambdaContext);

      expect(result).toMatchObject({ outcome: 'rejected', reason: expect.any(String) });
      expect(logged).toHaveBeenCalledWith(
        'event rejected: it does not have the shape AWS documents',
        expect.objectContaining({ reason: (result as { reason: string }).reason }),
      );
      expect(mocks.ssm).not.toHaveReceivedAnyCommand();
      logged.mockRestore();
    });

    it('rejects an unreadable state timestamp instead of guessing the order of events', async () => {
      const event = sampleOn('i-00000000000000a08', (e) => {
        e.detail.state.timestamp = 'yesterday';
      });
      const result = await handler(event, lambdaContext);
      expect(result).toMatchObject({
        outcome: 'rejected',
        reason: expect.stringContaining('detail.state.timestamp'),
      });
    });

    it('never acts on an InstanceId dimension that is not an instance id, and pages instead', async () => {
      const event = sampleOn('i-123; rm -rf / #$(reboot)`id`', (e) => {
        e.detail.alarmName = 'x"; $(curl evil) `id`\n';
        e.resources = ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:x"; $(curl evil) `id`'];
      });

      const result = await handler(event, lambdaContext);

      expect(result.outcome).toBe('processed');
      expect(mocks.ssm).not.toHaveReceivedAnyCommand();
      const page = mocks.sns.commandCalls(PublishCommand)[0]?.args[0].input;
      expect(page?.Subject).not.toMatch(/[\n\r]/);
      expect(page?.Message).toContain('is not an EC2 instance id');
    });
  });
});
