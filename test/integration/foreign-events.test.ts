import { PublishCommand } from '@aws-sdk/client-sns';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommandInvocationCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { METRIC } from '../../functions/core/metrics.ts';
import { defineRunbook } from '../../functions/core/runbook.ts';
import { createAlarmHandler } from '../../functions/handlers/alarm-handler.ts';
import { createCommandStatusHandler } from '../../functions/handlers/command-status-handler.ts';
import { configFromEnv, ENV } from '../../functions/handlers/config.ts';
import { createResyncHandler } from '../../functions/handlers/resync-handler.ts';
import type { Runtime } from '../../functions/handlers/runtime.ts';
import type { RecordedMetrics } from '../../local/local-ports.ts';
import {
  lambdaContext,
  mocks,
  resetMocks,
  sampleEvent,
  TestClock,
  testRuntime,
} from '../support/aws-runtime.ts';
import { testRunbook } from '../support/fixtures.ts';

// An organization's central bus may carry member accounts' events: only this deployment's account and
// Region choose what runs here. The rules filter them (test/cdk/event-patterns.test.ts); the functions
// check again, for a rule edited by hand or a bus shared on purpose.

const cpuHigh = defineRunbook({
  ...testRunbook,
  name: 'cpu-high',
  match: { metrics: [{ namespace: 'AWS/EC2', metricName: 'CPUUtilization' }] },
});
const ORIGIN = { accounts: ['123456789012'], regions: ['us-east-1'] };

describe('events from another account or Region', () => {
  const clock = new TestClock(Date.parse('2019-10-02T17:04:42.000Z'));
  let runtime: Runtime;
  let metrics: RecordedMetrics;
  let alarm: Record<string, unknown>;

  beforeAll(async () => {
    const built = await testRuntime({
      runbooks: [cpuHigh],
      clock,
      documents: { 'cpu-high': 'Doc-cpu-high' },
    });
    metrics = built.metrics;
    runtime = { ...built.runtime, origin: ORIGIN };
    alarm = await sampleEvent('cloudwatch-alarm-state-change.single-metric.json');
  });
  beforeEach(() => {
    resetMocks();
  });

  const foreignCount = () =>
    metrics.published
      .filter((point) => point.name === METRIC.foreignEvents)
      .reduce((sum, p) => sum + p.value, 0);

  it.each([
    [
      'another account',
      { account: '210987654321' },
      /account "210987654321", not one this deployment acts for/,
    ],
    ['another Region', { region: 'eu-west-1' }, /Region "eu-west-1", not one this deployment acts in/],
  ])(
    'an alarm from %s is logged, counted and ignored: no command, no page, no incident',
    async (_, patch, reason) => {
      // Prepare
      const before = foreignCount();
      // Act
      const result = await createAlarmHandler(runtime)({ ...alarm, ...patch }, lambdaContext);
      // Assess
      expect(result).toEqual({ outcome: 'rejected', reason: expect.stringMatching(reason) });
      expect(foreignCount()).toBe(before + 1);
      expect(mocks.ssm).not.toHaveReceivedCommand(SendCommandCommand);
      expect(mocks.sns).not.toHaveReceivedCommand(PublishCommand);
      expect(mocks.sqs).not.toHaveReceivedCommand(SendMessageCommand);
    },
  );

  it('the same alarm from this account and Region is acted on', async () => {
    const result = await createAlarmHandler(runtime)(alarm, lambdaContext);
    expect(result).toMatchObject({ outcome: 'processed' });
    expect(mocks.ssm).toHaveReceivedCommandWith(SendCommandCommand, { DocumentName: 'Doc-cpu-high' });
  });

  it('a command status from another account is ignored before SSM is asked', async () => {
    const invocation = await sampleEvent('ssm-command-invocation-status-change.json');
    const event = {
      ...invocation,
      account: '210987654321',
      detail: { ...(invocation.detail as object), 'document-name': 'Doc-cpu-high' },
    };
    const result = await createCommandStatusHandler(runtime)(event, lambdaContext);
    expect(result).toEqual({ outcome: 'rejected', reason: expect.stringMatching(/account "210987654321"/) });
    expect(mocks.ssm).not.toHaveReceivedCommand(GetCommandInvocationCommand);
  });

  it('a resync request from another account is ignored', async () => {
    const request = {
      version: '0',
      id: 'f6a8b0a4-5c3e-4d0b-9f1e-2b7c8d9e0f11',
      source: 'ec2.auto-remediation.operator',
      'detail-type': 'Remediation Resync Requested',
      account: '210987654321',
      region: 'us-east-1',
      time: '2019-10-02T17:05:00Z',
      resources: [],
      detail: { cause: 'resumed' },
    };
    const result = await createResyncHandler(runtime)(request, lambdaContext);
    expect(result).toEqual({ outcome: 'rejected', reason: expect.stringMatching(/account "210987654321"/) });
    expect(mocks.cloudwatch.calls()).toHaveLength(0);
  });

  it('a deployed function always knows its accounts and Regions: the stack sets them, and they are required', () => {
    const env = {
      [ENV.tableName]: 't',
      [ENV.timerQueueUrl]: 'q',
      [ENV.pagerTopicArn]: 'p',
      [ENV.eventBusName]: 'default',
      [ENV.runbookDocuments]: '{}',
      [ENV.optInTagKey]: 'AutoRemediation',
      [ENV.optInTagValue]: 'enabled',
    };
    expect(() => configFromEnv(env)).toThrow(/EVENT_ACCOUNTS is not set/);
    expect(
      configFromEnv({
        ...env,
        [ENV.eventAccounts]: '123456789012, 210987654321',
        [ENV.eventRegions]: 'us-east-1',
      }).origin,
    ).toEqual({ accounts: ['123456789012', '210987654321'], regions: ['us-east-1'] });
  });
});
