import type { Logger } from '@aws-lambda-powertools/logger';
import { INSTANCE_ID } from '../core/alarm.ts';
import { decide } from '../core/decide.ts';
import type {
  Effect,
  JoinWaitListEffect,
  PageEffect,
  PublishEventEffect,
  SendCommandEffect,
} from '../core/effects.ts';
import { permissiveFacts, type SafetyFacts } from '../core/gates.ts';
import { type Incident, type IncidentKey, isIncident, isOpen, type KeyRecord } from '../core/incident.ts';
import type { DecisionInput, TimerMessage } from '../core/inputs.ts';
import { METRIC, transitionMetrics } from '../core/metrics.ts';
import {
  ClaimConflictError,
  type Clock,
  CommandOutcomeUnknownError,
  type CommandRunner,
  type EventPublisher,
  type FleetState,
  IncidentConflictError,
  type IncidentStore,
  type KillSwitch,
  type MetricsSink,
  type OptInReader,
  type Pager,
  type TimerQueue,
} from '../core/ports.ts';
import type { Runbook } from '../core/runbook.ts';
import { type WaitListName, waitEntryOf } from '../core/wait-lists.ts';
import { FleetGates } from './fleet-gates.ts';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The adapters a processor carries decisions out with. */
export interface ProcessorPorts {
  readonly store: IncidentStore;
  readonly commands: CommandRunner;
  readonly timers: TimerQueue;
  readonly pager: Pager;
  readonly events: EventPublisher;
  /** Read before every decision that could start a command. */
  readonly killSwitch: KillSwitch;
  /** Read before every decision that could start a command on an instance. */
  readonly optIn: OptInReader;
  /** Leases, slots, budgets, the breaker and auto-disable. */
  readonly gates: FleetGates;
  /** The remediator's own metrics, counted from each recorded transition. */
  readonly metrics: MetricsSink;
  readonly clock: Clock;
  /** A number in [0, 1) for backoff jitter. */
  readonly random: () => number;
  readonly logger: Logger;
  /** How often an escalated or suppressed incident asks CloudWatch for its alarm (seconds; default hourly). */
  readonly checkSeconds?: number;
  /**
   * Page for an alarm that would open an incident on an instance without the opt-in tag, instead of
   * leaving it alone (logged and counted as {@link METRIC.unmanagedAlarms}). @default false
   */
  readonly pageUnmanagedInstances?: boolean;
  /**
   * Seconds after its launch an instance is left alone: an attempt on it waits until then (the
   * `settle` gate). 0 or unset: no settle time.
   */
  readonly settleSeconds?: number;
}

/** An input, or a way to make one from the incident as loaded (timers observe the world first). */
export type InputSource = DecisionInput | ((current: KeyRecord | undefined) => Promise<DecisionInput>);

/** What became of an input. */
export interface ProcessOutcome {
  readonly changed: boolean;
  readonly incident: Incident | undefined;
  /** Why nothing changed, when nothing did. */
  readonly reason?: string;
  /** True when this input opened a new incident (a new episode of the key). */
  readonly opened?: boolean;
  /** True when the alarm was left alone: its instance does not carry the opt-in tag. */
  readonly unmanaged?: true;
  /** The wait lists this input put the incident in (again); each was looked at after the entry. */
  readonly joined?: readonly WaitListName[];
}

/**
 * The retry timer to send again when a waiting incident's retry decides to wait again on the same
 * gate: only its timer (and the text of its last history line) would change, and a write per retry
 * is most of what a storm costs (a waiting incident retries every 15 to 120 s for up to
 * `maxWaitSeconds`). The incident keeps the timer it has: the same message comes back at the new due
 * time, current, and the wait's limit still counts from `waitingSince`. Anything else (a start, a
 * page at the wait's limit, another gate) is written as usual.
 */
