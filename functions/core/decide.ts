import type { Effect } from './effects.ts';
import { remediationEvents } from './events.ts';
import { cooldown } from './gates.ts';
import { incidentIdFor, incidentKeyFor } from './identity.ts';
import type { Attempt, Incident } from './incident.ts';
import { isOpen, latestAttempt } from './incident.ts';
import type {
  AlarmInput,
  CommandFinishedInput,
  CommandObservation,
  DecisionInput,
  PageSentInput,
  TimerInput,
} from './inputs.ts';
import { alarmFacts, resolveParameters } from './runbook-choice.ts';
import {
  commentFor,
  type DecisionContext,
  diagnoseCommentFor,
  escalate,
  failLatest,
  finishAttempt,
  finishDiagnosis,
  markDiagnosing,
  markRunning,
  note,
  PAGE_RETRY_SECONDS,
  RECONCILE_MARGIN_SECONDS,
  RECONCILE_POLL_SECONDS,
  refuse,
  resolve,
  type Step,
  startAttempt,
  withTimer,
} from './transitions.ts';

export type { DecisionContext } from './transitions.ts';

/** The outcome of one decision. */
export type Decision =
  | { readonly changed: true; readonly incident: Incident; readonly effects: readonly Effect[] }
  | { readonly changed: false; readonly incident: Incident | undefined; readonly reason: string };

/**
 * The incident lifecycle as a pure function: given the stored incident (or none), one input, the
 * runbook and the time, it returns the next incident and the effects to carry out. No SDK, no clock.
 *
 * An input that does not fit the state (a duplicate, a stale timer, an out-of-order alarm state) is
 * absorbed: `changed: false` with the reason, and nothing to write or do. Together with the store's
 * conditional write on `version`, this is what makes every handler idempotent.
 */
export function decide(current: Incident | undefined, input: DecisionInput, ctx: DecisionContext): Decision {
  const working = current && { ...current, version: current.version + 1, updatedAt: ctx.now };
  const outcome = route(current, working, input, ctx);
  if (typeof outcome === 'string') return { changed: false, incident: current, reason: outcome };
  const incident = settle(outcome.incident);
  return {
    changed: true,
    incident,
    effects: [...outcome.effects, ...remediationEvents(current, incident, ctx.now)],
  };
}

/**
 * What the status implies, applied once for every transition: only an attempt being run or verified
 * holds the lease, a slot and its budget (leaving those states gives them back), and only a waiting
 * incident has a wait start.
 */
function settle(incident: Incident): Incident {
  const holds = incident.status === 'remediating' || incident.status === 'verifying';
  const { hold, waitingSince, ...rest } = incident;
  return {
    ...rest,
    ...(hold && holds ? { hold } : {}),
    ...(waitingSince !== undefined && incident.status === 'waiting' ? { waitingSince } : {}),
  };
}

type Outcome = Step | string;

function route(
  current: Incident | undefined,
  working: Incident | undefined,
  input: DecisionInput,
  ctx: DecisionContext,
): Outcome {
  switch (input.kind) {
    case 'alarm':
      return onAlarm(current, working, input, ctx);
    case 'command-sent': {
      const attempt =
        working && isOpen(working) ? working.attempts.find((a) => a.number === input.attempt) : undefined;
      if (input.phase === 'diagnose') {
        if (!working || attempt?.status !== 'diagnosing' || attempt.diagnosis?.status !== 'dispatching')
          return 'the diagnose command of this attempt is already recorded';
        return markDiagnosing(working, attempt, input.commandId, ctx, true);
      }
      if (!working || attempt?.status !== 'dispatching')
        return 'the command of this attempt is already recorded';
      return markRunning(working, attempt, input.commandId, ctx, true);
    }
    case 'command-not-sent': {
      const attempt = working && latestAttempt(working);
      if (input.phase === 'diagnose') {
        if (!working || attempt?.number !== input.attempt || attempt.diagnosis?.status !== 'dispatching')
          return 'the diagnose command is no longer waiting to be sent';
        return finishDiagnosis(
          working,
          attempt,
          { failure: `SSM did not accept the diagnose command: ${input.error}` },
          ctx,
        );
      }
      if (!working || attempt?.number !== input.attempt || attempt.status !== 'dispatching') {
        return 'the attempt is no longer waiting to be sent';
      }
      return failLatest(working, `SSM did not accept the command: ${input.error}`, ctx);
    }
    case 'command-finished':
      return onCommandFinished(working, input, ctx);
    case 'timer':
      return onTimer(working, input, ctx);
    case 'page-sent':
      return onPageSent(working, input);
  }
}

