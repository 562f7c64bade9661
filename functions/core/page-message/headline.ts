import type { GateName } from '../gates.ts';
import type { Incident, Proposal } from '../incident.ts';
import { proposed } from '../page-formats/next-steps.ts';
import type { Runbook } from '../runbook.ts';
import { iso, oneLine, who } from './text.ts';

/**
 * The page's first line: what happened, true for the reason it pages. A person reads this line
 * first, at 3 a.m., and decides from it whether to get up. Never "could not fix" for an alarm
 * automation did not try to fix (a pause, a dry-run, a proposal, a refusal).
 */
export function headline(incident: Incident, runbook: Runbook | undefined): string {
  const reason = incident.escalation?.reason ?? '';
  const attempts = ran(incident);
  const latest = incident.attempts.at(-1);
  const name = runbook?.name ?? incident.key.runbook;
  if (incident.escalation?.takenBy && incident.owner)
    return `${who(incident.owner.by)} holds this incident; automation stands down until the alarm is OK.`;
  if (reason.startsWith('proposal expired'))
    return 'A proposal expired unanswered: nothing was run. A human is needed.';
  if (reason.startsWith('snooze ended'))
    return 'The snooze ended and the alarm is still in ALARM (or could not be read): a human is needed.';
  if (reason.startsWith('state unknown'))
    return "The fix ran, but the alarm's state could not be read to confirm it: check the alarm by hand.";
  if (reason.startsWith('not fixed within its page-by deadline')) {
    const budget = /deadline \(([^)]+) after the alarm\)/.exec(reason)?.[1] ?? 'its budget';
    const running = incident.escalation?.deadline && incident.status === 'remediating';
    return running
      ? `Automation has not fixed this alarm within ${budget}: a human is needed. Attempt ${latest?.number ?? attempts} is still running; nothing runs after it.`
      : `Automation has not fixed this alarm within ${budget} and stands down: a human is needed.`;
  }
  if (latest?.by && /asked for by/.test(reason))
    return `The ${latest.action ? `${oneLine(latest.action, 40)} ` : 'attempt '}${who(latest.by)} asked for failed: a human is needed.`;
  const gate = /^refused by the ([a-z-]+) gate/.exec(reason)?.[1] as GateName | undefined;
  if (gate === 'kill-switch') {
    const pause =
      /^refused by the kill-switch gate: automation paused for (all runbooks|this runbook)(?: by (\S+))? since \S+: (.*)$/s.exec(
        reason,
      );
    const by = pause?.[2] ? ` by ${who(pause[2], 40)}` : '';
    const why = pause?.[3] ? ` ("${oneLine(pause[3], 60)}")` : '';
    return `Automation is paused${by}${why}: this alarm was not acted on. A human is needed.`;
  }
  if (gate === 'cooldown')
    return 'This alarm is flapping: automation fixed it moments ago and will not loop. A human is needed.';
  if (gate === 'opt-in') return 'The instance is not opted in to automation: nothing was run.';
  if (gate === 'parameter') return 'A value from the alarm is not one the runbook allows: nothing was run.';
  if (gate === 'budget')
    return `Runbook ${name}'s hourly budget is spent: nothing was run. A human is needed.`;
  if (gate === 'breaker')
    return `Runbook ${name}'s fleet breaker is open (it failed on too many instances): nothing was run. A human is needed.`;
  if (gate === 'lease' || gate === 'concurrency')
    return 'Automation could not get its turn on the instance in time: nothing was run. A human is needed.';
  if (gate) return `Refused by the ${gate} gate: nothing was run. A human is needed.`;
  if (/is in dry-run mode/.test(reason)) {
    const would =
      latest?.status === 'not-run' && latest.action
        ? proposed({ action: latest.action, parameters: latest.parameters ?? {} })
        : 'its action';
    const switched = incident.refusals?.some((r) => r.gate === 'auto-disable')
      ? ' (switched to dry-run after its failures)'
      : '';
    return `Dry-run: runbook ${name}${switched} would have run ${would}; nothing was run. Act by hand if it is needed.`;
  }
  if (reason.startsWith('the runbook chose to page')) return `Runbook ${name} hands this one to a human.`;
  if (!incident.instanceId)
    return 'This alarm names no single instance, so automation cannot act: a human is needed.';
  if (attempts > 0)
    return `Automation tried ${attempts} time${attempts === 1 ? '' : 's'} and could not fix this alarm: a human is needed.`;
  const why = firstClause(reason);
  return why
    ? `Automation did not act on this alarm (${why}): a human is needed.`
    : 'Automation did not act on this alarm: a human is needed.';
}

