import { backoffSeconds } from './backoff.ts';
import type { Effect } from './effects.ts';
import { killSwitch, optInTag, type Refusal, type SafetyFacts } from './gates.ts';
import type { Attempt, CommandResult, Incident, TimerKind } from './incident.ts';
import { latestAttempt } from './incident.ts';
import type { Runbook } from './runbook.ts';
import { planAttempt } from './runbook-choice.ts';

/** The clock, the dice and the runbook: everything outside the incident that a decision reads. */
export interface DecisionContext {
  readonly runbook: Runbook;
  /** Epoch milliseconds. */
  readonly now: number;
  /** A number in [0, 1) for backoff jitter. */
  readonly random: number;
  /** What the safety gates read; absent means nothing is paused. */
  readonly safety?: SafetyFacts;
}

/** A transition in progress: the next incident and the effects it asks for. */
export interface Step {
  readonly incident: Incident;
  readonly effects: readonly Effect[];
}

/** How long the first check waits for SSM to accept a command before asking it directly. */
export const DISPATCH_CHECK_SECONDS = 120;
/** Added to a runbook's timeouts before the timer asks SSM what became of a command. */
export const RECONCILE_MARGIN_SECONDS = 60;
/** How often the timer asks SSM again while a command is still in progress. */
export const RECONCILE_POLL_SECONDS = 300;
/** How long a due page waits before it is sent again. */
export const PAGE_RETRY_SECONDS = 120;
/** History entries kept on an incident. */
export const HISTORY_LIMIT = 50;
/** Output kept on an attempt: the tail of stdout and stderr, where scripts say what they did. */
export const STDOUT_EXCERPT_CHARS = 4000;
export const STDERR_EXCERPT_CHARS = 2000;

/** Appends a line to the incident's story. */
export function note(incident: Incident, at: number, what: string): Incident {
  const history = [...incident.history, { at, what }];
  return { ...incident, history: history.slice(-HISTORY_LIMIT) };
}

/** The SSM Comment of an attempt: it ties a command found in SSM back to its incident. */
export function commentFor(incident: Incident, attempt: number): string {
  return `${incident.id} attempt ${attempt}`.slice(0, 100);
}

/** Sets the incident's one current timer; the token makes every earlier timer stale. */
export function withTimer(step: Step, kind: TimerKind, dueAt: number): Step {
  const { incident } = step;
  const token = `${kind}.${incident.attempts.length}.${incident.version}`;
  const timer = { kind, dueAt, token };
  return {
    incident: { ...incident, timer },
    effects: [
      ...step.effects,
      { kind: 'schedule-timer', timer: { key: incident.key, incidentId: incident.id, ...timer } },
    ],
  };
}

/**
 * Starts the next attempt with the action the runbook plans for it: the command is sent, and a
 * check follows in case SSM never answers. A plan that cannot run pages instead.
 */
export function startAttempt(incident: Incident, ctx: DecisionContext): Step {
  const number = incident.attempts.length + 1;
  const refusal = killSwitch(ctx.safety, ctx.now) ?? optInTag(ctx.safety, ctx.now);
  if (refusal) return refuse(incident, refusal, ctx);
  const plan = planAttempt(ctx.runbook, incident, number);
  if (plan.kind === 'escalate') return escalate(incident, plan.reason, ctx);
  if (ctx.runbook.mode === 'dry-run') return dryRun(incident, number, plan, ctx);
  const attempt: Attempt = {
    number,
    action: plan.action,
    parameters: plan.parameters,
    requestedAt: ctx.now,
    status: 'dispatching',
  };
  const next = note(
    { ...incident, status: 'remediating', attempts: [...incident.attempts, attempt] },
    ctx.now,
    `attempt ${number} of ${ctx.runbook.maxAttempts}: sending ${ctx.runbook.name} action ${plan.action}`,
  );
  const send: Effect = {
    kind: 'send-command',
    key: next.key,
    incidentId: next.id,
    runbook: ctx.runbook.name,
    action: plan.action,
    parameters: plan.parameters,
    instanceId: next.instanceId as string,
    attempt: number,
    comment: commentFor(next, number),
    executionTimeoutSeconds: ctx.runbook.executionTimeoutSeconds,
    deliveryTimeoutSeconds: ctx.runbook.deliveryTimeoutSeconds,
  };
  return withTimer({ incident: next, effects: [send] }, 'reconcile', ctx.now + DISPATCH_CHECK_SECONDS * 1000);
}

