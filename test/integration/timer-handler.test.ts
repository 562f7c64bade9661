import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { PublishCommand } from '@aws-sdk/client-sns';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommandInvocationCommand, ListCommandsCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import type { SQSEvent } from 'aws-lambda';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Incident, type IncidentKey, TIMER_KINDS } from '../../functions/core/incident.ts';
import type { TimerMessage } from '../../functions/core/inputs.ts';
import type { Runtime } from '../../functions/handlers/runtime.ts';
import { queuedTimer } from '../../functions/handlers/schemas.ts';
import {
  createTimerHandler,
  EARLY_TIMER_RETRY_MS,
  MAX_REDELIVERIES,
} from '../../functions/handlers/timer-handler.ts';
import { sqsEvent as localSqsEvent } from '../../local/aws-shapes.ts';
import {
  lambdaContext,
  loadIncident,
  mocks,
  resetMocks,
  TestClock,
  testRuntime,
} from '../support/aws-runtime.ts';
import { alarmInput, keyFor, onInstance, testRunbook } from '../support/fixtures.ts';

const T0 = Date.parse('2026-11-21T03:00:00Z');

const sqsEvent = (...bodies: string[]): SQSEvent => localSqsEvent(bodies);

function timerOf(incident: Incident | undefined): TimerMessage {
  if (!incident?.timer) throw new Error('no timer on the incident');
  return { key: incident.key, incidentId: incident.id, ...incident.timer };
}

