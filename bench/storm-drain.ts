import type { SQSBatchResponse } from 'aws-lambda';
import type { Runbook } from '../functions/core/runbook.ts';
import { createAlarmHandler, type HandlerResult } from '../functions/handlers/alarm-handler.ts';
import { createCommandStatusHandler } from '../functions/handlers/command-status-handler.ts';
import type { Runtime } from '../functions/handlers/runtime.ts';
import { createTimerHandler } from '../functions/handlers/timer-handler.ts';
import { commandInvocationStatusChange, lambdaContext, sqsEvent } from '../local/aws-shapes.ts';
import { alarmEvent, type BenchClock } from './harness.ts';
import { round } from './machine.ts';
import {
  type AlarmOkDelivery,
  PARALLELISM,
  type StatusDelivery,
  type TimerDelivery,
  type World,
} from './storm-world.ts';

/** The storm's second phase: a virtual clock and the modelled world, until nothing is outstanding. */

/** The timer function's SQS batch size, as the stack configures its event source. */
export const TIMER_BATCH = 10;
/** The timer queue's visibility timeout (six times the timer function's 60 s timeout) and receives before its DLQ. */
const VISIBILITY_SECONDS = 360;
const MAX_RECEIVES = 5;
/** Lambda's asynchronous retries of an EventBridge target's invocation: two more tries, then the on-failure destination. */
const ASYNC_RETRIES = 2;
const ASYNC_RETRY_SECONDS = 60;
/** The drain gives up, and reports what is still outstanding, after this much virtual time. */
const DRAIN_LIMIT_SECONDS = 6 * 3600;

/**
 * Delivers every outstanding happening in due order: the clock moves to the whole second of the next
 * one, everything due by then is delivered at once (50 invocations in parallel, timer messages in
 * SQS batches), and what those deliveries set in motion for the same second follows before the clock
 * moves on.
 */
