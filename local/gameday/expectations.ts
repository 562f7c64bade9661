import type { Incident } from '../../functions/core/incident.ts';
import { DIAGNOSE_ACTION } from '../../functions/core/runbook.ts';
import { runbooks as registry } from '../../runbooks/index.ts';
import type { RecordedPage } from '../local-ports.ts';
import type { OpenBreakerAtEnd } from './audit.ts';
import type { GameDayExpectation, GameDayFault, GameDayResponder } from './record.ts';
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
  /** What the scripted people on call saw and did. */
  readonly responders?: readonly GameDayResponder[];
  /** Every command the sandboxed SSM ran, with its instance, action and times. */
  readonly commands?: readonly CommandRun[];
}

/** A command the game day's SSM ran. */
export interface CommandRun {
  readonly instanceId: string;
  readonly runbook: string;
  readonly action: string;
  readonly requestedAt: number;
  readonly exitCode: number;
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
      const within = fault.pageWithinSeconds === undefined ? '' : `, paged within ${pageBudget(fault)} s`;
      const description = `${fault.description} on ${instanceId}: ${fault.expect}${fault.gate ? ` (${fault.gate} gate)` : ''}${within}`;
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
      results.push({ description, ...outcome(incident, fault, observed) });
    }
  }
  for (const person of observed.responders ?? []) results.push(responded(person));
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

/** A person on call got the page they waited for, and the operator function did what they asked (and their fix by hand ran). */
function responded(person: GameDayResponder): GameDayExpectation {
  const description = `${person.by} gets the ${person.waitsFor} page about ${person.runbook} on ${person.instanceId}, and ${person.verb}s its incident`;
  if (person.pageAt === undefined)
    return {
      description,
      held: false,
      detail: `no ${person.waitsFor} page about ${person.runbook} on ${person.instanceId} came within ${Math.round((person.watchUntil - person.watchFrom) / 60_000)} min of watching`,
    };
  if (!person.answer)
    return {
      description,
      held: false,
      detail: `paged about ${person.incidentId}, but never acted (the game day ended first)`,
    };
  const fix = person.handFix;
  const held = person.answer.ok && (fix === undefined || fix.exitCode === 0);
  const byHand = fix ? `; by hand: ${fix.description} (exit ${fix.exitCode})` : '';
  return { description, held, detail: `${person.verb} ${person.asked}: ${person.answer.message}${byHand}` };
}

function outcome(
  incident: Incident,
  fault: ScenarioFault,
  observed: Observed,
): { held: boolean; detail: string } {
  const { pages } = observed;
  const breakers = observed.breakers ?? [];
  const escalationPages = pages.filter((p) => p.incidentId === incident.id && p.page === 'escalation').length;
  const fixed = incident.status === 'resolved' && incident.resolution?.how === 'verified';
  const suppressed = incident.status === 'suppressed' || incident.refusals?.some((r) => r.gate === 'breaker');
  const gates = (incident.refusals ?? []).map((r) => r.gate);
  const seen = `${incident.id}: ${incident.status}${incident.resolution ? ` (${incident.resolution.how})` : ''}, ${incident.attempts.length} attempt(s), ${escalationPages} page(s)${gates.length ? `, refused by ${gates.join(', ')}` : ''}`;
  let held: boolean;
  let detail = seen;
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
    case 'fixed-after-approval': {
      const approved = approvedFix(incident, observed);
      held = approved.held;
      detail = `${seen}; ${approved.detail}`;
      break;
    }
    case 'fixed-by-hand': {
      const taken = takenAndFixed(incident, pages);
      held = taken.held;
      detail = `${seen}; ${taken.detail}`;
      break;
    }
  }
  if (fault.gate && !gates.includes(fault.gate)) held = false;
  if (fault.pageWithinSeconds !== undefined) {
    const paged = pagedInTime(incident, pageBudget(fault), pages);
    held = held && paged.held;
    detail = `${detail}; ${paged.detail}`;
  }
  return { held, detail };
}

/** The budget of time to a human a fault names, in seconds: its own, or its runbook's (900 s by default). */
export function pageBudget(fault: ScenarioFault): number {
  if (typeof fault.pageWithinSeconds === 'number') return fault.pageWithinSeconds;
  const runbook = registry.find((r) => r.name === fault.runbook) as
    | { pageWithinSeconds?: number }
    | undefined;
  return runbook?.pageWithinSeconds ?? DEFAULT_PAGE_WITHIN_SECONDS;
}

/** The budget when a runbook does not state one (functions/core/runbook.ts's default). */
const DEFAULT_PAGE_WITHIN_SECONDS = 900;