/**
 * Dry-run (shadow) mode: the decision is made and recorded, nothing is sent, and a human hears what
 * would have run, since nobody else will act on the alarm.
 */
function dryRun(
  incident: Incident,
  number: number,
  plan: { action: string; parameters: Readonly<Record<string, string>> },
  ctx: DecisionContext,
): Step {
  const attempt: Attempt = {
    number,
    action: plan.action,
    parameters: plan.parameters,
    requestedAt: ctx.now,
    status: 'not-run',
    failure: 'dry-run mode: nothing was sent',
  };
  const shown =
    Object.entries(plan.parameters)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(', ') || 'no parameters';
  return escalate(
    { ...incident, attempts: [...incident.attempts, attempt] },
    `runbook ${ctx.runbook.name} is in dry-run mode: it would have run action ${plan.action} (${shown}); nothing was run`,
    ctx,
  );
}

/** SSM accepted the command: wait for its status event, and ask SSM if none comes. */
export function markRunning(
  incident: Incident,
  attempt: Attempt,
  commandId: string,
  ctx: DecisionContext,
): Step {
  const running = replaceAttempt(incident, { ...attempt, status: 'running', commandId });
  const next = note(running, ctx.now, `attempt ${attempt.number}: SSM accepted command ${commandId}`);
  const dueAt = ctx.now + (ctx.runbook.executionTimeoutSeconds + RECONCILE_MARGIN_SECONDS) * 1000;
  return withTimer({ incident: next, effects: [] }, 'reconcile', dueAt);
}

/** Records a command's final result, then verifies, retries or escalates. */
export function finishAttempt(
  incident: Incident,
  attempt: Attempt,
  commandId: string,
  result: CommandResult,
  ctx: DecisionContext,
): Step {
  const succeeded = result.status === 'Success';
  const recorded: Attempt = {
    ...attempt,
    commandId,
    status: succeeded ? 'succeeded' : 'failed',
    result: excerptResult(result),
    ...(succeeded ? { verification: 'pending' as const } : { failure: describeFailure(result) }),
  };
  const next = note(
    replaceAttempt(incident, recorded),
    ctx.now,
    `attempt ${attempt.number}: command ${commandId} ${describeResult(result)}`,
  );
  if (!succeeded) return afterFailure(next, ctx);
  if (next.alarmState === 'OK') return resolve(next, 'verified', ctx);
  const verifying = note(
    { ...next, status: 'verifying' },
    ctx.now,
    `waiting up to ${ctx.runbook.verifyWindowSeconds}s for alarm ${next.alarm.name} to return to OK`,
  );
  return withTimer(
    { incident: verifying, effects: [] },
    'verify-deadline',
    ctx.now + ctx.runbook.verifyWindowSeconds * 1000,
  );
}

/** Marks the latest attempt as failed for a reason of the system's own (lost, never sent, not verified). */
export function failLatest(incident: Incident, failure: string, ctx: DecisionContext, lost = false): Step {
  const attempt = latestAttempt(incident) as Attempt;
  const status = lost ? 'lost' : attempt.status === 'succeeded' ? 'succeeded' : 'failed';
  const recorded: Attempt = {
    ...attempt,
    status,
    failure,
    ...(attempt.verification === 'pending' ? { verification: 'failed' as const } : {}),
  };
  return afterFailure(
    note(replaceAttempt(incident, recorded), ctx.now, `attempt ${attempt.number}: ${failure}`),
    ctx,
  );
}