export async function drainToTheEnd(runtime: Runtime, runbook: Runbook, world: World, clock: BenchClock) {
  const onAlarm = createAlarmHandler(runtime);
  const onStatus = createCommandStatusHandler(runtime);
  const onTimer = createTimerHandler(runtime);
  const contexts = {
    alarm: lambdaContext('alarm', 30_000),
    status: lambdaContext('command-status', 30_000),
    timer: lambdaContext('timer', 60_000),
  };
  const invocations = { alarmOk: 0, commandStatus: 0, timerBatches: 0, timerMessages: 0 };
  const outcomes: Record<string, number> = {};
  const timerMessagesByKind: Record<string, number> = {};
  const handlerErrors: string[] = [];
  let maxSlotsInUseSeen = 0;
  let slotSamples = 0;
  const sample = async (): Promise<void> => {
    try {
      const state = await runtime.fleet.read(runbook, undefined, clock.now());
      maxSlotsInUseSeen = Math.max(maxSlotsInUseSeen, state.fleet.slotsInUse);
      slotSamples += 1;
    } catch (error) {
      handlerErrors.push(`slot sample: ${String(error)}`);
    }
  };

  const deliverTimers = async (batch: readonly TimerDelivery[]): Promise<void> => {
    invocations.timerBatches += 1;
    invocations.timerMessages += batch.length;
    const event = sqsEvent(batch.map((d) => d.message.body));
    batch.forEach((d, i) => {
      d.message.receiveCount += 1;
      add(timerMessagesByKind, timerKind(d.message.body));
      const record = event.Records[i];
      if (!record) return;
      record.messageId = d.message.messageId;
      record.attributes.ApproximateReceiveCount = String(d.message.receiveCount);
    });
    let failed: Set<string>;
    try {
      const response = (await onTimer(event, contexts.timer)) as SQSBatchResponse;
      failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    } catch (error) {
      handlerErrors.push(`timer batch: ${String(error)}`);
      failed = new Set(batch.map((d) => d.message.messageId));
    }
    for (const d of batch) {
      if (!failed.has(d.message.messageId)) continue;
      add(outcomes, 'timer: reported failed, SQS delivers it again');
      if (d.message.receiveCount >= MAX_RECEIVES) world.deadLetters.push(d.message);
      else world.due.push({ ...d, at: clock.now() + VISIBILITY_SECONDS * 1000 });
    }
  };

  const deliverEvent = async (happening: StatusDelivery | AlarmOkDelivery): Promise<void> => {
    try {
      let result: HandlerResult;
      if (happening.kind === 'alarm-ok') {
        invocations.alarmOk += 1;
        const event = alarmEvent(happening.instanceId, 'OK', happening.okAt);
        result = (await onAlarm(event, contexts.alarm)) as HandlerResult;
      } else {
        invocations.commandStatus += 1;
        const { command } = happening;
        const event = commandInvocationStatusChange({
          commandId: command.commandId,
          documentName: command.documentName,
          instanceId: command.instanceId,
          requestedAt: command.sentAt,
          status: 'Success',
          at: command.finishAt,
        });
        result = (await onStatus(event, contexts.status)) as HandlerResult;
      }
      add(outcomes, `${happening.kind}: ${result.outcome}`);
    } catch (error) {
      handlerErrors.push(`${happening.kind}: ${String(error)}`);
      if (happening.tries < ASYNC_RETRIES)
        world.due.push({
          ...happening,
          at: clock.now() + ASYNC_RETRY_SECONDS * 1000 * (happening.tries + 1),
          tries: happening.tries + 1,
        });
      else world.undelivered.push(happening);
    }
  };

  clock.freeze();
  const from = clock.now();
  const started = performance.now();
  const sampler = setInterval(() => void sample(), 100);
  let ticks = 0;
  let rounds = 0;
  try {
    for (;;) {
      const due = world.due.peek();
      if (!due) break;
      clock.advanceTo(Math.ceil(due.at / 1000) * 1000);
      if (clock.now() - from > DRAIN_LIMIT_SECONDS * 1000) break;
      ticks += 1;
      for (;;) {
        const happenings = world.due.takeDue(clock.now());
        if (happenings.length === 0) break;
        rounds += 1;
        const jobs: Array<() => Promise<void>> = [];
        let batch: TimerDelivery[] = [];
        for (const happening of happenings) {
          if (happening.kind !== 'timer') {
            jobs.push(() => deliverEvent(happening));
            continue;
          }
          batch.push(happening);
          if (batch.length === TIMER_BATCH) {
            const full = batch;
            jobs.push(() => deliverTimers(full));
            batch = [];
          }
        }
        if (batch.length > 0) {
          const partial = batch;
          jobs.push(() => deliverTimers(partial));
        }
        await inParallel(jobs, PARALLELISM);
        await sample();
      }
    }
  } finally {
    clearInterval(sampler);
  }
  await sample();
  return {
    virtualSeconds: round((clock.now() - from) / 1000, 0),
    wallSeconds: round((performance.now() - started) / 1000, 1),
    ticks,
    rounds,
    invocations,
    outcomes,
    timerMessagesByKind,
    maxSlotsInUseSeen,
    slotSamples,
    outstanding: world.due.size,
    lost: world.deadLetters.length + world.undelivered.length,
    deadLetteredTimers: world.deadLetters.map((m) => m.body),
    undeliveredEvents: world.undelivered.map((h) =>
      h.kind === 'alarm-ok' ? `alarm OK ${h.instanceId}` : `status ${h.command.commandId}`,
    ),
    handlerErrors: handlerErrors.length,
    handlerErrorSamples: handlerErrors.slice(0, 10),
  };
}

/** Runs jobs with at most `parallelism` at once. */
export async function inParallel(
  jobs: ReadonlyArray<() => Promise<void>>,
  parallelism: number,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallelism, jobs.length) }, async () => {
      for (;;) {
        const job = jobs[next++];
        if (!job) return;
        await job();
      }
    }),
  );
}

// --- The proof -----------------------------------------------------------------------------------

export function add(counts: Record<string, number>, key: string, n = 1): void {
  counts[key] = (counts[key] ?? 0) + n;
}

/** A timer message's kind; a wake-up (a waiter's retry sent at once by what was given back) is told apart. */
export function timerKind(body: string): string {
  try {
    const timer = JSON.parse(body);
    return timer.wake ? `${timer.kind} (wake-up)` : String(timer.kind);
  } catch {
    return 'malformed';
  }
}
