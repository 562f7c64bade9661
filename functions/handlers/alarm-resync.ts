import type { Logger } from '@aws-lambda-powertools/logger';
import { type AlarmChange, type AlarmTarget, alarmIdentity, alarmTarget } from '../core/alarm.ts';
import type { Reexamination } from '../core/fleet-messages.ts';
import { fnv1a64, incidentKeyFor, NO_TARGET } from '../core/identity.ts';
import { type Incident, type IncidentKey, isIncident, isOpen } from '../core/incident.ts';
import type { ResyncInput } from '../core/inputs.ts';
import { matchRunbook } from '../core/matching.ts';
import type { AlarmReader, Clock, IncidentStore, TimerQueue } from '../core/ports.ts';
import type { Runbook } from '../core/runbook.ts';
import type { FleetGates } from './fleet-gates.ts';
import type { IncidentProcessor } from './incident-processor.ts';
import type { RunbookCatalog } from './runbook-catalog.ts';

/** What the resync works with. */
export interface ResyncPorts {
  readonly alarms: AlarmReader;
  readonly store: Pick<IncidentStore, 'load' | 'openKeys'>;
  readonly processor: IncidentProcessor;
  readonly runbooks: RunbookCatalog;
  readonly timers: TimerQueue;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Names suppressed instances in the breaker's group page (see {@link FleetGates.nameSuppressed}). */
  readonly gates?: Pick<FleetGates, 'nameSuppressed'>;
}

/** What started a resync. */
export type ResyncCause = ResyncInput['cause'];

/** An alarm the resync found in ALARM, and what its incident is doing now. */
export interface AlarmSeen {
  readonly alarmName: string;
  readonly runbook: string;
  readonly instanceId?: string;
  readonly incidentId?: string;
  /** The incident's status after the resync looked (`remediating`, `escalated`, ...). */
  readonly status?: string;
  /**
   * What the resync did: opened an incident, made one look again, re-armed its timer, or nothing
   * (`unmanaged`: left alone, its instance does not carry the opt-in tag).
   */
  readonly action: 'opened' | 'looked-again' | 'rearmed' | 'in-hand' | 'muted' | 'unmanaged' | 'failed';
}

/** The outcome of one resync. */
export interface ResyncReport {
  readonly cause: ResyncCause;
  readonly runbook?: string;
  /** Alarms in ALARM that CloudWatch listed, and those a runbook answers (of `runbook`, when given). */
  readonly inAlarm: number;
  readonly answered: readonly AlarmSeen[];
  /** Open incidents whose alarm had left ALARM unseen (its OK lost), each given the state CloudWatch reports. */
  readonly settled: readonly {
    readonly incidentId: string;
    readonly state: string;
    readonly status: string;
  }[];
}

/**
 * An open incident whose timer is this late is taken as having lost it (a message dead-lettered, a
 * layout upgrade): the resync sends the same timer again, current token and all.
 */
export const OVERDUE_TIMER_MS = 10 * 60_000;
/** Alarms reconciled at once: the store and the gates see a few decisions at a time, not a storm. */
const CONCURRENCY = 8;
/**
 * How many more passes an alarm or incident whose work failed (a throttled write, a lost race) gets,
 * after the rest: what the resync read is acted on now, not five minutes later. An OK it read and
 * dropped would leave the incident free to act on an alarm already fixed.
 */
export const RESYNC_RETRY_PASSES = 2;
/** A settle that failed (logged), to be tried again. */
const FAILED = Symbol('failed');

/**
 * Runs `work` over `items`, CONCURRENCY at a time; the items whose result `failed` are run again
 * after the others, up to RESYNC_RETRY_PASSES more times. The results keep the items' order.
 */
async function inPasses<T, R>(
  items: readonly T[],
  work: (item: T) => Promise<R>,
  failed: (result: R) => boolean,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let pending = items.map((_, index) => index);
  for (let pass = 0; pass <= RESYNC_RETRY_PASSES && pending.length > 0; pass++) {
    for (let i = 0; i < pending.length; i += CONCURRENCY) {
      const batch = pending.slice(i, i + CONCURRENCY);
      const done = await Promise.all(batch.map((index) => work(items[index] as T)));
      batch.forEach((index, j) => {
        results[index] = done[j] as R;
      });
    }
    pending = pending.filter((index) => failed(results[index] as R));
  }
  return results;
}

/**
 * The level-triggered half of the system, as a Kubernetes controller resyncs: alarm events are edges
 * and may be lost, so every few minutes (and when a breaker closes, and on resume) the resync lists
 * the alarms in ALARM (DescribeAlarms, paginated and paced, no call per alarm) and hands each one a
 * runbook answers to the decider as a `resync` input. An alarm with no open incident gets one, as if
 * its event had arrived; an incident that stood down for a gate looks again; anything already in hand
 * absorbs it, so a resync of a quiet fleet writes nothing. Then the other way round: every open
 * incident (from the sparse index of open incidents) whose alarm the listing did not show is given the
 * state CloudWatch reports for it, as the OK event it missed would have.
 */