/**
 * The incident's escalation page came within `budget` seconds of its opening (when its alarm
 * reached the decider), and says why it pages: its `Why paged:` line, or the gate that refused.
 */
function pagedInTime(
  incident: Incident,
  budget: number,
  pages: readonly RecordedPage[],
): { held: boolean; detail: string } {
  const page = pages.find((p) => p.incidentId === incident.id && p.page === 'escalation');
  if (!page) return { held: false, detail: `no escalation page (budget ${budget} s)` };
  const seconds = Math.round((Date.parse(page.at) - incident.openedAt) / 1000);
  const why = /^(Why paged|Refused): +\S/m.exec(page.body);
  const held = seconds <= budget && why !== null;
  return {
    held,
    detail: `paged ${seconds} s after the alarm (budget ${budget} s)${why ? '' : ', but the page does not say why'}`,
  };
}

/** The OK page of an incident, sent after its first page. */
function okAfter(
  incident: Incident,
  pages: readonly RecordedPage[],
  kind: 'proposal' | 'escalation',
): boolean {
  const first = pages.find((p) => p.incidentId === incident.id && p.page === kind);
  return (
    first !== undefined &&
    pages.some((p) => p.incidentId === incident.id && p.page === 'resolution' && p.at >= first.at)
  );
}

/**
 * Approve mode: one proposal page, approved by a person, one attempt (theirs) with the proposed
 * action, exactly one command of that action on the instance (a first attempt's diagnosis aside),
 * the fix verified, no escalation, and the OK page after the proposal page.
 */
function approvedFix(incident: Incident, observed: Observed): { held: boolean; detail: string } {
  const { pages } = observed;
  const proposal = incident.proposal;
  const proposalPages = pages.filter((p) => p.incidentId === incident.id && p.page === 'proposal').length;
  if (!proposal) return { held: false, detail: `no proposal (${proposalPages} proposal page(s))` };
  if (proposal.answer?.kind !== 'approved')
    return {
      held: false,
      detail: `proposal ${proposal.id} was ${proposal.answer?.kind ?? 'never answered'}`,
    };
  const runs = (observed.commands ?? []).filter(
    (c) =>
      c.instanceId === incident.instanceId &&
      c.runbook === incident.key.runbook &&
      c.action !== DIAGNOSE_ACTION &&
      c.requestedAt >= incident.openedAt &&
      c.requestedAt <= (incident.closedAt ?? Number.POSITIVE_INFINITY),
  );
  const attempt = incident.attempts[0];
  const escalations = pages.filter((p) => p.incidentId === incident.id && p.page === 'escalation').length;
  const held =
    incident.status === 'resolved' &&
    incident.resolution?.how === 'verified' &&
    proposalPages === 1 &&
    escalations === 0 &&
    incident.attempts.length === 1 &&
    attempt?.by === proposal.answer.by &&
    attempt?.action === proposal.action &&
    runs.length === 1 &&
    runs[0]?.action === proposal.action &&
    okAfter(incident, pages, 'proposal');
  return {
    held,
    detail: `${proposalPages} proposal page(s), approved by ${proposal.answer.by}; ${runs.length} ${proposal.action} command(s) ran (${runs.map((r) => `exit ${r.exitCode}`).join(', ') || 'none'}); attempt 1 started by ${attempt?.by ?? 'automation'}; OK page ${okAfter(incident, pages, 'proposal') ? 'sent' : 'missing'}`,
  };
}

/**
 * Escalated once, taken by a person (recorded with who), no command after the take, and closed by
 * the alarm's OK (not a verified fix) with the OK page after the escalation page.
 */
function takenAndFixed(
  incident: Incident,
  pages: readonly RecordedPage[],
): { held: boolean; detail: string } {
  const escalations = pages.filter((p) => p.incidentId === incident.id && p.page === 'escalation').length;
  const take = incident.responders?.find((r) => r.verb === 'take' && r.outcome === 'done');
  const after = take ? incident.attempts.filter((a) => a.requestedAt >= take.at).length : 0;
  const ok = okAfter(incident, pages, 'escalation');
  const held =
    take !== undefined &&
    incident.owner?.by === take.by &&
    escalations === 1 &&
    after === 0 &&
    incident.status === 'resolved' &&
    incident.resolution?.how === 'cleared' &&
    ok;
  return {
    held,
    detail: take
      ? `taken by ${take.by}${incident.owner ? `, owned by ${incident.owner.by}` : ', but no owner recorded'}; ${after} attempt(s) after the take; OK page ${ok ? 'sent' : 'missing'}`
      : 'nobody took it',
  };
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