export function stillWaiting(
  current: KeyRecord | undefined,
  input: DecisionInput,
  next: Incident,
  effects: readonly Effect[],
): TimerMessage | undefined {
  if (input.kind !== 'timer' || input.timer.kind !== 'retry') return undefined;
  if (
    !isIncident(current) ||
    current.status !== 'waiting' ||
    next.status !== 'waiting' ||
    next.id !== current.id
  )
    return undefined;
  if (current.timer?.token !== input.timer.token || next.waitingSince !== current.waitingSince)
    return undefined;
  if ((next.refusals?.length ?? 0) !== (current.refusals?.length ?? 0)) return undefined;
  if (next.attempts.length !== current.attempts.length || next.timer?.kind !== 'retry') return undefined;
  if (effects.some((effect) => effect.kind !== 'schedule-timer' && effect.kind !== 'join-wait-list'))
    return undefined;
  const { wake: _woken, ...timer } = input.timer;
  return { ...timer, dueAt: next.timer.dueAt };
}

/**
 * A woken incident is offered the slot given back for it, while that slot is still free: the other
 * free slots are left to the incidents woken for them, so that incidents woken together do not all
 * race for the same one. The gates and the claim's transaction are the same as ever.
 */
export function offerWokenSlot(safety: SafetyFacts, input: DecisionInput): SafetyFacts {
  const slot = input.kind === 'timer' ? input.timer.wake?.slot : undefined;
  const fleet = safety.fleet;
  if (slot === undefined || !fleet?.freeSlots.includes(slot)) return safety;
  return { ...safety, fleet: { ...fleet, freeSlots: [slot] } };
}

/** Conflicting writers on one incident are few (a handful of duplicate events); more is a fault. */
const MAX_CONFLICTS = 10;
/**
 * Losing the race for a slot, a lease or the budget is normal in an alarm storm: each loss re-reads
 * the limits (after a few milliseconds of jitter) and usually decides to wait.
 */
const MAX_CLAIM_CONFLICTS = 25;

/**
 * The shell around the decider: load, decide, write conditionally, then act. Timers are enqueued
 * before the write (a timer whose write lost is stale and absorbed), everything else after it (a
 * command is never sent for a decision that was not recorded). A lost race reloads and decides again.
 */
export class IncidentProcessor {
  private readonly ports: ProcessorPorts;

  constructor(ports: ProcessorPorts) {
    this.ports = ports;
  }