export class Resync {
  private readonly ports: ResyncPorts;

  constructor(ports: ResyncPorts) {
    this.ports = ports;
  }

  /** Reconciles every alarm in ALARM that a runbook (or `only` that runbook) answers. */
  async run(cause: ResyncCause, only?: string): Promise<ResyncReport> {
    const { alarms, runbooks, logger } = this.ports;
    const listed = await alarms.inAlarm();
    const work = listed.flatMap((alarm) => {
      const match = matchRunbook(alarm, runbooks.all);
      if (!match || (only && match.runbook.name !== only)) return [];
      return [{ alarm, runbook: match.runbook }];
    });
    const answered = await inPasses(
      work,
      ({ alarm, runbook }) => this.reconcile(alarm, runbook, cause),
      (seen) => seen.action === 'failed',
    );
    await this.nameSuppressed(answered);
    const inAlarm = new Set(listed.map((alarm) => fnv1a64(alarmIdentity(alarm))));
    const settled = await this.settleLeftAlarm(
      runbooks.all.filter((r) => !only || r.name === only),
      inAlarm,
    );
    const report: ResyncReport = {
      cause,
      ...(only ? { runbook: only } : {}),
      inAlarm: listed.length,
      answered,
      settled,
    };
    logger.info('resync done', {
      cause,
      runbook: only,
      inAlarm: listed.length,
      answered: answered.length,
      opened: answered.filter((a) => a.action === 'opened').length,
      lookedAgain: answered.filter((a) => a.action === 'looked-again').length,
      rearmed: answered.filter((a) => a.action === 'rearmed').length,
      unmanaged: answered.filter((a) => a.action === 'unmanaged').length,
      failed: answered.filter((a) => a.action === 'failed').length,
      settled: settled.length,
    });
    return report;
  }

  /**
   * The other half of the reconcile: an open incident whose alarm is no longer in ALARM missed the
   * event that said so (an OK lost, or a state change through INSUFFICIENT_DATA, which is not routed).
   * The open incidents come from the sparse index; each whose alarm the listing did not show is given
   * the state CloudWatch reports now, as its event would have (the decider's order guard absorbs it if
   * the incident already knows better). Few in a steady fleet: an incident is open while its alarm is
   * in ALARM, and only briefly after.
   */
  private async settleLeftAlarm(
    runbooks: readonly Runbook[],
    inAlarm: ReadonlySet<string>,
  ): Promise<ResyncReport['settled']> {
    const { store, logger } = this.ports;
    const work: { key: IncidentKey; runbook: Runbook }[] = [];
    for (const runbook of runbooks) {
      try {
        for (const key of await store.openKeys(runbook.name))
          if (!inAlarm.has(key.alarm)) work.push({ key, runbook });
      } catch (error) {
        logger.error('open incidents not listed; the next resync tries again', {
          runbook: runbook.name,
          error,
        });
      }
    }
    const done = await inPasses(
      work,
      ({ key, runbook }) => this.settle(key, runbook),
      (one) => one === FAILED,
    );
    return done.filter((one): one is ResyncReport['settled'][number] => one !== undefined && one !== FAILED);
  }

  private async settle(
    key: IncidentKey,
    runbook: Runbook,
  ): Promise<ResyncReport['settled'][number] | undefined | typeof FAILED> {
    const { store, alarms, processor, clock, logger } = this.ports;
    try {
      const record = await store.load(key);
      if (!isIncident(record) || !isOpen(record)) return undefined;
      const reading = await alarms.state(record.alarm.name, record.alarm.contributor?.id);
      if (!reading) {
        logger.warn('open incident whose alarm CloudWatch no longer has; its own timer decides', {
          incidentId: record.id,
          alarmName: record.alarm.name,
        });
        return undefined;
      }
      // Still (or again) in ALARM: the next listing shows it, or it just fired and its event is on the way.
      if (reading.state === 'ALARM' || reading.at === undefined) {
        await this.rearmIfOverdue(record);
        return undefined;
      }
      const outcome = await processor.process(key, runbook, {
        kind: 'alarm',
        alarm: observedChange(record, reading.state, reading.at),
        target: targetOf(key),
      });
      // An incident still open on an alarm that left ALARM waits on its own timer (a command's result):
      // if that timer was lost, it is sent again here, or nothing would ever look at the incident.
      const after = outcome.incident ?? record;
      if (after.id === record.id) await this.rearmIfOverdue(after);
      if (!outcome.changed) return undefined;
      logger.info('resync gave an open incident the state its alarm left ALARM for', {
        incidentId: record.id,
        state: reading.state,
        stateAt: new Date(reading.at).toISOString(),
        now: new Date(clock.now()).toISOString(),
      });
      return { incidentId: record.id, state: reading.state, status: outcome.incident?.status ?? 'unknown' };
    } catch (error) {
      logger.error('resync could not settle an open incident; it tries again after the others', {
        key,
        error,
      });
      return FAILED;
    }
  }

