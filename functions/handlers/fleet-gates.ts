import type { Logger } from '@aws-lambda-powertools/logger';
import {
  autoDisableTrips,
  type BreakerRecord,
  breakerHolds,
  breakerTrips,
  FLEET_SEEN_DAYS,
  judgedRuns,
  needsSeenCount,
  unnamedInstances,
} from '../core/fleet.ts';
import {
  breakerClosedNotice,
  breakerGrewNotice,
  breakerOpenedNotice,
  dryRunNotice,
  type Reexamination,
} from '../core/fleet-messages.ts';
import type { ModeOverride, SafetyFacts } from '../core/gates.ts';
import type { Incident } from '../core/incident.ts';
import type { AlarmInput, BreakerTimerMessage } from '../core/inputs.ts';
import type { PageContext } from '../core/page-formats/next-steps.ts';
import type { Clock, FleetGuard, FleetState, InstanceInventory, Pager, TimerQueue } from '../core/ports.ts';
import type { Runbook } from '../core/runbook.ts';
import { PAGE_RETRY_SECONDS } from '../core/transitions.ts';
import { WaitLists } from './wait-lists.ts';

/**
 * How long an update of the group page waits after the first suppression it will name, so that the
 * instances of a storm are named together in one update instead of one page each.
 */
export const BREAKER_UPDATE_SECONDS = 60;
/** An update this late is taken as having lost its timer: the breaker's own timer or the resync sends it. */
export const BREAKER_UPDATE_OVERDUE_MS = 5 * 60_000;
/**
 * How long after a breaker closed the scheduled resync still sends its OK when no announcement of
 * the close reached the pager (the notice failed, or the close was never announced).
 */
export const CLOSE_ANNOUNCE_WINDOW_MS = 60 * 60_000;

/** What the fleet gates work with. */
export interface FleetGatePorts {
  readonly fleet: FleetGuard;
  readonly inventory: InstanceInventory;
  readonly pager: Pager;
  readonly timers: TimerQueue;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The incident table, named in the commands the notices print (`--table`). */
  readonly tableName?: string;
  /** The operator function, named in the commands that act (`--function`). */
  readonly operatorFunction?: string;
}

/**
 * The shell of the fleet gates, around the pure judgements of `core/fleet.ts`: it records what each
 * alarm says about the fleet, opens the breaker (one writer wins, and only it pages the group),
 * closes it after the quiet period, gives back what finished attempts held, and switches a runbook
 * that keeps failing to dry-run.
 */
export class FleetGates {
  private readonly ports: FleetGatePorts;
  /** The lines of incidents waiting for a slot or a lease, woken by what the holds give back. */
  readonly waitLists: WaitLists;
  /**
   * Looks again at the runbook's alarms still in ALARM (the resync), once a breaker closed: set by the
   * runtime, which builds the resync after the gates.
   */
  reexamine?: (runbook: Runbook) => Promise<Reexamination>;

  constructor(ports: FleetGatePorts) {
    this.ports = ports;
    this.waitLists = new WaitLists(ports);
  }

  /** What the notices may say beyond the fleet: the table and the function their commands name. */
  get pageContext(): PageContext {
    return {
      ...(this.ports.tableName ? { tableName: this.ports.tableName } : {}),
      ...(this.ports.operatorFunction ? { operatorFunction: this.ports.operatorFunction } : {}),
    };
  }

  /** The recorded state of a runbook's instances, the one gates need for a decision on `instanceId`. */
  async read(runbook: Runbook, instanceId: string | undefined): Promise<FleetState> {
    return this.ports.fleet.read(runbook, instanceId, this.ports.clock.now());
  }

  /**
   * Records a fleet alarm's own count of the series it evaluated ("N out of M time series"), which
   * stands in for the healthy instances whose series never send an event.
   */
  async recordFleetSeries(runbook: Runbook, alarmName: string, series: number, at: number): Promise<void> {
    if (!runbook.breaker) return;
    await this.ports.fleet.recordFleetSeries(
      runbook.name,
      alarmName,
      series,
      Math.min(at, this.ports.clock.now()),
    );
  }

  /** Records an alarm state of an instance for the runbook's fleet (every state counts as seen). */
  async recordAlarm(runbook: Runbook, input: AlarmInput): Promise<void> {
    // The records serve the breaker only: a runbook without one pays nothing for them.
    if (input.target.kind !== 'instance' || !runbook.breaker) return;
    const at = Math.min(input.alarm.stateAt, this.ports.clock.now());
    await this.ports.fleet.recordAlarm(runbook.name, input.target.instanceId, input.alarm.state, at);
  }

