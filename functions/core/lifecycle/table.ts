import type { AlarmChange } from '../alarm.ts';
import { breakerGate, killSwitch } from '../gates.ts';
import { incidentKeyFor } from '../identity.ts';
import type { AlarmMemory, Incident, IncidentStatus, KeyRecord } from '../incident.ts';
import { isIncident, latestAttempt } from '../incident.ts';
import type { DecisionInput, PageSentInput, ResponderInput, TimerInput } from '../inputs.ts';
import { pageWithinSecondsOf } from '../runbook.ts';
import {
  type DecisionContext,
  escalate,
  failLatest,
  note,
  PAGE_RETRY_SECONDS,
  pageByFrom,
  RECONCILE_MARGIN_SECONDS,
  replaceAttempt,
  resolve,
  type Step,
  startAttempt,
  withCheck,
  withTimer,
} from '../transitions.ts';
import {
  type Outcome,
  onCommandFinished,
  onCommandNotSent,
  onCommandSent,
  reconcileCommand,
} from './commands.ts';
import {
  isoAt,
  openEpisode,
  RESYNC_EDGE_TOLERANCE_MS,
  recordState,
  remember,
  supersede,
} from './episodes.ts';
import { expireProposal, proposalTimer, respond, wakeUp, withdrawCleared } from './responders.ts';

/**
 * The incident lifecycle as one table: for each state, the inputs it answers and the transition each
 * takes. An input a state does not list is absorbed. `to` lists every state the transition may lead
 * to (the docs' diagram is checked against it); a transition that returns a string absorbed the input
 * for that reason, one that returns a step changed the incident (or rescheduled its timer).
 *
 * Guards that hold for every state run before the table (see `decide`): an alarm state not newer than
 * the one recorded is absorbed, and so is a timer that is not the incident's current one.
 */

/** `none`: no incident for the key (nothing stored, or only the alarm's latest state). */
export type LifecycleState = 'none' | IncidentStatus;

/** What can happen: an alarm state (an event, or one the resync found), a command's news, a timer, a page. */
export type LifecycleEvent =
  | 'ALARM'
  | 'OK'
  | 'INSUFFICIENT_DATA'
  | 'resync'
  | 'command-sent'
  | 'command-not-sent'
  | 'command-finished'
  | 'retry'
  | 'verify-deadline'
  | 'reconcile'
  | 'check'
  | 'page-sent'
  | 'expire'
  | 'wake'
  | 'page-by'
  | 'responder';

/** Everything a transition reads: the stored record, the incident as it would be written next, the input. */
export interface Moment {
  readonly current: KeyRecord | undefined;
  /** The open or closed incident with its version bumped; absent in state `none`. */
  readonly working: Incident;
  readonly input: DecisionInput;
  readonly ctx: DecisionContext;
}

/** What a transition returns: a step, a step that also closes an earlier episode, the alarm's state to keep, or why it absorbed. */
export type TransitionResult =
  | Outcome
  | (Step & { readonly closed?: Incident })
  | { readonly remember: AlarmMemory };

export interface Transition {
  /** The states this transition may lead to (besides absorbing the input). */
  readonly to: readonly LifecycleState[];
  readonly run: (moment: Moment) => TransitionResult;
  /**
   * It opens an incident where none is open: the decider first leaves alone an alarm on an instance
   * that is not this deployment's (see `unmanagedInstance`).
   */
  readonly opens?: true;
}

type Row = Partial<Record<LifecycleEvent, Transition>>;

// ---------------------------------------------------------------------------------------------
// The transitions, named once and shared by the rows that take them.

/** Where a new episode can go at once: its first attempt, a wait, a breaker, or a page. */
const OPENED: readonly LifecycleState[] = [
  'remediating',
  'waiting',
  'suppressed',
  'awaiting-approval',
  'escalated',
];

const open: Transition = {
  to: OPENED,
  opens: true,
  run: ({ current, input, ctx }) => {
    const { alarm, target } = input as Extract<DecisionInput, { kind: 'alarm' | 'resync' }>;
    const how = input.kind === 'resync' ? ` (found by the resync: ${input.cause})` : '';
    return openEpisode(current, (current?.version ?? 0) + 1, alarm, target, ctx, how);
  },
};