  /**
   * Decides `source` for the incident of `key` and carries the decision out. `known` is the incident
   * as this processor just wrote it (for the follow-ups of its own effects): it saves a read, and the
   * conditional write still refuses it if anyone wrote since.
   */
  async process(
    key: IncidentKey,
    runbook: Runbook,
    source: InputSource,
    known?: Incident,
  ): Promise<ProcessOutcome> {
    const { store, clock, logger } = this.ports;
    let claimConflicts = 0;
    // Timers enqueued for a decision whose write then lost: they name a version not written yet.
    let orphanedTimers = false;
    for (let round = 1; ; round++) {
      const current = round === 1 && known ? known : await store.load(key);
      const input = typeof source === 'function' ? await source(current) : source;
      const now = clock.now();
      const random = this.ports.random();
      // Duplicates and stale inputs are most of a storm: one absorbed with every gate open is absorbed
      // whatever the gates say (property-tested), so it costs the incident's read and nothing more.
      const absorbed =
        this.readsGates(runbook, input, current, round === 1) &&
        decide(current, input, { runbook, now, random, safety: permissiveFacts(runbook) });
      const loaded = isIncident(current) ? current : undefined;
      if (absorbed && !absorbed.changed && !absorbed.remember) {
        logger.info('input absorbed', { input: input.kind, reason: absorbed.reason, status: loaded?.status });
        return { changed: false, incident: loaded, reason: absorbed.reason };
      }
      const safety = offerWokenSlot(await this.safetyFacts(key, runbook, input, loaded, round === 1), input);
      const decision = decide(current, input, {
        runbook,
        now,
        random,
        safety,
        checkSeconds: this.ports.checkSeconds,
        pageUnmanagedInstances: this.ports.pageUnmanagedInstances ?? false,
      });
      if (!decision.changed && decision.unmanaged) return this.leftAlone(input, loaded, decision.reason);
      if (!decision.changed) {
        if (decision.remember) {
          // No incident, but the alarm's state is kept: an older ALARM delivered later is known stale.
          try {
            await store.remember(decision.remember, current);
          } catch (error) {
            if (error instanceof IncidentConflictError && round < MAX_CONFLICTS) continue;
            throw error;
          }
          logger.info('alarm state kept', { state: decision.remember.alarmState, reason: decision.reason });
          return { changed: false, incident: undefined, reason: decision.reason };
        }
        logger.info('input absorbed', { input: input.kind, reason: decision.reason, status: loaded?.status });
        return { changed: false, incident: loaded, reason: decision.reason };
      }
      const { incident, effects } = decision;
      // Not after a lost write in this call: writing makes the timers it left behind stale at once.
      const moved = orphanedTimers ? undefined : stillWaiting(current, input, incident, effects);
      if (moved) {
        // Waiting again on the same gate: the record would change only in its timer. The same timer
        // (its token still current) comes back later instead, and nothing is written. A wake-up is
        // a copy of that timer sent early: the one it copied is still on its way, and stays the only one.
        const woken = input.kind === 'timer' && input.timer.wake !== undefined;
        if (!woken) await this.ports.timers.schedule(moved, now);
        const joined = await this.keepInLine(runbook, input, loaded, effects, false);
        logger.info('still waiting; the retry comes back later', {
          reason: incident.refusals?.at(-1)?.reason,
          dueAt: new Date(moved.dueAt).toISOString(),
        });
        return { changed: false, incident: loaded, reason: 'still waiting', joined };
      }
      // Every log line of the invocation from here on names the incident.
      logger.setCorrelationId(incident.id);
      await this.scheduleTimers(effects);
      try {
        await store.save(incident, current, decision.closed);
      } catch (error) {
        if (effects.some((effect) => effect.kind === 'schedule-timer')) orphanedTimers = true;
        if (error instanceof ClaimConflictError && ++claimConflicts < MAX_CLAIM_CONFLICTS) {
          logger.info('lost a race for a shared limit; reading the limits again', {
            claims: error.claims,
            round,
          });
          await sleep(this.ports.random() * 25);
          continue;
        }
        if (!(error instanceof IncidentConflictError) || round >= MAX_CONFLICTS + MAX_CLAIM_CONFLICTS)
          throw error;
        logger.info('lost a race for the incident; deciding again', { round, input: input.kind });
        continue;
      }
      logger.info('incident updated', {
        input: input.kind,
        from: loaded?.id === incident.id ? loaded.status : undefined,
        to: incident.status,
        version: incident.version,
        ...(decision.closed ? { closedEpisode: decision.closed.id } : {}),
      });
      const before = decision.closed ?? loaded;
      if (decision.closed)
        for (const point of transitionMetrics(loaded, decision.closed)) this.ports.metrics.record(point);
      for (const point of transitionMetrics(before, incident)) this.ports.metrics.record(point);
      if (decision.closed) await this.ports.gates.afterSave(runbook, loaded, decision.closed);
      await this.ports.gates.afterSave(runbook, before, incident);
      const joined = await this.keepInLine(runbook, input, loaded, effects, true);
      await this.carryOut(key, runbook, effects, incident);
      return {
        changed: true,
        incident,
        opened: loaded?.id !== incident.id,
        ...(joined.length > 0 ? { joined } : {}),
      };
    }
  }

  /**
   * An alarm on an instance that is not this deployment's: logged with the reason and counted (each
   * alarm state change once; the resync's looks at an alarm still in ALARM are logged only), never
   * written, run or paged.
   */
  private leftAlone(input: DecisionInput, loaded: Incident | undefined, reason: string): ProcessOutcome {
    const alarm = input.kind === 'alarm' || input.kind === 'resync' ? input.alarm : undefined;
    this.ports.logger.info('alarm on an instance without the opt-in tag; left alone', {
      input: input.kind,
      alarmName: alarm?.alarmName,
      reason,
    });
    if (input.kind === 'alarm')
      this.ports.metrics.record({ name: METRIC.unmanagedAlarms, unit: 'Count', value: 1 });
    return { changed: false, incident: loaded, reason, unmanaged: true };
  }

