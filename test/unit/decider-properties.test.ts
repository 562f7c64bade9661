import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { AlarmStateValue } from '../../functions/core/alarm.ts';
import { alarmTarget } from '../../functions/core/alarm.ts';
import { type Decision, type DecisionContext, decide, transitionFor } from '../../functions/core/decide.ts';
import type {
  Effect,
  PageEffect,
  ScheduleTimerEffect,
  SendCommandEffect,
} from '../../functions/core/effects.ts';
import { permissiveFacts } from '../../functions/core/gates.ts';
import type {
  CommandResult,
  Incident,
  IncidentStatus,
  KeyRecord,
  TimerKind,
} from '../../functions/core/incident.ts';
import { isIncident, latestAttempt } from '../../functions/core/incident.ts';
import type {
  CommandObservation,
  DecisionInput,
  TimerInput,
  TimerMessage,
  TimerObservation,
} from '../../functions/core/inputs.ts';
import { UNREADABLE_RETRIES, UNREADABLE_RETRY_SECONDS } from '../../functions/core/lifecycle/table.ts';
import type { Runbook } from '../../functions/core/runbook.ts';
import {
  commentFor,
  DISPATCH_CHECK_SECONDS,
  diagnoseCommentFor,
  hasOwnPage,
  PAGE_RETRY_SECONDS,
  pageByApplies,
  RECONCILE_MARGIN_SECONDS,
  SETTLE_JITTER_SECONDS,
} from '../../functions/core/transitions.ts';
import { isEarly, MAX_REDELIVERIES, redeliveryDelayMs } from '../../functions/handlers/timer-handler.ts';
import {
  buildRunbook,
  type ChaosRun,
  type ChaosStep,
  type CommandPlan,
  chaosRunArb,
  DEFAULT_COMMAND,
  dice,
  noiseArb,
  PAGE_FAILURES_MAX,
  runbookKnobsArb,
  SETTLING_UNTIL,
  safetyFactsFor,
  togglingSafetyArb,
  WORLD_LIMITS,
  type WorldConfig,
  type WorldLimits,
  worldArb,
} from '../support/decider-arbitraries.ts';
import { alarmChange, alarmInput, T0, testRunbook } from '../support/fixtures.ts';

/**
 * Property-based tests of the decider. Two drivers feed it:
 * - arbitrary input sequences (no world behind them: any attempt number, command id, comment,
 *   stale or current timer, observation, alarm timestamp), for what must hold whatever arrives;
 * - a simulated world (SSM, CloudWatch, SNS, the timer queue) whose events are duplicated,
 *   delayed, reordered and dropped, for what must hold of the system: one command at a time in
 *   SSM, one page per episode, every incident settled within a bound derived from its runbook.
 */

/** Runs per property; DECIDER_PROPERTIES_RUNS=20000 searches deeper (off CI). */
const RUNS = Number(process.env.DECIDER_PROPERTIES_RUNS ?? 300);
// A deeper search takes longer: about 6 ms a run for the slowest property here.
vi.setConfig({ testTimeout: Math.max(30_000, RUNS * 20) });

// ---------------------------------------------------------------------------------------------
// One decision, checked: it does not throw, is deterministic, leaves its arguments alone, bumps
// the version by exactly one when it changes something and has no effect when it absorbs.

const frozen = new WeakSet<object>();