  /**
   * Every instance a breaker stood down on is named in its group page: the write that records it,
   * or the timer of its update, may have been lost since it was suppressed.
   */
  private async nameSuppressed(answered: readonly AlarmSeen[]): Promise<void> {
    const { gates, runbooks, logger } = this.ports;
    if (!gates) return;
    const byRunbook = new Map<string, string[]>();
    for (const seen of answered) {
      if (seen.status !== 'suppressed' || !seen.instanceId) continue;
      byRunbook.set(seen.runbook, [...(byRunbook.get(seen.runbook) ?? []), seen.instanceId]);
    }
    for (const [name, instanceIds] of byRunbook) {
      const runbook = runbooks.byName(name);
      if (!runbook) continue;
      await gates.nameSuppressed(runbook, instanceIds).catch((error: unknown) => {
        logger.error('suppressed instances not checked against the group page; the next resync does', {
          runbook: name,
          error,
        });
      });
    }
  }

  /**
   * An open incident whose timer is long overdue lost it (an SQS message dropped, a layout upgrade):
   * the same timer is sent again, current token and all. Whatever the alarm's state: an incident whose
   * command result was lost waits on that timer even after its alarm went OK.
   */
  private async rearmIfOverdue(incident: Incident): Promise<boolean> {
    const { timers, clock, logger } = this.ports;
    const now = clock.now();
    if (!isOpen(incident) || !incident.timer || now - incident.timer.dueAt <= OVERDUE_TIMER_MS) return false;
    logger.warn('open incident with an overdue timer; sending it again', {
      incidentId: incident.id,
      timer: incident.timer.kind,
      dueAt: new Date(incident.timer.dueAt).toISOString(),
    });
    await timers.schedule({ key: incident.key, incidentId: incident.id, ...incident.timer }, now);
    return true;
  }

  private async reconcile(
    alarm: Parameters<typeof alarmTarget>[0],
    runbook: Parameters<IncidentProcessor['process']>[1],
    cause: ResyncCause,
  ): Promise<AlarmSeen> {
    const { processor, logger } = this.ports;
    const target = alarmTarget(alarm);
    const key = incidentKeyFor(runbook.name, alarm, target);
    const seen = {
      alarmName: alarm.alarmName,
      runbook: runbook.name,
      ...(target.kind === 'instance' ? { instanceId: target.instanceId } : {}),
    };
    if (alarm.mutedBy) {
      // A mute rule (a maintenance window) stands automation down, as for its event; once the rule is
      // no longer active, the next resync finds the alarm and acts.
      logger.info('alarm muted; the resync leaves it until the mute ends', {
        alarmName: alarm.alarmName,
        mutedBy: alarm.mutedBy,
      });
      return { ...seen, action: 'muted' };
    }
    try {
      const outcome = await processor.process(key, runbook, { kind: 'resync', alarm, target, cause });
      if (outcome.unmanaged) return { ...seen, action: 'unmanaged' };
      const incident = outcome.incident;
      const about = incident ? { incidentId: incident.id, status: incident.status } : {};
      if (outcome.changed) return { ...seen, ...about, action: outcome.opened ? 'opened' : 'looked-again' };
      if (incident && (await this.rearmIfOverdue(incident))) return { ...seen, ...about, action: 'rearmed' };
      return { ...seen, ...about, action: 'in-hand' };
    } catch (error) {
      logger.error('resync could not reconcile an alarm; it tries again after the others', {
        alarmName: alarm.alarmName,
        error,
      });
      return { ...seen, action: 'failed' };
    }
  }
}

/** The state change CloudWatch reports for an incident's alarm, shaped as the event that was missed. */
function observedChange(incident: Incident, state: AlarmChange['state'], at: number): AlarmChange {
  const { alarm } = incident;
  return {
    alarmName: alarm.name,
    alarmArn: alarm.arn,
    account: alarm.account,
    region: alarm.region,
    state,
    previousState: 'ALARM',
    stateAt: at,
    reason: `found ${state} by the resync (DescribeAlarms): its state change event never arrived`,
    metrics: [],
    usesExpression: false,
    composite: false,
    tags: alarm.tags ?? {},
    ...(alarm.contributor ? { contributor: alarm.contributor } : {}),
  };
}

function targetOf(key: IncidentKey): AlarmTarget {
  return key.target === NO_TARGET
    ? { kind: 'none', reason: 'the alarm names no single instance' }
    : { kind: 'instance', instanceId: key.target };
}

/** What a breaker's close notice says of a resync: the alarms still in ALARM and their incidents. */
export function reexamination(report: ResyncReport): Reexamination {
  const failed = report.answered.filter((a) => a.action === 'failed').length;
  return {
    // An alarm on an instance that is not this deployment's is nobody's business here.
    stillInAlarm: report.answered
      .filter((a) => a.action !== 'unmanaged')
      .map(({ alarmName, instanceId, incidentId, status }) => ({
        alarmName,
        ...(instanceId ? { instanceId } : {}),
        ...(incidentId ? { incidentId } : {}),
        ...(status ? { status } : {}),
      })),
    ...(failed > 0 ? { failed: `${failed} alarm(s) could not be reconciled` } : {}),
  };
}
