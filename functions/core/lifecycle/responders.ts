import type { Incident, Proposal, ResponderAction } from '../incident.ts';
import { latestAttempt } from '../incident.ts';
import type { ResponderInput, TimerInput } from '../inputs.ts';
import {
  type DecisionContext,
  escalate,
  handOver,
  humanStart,
  note,
  PAGE_RETRY_SECONDS,
  resolve,
  type Step,
  shownParameters,
  withTimer,
} from '../transitions.ts';
import { isoAt, RESYNC_EDGE_TOLERANCE_MS, recordState, supersede } from './episodes.ts';

/**
 * What people do to an incident, and how a proposal and a snooze end. A person's request is an
 * input like any other: gated, recorded with who and when (done or refused, with the reason), and
 * absorbed when the same request arrives again.
 */

/** The shortest and longest snooze. */
export const SNOOZE_MIN_SECONDS = 60;
export const SNOOZE_MAX_SECONDS = 86_400;

/** How each verb reads in the record. */
function detailOf(input: ResponderInput): string | undefined {
  switch (input.verb) {
    case 'approve':
    case 'deny':
      return input.proposal;
    case 'run':
      return input.action;
    case 'snooze':
      return `${input.seconds}s`;
    default:
      return undefined;
  }
}

/** A person's request to the incident, as the table's `responder` column. */
export function respond(
  current: Incident,
  working: Incident,
  input: ResponderInput,
  ctx: DecisionContext,
): Step | string {
  const earlier = current.responders?.find((r) => r.request === input.request);
  if (earlier)
    return `request ${input.request} was already answered (${earlier.verb} by ${earlier.by}: ${earlier.outcome}${earlier.reason ? `, ${earlier.reason}` : ''})`;
  if (current.status === 'resolved')
    return `incident ${current.id} is closed (${current.resolution?.how ?? 'resolved'} at ${isoAt(current.closedAt ?? current.updatedAt)}); nothing to ${input.verb}`;
  const outcome = act(working, input, ctx);
  const detail = detailOf(input);
  const base = {
    at: ctx.now,
    by: input.by,
    verb: input.verb,
    request: input.request,
    ...(detail ? { detail } : {}),
  };
  if (typeof outcome === 'string') {
    const record: ResponderAction = { ...base, outcome: 'refused', reason: outcome };
    const refused = note(
      { ...working, responders: [...(working.responders ?? []), record] },
      ctx.now,
      `${input.by} asked to ${input.verb}${detail ? ` ${detail}` : ''}: refused, ${outcome}`,
    );
    return { incident: refused, effects: [] };
  }
  const record: ResponderAction = { ...base, outcome: 'done' };
  return {
    ...outcome,
    incident: { ...outcome.incident, responders: [...(working.responders ?? []), record] },
  };
}

/** What the verb does in the incident's state, or why it cannot. */
function act(incident: Incident, input: ResponderInput, ctx: DecisionContext): Step | string {
  const inFlight = () => {
    const attempt = latestAttempt(incident);
    return `attempt ${attempt?.number ?? '?'}'s command is in flight on ${incident.instanceId ?? 'the instance'}; ask again when it has finished (or pause the runbook)`;
  };
  const proposal = incident.status === 'awaiting-approval' ? incident.proposal : undefined;
  switch (input.verb) {
    case 'approve':
    case 'deny': {
      const why = unanswerable(incident, input.proposal, ctx);
      if (why) return why;
      const open = proposal as Proposal;
      if (input.verb === 'deny') {
        const denied = {
          ...incident,
          owner: { by: input.by, since: ctx.now },
          proposal: { ...open, answer: { kind: 'denied' as const, at: ctx.now, by: input.by } },
        };
        return handOver(
          denied,
          input.by,
          `proposal ${open.id} (${open.action}) denied by ${input.by}; ${input.by} holds the incident, and nothing runs`,
          ctx,
        );
      }
      const approved = {
        ...incident,
        proposal: { ...open, answer: { kind: 'approved' as const, at: ctx.now, by: input.by } },
      };
      return humanStart(approved, ctx, input.by, { kind: 'proposal', proposal: open });
    }
    case 'retry':
    case 'run': {
      if (incident.status === 'remediating') return inFlight();
      if (incident.status === 'verifying')
        return `attempt ${latestAttempt(incident)?.number}'s command succeeded and its alarm is being watched (until the verify window ends); ask again if it does not clear`;
      if (proposal) return `proposal ${proposal.id} awaits an answer: approve or deny it`;
      return humanStart(
        incident,
        ctx,
        input.by,
        input.verb === 'run' ? { kind: 'run', action: input.action } : { kind: 'retry' },
      );
    }
    case 'snooze': {
      if (incident.status === 'remediating') return inFlight();
      if (proposal) return `proposal ${proposal.id} awaits an answer: approve or deny it`;
      const seconds = Math.min(SNOOZE_MAX_SECONDS, Math.max(SNOOZE_MIN_SECONDS, Math.round(input.seconds)));
      const until = ctx.now + seconds * 1000;
      const { waitingSince: _since, ...rest } = incident;
      const snoozed = note(
        { ...rest, status: 'snoozed', snoozedUntil: until },
        ctx.now,
        `snoozed by ${input.by} until ${isoAt(until)}: automation stands down; if the alarm is still in ALARM then, a human is paged`,
      );
      return withTimer({ incident: snoozed, effects: [] }, 'wake', until);
    }
    case 'take': {
      if (incident.status === 'remediating') return inFlight();
      if (proposal) return `proposal ${proposal.id} awaits an answer: deny it to take the incident`;
      return handOver(
        { ...incident, owner: { by: input.by, since: ctx.now } },
        input.by,
        `taken over by ${input.by}: automation stands down; the alarm's OK still closes the incident`,
        ctx,
      );
    }
  }
}

