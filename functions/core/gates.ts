import type { AlarmTarget } from './alarm.ts';
import type { Incident } from './incident.ts';
import type { Runbook } from './runbook.ts';

/**
 * Safety gates: what must be true before any command runs. Each refusal is recorded on the incident
 * with the gate's name and reason, and a human is paged instead.
 */

/**
 * The gates that can refuse, in the order they are asked: `kill-switch`, `opt-in`, `settle` (wait
 * until the instance's settle time ends), `breaker` (suppress), `parameter` (page), `auto-disable` (dry-run), `budget` (page), `lease` and
 * `concurrency` (wait, then page); `parameter` and `cooldown` are also asked when an incident opens.
 * `parameter` refuses a value the runbook or the instance does not allow (see `refusedValue`).
 */
export type GateName =
  | 'kill-switch'
  | 'cooldown'
  | 'opt-in'
  | 'settle'
  | 'parameter'
  | 'breaker'
  | 'auto-disable'
  | 'budget'
  | 'lease'
  | 'concurrency';

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
  /**
   * When the pause's one notice reached the pager (epoch ms). A pause that was announced covers the
   * alarms it holds back: they wait for the resume without a page each. One that was not (the notice
   * failed, or the pause was set straight in the table) pages each alarm it holds, as before.
   */
  readonly announcedAt?: number;
}

/** What the gates read, gathered by the handler before deciding (the decider itself reads nothing). */
export interface SafetyFacts {
  /** Set when automation is paused for every runbook or for this one. */
  readonly paused?: Pause;
  /** Whether the instance carries the opt-in tag, as EC2 reports it now. */
  readonly optIn?: OptIn;
  /** The runbook's fleet breaker, when it is open. */
  readonly breaker?: OpenBreaker;
  /** Set when the runbook was switched to dry-run (by auto-disable or an operator). */
  readonly dryRun?: ModeOverride;
  /**
   * The shared limits as stored now: the instance's lease, the runbook's slots and budget. The
   * handler always reads them before a decision that could start a command; the store's
   * transaction re-checks them, so that a decision made on facts that changed is retried.
   */
  readonly fleet?: FleetFacts;
  /**
   * How long (seconds) after its launch an instance is left alone: the alarms of a boot still
   * warming up clear by themselves. Absent or 0: no settle time.
   */
  readonly settleSeconds?: number;
}

/**
 * The facts under which every gate lets an attempt start: nothing paused, no breaker, no dry-run
 * switch, the instance free, every slot free, the budget unspent. A decision that absorbs an input
 * under these facts absorbs it under any facts (a property test holds the decider to it), so a
 * handler can absorb a duplicate or stale input without reading the gates' state at all.
 */
export function permissiveFacts(runbook: Runbook): SafetyFacts {
  return {
    fleet: {
      slotsInUse: 0,
      freeSlots: Array.from({ length: runbook.concurrency.maxInFlight }, (_, slot) => slot),
    },
  };
}

/** The shared limits an attempt must fit in. */
export interface FleetFacts {
  /** The lease on the instance, when another incident holds it and it has not lapsed. */
  readonly lease?: { readonly holder: string; readonly runbook: string; readonly expiresAt: number };
  /** Slots of the runbook held by live attempts (lapsed ones are free), and the free slot indices. */
  readonly slotsInUse: number;
  readonly freeSlots: readonly number[];
  /** The runbook's budget as stored: the clock hour it counts and the commands started in it. */
  readonly budget?: { readonly hour: string; readonly used: number };
}

/** An open fleet breaker, as the gate sees it. */
export interface OpenBreaker {
  readonly openedAt: number;
  readonly reason: string;
  readonly instances: number;
}

/** A runbook switched to dry-run (or to approve mode) at run time. */
export interface ModeOverride {
  readonly mode: 'dry-run' | 'approve';
  readonly reason: string;
  readonly by: string;
  /** Epoch ms. */
  readonly since: number;
}