  /**
   * An ALARM that opens an incident: counted towards the breaker, which opens when the runbook's
   * alarms look like a fleet event. Resolves to the state the gates decide on.
   */
  async onOpeningAlarm(runbook: Runbook, input: AlarmInput): Promise<FleetState> {
    const { fleet, clock } = this.ports;
    const instanceId = input.target.kind === 'instance' ? input.target.instanceId : undefined;
    // Without the instance's lease: the claim checks it (see IncidentProcessor.safetyFacts).
    const [, state] = await Promise.all([this.recordAlarm(runbook, input), this.read(runbook, undefined)]);
    const policy = runbook.breaker;
    if (!instanceId || !policy) return state;
    const now = clock.now();
    if (breakerHolds(state.breaker, policy, now)) {
      const open = state.breaker as BreakerRecord;
      await fleet.addToBreaker(runbook.name, open.openedAt, instanceId, now);
      return state;
    }
    // Alarms from before the breaker last closed were judged already: an operator who closed it
    // must not see it reopen on the next alarm because the window still holds the old ones.
    const since = Math.max(now - policy.windowSeconds * 1000, (state.breaker?.closedAt ?? 0) + 1);
    const alarming = await fleet.alarmWindow(runbook.name, since, policy.maxInstances + 1);
    // A fleet alarm's healthy series send no event: its last series count stands in for them.
    const seenSince = now - FLEET_SEEN_DAYS * 86_400_000;
    const seen = needsSeenCount(alarming.length, policy)
      ? Math.max(
          ...(await Promise.all([
            fleet.seenCount(runbook.name, seenSince),
            fleet.fleetSeries(runbook.name, seenSince),
          ])),
        )
      : alarming.length;
    const reason = breakerTrips({ alarming, seen }, policy);
    if (!reason) return state;
    const record: BreakerRecord = {
      state: 'open',
      openedAt: now,
      reason,
      instances: alarming.map((a) => a.instanceId),
      lastAlarmAt: now,
      page: { status: 'due' },
    };
    // Timers first: a breaker that opened without its timer would never send a lost page or close.
    await this.scheduleBreakerTimer(runbook, record.openedAt, now + PAGE_RETRY_SECONDS * 1000);
    if (!(await fleet.openBreaker(runbook.name, record, policy.quietSeconds))) {
      // Another alarm opened it a moment ago; its writer pages the group.
      const current = await this.read(runbook, undefined);
      if (current.breaker?.state === 'open')
        await fleet.addToBreaker(runbook.name, current.breaker.openedAt, instanceId, now);
      return current;
    }
    this.ports.logger.warn('fleet breaker opened', {
      runbook: runbook.name,
      reason,
      instances: record.instances,
    });
    await this.sendGroupPage(runbook, record);
    return { ...state, breaker: record };
  }

  /**
   * A breaker timer: send the group page again if the pager did not take it, name the instances
   * suppressed since (an update page), close after the quiet period. An update timer only updates.
   */
  async onBreakerTimer(runbook: Runbook, timer: BreakerTimerMessage): Promise<string> {
    const { fleet, clock, logger } = this.ports;
    const now = clock.now();
    const { breaker } = await this.read(runbook, undefined);
    if (breaker?.state !== 'open' || breaker.openedAt !== timer.openedAt) return 'stale breaker timer';
    if (timer.purpose === 'update') return this.sendUpdate(runbook, breaker);
    if (breaker.page.status === 'due') await this.sendGroupPage(runbook, breaker);
    else if (updateLost(breaker, now)) await this.sendUpdate(runbook, breaker);
    const quietSeconds = runbook.breaker ? runbook.breaker.quietSeconds : 0;
    const quietEnds = breaker.lastAlarmAt + quietSeconds * 1000;
    if (now >= quietEnds) {
      const closed = await fleet.closeBreaker(runbook.name, { at: now, quietSince: breaker.lastAlarmAt });
      if (closed) {
        logger.info('fleet breaker closed after its quiet period', { runbook: runbook.name });
        await this.announceClosed(runbook, closed);
        return 'closed';
      }
    }
    const latest = (await this.read(runbook, undefined)).breaker;
    if (latest?.state !== 'open' || latest.openedAt !== timer.openedAt) return 'closed meanwhile';
    const nextQuietEnd = latest.lastAlarmAt + quietSeconds * 1000;
    const pageRetry =
      latest.page.status === 'due' ? now + PAGE_RETRY_SECONDS * 1000 : Number.POSITIVE_INFINITY;
    await this.scheduleBreakerTimer(runbook, latest.openedAt, Math.min(nextQuietEnd, pageRetry));
    return 'still open';
  }

