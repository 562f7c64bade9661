import { Logger } from '@aws-lambda-powertools/logger';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { PublishCommand } from '@aws-sdk/client-sns';
import { SendCommandCommand } from '@aws-sdk/client-ssm';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { METRIC } from '../../functions/core/metrics.ts';
import { defineRunbook } from '../../functions/core/runbook.ts';
import { createAlarmHandler } from '../../functions/handlers/alarm-handler.ts';
import type { Runtime } from '../../functions/handlers/runtime.ts';
import type { RecordedMetrics } from '../../local/local-ports.ts';
import {
  describeInstances,
  lambdaContext,
  mocks,
  resetMocks,
  sampleEvent,
  TestClock,
  testRuntime,
} from '../support/aws-runtime.ts';
import { keyFor, testRunbook } from '../support/fixtures.ts';

/**
 * Alarms on instances without the opt-in tag, through the real alarm handler and resync on DynamoDB
 * Local (EC2, SSM, SNS and CloudWatch mocked at the SDK boundary): not this deployment's instances.
 */

/** Answers the published sample (AWS/EC2 CPUUtilization); its breaker opens at a second instance. */
const cpu = defineRunbook({
  ...testRunbook,
  name: 'cpu-high',
  match: { metrics: [{ namespace: 'AWS/EC2', metricName: 'CPUUtilization' }] },
  breaker: { maxInstances: 1, windowSeconds: 600, quietSeconds: 1800 },
});
const SAMPLE_ARN = 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh';
const SAMPLE_STATE_AT = Date.parse('2019-10-02T17:04:40.989Z');
const LEFT_ALONE = (instanceId: string) =>
  `instance ${instanceId} does not carry the opt-in tag AutoRemediation=enabled: not managed by this deployment, so no incident is opened and nobody is paged`;

/** EC2 reports the opt-in tag only on the instances listed. */
function optedIn(...instanceIds: string[]): void {
  describeInstances((id) => ({
    Tags: instanceIds.includes(id) ? [{ Key: 'AutoRemediation', Value: 'enabled' }] : [],
  }));
}

describe('alarms on instances without the opt-in tag', () => {
  const clock = new TestClock(SAMPLE_STATE_AT + 2000);
  let sample: any;
  beforeAll(async () => {
    sample = await sampleEvent('cloudwatch-alarm-state-change.single-metric.json');
  });
  beforeEach(() => {
    resetMocks();
    clock.value = SAMPLE_STATE_AT + 2000;
  });

  const on = (instanceId: string) => {
    const event = structuredClone(sample);
    event.detail.configuration.metrics[0].metricStat.metric.dimensions.InstanceId = instanceId;
    return event;
  };

  describe('by default', () => {
    let runtime: Runtime;
    let metrics: RecordedMetrics;
    let logger: Logger;
    let handler: ReturnType<typeof createAlarmHandler>;
    beforeAll(async () => {
      logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
      ({ runtime, metrics } = await testRuntime({ runbooks: [cpu], clock, logger }));
      handler = createAlarmHandler(runtime);
    });

    it('are logged with the reason and counted, open no incident, page nobody and never open the breaker', async () => {
      // Prepare
      optedIn('i-0000000000000f004');
      const logged = vi.spyOn(logger, 'info');
      const untagged = ['i-0000000000000f001', 'i-0000000000000f002', 'i-0000000000000f003'];

      // Act: three instances not opted in alarm (the breaker opens at two), then one opted in.
      const results = [];
      for (const id of untagged) results.push(await handler(on(id), lambdaContext));
      const managed = await handler(on('i-0000000000000f004'), lambdaContext);

      // Assess
      expect(results).toEqual(untagged.map((id) => ({ outcome: 'ignored', reason: LEFT_ALONE(id) })));
      expect(logged).toHaveBeenCalledWith('alarm on an instance without the opt-in tag; left alone', {
        input: 'alarm',
        alarmName: 'ServerCpuTooHigh',
        reason: LEFT_ALONE('i-0000000000000f001'),
      });
      expect(metrics.total(METRIC.unmanagedAlarms)).toBe(3);
      for (const id of untagged)
        expect(await runtime.store.load(keyFor('cpu-high', id, SAMPLE_ARN))).toBeUndefined();
      // The opted-in instance is the breaker's first: remediated, not suppressed; nobody paged at all.
      expect(managed).toMatchObject({ outcome: 'processed' });
      expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, 1);
      expect(mocks.ssm).toHaveReceivedCommandWith(SendCommandCommand, {
        InstanceIds: ['i-0000000000000f004'],
      });
      expect(mocks.sns).not.toHaveReceivedCommand(PublishCommand);
      logged.mockRestore();
    });

    it('are left alone by the resync too, which writes nothing and reports them as unmanaged', async () => {
      // Prepare: CloudWatch lists the alarm in ALARM on an instance that is not opted in.
      optedIn();
      mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({
        MetricAlarms: [
          {
            AlarmName: 'ServerCpuTooHigh',
            AlarmArn: SAMPLE_ARN,
            StateValue: 'ALARM',
            StateTransitionedTimestamp: new Date(SAMPLE_STATE_AT),
            Namespace: 'AWS/EC2',
            MetricName: 'CPUUtilization',
            Dimensions: [{ Name: 'InstanceId', Value: 'i-0000000000000f005' }],
          },
        ],
      });
      const before = metrics.total(METRIC.unmanagedAlarms);

      // Act
      const report = await runtime.resync.run('schedule');

      // Assess
      expect(report.answered).toEqual([
        {
          alarmName: 'ServerCpuTooHigh',
          runbook: 'cpu-high',
          instanceId: 'i-0000000000000f005',
          action: 'unmanaged',
        },
      ]);
      expect(await runtime.store.load(keyFor('cpu-high', 'i-0000000000000f005', SAMPLE_ARN))).toBeUndefined();
      expect(mocks.ssm).not.toHaveReceivedCommand(SendCommandCommand);
      expect(mocks.sns).not.toHaveReceivedCommand(PublishCommand);
      // Counted once per state change event, not at every look of the resync.
      expect(metrics.total(METRIC.unmanagedAlarms)).toBe(before);
    });
  });

  describe('when the stack pages for them (pageUnmanagedInstances)', () => {
    it('page once as "instance not opted in" and run nothing, where the default pages nobody; a duplicate delivery pages no more', async () => {
      // Prepare: two deployments, the default one and one that pages for instances not opted in.
      const { runtime: quiet } = await testRuntime({ runbooks: [cpu], clock });
      const { runtime } = await testRuntime({ runbooks: [cpu], clock, pageUnmanagedInstances: true });
      const handler = createAlarmHandler(runtime);
      optedIn();

      // Act
      const ignored = await createAlarmHandler(quiet)(on('i-0000000000000f006'), lambdaContext);
      const first = await handler(on('i-0000000000000f006'), lambdaContext);
      const duplicate = await handler(on('i-0000000000000f006'), lambdaContext);

      // Assess
      expect(ignored).toMatchObject({ outcome: 'ignored' });
      expect(first).toMatchObject({ outcome: 'processed' });
      expect(duplicate).toMatchObject({ outcome: 'absorbed' });
      expect(mocks.ssm).not.toHaveReceivedCommand(SendCommandCommand);
      expect(mocks.sns).toHaveReceivedCommandTimes(PublishCommand, 1);
      expect(mocks.sns.commandCalls(PublishCommand)[0]?.args[0].input.Subject).toMatch(
        /instance not opted in, nothing run$/,
      );
    });
  });
});
