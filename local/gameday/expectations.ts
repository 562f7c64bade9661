import type { Incident } from '../../functions/core/incident.ts';
import type { RecordedPage } from '../local-ports.ts';
import type { OpenBreakerAtEnd } from './audit.ts';
import type { GameDayExpectation, GameDayFault } from './record.ts';
import type { ScenarioDefinition, ScenarioFault } from './scenario.ts';

/** What the game day saw, to judge the scenario's expectations against. */
export interface Observed {
  readonly scenario: ScenarioDefinition;
  /** Each fault with the instances it was planned for. */
  readonly plan: readonly { readonly fault: ScenarioFault; readonly instanceIds: readonly string[] }[];
  readonly faults: readonly GameDayFault[];
  /** Every incident, current and archived. */
  readonly incidents: readonly Incident[];
  readonly pages: readonly RecordedPage[];
  /** Handler, timer and bus failures: each one fails the game day. */
  readonly failures: readonly string[];
  /** The breakers still open at the end: their group pages cover the instances they name. */
  readonly breakers?: readonly OpenBreakerAtEnd[];
}

/** Statuses an incident may end a game day in: automation is done with it. */
const SETTLED = new Set(['resolved', 'escalated', 'suppressed']);

/**
 * Judges a game day: each fault was injected; each instance it hit has an incident of the fault's
 * runbook, opened after the fault, that ended as the scenario says (with the gate it names, and one
 * page at most); breakers paged their groups as often as expected; no incident was left mid-flight;
 * and nothing failed on the way.
 */
export function judge(observed: Observed): GameDayExpectation[] {
  const results: GameDayExpectation[] = [];
  for (const { fault, instanceIds } of observed.plan) {
    for (const instanceId of instanceIds) {
      const injected = observed.faults.find(
        (f) => f.instanceId === instanceId && f.description === fault.description,
      );
      const description = `${fault.description} on ${instanceId}: ${fault.expect}${fault.gate ? ` (${fault.gate} gate)` : ''}`;
      if (!injected?.injected) {
        results.push({
          description,
          held: false,
          detail: injected ? 'the fault script failed' : 'the fault never ran',
        });
        continue;
      }
      const incident = observed.incidents
        .filter(
          (i) => i.key.runbook === fault.runbook && i.instanceId === instanceId && i.openedAt >= injected.at,
        )
        .sort((a, b) => a.openedAt - b.openedAt)[0];
      if (!incident) {
        results.push({
          description,
          held: false,
          detail: `no ${fault.runbook} incident opened after the fault`,
        });
        continue;
      }
      results.push({ description, ...outcome(incident, fault, observed.pages, observed.breakers ?? []) });
    }
  }
  for (const breaker of observed.scenario.breakers ?? []) {
    const group = observed.pages.filter(
      (p) => p.page === 'breaker-opened' && p.incidentId.startsWith(`breaker/${breaker.runbook}/`),
    );
    results.push({
      description: `the ${breaker.runbook} fleet breaker pages the group ${breaker.groupPages} time(s)`,
      held: group.length === breaker.groupPages,
      detail: `${group.length} group page(s)${group[0] ? `: ${group[0].subject}` : ''}`,
    });
  }
  const unsettled = observed.incidents.filter((i) => !SETTLED.has(i.status));
  results.push({
    description: 'every incident ended: resolved, escalated or suppressed',
    held: unsettled.length === 0,
    detail:
      unsettled.length === 0
        ? `${observed.incidents.length} incident(s), none left mid-flight`
        : unsettled.map((i) => `${i.id} is ${i.status}`).join('; '),
  });
  const pagedTwice = observed.incidents.filter(
    (i) => observed.pages.filter((p) => p.incidentId === i.id && p.page === 'escalation').length > 1,
  );
  results.push({
    description: 'no incident was paged twice',
    held: pagedTwice.length === 0,
    detail:
      pagedTwice.length === 0
        ? 'one escalation page per incident at most'
        : pagedTwice.map((i) => i.id).join(', '),
  });
  results.push({
    description: 'no handler, timer or bus delivery failed',
    held: observed.failures.length === 0,
    detail: observed.failures.length === 0 ? 'none failed' : observed.failures.slice(0, 5).join('; '),
  });
  return results;
}

function outcome(
  incident: Incident,
  fault: ScenarioFault,
  pages: readonly RecordedPage[],
  breakers: readonly OpenBreakerAtEnd[],
): { held: boolean; detail: string } {
  const escalationPages = pages.filter((p) => p.incidentId === incident.id && p.page === 'escalation').length;
  const fixed = incident.status === 'resolved' && incident.resolution?.how === 'verified';
  const suppressed = incident.status === 'suppressed' || incident.refusals?.some((r) => r.gate === 'breaker');
  const gates = (incident.refusals ?? []).map((r) => r.gate);
  const seen = `${incident.id}: ${incident.status}${incident.resolution ? ` (${incident.resolution.how})` : ''}, ${incident.attempts.length} attempt(s), ${escalationPages} page(s)${gates.length ? `, refused by ${gates.join(', ')}` : ''}`;
  let held: boolean;
  switch (fault.expect) {
    case 'fixed':
      held = fixed && escalationPages === 0;
      break;
    case 'escalated':
      held = incident.status === 'escalated' && escalationPages === 1 && carriesOutput(incident, pages);
      break;
    case 'suppressed':
      held = suppressed === true && escalationPages === 0;
      break;
    case 'fixed-or-suppressed': {
      // Suppressed is not an ending: the host is fixed (once the breaker closed and the resync looked
      // again), paged on its own, or still covered by an open breaker's group page.
      const covered =
        incident.status === 'suppressed' &&
        breakers.some(
          (b) =>
            b.runbook === incident.key.runbook && b.paged && b.instances.includes(incident.instanceId ?? ''),
        );
      const paged = incident.status === 'escalated' && escalationPages === 1;
      held = (fixed && escalationPages === 0) || covered || (suppressed === true && paged);
      break;
    }
  }
  if (fault.gate && !gates.includes(fault.gate)) held = false;
  return { held, detail: seen };
}

/** The escalation page carries what the last attempt printed (its last line, at least). */
function carriesOutput(incident: Incident, pages: readonly RecordedPage[]): boolean {
  const last = incident.attempts.at(-1)?.result;
  const printed = `${last?.stdout ?? ''}\n${last?.stderr ?? ''}`
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .at(-1);
  if (!printed) return true;
  const page = pages.find((p) => p.incidentId === incident.id && p.page === 'escalation');
  return page?.body.includes(printed.slice(0, 80)) === true;
}
