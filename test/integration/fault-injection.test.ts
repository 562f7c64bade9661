import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  ProvisionedThroughputExceededException,
  ThrottlingException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { InternalErrorException } from '@aws-sdk/client-sns';
import { InvalidInstanceId } from '@aws-sdk/client-ssm';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { incidentFromItem } from '../../functions/adapters/aws/incident-item.ts';
import type { Incident } from '../../functions/core/incident.ts';
import { defineRunbook } from '../../functions/core/runbook.ts';
import type { HandlerResult } from '../../functions/handlers/alarm-handler.ts';
import { describeInstances, lambdaContext, mocks } from '../support/aws-runtime.ts';
import { awsError, type FaultHarness, faultHarness, sqsBatch } from '../support/fault-harness.ts';
import { alarmInput, onInstance, T0, testRunbook } from '../support/fixtures.ts';

/**
 * Faults at every port the handlers use, on DynamoDB Local with SDK mocks behind small fakes. Each
 * test drives the handlers as Lambda, EventBridge and SQS would (including their retries), then
 * drains the timer queue and checks that the system ended well: no incident left open without a
 * timer (stranded), no attempt's command sent twice, at most one escalation page per incident.
 */

/** testRunbook (3 attempts, backoff 60 s base, verify 300 s), without fleet limits that tests share. */
const runbook = defineRunbook({
  ...testRunbook,
  autoDisable: false,
  concurrency: { maxInFlight: 50, maxPerHour: 10_000 },
});
const INSTANCE = 'i-0123456789abcdef0';

const throttledWrite = () =>
  new ProvisionedThroughputExceededException({
    message: 'The level of configured provisioned throughput for the table was exceeded.',
    $metadata: { httpStatusCode: 400 },
  });
const throttledRequest = () =>
  new ThrottlingException({
    message: 'Throughput exceeds the current capacity.',
    $metadata: { httpStatusCode: 400 },
  });
/** How DynamoDB throttles one item of a transaction: the whole transaction is cancelled. */
const throttledTransaction = () =>
  new TransactionCanceledException({
    message:
      'Transaction cancelled, please refer cancellation reasons for specific reasons [ThrottlingError]',
    $metadata: { httpStatusCode: 400 },
    CancellationReasons: [
      {
        Code: 'ThrottlingError',
        Message: 'Throughput exceeds the current capacity of your table or index.',
      },
      { Code: 'None' },
      { Code: 'None' },
      { Code: 'None' },
    ],
  });

/** The incident record a PutItem request writes, decoded as the store would read it back, as JSON. */
function recordWritten(call: { body: string }): string {
  const { Item } = JSON.parse(call.body) as { Item?: Record<string, AttributeValue> };
  if (!Item) return '';
  const { body, ...plain } = Item;
  const encoded = body && 'B' in body ? { body: { B: Buffer.from(String(body.B), 'base64') } } : {};
  return JSON.stringify(
    incidentFromItem(unmarshall({ ...plain, ...encoded } as Record<string, AttributeValue>)),
  );
}
/** The DynamoDB write that records an attempt's command as running (the `command-sent` follow-up). */
const recordsRunning = (call: { body: string }) => recordWritten(call).includes('"status":"running"');
/** The DynamoDB write that records an escalation page as sent. */
const recordsPageSent = (call: { body: string }) => recordWritten(call).includes('"sent"');