function onAlarm(
  current: Incident | undefined,
  working: Incident | undefined,
  input: AlarmInput,
  ctx: DecisionContext,
): Outcome {
  const { alarm, target } = input;
  const at = new Date(alarm.stateAt).toISOString();
  if (current && working && alarm.stateAt <= current.alarmStateAt) {
    return `alarm state ${alarm.state} of ${at} is not newer than the one recorded: duplicate or out of order`;
  }
  if (!working || !isOpen(working)) {
    if (alarm.state !== 'ALARM') return `alarm went ${alarm.state} with no open incident`;
    const key = incidentKeyFor(ctx.runbook.name, alarm, target);
    const facts = alarmFacts(alarm);
    const resolved = resolveParameters(ctx.runbook, facts);
    const opened: Incident = note(
      {
        id: incidentIdFor(key, alarm.stateAt),
        key,
        ...(target.kind === 'instance' ? { instanceId: target.instanceId } : {}),
        alarm: {
          name: alarm.alarmName,
          arn: alarm.alarmArn,
          account: alarm.account,
          region: alarm.region,
          reason: alarm.reason,
          ...facts,
        },
        ...('parameters' in resolved ? { parameters: resolved.parameters } : {}),
        status: 'remediating',
        alarmState: 'ALARM',
        alarmStateAt: alarm.stateAt,
        openedAt: ctx.now,
        updatedAt: ctx.now,
        attempts: [],
        history: [],
        version: (current?.version ?? 0) + 1,
      },
      ctx.now,
      `alarm ${alarm.alarmName} went ALARM at ${at}: ${alarm.reason}`.slice(0, 500),
    );
    if (target.kind === 'none')
      return escalate(opened, `no single instance to act on: ${target.reason}`, ctx);
    if ('problem' in resolved) return escalate(opened, `not remediated: ${resolved.problem}`, ctx);
    const flapping = cooldown(current, ctx.runbook, ctx.now);
    if (flapping) return refuse(opened, flapping, ctx);
    return startAttempt(opened, ctx);
  }
  const next = note(
    { ...working, alarmState: alarm.state, alarmStateAt: alarm.stateAt },
    ctx.now,
    `alarm went ${alarm.state} at ${at}`,
  );
  if (alarm.state !== 'OK') return { incident: next, effects: [] };
  switch (next.status) {
    case 'remediating':
      return {
        incident: note(next, ctx.now, 'the alarm is OK before the command finished; waiting for its result'),
        effects: [],
      };
    case 'verifying':
      return resolve(next, 'verified', ctx);
    default:
      return resolve(next, 'cleared', ctx);
  }
}

function onCommandFinished(
  working: Incident | undefined,
  input: CommandFinishedInput,
  ctx: DecisionContext,
): Outcome {
  const diagnosing = working && diagnosingAttempt(working, input.commandId, input.result.comment);
  if (working && diagnosing) {
    return finishDiagnosis(working, diagnosing, { commandId: input.commandId, result: input.result }, ctx);
  }
  const attempt = working && findAttempt(working, input.commandId, input.result.comment);
  if (!working || !attempt) return `command ${input.commandId} belongs to no attempt of this incident`;
  if (attempt.status !== 'dispatching' && attempt.status !== 'running') {
    return `the result of command ${input.commandId} is already recorded`;
  }
  return finishAttempt(working, attempt, input.commandId, input.result, ctx);
}

/** The attempt whose diagnose command this is, while it is diagnosing (by id, or by Comment before `command-sent`). */
function diagnosingAttempt(
  incident: Incident,
  commandId: string,
  comment: string | undefined,
): Attempt | undefined {
  const latest = latestAttempt(incident);
  if (latest?.status !== 'diagnosing' || !latest.diagnosis) return undefined;
  if (latest.diagnosis.commandId === commandId) return latest;
  const unsent = latest.diagnosis.status === 'dispatching';
  return unsent && comment === diagnoseCommentFor(incident, latest.number) ? latest : undefined;
}

/** The attempt a command belongs to: by id, or by its Comment when the status event beat `command-sent`. */
function findAttempt(
  incident: Incident,
  commandId: string,
  comment: string | undefined,
): Attempt | undefined {
  const byId = incident.attempts.find((a) => a.commandId === commandId);
  if (byId) return byId;
  const latest = latestAttempt(incident);
  if (latest?.status === 'dispatching' && comment === commentFor(incident, latest.number)) return latest;
  return undefined;
}

function onTimer(working: Incident | undefined, input: TimerInput, ctx: DecisionContext): Outcome {
  const { timer, observation } = input;
  if (!working || working.id !== timer.incidentId || working.timer?.token !== timer.token) {
    return `timer ${timer.kind} (${timer.token}) is stale`;
  }
  if (timer.kind === 'retry') {
    return working.status === 'backing-off' || working.status === 'waiting'
      ? startAttempt(working, ctx)
      : 'no attempt is waiting to be retried';
  }
  if (timer.kind === 'verify-deadline') {
    if (working.status !== 'verifying') return 'nothing is being verified';
    if (observation?.alarmState === 'OK') {
      return resolve(
        note({ ...working, alarmState: 'OK' }, ctx.now, 'DescribeAlarms reports the alarm OK'),
        'verified',
        ctx,
      );
    }
    return failLatest(
      working,
      `the alarm was still in ${observation?.alarmState ?? working.alarmState} ${ctx.runbook.verifyWindowSeconds}s after the command succeeded`,
      ctx,
    );
  }
  return reconcile(working, input, ctx);
}

