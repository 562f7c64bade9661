import type { GateName } from './gates.ts';
import type { Incident } from './incident.ts';
import type { Runbook } from './runbook.ts';

/**
 * Wait lists: an incident that the lease or the concurrency gate asks to wait joins the list of what
 * it waits for, and whoever gives that back wakes the first in line, instead of every waiting
 * incident polling the gates. Pure: the names, the order and the fallback's due time; the shell keeps
 * the lists (functions/handlers/wait-lists.ts) and the table their entries.
 *
 * - `runbook:<name>`: incidents waiting for one of the runbook's concurrency slots;
 * - `instance:<id>`: incidents (of any runbook) waiting for the instance's lease.
 *
 * The line is ordered by each wait's deadline (its start plus the runbook's `maxWaitSeconds`), which
 * for one runbook is the order in which the waits began: first come, first served. A waiter that is
 * woken, loses the race and waits again keeps its place, and an entry whose deadline passed is no
 * longer in line (its incident's own timer pages or acts at the deadline).
 */
export type WaitListName = `runbook:${string}` | `instance:${string}`;

/**
 * The slow timer of a waiting incident: it stands in for a wake-up that never came (the waker died
 * between taking the entry and sending the message, a hold that lapsed instead of being given back).
 * The looks are spread evenly up to the deadline, each no longer than this: with the default wait
 * of 900 s, a wait that is never woken costs two timer messages, the second one at the deadline.
 * Lost wake-ups are rare (joining reads the gate again after the entry is in line, and a wake-up
 * that finds its incident moved on is passed to the next in line), and in a long line the others'
 * looks take up a slot left free within moments: what this bounds is a lone waiter's delay.
 */
export const WAIT_FALLBACK_SECONDS = 450;

/** The list a gate's "wait" puts the incident in; undefined for a gate that has none. */
export function waitListFor(gate: GateName, incident: Incident, runbook: string): WaitListName | undefined {
  if (gate === 'concurrency') return `runbook:${runbook}`;
  if (gate === 'lease' && incident.instanceId) return `instance:${incident.instanceId}`;
  return undefined;
}

/** When the wait of an incident waiting since `since` reaches `maxWaitSeconds` (epoch ms). */
export function waitDeadline(since: number, runbook: Runbook): number {
  return since + runbook.concurrency.maxWaitSeconds * 1000;
}

/**
 * The fallback look's due time: the time left until the deadline split into equal waits of at most
 * {@link WAIT_FALLBACK_SECONDS}, so that the last one falls on the deadline itself (where the wait
 * pages, or acts if the gates let it), never after it. At least a second on.
 */
export function fallbackDueAt(now: number, deadline: number): number {
  const left = deadline - now;
  if (left <= 1000) return now + 1000;
  const looks = Math.ceil(left / (WAIT_FALLBACK_SECONDS * 1000));
  return now + Math.max(1000, Math.ceil(left / looks / 1000) * 1000);
}

/** Where a waiting incident stands in line: its list and its wait's deadline; undefined when it is in none. */
export function waitEntryOf(
  incident: Incident | undefined,
  runbook: Runbook,
): { readonly list: WaitListName; readonly until: number } | undefined {
  if (incident?.status !== 'waiting' || incident.waitingSince === undefined) return undefined;
  const gate = incident.refusals?.at(-1)?.gate;
  const list = gate ? waitListFor(gate, incident, incident.key.runbook) : undefined;
  return list ? { list, until: waitDeadline(incident.waitingSince, runbook) } : undefined;
}