/** After a failed attempt: resolved if the alarm cleared anyway, else back off, else page. */
export function afterFailure(incident: Incident, ctx: DecisionContext): Step {
  if (incident.alarmState === 'OK') return resolve(incident, 'cleared', ctx);
  const spent = incident.attempts.length;
  if (spent >= ctx.runbook.maxAttempts) {
    const last = latestAttempt(incident)?.failure ?? 'the last attempt failed';
    return escalate(
      incident,
      `all ${spent} attempt(s) of runbook ${ctx.runbook.name} failed; last: ${last}`,
      ctx,
    );
  }
  const waitSeconds = backoffSeconds(ctx.runbook.backoff, spent + 1, ctx.random);
  const next = note(
    { ...incident, status: 'backing-off' },
    ctx.now,
    `backing off ${waitSeconds}s before attempt ${spent + 1}`,
  );
  return withTimer({ incident: next, effects: [] }, 'retry', ctx.now + waitSeconds * 1000);
}

/** A gate said no: record which and why, and page a human instead of acting. */
export function refuse(incident: Incident, refusal: Refusal, ctx: DecisionContext): Step {
  const refused = { ...incident, refusals: [...(incident.refusals ?? []), refusal] };
  return escalate(refused, `refused by the ${refusal.gate} gate: ${refusal.reason}`, ctx);
}

/** Pages a human, once; the reconcile timer sends the page again if SNS did not take it. */
export function escalate(incident: Incident, reason: string, ctx: DecisionContext): Step {
  const escalated: Incident = {
    ...note(incident, ctx.now, `escalated: ${reason}`),
    status: 'escalated',
    escalation: { at: ctx.now, reason, page: { status: 'due', dueSince: ctx.now } },
  };
  return withTimer(
    { incident: escalated, effects: [{ kind: 'page', page: 'escalation', incident: escalated }] },
    'reconcile',
    ctx.now + PAGE_RETRY_SECONDS * 1000,
  );
}

/** Closes the incident. A human who was paged hears that the alarm cleared. */
export function resolve(incident: Incident, how: 'verified' | 'cleared', ctx: DecisionContext): Step {
  const latest = latestAttempt(incident);
  const attempts =
    how === 'verified' && latest?.verification === 'pending'
      ? replaceAttempt(incident, { ...latest, verification: 'passed' }).attempts
      : incident.attempts;
  const paged = incident.escalation?.page.status === 'sent';
  const { timer: _previous, ...rest } = incident;
  const resolved: Incident = {
    ...note(
      rest,
      ctx.now,
      how === 'verified' ? 'resolved: the alarm is OK after remediation' : 'resolved: the alarm cleared',
    ),
    attempts,
    status: 'resolved',
    closedAt: ctx.now,
    resolution: { at: ctx.now, how, ...(paged ? { page: { status: 'due', dueSince: ctx.now } } : {}) },
  };
  if (!paged) return { incident: resolved, effects: [] };
  return withTimer(
    { incident: resolved, effects: [{ kind: 'page', page: 'resolution', incident: resolved }] },
    'reconcile',
    ctx.now + PAGE_RETRY_SECONDS * 1000,
  );
}

/** The incident with one attempt replaced by its new record. */
export function replaceAttempt(incident: Incident, attempt: Attempt): Incident {
  return { ...incident, attempts: incident.attempts.map((a) => (a.number === attempt.number ? attempt : a)) };
}

function describeResult(result: CommandResult): string {
  const code = result.responseCode === undefined ? '' : ` (exit ${result.responseCode})`;
  return `${result.statusDetails ?? result.status}${code}`;
}

function describeFailure(result: CommandResult): string {
  return `the command ended ${describeResult(result)}`;
}

function excerptResult(result: CommandResult): CommandResult {
  return {
    ...result,
    ...(result.stdout === undefined ? {} : { stdout: tail(result.stdout, STDOUT_EXCERPT_CHARS) }),
    ...(result.stderr === undefined ? {} : { stderr: tail(result.stderr, STDERR_EXCERPT_CHARS) }),
  };
}

/** The last `max` characters of a text, marked when cut. */
export function tail(text: string, max: number): string {
  if (text.length <= max) return text;
  const marker = '[...earlier output cut...]\n';
  return marker + text.slice(text.length - (max - marker.length));
}
