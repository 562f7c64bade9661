import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Incident } from '../core/incident.ts';
import { isIncident, latestAttempt } from '../core/incident.ts';
import {
  type DecisionInput,
  deliveryTime,
  type QueuedTimer,
  type TimerInput,
  type TimerMessage,
} from '../core/inputs.ts';
import { commentFor, diagnoseCommentFor } from '../core/transitions.ts';
import { flushMetrics } from './middleware/flush-metrics.ts';
import type { Runtime } from './runtime.ts';
import { describeIssues, queuedTimer } from './schemas.ts';

/**
 * Handles timer messages from SQS: retries, verify deadlines and reconciliation with SSM. A message
 * that fails for a passing reason is reported back (partial batch failure) and retried by SQS; a
 * malformed one is logged and dropped, since retrying it could never succeed.
 */
export async function handleTimers(event: SQSEvent, runtime: Runtime): Promise<SQSBatchResponse> {
  if (!Array.isArray(event?.Records)) {
    runtime.logger.error('event rejected: not an SQS batch');
    return { batchItemFailures: [] };
  }
  const results = await Promise.allSettled(event.Records.map((record) => handleRecord(record, runtime)));
  const batchItemFailures = results.flatMap((result, index) => {
    if (result.status === 'fulfilled') return [];
    const messageId = event.Records[index]?.messageId as string;
    runtime.logger.error('timer failed; SQS will deliver it again', { messageId, error: result.reason });
    return [{ itemIdentifier: messageId }];
  });
  return { batchItemFailures };
}

async function handleRecord(record: SQSRecord, runtime: Runtime): Promise<void> {
  const { logger } = runtime;
  const timer = parseTimer(record.body);
  if (typeof timer === 'string') {
    logger.error('timer message rejected', { messageId: record.messageId, reason: timer });
    return;
  }
  const now = runtime.clock.now();
  if (deliveryTime(timer) - now > 1000) {
    // Longer than SQS's 15-minute delay: hop towards the due time (the message is unchanged), unless
    // its incident has moved on (closed, or a newer timer in its place): each further hop would be
    // a message, and an invocation, only for the timer to be absorbed at its due time.
    const stale = timer.kind === 'breaker' ? undefined : await supersededBy(timer, runtime);
    if (stale) {
      logger.info('timer no longer current; its remaining hops are dropped', { kind: timer.kind, stale });
      return;
    }
    await runtime.timers.schedule(timer, now);
    return;
  }
  if (timer.kind === 'breaker') {
    const runbook = runtime.runbooks.byName(timer.runbook);
    if (!runbook) {
      // Its suppressed incidents were named in the breaker's page; their own checks go on.
      logger.warn('breaker timer of a runbook this deployment no longer has; dropped', {
        runbook: timer.runbook,
      });
      return;
    }
    const outcome = await runtime.gates.onBreakerTimer(runbook, timer);
    logger.info('breaker timer', { runbook: runbook.name, outcome });
    return;
  }
  const found = runtime.runbooks.forIncident(timer.key.runbook);
  if (!found) {
    logger.error('timer rejected: it names no runbook a deployment could have', {
      runbook: timer.key.runbook.slice(0, 64),
    });
    return;
  }
  const { runbook, retired } = found;
  if (retired) {
    logger.warn('timer of an incident whose runbook is no longer deployed; its next step pages', {
      runbook: runbook.name,
    });
  }
  const outcome = await runtime.processor.process(timer.key, runbook, (current) =>
    observe(isIncident(current) ? current : undefined, timer, runtime),
  );
  if (timer.wake) {
    // Woken for a slot or a lease: if it did not take it, the next in line gets it.
    const took =
      outcome.changed && outcome.incident?.id === timer.incidentId && outcome.incident.hold !== undefined;
    await runtime.gates.waitLists.afterWake(runbook, timer, { took, joined: outcome.joined ?? [] });
  }
  if (outcome.changed) return;
  if (!isEarly(timer, outcome.incident?.version, now)) {
    if (!outcome.incident)
      logger.info('timer for an incident that is not stored; dropped', { token: timer.token });
    return;
  }
  // The write that made this timer current is not visible yet (timers are enqueued before their
  // write, and a retry may be due within a second): look again shortly, a bounded number of times,
  // keeping the due time the decision gave it.
  const count = (timer.redelivery?.count ?? 0) + 1;
  if (count > MAX_REDELIVERIES) {
    logger.warn('timer arrived before its write too many times; dropped', { token: timer.token, count });
    return;
  }
  logger.info('timer arrived before its write; it comes back shortly', { token: timer.token, count });
  await runtime.timers.schedule({ ...timer, redelivery: { at: now + redeliveryDelayMs(count), count } }, now);
}