/** The timer's check: what became of the command, or of a page SNS did not take. */
function reconcile(working: Incident, input: TimerInput, ctx: DecisionContext): Outcome {
  if (working.status === 'escalated' || working.status === 'resolved') {
    const page = working.status === 'escalated' ? working.escalation?.page : working.resolution?.page;
    if (page?.status !== 'due') return 'no page is waiting to be sent';
    const kind = working.status === 'escalated' ? 'escalation' : 'resolution';
    const step: Step = {
      incident: note(working, ctx.now, `sending the ${kind} page again: SNS has not confirmed it`),
      effects: [{ kind: 'page', page: kind, incident: working }],
    };
    return withTimer(step, 'reconcile', ctx.now + PAGE_RETRY_SECONDS * 1000);
  }
  const attempt = latestAttempt(working);
  if (working.status !== 'remediating' || !attempt) return 'no command is waiting for a result';
  const seen = input.observation?.command;
  if (attempt.status === 'diagnosing') return reconcileDiagnosis(working, attempt, seen, ctx);
  if (seen?.kind === 'finished') return finishAttempt(working, attempt, seen.commandId, seen.result, ctx);
  if (attempt.status === 'dispatching') {
    if (seen?.kind === 'in-progress') return markRunning(working, attempt, seen.commandId, ctx);
    return failLatest(working, `SSM has no command for this attempt ${DISPATCH_WORDS}`, ctx, true);
  }
  if (seen?.kind === 'not-found')
    return failLatest(working, `SSM has no invocation of command ${attempt.commandId}`, ctx, true);
  const { executionTimeoutSeconds, deliveryTimeoutSeconds } = ctx.runbook;
  const hardDeadline =
    attempt.requestedAt +
    (executionTimeoutSeconds + deliveryTimeoutSeconds + RECONCILE_MARGIN_SECONDS) * 1000;
  if (ctx.now >= hardDeadline) {
    return failLatest(
      working,
      `no result from SSM for command ${attempt.commandId} by its deadline`,
      ctx,
      true,
    );
  }
  const next = note(
    working,
    ctx.now,
    `command ${attempt.commandId} still in progress; asking SSM again later`,
  );
  return withTimer(
    { incident: next, effects: [] },
    'reconcile',
    Math.min(ctx.now + RECONCILE_POLL_SECONDS * 1000, hardDeadline),
  );
}

const DISPATCH_WORDS = '(the send was interrupted or refused)';

/** The timer's check on a diagnose command: adopt its result, wait for it, or go on without it. */
function reconcileDiagnosis(
  working: Incident,
  attempt: Attempt,
  seen: CommandObservation | undefined,
  ctx: DecisionContext,
): Outcome {
  const diagnosis = attempt.diagnosis as NonNullable<Attempt['diagnosis']>;
  if (seen?.kind === 'finished')
    return finishDiagnosis(working, attempt, { commandId: seen.commandId, result: seen.result }, ctx);
  if (diagnosis.status === 'dispatching') {
    if (seen?.kind === 'in-progress') return markDiagnosing(working, attempt, seen.commandId, ctx);
    return finishDiagnosis(
      working,
      attempt,
      { failure: `SSM has no diagnose command ${DISPATCH_WORDS}` },
      ctx,
    );
  }
  if (seen?.kind === 'not-found') {
    const failure = `SSM has no invocation of diagnose command ${diagnosis.commandId}`;
    return finishDiagnosis(working, attempt, { failure }, ctx);
  }
  // In progress, or nothing observed: a running diagnosis is waited for until its deadline, as a remedy is.
  const { executionTimeoutSeconds, deliveryTimeoutSeconds } = ctx.runbook;
  const deadline =
    diagnosis.requestedAt +
    (executionTimeoutSeconds + deliveryTimeoutSeconds + RECONCILE_MARGIN_SECONDS) * 1000;
  if (ctx.now >= deadline)
    return finishDiagnosis(
      working,
      attempt,
      { failure: 'no result from SSM for the diagnose command by its deadline' },
      ctx,
    );
  return withTimer(
    {
      incident: note(working, ctx.now, 'diagnose command still in progress; asking SSM again later'),
      effects: [],
    },
    'reconcile',
    Math.min(ctx.now + RECONCILE_POLL_SECONDS * 1000, deadline),
  );
}

function onPageSent(working: Incident | undefined, input: PageSentInput): Outcome {
  const page = input.page === 'escalation' ? working?.escalation : working?.resolution;
  if (!working || !page?.page || page.page.status !== 'due')
    return `the ${input.page} page is already recorded`;
  const sent = { ...page.page, status: 'sent' as const, messageId: input.messageId };
  return input.page === 'escalation' && working.escalation
    ? { incident: { ...working, escalation: { ...working.escalation, page: sent } }, effects: [] }
    : {
        incident: {
          ...working,
          resolution: { ...(working.resolution as NonNullable<Incident['resolution']>), page: sent },
        },
        effects: [],
      };
}
