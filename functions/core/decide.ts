import type { Effect } from './effects.ts';
import { remediationEvents } from './events.ts';
import { unmanagedInstance } from './gates.ts';
import type { AlarmMemory, Incident, KeyRecord } from './incident.ts';
import { isIncident } from './incident.ts';
import type { DecisionInput } from './inputs.ts';
import { RESYNC_EDGE_TOLERANCE_MS } from './lifecycle/episodes.ts';
import {
  eventOf,
  LIFECYCLE,
  type LifecycleEvent,
  type LifecycleState,
  stateOf,
  type Transition,
} from './lifecycle/table.ts';
import type { DecisionContext } from './transitions.ts';

export type { DecisionContext } from './transitions.ts';

/** The outcome of one decision. */
export type Decision =
  | {
      readonly changed: true;
      readonly incident: Incident;
      readonly effects: readonly Effect[];
      /** An earlier episode this decision closed (its alarm fired again unseen), to archive as closed. */
      readonly closed?: Incident;
    }
  | {
      readonly changed: false;
      readonly incident: Incident | undefined;
      readonly reason: string;
      /** The alarm's latest state, to keep for a key with no incident (a write, but no incident). */
      readonly remember?: AlarmMemory;
      /**
       * The alarm would open an incident on an instance without the opt-in tag: not this
       * deployment's, left alone (nothing written, run or paged); `reason` says why.
       */
      readonly unmanaged?: true;
    };

/**
 * The incident lifecycle as a pure function: given the key's stored record (an incident, the alarm's
 * remembered state, or nothing), one input, the runbook and the time, it returns the next incident and
 * the effects to carry out. No SDK, no clock. The transitions are one table (`lifecycle/table.ts`).
 *
 * An input that does not fit the state (a duplicate, a stale timer, an out-of-order alarm state) is
 * absorbed: `changed: false` with the reason, and nothing to do. Together with the store's conditional
 * write on `version`, this is what makes every handler idempotent.
 */
export function decide(current: KeyRecord | undefined, input: DecisionInput, ctx: DecisionContext): Decision {
  const incident = isIncident(current) ? current : undefined;
  const absorbed = (reason: string): Decision => ({ changed: false, incident, reason });
  const stale = guard(current, input);
  if (stale) return absorbed(stale);
  const { state, event, transition } = transitionFor(current, input);
  if (!transition)
    return absorbed(
      `${describe(event)} does not apply to ${state === 'none' ? 'a key with no open incident' : `a ${state} incident`}`,
    );
  if (transition.opens && (input.kind === 'alarm' || input.kind === 'resync')) {
    const notOurs = unmanagedInstance(input.target, ctx);
    if (notOurs) return { changed: false, incident, reason: notOurs, unmanaged: true };
  }
  const working = (
    incident ? { ...incident, version: incident.version + 1, updatedAt: ctx.now } : undefined
  ) as Incident;
  const result = transition.run({ current, working, input, ctx });
  if (typeof result === 'string') return absorbed(result);
  if ('remember' in result) {
    const reason = `alarm went ${result.remember.alarmState} with no open incident; its state is kept`;
    return { changed: false, incident, reason, remember: result.remember };
  }
  const next = settle(result.incident);
  const before = 'closed' in result && result.closed ? result.closed : incident;
  return {
    changed: true,
    incident: next,
    effects: [
      ...result.effects,
      ...('closed' in result && result.closed ? remediationEvents(incident, result.closed, ctx.now) : []),
      ...remediationEvents(before === incident ? incident : undefined, next, ctx.now),
    ],
    ...('closed' in result && result.closed ? { closed: result.closed } : {}),
  };
}

/** The row and column of the lifecycle table an input falls in, and the transition there (if any). */
export function transitionFor(
  current: KeyRecord | undefined,
  input: DecisionInput,
): {
  readonly state: LifecycleState;
  readonly event: LifecycleEvent;
  readonly transition: Transition | undefined;
} {
  const state = stateOf(current);
  const event = eventFor(current, input);
  return { state, event, transition: LIFECYCLE[state][event] };
}

/** What every state absorbs alike: an alarm state not newer than the one recorded, a timer not current. */
function guard(current: KeyRecord | undefined, input: DecisionInput): string | undefined {
  if (input.kind === 'alarm' && current && input.alarm.stateAt <= current.alarmStateAt) {
    const at = new Date(input.alarm.stateAt).toISOString();
    return `alarm state ${input.alarm.state} of ${at} is not newer than the one recorded: duplicate or out of order`;
  }
  if (
    input.kind === 'resync' &&
    current &&
    input.alarm.stateAt <= current.alarmStateAt &&
    current.alarmState !== 'ALARM'
  )
    // Not newer: an OK recorded at the ALARM's own instant (a reading with no state time of its own)
    // ends that episode; the same ALARM again would reopen it under the same id.
    return `the resync's ALARM (since ${new Date(input.alarm.stateAt).toISOString()}) is not newer than the ${current.alarmState} recorded`;
  if (input.kind === 'timer') {
    const { timer } = input;
    if (!isIncident(current) || current.id !== timer.incidentId || current.timer?.token !== timer.token)
      return `timer ${timer.kind} (${timer.token}) is stale`;
  }
  return undefined;
}

/**
 * The table's event for an input. An ALARM the resync found that entered ALARM well after the state
 * recorded is an edge the events missed (the alarm left ALARM and came back unseen): it is taken as
 * the ALARM it is. Otherwise the resync is a look at the level.
 */
function eventFor(current: KeyRecord | undefined, input: DecisionInput): LifecycleEvent {
  if (input.kind === 'resync' && isIncident(current) && current.status !== 'resolved') {
    // After a recorded OK, any later ALARM is an edge; after a recorded ALARM, only one well after it
    // (two APIs' clocks of the same transition may differ a little).
    const margin = current.alarmState === 'ALARM' ? RESYNC_EDGE_TOLERANCE_MS : 0;
    return input.alarm.stateAt > current.alarmStateAt + margin ? 'ALARM' : 'resync';
  }
  return eventOf(input);
}

function describe(event: LifecycleEvent): string {
  if (event === 'ALARM' || event === 'OK' || event === 'INSUFFICIENT_DATA') return `an alarm state ${event}`;
  return event;
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
