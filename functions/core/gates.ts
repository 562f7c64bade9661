import type { Incident } from './incident.ts';
import type { Runbook } from './runbook.ts';

/**
 * Safety gates: what must be true before any command runs. Each refusal is recorded on the incident
 * with the gate's name and reason, and a human is paged instead.
 */

/** The gates that can refuse. */
export type GateName = 'kill-switch' | 'cooldown' | 'opt-in';

/** A gate said no. */
export interface Refusal {
  readonly gate: GateName;
  readonly reason: string;
  readonly at: number;
}

/** The kill switch as an operator left it, for everything or for one runbook. */
export interface Pause {
  readonly scope: 'all runbooks' | 'this runbook';
  readonly reason: string;
  readonly by?: string;
  /** Epoch ms. */
  readonly since: number;
}

/** What the gates read, gathered by the handler before deciding (the decider itself reads nothing). */
export interface SafetyFacts {
  /** Set when automation is paused for every runbook or for this one. */
  readonly paused?: Pause;
  /** Whether the instance carries the opt-in tag, as EC2 reports it now. */
  readonly optIn?: OptIn;
}

/** An instance's opt-in, as read from its tags. */
export interface OptIn {
  readonly instanceId: string;
  readonly tagKey: string;
  readonly tagValue: string;
  readonly tagged: boolean;
}

/**
 * Opt-in by tag, enforced twice: here, before deciding to act, and in IAM, which refuses
 * SendCommand on an instance without the tag. An instance without it is never touched.
 */
export function optInTag(safety: SafetyFacts | undefined, now: number): Refusal | undefined {
  const optIn = safety?.optIn;
  if (!optIn || optIn.tagged) return undefined;
  return {
    gate: 'opt-in',
    reason: `instance ${optIn.instanceId} does not carry the tag ${optIn.tagKey}=${optIn.tagValue}; automation never touches it`,
    at: now,
  };
}

/** The kill switch: while paused, nothing runs; the alarm is recorded and paged as "automation paused". */
export function killSwitch(safety: SafetyFacts | undefined, now: number): Refusal | undefined {
  const pause = safety?.paused;
  if (!pause) return undefined;
  const by = pause.by ? ` by ${pause.by}` : '';
  return {
    gate: 'kill-switch',
    reason: `automation paused for ${pause.scope}${by} since ${new Date(pause.since).toISOString()}: ${pause.reason}`,
    at: now,
  };
}

/**
 * The cooldown: the same alarm on the same instance again, soon after automation closed an incident
 * it had acted on, is flapping. Running again would drive a restart loop, so a human is paged.
 */
export function cooldown(previous: Incident | undefined, runbook: Runbook, now: number): Refusal | undefined {
  if (!previous?.closedAt || previous.attempts.length === 0) return undefined;
  const since = now - previous.closedAt;
  if (since >= runbook.cooldownSeconds * 1000) return undefined;
  return {
    gate: 'cooldown',
    reason:
      `flapping: the alarm returned ${Math.round(since / 1000)}s after incident ${previous.id} was resolved ` +
      `(cooldown ${runbook.cooldownSeconds}s); not running ${runbook.name} again`,
    at: now,
  };
}
