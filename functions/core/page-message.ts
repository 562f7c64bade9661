import type { PageEffect } from './effects.ts';
import type { GateName } from './gates.ts';
import type { Attempt, Incident, Proposal } from './incident.ts';
import { nextSteps, noteSteps, noteValues, type PageContext, proposed } from './page-formats/next-steps.ts';
import { linesThatMatter } from './page-formats/page-parts.ts';
import type { Runbook } from './runbook.ts';
import { quoteUntrusted } from './untrusted-text.ts';

export type { PageContext } from './page-formats/next-steps.ts';

/** A page as a subject line and a plain-text body. */
export interface PageMessage {
  /** ASCII, no line breaks, under 100 characters, `ALARM:` or `OK:` first (SNS rules, pager conventions). */
  readonly subject: string;
  readonly body: string;
}

/** Body limit, well under SNS's 256 KB, whatever the outputs were. */
export const MAX_BODY_CHARS = 200_000;
const OUTPUT_LINES = 15;
const LINE_CHARS = 200;

/**
 * The text a human reads at 3 a.m.: what fired, where, what automation tried and what each attempt
 * printed, why it stopped, and what to look at next. Pure, so that it is tested from fixed incidents.
 */
export function pageMessage(
  effect: PageEffect,
  runbook: Runbook | undefined,
  context: PageContext = {},
): PageMessage {
  const { incident } = effect;
  const where = whereShort(incident);
  if (effect.page === 'resolution') {
    const fixed = incident.resolution?.how === 'verified';
    return {
      subject: subjectLine(
        `OK: ${incident.alarm.name} on ${where} - ${fixed ? 'fixed, alarm OK' : 'alarm cleared'} after ${incident.proposal && !incident.escalation ? 'the proposal' : 'escalation'}`,
      ),
      body: clip(
        [
          `The alarm ${incident.alarm.name} is OK again; the page for this incident can close.`,
          '',
          ...facts(incident, runbook),
          `Resolved: ${iso(incident.resolution?.at)} (${fixed ? 'after remediation' : 'cleared without a successful remediation'})`,
          ...peopleLines(incident),
          '',
          ...attemptLines(incident.attempts),
        ].join('\n'),
      ),
    };
  }
  const proposal = effect.page === 'proposal' ? incident.proposal : undefined;
  const reason = incident.escalation?.reason ?? 'automation stopped';
  const values = noteValues(incident, proposal);
  const notes = runbook?.notes ? noteSteps(runbook.notes, values) : [];
  const { steps, moreNotes } = nextSteps(effect.page, incident, runbook, proposal, notes, context);
  return {
    subject: subjectLine(
      proposal
        ? `ALARM: ${incident.alarm.name} on ${where} - approve ${proposed(proposal)}? expires ${hhmm(proposal.expiresAt)}`
        : `ALARM: ${incident.alarm.name} on ${where} - ${shortReason(incident)}`,
    ),
    body: clip(
      [
        proposal ? proposalHeadline(proposal) : headline(incident, runbook),
        '',
        ...facts(incident, runbook),
        ...(proposal ? proposalLines(proposal) : [`Why paged: ${oneLine(reason, 500)}`]),
        ...(incident.refusals ?? [])
          .filter((r) => r.gate !== 'settle')
          .map((r) => `Refused:   ${r.gate} gate at ${iso(r.at)}: ${oneLine(r.reason, 300)}`),
        ...peopleLines(incident),
        '',
        ...diagnosisLines(incident, runbook),
        ...attemptLines(incident.attempts),
        'Next steps:',
        // The text page ends with where the OK goes; the chat form's closing step would say it twice.
        ...steps
          .filter((step) => step.command || !step.text.startsWith(`Incident ${incident.id} stays open`))
          .flatMap((step, n) => [
            `  ${n + 1}. ${oneLine(step.text)}`,
            ...(step.command ? [`       $ ${step.command}`] : []),
          ]),
        ...(moreNotes.length > 0
          ? ['What to look at next (continued):', ...moreNotes.map((note) => `  - ${note}`)]
          : []),
        ...(notes.length === 0 && !proposal
          ? ['  (The runbook has no notes; start from the alarm and the attempts above.)']
          : []),
        ...(runbook?.link ? [`  Runbook: ${runbook.link}`] : []),
        '',
        proposal
          ? `Incident ${incident.id}: nothing runs unless a person approves ${proposal.id}; you will get an OK message when the alarm clears.`
          : `Incident ${incident.id} stays open until the alarm returns to OK; you will get an OK message then.`,
      ].join('\n'),
    ),
  };
}

