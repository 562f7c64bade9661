import type { Clock } from '../functions/core/ports.ts';

/** Runs work at moments of a clock: the virtual agenda, or the game day's scaled real time. */
export interface Scheduler extends Clock {
  /** Runs `run` at `at` (or as soon as possible, if `at` has passed). */
  at(at: number, label: string, run: () => Promise<void>): void;
}

/** Something to do at a moment of virtual time. */
interface Entry {
  readonly at: number;
  readonly order: number;
  readonly label: string;
  readonly run: () => Promise<void>;
}

/**
 * Virtual time for the local runtime: timers, command completions and alarm changes are entries
 * run in time order, and the clock jumps from one to the next. An hour of backoff takes no time,
 * and a run is the same every time.
 */
export class Agenda implements Scheduler {
  private entries: Entry[] = [];
  private current: number;
  private order = 0;

  constructor(start: number) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  /** Runs `run` at `at` (or now, if `at` has passed). Entries at the same time run in the order added. */
  at(at: number, label: string, run: () => Promise<void>): void {
    this.entries.push({ at: Math.max(at, this.current), order: this.order++, label, run });
  }

  /** Runs entries in time order until none is left or `until` is reached; returns how many ran. */
  async run(until = Number.POSITIVE_INFINITY): Promise<number> {
    let ran = 0;
    for (;;) {
      this.entries.sort((a, b) => a.at - b.at || a.order - b.order);
      const next = this.entries[0];
      if (!next || next.at > until) return ran;
      this.entries.shift();
      this.current = next.at;
      await next.run();
      ran += 1;
    }
  }

  /** Entries still waiting. */
  get pending(): number {
    return this.entries.length;
  }
}