/** An instance's opt-in, as read from its tags. */
export interface OptIn {
  readonly instanceId: string;
  readonly tagKey: string;
  readonly tagValue: string;
  readonly tagged: boolean;
  /**
   * The instance's allow-list tags that the runbooks' parameters read (`allowedByInstanceTag`), by
   * key, read in the same call; a tag the instance does not carry is absent. Undefined when not read.
   */
  readonly tags?: Readonly<Record<string, string>>;
  /** The instance's Name tag and Availability Zone (untrusted text), for the pages. */
  readonly name?: string;
  readonly zone?: string;
  /** When the instance was (last) launched, epoch ms, as EC2 reports it. Undefined when not known. */
  readonly launchedAt?: number;
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

/**
 * An alarm that would open an incident on an instance without the opt-in tag is not this
 * deployment's: returns why it is left alone (no incident, no page, nothing run), or undefined when
 * it is not (the instance is opted in, its tags were not read, or the deployment pages for such
 * instances, as a refusal of the opt-in gate). An incident already open when its instance loses the
 * tag is not concerned: its next attempt is refused by the opt-in gate, and a human paged.
 */
export function unmanagedInstance(
  target: AlarmTarget,
  ctx: { readonly safety?: SafetyFacts; readonly pageUnmanagedInstances?: boolean },
): string | undefined {
  const optIn = ctx.safety?.optIn;
  if (ctx.pageUnmanagedInstances || target.kind !== 'instance' || !optIn || optIn.tagged) return undefined;
  if (optIn.instanceId !== target.instanceId) return undefined;
  return `instance ${optIn.instanceId} does not carry the opt-in tag ${optIn.tagKey}=${optIn.tagValue}: not managed by this deployment, so no incident is opened and nobody is paged`;
}

/**
 * When the instance's settle time ends (epoch ms), or undefined when there is none to wait for (no
 * settle time, or the launch time is unknown). A launch time ahead of the clock (EC2's and this
 * function's clocks a little apart) counts as now: the wait ends a settle time after it.
 */
export function settleEndsAt(safety: SafetyFacts | undefined, now: number): number | undefined {
  const launchedAt = safety?.optIn?.launchedAt;
  const seconds = safety?.settleSeconds;
  if (launchedAt === undefined || !seconds || seconds <= 0) return undefined;
  return Math.min(launchedAt, now) + seconds * 1000;
}

/**
 * The settle time: an instance launched less than `settleSeconds` ago is not acted on yet (a boot
 * still warming up raises alarms that clear by themselves); the attempt waits until it ends.
 */
export function settleGate(safety: SafetyFacts | undefined, now: number): Refusal | undefined {
  const endsAt = settleEndsAt(safety, now);
  if (endsAt === undefined || now >= endsAt) return undefined;
  const launchedAt = Math.min(safety?.optIn?.launchedAt ?? now, now);
  return {
    gate: 'settle',
    reason: `instance launched ${Math.floor((now - launchedAt) / 1000)}s ago, settle time ${safety?.settleSeconds}s`,
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

/** The fleet breaker: while open, the runbook acts on no instance; the group page covers them all. */
export function breakerGate(safety: SafetyFacts | undefined, now: number): Refusal | undefined {
  const breaker = safety?.breaker;
  if (!breaker) return undefined;
  return {
    gate: 'breaker',
    reason: `the runbook's fleet breaker has been open since ${new Date(breaker.openedAt).toISOString()} (${breaker.reason}); one group page covers this instance`,
    at: now,
  };
}

/** A runbook switched to dry-run at run time: decide and record, send nothing. */
export function autoDisableGate(safety: SafetyFacts | undefined, now: number): Refusal | undefined {
  const override = safety?.dryRun;
  if (override?.mode !== 'dry-run') return undefined;
  return {
    gate: 'auto-disable',
    reason: `the runbook was switched to dry-run by ${override.by} at ${new Date(override.since).toISOString()}: ${override.reason}`,
    at: now,
  };
}

/**
 * The mode the runbook runs in now: a runtime switch (auto-disable, or an operator's `runbooks
 * dry-run` / `runbooks approve-mode`) wins over the definition's, and `runbooks enforce` lifts it.
 */
export function modeNow(runbook: Runbook, safety: SafetyFacts | undefined): Runbook['mode'] {
  return safety?.dryRun?.mode ?? runbook.mode;
}

/** The clock hour (UTC) a budget counts, as `YYYY-MM-DDTHH`. */
export function budgetHour(now: number): string {
  return new Date(now).toISOString().slice(0, 13);
}

/** The hourly budget: once spent, a human decides; nothing waits an hour at 3 a.m. */
export function budgetGate(fleet: FleetFacts, runbook: Runbook, now: number): Refusal | undefined {
  const used = fleet.budget?.hour === budgetHour(now) ? fleet.budget.used : 0;
  if (used < runbook.concurrency.maxPerHour) return undefined;
  return {
    gate: 'budget',
    reason: `runbook ${runbook.name} has started ${used} commands in the hour ${budgetHour(now)}:00Z, its budget of ${runbook.concurrency.maxPerHour} per hour`,
    at: now,
  };
}

/** One remediation at a time on an instance, whatever the runbook: wait for the holder. */
export function leaseGate(fleet: FleetFacts, incident: Incident, now: number): Refusal | undefined {
  const lease = fleet.lease;
  if (!lease || lease.holder === incident.id) return undefined;
  return {
    gate: 'lease',
    reason: `instance ${incident.instanceId} is being remediated by runbook ${lease.runbook} (incident ${lease.holder}, lease until ${new Date(lease.expiresAt).toISOString()})`,
    at: now,
  };
}

/** At most `maxInFlight` commands of a runbook at once across the fleet: wait for a slot. */
export function concurrencyGate(fleet: FleetFacts, runbook: Runbook, now: number): Refusal | undefined {
  const limit = runbook.concurrency.maxInFlight;
  if (fleet.slotsInUse < limit && fleet.freeSlots.length > 0) return undefined;
  return {
    gate: 'concurrency',
    reason: `runbook ${runbook.name} already has ${fleet.slotsInUse} of ${limit} remediations in flight`,
    at: now,
  };
}
