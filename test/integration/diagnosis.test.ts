import { GetCommandInvocationCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defineRunbook } from '../../functions/core/runbook.ts';
import { createAlarmHandler } from '../../functions/handlers/alarm-handler.ts';
import { createCommandStatusHandler } from '../../functions/handlers/command-status-handler.ts';
import type { Runtime } from '../../functions/handlers/runtime.ts';
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

const diagnosed = defineRunbook({ ...testRunbook, diagnose: 'diagnose.sh' });
const INSTANCE = 'i-9bb89e2b';
const ALARM_ARN = 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:disk-full-web-9';

describe('diagnostics first, through the handlers, on DynamoDB Local', () => {
  const clock = new TestClock(Date.parse('2026-11-21T03:00:00Z'));
  let runtime: Runtime;
  let alarm: any;
  let invocation: any;

  beforeAll(async () => {
    ({ runtime } = await testRuntime({ runbooks: [diagnosed], clock }));
    alarm = await sampleEvent('cloudwatch-alarm-state-change.single-metric.json');
    invocation = await sampleEvent('ssm-command-invocation-status-change.json');
  });
  beforeEach(() => resetMocks());

  it('sends the diagnose action first, and the remedy when its status event arrives, with the output kept', async () => {
    const event = structuredClone(alarm);
    event.detail.alarmName = 'disk-full-web-9';
    event.resources = [ALARM_ARN];
    event.detail.configuration.metrics[0].metricStat.metric.dimensions.InstanceId = INSTANCE;
    mocks.ssm
      .on(SendCommandCommand)
      .resolvesOnce({ Command: { CommandId: '0b7c2f63-1a2b-4c3d-8e9f-000000000001' } })
      .resolves({ Command: { CommandId: '0b7c2f63-1a2b-4c3d-8e9f-000000000002' } });

    await createAlarmHandler(runtime)(event, lambdaContext);

    expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, 1);
    const first = mocks.ssm.commandCalls(SendCommandCommand)[0]?.args[0].input;
    expect(first?.Parameters?.action).toEqual(['diagnose']);
    expect(first?.Comment).toMatch(/ attempt 1 diagnose$/);

    const status = structuredClone(invocation);
    status.detail['command-id'] = '0b7c2f63-1a2b-4c3d-8e9f-000000000001';
    status.detail['instance-id'] = INSTANCE;
    status.detail['document-name'] = 'Remediation-Test-disk-full';
    mocks.ssm.on(GetCommandInvocationCommand).resolves({
      CommandId: '0b7c2f63-1a2b-4c3d-8e9f-000000000001',
      InstanceId: INSTANCE,
      Status: 'Success',
      StatusDetails: 'Success',
      ResponseCode: 0,
      Comment: first?.Comment,
      StandardOutputContent: 'largest directories: /var/log/app 6.1G\n',
    });

    const result = await createCommandStatusHandler(runtime)(status, lambdaContext);

    expect(result.outcome).toBe('processed');
    expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, 2);
    const second = mocks.ssm.commandCalls(SendCommandCommand)[1]?.args[0].input;
    expect(second?.Parameters?.action).toEqual(['remediate']);
    expect(second?.Comment).toMatch(/ attempt 1$/);
    const stored = await loadIncident(runtime, keyFor('disk-full', INSTANCE, ALARM_ARN));
    // Both Comments name the incident, and so its key: the status event finds it through them.
    expect(first?.Comment).toBe(`${stored?.id} attempt 1 diagnose`);
    expect(second?.Comment).toBe(`${stored?.id} attempt 1`);
    expect(stored?.attempts[0]).toMatchObject({
      status: 'running',
      commandId: '0b7c2f63-1a2b-4c3d-8e9f-000000000002',
      diagnosis: {
        status: 'finished',
        commandId: '0b7c2f63-1a2b-4c3d-8e9f-000000000001',
        result: { stdout: 'largest directories: /var/log/app 6.1G\n' },
      },
    });
  });
});
