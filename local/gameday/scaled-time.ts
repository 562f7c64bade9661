import type { Scheduler } from '../agenda.ts';

/**
 * Virtual seconds per real second, at most, while a remediation command runs: real time, so that a
 * script's duration on the clock of its execution timeout is the one it has on an instance.
 */
export const HOLD_RATE = 1;

interface Pending {
  readonly at: number;
  readonly label: string;
  readonly run: () => Promise<void>;
  timer?: NodeJS.Timeout;
}

/**
 * Real time, compressed: the game day's clock runs `speed` times faster than the wall clock, so
 * alarm periods, backoffs and verify windows pass quickly, while the sandboxes (real processes, real
 * files) live in real time. While a remediation command runs in a sandbox (`hold`), the clock slows
 * to at most HOLD_RATE times real time (real time itself): a command's execution timeout runs on
 * this clock, as the decider's deadlines do, so a script that takes fifteen seconds takes fifteen
 * seconds of it, and times out or not as it would on an instance, whatever the speed (at 60x it
 * would take fifteen minutes). The game day's length on the wall clock grows by little: the virtual
 * time a command no longer takes passes at `speed` afterwards. Order is kept: work scheduled for an
 * earlier virtual moment starts first. Every task is tracked, so that `stop` can wait for those
 * under way.
 */
export class ScaledTime implements Scheduler {
  readonly speed: number;
  readonly failures: Array<{ label: string; error: unknown }> = [];
  private readonly startReal: number;
  /** The clock at the last change of rate. */
  private virtualMark: number;
  private realMark: number;
  private holds = 0;
  private readonly pending = new Set<Pending>();
  private readonly running = new Set<Promise<void>>();
  private stopped = false;

  constructor(startVirtual: number, speed: number) {
    if (!(speed > 0)) throw new Error(`speed must be above 0, not ${speed}`);
    this.speed = speed;
    this.startReal = performance.now();
    this.virtualMark = startVirtual;
    this.realMark = this.startReal;
  }

  /** Virtual seconds per real second right now. */
  get rate(): number {
    return this.holds > 0 ? Math.min(HOLD_RATE, this.speed) : this.speed;
  }

  now(): number {
    return Math.floor(this.virtualMark + (performance.now() - this.realMark) * this.rate);
  }

  /** Real milliseconds since the start. */
  elapsedRealMs(): number {
    return performance.now() - this.startReal;
  }

  at(at: number, label: string, run: () => Promise<void>): void {
    if (this.stopped) return;
    const entry: Pending = { at, label, run };
    this.pending.add(entry);
    this.arm(entry);
  }

  /** Slows the clock to HOLD_RATE (if it runs faster) until the returned function is called. */
  hold(): () => void {
    this.setHolds(this.holds + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.setHolds(this.holds - 1);
    };
  }

  /** Resolves when the virtual clock reaches `at`. */
  async until(at: number): Promise<void> {
    await new Promise<void>((resolve) => this.at(at, 'until', async () => resolve()));
  }

  /** Cancels what has not started and waits for what has. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const entry of this.pending) clearTimeout(entry.timer);
    this.pending.clear();
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private setHolds(holds: number): void {
    const before = this.rate;
    this.virtualMark = this.now();
    this.realMark = performance.now();
    this.holds = holds;
    if (this.rate !== before) for (const entry of this.pending) this.arm(entry);
  }

  private arm(entry: Pending): void {
    clearTimeout(entry.timer);
    const delay = Math.max(0, (entry.at - this.now()) / this.rate);
    entry.timer = setTimeout(() => this.fire(entry), delay);
  }

  private fire(entry: Pending): void {
    if (!this.pending.delete(entry) || this.stopped) return;
    const task = entry
      .run()
      .catch((error: unknown) => {
        this.failures.push({ label: entry.label, error });
      })
      .finally(() => this.running.delete(task));
    this.running.add(task);
  }
}