  /**
   * Whether deciding `input` reads the gates' state without recording anything for the breaker: an
   * ALARM on an open incident, or a timer. (An ALARM that could open an incident is counted by the
   * breaker whatever becomes of it, so it always takes the full path.)
   */
  private readsGates(
    runbook: Runbook,
    input: DecisionInput,
    current: KeyRecord | undefined,
    firstLook: boolean,
  ): boolean {
    if (input.kind === 'timer' || input.kind === 'responder') return true;
    const alarmLike = input.kind === 'resync' || (input.kind === 'alarm' && input.alarm.state === 'ALARM');
    if (!alarmLike) return false;
    const opening = firstLook && (!isIncident(current) || !isOpen(current));
    return !(opening && runbook.breaker);
  }

  /**
   * What the gates need. Only an ALARM or a timer can start a command, so only they pay for the
   * reads; every alarm state of an instance is recorded for the fleet breaker's count.
   */
  private async safetyFacts(
    key: IncidentKey,
    runbook: Runbook,
    input: DecisionInput,
    current: Incident | undefined,
    firstLook: boolean,
  ): Promise<SafetyFacts> {
    const { gates } = this.ports;
    const instanceId = INSTANCE_ID.test(key.target) ? key.target : undefined;
    const alarm = (input.kind === 'alarm' && input.alarm.state === 'ALARM') || input.kind === 'resync';
    // A person's request may start an attempt: it reads every gate, as a timer does.
    if (!alarm && input.kind !== 'timer' && input.kind !== 'responder') {
      if (input.kind === 'alarm' && firstLook) await gates.recordAlarm(runbook, input);
      return {};
    }
    // Counted towards the breaker once per delivery; a retry after a lost race only reads again.
    const alarmInput =
      input.kind === 'alarm' || input.kind === 'resync'
        ? ({ kind: 'alarm', alarm: input.alarm, target: input.target } as const)
        : undefined;
    const opening = firstLook && alarmInput !== undefined && (!current || !isOpen(current));
    // The instance's lease is checked by the claim itself, so it is read first only by an incident
    // already waiting on it: elsewhere a busy instance is rare, and a lost claim reads it before
    // deciding again.
    const waitingOnLease = current?.status === 'waiting' && current.refusals?.at(-1)?.gate === 'lease';
    const readLease = !firstLook || waitingOnLease;
    // An opening ALARM counts towards the breaker, but only on an opted-in instance: there the tag is
    // read first. Elsewhere the reads go together, as reads.
    const openingAlarm = opening ? alarmInput : undefined;
    const reading = openingAlarm ? undefined : gates.read(runbook, readLease ? instanceId : undefined);
    const [paused, optIn, read] = await Promise.all([
      this.ports.killSwitch.pauseFor(runbook.name),
      instanceId ? this.ports.optIn.optIn(instanceId) : undefined,
      reading,
    ]);
    // An instance without the opt-in tag stops at the opt-in gate, or is left alone as not this
    // deployment's: the fleet's limits do not matter, and its alarms never count towards a breaker.
    if (optIn && !optIn.tagged) return { ...(paused ? { paused } : {}), optIn };
    const fleet = openingAlarm ? await gates.onOpeningAlarm(runbook, openingAlarm) : (read as FleetState);
    return {
      ...(paused ? { paused } : {}),
      ...(optIn ? { optIn } : {}),
      ...(this.ports.settleSeconds ? { settleSeconds: this.ports.settleSeconds } : {}),
      ...FleetGates.safetyFacts(fleet, runbook, this.ports.clock.now()),
    };
  }

