import { backoffSeconds } from './backoff.ts';
import type { Effect } from './effects.ts';
import {
  autoDisableGate,
  breakerGate,
  budgetGate,
  budgetHour,
  concurrencyGate,
  type FleetFacts,
  killSwitch,
  leaseGate,
  modeNow,
  optInTag,
  type Refusal,
  type SafetyFacts,
  settleEndsAt,
  settleGate,
} from './gates.ts';
import type {
  Attempt,
  CommandResult,
  Diagnosis,
  Hold,
  Incident,
  PageState,
  ProbeRecord,
  Proposal,
  TimerKind,
} from './incident.ts';
import { latestAttempt } from './incident.ts';
import { judgeProbe } from './probe.ts';
import { DIAGNOSE_ACTION, pageWithinSecondsOf, type Runbook } from './runbook.ts';
import { type AttemptPlan, planAction, planAttempt } from './runbook-choice.ts';
import { fallbackDueAt, waitDeadline, waitListFor } from './wait-lists.ts';

/** The clock, the dice and the runbook: everything outside the incident that a decision reads. */
export interface DecisionContext {
  readonly runbook: Runbook;
  /** Epoch milliseconds. */
  readonly now: number;
  /** A number in [0, 1) for backoff jitter. */
  readonly random: number;
  /** What the safety gates read; absent means nothing is paused. */
  readonly safety?: SafetyFacts;
  /** How often an escalated or suppressed incident asks CloudWatch for its alarm's state (default {@link CHECK_SECONDS}). */
  readonly checkSeconds?: number;
  /**
   * Whether an alarm that would open an incident on an instance without the opt-in tag pages (as a
   * refusal of the opt-in gate) instead of being left alone as not this deployment's. @default false
   */
  readonly pageUnmanagedInstances?: boolean;
}

/** The slow check's default interval: hourly. */
export const CHECK_SECONDS = 3600;