/**
 * The page's first line: what happened, true for the reason it pages. A person reads this line
 * first, at 3 a.m., and decides from it whether to get up.
 */
export function headline(incident: Incident, runbook: Runbook | undefined): string {
  const reason = incident.escalation?.reason ?? '';
  const attempts = incident.attempts.filter((a) => a.status !== 'not-run').length;
  const latest = incident.attempts.at(-1);
  if (incident.escalation?.takenBy && incident.owner)
    return `${oneLine(incident.owner.by, 120)} holds this incident; automation stands down until the alarm is OK.`;
  if (reason.startsWith('proposal expired'))
    return 'A proposal expired unanswered: nothing was run. A human is needed.';
  if (reason.startsWith('snooze ended'))
    return 'The snooze ended and the alarm is still in ALARM (or could not be read): a human is needed.';
  if (reason.startsWith('state unknown'))
    return "The fix ran, but the alarm's state could not be read to confirm it: check the alarm by hand.";
  if (latest?.by && /asked for by/.test(reason))
    return `The attempt ${oneLine(latest.by, 120)} asked for failed: a human is needed.`;
  const gate = /^refused by the ([a-z-]+) gate/.exec(reason)?.[1];
  if (gate === 'kill-switch') return 'Automation is paused: this alarm was not acted on. A human is needed.';
  if (gate === 'cooldown')
    return 'This alarm is flapping: automation fixed it moments ago and will not loop. A human is needed.';
  if (gate === 'opt-in') return 'The instance is not opted in to automation: nothing was run.';
  if (gate === 'parameter') return 'A value from the alarm is not one the runbook allows: nothing was run.';
  if (gate === 'budget') return "The runbook's hourly budget is spent: nothing was run. A human is needed.";
  if (gate === 'lease' || gate === 'concurrency')
    return 'Automation could not get its turn on the instance in time: nothing was run. A human is needed.';
  if (gate) return `Refused by the ${gate} gate: nothing was run. A human is needed.`;
  if (/is in dry-run mode/.test(reason)) {
    const would =
      latest?.status === 'not-run' && latest.action
        ? proposed({ action: latest.action, parameters: latest.parameters ?? {} })
        : 'its action';
    return `Dry-run: runbook ${incident.key.runbook} would have run ${would}; nothing was run. Act by hand if it is needed.`;
  }
  if (reason.startsWith('the runbook chose to page'))
    return `Runbook ${runbook?.name ?? incident.key.runbook} hands this one to a human.`;
  if (!incident.instanceId)
    return 'This alarm names no single instance, so automation cannot act: a human is needed.';
  if (attempts > 0)
    return `Automation tried ${attempts} time${attempts === 1 ? '' : 's'} and could not fix this alarm: a human is needed.`;
  return 'Automation did not act on this alarm: a human is needed.';
}

function proposalHeadline(proposal: Proposal): string {
  return `Approve or deny: automation proposes to run ${proposed(proposal)} on ${proposal.instanceId}. Nothing runs unless a person approves it by ${iso(proposal.expiresAt)}.`;
}

function proposalLines(proposal: Proposal): string[] {
  return [
    `Proposed: ${proposed(proposal)} on ${proposal.instanceId}, as attempt ${proposal.attempt} (${proposal.id}); every gate allowed it at ${iso(proposal.proposedAt)}`,
    `Expires:  ${iso(proposal.expiresAt)}: unanswered by then, nothing runs and a human is paged`,
  ];
}