  /**
   * After a decision: the incident stands in the line it was asked to join (see `wait-lists.ts`),
   * and leaves the one it stood in if it waits there no more. An entry a wake-up took is gone
   * already; one this incident's earlier decision put in line is put again with the new timer token
   * when the decision was `written`, and otherwise only checked.
   */
  private async keepInLine(
    runbook: Runbook,
    input: DecisionInput,
    loaded: Incident | undefined,
    effects: readonly Effect[],
    written: boolean,
  ): Promise<WaitListName[]> {
    const { waitLists } = this.ports.gates;
    const woken = input.kind === 'timer' ? input.timer.wake?.list : undefined;
    const stood = waitEntryOf(loaded, runbook);
    const joins = effects.filter((e): e is JoinWaitListEffect => e.kind === 'join-wait-list');
    const same = (join: JoinWaitListEffect) =>
      stood !== undefined &&
      join.list === stood.list &&
      join.until === stood.until &&
      join.wake.incidentId === loaded?.id;
    if (stood && loaded && woken !== stood.list && !joins.some(same))
      await waitLists.leave(stood.list, stood.until, loaded.id);
    for (const join of joins) {
      const inLine = same(join) && woken !== join.list;
      await waitLists.join(join, runbook, !inLine ? 'join' : written ? 'replace' : 'ensure');
    }
    return joins.map((join) => join.list);
  }

  private async scheduleTimers(effects: readonly Effect[]): Promise<void> {
    const now = this.ports.clock.now();
    await Promise.all(
      effects.filter((e) => e.kind === 'schedule-timer').map((e) => this.ports.timers.schedule(e.timer, now)),
    );
  }

  private async carryOut(
    key: IncidentKey,
    runbook: Runbook,
    effects: readonly Effect[],
    written: Incident,
  ): Promise<void> {
    // The transition is recorded: announce it, then act on it.
    await this.publish(effects.filter((e): e is PublishEventEffect => e.kind === 'publish-event'));
    const followUps: DecisionInput[] = [];
    for (const effect of effects) {
      if (effect.kind === 'send-command') {
        const sent = await this.send(effect);
        if (sent) followUps.push(sent);
      }
      if (effect.kind === 'page') {
        const sent = await this.page(effect, runbook);
        if (sent) followUps.push(sent);
      }
    }
    let latest: Incident | undefined = written;
    for (const input of followUps) latest = (await this.process(key, runbook, input, latest)).incident;
  }

  private async send(effect: SendCommandEffect): Promise<DecisionInput | undefined> {
    try {
      const commandId = await this.ports.commands.send(effect);
      this.ports.logger.info('command sent', {
        commandId,
        instanceId: effect.instanceId,
        attempt: effect.attempt,
        action: effect.action,
      });
      return {
        kind: 'command-sent',
        attempt: effect.attempt,
        commandId,
        ...(effect.phase ? { phase: effect.phase } : {}),
      };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof CommandOutcomeUnknownError) {
        // Maybe sent: the dispatch check asks SSM by the Comment rather than risk a second command.
        this.ports.logger.warn('SSM gave no clear answer; the dispatch check will ask it', {
          instanceId: effect.instanceId,
          error: message,
        });
        return undefined;
      }
      this.ports.logger.warn('SSM did not accept the command', {
        instanceId: effect.instanceId,
        error: message,
      });
      return {
        kind: 'command-not-sent',
        attempt: effect.attempt,
        error: message,
        ...(effect.phase ? { phase: effect.phase } : {}),
      };
    }
  }

  /** A page SNS did not take stays due; the incident's reconcile timer sends it again. */
  private async page(effect: PageEffect, runbook: Runbook): Promise<DecisionInput | undefined> {
    try {
      const messageId = await this.ports.pager.page(effect, runbook);
      this.ports.logger.info('page sent', { page: effect.page, messageId });
      return { kind: 'page-sent', page: effect.page, messageId };
    } catch (error) {
      this.ports.logger.error('page not sent; the reconcile timer will send it again', {
        page: effect.page,
        error,
      });
      return undefined;
    }
  }

  /** Remediation events are best effort: a failure is logged, never retried into a second decision. */
  private async publish(events: readonly PublishEventEffect[]): Promise<void> {
    if (events.length === 0) return;
    try {
      await this.ports.events.publish(events);
    } catch (error) {
      this.ports.logger.warn('remediation events not published', { count: events.length, error });
    }
  }
}