const rememberState: Transition = {
  to: ['none'],
  run: ({ current, input, ctx }) => {
    const { alarm, target } = input as Extract<DecisionInput, { kind: 'alarm' }>;
    const memory = current && !isIncident(current) ? current : undefined;
    return { remember: remember(memory, incidentKeyFor(ctx.runbook.name, alarm, target), alarm, ctx) };
  },
};

/** A closed incident keeps the alarm's latest state, so that an older ALARM arriving later is known stale. */
const recordOnClosed: Transition = {
  to: ['resolved'],
  run: ({ working, input, ctx }) => {
    const { alarm } = input as Extract<DecisionInput, { kind: 'alarm' }>;
    return { incident: recordState(working, alarm.state, alarm.stateAt, ctx), effects: [] };
  },
};

/** An open incident notes the alarm's newer state and goes on (its work or its timer is pending). */
const recordOnOpen: Transition = {
  to: [],
  run: ({ current, working, input, ctx }) => {
    const { alarm } = input as Extract<DecisionInput, { kind: 'alarm' }>;
    const diagnosing = isIncident(current) && latestAttempt(current)?.status === 'diagnosing';
    const extra =
      alarm.state === 'OK'
        ? diagnosing
          ? '; the remedy is not sent unless the alarm returns'
          : '; waiting for the command result'
        : alarm.state === 'ALARM'
          ? ' (it left ALARM unseen; the work in hand goes on)'
          : '';
    return {
      incident: recordState(
        working,
        alarm.state,
        alarm.stateAt,
        ctx,
        `alarm went ${alarm.state} at ${isoAt(alarm.stateAt)}${extra}`,
      ),
      effects: [],
    };
  },
};

const resolveVerified: Transition = {
  to: ['resolved'],
  run: ({ working, input, ctx }) => {
    const { alarm } = input as Extract<DecisionInput, { kind: 'alarm' }>;
    return resolve(recordState(working, 'OK', alarm.stateAt, ctx), 'verified', ctx);
  },
};

const resolveCleared: Transition = {
  to: ['resolved'],
  run: ({ working, input, ctx }) => {
    const { alarm } = input as Extract<DecisionInput, { kind: 'alarm' }>;
    return resolve(recordState(working, 'OK', alarm.stateAt, ctx), 'cleared', ctx);
  },
};

/** The episode in hand closes (archived, resolved) and the next opens: the key goes where the new one goes. */
const newEpisode: Transition = {
  to: OPENED,
  run: ({ working, input, ctx }) => {
    const { alarm, target } = input as Extract<DecisionInput, { kind: 'alarm' | 'resync' }>;
    return supersede(working, alarm, target, ctx);
  },
};

/**
 * The next attempt, as the gates allow. After a backoff, CloudWatch was asked first: an alarm that
 * went OK after the ALARM in hand (its OK event late, throttled or lost) closes the incident instead,
 * so a fault fixed a moment after the verify window is not remedied a second time.
 */
const retry: Transition = {
  to: ['remediating', 'waiting', 'suppressed', 'awaiting-approval', 'escalated', 'resolved'],
  run: ({ working, input, ctx }) => {
    const seen = (input as TimerInput).observation;
    if (
      seen?.alarmState === 'OK' &&
      seen.alarmStateAt !== undefined &&
      seen.alarmStateAt > working.alarmStateAt
    )
      return resolve(
        recordState(
          working,
          'OK',
          seen.alarmStateAt,
          ctx,
          `DescribeAlarms reports the alarm OK since ${isoAt(seen.alarmStateAt)}, before the next attempt (its OK event has not arrived): nothing more runs`,
        ),
        'cleared',
        ctx,
      );
    return startAttempt(working, ctx);
  },
};

/**
 * A gate that stood automation down may have lifted (the breaker closed, the pause ended): look again.
 * Nothing changes while it holds, so a resync or a check of a still-standing gate writes nothing.
 */
