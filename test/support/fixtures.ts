import type { AlarmChange, AlarmStateValue } from '../../functions/core/alarm.ts';
import { alarmTarget } from '../../functions/core/alarm.ts';
import type { Decision, DecisionContext } from '../../functions/core/decide.ts';
import { decide } from '../../functions/core/decide.ts';
import type { Effect } from '../../functions/core/effects.ts';
import type { SafetyFacts } from '../../functions/core/gates.ts';
import { fnv1a64 } from '../../functions/core/identity.ts';
import type { Incident, IncidentKey } from '../../functions/core/incident.ts';
import type { AlarmInput, DecisionInput } from '../../functions/core/inputs.ts';
import {
  DEFAULT_PAGE_WITHIN_SECONDS,
  defineRunbook,
  type Runbook,
  type RunbookDefinition,
} from '../../functions/core/runbook.ts';
import { type TimeToPageSettings, worstCaseTimeToPage } from '../../functions/core/time-to-page.ts';

/** A runbook with round numbers, so that expected times are easy to read. */
export const testRunbook: Runbook = defineRunbook({
  name: 'disk-full',
  description: 'Frees disk space.',
  owner: 'platform-team',
  match: { alarmNames: ['disk-full-*'] },
  remediate: 'remediate.sh',
  maxAttempts: 3,
  backoff: { baseSeconds: 60, capSeconds: 600 },
  verifyWindowSeconds: 300,
  executionTimeoutSeconds: 120,
  deliveryTimeoutSeconds: 60,
  // Three attempts of these round numbers take up to 33 minutes to a page, over the default budget:
  // the tests that build on this runbook are about other things, so its budget is the largest.
  pageWithin: { seconds: 3600, reason: 'round numbers that keep expected times easy to read in tests' },
  notes: 'Look for the writer with du.',
  // Test files open incidents on many instances of one table within minutes; the breaker has tests of its own.
  breaker: false,
});

/**
 * The budget of time to a human for test settings: none (the default) when their worst case fits in
 * it, else the worst case itself, so that the page-by deadline still comes as soon as anything beyond
 * the runbook's own settings (a gate's wait, a late timer) delays a page.
 */
export function pageWithinFor(settings: TimeToPageSettings): RunbookDefinition['pageWithin'] {
  const worst = worstCaseTimeToPage(settings).seconds;
  if (worst <= DEFAULT_PAGE_WITHIN_SECONDS) return undefined;
  return { seconds: worst, reason: 'test settings, at their worst case' };
}

export const T0 = Date.parse('2026-11-21T03:00:00.000Z');

/** The ARN of the alarm {@link alarmChange} makes unless told otherwise. */
export const ALARM_ARN = 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:disk-full-web-1';

/** The key of the incident of an alarm (by its ARN) on a target, answered by `runbook`. */
export function keyFor(runbook: string, target: string, alarmArn: string = ALARM_ARN): IncidentKey {
  return { runbook, alarm: fnv1a64(alarmArn), target };
}
export const INSTANCE = 'i-0123456789abcdef0';

/** An alarm change on one instance, in `state` since `stateAt`. */
export function alarmChange(
  state: AlarmStateValue,
  stateAt: number,
  overrides: Partial<AlarmChange> = {},
): AlarmChange {
  return {
    alarmName: 'disk-full-web-1',
    alarmArn: ALARM_ARN,
    account: '123456789012',
    region: 'us-east-1',
    state,
    previousState: state === 'ALARM' ? 'OK' : 'ALARM',
    stateAt,
    reason: `Threshold Crossed: 1 out of the last 1 datapoints was ${state === 'ALARM' ? 'greater' : 'not greater'} than the threshold (90.0).`,
    metrics: [
      {
        namespace: 'CWAgent',
        metricName: 'disk_used_percent',
        dimensions: { InstanceId: INSTANCE, path: '/' },
      },
    ],
    usesExpression: false,
    composite: false,
    tags: {},
    ...overrides,
  };
}

/** Overrides that put the alarm on another instance. */
export function onInstance(instanceId: string): Partial<AlarmChange> {
  return {
    metrics: [
      {
        namespace: 'CWAgent',
        metricName: 'disk_used_percent',
        dimensions: { InstanceId: instanceId, path: '/' },
      },
    ],
  };
}

/** The decider input for an alarm change. */
export function alarmInput(
  state: AlarmStateValue,
  stateAt: number,
  overrides: Partial<AlarmChange> = {},
): AlarmInput {
  const alarm = alarmChange(state, stateAt, overrides);
  return { kind: 'alarm', alarm, target: alarmTarget(alarm) };
}

/** Runs inputs through the decider one after another, like the handlers do, keeping every effect. */
export class Scenario {
  incident: Incident | undefined;
  readonly effects: Effect[] = [];
  readonly decisions: Decision[] = [];
  now = T0;
  random = 0.5;
  safety: SafetyFacts | undefined;
  /** The deployment's choice for alarms on instances without the opt-in tag (left alone by default). */
  pageUnmanagedInstances = false;

  readonly runbook: Runbook;

  constructor(runbook: Runbook = testRunbook) {
    this.runbook = runbook;
  }

  /** Advances the clock by `seconds`. */
  after(seconds: number): this {
    this.now += seconds * 1000;
    return this;
  }

  apply(input: DecisionInput): Decision {
    const ctx: DecisionContext = {
      runbook: this.runbook,
      now: this.now,
      random: this.random,
      ...(this.safety ? { safety: this.safety } : {}),
      ...(this.pageUnmanagedInstances ? { pageUnmanagedInstances: true } : {}),
    };
    const decision = decide(this.incident, input, ctx);
    this.decisions.push(decision);
    if (decision.changed) {
      this.incident = decision.incident;
      this.effects.push(...decision.effects);
    }
    return decision;
  }

  /** The effects of one kind, in order. */
  effectsOf<K extends Effect['kind']>(kind: K): Extract<Effect, { kind: K }>[] {
    return this.effects.filter((e): e is Extract<Effect, { kind: K }> => e.kind === kind);
  }

  /** The timer input for the incident's current timer. */
  currentTimer(): DecisionInput {
    const incident = this.incident;
    if (!incident?.timer) throw new Error('the incident has no timer');
    return { kind: 'timer', timer: { key: incident.key, incidentId: incident.id, ...incident.timer } };
  }

  /** Moves the clock to the current timer's due time and fires it. */
  fireTimer(observation?: Extract<DecisionInput, { kind: 'timer' }>['observation']): Decision {
    const input = this.currentTimer() as Extract<DecisionInput, { kind: 'timer' }>;
    this.now = Math.max(this.now, input.timer.dueAt);
    return this.apply(observation ? { ...input, observation } : input);
  }
}