/** What people did, oldest first (the last five). */
function peopleLines(incident: Incident): string[] {
  const people = (incident.responders ?? []).slice(-5);
  if (people.length === 0) return [];
  return [
    'People:',
    ...people.map(
      (r) =>
        `  ${iso(r.at)} ${oneLine(r.by, 120)}: ${r.verb}${r.detail ? ` ${oneLine(r.detail, 120)}` : ''} (${r.outcome === 'done' ? 'done' : `refused: ${oneLine(r.reason ?? '', 200)}`})`,
    ),
  ];
}

/** The instance as a subject names it: its id, and its Name tag when it has one. */
function whereShort(incident: Incident): string {
  if (!incident.instanceId) return 'no single instance';
  const name = incident.instance?.name;
  return name ? `${incident.instanceId} (${oneLine(name, 30)})` : incident.instanceId;
}

function hhmm(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(11, 16)}Z`;
}

function facts(incident: Incident, runbook: Runbook | undefined): string[] {
  return [
    `Alarm:    ${incident.alarm.name} (ALARM since ${iso(incident.openedAt)})`,
    `          ${oneLine(incident.alarm.reason, 300)}`,
    `Instance: ${incident.instanceId ?? 'none: the alarm names no single instance'}${instanceDetails(incident)}`,
    ...seriesLine(incident),
    `Account:  ${incident.alarm.account}, ${incident.alarm.region}`,
    `Runbook:  ${incident.key.runbook}${runbook ? ` (owner ${runbook.owner}${runbook.contact ? `, contact ${runbook.contact}` : ''}): ${runbook.description}` : ''}`,
    `Incident: ${incident.id}`,
  ];
}

/** The instance's Name tag (quoted when not plain) and zone, as EC2 reported them. */
function instanceDetails(incident: Incident): string {
  const name = incident.instance?.name;
  const zone = incident.instance?.zone;
  const parts = [...(name ? [`Name ${plainOrQuoted(name)}`] : []), ...(zone ? [plainOrQuoted(zone)] : [])];
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/**
 * Which series of a fleet alarm this is (`exe=nginx`): the fleet alarm's name says which runbook, the
 * instance which host, and this what on it. Its values come from the alarm: quoted, cut.
 */
function seriesLine(incident: Incident): string[] {
  const attributes = incident.alarm.contributor?.attributes;
  if (!attributes) return [];
  const values = Object.entries(attributes)
    .filter(([name]) => name !== 'InstanceId')
    .slice(0, 5)
    .map(([name, value]) => `${plainOrQuoted(name)}=${plainOrQuoted(value)}`);
  return [
    `Series:   ${values.length > 0 ? `${values.join(', ')} (of the fleet alarm)` : 'the instance (of the fleet alarm)'}`,
  ];
}

/** A value as it is when it is plainly a name, else quoted and escaped. */
function plainOrQuoted(value: string): string {
  return /^[A-Za-z0-9_.:@/-]{1,60}$/.test(value) ? value : quoteUntrusted(value, 60);
}

/** The diagnosis run before the first remedy: what it printed, and where the full output is. */
function diagnosisLines(incident: Incident, runbook: Runbook | undefined): string[] {
  const diagnosis = incident.attempts.find((a) => a.diagnosis)?.diagnosis;
  if (!diagnosis) return [];
  const script = runbook?.diagnose ? ` (${runbook.diagnose})` : '';
  const result = diagnosis.result;
  const code = result?.responseCode === undefined ? '' : `, exit ${result.responseCode}`;
  const outcome = result
    ? `${result.statusDetails ?? result.status}${code}`
    : (diagnosis.failure ?? diagnosis.status);
  const lines = [`Diagnosis${script}, before the first remedy: ${oneLine(outcome, 300)}`];
  for (const [label, text] of [
    ['stdout', result?.stdout],
    ['stderr', result?.stderr],
  ] as const) {
    if (!text?.trim()) continue;
    lines.push(`  ${label}, the lines that matter:`);
    for (const line of lastLines(text)) lines.push(`    ${line}`);
  }
  if (diagnosis.commandId && incident.instanceId) {
    lines.push(
      `  full output: ${commandConsoleUrl(incident.alarm.region, diagnosis.commandId, incident.instanceId)}`,
    );
  }
  lines.push('');
  return lines;
}

/** The Run Command console page of one instance's invocation of a command, with its full output. */
export function commandConsoleUrl(region: string, commandId: string, instanceId: string): string {
  const r = encodeURIComponent(region);
  return `https://${r}.console.aws.amazon.com/systems-manager/run-command/${encodeURIComponent(commandId)}/${encodeURIComponent(instanceId)}?region=${r}`;
}