const lookAgain: Transition = {
  to: ['remediating', 'waiting', 'suppressed', 'awaiting-approval', 'escalated'],
  run: ({ current, working, input, ctx }) => {
    const incident = current as Incident;
    const standing =
      incident.status === 'suppressed'
        ? breakerGate(ctx.safety, ctx.now)
        : incident.escalation?.standDown === 'kill-switch'
          ? killSwitch(ctx.safety, ctx.now)
          : undefined;
    if (incident.status === 'escalated' && !incident.escalation?.standDown)
      return 'a human was paged and owns the incident until its alarm is OK';
    // Absorbed only while the gate that stood automation down still holds (so never with every gate open).
    if (standing) return `still held by the ${standing.gate} gate`;
    // The stand-down's page first: looked at again before SNS took it, the human could get two.
    if (incident.escalation?.page.status === 'due')
      return 'its page is not confirmed yet; it looks again once SNS took it';
    const why = input.kind === 'resync' ? `the resync (${input.cause})` : 'the slow check';
    const what = incident.status === 'suppressed' ? 'breaker' : 'pause';
    // The breaker's group page told a human of this instance; automation owes the next page from now.
    const renewed =
      incident.status === 'suppressed' ? { ...working, pageBy: pageByFrom(ctx.now, ctx) } : working;
    return startAttempt(
      note(
        renewed,
        ctx.now,
        `looking again (${why}): the ${what} has lifted and the alarm is still in ALARM`,
      ),
      ctx,
    );
  },
};

const commandSent: Transition = {
  to: ['remediating'],
  run: ({ working, input, ctx }) =>
    onCommandSent(working, input as Extract<DecisionInput, { kind: 'command-sent' }>, ctx),
};

const commandNotSent: Transition = {
  to: ['remediating', 'backing-off', 'escalated', 'resolved'],
  run: ({ working, input, ctx }) =>
    onCommandNotSent(working, input as Extract<DecisionInput, { kind: 'command-not-sent' }>, ctx),
};

const commandFinished: Transition = {
  to: ['remediating', 'verifying', 'backing-off', 'escalated', 'resolved'],
  run: ({ working, input, ctx }) =>
    onCommandFinished(working, input as Extract<DecisionInput, { kind: 'command-finished' }>, ctx),
};

const reconcile: Transition = {
  to: ['remediating', 'verifying', 'backing-off', 'escalated', 'resolved'],
  run: ({ working, input, ctx }) => {
    const step = reconcileCommand(working, input as TimerInput, ctx);
    // A page-by deadline's page SNS has not confirmed goes again with the command's check.
    const escalation = typeof step === 'string' ? undefined : step.incident.escalation;
    if (typeof step === 'string' || !escalation?.deadline || escalation.page.status !== 'due') return step;
    if (step.effects.some((effect) => effect.kind === 'page')) return step;
    return {
      ...step,
      effects: [...step.effects, { kind: 'page', page: 'escalation', incident: step.incident }],
    };
  },
};

/** How many times an unreadable alarm state is asked again at a verify deadline, and how far apart. */
export const UNREADABLE_RETRIES = 3;
export const UNREADABLE_RETRY_SECONDS = 60;

/**
 * The end of the verify window: OK is verified, ALARM fails the attempt. A state DescribeAlarms could
 * not give is unknown, never ALARM: asked again a few times, then a human is paged, and the attempt is
 * not counted as a failed fix.
 */
const verifyDeadline: Transition = {
  to: ['verifying', 'resolved', 'backing-off', 'escalated'],
  run: ({ working, input, ctx }) => {
    const seen = (input as TimerInput).observation;
    if (seen?.alarmState === 'OK')
      return resolve(
        recordState(
          working,
          'OK',
          Math.max(seen.alarmStateAt ?? 0, working.alarmStateAt),
          ctx,
          'DescribeAlarms reports the alarm OK',
        ),
        'verified',
        ctx,
      );
    if (seen?.alarmState === 'ALARM') {
      const probe = latestAttempt(working)?.probe;
      return failLatest(
        working,
        probe?.healthy
          ? `the probe and the alarm disagree: the probe ${probe.said} right after the remedy, but the alarm was still in ALARM ${ctx.runbook.verifyWindowSeconds}s later`
          : `the alarm was still in ALARM ${ctx.runbook.verifyWindowSeconds}s after the command succeeded`,
        ctx,
      );
    }
    const attempt = latestAttempt(working);
    const unreadable = (attempt?.unreadable ?? 0) + 1;
    const state = seen?.alarmState ? `in ${seen.alarmState}` : 'unreadable (DescribeAlarms did not answer)';
    if (!attempt || unreadable > UNREADABLE_RETRIES) {
      return escalate(
        note(
          working,
          ctx.now,
          `the alarm's state is ${state} at the verify deadline, ${UNREADABLE_RETRIES + 1} times`,
        ),
        `state unknown: the alarm's state could not be read at the end of the verify window (${state}); the command succeeded, and whether it fixed the fault is not known`,
        ctx,
      );
    }
    const next = note(
      replaceAttempt(working, { ...attempt, unreadable }),
      ctx.now,
      `the alarm's state is ${state} at the verify deadline; asking again in ${UNREADABLE_RETRY_SECONDS}s`,
    );
    return withTimer(
      { incident: next, effects: [] },
      'verify-deadline',
      ctx.now + UNREADABLE_RETRY_SECONDS * 1000,
    );
  },
};

