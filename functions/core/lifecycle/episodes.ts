import type { AlarmChange, AlarmStateValue, AlarmTarget } from '../alarm.ts';
import { cooldown } from '../gates.ts';
import { incidentIdFor, incidentKeyFor } from '../identity.ts';
import type { AlarmMemory, Incident, KeyRecord } from '../incident.ts';
import { isIncident } from '../incident.ts';
import { alarmFacts, resolveParameters } from '../runbook-choice.ts';
import {
  type DecisionContext,
  escalate,
  note,
  pageByFrom,
  refuse,
  resolve,
  type Step,
  startAttempt,
} from '../transitions.ts';

/**
 * Episodes: an incident opens when its alarm enters ALARM and closes when the same alarm is OK.
 * These are the transitions that start, record, supersede and close episodes.
 */

/** When an alarm's reported state is far enough past the recorded one to be a new edge (clocks of two APIs). */
export const RESYNC_EDGE_TOLERANCE_MS = 60_000;

/** A readable instant. */
export function isoAt(at: number): string {
  return new Date(at).toISOString();
}

/**
 * Opens an incident for an alarm that entered ALARM at `alarm.stateAt`: the first episode of the key,
 * or the next one after `previous` (closed), whose record decides the cooldown; `version` is the
 * version the write will carry. Then the first
 * attempt starts, as the gates allow, or a human is paged when there is nothing to act on.
 */
export function openEpisode(
  previous: KeyRecord | undefined,
  version: number,
  alarm: AlarmChange,
  target: AlarmTarget,
  ctx: DecisionContext,
  how: string,
): Step {
  const key = incidentKeyFor(ctx.runbook.name, alarm, target);
  const facts = alarmFacts(alarm);
  const resolved = resolveParameters(ctx.runbook, facts, ctx.safety?.optIn?.tags);
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
        ...(alarm.description ? { description: alarm.description.slice(0, 1024) } : {}),
        ...facts,
        ...(alarm.contributor ? { contributor: alarm.contributor } : {}),
      },
      ...('parameters' in resolved ? { parameters: resolved.parameters } : {}),
      status: 'remediating',
      alarmState: 'ALARM',
      alarmStateAt: alarm.stateAt,
      openedAt: ctx.now,
      updatedAt: ctx.now,
      pageBy: pageByFrom(ctx.now, ctx),
      attempts: [],
      history: [],
      version,
    },
    ctx.now,
    `alarm ${alarm.alarmName} went ALARM at ${isoAt(alarm.stateAt)}${how}: ${alarm.reason}`.slice(0, 500),
  );
  if (target.kind === 'none') return escalate(opened, `no single instance to act on: ${target.reason}`, ctx);
  // A value the runbook or the instance does not allow: one page for the episode, nothing run.
  if ('problem' in resolved)
    return refuse(opened, { gate: 'parameter', reason: resolved.problem, at: ctx.now }, ctx);
  const flapping = cooldown(isIncident(previous) ? previous : undefined, ctx.runbook, ctx.now);
  if (flapping) return refuse(opened, flapping, ctx);
  return startAttempt(opened, ctx);
}

/** The alarm's latest state, kept with no incident (nothing else to do). */
export function remember(
  previous: AlarmMemory | undefined,
  key: AlarmMemory['key'],
  alarm: AlarmChange,
  ctx: DecisionContext,
): AlarmMemory {
  return {
    kind: 'alarm-memory',
    key,
    alarmName: alarm.alarmName,
    alarmState: alarm.state,
    alarmStateAt: alarm.stateAt,
    updatedAt: ctx.now,
    version: (previous?.version ?? 0) + 1,
  };
}

/** Records a newer alarm state on an incident, with a line of its story. */
export function recordState(
  incident: Incident,
  state: AlarmStateValue,
  at: number,
  ctx: DecisionContext,
  what?: string,
): Incident {
  return note(
    { ...incident, alarmState: state, alarmStateAt: at },
    ctx.now,
    what ?? `alarm went ${state} at ${isoAt(at)}`,
  );
}

/**
 * The alarm entered ALARM again after this episode, unseen in between (the OK was lost, or the alarm
 * went through INSUFFICIENT_DATA, which is not routed): the episode is over. It closes (a paged human
 * hears that it ended) and the next opens, as its own incident, with every gate asked again.
 */
export function supersede(
  incident: Incident,
  alarm: AlarmChange,
  target: AlarmTarget,
  ctx: DecisionContext,
): Step & { readonly closed: Incident } {
  const ended = resolve(
    recordState(
      incident,
      'ALARM',
      alarm.stateAt,
      ctx,
      `the alarm entered ALARM again at ${isoAt(alarm.stateAt)}: it left ALARM unseen, so this episode is over and the next is its own incident`,
    ),
    'cleared',
    ctx,
  );
  const next = openEpisode(ended.incident, incident.version, alarm, target, ctx, ' (a new episode)');
  return {
    closed: ended.incident,
    incident: next.incident,
    effects: [...ended.effects.filter((e) => e.kind !== 'schedule-timer'), ...next.effects],
  };
}