/** Why the proposal named cannot be answered now, if it cannot. */
function unanswerable(incident: Incident, named: string, ctx: DecisionContext): string | undefined {
  const proposal = incident.proposal;
  if (!proposal) return `incident ${incident.id} has no proposal to answer`;
  if (named !== proposal.id) return `${named} is not the incident's proposal (${proposal.id} is)`;
  if (proposal.answer) {
    const by = proposal.answer.by ? ` by ${proposal.answer.by}` : '';
    return `proposal ${proposal.id} was already ${proposal.answer.kind}${by} at ${isoAt(proposal.answer.at)}`;
  }
  if (incident.status !== 'awaiting-approval') return `proposal ${proposal.id} no longer awaits an answer`;
  if (ctx.now >= proposal.expiresAt) return `proposal ${proposal.id} expired at ${isoAt(proposal.expiresAt)}`;
  return undefined;
}

/** Nobody answered the proposal in time: it expires, and a human is paged with what it would have run. */
export function expireProposal(working: Incident, ctx: DecisionContext): Step | string {
  const proposal = working.proposal;
  if (!proposal || proposal.answer) return 'no proposal awaits an answer';
  const expired = {
    ...working,
    proposal: { ...proposal, answer: { kind: 'expired' as const, at: ctx.now } },
  };
  return escalate(
    expired,
    `proposal expired: nobody approved ${proposal.id} (${proposal.action} with ${shownParameters(proposal.parameters)} on ${proposal.instanceId}) within ${Math.round((proposal.expiresAt - proposal.proposedAt) / 1000)}s; nothing was run`,
    ctx,
  );
}

/** The proposal's timer: its page sent again if SNS has not taken it, else its expiry. */
export function proposalTimer(working: Incident, ctx: DecisionContext): Step | string {
  const proposal = working.proposal;
  if (!proposal || proposal.answer) return 'no proposal awaits an answer';
  if (ctx.now >= proposal.expiresAt) return expireProposal(working, ctx);
  if (proposal.page.status === 'due') {
    const step: Step = {
      incident: note(working, ctx.now, 'sending the proposal page again: SNS has not confirmed it'),
      effects: [{ kind: 'page', page: 'proposal', incident: working }],
    };
    return withTimer(step, 'reconcile', Math.min(proposal.expiresAt, ctx.now + PAGE_RETRY_SECONDS * 1000));
  }
  return withTimer({ incident: working, effects: [] }, 'expire', proposal.expiresAt);
}

/** The alarm cleared before anyone answered: the proposal is withdrawn and the incident closes. */
export function withdrawCleared(working: Incident, stateAt: number, ctx: DecisionContext): Step {
  const proposal = working.proposal;
  const withdrawn =
    proposal && !proposal.answer
      ? { ...working, proposal: { ...proposal, answer: { kind: 'withdrawn' as const, at: ctx.now } } }
      : working;
  return resolve(
    recordState(
      withdrawn,
      'OK',
      stateAt,
      ctx,
      `alarm went OK at ${isoAt(stateAt)}; the proposal is withdrawn`,
    ),
    'cleared',
    ctx,
  );
}

/**
 * The snooze is over: CloudWatch is asked for the alarm (as the slow check does). OK closes the
 * incident; a newer ALARM is the next episode; still in ALARM, or unknown, pages a human again.
 */
export function wakeUp(working: Incident, input: TimerInput, ctx: DecisionContext): Step {
  const seen = input.observation;
  const { snoozedUntil: _until, ...awake } = working;
  if (seen?.alarmState === 'OK' || seen?.alarmState === 'INSUFFICIENT_DATA') {
    const at = Math.max(seen.alarmStateAt ?? ctx.now, working.alarmStateAt);
    return resolve(
      recordState(awake, seen.alarmState, at, ctx, `the snooze ended; the alarm is ${seen.alarmState}`),
      'cleared',
      ctx,
    );
  }
  if (
    seen?.alarmState === 'ALARM' &&
    seen.alarmStateAt !== undefined &&
    seen.alarmStateAt > working.alarmStateAt + RESYNC_EDGE_TOLERANCE_MS &&
    working.instanceId
  ) {
    return supersede(
      awake,
      {
        alarmName: working.alarm.name,
        alarmArn: working.alarm.arn,
        account: working.alarm.account,
        region: working.alarm.region,
        state: 'ALARM',
        previousState: undefined,
        stateAt: seen.alarmStateAt,
        reason: 'found in ALARM again when the snooze ended',
        metrics: [{ namespace: '', metricName: '', dimensions: { ...(working.alarm.dimensions ?? {}) } }],
        usesExpression: false,
        composite: false,
        tags: { ...(working.alarm.tags ?? {}) },
        ...(working.alarm.contributor ? { contributor: working.alarm.contributor } : {}),
      },
      { kind: 'instance', instanceId: working.instanceId },
      ctx,
    );
  }
  const by = working.responders?.filter((r) => r.verb === 'snooze' && r.outcome === 'done').at(-1)?.by;
  const state = seen?.alarmState
    ? `still in ${seen.alarmState}`
    : 'unreadable (DescribeAlarms did not answer)';
  return escalate(
    awake,
    `snooze ended${by ? ` (snoozed by ${by})` : ''}: the alarm is ${state}; automation stood down, so a human is needed`,
    ctx,
    { again: true },
  );
}