/**
 * The page-by deadline: automation has neither fixed the fault nor paged a human within the runbook's
 * budget. Between attempts (backing off, waiting on a gate, or a remedy the alarm has not confirmed),
 * it stands down and pages. While a command is in flight, the page goes out at once and the command
 * is let finish: it keeps its hold on the instance, its result is recorded, nothing runs after it,
 * and the human hears the outcome (the alarm's OK, or the record of the failure).
 */
const pageByDeadline: Transition = {
  to: ['remediating', 'escalated'],
  run: ({ working, ctx }) => {
    const budget = pageWithinSecondsOf(ctx.runbook);
    const attempt = latestAttempt(working);
    const spent = working.attempts.length;
    const minutes = budget % 60 === 0 ? `${budget / 60} min` : `${budget}s`;
    const lead = `not fixed within its page-by deadline (${minutes} after the alarm)`;
    if (working.status !== 'remediating' || !attempt) {
      const where =
        working.status === 'waiting'
          ? `waiting on the ${working.refusals?.at(-1)?.gate ?? 'gates'}${spent > 0 ? ` after ${spent} attempt(s)` : ' before the first attempt'}`
          : working.status === 'verifying'
            ? `attempt ${spent} ran, and the alarm has not returned to OK`
            : `${spent} attempt(s) failed; last: ${attempt?.failure ?? 'the command failed'}`;
      return escalate(working, `${lead}: ${where}; automation stands down`, ctx);
    }
    const command =
      attempt.status === 'diagnosing' ? 'its diagnosis' : `action ${attempt.action ?? ''}`.trim();
    const reason = `${lead}: attempt ${attempt.number} of ${ctx.runbook.maxAttempts} is still running ${command}; it is let finish, nothing runs after it, and its outcome follows`;
    const paged: Incident = {
      ...note(working, ctx.now, `page-by deadline: paging now; ${reason.slice(lead.length + 2)}`),
      escalation: { at: ctx.now, reason, page: { status: 'due', dueSince: ctx.now }, deadline: true },
    };
    // The command's own check goes on: it adopts the result, or declares the command lost at its
    // deadline (the delivery and execution timeouts and a margin after it was sent), never later.
    const sentAt =
      attempt.status === 'diagnosing'
        ? (attempt.diagnosis?.requestedAt ?? attempt.requestedAt)
        : attempt.requestedAt;
    const { deliveryTimeoutSeconds, executionTimeoutSeconds } = ctx.runbook;
    const lostAt =
      sentAt + (deliveryTimeoutSeconds + executionTimeoutSeconds + RECONCILE_MARGIN_SECONDS) * 1000;
    return withTimer(
      { incident: paged, effects: [{ kind: 'page', page: 'escalation', incident: paged }] },
      'reconcile',
      Math.max(ctx.now + 1000, Math.min(ctx.now + PAGE_RETRY_SECONDS * 1000, lostAt)),
    );
  },
};

/** A page SNS has not confirmed is sent again; the incident's other timers wait behind it. */
const resendPage: Transition = {
  to: [],
  run: ({ working, ctx }) => {
    const kind = working.status === 'resolved' ? 'resolution' : 'escalation';
    const page = kind === 'escalation' ? working.escalation?.page : working.resolution?.page;
    if (page?.status !== 'due') return 'no page is waiting to be sent';
    const step: Step = {
      incident: note(working, ctx.now, `sending the ${kind} page again: SNS has not confirmed it`),
      effects: [{ kind: 'page', page: kind, incident: working }],
    };
    return withTimer(step, 'reconcile', ctx.now + PAGE_RETRY_SECONDS * 1000);
  },
};

/**
 * SNS took a page. An escalated incident then keeps a slow check on its alarm; a proposal waits
 * for its answer until it expires. Recorded in any state: a proposal answered at once is confirmed
 * after its incident moved on.
 */
