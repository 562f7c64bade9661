import { GetCommandInvocationCommand, InvocationDoesNotExist, SendCommandCommand } from '@aws-sdk/client-ssm';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
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

const diskFull = testRunbook;

/** The command id and instance of AWS's published invocation sample. */
const SAMPLE_COMMAND = 'e8d3c0e4-71f7-4491-898f-c9b35bee5f3b';
const SAMPLE_INSTANCE = 'i-9bb89e2b';

describe('command-status handler, fed AWS sample events, on DynamoDB Local', () => {
  const clock = new TestClock(Date.parse('2026-11-21T03:00:00Z'));
  let runtime: Runtime;
  let onAlarm: ReturnType<typeof createAlarmHandler>;
  let onStatus: ReturnType<typeof createCommandStatusHandler>;
  let invocation: any;
  let alarm: any;

  beforeAll(async () => {
    ({ runtime } = await testRuntime({ runbooks: [diskFull], clock }));
    onAlarm = createAlarmHandler(runtime);
    onStatus = createCommandStatusHandler(runtime);
    invocation = await sampleEvent('ssm-command-invocation-status-change.json');
    alarm = await sampleEvent('cloudwatch-alarm-state-change.single-metric.json');
  });
  beforeEach(() => resetMocks());

  /** The event as SSM sends it for a command of the runbook's own document. */
  function ownDocument(event: any): any {
    const own = structuredClone(event);
    own.detail['document-name'] = 'Remediation-Test-disk-full';
    return own;
  }

  /** The ARN of the alarm {@link openIncident} raises on an instance. */
  const alarmArn = (instanceId: string) =>
    `arn:aws:cloudwatch:us-east-1:123456789012:alarm:disk-full-${instanceId}`;

  /**
   * Opens an incident on an instance; SSM answers SendCommand with `commandId`. Returns the Comment
   * the command was sent with, which GetCommandInvocation reports back (it names the incident).
   */
  async function openIncident(instanceId: string, commandId: string): Promise<string> {
    mocks.ssm.on(SendCommandCommand).resolves({ Command: { CommandId: commandId } });
    const event = structuredClone(alarm);
    event.detail.alarmName = `disk-full-${instanceId}`;
    event.resources = [alarmArn(instanceId)];
    event.detail.configuration.metrics[0].metricStat.metric.dimensions.InstanceId = instanceId;
    await onAlarm(event, lambdaContext);
    return mocks.ssm.commandCalls(SendCommandCommand).at(-1)?.args[0].input.Comment as string;
  }

  it('ignores the published sample as it is: its document (AWS-RunPowerShellScript) is no runbook of this deployment', async () => {
    const result = await onStatus(invocation, lambdaContext);

    expect(result).toEqual({
      outcome: 'ignored',
      reason: 'the command belongs to no runbook of this deployment',
    });
    expect(mocks.ssm).not.toHaveReceivedCommand(GetCommandInvocationCommand);
  });

  it('finds the incident of the published sample, run from the runbook document, and records the result', async () => {
    const comment = await openIncident(SAMPLE_INSTANCE, SAMPLE_COMMAND);
    mocks.ssm.on(GetCommandInvocationCommand).resolves({
      CommandId: SAMPLE_COMMAND,
      InstanceId: SAMPLE_INSTANCE,
      Comment: comment,
      Status: 'Success',
      StatusDetails: 'Success',
      ResponseCode: 0,
      StandardOutputContent: 'disk-full: freed 1024 KiB; / is 71% used after cleanup\n',
    });

    const result = await onStatus(ownDocument(invocation), lambdaContext);

    expect(result.outcome).toBe('processed');
    expect(mocks.ssm).toHaveReceivedCommandWith(GetCommandInvocationCommand, {
      CommandId: SAMPLE_COMMAND,
      InstanceId: SAMPLE_INSTANCE,
    });
    const stored = await loadIncident(
      runtime,
      keyFor('disk-full', SAMPLE_INSTANCE, alarmArn(SAMPLE_INSTANCE)),
    );
    expect(comment).toBe(`${stored?.id} attempt 1`);
    expect(result).toMatchObject({ incidentId: stored?.id });
    expect(stored?.status).toBe('verifying');
    expect(stored?.attempts[0]?.result).toMatchObject({
      status: 'Success',
      responseCode: 0,
      stdout: expect.stringContaining('71% used'),
    });
  });

  it('changes nothing on a second delivery of the same status event', async () => {
    const key = keyFor('disk-full', SAMPLE_INSTANCE, alarmArn(SAMPLE_INSTANCE));
    const before = await loadIncident(runtime, key);
    mocks.ssm
      .on(GetCommandInvocationCommand)
      .resolves({ Comment: `${before?.id} attempt 1`, Status: 'Success', ResponseCode: 0 });

    const result = await onStatus(ownDocument(invocation), lambdaContext);

    // The result is recorded and the incident verifies: a command's news no longer applies to it.
    expect(before?.status).toBe('verifying');
    expect(result).toMatchObject({
      outcome: 'absorbed',
      reason: 'command-finished does not apply to a verifying incident',
      incidentId: before?.id,
    });
    expect(await loadIncident(runtime, key)).toEqual(before);
  });

  it("finds the incident from the command's Comment, waiting while the invocation is not visible yet", async () => {
    const instance = 'i-0000000000000b001';
    const command = '11111111-2222-4333-8444-555555555555';
    const comment = await openIncident(instance, command);
    mocks.ssm
      .on(GetCommandInvocationCommand)
      .rejectsOnce(new InvocationDoesNotExist({ message: 'no invocation', $metadata: {} }))
      .resolves({
        Comment: comment,
        Status: 'Failed',
        StatusDetails: 'Failed',
        ResponseCode: 2,
        StandardErrorContent: 'find: permission denied',
      });
    const event = structuredClone(invocation);
    event.detail['command-id'] = command;
    event.detail['instance-id'] = instance;
    event.detail['document-name'] = 'Remediation-Test-disk-full';
    event.detail.status = 'Failed';

    await onStatus(event, lambdaContext);

    expect(mocks.ssm).toHaveReceivedCommandTimes(GetCommandInvocationCommand, 2);
    const stored = await loadIncident(runtime, keyFor('disk-full', instance, alarmArn(instance)));
    expect(stored?.status).toBe('backing-off');
    expect(stored?.attempts[0]).toMatchObject({
      status: 'failed',
      result: { responseCode: 2, stderr: 'find: permission denied' },
    });
  });

  it('trusts the final status of the event when SSM still lags behind it', async () => {
    const instance = 'i-0000000000000b002';
    const command = '21111111-2222-4333-8444-555555555555';
    const comment = await openIncident(instance, command);
    mocks.ssm.on(GetCommandInvocationCommand).resolves({ Comment: comment, Status: 'InProgress' });
    const event = ownDocument(invocation);
    Object.assign(event.detail, { 'command-id': command, 'instance-id': instance, status: 'TimedOut' });

    await onStatus(event, lambdaContext);

    const stored = await loadIncident(runtime, keyFor('disk-full', instance, alarmArn(instance)));
    expect(stored?.attempts[0]).toMatchObject({ status: 'failed', result: { status: 'TimedOut' } });
  });

  it("leaves a command SSM does not know yet to the attempt's own check, and changes nothing", async () => {
    const instance = 'i-0000000000000b003';
    const command = '31111111-2222-4333-8444-555555555555';
    await openIncident(instance, command);
    const key = keyFor('disk-full', instance, alarmArn(instance));
    const before = await loadIncident(runtime, key);
    mocks.ssm
      .on(GetCommandInvocationCommand)
      .rejects(new InvocationDoesNotExist({ message: 'no invocation', $metadata: {} }));
    const event = ownDocument(invocation);
    Object.assign(event.detail, { 'command-id': command, 'instance-id': instance, status: 'Success' });

    const result = await onStatus(event, lambdaContext);

    expect(result).toEqual({
      outcome: 'ignored',
      reason: "SSM does not know the command yet; the attempt's check will ask it",
    });
    expect(before?.status).toBe('remediating');
    expect(before?.timer?.kind).toBe('reconcile');
    expect(await loadIncident(runtime, key)).toEqual(before);
  });

  it('ignores a command whose Comment names an incident on another instance', async () => {
    const instance = 'i-0000000000000b004';
    const command = '41111111-2222-4333-8444-555555555555';
    const comment = await openIncident(instance, command);
    const key = keyFor('disk-full', instance, alarmArn(instance));
    const before = await loadIncident(runtime, key);
    mocks.ssm
      .on(GetCommandInvocationCommand)
      .resolves({ Comment: comment, Status: 'Success', ResponseCode: 0 });
    const event = ownDocument(invocation);
    Object.assign(event.detail, {
      'command-id': command,
      'instance-id': 'i-0000000000000b005',
      status: 'Success',
    });

    const result = await onStatus(event, lambdaContext);

    expect(result).toEqual({
      outcome: 'ignored',
      reason: 'the command names no incident of this deployment',
    });
    expect(await loadIncident(runtime, key)).toEqual(before);
  });

  it('ignores a status that is not final', async () => {
    const event = structuredClone(invocation);
    event.detail.status = 'InProgress';
    const result = await onStatus(event, lambdaContext);
    expect(result).toEqual({ outcome: 'ignored', reason: 'status InProgress is not final' });
  });

  it('rejects the per-command status event, which this handler is not subscribed to', async () => {
    const result = await onStatus(await sampleEvent('ssm-command-status-change.json'), lambdaContext);
    expect(result).toMatchObject({ outcome: 'rejected' });
    expect(mocks.ssm).not.toHaveReceivedAnyCommand();
  });

  it('rejects a hostile command id without calling SSM', async () => {
    const event = structuredClone(invocation);
    event.detail['command-id'] = '$(reboot)';
    const result = await onStatus(event, lambdaContext);
    expect(result).toMatchObject({ outcome: 'rejected', reason: expect.stringContaining('command-id') });
    expect(mocks.ssm).not.toHaveReceivedAnyCommand();
  });
});