  /**
   * After an incident's write: what its finished attempt held is given back, and the runs it judged
   * are recorded, which may switch the runbook to dry-run. Best effort: a release that fails lapses
   * with its hold's expiry.
   */
  async afterSave(runbook: Runbook, previous: Incident | undefined, next: Incident): Promise<void> {
    const { fleet, clock, logger } = this.ports;
    const held = previous?.hold;
    if (held && !(previous.id === next.id && next.hold?.attempt === held.attempt)) {
      const freed = await fleet.release(held, previous.id, runbook.name).catch((error: unknown) => {
        logger.warn('lease and slot not given back; they lapse at their expiry', {
          incidentId: previous.id,
          expiresAt: new Date(held.expiresAt).toISOString(),
          error,
        });
        return undefined;
      });
      // Each thing given back wakes the first in line for it (and only what this call gave back).
      if (freed) await this.waitLists.givenBack(runbook, held, freed);
    }
    const newlySuppressed =
      next.status === 'suppressed' && !(previous?.id === next.id && previous.status === 'suppressed');
    if (newlySuppressed && next.instanceId) {
      await this.nameSuppressed(runbook, [next.instanceId]).catch((error: unknown) => {
        logger.error('suppressed instance not yet recorded for the group page; the resync records it', {
          incidentId: next.id,
          error,
        });
      });
    }
    const runs = judgedRuns(previous, next, clock.now());
    if (runs.length === 0 || runbook.mode === 'dry-run' || !runbook.autoDisable) return;
    try {
      const latest = await fleet.recordRuns(runbook.name, runs, runbook.autoDisable.lastRuns);
      const reason = autoDisableTrips(latest, runbook.autoDisable);
      if (!reason) return;
      const override: ModeOverride = { mode: 'dry-run', reason, by: 'auto-disable', since: clock.now() };
      if (await fleet.setMode(runbook.name, override)) {
        logger.warn('runbook switched to dry-run', { runbook: runbook.name, reason });
        await this.notify(dryRunNotice(runbook, override, this.pageContext));
      }
    } catch (error) {
      logger.error('runs not recorded; auto-disable judges from the next ones', {
        runbook: runbook.name,
        error,
      });
    }
  }

  /**
   * A breaker closed (its quiet period, or an operator): the instances still in ALARM are looked at
   * again, each remediated or paged on its own (unless `lookAgain` is false: a resync is on its way),
   * and then the close is announced with what was found: the OK of the group page, in every form.
   * Announced once: a close whose OK reached the pager is not announced again.
   */
  async announceClosed(
    runbook: Runbook,
    closed: BreakerRecord,
    options: { readonly lookAgain?: boolean } = {},
  ): Promise<'announced' | 'announced before' | 'not sent'> {
    if (closed.closeAnnouncedAt !== undefined) return 'announced before';
    const seen =
      this.reexamine && options.lookAgain !== false
        ? await this.reexamine(runbook).catch((error: unknown): Reexamination => {
            this.ports.logger.error('the resync after the breaker closed failed', {
              runbook: runbook.name,
              error,
            });
            return { failed: error instanceof Error ? error.message : String(error), stillInAlarm: [] };
          })
        : undefined;
    const messageId = await this.notify(breakerClosedNotice(runbook, closed, seen, this.pageContext));
    if (!messageId) return 'not sent';
    await this.ports.fleet
      .breakerCloseAnnounced(runbook.name, closed.openedAt, this.ports.clock.now())
      .catch((error: unknown) => {
        this.ports.logger.warn('breaker close announced but not recorded; it may be announced again', {
          runbook: runbook.name,
          error,
        });
      });
    return 'announced';
  }

  /**
   * The OK of each breaker that closed within {@link CLOSE_ANNOUNCE_WINDOW_MS} and whose close no
   * announcement reached the pager: asked by the scheduled resync, so that every group page gets its
   * OK whoever closed the breaker, even when the announcement at the close failed.
   */
  async announceMissedCloses(runbooks: readonly Runbook[]): Promise<number> {
    const now = this.ports.clock.now();
    let announced = 0;
    for (const runbook of runbooks) {
      if (!runbook.breaker) continue;
      const { breaker } = await this.read(runbook, undefined);
      if (
        breaker?.state !== 'closed' ||
        breaker.closeAnnouncedAt !== undefined ||
        breaker.closedAt === undefined ||
        now - breaker.closedAt > CLOSE_ANNOUNCE_WINDOW_MS
      )
        continue;
      if ((await this.announceClosed(runbook, breaker)) === 'announced') announced += 1;
    }
    return announced;
  }