const pageSent: Transition = {
  to: [],
  run: ({ working, input, ctx }) => {
    const sentInput = input as PageSentInput;
    if (sentInput.page === 'proposal') {
      const proposal = working.proposal;
      if (proposal?.page.status !== 'due') return 'the proposal page is already recorded';
      const sent = { ...proposal.page, status: 'sent' as const, messageId: sentInput.messageId };
      const next = { ...working, proposal: { ...proposal, page: sent } };
      if (working.status !== 'awaiting-approval' || proposal.answer) return { incident: next, effects: [] };
      return withTimer({ incident: next, effects: [] }, 'expire', proposal.expiresAt);
    }
    const record = sentInput.page === 'escalation' ? working.escalation : working.resolution;
    if (record?.page?.status !== 'due') return `the ${sentInput.page} page is already recorded`;
    const sent = { ...record.page, status: 'sent' as const, messageId: sentInput.messageId };
    if (sentInput.page === 'escalation' && working.escalation) {
      if (working.status !== 'escalated')
        return { incident: { ...working, escalation: { ...working.escalation, page: sent } }, effects: [] };
      return withCheck(
        { incident: { ...working, escalation: { ...working.escalation, page: sent } }, effects: [] },
        ctx,
      );
    }
    if (working.status !== 'resolved') return 'the resolution page belongs to a closed incident';
    const resolution = working.resolution as NonNullable<Incident['resolution']>;
    const { timer: _done, ...rest } = working;
    return { incident: { ...rest, resolution: { ...resolution, page: sent } }, effects: [] };
  },
};

/** A person's request (approve, deny, retry, run, snooze, take): see `responders.ts`. */
const responder: Transition = {
  to: ['remediating', 'snoozed', 'escalated'],
  run: ({ current, working, input, ctx }) =>
    respond(current as Incident, working, input as ResponderInput, ctx),
};

const proposalReconcile: Transition = {
  to: ['escalated'],
  run: ({ working, ctx }) => proposalTimer(working, ctx),
};

const expire: Transition = {
  to: ['escalated'],
  run: ({ working, ctx }) => expireProposal(working, ctx),
};

const withdraw: Transition = {
  to: ['resolved'],
  run: ({ working, input, ctx }) => {
    const { alarm } = input as Extract<DecisionInput, { kind: 'alarm' }>;
    return withdrawCleared(working, alarm.stateAt, ctx);
  },
};

const wake: Transition = {
  to: ['resolved', 'escalated', ...OPENED],
  run: ({ working, input, ctx }) => wakeUp(working, input as TimerInput, ctx),
};

const absorbProposed: Transition = {
  to: [],
  run: ({ current }) =>
    `a proposal awaits a person's answer until ${isoAt((current as Incident).proposal?.expiresAt ?? 0)}`,
};

const absorbSnoozed: Transition = {
  to: [],
  run: ({ current }) =>
    `a person snoozed the incident until ${isoAt((current as Incident).snoozedUntil ?? 0)}`,
};

/**
 * The slow check of an escalated or suppressed incident: CloudWatch is asked for the alarm's state.
 * OK closes it; a newer ALARM starts the next episode; the same ALARM looks again where a gate stood
 * automation down; unknown asks again at the next check.
 */
const check: Transition = {
  to: ['resolved', ...OPENED],
  run: (moment) => {
    const { working, input, ctx } = moment;
    const seen = (input as TimerInput).observation;
    if (seen?.alarmState === 'OK' || seen?.alarmState === 'INSUFFICIENT_DATA') {
      const at = Math.max(seen.alarmStateAt ?? ctx.now, working.alarmStateAt);
      const closed = recordState(
        working,
        seen.alarmState,
        at,
        ctx,
        `the slow check finds the alarm ${seen.alarmState}${seen.alarmState === 'INSUFFICIENT_DATA' ? ' (no data: it left ALARM)' : ''}`,
      );
      return resolve(closed, 'cleared', ctx);
    }
    if (
      seen?.alarmState === 'ALARM' &&
      seen.alarmStateAt !== undefined &&
      seen.alarmStateAt > working.alarmStateAt + RESYNC_EDGE_TOLERANCE_MS
    ) {
      const alarm = episodeAlarm(working, seen.alarmStateAt);
      const target = working.instanceId
        ? { kind: 'instance' as const, instanceId: working.instanceId }
        : {
            kind: 'none' as const,
            reason: working.escalation?.reason ?? 'the alarm names no single instance',
          };
      return supersede(working, alarm, target, ctx);
    }
    if (seen?.alarmState === 'ALARM' && (working.status === 'suppressed' || working.escalation?.standDown)) {
      const again = lookAgain.run(moment);
      if (typeof again !== 'string') return again;
    }
    const why = seen?.alarmState
      ? `still in ${seen.alarmState}`
      : 'unreadable; asking again at the next check';
    return withCheck(
      { incident: note(working, ctx.now, `slow check: the alarm is ${why}`), effects: [] },
      ctx,
    );
  },
};