describe('timer handler on DynamoDB Local', () => {
  const clock = new TestClock(T0);
  let runtime: Runtime;
  let handler: ReturnType<typeof createTimerHandler>;
  let instanceCount = 0;

  beforeAll(async () => {
    ({ runtime } = await testRuntime({ runbooks: [testRunbook], clock }));
    handler = createTimerHandler(runtime);
  });
  beforeEach(() => {
    resetMocks();
    clock.value = T0;
  });

  /** Opens an incident on a fresh instance through the processor, as the alarm handler would. */
  async function open(): Promise<IncidentKey> {
    instanceCount += 1;
    const instance = `i-${String(instanceCount).padStart(17, '0')}`;
    const input = alarmInput('ALARM', T0, onInstance(instance));
    const key = keyFor(testRunbook.name, instance);
    await runtime.processor.process(key, testRunbook, input);
    return key;
  }

  async function fire(key: IncidentKey): Promise<Awaited<ReturnType<typeof handler>>> {
    const timer = timerOf(await loadIncident(runtime, key));
    clock.value = Math.max(clock.value, timer.dueAt);
    return handler(sqsEvent(JSON.stringify(timer)), lambdaContext);
  }

  it('sends a timer that arrived before its own write back to the queue, instead of losing it', async () => {
    const key = await open();
    const current = await loadIncident(runtime, key);
    const early = {
      ...timerOf(current),
      token: `retry.1.${(current?.version ?? 0) + 1}`,
      dueAt: clock.now(),
    };
    mocks.sqs.resetHistory();

    const response = await handler(sqsEvent(JSON.stringify(early)), lambdaContext);

    expect(response).toEqual({ batchItemFailures: [] });
    const again = mocks.sqs
      .commandCalls(SendMessageCommand)
      .map((c) => JSON.parse(c.args[0].input.MessageBody as string));
    // Its due time is kept (the grace period counts from it); only the redelivery says when it comes back.
    expect(again).toEqual([{ ...early, redelivery: { at: clock.now() + EARLY_TIMER_RETRY_MS, count: 1 } }]);
    expect(mocks.sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.DelaySeconds).toBe(
      EARLY_TIMER_RETRY_MS / 1000,
    );
    expect(await loadIncident(runtime, key)).toEqual(current);

    // Long after its due time, the write is taken as lost and the timer as stale: it is dropped.
    mocks.sqs.resetHistory();
    clock.advance(16 * 60);
    await handler(sqsEvent(JSON.stringify(early)), lambdaContext);
    expect(mocks.sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('sends an early timer back with a longer wait each time, and drops it after the last redelivery', async () => {
    const key = await open();
    const current = await loadIncident(runtime, key);
    const early: TimerMessage = {
      ...timerOf(current),
      token: `retry.1.${(current?.version ?? 0) + 1}`,
      dueAt: clock.now(),
    };
    mocks.sqs.resetHistory();

    // The third redelivery waited 20 s; the fourth waits twice as long, with the same due time.
    clock.advance(35);
    await handler(
      sqsEvent(JSON.stringify({ ...early, redelivery: { at: clock.now(), count: 3 } })),
      lambdaContext,
    );
    // A timer sent back as often as it may be is dropped, though still within its grace period.
    await handler(
      sqsEvent(JSON.stringify({ ...early, redelivery: { at: clock.now(), count: MAX_REDELIVERIES } })),
      lambdaContext,
    );

    const sent = mocks.sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    expect(sent.map((m) => JSON.parse(m.MessageBody as string))).toEqual([
      { ...early, redelivery: { at: clock.now() + 8 * EARLY_TIMER_RETRY_MS, count: 4 } },
    ]);
    expect(sent[0]?.DelaySeconds).toBe((8 * EARLY_TIMER_RETRY_MS) / 1000);
    expect(await loadIncident(runtime, key)).toEqual(current);
  });

  it('retries after the backoff with a second command', async () => {
    mocks.ssm
      .on(SendCommandCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const key = await open();
    mocks.ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'c2' } });

    const response = await fire(key);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, 2);
    expect((await loadIncident(runtime, key))?.attempts.map((a) => a.status)).toEqual(['failed', 'running']);
  });

  it('asks SSM when no status event arrived by the runbook timeout, and carries on', async () => {
    const key = await open();
    mocks.ssm
      .on(GetCommandInvocationCommand)
      .resolves({ Status: 'Success', ResponseCode: 0, StandardOutputContent: 'ok' });

    await fire(key);

    expect(mocks.ssm).toHaveReceivedCommand(GetCommandInvocationCommand);
    expect((await loadIncident(runtime, key))?.status).toBe('verifying');
  });

  it('finds no command for an attempt whose send was interrupted, and retries instead of stranding', async () => {
    const key = keyFor(testRunbook.name, 'i-0000000000000c001');
    // The invocation dies after the write and before SendCommand returns: only the write and the timer happened.
    const send = vi
      .spyOn(runtime.commands, 'send')
      .mockImplementationOnce(() => new Promise(() => undefined));
    void runtime.processor.process(key, testRunbook, alarmInput('ALARM', T0, onInstance(key.target)));
    await vi.waitFor(async () => expect((await loadIncident(runtime, key))?.attempts).toHaveLength(1));
    send.mockRestore();
    mocks.ssm.on(ListCommandsCommand).resolves({ Commands: [] });

    await fire(key);

    expect(mocks.ssm).toHaveReceivedCommandWith(ListCommandsCommand, { InstanceId: key.target });
    const stored = await loadIncident(runtime, key);
    expect(stored?.attempts[0]).toMatchObject({
      status: 'lost',
      failure: expect.stringContaining('no command'),
    });
    expect(stored?.status).toBe('backing-off');
  });

  it('counts an alarm still in ALARM at the verify deadline as a failed attempt', async () => {
    const key = await open();
    mocks.ssm.on(GetCommandInvocationCommand).resolves({ Status: 'Success', ResponseCode: 0 });
    await fire(key);
    mocks.cloudwatch
      .on(DescribeAlarmsCommand)
      .resolves({ MetricAlarms: [{ AlarmName: 'disk-full-web-1', StateValue: 'ALARM' }] });

    await fire(key);

    expect(mocks.cloudwatch).toHaveReceivedCommandWith(DescribeAlarmsCommand, {
      AlarmNames: ['disk-full-web-1'],
    });
    const stored = await loadIncident(runtime, key);
    expect(stored?.status).toBe('backing-off');
    expect(stored?.attempts[0]?.verification).toBe('failed');
  });

  it('asks CloudWatch before the attempt after a backoff: an alarm OK since then is closed, not remedied again', async () => {
    const key = await open();
    mocks.ssm.on(GetCommandInvocationCommand).resolves({ Status: 'Success', ResponseCode: 0 });
    await fire(key);
    mocks.cloudwatch
      .on(DescribeAlarmsCommand)
      .resolvesOnce({ MetricAlarms: [{ AlarmName: 'disk-full-web-1', StateValue: 'ALARM' }] });
    await fire(key);
    expect((await loadIncident(runtime, key))?.status).toBe('backing-off');
    // The alarm went OK a second after the verify window; its OK event was throttled.
    const okAt = new Date(clock.now() + 1_000);
    mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [{ AlarmName: 'disk-full-web-1', StateValue: 'OK', StateTransitionedTimestamp: okAt }],
    });
    mocks.ssm.resetHistory();

    await fire(key);

    expect(mocks.ssm).not.toHaveReceivedCommand(SendCommandCommand);
    expect(mocks.cloudwatch).toHaveReceivedCommandTimes(DescribeAlarmsCommand, 2);
    expect(await loadIncident(runtime, key)).toMatchObject({
      status: 'resolved',
      resolution: { how: 'cleared' },
      attempts: [expect.objectContaining({ number: 1 })],
    });
  });

  it('goes on with the next attempt when CloudWatch cannot say, rather than stand down', async () => {
    const key = await open();
    mocks.ssm
      .on(GetCommandInvocationCommand)
      .resolves({ Status: 'Failed', ResponseCode: 1, StandardErrorContent: 'busy' });
    await fire(key);
    expect((await loadIncident(runtime, key))?.status).toBe('backing-off');
    mocks.cloudwatch
      .on(DescribeAlarmsCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    mocks.ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'c2' } });
    mocks.ssm.resetHistory();

    await fire(key);

    expect(mocks.cloudwatch).toHaveReceivedCommand(DescribeAlarmsCommand);
    expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, 1);
    expect((await loadIncident(runtime, key))?.attempts.map((a) => a.status)).toEqual(['failed', 'running']);
  });

  it('pages once when the last attempt is not verified, and the page names every attempt', async () => {
    const key = await open();
    mocks.ssm
      .on(GetCommandInvocationCommand)
      .resolves({ Status: 'Failed', ResponseCode: 1, StandardErrorContent: 'no space left' });
    mocks.ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'c-next' } });
    for (let i = 0; i < 5; i++) await fire(key);

    const stored = await loadIncident(runtime, key);
    expect(stored?.status).toBe('escalated');
    expect(mocks.sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    const page = mocks.sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(page?.Message).toContain('Attempts (3):');
    expect(page?.Message).toContain('no space left');
    expect(stored?.escalation?.page).toMatchObject({ status: 'sent', messageId: 'page-message' });
  });

  it('hops towards a due time beyond SQS delay limits instead of firing early', async () => {
    const key = await open();
    const timer = { ...timerOf(await loadIncident(runtime, key)), dueAt: T0 + 3_600_000 };

    await handler(sqsEvent(JSON.stringify(timer)), lambdaContext);

    expect(mocks.sqs).toHaveReceivedCommandWith(SendMessageCommand, { DelaySeconds: 900 });
    expect((await loadIncident(runtime, key))?.attempts).toHaveLength(1);
  });

  it('drops the remaining hops of a timer its incident no longer has, and hops on with any it may still have', async () => {
    const key = await open();
    const first = timerOf(await loadIncident(runtime, key));
    mocks.ssm.on(GetCommandInvocationCommand).resolves({ Status: 'Success', ResponseCode: 0 });
    await fire(key);
    const moved = await loadIncident(runtime, key);
    expect(moved?.timer?.token).not.toBe(first.token);
    const far = clock.now() + 3_600_000;
    mocks.sqs.resetHistory();

    // The incident moved on: its old timer, hopping towards an hour away, stops here.
    await handler(sqsEvent(JSON.stringify({ ...first, dueAt: far })), lambdaContext);
    expect(mocks.sqs).not.toHaveReceivedCommand(SendMessageCommand);

    // Its current timer, and one whose write may still land (a newer version), hop on.
    const current = timerOf(moved);
    const unwritten = { ...current, token: `retry.2.${(moved?.version ?? 0) + 1}` };
    for (const timer of [current, unwritten])
      await handler(sqsEvent(JSON.stringify({ ...timer, dueAt: far })), lambdaContext);
    expect(mocks.sqs).toHaveReceivedCommandTimes(SendMessageCommand, 2);
    expect(await loadIncident(runtime, key)).toEqual(moved);
  });

  it('drops malformed messages with a logged reason and reports only passing failures for retry', async () => {
    const key = await open();
    const good = JSON.stringify(timerOf(await loadIncident(runtime, key)));
    clock.value = T0 + 3_600_000;
    vi.spyOn(runtime.store, 'load').mockRejectedValueOnce(
      new Error('ProvisionedThroughputExceededException'),
    );

    const response = await handler(sqsEvent('not json', '{"kind":"retry"}', good), lambdaContext);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'local-message-2' }] });
  });

  it('takes every kind of timer the decider schedules: none is dropped as malformed', () => {
    // A proposal's expiry and a snooze's wake-up were once refused here: in AWS, a proposal nobody
    // answered never expired and a snooze never ended.
    for (const kind of TIMER_KINDS) {
      const body = {
        key: keyFor(testRunbook.name, 'i-00000000000000001'),
        incidentId: 'x',
        kind,
        token: 't',
        dueAt: T0,
      };
      expect(queuedTimer.safeParse(body).success, kind).toBe(true);
    }
    expect(
      queuedTimer.safeParse({
        key: keyFor(testRunbook.name, 'i-1'),
        incidentId: 'x',
        kind: 'later',
        token: 't',
        dueAt: T0,
      }).success,
    ).toBe(false);
  });

  it('rejects an event that is not an SQS batch', async () => {
    expect(await handler({ Records: 'nope' } as unknown as SQSEvent, lambdaContext)).toEqual({
      batchItemFailures: [],
    });
  });
});