/** The first wait before an early timer is delivered again; it doubles each time, up to a minute. */
export const EARLY_TIMER_RETRY_MS = 5_000;
const EARLY_TIMER_RETRY_CAP_MS = 60_000;
/** How long after its due time an early timer keeps coming back, and how many times at most. */
export const EARLY_TIMER_GRACE_MS = 15 * 60_000;
export const MAX_REDELIVERIES = 20;

/** The wait before the `count`th redelivery of an early timer. */
export function redeliveryDelayMs(count: number): number {
  return Math.min(EARLY_TIMER_RETRY_CAP_MS, EARLY_TIMER_RETRY_MS * 2 ** (count - 1));
}

/**
 * A timer is early when its token names a version of the incident that is not stored yet: the write
 * that schedules a timer (version N, token `<kind>.<attempt>.<due>.<N>`) may land after the timer is
 * due. After the grace period, counted from the due time its decision gave it (never moved by a
 * redelivery), the write is taken as lost, and the timer as stale.
 */
export function isEarly(timer: TimerMessage, storedVersion: number | undefined, now: number): boolean {
  const version = Number(timer.token.split('.').pop());
  if (!Number.isInteger(version)) return false;
  return (storedVersion ?? 0) < version && now - timer.dueAt < EARLY_TIMER_GRACE_MS;
}

/**
 * Why a timer is no longer its incident's, when the stored incident says so for certain: the same
 * incident, written at or after the version that scheduled the timer, with another timer or none.
 * Anything less certain (nothing stored, another incident under the key, an older version: the
 * timer's own write may still land) keeps the timer, and the decider judges it at its due time.
 */
async function supersededBy(timer: TimerMessage, runtime: Runtime): Promise<string | undefined> {
  const record = await runtime.store.load(timer.key);
  if (!isIncident(record) || record.id !== timer.incidentId) return undefined;
  if (isEarly(timer, record.version, runtime.clock.now())) return undefined;
  if (record.timer?.token === timer.token) return undefined;
  return record.timer
    ? `the incident (${record.status}) has a newer timer: ${record.timer.kind}`
    : `the incident is ${record.status}, with no timer`;
}

/** Asks the world what the decision needs to know, only when the timer is current. */
async function observe(
  current: Incident | undefined,
  timer: TimerMessage,
  runtime: Runtime,
): Promise<DecisionInput> {
  const input: TimerInput = { kind: 'timer', timer };
  if (!current || current.id !== timer.incidentId || current.timer?.token !== timer.token) return input;
  // A retry after a backoff looks first: the fault may have cleared since the attempt was judged.
  // (Not a waiting incident's retry: those are many in a storm, and DescribeAlarms is ~9 TPS.)
  const backedOff = timer.kind === 'retry' && current.status === 'backing-off';
  if (timer.kind === 'verify-deadline' || timer.kind === 'check' || timer.kind === 'wake' || backedOff) {
    const reading = await runtime.alarms
      .state(current.alarm.name, current.alarm.contributor?.id)
      .catch((error: unknown) => {
        runtime.logger.warn('DescribeAlarms failed; the alarm state is unknown', { error });
        return undefined;
      });
    if (!reading) return input;
    return {
      ...input,
      observation: {
        alarmState: reading.state,
        ...(reading.at === undefined ? {} : { alarmStateAt: reading.at }),
      },
    };
  }
  const attempt = latestAttempt(current);
  if (timer.kind !== 'reconcile' || current.status !== 'remediating' || !attempt || !current.instanceId)
    return input;
  const diagnosis = attempt.status === 'diagnosing' ? attempt.diagnosis : undefined;
  const commandId = diagnosis ? diagnosis.commandId : attempt.commandId;
  const command = commandId
    ? await runtime.commands.observe(commandId, current.instanceId)
    : await runtime.commands.findByComment(
        current.instanceId,
        diagnosis ? diagnoseCommentFor(current, attempt.number) : commentFor(current, attempt.number),
        diagnosis ? diagnosis.requestedAt : attempt.requestedAt,
      );
  return { ...input, observation: { command } };
}

function parseTimer(body: string): QueuedTimer | string {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return 'the body is not JSON';
  }
  const parsed = queuedTimer.safeParse(json);
  return parsed.success ? parsed.data : describeIssues(parsed.error);
}

/** The Lambda handler, built once per container around a runtime. */
export function createTimerHandler(runtime: Runtime) {
  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(runtime.logger, { resetKeys: true }))
    .use(flushMetrics(runtime.metrics))
    .handler((event) => handleTimers(event, runtime));
}