/** The incident's alarm, entering ALARM again at `at` (for a new episode found by a check). */
function episodeAlarm(incident: Incident, at: number): AlarmChange {
  const { alarm } = incident;
  return {
    alarmName: alarm.name,
    alarmArn: alarm.arn,
    account: alarm.account,
    region: alarm.region,
    state: 'ALARM',
    previousState: undefined,
    stateAt: at,
    reason: 'found in ALARM again by the slow check',
    metrics: [{ namespace: '', metricName: '', dimensions: { ...(alarm.dimensions ?? {}) } }],
    usesExpression: false,
    composite: false,
    tags: { ...(alarm.tags ?? {}) },
    ...(alarm.contributor ? { contributor: alarm.contributor } : {}),
  };
}

const absorbResync: Transition = {
  to: [],
  run: () => 'the incident is already in hand (its work or its timer is pending)',
};

// ---------------------------------------------------------------------------------------------
// The table.

const ALARM_RECORDED: Row = {
  ALARM: recordOnOpen,
  INSUFFICIENT_DATA: recordOnOpen,
  resync: absorbResync,
  'page-sent': pageSent,
  responder,
};

/** The lifecycle: each state's row. */
export const LIFECYCLE: Readonly<Record<LifecycleState, Row>> = {
  none: { ALARM: open, OK: rememberState, INSUFFICIENT_DATA: rememberState, resync: open },
  remediating: {
    ...ALARM_RECORDED,
    OK: recordOnOpen,
    'command-sent': commandSent,
    'command-not-sent': commandNotSent,
    'command-finished': commandFinished,
    reconcile,
    'page-by': pageByDeadline,
  },
  verifying: {
    ...ALARM_RECORDED,
    OK: resolveVerified,
    'verify-deadline': verifyDeadline,
    'page-by': pageByDeadline,
  },
  'backing-off': { ...ALARM_RECORDED, OK: resolveCleared, retry, 'page-by': pageByDeadline },
  waiting: { ...ALARM_RECORDED, OK: resolveCleared, retry, 'page-by': pageByDeadline },
  suppressed: {
    ALARM: newEpisode,
    OK: resolveCleared,
    INSUFFICIENT_DATA: recordOnOpen,
    resync: lookAgain,
    check,
    'page-sent': pageSent,
    responder,
  },
  'awaiting-approval': {
    ALARM: recordOnOpen,
    OK: withdraw,
    INSUFFICIENT_DATA: recordOnOpen,
    resync: absorbProposed,
    reconcile: proposalReconcile,
    expire,
    'page-sent': pageSent,
    responder,
  },
  snoozed: {
    ALARM: newEpisode,
    OK: resolveCleared,
    INSUFFICIENT_DATA: recordOnOpen,
    resync: absorbSnoozed,
    reconcile: resendPage,
    wake,
    'page-sent': pageSent,
    responder,
  },
  escalated: {
    ALARM: newEpisode,
    OK: resolveCleared,
    INSUFFICIENT_DATA: recordOnOpen,
    resync: lookAgain,
    reconcile: resendPage,
    'page-sent': pageSent,
    check,
    responder,
  },
  resolved: {
    ALARM: open,
    OK: recordOnClosed,
    INSUFFICIENT_DATA: recordOnClosed,
    resync: open,
    reconcile: resendPage,
    'page-sent': pageSent,
    responder,
  },
};

/** The event an input is, for the table. */
export function eventOf(input: DecisionInput): LifecycleEvent {
  switch (input.kind) {
    case 'alarm':
      return input.alarm.state;
    case 'timer':
      return input.timer.kind;
    default:
      return input.kind;
  }
}

/** The state a key's record is in, for the table. */
export function stateOf(record: KeyRecord | undefined): LifecycleState {
  return isIncident(record) ? record.status : 'none';
}
