import type { BackoffPolicy } from './runbook.ts';

/**
 * The wait before attempt `nextAttempt` (2, 3, ...), in whole seconds: "full jitter", uniform in
 * [1, min(cap, base * 2^(nextAttempt - 2))]. Jitter spreads the retries of a fleet that failed
 * together; the floor of one second keeps the order of timers on a queue precise to the second.
 *
 * @param random a number in [0, 1), supplied by the caller so that the decider stays pure
 */
export function backoffSeconds(policy: BackoffPolicy, nextAttempt: number, random: number): number {
  const exponent = Math.max(0, nextAttempt - 2);
  const ceiling = Math.min(policy.capSeconds, policy.baseSeconds * 2 ** Math.min(exponent, 30));
  const clamped = Math.min(Math.max(random, 0), 1 - Number.EPSILON);
  return Math.max(1, Math.ceil(clamped * ceiling));
}