describe('fault injection at the ports, on DynamoDB Local', () => {
  let h: FaultHarness;

  beforeEach(async () => {
    h = await faultHarness(runbook, T0);
  });
  afterEach(() => {
    h.dynamodb.uninstall();
    vi.restoreAllMocks();
  });

  const alarm = () => h.alarmEvent(INSTANCE, 'ALARM', T0 - 1000);
  const ok = (at: number) => h.alarmEvent(INSTANCE, 'OK', at);
  const invoke = (event: unknown) => h.onAlarm(event, lambdaContext) as Promise<HandlerResult>;
  const load = async (): Promise<Incident> => {
    const incident = await h.incident(INSTANCE);
    if (!incident) throw new Error('no incident recorded');
    return incident;
  };

  /** Drains the timer queue, then checks the end state every test shares. */
  async function expectSettled(expected: { status: 'resolved' | 'escalated' }): Promise<Incident> {
    await h.drain();
    const incident = await load();
    // Quiet: nothing is left but slow checks, and an escalated incident's current timer is its check.
    const left = h.queue.pending.map((m) => JSON.parse(m.body) as { kind: string; token: string });
    expect(
      left.map((t) => t.kind).filter((k) => k !== 'check'),
      'the timer queue drains',
    ).toEqual([]);
    if (incident.status === 'escalated') expect(left.map((t) => t.token)).toContain(incident.timer?.token);
    expect(incident.status, incident.history.map((e) => e.what).join('\n')).toBe(expected.status);
    // Not stranded: closed, or escalated with the page SNS took.
    if (incident.status === 'escalated') expect(incident.escalation?.page.status).toBe('sent');
    // No attempt's command ran twice.
    for (const [comment, count] of h.ssm.acceptedPerComment()) expect(count, comment).toBe(1);
    // At most one escalation page per incident.
    expect(h.pager.pagesOf(incident.id, 'escalation').length).toBeLessThanOrEqual(1);
    return incident;
  }

  describe('SSM SendCommand refused', () => {
    it.each([
      ['ThrottlingException', awsError('ThrottlingException', 'Rate exceeded')],
      [
        'InvalidInstanceId',
        new InvalidInstanceId({
          message: 'Instances [[i-0123456789abcdef0]] not in a valid state for account 123456789012',
          $metadata: { httpStatusCode: 400 },
        }),
      ],
    ])(
      '%s: each refusal is a failed attempt, backed off and retried by the timer; one page after maxAttempts',
      async (name, error) => {
        h.ssm.refuseAll = error;

        expect(await invoke(alarm())).toMatchObject({ outcome: 'processed' });

        const first = await load();
        expect(first.status).toBe('backing-off');
        expect(first.attempts).toEqual([
          expect.objectContaining({ number: 1, status: 'failed', failure: expect.stringContaining(name) }),
        ]);
        // Full jitter with random 0.5: half of the 60 s base before attempt 2.
        expect(first.timer).toMatchObject({ kind: 'retry', dueAt: T0 + 30_000 });

        const incident = await expectSettled({ status: 'escalated' });

        expect(h.ssm.sendCalls).toHaveLength(3);
        expect([...h.ssm.callsPerComment().values()]).toEqual([1, 1, 1]);
        expect(h.ssm.accepted).toHaveLength(0);
        expect(incident.attempts.map((a) => a.status)).toEqual(['failed', 'failed', 'failed']);
        expect(incident.escalation?.reason).toContain('all 3 attempt(s)');
        expect(h.pager.attempts).toHaveLength(1);
        expect(h.pager.pagesOf(incident.id)).toHaveLength(1);
        // Attempt 2 at +30 s, attempt 3 at +90 s (backoff 60 s), escalated then.
        expect(incident.escalation?.at).toBe(T0 + 90_000);
      },
    );

    it('a refusal that clears: the retry runs the command and the incident resolves without a page', async () => {
      h.ssm.sendFaults.push({ kind: 'refuse', error: awsError('ThrottlingException', 'Rate exceeded') });

      await invoke(alarm());
      const incident = await expectSettled({ status: 'resolved' });

      expect(h.ssm.sendCalls).toHaveLength(2);
      expect(h.ssm.accepted).toHaveLength(1);
      expect(incident.attempts.map((a) => [a.status, a.verification])).toEqual([
        ['failed', undefined],
        ['succeeded', 'passed'],
      ]);
      expect(h.pager.attempts).toHaveLength(0);
    });

    // Found by this fault injection: every SendCommand error counted as a refusal, so a 5xx, a timeout
    // or a reset socket after SSM had accepted the command failed the attempt, and attempt 2 ran beside
    // attempt 1's command. Now only a client error is a refusal; an ambiguous one leaves the attempt
    // `dispatching`, and the dispatch check finds the command by its Comment (ListCommands).
    it('a SendCommand answered with a 5xx after SSM accepted it leaves the attempt to the dispatch check, which adopts the command: no second command', async () => {
      h.ssm.sendFaults.push({
        kind: 'accept-then-fail',
        error: awsError('InternalServerError', 'We encountered an internal error. Please try again.', 500),
      });

      await invoke(alarm());
      expect(h.ssm.accepted).toHaveLength(1);
      await h.drain();

      // Observed: attempt 1 "failed: SSM did not accept the command: InternalServerError", attempt 2
      // sent 30 s later while attempt 1's command was still running: two commands on the instance.
      expect(h.ssm.accepted.map((c) => c.comment)).toEqual([`${(await load()).id} attempt 1`]);
    });
  });

  describe('DynamoDB throttling', () => {
    it('throttles that the SDK retries absorb (2 of its 3 tries) change nothing: one write, one command', async () => {
      h.dynamodb.fail({
        operation: 'TransactWriteItems',
        times: 2,
        layer: 'below-retry',
        error: throttledWrite,
      });

      expect(await invoke(alarm())).toMatchObject({ outcome: 'processed' });

      expect(h.dynamodb.failed.map((c) => c.operation)).toEqual(['TransactWriteItems', 'TransactWriteItems']);
      expect(h.ssm.accepted).toHaveLength(1);
      expect((await load()).attempts[0]).toMatchObject({ status: 'running' });
      await expectSettled({ status: 'resolved' });
    });

    it.each([
      ['ProvisionedThroughputExceededException on every SDK try', 'below-retry', 3, throttledWrite],
      ['ThrottlingException on every SDK try', 'below-retry', 3, throttledRequest],
      ['TransactionCanceledException [ThrottlingError]', 'above-retry', 1, throttledTransaction],
    ] as const)(
      '%s on the opening write fails the invocation: nothing recorded, nothing sent; the Lambda retry opens it once',
      async (_name, layer, times, error) => {
        h.dynamodb.fail({ operation: 'TransactWriteItems', times, layer, error });

        await expect(invoke(alarm())).rejects.toThrow();

        expect(await h.incident(INSTANCE)).toBeUndefined();
        expect(h.ssm.sendCalls).toHaveLength(0);
        expect(h.pager.attempts).toHaveLength(0);
        // The timer went first; with no incident behind it, it is stale.
        expect(h.queue.pending).toHaveLength(1);

        // Lambda retries the same event.
        expect(await invoke(alarm())).toMatchObject({ outcome: 'processed' });
        expect(h.ssm.sendCalls).toHaveLength(1);

        await expectSettled({ status: 'resolved' });
        expect(h.ssm.sendCalls).toHaveLength(1);
      },
    );

    it('a throttled write after SendCommand fails the invocation; the retry is absorbed; the dispatch check adopts the command', async () => {
      h.dynamodb.fail({
        operation: 'PutItem',
        when: recordsRunning,
        times: 3,
        layer: 'below-retry',
        error: throttledWrite,
      });

      await expect(invoke(alarm())).rejects.toThrow(/throughput/);

      expect(h.ssm.accepted).toHaveLength(1);
      const unconfirmed = await load();
      expect(unconfirmed.attempts[0]).toMatchObject({ status: 'dispatching' });
      expect(unconfirmed.attempts[0]?.commandId).toBeUndefined();

      // Lambda's retry of the event is a duplicate: nothing is sent again.
      expect(await invoke(alarm())).toMatchObject({ outcome: 'absorbed' });
      expect(h.ssm.sendCalls).toHaveLength(1);

      const incident = await expectSettled({ status: 'resolved' });
      expect(h.ssm.listCommandsCalls).toBeGreaterThanOrEqual(1);
      expect(incident.attempts).toEqual([
        expect.objectContaining({ status: 'succeeded', commandId: h.ssm.accepted[0]?.commandId }),
      ]);
      expect(h.ssm.sendCalls).toHaveLength(1);
    });

    it('a throttled timer write is reported to SQS for redelivery; the redelivery sends the attempt once', async () => {
      h.ssm.sendFaults.push({ kind: 'refuse', error: awsError('ThrottlingException', 'Rate exceeded') });
      await invoke(alarm());
      const before = await load();
      h.dynamodb.fail({
        operation: 'TransactWriteItems',
        times: 3,
        layer: 'below-retry',
        error: throttledWrite,
      });

      const retryTimer = h.queue.ofKind('retry')[0];
      const response = await h.deliverNext();

      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: retryTimer?.messageId }] });
      expect(await load()).toEqual(before);
      expect(h.ssm.sendCalls).toHaveLength(1);

      const incident = await expectSettled({ status: 'resolved' });
      expect(h.ssm.sendCalls).toHaveLength(2);
      expect(h.ssm.accepted).toHaveLength(1);
      expect(incident.attempts.map((a) => a.status)).toEqual(['failed', 'succeeded']);
    });

    it('a throttled read (the kill switch query) fails the invocation before any decision; the retry succeeds', async () => {
      h.dynamodb.fail({
        operation: 'Query',
        when: (call) => call.body.includes('SETTINGS'),
        times: 3,
        layer: 'below-retry',
        error: throttledRequest,
      });

      await expect(invoke(alarm())).rejects.toThrow();
      expect(h.dynamodb.count('TransactWriteItems') + h.dynamodb.count('PutItem')).toBe(0);
      expect(h.queue.sent).toHaveLength(0);

      expect(await invoke(alarm())).toMatchObject({ outcome: 'processed' });
      await expectSettled({ status: 'resolved' });
      expect(h.ssm.sendCalls).toHaveLength(1);
    });
  });

  describe('DynamoDB conditional failures (a concurrent writer between load and save)', () => {
    /** Runs `writer` once, right after the first load of the incident that `when` allows. */
    function raceAfterLoad(writer: () => Promise<unknown>, times = 1): { races: number } {
      const store = h.runtime.store;
      const original = store.load.bind(store);
      const state = { races: 0, inside: false };
      vi.spyOn(store, 'load').mockImplementation(async (key) => {
        const seen = await original(key);
        if (!state.inside && state.races < times) {
          state.races += 1;
          state.inside = true;
          try {
            await writer();
          } finally {
            state.inside = false;
          }
        }
        return seen;
      });
      return state;
    }

    it('a duplicate ALARM that lands between load and save: the loser decides again and is absorbed; one command', async () => {
      const event = alarm();
      let concurrent: HandlerResult | undefined;
      const race = raceAfterLoad(async () => {
        concurrent = await invoke(structuredClone(event));
      });

      const result = await invoke(event);

      expect(race.races).toBe(1);
      expect(concurrent).toMatchObject({ outcome: 'processed' });
      expect(result).toMatchObject({ outcome: 'absorbed', reason: expect.stringContaining('not newer') });
      expect(h.ssm.sendCalls).toHaveLength(1);
      vi.restoreAllMocks();
      await expectSettled({ status: 'resolved' });
      expect(h.ssm.sendCalls).toHaveLength(1);
    });

    it('an OK alarm that closes the incident between a retry timer’s load and save: the timer is stale, no command', async () => {
      h.ssm.sendFaults.push({ kind: 'refuse', error: awsError('ThrottlingException', 'Rate exceeded') });
      await invoke(alarm());
      let cleared: HandlerResult | undefined;
      raceAfterLoad(async () => {
        cleared = await invoke(ok(T0 + 5000));
      });

      const response = await h.deliverNext();

      expect(response).toEqual({ batchItemFailures: [] });
      expect(cleared).toMatchObject({ outcome: 'processed' });
      expect(h.ssm.sendCalls).toHaveLength(1);
      vi.restoreAllMocks();
      const incident = await expectSettled({ status: 'resolved' });
      expect(incident.resolution?.how).toBe('cleared');
      expect(h.ssm.sendCalls).toHaveLength(1);
      expect(h.pager.attempts).toHaveLength(0);
    });

    it('a status event racing an alarm update: the result is recorded once, after deciding again', async () => {
      await invoke(alarm());
      const command = h.ssm.accepted[0];
      if (!command) throw new Error('no command');
      raceAfterLoad(() => invoke(h.alarmEvent(INSTANCE, 'INSUFFICIENT_DATA', T0 + 30_000)));

      const first = await h.onStatus(h.statusEvent(command, 'Success'), lambdaContext);
      vi.restoreAllMocks();
      const second = await h.onStatus(h.statusEvent(command, 'Success'), lambdaContext);

      expect(first).toMatchObject({ outcome: 'processed' });
      expect(second).toMatchObject({ outcome: 'absorbed' });
      const incident = await load();
      expect(incident.status).toBe('verifying');
      expect(incident.alarmState).toBe('INSUFFICIENT_DATA');
      expect(
        incident.history.filter((e) => e.what.includes(`command ${command.commandId} Success`)),
      ).toHaveLength(1);
      await expectSettled({ status: 'resolved' });
      expect(h.ssm.sendCalls).toHaveLength(1);
    });

    it('a writer that wins every race: the timer gives up after 35 rounds and SQS redelivers it; nothing sent until it succeeds, once', async () => {
      h.ssm.sendFaults.push({ kind: 'refuse', error: awsError('ThrottlingException', 'Rate exceeded') });
      await invoke(alarm());
      const key = h.key(INSTANCE);
      let writes = 0;
      // Each win is a newer alarm state (ALARM, INSUFFICIENT_DATA, ...): a note and a new version.
      const race = raceAfterLoad(() => {
        writes += 1;
        const state = writes % 2 ? 'INSUFFICIENT_DATA' : 'ALARM';
        return h.runtime.processor.process(
          key,
          runbook,
          alarmInput(state, T0 + writes * 1000, onInstance(INSTANCE)),
        );
      }, Number.POSITIVE_INFINITY);
      const retryTimer = h.queue.ofKind('retry')[0];

      const response = await h.deliverNext();

      expect(race.races).toBe(35);
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: retryTimer?.messageId }] });
      expect(h.ssm.sendCalls).toHaveLength(1);
      expect((await load()).status).toBe('backing-off');
      vi.restoreAllMocks();

      const incident = await expectSettled({ status: 'resolved' });
      expect(h.ssm.sendCalls).toHaveLength(2);
      expect(incident.attempts.map((a) => a.status)).toEqual(['failed', 'succeeded']);
    });
  });

  describe('SNS Publish errors', () => {
    /**
     * The instance does not carry the opt-in tag, on a deployment that pages for such instances: the
     * ALARM is refused and escalated at once.
     */
    async function notOptedIn(): Promise<void> {
      h = await faultHarness(runbook, T0, { pageUnmanagedInstances: true });
      describeInstances(() => ({ Tags: [] }));
    }
    const snsDown = () =>
      new InternalErrorException({ message: 'Internal error', $metadata: { httpStatusCode: 500 } });

    it('an escalation page SNS refuses twice stays due; the reconcile timer sends it again; one page in the end', async () => {
      await notOptedIn();
      h.pager.publishFaults.push(snsDown(), snsDown());

      expect(await invoke(alarm())).toMatchObject({ outcome: 'processed' });
      const due = await load();
      expect(due.status).toBe('escalated');
      expect(due.escalation?.page.status).toBe('due');
      expect(due.timer).toMatchObject({ kind: 'reconcile', dueAt: T0 + 120_000 });

      const incident = await expectSettled({ status: 'escalated' });

      expect(h.pager.attempts).toHaveLength(3);
      expect(h.pager.published).toHaveLength(1);
      expect(incident.escalation?.page).toMatchObject({ status: 'sent', messageId: 'page-1' });
      expect(h.ssm.sendCalls).toHaveLength(0);
    });

    it('a resolution page SNS refuses is sent by the reconcile timer, once', async () => {
      await notOptedIn();
      await invoke(alarm());
      h.pager.publishFaults.push(snsDown());

      expect(await invoke(ok(T0 + 60_000))).toMatchObject({ outcome: 'processed' });
      expect((await load()).resolution?.page?.status).toBe('due');

      const incident = await expectSettled({ status: 'resolved' });
      expect(incident.resolution?.page?.status).toBe('sent');
      expect(h.pager.pagesOf(incident.id, 'escalation')).toHaveLength(1);
      expect(h.pager.pagesOf(incident.id, 'resolution')).toHaveLength(1);
      expect(h.pager.attempts).toHaveLength(3);
    });

    // Not a defect: SNS has no idempotent Publish for email, SMS and HTTPS subscribers, so a page is
    // at-least-once. When SNS took the page but the write that records it as sent is lost (throttled
    // past the SDK's retries), the invocation fails, Lambda's retry is absorbed, and the reconcile
    // timer sends the page again. Both copies carry the same incident_id attribute, and the PagerDuty
    // form is the same alarm's notification, which PagerDuty folds into one incident.
    it('a page whose "sent" write is lost goes out again (at-least-once), with the same incident_id', async () => {
      await notOptedIn();
      h.dynamodb.fail({
        operation: 'PutItem',
        when: recordsPageSent,
        times: 1,
        layer: 'above-retry',
        error: throttledWrite,
      });

      await expect(invoke(alarm())).rejects.toThrow(/throughput/);
      expect(h.pager.published).toHaveLength(1);
      expect(await invoke(alarm())).toMatchObject({ outcome: 'absorbed' });

      await h.drain();
      const incident = await load();
      expect(incident.escalation?.page.status).toBe('sent');
      expect(h.pager.published).toHaveLength(2);
      expect(h.pager.pagesOf(incident.id)).toHaveLength(2);
      // The slow check of each confirmation (the first one's is stale): nothing else is left.
      const left = h.queue.pending.map((m) => JSON.parse(m.body) as { kind: string; token: string });
      expect(left.map((t) => t.kind)).toEqual(['check', 'check']);
      expect(left.map((t) => t.token)).toContain(incident.timer?.token);
    });
  });

  describe('lost SSM status events', () => {
    it('no status event ever arrives: the reconcile timer reads GetCommandInvocation and the incident resolves', async () => {
      await invoke(alarm());
      // The dispatch check stands for the command's check: one timer, two minutes after the send.
      expect((await load()).timer).toMatchObject({ kind: 'reconcile', dueAt: T0 + 120_000 });

      const incident = await expectSettled({ status: 'resolved' });

      expect(h.ssm.getInvocationCalls).toBe(1);
      expect(h.ssm.sendCalls).toHaveLength(1);
      expect(incident.attempts[0]).toMatchObject({ status: 'succeeded', verification: 'passed' });
      expect(incident.resolution?.how).toBe('verified');
      expect(h.alarms.calls).toBe(1);
    });

    it('a command stuck in progress is declared lost at its hard deadline and retried once', async () => {
      h.ssm.invocation = (command) =>
        command === h.ssm.accepted[0] ? { Status: 'InProgress' } : { Status: 'Success', ResponseCode: 0 };
      await invoke(alarm());

      const incident = await expectSettled({ status: 'resolved' });

      expect(incident.attempts.map((a) => a.status)).toEqual(['lost', 'succeeded']);
      expect(incident.attempts[0]?.failure).toContain('by its deadline');
      // Polled at +120 s (the dispatch check), lost at the hard deadline (+240 s: delivery 60 + execution 120 + margin 60).
      expect(incident.history.some((e) => e.at === T0 + 240_000 && e.what.includes('by its deadline'))).toBe(
        true,
      );
      expect(h.ssm.sendCalls).toHaveLength(2);
    });

    it('an invocation SSM no longer knows is lost and retried once', async () => {
      h.ssm.invocation = (command) =>
        command === h.ssm.accepted[0] ? 'does-not-exist' : { Status: 'Success', ResponseCode: 0 };
      await invoke(alarm());

      const incident = await expectSettled({ status: 'resolved' });

      expect(incident.attempts[0]).toMatchObject({
        status: 'lost',
        failure: expect.stringContaining('no invocation'),
      });
      expect(h.ssm.sendCalls).toHaveLength(2);
    });

    it('a send interrupted after SSM accepted it (the invocation died): the dispatch check adopts the command, no second one', async () => {
      const commands = h.runtime.commands;
      const send = commands.send.bind(commands);
      vi.spyOn(commands, 'send').mockImplementationOnce((effect) => {
        void send(effect);
        return new Promise<string>(() => undefined);
      });
      void invoke(alarm());
      await vi.waitFor(() => expect(h.ssm.accepted).toHaveLength(1));
      await vi.waitFor(async () => expect((await h.incident(INSTANCE))?.attempts).toHaveLength(1));
      vi.restoreAllMocks();

      // Lambda retries the timed-out invocation: a duplicate.
      expect(await invoke(alarm())).toMatchObject({ outcome: 'absorbed' });
      const incident = await expectSettled({ status: 'resolved' });

      expect(h.ssm.sendCalls).toHaveLength(1);
      expect(h.ssm.listCommandsCalls).toBe(1);
      expect(incident.attempts[0]).toMatchObject({
        status: 'succeeded',
        commandId: h.ssm.accepted[0]?.commandId,
      });
    });
  });

  describe('the same event or message delivered twice', () => {
    it('the same alarm event twice, in a row and at once: one command', async () => {
      const event = alarm();
      const results = [await invoke(event), await invoke(structuredClone(event))];
      results.push(...(await Promise.all([invoke(structuredClone(event)), invoke(structuredClone(event))])));

      expect(results.map((r) => r.outcome)).toEqual(['processed', 'absorbed', 'absorbed', 'absorbed']);
      await expectSettled({ status: 'resolved' });
      expect(h.ssm.sendCalls).toHaveLength(1);
    });

    it('the same timer message twice, again after it was handled and twice in one batch: one attempt', async () => {
      h.ssm.sendFaults.push({ kind: 'refuse', error: awsError('ThrottlingException', 'Rate exceeded') });
      await invoke(alarm());
      const retry = h.queue.take();
      if (!retry) throw new Error('no timer');
      expect(JSON.parse(retry.body).kind).toBe('retry');
      h.clock.value = retry.visibleAt;

      const both = await h.onTimer(sqsBatch([retry, { ...retry, messageId: 'copy' }]), lambdaContext);
      const again = await h.onTimer(sqsBatch([retry]), lambdaContext);

      expect(both).toEqual({ batchItemFailures: [] });
      expect(again).toEqual({ batchItemFailures: [] });
      expect(h.ssm.sendCalls).toHaveLength(2);
      const incident = await expectSettled({ status: 'resolved' });
      expect(incident.attempts.map((a) => a.status)).toEqual(['failed', 'succeeded']);
      expect(h.ssm.sendCalls).toHaveLength(2);
    });

    it('the same status event twice, in a row and at once: recorded once', async () => {
      await invoke(alarm());
      const command = h.ssm.accepted[0];
      if (!command) throw new Error('no command');
      const event = h.statusEvent(command, 'Success');

      const first = await h.onStatus(event, lambdaContext);
      const recorded = await load();
      const later = await Promise.all([
        h.onStatus(structuredClone(event), lambdaContext),
        h.onStatus(structuredClone(event), lambdaContext),
      ]);

      expect(first).toMatchObject({ outcome: 'processed' });
      expect(later.map((r) => r.outcome)).toEqual(['absorbed', 'absorbed']);
      expect(await load()).toEqual(recorded);
      await expectSettled({ status: 'resolved' });
    });

    it('a failing lifecycle with every event and every timer delivered twice: one command per attempt, one page', async () => {
      h.ssm.refuseAll = awsError('ThrottlingException', 'Rate exceeded');
      const event = alarm();
      await Promise.all([invoke(event), invoke(structuredClone(event))]);

      await h.drain({ duplicate: true });
      const incident = await expectSettled({ status: 'escalated' });

      expect([...h.ssm.callsPerComment().values()]).toEqual([1, 1, 1]);
      expect(h.pager.attempts).toHaveLength(1);
      expect(incident.attempts).toHaveLength(3);
    });
  });

  describe('SQS SendMessage failures (timers are enqueued before the write)', () => {
    const sqsThrottled = () => awsError('RequestThrottled', 'Request is throttled.');

    it('the opening ALARM: the invocation fails before the write, nothing recorded or sent; the retry opens it once', async () => {
      h.queue.sendFaults.push(sqsThrottled());

      await expect(invoke(alarm())).rejects.toThrow(/throttled/);

      expect(await h.incident(INSTANCE)).toBeUndefined();
      expect(h.dynamodb.count('TransactWriteItems') + h.dynamodb.count('PutItem')).toBe(0);
      expect(h.ssm.sendCalls).toHaveLength(0);

      expect(await invoke(alarm())).toMatchObject({ outcome: 'processed' });
      await expectSettled({ status: 'resolved' });
      expect(h.ssm.sendCalls).toHaveLength(1);
    });

    it('the timer after SendCommand (a short command, checked at its own deadline): the invocation fails, the retry is absorbed, the dispatch check adopts the command', async () => {
      // A command whose deadline (execution 30 s + margin 60 s) comes before the dispatch check (120 s)
      // has a timer of its own, enqueued after SendCommand; longer ones share the dispatch check.
      h.dynamodb.uninstall();
      h = await faultHarness(defineRunbook({ ...runbook, executionTimeoutSeconds: 30 }), T0);
      h.queue.sendFaults.push(null, sqsThrottled());

      await expect(invoke(alarm())).rejects.toThrow(/throttled/);
      expect(h.ssm.accepted).toHaveLength(1);
      expect((await load()).attempts[0]).toMatchObject({ status: 'dispatching' });
      expect(await invoke(alarm())).toMatchObject({ outcome: 'absorbed' });

      await expectSettled({ status: 'resolved' });
      expect(h.ssm.sendCalls).toHaveLength(1);
    });

    it('a retry timer whose next timer cannot be enqueued: reported to SQS, nothing written or sent; the redelivery sends once', async () => {
      h.ssm.sendFaults.push({ kind: 'refuse', error: awsError('ThrottlingException', 'Rate exceeded') });
      await invoke(alarm());
      const before = await load();
      h.queue.sendFaults.push(sqsThrottled());

      const response = await h.deliverNext();

      expect(response?.batchItemFailures).toHaveLength(1);
      expect(await load()).toEqual(before);
      expect(h.ssm.sendCalls).toHaveLength(1);
      await expectSettled({ status: 'resolved' });
      expect(h.ssm.sendCalls).toHaveLength(2);
    });

    it('an escalation whose timer cannot be enqueued: no page before the write; the retry pages once', async () => {
      // Escalated at once: an instance without the opt-in tag, on a deployment that pages for one.
      h = await faultHarness(runbook, T0, { pageUnmanagedInstances: true });
      describeInstances(() => ({ Tags: [] }));
      h.queue.sendFaults.push(sqsThrottled());

      await expect(invoke(alarm())).rejects.toThrow(/throttled/);
      expect(h.pager.attempts).toHaveLength(0);
      expect(await h.incident(INSTANCE)).toBeUndefined();

      expect(await invoke(alarm())).toMatchObject({ outcome: 'processed' });
      const incident = await expectSettled({ status: 'escalated' });
      expect(h.pager.pagesOf(incident.id)).toHaveLength(1);
      expect(h.pager.attempts).toHaveLength(1);
    });
  });

  describe('other ports', () => {
    it('EventBridge PutEvents failing never fails or repeats a decision', async () => {
      mocks.eventbridge.on(PutEventsCommand).rejects(awsError('InternalException', 'Internal error', 500));

      expect(await invoke(alarm())).toMatchObject({ outcome: 'processed' });
      await expectSettled({ status: 'resolved' });
      expect(h.ssm.sendCalls).toHaveLength(1);
    });

    it('EC2 DescribeInstances throttled: the invocation fails before deciding; the retry succeeds', async () => {
      let calls = 0;
      mocks.ec2.on(DescribeInstancesCommand).callsFake(async (input: { InstanceIds?: string[] }) => {
        calls += 1;
        if (calls === 1) throw awsError('RequestLimitExceeded', 'Request limit exceeded.', 503);
        const Tags = [{ Key: 'AutoRemediation', Value: 'enabled' }];
        return { Reservations: [{ Instances: [{ InstanceId: input.InstanceIds?.[0], Tags }] }] };
      });

      await expect(invoke(alarm())).rejects.toThrow(/limit/);
      expect(await h.incident(INSTANCE)).toBeUndefined();
      expect(h.queue.sent).toHaveLength(0);

      expect(await invoke(alarm())).toMatchObject({ outcome: 'processed' });
      await expectSettled({ status: 'resolved' });
      expect(h.ssm.sendCalls).toHaveLength(1);
    });
  });
});