export function proposalHeadline(proposal: Proposal): string {
  return `Approve or deny: automation proposes to run ${proposed(proposal)} on ${proposal.instanceId}. Nothing runs unless a person approves it by ${iso(proposal.expiresAt)}.`;
}

/** What the subject says after the alarm and the instance: the reason in a few words. */
export function shortReason(incident: Incident): string {
  // A settle wait only delayed the attempt; it is never why a human is paged.
  const refusal = incident.refusals?.filter((r) => r.gate !== 'settle').at(-1);
  const refusedNow = /^refused by the |is in dry-run mode/.test(incident.escalation?.reason ?? '');
  if (refusal && refusedNow) {
    const said: Record<GateName, string> = {
      'kill-switch': 'automation paused',
      cooldown: 'flapping',
      'opt-in': 'instance not opted in',
      settle: 'instance still settling after launch',
      parameter: 'no allowed parameter value',
      breaker: 'fleet breaker open',
      'auto-disable': 'runbook switched to dry-run',
      budget: 'hourly budget spent',
      lease: 'instance busy too long',
      concurrency: 'no free slot in time',
    };
    return `${said[refusal.gate]}, nothing run`;
  }
  const reason = incident.escalation?.reason ?? '';
  if (incident.escalation?.takenBy && incident.owner) return `taken by ${who(incident.owner.by, 40)}`;
  if (reason.startsWith('proposal expired')) return 'proposal expired, nothing run';
  if (reason.startsWith('snooze ended')) return 'still in ALARM after a snooze';
  if (reason.startsWith('state unknown')) return 'fixed? alarm state unknown';
  if (reason.startsWith('not fixed within its page-by deadline')) {
    const budget = /deadline \(([^)]+) after the alarm\)/.exec(reason)?.[1] ?? 'its budget';
    return `not fixed within ${budget}`;
  }
  if (/asked for by/.test(reason)) return 'the attempt a person asked for failed';
  if (/is in dry-run mode/.test(reason)) return 'dry-run, nothing run';
  if (reason.startsWith('the runbook chose to page')) return 'the runbook hands it to a human';
  const attempts = ran(incident);
  if (attempts > 0) return `automation gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}`;
  // Nothing ran: say what stopped it, in the escalation's own first words (the subject already
  // names the instance, or says there is none).
  const said = firstClause(reason);
  if (said && !/single instance/.test(said)) return `${said}, nothing run`;
  return incident.instanceId ? 'nothing run' : 'not remediated: no single instance';
}

/**
 * The first clause of a reason, at most 40 characters, so that the subject keeps its `, nothing run`
 * after the alarm and the instance: `the runbook could not choose`, `runbook x is retired`.
 */
function firstClause(reason: string): string | undefined {
  const clause = reason
    .split(/[:;(]|\. /)[0]
    ?.replace(/\s+/g, ' ')
    .trim();
  if (!clause) return undefined;
  if (clause.length <= 40) return clause;
  // Cut at a word, in ASCII as a subject is (SNS turns anything else into `?`).
  return `${clause
    .slice(0, 37)
    .replace(/\s+\S*$/, '')
    .replace(/[\s,;.]+$/, '')}...`;
}

/** How many attempts sent a command (a dry-run's `not-run` did not). */
function ran(incident: Incident): number {
  return incident.attempts.filter((a) => a.status !== 'not-run').length;
}