function attemptLines(attempts: readonly Attempt[]): string[] {
  if (attempts.length === 0) return ['Attempts: none (nothing was run).', ''];
  const lines = [`Attempts (${attempts.length}):`];
  for (const a of attempts) {
    const result = a.result;
    const code = result?.responseCode === undefined ? '' : `, exit ${result.responseCode}`;
    const outcome = result ? `${result.statusDetails ?? result.status}${code}` : a.status;
    const what = [...(a.action ? [a.action] : []), ...(a.by ? [`asked by ${oneLine(a.by, 120)}`] : [])];
    lines.push(
      `  #${a.number} at ${iso(a.requestedAt)}${what.length > 0 ? ` (${what.join(', ')})` : ''}: ${outcome}${a.commandId ? ` (command ${a.commandId})` : ''}`,
    );
    if (a.failure) lines.push(`     ${oneLine(a.failure, 300)}`);
    for (const [label, text] of [
      ['stdout', result?.stdout],
      ['stderr', result?.stderr],
    ] as const) {
      if (!text?.trim()) continue;
      lines.push(`     ${label}, the lines that matter:`);
      for (const line of lastLines(text)) lines.push(`       ${line}`);
    }
  }
  lines.push('');
  return lines;
}

function shortReason(incident: Incident): string {
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
  if (incident.escalation?.takenBy && incident.owner) return `taken by ${incident.owner.by}`;
  if (reason.startsWith('proposal expired')) return 'proposal expired, nothing run';
  if (reason.startsWith('snooze ended')) return 'still in ALARM after a snooze';
  if (reason.startsWith('state unknown')) return 'fixed? alarm state unknown';
  if (/asked for by/.test(reason)) return 'the attempt a person asked for failed';
  if (/is in dry-run mode/.test(reason)) return 'dry-run, nothing run';
  const attempts = incident.attempts.filter((a) => a.status !== 'not-run').length;
  if (!incident.instanceId) return 'not remediated: no single instance';
  if (attempts === 0) return 'nothing run';
  return `automation gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}`;
}

/** SNS: ASCII, no control characters, fewer than 100 characters. */
export function subjectLine(text: string): string {
  const ascii = text
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/\s+/g, ' ')
    .trim();
  return ascii.length < 100 ? ascii : `${ascii.slice(0, 96)}...`;
}

/** The lines of an output worth reading: alike lines counted, errors kept (see `linesThatMatter`). */
function lastLines(text: string): string[] {
  return linesThatMatter(text, OUTPUT_LINES).map((line) => oneLine(line, LINE_CHARS));
}

function oneLine(text: string, max = Number.POSITIVE_INFINITY): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  const flat = text.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, max - 3)}...`;
}

function clip(body: string): string {
  return body.length <= MAX_BODY_CHARS
    ? body
    : `${body.slice(0, MAX_BODY_CHARS - 40)}\n[message cut to fit the pager]`;
}

function iso(epochMs: number | undefined): string {
  return epochMs === undefined ? 'unknown' : new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