  /**
   * Instances whose incidents the open breaker suppressed: each joins the breaker's instances, and
   * those no group page names yet are named by an update page (one timer for all of them). Called
   * when an incident is suppressed, and by the resync for every suppressed incident it finds, so that
   * a write lost here, or an update timer lost in the queue, is made good within a resync.
   */
  async nameSuppressed(runbook: Runbook, instanceIds: readonly string[]): Promise<void> {
    if (!runbook.breaker || instanceIds.length === 0) return;
    const { fleet, clock } = this.ports;
    const now = clock.now();
    const { breaker } = await this.read(runbook, undefined);
    if (breaker?.state !== 'open') return;
    const named = new Set(breaker.named ?? []);
    const listed = new Set(breaker.instances);
    let scheduled = false;
    for (const instanceId of instanceIds) {
      if (named.has(instanceId) || (listed.has(instanceId) && breaker.updateDueAt !== undefined)) continue;
      const due = await fleet.suppressedUnder(runbook.name, instanceId, now + BREAKER_UPDATE_SECONDS * 1000);
      if (due) {
        await this.scheduleBreakerTimer(runbook, due.openedAt, due.dueAt, 'update');
        scheduled = true;
      }
    }
    if (!scheduled && updateLost(breaker, now))
      await this.scheduleBreakerTimer(runbook, breaker.openedAt, now, 'update');
  }

  /**
   * The update page: names the instances suppressed under the open breaker that no group page named
   * yet. Sent only once the opening page was (which names everything the breaker held by then).
   */
  private async sendUpdate(runbook: Runbook, breaker: BreakerRecord): Promise<string> {
    const { fleet, clock, logger } = this.ports;
    const now = clock.now();
    if (breaker.page.status === 'due') {
      await this.scheduleBreakerTimer(runbook, breaker.openedAt, now + PAGE_RETRY_SECONDS * 1000, 'update');
      return 'the group page is not sent yet; the update waits for it';
    }
    const added = unnamedInstances(breaker);
    if (added.length > 0) {
      const messageId = await this.notify(breakerGrewNotice(runbook, breaker, added, this.pageContext));
      if (!messageId) {
        await this.scheduleBreakerTimer(runbook, breaker.openedAt, now + PAGE_RETRY_SECONDS * 1000, 'update');
        return 'update not sent; trying again';
      }
      await fleet.breakerPaged(runbook.name, breaker.openedAt, messageId, added);
      logger.info('group page updated', { runbook: runbook.name, named: added.length });
    }
    await fleet.clearBreakerUpdate(runbook.name, breaker.openedAt);
    // Suppressed while this ran, and left without a timer of their own since one was due: named next.
    const latest = (await this.read(runbook, undefined)).breaker;
    if (latest?.state === 'open' && latest.openedAt === breaker.openedAt) {
      const left = unnamedInstances(latest);
      if (left.length > 0) await this.nameSuppressed(runbook, left);
    }
    return added.length > 0 ? `named ${added.length} more instance(s)` : 'nothing new to name';
  }

  /** The gates' facts from a fleet state. */
  static safetyFacts(state: FleetState, runbook: Runbook, now: number): SafetyFacts {
    const open =
      state.breaker && breakerHolds(state.breaker, runbook.breaker, now) ? state.breaker : undefined;
    return {
      fleet: state.fleet,
      ...(open
        ? { breaker: { openedAt: open.openedAt, reason: open.reason, instances: open.instances.length } }
        : {}),
      ...(state.mode ? { dryRun: state.mode } : {}),
    };
  }

  private async sendGroupPage(runbook: Runbook, record: BreakerRecord): Promise<void> {
    const described = await this.ports.inventory.describe(record.instances).catch((error: unknown) => ({
      error: error instanceof Error ? error.message : String(error),
    }));
    const messageId = await this.notify(breakerOpenedNotice(runbook, record, described, this.pageContext));
    if (messageId)
      await this.ports.fleet.breakerPaged(runbook.name, record.openedAt, messageId, record.instances);
  }

  /** Sends a fleet notice; resolves to the pager's message id, or undefined when it failed (logged). */
  async notify(notice: Parameters<Pager['notify']>[0]): Promise<string | undefined> {
    try {
      const messageId = await this.ports.pager.notify(notice);
      this.ports.logger.info('notice sent', { notice: notice.kind, runbook: notice.runbook, messageId });
      return messageId;
    } catch (error) {
      this.ports.logger.error('notice not sent', { notice: notice.kind, runbook: notice.runbook, error });
      return undefined;
    }
  }

  private async scheduleBreakerTimer(
    runbook: Runbook,
    openedAt: number,
    dueAt: number,
    purpose?: 'update',
  ): Promise<void> {
    await this.ports.timers.schedule(
      { kind: 'breaker', runbook: runbook.name, openedAt, dueAt, ...(purpose ? { purpose } : {}) },
      this.ports.clock.now(),
    );
  }
}

/** An update page that is long overdue (its timer was lost), or instances left unnamed with none due. */
function updateLost(breaker: BreakerRecord, now: number): boolean {
  if (breaker.page.status !== 'sent' || unnamedInstances(breaker).length === 0) return false;
  return breaker.updateDueAt === undefined || now - breaker.updateDueAt > BREAKER_UPDATE_OVERDUE_MS;
}