/** Freezes a value deeply, so that a decider writing into its arguments throws (ESM is strict). */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !frozen.has(value)) {
    frozen.add(value);
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function checkedDecide(
  current: KeyRecord | undefined,
  input: DecisionInput,
  ctx: DecisionContext,
  fail: (message: string) => never,
): Decision {
  deepFreeze(current);
  deepFreeze(input);
  deepFreeze(ctx.safety);
  let decision: Decision;
  try {
    decision = decide(current, input, ctx);
  } catch (error) {
    fail(`decide threw on ${show(input)} in status ${statusOf(current)}: ${String(error)}`);
  }
  const again = decide(structuredClone(current), structuredClone(input), {
    ...ctx,
    ...(ctx.safety ? { safety: structuredClone(ctx.safety) } : {}),
  });
  if (!isDeepStrictEqual(again, decision)) {
    fail(
      `decide is not deterministic on ${show(input)}: ${JSON.stringify(again)} vs ${JSON.stringify(decision)}`,
    );
  }
  // What lets a handler absorb a duplicate without reading the gates: absorbed when every gate is
  // open means absorbed whatever the gates say.
  if (!decision.changed || ctx.safety !== undefined) {
    const open = decide(current, input, { ...ctx, safety: permissiveFacts(ctx.runbook) });
    if (!open.changed && !open.remember && decision.changed) {
      fail(
        `${show(input)} in status ${statusOf(current)} is absorbed when every gate is open (${open.reason}) but changes the incident under ${JSON.stringify(ctx.safety)}`,
      );
    }
  }
  if (decision.changed) {
    // The decision goes where the lifecycle table (and so the docs' diagram) says it may.
    const { state, event, transition } = transitionFor(current, input);
    const allowed = new Set<string>([state, ...(transition?.to ?? [])]);
    if (!allowed.has(decision.incident.status))
      fail(`${state} --${event}--> ${decision.incident.status}, which the lifecycle table does not list`);
    if (decision.closed && decision.closed.status !== 'resolved') fail('a superseded episode was not closed');
    // No remedy for a fault nobody sees any more: the alarm's latest known state is not OK.
    const remedy = decision.effects.find((e) => e.kind === 'send-command' && e.phase !== 'diagnose');
    if (remedy && decision.incident.alarmState === 'OK')
      fail(`${show(input)} in status ${statusOf(current)} sent a remedy while the alarm is known OK`);
    const expected = (current?.version ?? 0) + 1;
    if (decision.incident.version !== expected) {
      fail(`a change wrote version ${decision.incident.version}, expected ${expected}`);
    }
  } else {
    if (decision.incident !== (isIncident(current) ? current : undefined))
      fail('an absorbed input returned another incident');
    if (decision.remember && decision.remember.version !== (current?.version ?? 0) + 1)
      fail(`a kept alarm state wrote version ${decision.remember.version}`);
    if ('effects' in decision) fail(`an absorbed input (${decision.reason}) has effects`);
  }
  return decision;
}

/** The same escalation (its page may have been confirmed since). */
function sameEscalation(a: Incident['escalation'], b: Incident['escalation']): boolean {
  return a !== undefined && b !== undefined && a.at === b.at && a.reason === b.reason;
}

function statusOf(record: KeyRecord | undefined): string {
  return isIncident(record) ? record.status : record ? 'alarm state kept' : 'none';
}

// ---------------------------------------------------------------------------------------------
// The observer: what must hold of the incident record after every decision, whatever the inputs.

type Family = 'commands' | 'pages' | 'lifecycle' | 'timers';
const ALL: ReadonlySet<Family> = new Set(['commands', 'pages', 'lifecycle', 'timers']);
const NONE: ReadonlySet<Family> = new Set();

// A proposal is a page: a human was told, and holds the decision (it expires into an escalation).
const SETTLED: ReadonlySet<IncidentStatus> = new Set([
  'escalated',
  'resolved',
  'suppressed',
  'awaiting-approval',
]);

/** What the observer keeps of one episode (one incident id). */
interface Episode {
  readonly id: string;
  readonly key: string;
  readonly openedAt: number;
  /** The ALARM state change that opened it. */
  readonly openedStateAt: number;
  last: Incident;
  /** Every send-command the decider asked for in this episode. */
  readonly sends: SendCommandEffect[];
  settledAt?: number;
  escalatedAt?: number;
  escalations: number;
  escalationPageSentAt?: number;
  resolvedAt?: number;
  resolutions: number;
  resolutionPageSentAt?: number;
  /** A later episode of the same key opened. */
  supersededAt?: number;
}

const keyOf = (incident: Incident): string => `${incident.key.runbook}/${incident.key.target}`;

/** Whether a command the decider asked for is still unresolved in the record: sent, no result yet. */
function inFlight(incident: Incident, send: SendCommandEffect): boolean {
  const attempt = incident.attempts.find((a) => a.number === send.attempt);
  if (!attempt) return true;
  if (send.phase === 'diagnose') {
    return attempt.diagnosis?.status === 'dispatching' || attempt.diagnosis?.status === 'running';
  }
  return attempt.status === 'dispatching' || attempt.status === 'running';
}

/** The timer an incident in this state must have, if any. */
function dueTimerKind(incident: Incident): TimerKind | undefined {
  switch (incident.status) {
    case 'remediating':
      return 'reconcile';
    case 'verifying':
      return 'verify-deadline';
    case 'backing-off':
    case 'waiting':
      return 'retry';
    case 'escalated':
      // A page SNS has not confirmed is sent again; then the slow check watches the alarm.
      return incident.escalation?.page.status === 'due' ? 'reconcile' : 'check';
    case 'resolved':
      return incident.resolution?.page?.status === 'due' ? 'reconcile' : undefined;
    case 'suppressed':
      return 'check';
  }
}

const isSend = (e: Effect): e is SendCommandEffect => e.kind === 'send-command';
const isPage = (e: Effect): e is PageEffect => e.kind === 'page';
const isTimer = (e: Effect): e is ScheduleTimerEffect => e.kind === 'schedule-timer';

class Observer {
  readonly episodes = new Map<string, Episode>();
  private readonly trace: string[] = [];
  private readonly checks: ReadonlySet<Family>;

  constructor(checks: ReadonlySet<Family>) {
    this.checks = checks;
  }

  /** Throws with the latest decisions; typed so that TypeScript narrows after it. */
  readonly fail: (message: string) => never = (message) => {
    throw new Error(
      `${message}\n  latest decisions, oldest first:\n    ${this.trace.slice(-40).join('\n    ')}`,
    );
  };

  note(now: number, what: string): void {
    this.trace.push(`t+${(now - T0) / 1000}s ${what}`);
  }

  decide(current: KeyRecord | undefined, input: DecisionInput, ctx: DecisionContext): Decision {
    const decision = checkedDecide(current, input, ctx, this.fail);
    this.record(current, input, ctx, decision);
    return decision;
  }

  /** Takes note of a decision that was written. */
  record(
    current: KeyRecord | undefined,
    input: DecisionInput,
    ctx: DecisionContext,
    decision: Decision,
  ): void {
    const facts = ctx.safety ? ` {${Object.keys(ctx.safety).join(',')}}` : '';
    if (!decision.changed) {
      const kept = decision.remember ? ` (alarm state ${decision.remember.alarmState} kept)` : '';
      this.note(ctx.now, `${show(input)}${facts} -> absorbed${kept}: ${decision.reason}`);
      return;
    }
    const next = decision.incident;
    const kinds = decision.effects.filter((e) => e.kind !== 'publish-event').map(showEffect);
    const closing = decision.closed ? `${decision.closed.id} closed, ` : '';
    this.note(
      ctx.now,
      `${show(input)}${facts} -> ${closing}${next.status} v${next.version} ${showAttempts(next)} [${kinds.join(', ')}]`,
    );
    const loaded = isIncident(current) ? current : undefined;
    if (decision.closed) {
      // The alarm entered ALARM again unseen: its earlier episode closes, and the next opens.
      const closed = decision.closed;
      if (loaded?.id !== closed.id) this.fail(`closed ${closed.id}, which is not the stored incident`);
      if (
        input.kind !== 'alarm' &&
        input.kind !== 'resync' &&
        !(input.kind === 'timer' && (input.timer.kind === 'check' || input.timer.kind === 'wake'))
      )
        this.fail(`an episode was superseded on ${show(input)}`);
      const own = decision.effects.filter((e) => isPage(e) && e.incident.id === closed.id);
      this.step(loaded, closed, input, ctx, own, { superseded: true });
      const rest = decision.effects.filter((e) => !(isPage(e) && e.incident.id === closed.id));
      this.step(closed, next, input, ctx, rest, {});
      return;
    }
    this.step(loaded, next, input, ctx, decision.effects, {});
  }

  private step(
    current: Incident | undefined,
    next: Incident,
    input: DecisionInput,
    ctx: DecisionContext,
    effects: readonly Effect[],
    how: { readonly superseded?: boolean },
  ): void {
    const prev = current?.id === next.id ? current : undefined;
    let episode = this.episodes.get(next.id);
    if (!episode) {
      if (current) {
        const previous = this.episodes.get(current.id);
        if (previous) previous.supersededAt = ctx.now;
      }
      episode = {
        id: next.id,
        key: keyOf(next),
        openedAt: ctx.now,
        openedStateAt: next.alarmStateAt,
        last: next,
        sends: [],
        escalations: 0,
        resolutions: 0,
      };
      this.episodes.set(next.id, episode);
    } else if (!prev) {
      this.fail(`episode ${next.id} was decided on from another incident's record`);
    }
    if (this.checks.has('commands')) {
      this.checkCommands(episode, next, effects);
      if (prev) this.checkGivingUp(prev, next, input, ctx);
    }
    if (this.checks.has('pages')) this.checkPages(episode, prev, next, input, effects);
    if (this.checks.has('lifecycle')) this.checkLifecycle(prev, next, input, ctx, how);
    // A superseded episode is archived as it closed: its timers went with it.
    if (this.checks.has('timers') && !how.superseded) this.checkTimers(prev, next, ctx, effects);
    episode.last = next;
    if (episode.settledAt === undefined && SETTLED.has(next.status)) episode.settledAt = ctx.now;
    // A pause's notice, or the person holding it, stands for a covered escalation's page.
    if (episode.escalatedAt === undefined && next.status === 'escalated' && !next.escalation?.page.covered)
      episode.escalatedAt = ctx.now;
    if (episode.resolvedAt === undefined && next.status === 'resolved') episode.resolvedAt = ctx.now;
    if (
      episode.escalationPageSentAt === undefined &&
      next.escalation?.page.status === 'sent' &&
      !next.escalation.page.covered
    )
      episode.escalationPageSentAt = ctx.now;
    if (episode.resolutionPageSentAt === undefined && next.resolution?.page?.status === 'sent')
      episode.resolutionPageSentAt = ctx.now;
  }

  /** Never two commands in flight: a new one only once every earlier one has its result (or is lost). */
  private checkCommands(episode: Episode, next: Incident, effects: readonly Effect[]): void {
    const sends = effects.filter(isSend);
    if (sends.length > 1) this.fail(`one decision asked for ${sends.length} commands`);
    for (const send of sends) {
      const latest = latestAttempt(next);
      const fits =
        send.incidentId === next.id &&
        latest?.number === send.attempt &&
        (send.phase === 'diagnose'
          ? latest.status === 'diagnosing' && latest.diagnosis?.status === 'dispatching'
          : latest.status === 'dispatching');
      if (!fits) this.fail(`a ${showSend(send)} does not belong to the latest attempt waiting to be sent`);
      for (const other of this.episodes.values()) {
        if (other.key !== episode.key || other === episode) continue;
        const open = other.sends.filter((s) => inFlight(other.last, s));
        if (open.length > 0)
          this.fail(`${showSend(send)} while ${open.map(showSend).join(', ')} of ${other.id} has no result`);
      }
      episode.sends.push(send);
    }
    const open = episode.sends.filter((s) => inFlight(next, s));
    if (open.length > 1) this.fail(`two commands in flight: ${open.map(showSend).join(' and ')}`);
  }

  /**
   * A command SSM accepted (the attempt or its diagnosis is running) is done with only when its
   * result is known, when SSM says it has no such command, or at its hard deadline (delivery,
   * execution and the margin after its request), by which SSM has stopped it: giving it up sooner
   * would let the next command start while it may still run.
   */
  private checkGivingUp(prev: Incident, next: Incident, input: DecisionInput, ctx: DecisionContext): void {
    const { executionTimeoutSeconds: E, deliveryTimeoutSeconds: D } = ctx.runbook;
    const reach = (E + D + RECONCILE_MARGIN_SECONDS) * 1000;
    const notFound = input.kind === 'timer' && input.observation?.command?.kind === 'not-found';
    if (notFound) return;
    for (const before of prev.attempts) {
      const after = next.attempts.find((a) => a.number === before.number);
      if (
        before.status === 'running' &&
        after?.status !== 'running' &&
        after?.result === undefined &&
        ctx.now < before.requestedAt + reach
      )
        this.fail(
          `attempt ${before.number}'s command ${before.commandId}, accepted by SSM, given up on ${show(input)} before its deadline: ${after?.failure}`,
        );
      const diagnosis = before.diagnosis;
      if (
        diagnosis?.status === 'running' &&
        after?.diagnosis?.status !== 'running' &&
        after?.diagnosis?.result === undefined &&
        ctx.now < diagnosis.requestedAt + reach
      )
        this.fail(
          `attempt ${before.number}'s diagnose command ${diagnosis.commandId} given up on ${show(input)} before its deadline`,
        );
    }
  }

  /** One escalation page per episode (re-sent only while SNS has not confirmed it); same for the resolution. */
  private checkPages(
    episode: Episode,
    prev: Incident | undefined,
    next: Incident,
    input: DecisionInput,
    effects: readonly Effect[],
  ): void {
    const pages = effects.filter(isPage);
    if (pages.length > 1) this.fail(`one decision sent ${pages.length} pages about ${next.id}`);
    if (prev?.escalation && !next.escalation) this.fail(`the escalation of ${next.id} vanished`);
    const was = prev?.escalation;
    // A person's request (take, deny, a run by hand) or a snooze's end may escalate anew.
    const personal = input.kind === 'responder' || (input.kind === 'timer' && input.timer.kind === 'wake');
    // Automation stood down for a gate (a pause), or a person held it: once that ends it acts
    // again, and may page again.
    const reEscalation =
      (was?.standDown !== undefined ||
        was?.page.covered !== undefined ||
        personal ||
        Boolean(was?.takenBy) ||
        latestAttempt(next)?.by !== undefined) &&
      !sameEscalation(next.escalation, was);
    if (was && !reEscalation) {
      const now = next.escalation;
      if (!now || now.at !== was.at || now.reason !== was.reason)
        this.fail(`the escalation of ${next.id} changed: ${JSON.stringify(was)} -> ${JSON.stringify(now)}`);
      if (
        was.page.status === 'sent' &&
        (now.page.status !== 'sent' || now.page.messageId !== was.page.messageId)
      )
        this.fail('a confirmed escalation page went back to due');
    }
    const wasResolved = prev?.resolution;
    if (wasResolved) {
      const now = next.resolution;
      if (!now || now.at !== wasResolved.at || now.how !== wasResolved.how)
        this.fail(`the resolution of ${next.id} changed`);
      if (wasResolved.page?.status === 'sent' && now.page?.status !== 'sent')
        this.fail('a confirmed resolution page went back to due');
    }
    const escalating =
      next.escalation !== undefined &&
      (was === undefined ||
        (reEscalation && (next.escalation.at !== was.at || next.escalation.reason !== was.reason)));
    if (escalating) {
      episode.escalations += 1;
      // A page asked for again (a snooze that ended) is a page of its own: its resends are allowed
      // until SNS confirms it.
      if (input.kind === 'timer' && input.timer.kind === 'wake' && next.escalation?.page.status === 'due')
        episode.escalationPageSentAt = undefined;
      if (episode.escalations > 1 && !reEscalation) this.fail(`episode ${next.id} escalated twice`);
      const holds = reEscalation && was?.page.status === 'sent' && next.escalation?.page.status === 'sent';
      // An announced pause's notice, or the person who holds it, stands for the page.
      const covered = next.escalation?.page.covered !== undefined || next.escalation?.takenBy !== undefined;
      // Paged at the page-by deadline while a command ran: the incident stays in hand until its outcome.
      const inHand = next.escalation?.deadline === true && next.status === 'remediating';
      if (
        (next.status !== 'escalated' && !inHand) ||
        (!holds && !covered && !pages.some((p) => p.page === 'escalation'))
      )
        this.fail('an escalation was recorded without its page');
    }
    const resolving = next.resolution !== undefined && wasResolved === undefined;
    if (resolving) {
      episode.resolutions += 1;
      if (episode.resolutions > 1) this.fail(`episode ${next.id} resolved twice`);
      const paged = hasOwnPage(next);
      if (paged !== pages.some((p) => p.page === 'resolution'))
        this.fail(
          paged
            ? 'resolved without telling the human whose escalation page SNS confirmed'
            : 'a resolution message, though no escalation page was confirmed',
        );
    }
    const timer = input.kind === 'timer';
    for (const page of pages) {
      if (page.incident.id !== next.id) this.fail(`a page about ${page.incident.id} from ${next.id}`);
      if (page.page === 'proposal') {
        const proposing = next.status === 'awaiting-approval' && next.proposal?.id !== prev?.proposal?.id;
        const resend = timer && prev?.status === 'awaiting-approval' && prev.proposal?.page.status === 'due';
        if (!proposing && !resend) this.fail(`a proposal page from ${prev?.status} on ${show(input)}`);
      } else if (page.page === 'escalation') {
        // A page SNS has not confirmed goes again with a timer: an escalated or snoozed incident's, or
        // the command check of one paged at its page-by deadline while the command ran.
        const resend =
          timer &&
          (prev?.status === 'escalated' || prev?.status === 'snoozed' || was?.deadline === true) &&
          was?.page.status === 'due';
        if (!escalating && !resend) this.fail(`an escalation page from ${prev?.status} on ${show(input)}`);
        // Paged again only when a person asked to hear again (a snooze that ended in ALARM), or
        // when the earlier "page" was a pause's notice.
        const askedAgain = input.kind === 'timer' && input.timer.kind === 'wake';
        if (episode.escalationPageSentAt !== undefined && !askedAgain && !was?.page.covered)
          this.fail('an escalation page after SNS confirmed one');
      } else {
        const resend = timer && prev?.status === 'resolved' && wasResolved?.page?.status === 'due';
        if (!resolving && !resend) this.fail(`a resolution page from ${prev?.status} on ${show(input)}`);
        if (episode.resolutionPageSentAt !== undefined)
          this.fail('a resolution page after SNS confirmed one');
      }
    }
  }

  /**
   * Escalated and suppressed incidents wait for the alarm to leave ALARM (its OK, or the slow check
   * finding it OK or without data), or for a new episode; an incident that stood down for a gate may
   * also look again when the gate lifts (a resync, a check). Closed ones stay closed.
   */
  private checkLifecycle(
    prev: Incident | undefined,
    next: Incident,
    input: DecisionInput,
    ctx: DecisionContext,
    how: { readonly superseded?: boolean },
  ): void {
    const seen =
      input.kind === 'timer' && input.timer.kind === 'check' ? input.observation?.alarmState : undefined;
    const ok =
      (input.kind === 'alarm' && input.alarm.state === 'OK') || seen === 'OK' || seen === 'INSUFFICIENT_DATA';
    const looksAgain =
      (input.kind === 'resync' || (input.kind === 'timer' && input.timer.kind === 'check')) &&
      (prev?.status === 'suppressed' || prev?.escalation?.standDown !== undefined);
    // A person may act on an escalated or suppressed incident (retry, run, snooze): gated, recorded.
    const personal = input.kind === 'responder';
    if (prev && (prev.status === 'escalated' || prev.status === 'suppressed')) {
      const leaves = next.status !== prev.status;
      if (leaves && !(next.status === 'resolved' && (ok || how.superseded)) && !looksAgain && !personal)
        this.fail(`${prev.status} -> ${next.status} on ${show(input)}, not on the alarm leaving ALARM`);
    }
    if (prev?.status === 'resolved' && next.status !== 'resolved') this.fail(`a closed incident reopened`);
    if (next.status === 'suppressed' && prev?.status !== 'suppressed' && !ctx.safety?.breaker)
      this.fail('suppressed with no open breaker');
    if (next.status === 'resolved' && next.alarmState === 'ALARM' && !how.superseded)
      this.fail(`resolved while the alarm is ${next.alarmState}`);
  }

  /** Every state that waits on something has its one timer, scheduled when it was set. */
  private checkTimers(
    prev: Incident | undefined,
    next: Incident,
    ctx: DecisionContext,
    effects: readonly Effect[],
  ): void {
    const scheduled = effects.filter(isTimer);
    if (scheduled.length > 1) this.fail(`one decision scheduled ${scheduled.length} timers`);
    const timer = next.timer;
    const [effect] = scheduled;
    if (effect) {
      const m = effect.timer;
      if (
        !timer ||
        m.token !== timer.token ||
        m.kind !== timer.kind ||
        m.dueAt !== timer.dueAt ||
        m.incidentId !== next.id
      )
        this.fail(`scheduled ${JSON.stringify(m)} but the incident's timer is ${JSON.stringify(timer)}`);
      if (m.dueAt <= ctx.now) this.fail(`a timer scheduled for ${m.dueAt - ctx.now} ms from now`);
    }
    if (timer && timer.token !== prev?.timer?.token && !effect)
      this.fail(`timer ${timer.token} recorded but never scheduled`);
    const kind = dueTimerKind(next);
    // The page-by deadline takes the place of a later timer while automation works alone.
    const deadline =
      timer?.kind === 'page-by' &&
      pageByApplies(next) &&
      timer.dueAt >= (next.pageBy ?? Number.POSITIVE_INFINITY);
    if (kind && timer?.kind !== kind && !deadline)
      this.fail(
        `${next.status} needs a ${kind} timer, has ${timer ? timer.kind : 'none'}: it would be stranded`,
      );
  }
}

// ---------------------------------------------------------------------------------------------
// The bound.

/**
 * Worst lateness of a timer decision: the queue's lateness, two failed looks at SSM (each brings
 * the message back later), and a delayed write before each look's decision.
 */
function timerSlackSeconds(limits: WorldLimits): number {
  return (
    limits.timerLateMaxSeconds +
    limits.observeFailuresMax * limits.observeRetrySeconds +
    (limits.observeFailuresMax + 1) * Math.ceil(limits.writeDelayMaxMs / 1000)
  );
}

/** The time bounds of a runbook's phases and of a whole incident, in seconds. */
interface Bounds {
  /** One command (diagnose or remedy), from its request to its result or its loss. */
  readonly command: number;
  /** The longest a gate can keep an attempt waiting before a human is paged instead. */
  readonly wait: number;
  /** The longest the settle time of the `settling` facts can keep an incident waiting first. */
  readonly settling: number;
  /** From a successful command to the verify deadline's decision. */
  readonly verify: number;
  /** The wait before attempt n (n >= 2), retry timer included. */
  readonly backoff: (n: number) => number;
  /** From the decision that opened the incident to resolved, escalated or suppressed. */
  readonly settle: number;
  /** From an escalation (or resolution) to SNS's confirmation of its page. */
  readonly page: number;
}

/**
 * The bounds, derived from the runbook and the world's limits. With J the timer slack (a timer
 * decision is late by at most the queue's lateness, two failed looks at SSM and the delayed writes
 * before each look's decision: 15 + 2 x 30 + 3 x 1 = 78 s in the world below), C the dispatch
 * check, M the reconcile margin, and E, D, V the runbook's execution, delivery and verify times:
 * - a command has its result, or is declared lost, by CMD = E + M + max(C + J, D) + J after its
 *   request: `command-sent`, or the dispatch check late by at most J, marks it running by C + J; the
 *   check follows E + M later, and the polls stop at the hard deadline E + D + M, each late by J;
 * - an attempt is CMD (twice for a first attempt that diagnoses), then the verify window V + J;
 * - before each attempt a gate may make it wait maxWait + 1 + J (the last look is rounded to the
 *   second); before attempt n >= 2 the backoff waits at most min(cap, base * 2^(n - 2)) + J;
 * - settle = the sum over maxAttempts attempts of wait, backoff and attempt;
 * - a page: each of at most PAGE_FAILURES_MAX failed sends costs PAGE_RETRY + J, then the send and
 *   its confirmation take the handler's latency.
 */
function boundsFor(runbook: Runbook, limits: WorldLimits = WORLD_LIMITS): Bounds {
  const J = timerSlackSeconds(limits);
  const { executionTimeoutSeconds: E, deliveryTimeoutSeconds: D, verifyWindowSeconds: V } = runbook;
  const command = E + RECONCILE_MARGIN_SECONDS + Math.max(DISPATCH_CHECK_SECONDS + J, D) + J;
  const wait = runbook.concurrency.maxWaitSeconds + 1 + J;
  // The settle wait ends with the settle time (plus its jitter), then the other gates' waits begin.
  const settling = (SETTLING_UNTIL - T0) / 1000 + SETTLE_JITTER_SECONDS + J;
  // An unreadable alarm state at the deadline is asked again, a bounded number of times.
  const verify = V + J + UNREADABLE_RETRIES * (UNREADABLE_RETRY_SECONDS + J);
  const backoff = (n: number) =>
    Math.min(runbook.backoff.capSeconds, runbook.backoff.baseSeconds * 2 ** (n - 2)) + J;
  let settle = settling;
  for (let n = 1; n <= runbook.maxAttempts; n++) {
    const commands = n === 1 && runbook.diagnose ? 2 * command : command;
    settle += (n === 1 ? 0 : backoff(n)) + wait + commands + verify;
  }
  const page =
    PAGE_FAILURES_MAX * (PAGE_RETRY_SECONDS + J) +
    limits.sendLatencyMaxSeconds +
    limits.pageSentDelayMaxSeconds;
  return { command, wait, settling, verify, backoff, settle, page };
}

/** How long an incident may stay in a status it must leave by itself, or undefined for no limit. */
function phaseLimit(bounds: Bounds, runbook: Runbook, incident: Incident): number | undefined {
  switch (incident.status) {
    case 'remediating':
      return incident.attempts.length === 1 && runbook.diagnose ? 2 * bounds.command : bounds.command;
    case 'verifying':
      return bounds.verify;
    case 'backing-off':
      return bounds.backoff(incident.attempts.length + 1);
    case 'waiting':
      return bounds.wait + bounds.settling;
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// The simulated world.

interface WorldCommand {
  readonly id: string;
  readonly key: string;
  readonly attempt: number;
  readonly phase?: 'diagnose';
  readonly comment: string;
  /** When SSM accepted it, and when it physically ended (delivery and execution within the timeouts). */
  readonly startedAt: number;
  readonly endsAt: number;
  readonly plan: CommandPlan;
}

/** An input for the decider, or a timer message whose handler looks at the world first. */
type Arrival =
  | { readonly type: 'deliver'; readonly input: DecisionInput }
  | { readonly type: 'timer'; readonly message: TimerMessage; readonly failures: number };

type WorldEvent =
  | Arrival
  | { readonly type: 'alarm-change'; readonly state: 'ALARM' | 'OK' }
  /** The scheduled resync: DescribeAlarms lists the alarm if it is in ALARM. */
  | { readonly type: 'resync' }
  | {
      /** The write of a decision made earlier, unless another write came first. */
      readonly type: 'commit';
      readonly before: KeyRecord | undefined;
      readonly input: DecisionInput;
      readonly ctx: DecisionContext;
      readonly decision: Decision;
      readonly retry: Arrival;
    };

/** What the runs saw, for the report (printed with DECIDER_PROPERTIES_STATS=1). */
const stats = {
  runs: 0,
  decisions: 0,
  worstSettleShare: 0,
  reached: new Map<string, number>(),
};
const count = (what: string) => stats.reached.set(what, (stats.reached.get(what) ?? 0) + 1);

/** The resync's schedule in the simulated world. */
const RESYNC_SECONDS = 300;

function simulate(world: WorldConfig, checks: ReadonlySet<Family>, limits: WorldLimits = WORLD_LIMITS): void {
  const runbook = buildRunbook(world.runbook);
  const bounds = boundsFor(runbook, limits);
  const { noise } = world;
  const roll = dice(world.seed);
  const observer: Observer = new Observer(checks);
  const queue: { at: number; order: number; event: WorldEvent }[] = [];
  let now = T0;
  const enqueue = (at: number, event: WorldEvent) =>
    queue.push({ at: Math.max(at, now), order: roll.next(), event });

  /** The key's record as stored: an incident, or the alarm's kept state. */
  let incident: KeyRecord | undefined;
  const stored = (): Incident | undefined => (isIncident(incident) ? incident : undefined);
  let phase: { readonly id: string; readonly status: IncidentStatus; readonly since: number } | undefined;
  /** The latest look at the alarm found its instance without the opt-in tag: it was left alone. */
  let leftAlone = false;
  let alarmState: AlarmStateValue = 'OK';
  /** Deliveries of each timer token: bounded, however early or stale it comes. */
  const deliveries = new Map<string, number>();
  const alarmChanges: { state: AlarmStateValue; at: number }[] = [];
  let alarmEpisodes = 0;
  const commands: WorldCommand[] = [];
  let sends = 0;
  let pagesSent = 0;
  /** Pages a human received, per episode and kind, and how many SNS confirmed. */
  const received = new Map<string, { received: number; confirmed: number }>();

  /**
   * Decides an input as the processor does. Sometimes (racePercent) the write has to wait a moment:
   * the decision's timers are already enqueued (they go first), and if another write lands in
   * between, this one loses the race: its other effects never happen, and the input is decided
   * again on the incident as it now stands (a timer observes the world again).
   */
  const decideNow = (input: DecisionInput, event: Arrival, mayRace: boolean) => {
    const variant = world.safety[roll.below(world.safety.length)] ?? 'none';
    const safety = safetyFactsFor(variant, runbook, now);
    const ctx: DecisionContext = { runbook, now, random: roll.next(), ...(safety ? { safety } : {}) };
    const before = incident;
    const decision = checkedDecide(before, input, ctx, observer.fail);
    stats.decisions += 1;
    if (decision.changed && mayRace && roll.chance(noise.racePercent)) {
      observer.note(
        now,
        `${show(input)} -> ${decision.incident.status} v${decision.incident.version}, its write delayed`,
      );
      for (const effect of decision.effects) if (isTimer(effect)) carryOut(effect);
      const at =
        now + limits.writeDelayMinMs + roll.below(limits.writeDelayMaxMs - limits.writeDelayMinMs + 1);
      enqueue(at, { type: 'commit', before, input, ctx, decision, retry: event });
      return;
    }
    write(before, input, ctx, decision, true);
  };

  const write = (
    before: KeyRecord | undefined,
    input: DecisionInput,
    ctx: DecisionContext,
    decision: Decision,
    withTimers: boolean,
  ) => {
    observer.record(before, input, ctx, decision);
    if (!decision.changed && decision.unmanaged) leftAlone = true;
    if (decision.changed) leftAlone = false;
    if (!decision.changed) {
      if (decision.remember) incident = decision.remember;
      return;
    }
    const next = decision.incident;
    const at = ctx.now;
    count(`status ${next.status}`);
    if (checks.has('lifecycle')) {
      const loaded = isIncident(before) ? before : undefined;
      if (next.status === 'resolved' && loaded?.id === next.id && loaded.status !== 'resolved') {
        // The alarm really returned to OK after the ALARM that opened the incident.
        const opened = observer.episodes.get(next.id)?.openedStateAt ?? T0;
        if (!alarmChanges.some((c) => c.state === 'OK' && c.at > opened && c.at <= at))
          observer.fail('resolved though the alarm never returned to OK');
      }
      if (next.attempts.length > runbook.maxAttempts)
        observer.fail(`attempt ${next.attempts.length} of a runbook with ${runbook.maxAttempts}`);
      // Each status the incident must leave by itself is left within its own bound.
      if (!phase || phase.id !== next.id || phase.status !== next.status) {
        const limit = loaded && phase?.id === loaded.id ? phaseLimit(bounds, runbook, loaded) : undefined;
        if (phase && limit !== undefined && at - phase.since > limit * 1000)
          observer.fail(
            `${phase.status} lasted ${(at - phase.since) / 1000}s, beyond its bound of ${limit}s`,
          );
        phase = { id: next.id, status: next.status, since: at };
      }
    }
    incident = next;
    for (const effect of decision.effects) if (withTimers || !isTimer(effect)) carryOut(effect);
  };

  /** An input arrives, or a timer fires (and its handler looks at the world first). */
  const process = (event: Arrival, mayRace: boolean) => {
    if (event.type === 'deliver') return decideNow(event.input, event, mayRace);
    const token = event.message.token;
    const delivered = (deliveries.get(token) ?? 0) + (event.failures === 0 ? 1 : 0);
    deliveries.set(token, delivered);
    // The original, a stale duplicate, and the bounded redeliveries of each while it is early.
    if (checks.has('timers') && delivered > 2 * (MAX_REDELIVERIES + 1))
      observer.fail(`timer ${token} delivered ${delivered} times`);
    if (stored()?.timer?.token !== token && isEarly(event.message, incident?.version, now)) {
      // The timer handler's answer to a timer whose write is not stored yet: it comes back shortly,
      // a bounded number of times, with the due time its decision gave it.
      count('early timer');
      const redeliveries = (event.message.redelivery?.count ?? 0) + 1;
      if (redeliveries > MAX_REDELIVERIES) return;
      const at = now + redeliveryDelayMs(redeliveries);
      enqueue(at, { ...event, message: { ...event.message, redelivery: { at, count: redeliveries } } });
      return;
    }
    const input = observe(event.message, event.failures);
    if (input !== 'retry') return decideNow(input, event, mayRace);
    count('observation failed');
    enqueue(now + limits.observeRetrySeconds * 1000, { ...event, failures: event.failures + 1 });
  };

  const carryOut = (effect: Effect) => {
    switch (effect.kind) {
      case 'schedule-timer': {
        const { timer } = effect;
        enqueue(timer.dueAt + roll.seconds(noise.timerLateMaxSeconds), {
          type: 'timer',
          message: timer,
          failures: 0,
        });
        if (roll.chance(noise.staleTimerPercent)) {
          const late = roll.seconds(limits.staleTimerLateMaxSeconds);
          enqueue(timer.dueAt + late, { type: 'timer', message: timer, failures: 0 });
        }
        return;
      }
      case 'send-command':
        return send(effect);
      case 'page': {
        const outcome = world.pages[pagesSent++] ?? 'confirmed';
        count(`page ${effect.page} ${outcome}`);
        const at = now + roll.seconds(limits.sendLatencyMaxSeconds);
        const which = `${effect.page} page of ${effect.incident.id}`;
        const human = received.get(which) ?? { received: 0, confirmed: 0 };
        if (outcome !== 'refused') human.received += 1;
        if (outcome === 'confirmed') human.confirmed += 1;
        received.set(which, human);
        if (outcome === 'confirmed') {
          const input: DecisionInput = { kind: 'page-sent', page: effect.page, messageId: `m-${pagesSent}` };
          enqueue(at + roll.seconds(limits.pageSentDelayMaxSeconds), { type: 'deliver', input });
        }
        return;
      }
      case 'publish-event':
        return;
    }
  };

  const send = (effect: SendCommandEffect) => {
    const plan = world.commands[sends++] ?? DEFAULT_COMMAND;
    count(`send ${effect.phase ?? 'remedy'} ${plan.send}`);
    const startedAt = now + roll.seconds(limits.sendLatencyMaxSeconds);
    const answeredAt = startedAt + plan.sentDelaySeconds * 1000;
    const dropped = roll.chance(noise.dropPercent);
    const phase = effect.phase ? { phase: effect.phase } : {};
    if (plan.send === 'interrupted') return;
    if (plan.send === 'refused') {
      const input: DecisionInput = {
        kind: 'command-not-sent',
        attempt: effect.attempt,
        error: 'ThrottlingException',
        ...phase,
      };
      if (!dropped) enqueue(answeredAt, { type: 'deliver', input });
      return;
    }
    const key = `${effect.key.runbook}/${effect.key.target}`;
    if (checks.has('commands')) {
      for (const other of commands) {
        if (other.key === key && other.endsAt > startedAt)
          observer.fail(
            `SSM starts ${showSend(effect)} at t+${(startedAt - T0) / 1000}s while ${other.id} (attempt ${other.attempt} ${other.phase ?? 'remedy'}) runs until t+${(other.endsAt - T0) / 1000}s`,
          );
      }
    }
    const D = effect.deliveryTimeoutSeconds;
    const E = effect.executionTimeoutSeconds;
    const delivery = plan.outcome === 'Undeliverable' ? D : Math.round((D * plan.deliveryPercent) / 100);
    const execution =
      plan.outcome === 'Undeliverable'
        ? 0
        : plan.outcome === 'TimedOut'
          ? E
          : Math.max(1, Math.round((E * plan.executionPercent) / 100));
    const command: WorldCommand = {
      id: `cmd-${sends}`,
      key,
      attempt: effect.attempt,
      ...phase,
      comment: effect.comment,
      startedAt,
      endsAt: startedAt + (delivery + execution) * 1000,
      plan,
    };
    commands.push(command);
    if (plan.send === 'accepted' && !dropped) {
      const input: DecisionInput = {
        kind: 'command-sent',
        attempt: effect.attempt,
        commandId: command.id,
        ...phase,
      };
      enqueue(answeredAt, { type: 'deliver', input });
    }
    if (plan.outcome !== 'stuck') {
      for (let i = 0; i < plan.statusEvents; i++) {
        const result = plan.consistent ? resultOf(command) : { status: resultOf(command).status };
        const input: DecisionInput = { kind: 'command-finished', commandId: command.id, result };
        enqueue(command.endsAt + roll.seconds(noise.eventDelayMaxSeconds), { type: 'deliver', input });
      }
    }
    if (plan.outcome === 'Success' && plan.fixes && !effect.phase)
      enqueue(command.endsAt + world.alarm.fixDelaySeconds * 1000, { type: 'alarm-change', state: 'OK' });
  };

  /** What the timer handler attaches: only for the current timer, as `observe` does. */
  const observe = (message: TimerMessage, failures: number): TimerInput | 'retry' => {
    const input: TimerInput = { kind: 'timer', timer: message };
    const current = stored();
    if (!current || current.id !== message.incidentId || current.timer?.token !== message.token) return input;
    if (message.kind === 'verify-deadline' || message.kind === 'check') {
      const alarmStateAt = alarmChanges.at(-1)?.at ?? T0;
      return roll.chance(noise.describeFailPercent)
        ? input
        : { ...input, observation: { alarmState, alarmStateAt } };
    }
    const attempt = latestAttempt(current);
    if (message.kind !== 'reconcile' || current.status !== 'remediating' || !attempt) return input;
    if (failures < limits.observeFailuresMax && roll.chance(noise.observeFailPercent)) return 'retry';
    const diagnosis = attempt.status === 'diagnosing' ? attempt.diagnosis : undefined;
    const commandId = diagnosis ? diagnosis.commandId : attempt.commandId;
    const comment = diagnosis
      ? diagnoseCommentFor(current, attempt.number)
      : commentFor(current, attempt.number);
    const found = commandId
      ? commands.find((c) => c.id === commandId)
      : commands.find((c) => c.comment === comment && c.startedAt <= now);
    return { ...input, observation: { command: observeCommand(found) } };
  };

  const observeCommand = (command: WorldCommand | undefined): CommandObservation => {
    if (!command || command.startedAt > now) return { kind: 'not-found' };
    if (now >= command.endsAt && command.plan.outcome !== 'stuck')
      return { kind: 'finished', commandId: command.id, result: resultOf(command) };
    return { kind: 'in-progress', commandId: command.id };
  };

  // The alarm fires at T0; it may clear by itself, or after a fix, and fire again once. The resync
  // runs every few minutes from the start.
  let resyncChangedNothing = false;
  enqueue(T0 + RESYNC_SECONDS * 1000, { type: 'resync' });
  enqueue(T0, { type: 'alarm-change', state: 'ALARM' });
  if (world.alarm.okAfterSeconds !== null)
    enqueue(T0 + world.alarm.okAfterSeconds * 1000, { type: 'alarm-change', state: 'OK' });

  // The world goes quiet once both episodes settled and paged, the scripted alarm changes happened
  // and every late copy and stale timer came: a run still busy well after that is a livelock.
  const scripted = (world.alarm.okAfterSeconds ?? 0) + (world.alarm.reAlarmAfterSeconds ?? 0);
  const late = world.alarm.fixDelaySeconds + limits.staleTimerLateMaxSeconds + noise.eventDelayMaxSeconds;
  const horizon = T0 + (scripted + late + 2 * (bounds.settle + bounds.page) + 3600) * 1000;
  let events = 0;
  while (queue.length > 0) {
    let index = 0;
    queue.forEach((item, i) => {
      const best = queue[index] as (typeof queue)[number];
      if (item.at < best.at || (item.at === best.at && item.order < best.order)) index = i;
    });
    // Quiet: nothing is pending but the resync's schedule and the slow checks of incidents waiting on
    // a human or a breaker, and the last resync changed nothing.
    const idle = (q: (typeof queue)[number]) =>
      q.event.type === 'resync' || (q.event.type === 'timer' && q.event.message.kind === 'check');
    if (resyncChangedNothing && queue.every(idle)) break;
    const [item] = queue.splice(index, 1);
    if (!item) break;
    now = item.at;
    if (++events > 3000 || now > horizon)
      observer.fail(`the world did not go quiet (${events} events, t+${(now - T0) / 1000}s): a livelock`);
    const { event } = item;
    switch (event.type) {
      case 'deliver':
      case 'timer':
        if (event.type === 'deliver' || event.message.kind !== 'check') resyncChangedNothing = false;
        process(event, true);
        break;
      case 'commit':
        if (incident === event.before) write(event.before, event.input, event.ctx, event.decision, false);
        else {
          count('lost race');
          observer.note(now, `${show(event.input)}: lost the race, decided again`);
          process(event.retry, false);
        }
        break;
      case 'resync': {
        enqueue(now + RESYNC_SECONDS * 1000, { type: 'resync' });
        const version = incident?.version;
        if (alarmState === 'ALARM') {
          const alarm = alarmChange('ALARM', alarmChanges.at(-1)?.at ?? T0);
          process(
            {
              type: 'deliver',
              input: { kind: 'resync', alarm, target: alarmTarget(alarm), cause: 'schedule' },
            },
            true,
          );
        }
        resyncChangedNothing = incident?.version === version;
        break;
      }
      case 'alarm-change': {
        resyncChangedNothing = false;
        if (event.state === alarmState || (event.state === 'ALARM' && alarmEpisodes >= 2)) break;
        alarmState = event.state;
        alarmChanges.push({ state: event.state, at: now });

        if (event.state === 'ALARM') alarmEpisodes += 1;
        if (event.state === 'OK' && alarmEpisodes === 1 && world.alarm.reAlarmAfterSeconds !== null)
          enqueue(now + world.alarm.reAlarmAfterSeconds * 1000, { type: 'alarm-change', state: 'ALARM' });
        // At least once for the first ALARM (else there is no incident to watch), else perhaps never.
        let copies = alarmChanges.length === 1 || !roll.chance(noise.dropPercent) ? 1 : 0;
        while (copies > 0 && copies < 3 && roll.chance(noise.duplicatePercent)) copies += 1;
        for (let i = 0; i < copies; i++) {
          const input = alarmInput(event.state, now);
          enqueue(now + roll.seconds(noise.eventDelayMaxSeconds), { type: 'deliver', input });
        }
        break;
      }
    }
  }

  stats.runs += 1;
  if (checks.has('pages')) {
    // A human gets a second page of a kind only when SNS took the first without confirming it.
    for (const [which, human] of received) {
      count(`human received ${human.received} ${which.split(' ')[0]} page(s)`);
      if (human.confirmed > 1) observer.fail(`the ${which} was sent again after SNS confirmed it`);
    }
  }
  if (!checks.has('lifecycle')) return;
  // No silent alarm: the world is quiet, and an alarm still in ALARM has an incident a human knows of
  // (paged) or that a breaker's group page covers, unless its instance was not opted in at the latest
  // look: not this deployment's, so no incident is owed.
  const open = stored();
  if (alarmState === 'ALARM' && leftAlone && (!open || open.status === 'resolved')) {
    count('quiet with the alarm in ALARM on an instance not opted in: left alone');
  } else if (alarmState === 'ALARM') {
    if (!open || open.status === 'resolved')
      observer.fail(
        `the alarm is in ALARM and the world is quiet with ${open ? `${open.id} resolved` : 'no incident'}: a silent alarm`,
      );
    const paged = open.status === 'escalated' && open.escalation?.page.status === 'sent';
    if (!paged && open.status !== 'suppressed')
      observer.fail(
        `the alarm is in ALARM and the world is quiet with ${open.id} ${open.status}, unpaged: a silent alarm`,
      );
    count('quiet with the alarm in ALARM, paged or suppressed');
  }
  for (const episode of observer.episodes.values()) {
    const { id, openedAt, settledAt, last } = episode;
    if (settledAt === undefined || !SETTLED.has(last.status))
      observer.fail(`episode ${id} never settled: the world went quiet with it ${last.status}`);
    const took = (settledAt - openedAt) / 1000;
    stats.worstSettleShare = Math.max(stats.worstSettleShare, took / bounds.settle);
    if (took > bounds.settle)
      observer.fail(
        `episode ${id} settled ${last.status} after ${took}s, beyond its bound of ${bounds.settle}s`,
      );
    const { escalatedAt, escalationPageSentAt, resolvedAt, resolutionPageSentAt } = episode;
    if (escalatedAt !== undefined) {
      const confirmedBy = escalationPageSentAt ?? resolvedAt;
      if (confirmedBy === undefined || confirmedBy - escalatedAt > bounds.page * 1000)
        observer.fail(`the escalation page of ${id} was not confirmed within ${bounds.page}s`);
    }
    if (resolvedAt !== undefined && last.resolution?.page) {
      const confirmedBy = resolutionPageSentAt ?? episode.supersededAt;
      if (confirmedBy === undefined || confirmedBy - resolvedAt > bounds.page * 1000)
        observer.fail(`the resolution page of ${id} was not confirmed within ${bounds.page}s`);
    }
    count(`settled ${last.status}${last.resolution ? ` ${last.resolution.how}` : ''}`);
    count(`attempts made: ${last.attempts.length}`);
    for (const attempt of last.attempts) {
      count(`attempt ${attempt.status}${attempt.verification ? ` ${attempt.verification}` : ''}`);
      if (attempt.diagnosis) count(`diagnosis ${attempt.diagnosis.status}`);
    }
    for (const refusal of last.refusals ?? []) count(`refused by ${refusal.gate}`);
  }
}

function resultOf(command: WorldCommand): CommandResult {
  const common = { comment: command.comment, finishedAt: command.endsAt };
  switch (command.plan.outcome) {
    case 'Success':
      return { status: 'Success', responseCode: 0, stdout: 'freed 812 MiB', ...common };
    case 'Failed':
      return { status: 'Failed', responseCode: 1, stderr: 'rm: cannot remove: busy', ...common };
    case 'TimedOut':
    case 'stuck':
      return { status: 'TimedOut', statusDetails: 'Execution Timed Out', responseCode: -1, ...common };
    case 'Undeliverable':
      return { status: 'TimedOut', statusDetails: 'Delivery Timed Out', responseCode: -1, ...common };
  }
}

// ---------------------------------------------------------------------------------------------
// Arbitrary input sequences.

/**
 * How the timer handler attaches observations. `handler`: as timer-handler.ts does today, a command
 * observation (any answer, about any command id) on every current reconcile timer of a remediating
 * incident; `optional`: as the input's type allows, perhaps none at all.
 */
type Observations = 'handler' | 'optional';

function runChaos(run: ChaosRun, checks: ReadonlySet<Family>, observations: Observations = 'handler'): void {
  const runbook = buildRunbook(run.runbook);
  const observer: Observer = new Observer(checks);
  const overrides = run.composite ? { composite: true, metrics: [] } : {};
  const timers: TimerMessage[] = [];
  let record: KeyRecord | undefined;
  let incident: Incident | undefined;
  let now = T0;
  const apply = (input: DecisionInput, step: ChaosStep | undefined) => {
    const safety = step && safetyFactsFor(step.safety, runbook, now);
    const ctx: DecisionContext = { runbook, now, random: step?.random ?? 0.5, ...(safety ? { safety } : {}) };
    const decision = observer.decide(record, input, ctx);
    if (!decision.changed) {
      if (decision.remember) record = decision.remember;
      return;
    }
    record = decision.incident;
    incident = decision.incident;
    for (const effect of decision.effects) if (isTimer(effect)) timers.push(effect.timer);
  };
  apply(alarmInput('ALARM', T0, overrides), undefined);
  for (const step of run.steps) {
    now += step.advanceSeconds * 1000;
    const input = chaosInput(step, incident, timers, now, overrides, observations);
    // Half the current timers fire at their due time, like the queue would have them.
    if (input.kind === 'timer' && input.timer.token === incident?.timer?.token && step.c % 2 === 0)
      now = Math.max(now, input.timer.dueAt);
    apply(input, step);
  }
}

/** An input built from the step's dice against the incident as it stands: plausible or not. */
function chaosInput(
  step: ChaosStep,
  incident: Incident | undefined,
  timers: readonly TimerMessage[],
  now: number,
  overrides: Parameters<typeof alarmInput>[2],
  observations: Observations,
): DecisionInput {
  const { a, b, c } = step;
  const latest = incident && latestAttempt(incident);
  const number = latest?.number ?? 1;
  const attempt = [number, number + 1, number - 1, 1 + (b % 4)][a % 4] ?? number;
  const phase = b % 3 === 0 ? { phase: 'diagnose' as const } : {};
  const ids = [latest?.commandId, latest?.diagnosis?.commandId, `cmd-${c % 4}`].filter(
    (id): id is string => id !== undefined,
  );
  const commandId = ids[c % ids.length] ?? 'cmd-0';
  const status = (['Success', 'Failed', 'TimedOut', 'Cancelled'] as const)[a % 4] ?? 'Success';
  const comments =
    incident && latest
      ? [
          undefined,
          commentFor(incident, latest.number),
          diagnoseCommentFor(incident, latest.number),
          commentFor(incident, attempt),
        ]
      : [undefined];
  const comment = comments[b % comments.length];
  const result: CommandResult = {
    status,
    responseCode: status === 'Success' ? 0 : 1,
    ...(comment ? { comment } : {}),
  };
  const base = incident?.alarmStateAt ?? T0;
  switch (step.kind) {
    case 'alarm': {
      const state = (['ALARM', 'OK', 'ALARM', 'OK', 'INSUFFICIENT_DATA'] as const)[a % 5] ?? 'ALARM';
      const stateAt = [base - 60_000, base, base + 1000 * (1 + (b % 900)), now, T0][c % 5] ?? now;
      return alarmInput(state, stateAt, overrides);
    }
    case 'command-sent':
      return { kind: 'command-sent', attempt, commandId, ...phase };
    case 'command-not-sent':
      return { kind: 'command-not-sent', attempt, error: 'InvalidInstanceId', ...phase };
    case 'command-finished':
      return { kind: 'command-finished', commandId, result };
    case 'timer': {
      const current = incident?.timer && { key: incident.key, incidentId: incident.id, ...incident.timer };
      const stale = timers[b % Math.max(1, timers.length)];
      const bogus = incident && {
        key: incident.key,
        incidentId: incident.id,
        kind: 'reconcile' as const,
        token: 'reconcile.9.999',
        dueAt: now,
      };
      const timer = (a % 4 !== 0 ? current : undefined) ?? stale ?? bogus;
      if (!timer) return alarmInput('ALARM', now, overrides);
      const answers: CommandObservation[] = [
        { kind: 'finished', commandId, result },
        { kind: 'in-progress', commandId },
        { kind: 'not-found' },
      ];
      const anything: (TimerObservation | undefined)[] = [
        undefined,
        { alarmState: 'OK', alarmStateAt: now },
        { alarmState: 'ALARM' },
        { alarmState: 'ALARM', alarmStateAt: base + 1000 * (1 + (b % 900)) * 100 },
        { alarmState: 'INSUFFICIENT_DATA' },
        ...answers.map((command) => ({ command })),
      ];
      const asksSsm =
        incident?.status === 'remediating' &&
        latest !== undefined &&
        timer.kind === 'reconcile' &&
        timer.incidentId === incident.id &&
        timer.token === incident.timer?.token;
      const observation =
        asksSsm && observations === 'handler'
          ? { command: answers[c % answers.length] }
          : anything[c % anything.length];
      return { kind: 'timer', timer, ...(observation ? { observation } : {}) };
    }
    case 'page-sent':
      return { kind: 'page-sent', page: a % 2 === 0 ? 'escalation' : 'resolution', messageId: `m-${b}` };
    case 'responder': {
      // A person's request: the verb, a request id that repeats (redelivery), the current proposal or a stale one.
      const by = ['ana', 'bob'][b % 2] as string;
      const request = `r-${b % 5}`;
      switch (a % 6) {
        case 0:
        case 1:
          return {
            kind: 'responder',
            verb: a % 6 === 0 ? 'approve' : 'deny',
            by,
            request,
            proposal:
              (c % 3 === 0 ? undefined : incident?.proposal?.id) ?? `${incident?.id ?? 'x'}/p${1 + (c % 3)}`,
          };
        case 2:
          return { kind: 'responder', verb: 'retry', by, request };
        case 3:
          return {
            kind: 'responder',
            verb: 'run',
            by,
            request,
            action: ['remediate', 'diagnose', 'clean-tmp', 'restart-writer', 'nope'][c % 5] as string,
          };
        case 4:
          return { kind: 'responder', verb: 'snooze', by, request, seconds: 60 + (c % 50) * 60 };
        default:
          return { kind: 'responder', verb: 'take', by, request };
      }
    }
    case 'resync': {
      const stateAt =
        [base, base + 1000 * (1 + (b % 900)), base + 120_000 * (1 + (b % 30)), base - 60_000][c % 4] ?? base;
      const alarm = alarmChange('ALARM', stateAt, overrides);
      const cause = (['schedule', 'breaker-closed', 'resumed'] as const)[a % 3] ?? 'schedule';
      return { kind: 'resync', alarm, target: alarmTarget(alarm), cause };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Words for traces.

function show(input: DecisionInput): string {
  switch (input.kind) {
    case 'alarm':
      return `alarm ${input.alarm.state}@t+${(input.alarm.stateAt - T0) / 1000}s`;
    case 'command-sent':
      return `command-sent #${input.attempt}${input.phase ? ' diagnose' : ''} ${input.commandId}`;
    case 'command-not-sent':
      return `command-not-sent #${input.attempt}${input.phase ? ' diagnose' : ''}`;
    case 'command-finished':
      return `command-finished ${input.commandId} ${input.result.status}${input.result.comment ? ` "${input.result.comment.replace(/^\S+ /, '')}"` : ''}`;
    case 'timer': {
      const seen = input.observation;
      const what = seen?.command
        ? ` (${seen.command.kind}${'commandId' in seen.command ? ` ${seen.command.commandId}` : ''})`
        : seen?.alarmState
          ? ` (${seen.alarmState})`
          : '';
      return `timer ${input.timer.token}${what}`;
    }
    case 'page-sent':
      return `page-sent ${input.page}`;
    case 'resync':
      return `resync (${input.cause}) ALARM@t+${(input.alarm.stateAt - T0) / 1000}s`;
    case 'responder':
      return `responder ${input.verb} by ${input.by} (${input.request})`;
  }
}

function showSend(send: SendCommandEffect): string {
  return `send-command #${send.attempt}${send.phase ? ' diagnose' : ''}`;
}

function showEffect(effect: Effect): string {
  switch (effect.kind) {
    case 'send-command':
      return showSend(effect);
    case 'schedule-timer':
      return `timer ${effect.timer.token}@t+${(effect.timer.dueAt - T0) / 1000}s`;
    case 'page':
      return `page ${effect.page}`;
    case 'publish-event':
      return effect.detailType;
    case 'join-wait-list':
      return `join ${effect.list}`;
  }
}

function showAttempts(incident: Incident): string {
  return `(${incident.attempts
    .map((a) => `${a.number}:${a.status}${a.diagnosis ? `/diag:${a.diagnosis.status}` : ''}`)
    .join(' ')})`;
}

// ---------------------------------------------------------------------------------------------
// The properties.

describe('the decider over arbitrary input sequences', () => {
  it('never throws, is deterministic, leaves its arguments alone, bumps the version by one per change and absorbs without effects', () => {
    fc.assert(
      fc.property(chaosRunArb, (run) => runChaos(run, NONE)),
      { numRuns: RUNS },
    );
  });

  it('keeps its record coherent: one command in flight, one escalation and one resolution, no page after SNS confirmed it, escalated until the alarm leaves ALARM or a stand-down lifts, a timer whenever one is due, and only the moves the lifecycle table lists', () => {
    fc.assert(
      fc.property(chaosRunArb, (run) => runChaos(run, ALL)),
      { numRuns: RUNS },
    );
  });

  // Found by this property (fixed): a running diagnose command was given up at once when a timer
  // carried no observation (optional in the input contract), and the remedy was sent while the
  // diagnosis could still run. A running diagnosis now waits for its deadline, as a remedy does.
  it('never gives up a command SSM accepted when a timer carries no observation (optional in the input contract)', () => {
    // Timers and command-sent around a diagnose runbook, with nothing to close the incident early.
    const diagnosing = chaosRunArb.map((run) => ({
      composite: false,
      runbook: { ...run.runbook, diagnose: true, mode: 'enforce' as const },
      steps: run.steps.map((step) => ({
        ...step,
        kind: step.kind === 'command-sent' ? ('command-sent' as const) : ('timer' as const),
        safety: 'none' as const,
      })),
    }));
    fc.assert(
      fc.property(diagnosing, (run) => runChaos(run, new Set(['commands']), 'optional')),
      { numRuns: RUNS },
    );
  });
  // Found by this property (fixed): a snooze's wake-up read the alarm OK with no state time of its
  // own, so the OK was recorded at the ALARM's instant; the resync's same ALARM then counted as newer
  // and reopened the closed incident under its own id. A resync's ALARM must now be newer than a
  // recorded OK, as an alarm event must.
  it('does not reopen an incident a snooze closed when the resync finds the same ALARM', () => {
    runChaos(
      {
        runbook: {
          maxAttempts: 1,
          backoffBaseSeconds: 1,
          backoffCapFactor: 1,
          verifyWindowSeconds: 60,
          executionTimeoutSeconds: 30,
          deliveryTimeoutSeconds: 30,
          diagnose: false,
          ladder: false,
          maxWaitSeconds: 0,
          cooldownSeconds: 0,
          chooseEscalatesAt: 1,
          mode: 'enforce',
        },
        composite: false,
        steps: [
          { advanceSeconds: 0, kind: 'responder', a: 274, b: 0, c: 0, safety: 'none', random: 0 },
          { advanceSeconds: 0, kind: 'timer', a: 105, b: 0, c: 601, safety: 'none', random: 0 },
          { advanceSeconds: 0, kind: 'resync', a: 0, b: 0, c: 0, safety: 'none', random: 0 },
          { advanceSeconds: 0, kind: 'alarm', a: 0, b: 0, c: 0, safety: 'none', random: 0 },
        ],
      },
      ALL,
    );
  });
});

describe('the decider in a simulated world of duplicated, reordered and dropped inputs', () => {
  it('never has two commands in flight for one incident, in its record or in SSM', () => {
    fc.assert(
      fc.property(worldArb(), (world) => simulate(world, new Set(['commands']))),
      { numRuns: RUNS },
    );
  });

  it('never has two commands in flight across the diagnose and remedy commands of the first attempt', () => {
    const diagnosing = runbookKnobsArb.map((knobs) => ({
      ...knobs,
      diagnose: true,
      mode: 'enforce' as const,
    }));
    fc.assert(
      fc.property(worldArb({ runbook: diagnosing }), (world) => simulate(world, new Set(['commands']))),
      { numRuns: RUNS },
    );
  });

  it('pages at most once per incident episode, besides re-sends of a page SNS has not confirmed', () => {
    fc.assert(
      fc.property(worldArb(), (world) => simulate(world, new Set(['pages']))),
      { numRuns: RUNS },
    );
  });

  it('resolves, escalates or suppresses every incident within the bound derived from its runbook, and leaves no alarm silent once the world is quiet', () => {
    fc.assert(
      fc.property(worldArb(), (world) => simulate(world, new Set(['lifecycle', 'timers']))),
      { numRuns: RUNS },
    );
  });

  it('holds all of it while the safety facts toggle between inputs (fleet, lease, budget, pause, breaker, dry-run, settle)', () => {
    fc.assert(
      fc.property(worldArb({ safety: togglingSafetyArb() }), (world) => simulate(world, ALL)),
      { numRuns: RUNS },
    );
  });

  // Found by this property (fixed): timers are enqueued before their conditional write, and a retry
  // can be due a second later; when the write took longer, the timer was decided on the previous
  // version, absorbed as stale, and the write then named as current a timer already gone: the
  // incident was stranded. A timer whose token names a version above the stored one is early, not
  // stale: the timer handler sends it back to the queue (every 5 s, for up to 15 minutes after it
  // was due), and this world does the same.
  it('settles every incident even when a write lands after its own timer fired (slow conditional writes)', () => {
    const slow: WorldLimits = { ...WORLD_LIMITS, writeDelayMinMs: 1000, writeDelayMaxMs: 3000 };
    const quickRetries = runbookKnobsArb.map((knobs) => ({
      ...knobs,
      maxAttempts: Math.max(2, knobs.maxAttempts),
      backoffBaseSeconds: 1 + (knobs.backoffBaseSeconds % 3),
      mode: 'enforce' as const,
    }));
    const racing = noiseArb.map((noise) => ({ ...noise, racePercent: Math.max(50, noise.racePercent) }));
    fc.assert(
      fc.property(worldArb({ runbook: quickRetries, noise: racing }), (world) =>
        simulate(world, new Set(['lifecycle', 'timers']), slow),
      ),
      { numRuns: RUNS },
    );
  });

  it('derives the bound from the runbook: attempts, their timeouts and verify window, backoff, waits and page retries', () => {
    // J = 15 + 2 x 30 + 3 x 1 = 78; CMD = 120 + 60 + max(120 + 78, 60) + 78 = 456; wait = 900 + 1 + 78 = 979;
    // verify = 300 + 78 + 3 x (60 + 78) = 792; attempt 1 = 979 + 456 + 792 = 2227; backoff before attempt 2 = 60 + 78,
    // before attempt 3 = 120 + 78; pages: 3 failed sends x (120 + 78), then 10 + 5 for the last one.
    const bounds = boundsFor(testRunbook);
    // An unreadable alarm state adds 3 x (60 + 78) to the verify window: verify = 378 + 414 = 792.
    expect(bounds).toMatchObject({ command: 456, wait: 979, verify: 792, page: 3 * 198 + 15 });
    expect([bounds.backoff(2), bounds.backoff(3)]).toEqual([138, 198]);
    // The settling facts add their settle time once: 60 + 10 + 78.
    expect(bounds.settling).toBe(148);
    expect(bounds.settle).toBe(148 + 2227 + (138 + 2227) + (198 + 2227));
  });
});

afterAll(() => {
  if (!process.env.DECIDER_PROPERTIES_STATS) return;
  const reached = [...stats.reached.entries()].sort(([x], [y]) => x.localeCompare(y));
  console.info(
    `world runs ${stats.runs}, decisions ${stats.decisions}, worst settle time ${(stats.worstSettleShare * 100).toFixed(1)}% of the bound\n` +
      reached.map(([what, n]) => `  ${what}: ${n}`).join('\n'),
  );
});
