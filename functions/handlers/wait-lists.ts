import type { Logger } from '@aws-lambda-powertools/logger';
import type { JoinWaitListEffect } from '../core/effects.ts';
import type { TimerMessage } from '../core/inputs.ts';
import type { Clock, FleetGuard, TimerQueue } from '../core/ports.ts';
import type { Runbook } from '../core/runbook.ts';
import type { WaitListName } from '../core/wait-lists.ts';

/** What the wait lists work with. */
export interface WaitListPorts {
  readonly fleet: FleetGuard;
  readonly timers: TimerQueue;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** What became of a wake-up's delivery, as the timer handler saw it (see {@link WaitLists.afterWake}). */
export interface WakeOutcome {
  /** The woken incident took what it was woken for (an attempt's hold). */
  readonly took: boolean;
  /** The lists the delivery put the incident in (again); each of them looked at its own list. */
  readonly joined: readonly WaitListName[];
}

/**
 * The shell of the wait lists (see `core/wait-lists.ts`). The decider asks to join one when a gate
 * asks to wait; this keeps the line and wakes it:
 *
 * - joining: after the incident's write, its entry is put in line, and then what it waits for is
 *   read once more: given back between the gates' read and the entry (its giver found nobody in
 *   line), it is handed out now. So a wake-up is lost only when a waker dies between taking an entry
 *   and sending its message, or a hold lapses instead of being given back: the waiter's slow
 *   fallback timer covers those;
 * - giving back: each lease or slot given back wakes the first in line for it, one waiter per thing
 *   given back. The entry is taken out of line by a conditional delete, so that two givers never wake
 *   the same waiter, and its retry is sent at once, marked with the list (and the slot given back,
 *   offered to it first);
 * - a woken incident asks every gate again, in the same transaction as ever, so the limits stay
 *   exact. If it did not take what it was woken for (it lost a race, it had moved on, a gate before
 *   stopped it), that is handed to the next in line.
 *
 * Best effort throughout: a failure is logged, and the waiters' fallback timers make up for it.
 */
export class WaitLists {
  private readonly ports: WaitListPorts;

  constructor(ports: WaitListPorts) {
    this.ports = ports;
  }

  /**
   * Puts the incident in line after the decision that made it wait, then hands out what it waits for
   * if it is free (given back before the entry was there, its giver found nobody to wake). `how`:
   * - `join`: not in this line (a new wait, another gate, or a wake-up took its entry);
   * - `replace`: its previous decision put this entry in line and no wake-up took it since, but the
   *   write gave its timer a new token: the entry is put again with it (a wake-up that took the old
   *   one meanwhile is stale, and is passed on);
   * - `ensure`: the same entry, same token (nothing was written): put back only if it went missing
   *   (its wake-up was lost on the way).
   */
  async join(
    effect: JoinWaitListEffect,
    runbook: Runbook,
    how: 'join' | 'replace' | 'ensure',
  ): Promise<void> {
    const { fleet, logger } = this.ports;
    const incidentId = effect.wake.incidentId;
    try {
      if (how === 'ensure' && (await fleet.inWaitList(effect.list, effect.until, incidentId))) return;
      await fleet.joinWaitList({ list: effect.list, until: effect.until, incidentId, wake: effect.wake });
      if (how !== 'replace') await this.wakeIfFree(effect.list, runbook);
    } catch (error) {
      logger.warn('not put in line; the fallback timer looks again', {
        list: effect.list,
        incidentId,
        error,
      });
    }
  }

  /** Takes an incident that stopped waiting out of line (best effort: a stale entry is passed over). */
  async leave(list: WaitListName, until: number, incidentId: string): Promise<void> {
    if (until <= this.ports.clock.now()) return;
    await this.ports.fleet.leaveWaitList(list, until, incidentId).catch((error: unknown) => {
      this.ports.logger.warn('left in line; a wake-up for it is passed on', { list, incidentId, error });
    });
  }

  /** What a hold gave back: wakes the first in line for the slot and for the lease. */
  async givenBack(
    runbook: Runbook,
    hold: { readonly instanceId: string; readonly slot: number },
    freed: { readonly lease: boolean; readonly slot: boolean },
  ): Promise<void> {
    await Promise.all([
      freed.slot ? this.wake(`runbook:${runbook.name}`, [hold.slot]) : undefined,
      freed.lease ? this.wake(`instance:${hold.instanceId}`, [undefined]) : undefined,
    ]);
  }

  /**
   * After a wake-up was delivered: unless the woken incident took what it was woken for, or went
   * back in the same line (which looked again), what was given back goes to the next in line.
   */
  async afterWake(runbook: Runbook, timer: TimerMessage, outcome: WakeOutcome): Promise<void> {
    const list = timer.wake?.list as WaitListName | undefined;
    if (!list || outcome.took || outcome.joined.includes(list)) return;
    await this.wakeIfFree(list, runbook);
  }

  /**
   * Wakes as many in line as what the list waits for has free now: a free slot each (each offered a
   * different one), or the instance when its lease is free.
   */
  async wakeIfFree(list: WaitListName, runbook: Runbook): Promise<void> {
    const { fleet, clock, logger } = this.ports;
    try {
      const now = clock.now();
      if (list.startsWith('runbook:')) {
        const { fleet: facts } = await fleet.read(runbook, undefined, now);
        const free = Math.min(facts.freeSlots.length, runbook.concurrency.maxInFlight - facts.slotsInUse);
        // Offered in a random order: others looking at the same free slots offer them too.
        if (free > 0) await this.wake(list, shuffled(facts.freeSlots).slice(0, free));
        return;
      }
      const instanceId = list.slice('instance:'.length);
      const { fleet: facts } = await fleet.read(runbook, instanceId, now);
      if (!facts.lease) await this.wake(list, [undefined]);
    } catch (error) {
      logger.warn('wait list not looked at; the fallback timers look again', { list, error });
    }
  }

  /** Wakes the first in line, one per offer (a slot to offer first, or nothing in particular). */
  private async wake(list: WaitListName, offers: readonly (number | undefined)[]): Promise<void> {
    const { fleet, timers, clock, logger } = this.ports;
    try {
      const now = clock.now();
      const taken = await fleet.takeFromWaitList(list, offers.length, now);
      await Promise.all(
        taken.map((entry, i) => {
          const slot = offers[i];
          const wake = { list, ...(slot === undefined ? {} : { slot }) };
          return timers.schedule({ ...entry.wake, dueAt: now, wake }, now);
        }),
      );
      if (taken.length > 0)
        logger.info('woke the first in line', { list, woken: taken.map((entry) => entry.incidentId) });
    } catch (error) {
      logger.warn('wake-up not sent; the fallback timer looks again', { list, error });
    }
  }
}

/** A copy of `items` in a random order (Fisher-Yates). */
function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}