/** Schedules the slow check of an incident waiting on a human or a breaker. */
export function withCheck(step: Step, ctx: DecisionContext): Step {
  return withTimer(step, 'check', ctx.now + (ctx.checkSeconds ?? CHECK_SECONDS) * 1000);
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

/**
 * Sets the incident's one current timer; the token makes every earlier timer stale. It names the
 * version whose write schedules it (last, for the timer handler's early check) and its due time, so
 * that a timer enqueued by a decision whose write never landed can never share the token of a later
 * decision that reaches the same version and attempt.
 */
export function withTimer(step: Step, wanted: TimerKind, wantedAt: number): Step {
  const { incident } = step;
  // While automation works alone, no timer is set beyond the page-by deadline: that deadline takes
  // its place, and its transition pages (and sets the timer the work in hand still needs).
  const deadline = pageByApplies(incident) ? (incident.pageBy as number) : undefined;
  // A deadline already past (a timer delivered late) fires as soon as a timer can: a second on.
  const [kind, dueAt]: [TimerKind, number] =
    deadline !== undefined && wantedAt >= deadline
      ? ['page-by', Math.max(deadline, incident.updatedAt + 1000)]
      : [wanted, wantedAt];
  const token = `${kind}.${incident.attempts.length}.${dueAt}.${incident.version}`;
  const timer = { kind, dueAt, token };
  return {
    incident: { ...incident, timer },
    effects: [
      ...step.effects,
      { kind: 'schedule-timer', timer: { key: incident.key, incidentId: incident.id, ...timer } },
    ],
  };
}

/** The states in which automation works on an incident alone, and so owes a human a page by its deadline. */
const AUTOMATION_ALONE: ReadonlySet<Incident['status']> = new Set([
  'remediating',
  'verifying',
  'backing-off',
  'waiting',
]);

/**
 * Whether the page-by deadline still stands for the incident: automation works on it alone (no
 * person asked for the attempt in hand, nobody was paged in this episode), and the fault is not
 * known fixed (a probe that read healthy, awaiting the alarm's OK).
 */
export function pageByApplies(incident: Incident): boolean {
  if (incident.pageBy === undefined || !AUTOMATION_ALONE.has(incident.status)) return false;
  if (incident.escalation || incident.owner) return false;
  const latest = latestAttempt(incident);
  if (latest?.by) return false;
  return !(latest?.fixedAt !== undefined && latest.verification === 'pending');
}

/** The deadline of a new episode (or of one whose instance just finished its settle time). */
export function pageByFrom(from: number, ctx: DecisionContext): number {
  return from + pageWithinSecondsOf(ctx.runbook) * 1000;
}

/**
 * Starts the next attempt with the action the runbook plans for it: the command is sent, and a
 * check follows in case SSM never answers. The safety gates are asked first, in order: the kill
 * switch and the opt-in tag (page), the instance's settle time (wait), the fleet breaker
 * (suppress), dry-run (page with what would have run), the hourly budget (page), the instance's
 * lease and the concurrency limit (wait). In approve mode, a decision every gate allows is paged as
 * a proposal instead of sent (see {@link propose}).
 */
export function startAttempt(waited: Incident, ctx: DecisionContext): Step {
  const number = waited.attempts.length + 1;
  const refusal = killSwitch(ctx.safety, ctx.now) ?? optInTag(ctx.safety, ctx.now);
  if (refusal) return refuse(waited, refusal, ctx);
  // The settle time comes after the kill switch and the opt-in tag (a pause or an instance that is
  // not ours is said at once, whatever its age) and before every other gate: an instance still
  // warming up is not a fault yet, so nothing is planned for it, no group page names it, no dry-run
  // page tells what would have run, and no budget, lease or slot is taken. The breaker still counts
  // its alarm: it counts alarms as they arrive, in the handler, before any decision. Once the settle
  // time ends the retry asks every gate again.
  const settling = settleGate(ctx.safety, ctx.now);
  if (settling) return settleWait(waited, settling, ctx);
  const incident = withInstance(settledFrom(waited), ctx);
  const breaker = breakerGate(ctx.safety, ctx.now);
  if (breaker) return suppress(incident, breaker, ctx);
  const plan = planAttempt(ctx.runbook, incident, number, ctx.safety?.optIn?.tags);
  if (plan.kind === 'escalate')
    return plan.parameter
      ? refuse(incident, { gate: 'parameter', reason: plan.reason, at: ctx.now }, ctx)
      : escalate(incident, plan.reason, ctx);
  const disabled = autoDisableGate(ctx.safety, ctx.now);
  if (disabled) return dryRun(withRefusal(incident, disabled), number, plan, ctx);
  const mode = modeNow(ctx.runbook, ctx.safety);
  if (mode === 'dry-run') return dryRun(incident, number, plan, ctx);
  const fleet = ctx.safety?.fleet;
  if (fleet) {
    const overBudget = budgetGate(fleet, ctx.runbook, ctx.now);
    if (overBudget) return refuse(incident, overBudget, ctx);
    const busy = leaseGate(fleet, incident, ctx.now) ?? concurrencyGate(fleet, ctx.runbook, ctx.now);
    if (busy) return waitFor(incident, busy, ctx);
  }
  if (mode === 'approve') return propose(incident, number, plan, ctx);
  return launch(incident, number, plan, ctx);
}

/**
 * Sends attempt `number` with `plan`: its diagnose script first when it is the first attempt and
 * the runbook has one, else the action. The gates were asked; the hold is taken with the write.
 */
function launch(
  incident: Incident,
  number: number,
  plan: { readonly action: string; readonly parameters: Readonly<Record<string, string>> },
  ctx: DecisionContext,
  by?: string,
): Step {
  const fleet = ctx.safety?.fleet;
  const diagnoseFirst = ctx.runbook.diagnose !== undefined && number === 1 && plan.action !== DIAGNOSE_ACTION;
  const attempt: Attempt = {
    number,
    ...(by ? { by } : {}),
    action: plan.action,
    parameters: plan.parameters,
    requestedAt: ctx.now,
    status: diagnoseFirst ? 'diagnosing' : 'dispatching',
    ...(diagnoseFirst ? { diagnosis: { requestedAt: ctx.now, status: 'dispatching' as const } } : {}),
  };
  const { waitingSince: _waited, ...rest } = incident;
  const started = {
    ...rest,
    status: 'remediating' as const,
    attempts: [...incident.attempts, attempt],
    ...(fleet ? { hold: holdFor(incident, number, fleet, ctx) } : {}),
  };
  const who = by ? ` (asked by ${by})` : '';
  if (diagnoseFirst) {
    const next = note(
      started,
      ctx.now,
      `attempt ${number} of ${ctx.runbook.maxAttempts}${who}: diagnosing first (${ctx.runbook.diagnose}), then ${plan.action}`,
    );
    const send = commandEffect(next, attempt, DIAGNOSE_ACTION, ctx, 'diagnose');
    return withTimer(
      { incident: next, effects: [send] },
      'reconcile',
      ctx.now + DISPATCH_CHECK_SECONDS * 1000,
    );
  }
  const next = note(
    started,
    ctx.now,
    `attempt ${number} of ${ctx.runbook.maxAttempts}${who}: sending ${ctx.runbook.name} action ${plan.action}`,
  );
  const send = commandEffect(next, attempt, plan.action, ctx);
  return withTimer({ incident: next, effects: [send] }, 'reconcile', ctx.now + DISPATCH_CHECK_SECONDS * 1000);
}

/** What a person asked to run: the runbook's next plan (`retry`), a named action (`run`), or an approved proposal. */
export type HumanAsk =
  | { readonly kind: 'retry' }
  | { readonly kind: 'run'; readonly action: string }
  | { readonly kind: 'proposal'; readonly proposal: Proposal };

/**
 * An attempt a person asked for, through the same gates as automation's own. Any gate that would
 * not let it start now (one that would wait included) refuses it, with the reason, and nothing
 * changes: the person hears why at once and can ask again. An approved proposal runs exactly as
 * proposed, or not at all: if the runbook would now plan something else, it is refused.
 */
export function humanStart(
  incident: Incident,
  ctx: DecisionContext,
  by: string,
  ask: HumanAsk,
): Step | string {
  const number = incident.attempts.length + 1;
  const gate =
    killSwitch(ctx.safety, ctx.now) ??
    optInTag(ctx.safety, ctx.now) ??
    settleGate(ctx.safety, ctx.now) ??
    breakerGate(ctx.safety, ctx.now) ??
    autoDisableGate(ctx.safety, ctx.now);
  if (gate) return `refused by the ${gate.gate} gate: ${gate.reason}`;
  if (modeNow(ctx.runbook, ctx.safety) === 'dry-run')
    return `runbook ${ctx.runbook.name} is in dry-run mode: nothing runs`;
  if (!incident.instanceId) return 'the alarm names no single instance to run on';
  const tags = ctx.safety?.optIn?.tags;
  const plan: AttemptPlan =
    ask.kind === 'run'
      ? planAction(ctx.runbook, incident, ask.action, tags)
      : planAttempt(ctx.runbook, incident, number, tags);
  if (plan.kind === 'escalate') return plan.reason;
  if (ask.kind === 'proposal') {
    const same =
      plan.action === ask.proposal.action &&
      sameParameters(plan.parameters, ask.proposal.parameters) &&
      ask.proposal.attempt === number &&
      ask.proposal.instanceId === incident.instanceId;
    if (!same)
      return `the runbook would now run ${plan.action} (${shownParameters(plan.parameters)}), not what ${ask.proposal.id} proposed; nothing was run`;
  }
  const fleet = ctx.safety?.fleet;
  if (fleet) {
    const refusal =
      budgetGate(fleet, ctx.runbook, ctx.now) ??
      leaseGate(fleet, incident, ctx.now) ??
      concurrencyGate(fleet, ctx.runbook, ctx.now);
    if (refusal) return `refused by the ${refusal.gate} gate: ${refusal.reason}; ask again later`;
  }
  const { refusals: _before, ...rest } = withInstance(settledFrom(incident), ctx);
  const from = incident.refusals ? { ...rest, refusals: incident.refusals } : rest;
  return launch(from, number, plan, ctx, by);
}

/** The instance's Name tag and zone, as the gates read them, kept for the pages. */
function withInstance(incident: Incident, ctx: DecisionContext): Incident {
  const optIn = ctx.safety?.optIn;
  if (!optIn || (optIn.name === undefined && optIn.zone === undefined)) return incident;
  return {
    ...incident,
    instance: {
      ...(optIn.name !== undefined ? { name: optIn.name.slice(0, 256) } : {}),
      ...(optIn.zone !== undefined ? { zone: optIn.zone.slice(0, 64) } : {}),
    },
  };
}

/** Whether two sets of parameter values are the same, whatever their order. */
function sameParameters(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

/** Parameters as a person reads them: `service="app", path="/"`. */
export function shownParameters(parameters: Readonly<Record<string, string>>): string {
  return (
    Object.entries(parameters)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(', ') || 'no parameters'
  );
}

/**
 * Approve mode: every gate allowed the attempt, and instead of sending it the incident pages a
 * proposal (this action, these parameters, this instance) and waits. Nothing is held meanwhile: an
 * approval asks every gate again. Unanswered, the proposal expires and pages as expired.
 */
function propose(
  incident: Incident,
  number: number,
  plan: { readonly action: string; readonly parameters: Readonly<Record<string, string>> },
  ctx: DecisionContext,
): Step {
  const expiresAt = ctx.now + ctx.runbook.approveWithinSeconds * 1000;
  const proposal: Proposal = {
    id: `${incident.id}/p${number}`,
    attempt: number,
    action: plan.action,
    parameters: plan.parameters,
    instanceId: incident.instanceId as string,
    proposedAt: ctx.now,
    expiresAt,
    page: { status: 'due', dueSince: ctx.now },
  };
  const { waitingSince: _since, ...rest } = incident;
  const next = note(
    { ...rest, status: 'awaiting-approval', proposal },
    ctx.now,
    `approve mode: proposing ${ctx.runbook.name} action ${plan.action} (${shownParameters(plan.parameters)}) on ${proposal.instanceId} as attempt ${number}; nothing runs unless a person approves ${proposal.id} before ${new Date(expiresAt).toISOString()}`,
  );
  return withTimer(
    { incident: next, effects: [{ kind: 'page', page: 'proposal', incident: next }] },
    'reconcile',
    Math.min(expiresAt, ctx.now + PAGE_RETRY_SECONDS * 1000),
  );
}

/**
 * A person holds the incident now (took it, denied its proposal, ran an action by hand): automation
 * stands down, the alarm's OK still closes it, and its slow check goes on. A page of its own, if it
 * had one, stays the page the OK answers; otherwise the person is the one told.
 */
export function handOver(incident: Incident, by: string, reason: string, ctx: DecisionContext): Step {
  const page: PageState = incident.escalation?.page ?? {
    status: 'sent',
    dueSince: ctx.now,
    covered: 'person',
  };
  const next: Incident = {
    ...note(incident, ctx.now, reason),
    status: 'escalated',
    escalation: { at: ctx.now, reason, page, takenBy: by },
  };
  if (page.status === 'due')
    return withTimer({ incident: next, effects: [] }, 'reconcile', ctx.now + PAGE_RETRY_SECONDS * 1000);
  return withCheck({ incident: next, effects: [] }, ctx);
}

/** The SSM Comment of an attempt's diagnose command. */
export function diagnoseCommentFor(incident: Incident, attempt: number): string {
  return `${incident.id} attempt ${attempt} diagnose`.slice(0, 100);
}

function commandEffect(
  incident: Incident,
  attempt: Attempt,
  action: string,
  ctx: DecisionContext,
  phase?: 'diagnose',
): Effect {
  return {
    kind: 'send-command',
    key: incident.key,
    incidentId: incident.id,
    runbook: ctx.runbook.name,
    action,
    parameters: attempt.parameters ?? {},
    instanceId: incident.instanceId as string,
    attempt: attempt.number,
    ...(phase ? { phase } : {}),
    comment: phase ? diagnoseCommentFor(incident, attempt.number) : commentFor(incident, attempt.number),
    executionTimeoutSeconds: ctx.runbook.executionTimeoutSeconds,
    deliveryTimeoutSeconds: ctx.runbook.deliveryTimeoutSeconds,
  };
}

/** SSM accepted the diagnose command: wait for its result, and ask SSM if none comes (see {@link markRunning}). */
export function markDiagnosing(
  incident: Incident,
  attempt: Attempt,
  commandId: string,
  ctx: DecisionContext,
  sentNow = false,
): Step {
  const diagnosis = { ...(attempt.diagnosis as Diagnosis), status: 'running' as const, commandId };
  const next = note(
    replaceAttempt(incident, { ...attempt, diagnosis }),
    ctx.now,
    `attempt ${attempt.number}: SSM accepted diagnose command ${commandId}`,
  );
  return checkCommandLater(next, sentNow, ctx);
}

/**
 * The check on a command SSM accepted. A command accepted by the invocation that sent it already
 * has one pending: the send's own check (due {@link DISPATCH_CHECK_SECONDS} after the send). When
 * that is due no later than the command's deadline, it stands for the deadline's check as well: a
 * command that finishes before it (most do) needs no second timer, and one still running then is
 * polled until its deadline, as a late command always was. Otherwise (the check is the one firing
 * now, or a short command's deadline comes first) the check is scheduled at the deadline.
 */
function checkCommandLater(next: Incident, sentNow: boolean, ctx: DecisionContext): Step {
  const dueAt = ctx.now + (ctx.runbook.executionTimeoutSeconds + RECONCILE_MARGIN_SECONDS) * 1000;
  const pending = next.timer;
  if (sentNow && pending?.kind === 'reconcile' && pending.dueAt > ctx.now && pending.dueAt <= dueAt) {
    return { incident: next, effects: [] };
  }
  return withTimer({ incident: next, effects: [] }, 'reconcile', dueAt);
}

/**
 * The diagnosis is over (finished, refused or lost): its output is kept with the attempt, and the
 * remedy is sent at once. The gates were asked, and the hold taken, when the attempt started.
 */
export function finishDiagnosis(
  incident: Incident,
  attempt: Attempt,
  outcome: { readonly commandId?: string; readonly result?: CommandResult; readonly failure?: string },
  ctx: DecisionContext,
): Step {
  const before = attempt.diagnosis as Diagnosis;
  const diagnosis: Diagnosis = {
    requestedAt: before.requestedAt,
    status: outcome.result ? 'finished' : 'failed',
    ...((outcome.commandId ?? before.commandId) ? { commandId: outcome.commandId ?? before.commandId } : {}),
    ...(outcome.result ? { result: excerptResult(outcome.result) } : {}),
    ...(outcome.failure ? { failure: outcome.failure } : {}),
  };
  const said = outcome.result ? describeResult(outcome.result) : (outcome.failure ?? 'no result');
  if (incident.alarmState === 'OK') {
    // The alarm cleared while the diagnosis ran: no remedy is sent for a fault nobody sees any more.
    const withdrawn: Attempt = {
      ...attempt,
      diagnosis,
      status: 'withdrawn',
      failure: `the alarm cleared during the diagnosis; action ${attempt.action} was not sent`,
    };
    const next = note(
      replaceAttempt(incident, withdrawn),
      ctx.now,
      `attempt ${attempt.number}: diagnosis ${said}; the alarm is OK since ${new Date(incident.alarmStateAt).toISOString()}, so ${ctx.runbook.name} action ${attempt.action} is not sent`,
    );
    return resolve(next, 'cleared', ctx);
  }
  const hold = incident.hold;
  if (hold && hold.expiresAt - ctx.now < remedySeconds(ctx.runbook) * 1000) {
    // The diagnosis result came late (its events lost, its checks delayed): the instance's lease
    // lapses before the remedy could finish, and may already be another remediation's. Never two
    // commands on one instance: the remedy is not sent under it, and the next attempt (or a human)
    // goes through the gates again.
    const withdrawn: Attempt = {
      ...attempt,
      diagnosis,
      status: 'withdrawn',
      failure: `the diagnosis ended too late to send action ${attempt.action} within the attempt's hold on the instance`,
    };
    return afterFailure(
      note(
        replaceAttempt(incident, withdrawn),
        ctx.now,
        `attempt ${attempt.number}: diagnosis ${said}; its hold on ${hold.instanceId} lapses at ${new Date(hold.expiresAt).toISOString()}, too soon for the remedy: not sent`,
      ),
      ctx,
    );
  }
  const remedy: Attempt = { ...attempt, diagnosis, status: 'dispatching', requestedAt: ctx.now };
  const next = note(
    replaceAttempt(incident, remedy),
    ctx.now,
    `attempt ${attempt.number}: diagnosis ${said}; sending ${ctx.runbook.name} action ${attempt.action}`,
  );
  const send = commandEffect(next, remedy, attempt.action ?? '', ctx);
  return withTimer({ incident: next, effects: [send] }, 'reconcile', ctx.now + DISPATCH_CHECK_SECONDS * 1000);
}

/**
 * The longest an attempt can legitimately hold its lease and slot: delivery, execution, the
 * reconciliation margin, then the verify window. A holder that crashed lapses after it.
 */
export function holdSeconds(runbook: Runbook): number {
  const command = runbook.deliveryTimeoutSeconds + runbook.executionTimeoutSeconds + RECONCILE_MARGIN_SECONDS;
  // The first attempt runs the diagnose script before its remedy, within the same hold.
  const diagnosis = runbook.diagnose ? command : 0;
  return diagnosis + remedySeconds(runbook);
}

/** What the remedy needs of a hold: its delivery, execution and check, then the verify window. */
export function remedySeconds(runbook: Runbook): number {
  return (
    runbook.deliveryTimeoutSeconds +
    runbook.executionTimeoutSeconds +
    RECONCILE_MARGIN_SECONDS +
    runbook.verifyWindowSeconds +
    RECONCILE_MARGIN_SECONDS
  );
}

/** What the attempt takes: the instance's lease, a free slot (picked at random to spread contention), a unit of budget. */
function holdFor(incident: Incident, attempt: number, fleet: FleetFacts, ctx: DecisionContext): Hold {
  const slot = fleet.freeSlots[Math.floor(ctx.random * fleet.freeSlots.length)] as number;
  const hour = budgetHour(ctx.now);
  return {
    attempt,
    instanceId: incident.instanceId as string,
    slot,
    expiresAt: ctx.now + holdSeconds(ctx.runbook) * 1000,
    budgetHour: hour,
    budgetMax: ctx.runbook.concurrency.maxPerHour,
  };
}

/**
 * Shortest and longest wait between looks at a busy gate, when gates were polled. Waits now stand in
 * line (see `wait-lists.ts`) and look again on their own only at the slow fallback; kept for callers.
 */
export const WAIT_MIN_SECONDS = 15;
export const WAIT_MAX_SECONDS = 120;

/**
 * A gate asked to wait (the instance is leased by another remediation, or the runbook's slots are
 * all in use): stand in line for what it waits for, to be woken as soon as it is given back (first
 * come, first served), with a slow fallback look in case the wake-up never comes; page once the wait
 * outlasts `maxWaitSeconds` (the fallback's last look falls on that deadline).
 */
export function waitFor(incident: Incident, refusal: Refusal, ctx: DecisionContext): Step {
  const since = incident.waitingSince ?? ctx.now;
  const waited = Math.round((ctx.now - since) / 1000);
  const limit = ctx.runbook.concurrency.maxWaitSeconds;
  if (waited >= limit) {
    const { waitingSince: _since, ...rest } = incident;
    return refuse(
      rest,
      { ...refusal, reason: `${refusal.reason}; waited ${waited}s (limit ${limit}s)` },
      ctx,
    );
  }
  const deadline = waitDeadline(since, ctx.runbook);
  const dueAt = fallbackDueAt(ctx.now, deadline);
  const waitSeconds = Math.round((dueAt - ctx.now) / 1000);
  const list = waitListFor(refusal.gate, incident, incident.key.runbook);
  const waiting: Incident = { ...withRefusal(incident, refusal), status: 'waiting', waitingSince: since };
  const inLine = list
    ? ` (in line for ${list.startsWith('runbook:') ? 'a slot' : 'the instance'}, woken as soon as one is given back)`
    : '';
  // Waiting again on the same gate rewrites the last line instead of adding one: an incident that
  // waits many times keeps its story (and its item) short.
  const last = incident.history[incident.history.length - 1];
  const again =
    incident.status === 'waiting' &&
    incident.refusals?.[incident.refusals.length - 1]?.gate === refusal.gate &&
    last?.what.startsWith('waiting ');
  const next = again
    ? {
        ...waiting,
        history: [
          ...incident.history.slice(0, -1),
          {
            at: ctx.now,
            what: `waiting ${waitSeconds}s more (${waited}s so far): ${refusal.reason}${inLine}`,
          },
        ],
      }
    : note(waiting, ctx.now, `waiting ${waitSeconds}s: ${refusal.reason}${inLine}`);
  const step = withTimer({ incident: next, effects: [] }, 'retry', dueAt);
  const timer = step.incident.timer;
  if (!list || !timer) return step;
  // A wake-up is a look at the gates now: a retry bearing the current token (stale once the incident
  // moved on), whatever the timer it stands beside (the fallback, or the page-by deadline's).
  const wake = {
    key: incident.key,
    incidentId: incident.id,
    kind: 'retry' as const,
    token: timer.token,
    dueAt,
  };
  return {
    incident: step.incident,
    effects: [...step.effects, { kind: 'join-wait-list', list, until: deadline, wake }],
  };
}

/** The most a settle wait's look is put off after the settle time ends, so that instances launched together do not return together. */
export const SETTLE_JITTER_SECONDS = 10;

/**
 * The instance is still within its settle time: look again when it ends (plus a little jitter),
 * not at the busy gates' poll. The wait is bounded by the settle time itself (at most an hour, as
 * configured), so it never pages: `maxWaitSeconds` bounds the waits of the gates after it, counted
 * from the settle time's end (see {@link settledFrom}). The incident keeps its timer throughout; an
 * OK meanwhile resolves it with nothing run.
 */
function settleWait(incident: Incident, refusal: Refusal, ctx: DecisionContext): Step {
  const endsAt = settleEndsAt(ctx.safety, ctx.now) as number;
  const dueAt = endsAt + Math.round(ctx.random * SETTLE_JITTER_SECONDS * 1000);
  const waiting: Incident = {
    ...withRefusal(incident, refusal),
    status: 'waiting',
    waitingSince: incident.waitingSince ?? ctx.now,
    // An instance still warming up is not a fault yet: the time to a human counts from then.
    ...(incident.pageBy === undefined ? {} : { pageBy: Math.max(incident.pageBy, pageByFrom(dueAt, ctx)) }),
  };
  const what = `waiting until ${new Date(endsAt).toISOString()} (settle time): ${refusal.reason}`;
  // Asked again before the settle time ended (an early look): the last line is rewritten.
  const last = incident.history[incident.history.length - 1];
  const again =
    incident.status === 'waiting' &&
    incident.refusals?.[incident.refusals.length - 1]?.gate === 'settle' &&
    last?.what.startsWith('waiting ');
  const next = again
    ? { ...waiting, history: [...incident.history.slice(0, -1), { at: ctx.now, what }] }
    : note(waiting, ctx.now, what);
  return withTimer({ incident: next, effects: [] }, 'retry', dueAt);
}

/**
 * An incident whose settle wait just ended starts its gates' waits afresh: the time it spent
 * settling does not count against `maxWaitSeconds`, so a new instance never pages for its age.
 */
function settledFrom(incident: Incident): Incident {
  if (incident.status !== 'waiting' || incident.refusals?.at(-1)?.gate !== 'settle') return incident;
  const { waitingSince: _settling, ...rest } = incident;
  return rest;
}

/**
 * The fleet breaker is open: the incident is kept (and closes when its alarm returns to OK), but no
 * command runs and no page goes out for it alone; the breaker's group page names the instance.
 */
export function suppress(incident: Incident, refusal: Refusal, ctx: DecisionContext): Step {
  const { timer: _timer, waitingSince: _since, ...rest } = incident;
  // The breaker's close looks again at once (the resync); the slow check is the way out if it cannot.
  return withCheck(
    {
      incident: note(
        { ...withRefusal(rest, refusal), status: 'suppressed' },
        ctx.now,
        `suppressed by the breaker gate: ${refusal.reason}`,
      ),
      effects: [],
    },
    ctx,
  );
}

/** Records a refusal, once per gate in a row: a gate that keeps saying "wait" is one entry. */
export function withRefusal(incident: Incident, refusal: Refusal): Incident {
  const refusals = incident.refusals ?? [];
  if (refusals[refusals.length - 1]?.gate === refusal.gate) return incident;
  return { ...incident, refusals: [...refusals, refusal] };
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
  const shown = shownParameters(plan.parameters);
  return escalate(
    { ...incident, attempts: [...incident.attempts, attempt] },
    `runbook ${ctx.runbook.name} is in dry-run mode: it would have run action ${plan.action} (${shown}); nothing was run`,
    ctx,
  );
}

/**
 * SSM accepted the command: wait for its status event, and ask SSM if none comes. `sentNow`: the
 * acceptance comes from the send itself, whose check is still pending (see `checkCommandLater`).
 */
export function markRunning(
  incident: Incident,
  attempt: Attempt,
  commandId: string,
  ctx: DecisionContext,
  sentNow = false,
): Step {
  const running = replaceAttempt(incident, { ...attempt, status: 'running', commandId });
  const next = note(running, ctx.now, `attempt ${attempt.number}: SSM accepted command ${commandId}`);
  return checkCommandLater(next, sentNow, ctx);
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
  if (attempt.action === DIAGNOSE_ACTION && attempt.by) {
    // A diagnosis a person ran: its output is on the attempt, and the person holds the incident.
    if (next.alarmState === 'OK') return resolve(next, 'cleared', ctx);
    return handOver(
      next,
      attempt.by,
      `diagnose, run by ${attempt.by}, ${describeResult(result)}; ${attempt.by} holds the incident`,
      ctx,
    );
  }
  if (!succeeded) return afterFailure(next, ctx);
  const verdict = judgeProbe(ctx.runbook, attempt.action, result.stdout);
  const probe: ProbeRecord | undefined = verdict
    ? {
        at: ctx.now,
        said: verdict.said,
        ...(verdict.reading === undefined ? {} : { reading: verdict.reading }),
        ...(verdict.unreadable === undefined ? {} : { unreadable: verdict.unreadable }),
        ...(verdict.healthy === undefined ? {} : { healthy: verdict.healthy }),
      }
    : undefined;
  const probed = probe
    ? replaceAttempt(next, {
        ...recorded,
        probe,
        ...(probe.healthy ? { fixedAt: ctx.now } : {}),
      })
    : next;
  if (probe?.healthy === false)
    // The remedy ran and the fault is still there: no need to wait out the verify window.
    return failLatest(probed, `the probe still ${probe.said} right after the remedy`, ctx);
  if (probed.alarmState === 'OK') return resolve(probed, 'verified', ctx);
  const verifying = note(
    { ...probed, status: 'verifying' },
    ctx.now,
    probe?.healthy
      ? `the probe ${probe.said}: fixed; waiting up to ${ctx.runbook.verifyWindowSeconds}s for alarm ${next.alarm.name}'s OK to confirm`
      : `${probe ? `the probe ${probe.said}; ` : ''}waiting up to ${ctx.runbook.verifyWindowSeconds}s for alarm ${next.alarm.name} to return to OK`,
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
  const latest = latestAttempt(incident);
  if (latest?.by) {
    // A person asked for this attempt: automation does not carry on by itself after it.
    return escalate(
      incident,
      `attempt ${latest.number} (${latest.action}), asked for by ${latest.by}, failed: ${latest.failure ?? 'the command failed'}`,
      ctx,
    );
  }
  if (incident.pageBy !== undefined && ctx.now >= incident.pageBy) {
    // Past the page-by deadline (paged already while this attempt ran, or due now): no attempt after it.
    const last = latest?.failure ?? 'the attempt failed';
    return escalate(
      incident,
      `attempt ${spent} of ${ctx.runbook.maxAttempts} failed past the page-by deadline (${pageWithinSecondsOf(ctx.runbook)}s after the alarm); no further attempt: ${last}`,
      ctx,
    );
  }
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
  const refusals = (incident.refusals ?? []).filter(
    (r, i, all) => !(i === all.length - 1 && r.gate === refusal.gate),
  );
  const refused = { ...incident, refusals: [...refusals, refusal] };
  if (refusal.gate !== 'kill-switch')
    return escalate(refused, `refused by the ${refusal.gate} gate: ${refusal.reason}`, ctx);
  // An announced pause's one notice tells the humans; the resume is its OK, and looks again.
  const announced = ctx.safety?.paused?.announcedAt !== undefined;
  return escalate(refused, `refused by the ${refusal.gate} gate: ${refusal.reason}`, ctx, {
    standDown: 'kill-switch',
    ...(announced ? { covered: 'pause' as const } : {}),
  });
}

/**
 * Pages a human, once per episode; the reconcile timer sends the page again if SNS did not take it.
 * An episode whose page SNS already took (automation stood down for a pause, looked again once it
 * lifted, and now gives up) is not paged again: the human holds it, the record says why, and the
 * resolution message will close it. Its slow check goes on.
 */
export function escalate(
  incident: Incident,
  reason: string,
  ctx: DecisionContext,
  options: {
    readonly standDown?: 'kill-switch';
    /** The incident needs no page of its own: an announced pause covers it. */
    readonly covered?: 'pause';
    /** Page even if a page of its own was sent earlier (a snooze ended with the alarm still in ALARM). */
    readonly again?: true;
  } = {},
): Step {
  if (incident.escalation?.deadline && incident.status !== 'escalated' && !options.again) {
    // Paged at the page-by deadline while this attempt ran: its outcome is the page's story, under it.
    const held: Incident = {
      ...note(incident, ctx.now, `escalated: ${reason} (the page-by deadline's page covers it)`),
      status: 'escalated',
    };
    return held.escalation?.page.status === 'sent'
      ? withCheck({ incident: held, effects: [] }, ctx)
      : withTimer({ incident: held, effects: [] }, 'reconcile', ctx.now + PAGE_RETRY_SECONDS * 1000);
  }
  const earlier = incident.escalation?.page;
  const sent = earlier?.status === 'sent' && !earlier.covered && !options.again ? earlier : undefined;
  const escalated: Incident = {
    ...note(
      incident,
      ctx.now,
      `escalated: ${reason}${sent ? ' (the human paged earlier holds it; not paged again)' : ''}`,
    ),
    status: 'escalated',
    escalation: {
      at: ctx.now,
      reason,
      page:
        sent ??
        (options.covered
          ? { status: 'sent', dueSince: ctx.now, covered: options.covered }
          : { status: 'due', dueSince: ctx.now }),
      ...(options.standDown ? { standDown: options.standDown } : {}),
    },
  };
  if (sent || options.covered) return withCheck({ incident: escalated, effects: [] }, ctx);
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
      ? replaceAttempt(incident, { ...latest, verification: 'passed', fixedAt: latest.fixedAt ?? ctx.now })
          .attempts
      : incident.attempts;
  const paged = hasOwnPage(incident);
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

/**
 * Whether a page of the incident's own went out, so that its OK is owed: an escalation page SNS
 * took (not one covered by a pause's notice or held by a person), or a proposal that was paged
 * (decided: an OK that closes nothing is harmless, a missing one leaves a pager open).
 */
export function hasOwnPage(incident: Incident): boolean {
  const escalation = incident.escalation?.page;
  return (escalation?.status === 'sent' && !escalation.covered) || incident.proposal !== undefined;
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

export function excerptResult(result: CommandResult): CommandResult {
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
