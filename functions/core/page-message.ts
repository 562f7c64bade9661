import type { PageEffect } from './effects.ts';
import type { Incident, Proposal } from './incident.ts';
import { consoleBase, encode } from './page-formats/helpers.ts';
import {
  type NextStep,
  nextSteps,
  noteSteps,
  noteValues,
  type PageContext,
  proposed,
  remediateCommand,
} from './page-formats/next-steps.ts';
import { headline, proposalHeadline, shortReason } from './page-message/headline.ts';
import { attemptLines, diagnosisLines, keyLine } from './page-message/output.ts';
import { hhmm, iso, oneLine, plainOrQuoted, who } from './page-message/text.ts';
import { DIAGNOSE_ACTION, type Runbook } from './runbook.ts';

export type { PageContext } from './page-formats/next-steps.ts';
export { headline } from './page-message/headline.ts';

/** A page as a subject line and a plain-text body. */
export interface PageMessage {
  /** ASCII, no line breaks, under 100 characters, `ALARM:` or `OK:` first (SNS rules, pager conventions). */
  readonly subject: string;
  readonly body: string;
}

/** Body limit, well under SNS's 256 KB, whatever the outputs were. */
export const MAX_BODY_CHARS = 200_000;

/**
 * The text a human reads at 3 a.m.: a first line true for why it pages, the one output line worth
 * reading, what fired and where (the instance's Name tag and zone), the runbook with its owner's
 * contact, what each attempt did and printed (the lines that matter, nothing twice), who did what,
 * what to look at next (the runbook's notes with the incident's values filled in), and the exact
 * commands to act. The console links follow it (see `humanParts`). Pure, so that it is tested from
 * fixed incidents; `context` names the table and the runbook's SSM document, which the incident does not.
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
          // The output was in the page this OK closes.
          ...attemptLines(incident.attempts, false),
        ].join('\n'),
      ),
    };
  }
  const proposal = effect.page === 'proposal' ? incident.proposal : undefined;
  const values = noteValues(incident, proposal);
  const notes = runbook?.notes ? noteSteps(runbook.notes, values) : [];
  // The text page lists every note itself; the steps here are the commands (and a proposal's expiry).
  const { steps } = nextSteps(effect.page, incident, runbook, proposal, [], context);
  const commands = steps.filter((step) => step.command !== undefined);
  const seen = proposal ? undefined : keyLine(incident);
  return {
    subject: subjectLine(
      proposal
        ? `ALARM: ${incident.alarm.name} on ${where} - approve ${proposed(proposal)}? expires ${hhmm(proposal.expiresAt)}`
        : `ALARM: ${incident.alarm.name} on ${where} - ${shortReason(incident)}`,
    ),
    body: clip(
      [
        proposal ? proposalHeadline(proposal) : headline(incident, runbook),
        ...(seen ? [`Seen:     ${seen}`] : []),
        '',
        ...facts(incident, runbook),
        ...(proposal ? proposalLines(proposal) : whyLines(incident)),
        ...peopleLines(incident),
        '',
        ...diagnosisLines(incident, runbook, (commandId, instanceId) =>
          commandConsoleUrl(incident.alarm.region, commandId, instanceId),
        ),
        // A proposal before any attempt has nothing to say here.
        ...(proposal && incident.attempts.length === 0 ? [] : attemptLines(incident.attempts)),
        ...(proposal ? [...numbered('Approve or deny (one answer counts):', commands), ''] : []),
        ...notesLines(notes, runbook, proposal),
        ...(proposal ? [] : actLines(incident, commands, context)),
        '',
        proposal
          ? `Nothing runs unless a person approves; you will get an OK message when the alarm clears (incident ${incident.id}).`
          : `Incident ${incident.id} stays open until the alarm returns to OK; you will get an OK message then.`,
      ].join('\n'),
    ),
  };
}

/** Why it pages: the escalation's reason, unless the refusal line that follows says the same. */
function whyLines(incident: Incident): string[] {
  const reason = incident.escalation?.reason ?? 'automation stopped';
  const refusals = (incident.refusals ?? []).filter((r) => r.gate !== 'settle');
  const last = refusals.at(-1);
  const said = last !== undefined && reason === `refused by the ${last.gate} gate: ${last.reason}`;
  return [
    ...(said ? [] : [`Why paged: ${oneLine(reason, 500)}`]),
    ...refusals.map((r) => `Refused:   ${r.gate} gate at ${iso(r.at)}: ${oneLine(r.reason, 300)}`),
  ];
}

function proposalLines(proposal: Proposal): string[] {
  // The headline says what and where; this says which proposal, and when every gate allowed it.
  return [
    `Proposal: ${proposal.id} (attempt ${proposal.attempt}); every gate allowed it at ${iso(proposal.proposedAt)}`,
    `Expires:  ${iso(proposal.expiresAt)}: unanswered by then, nothing runs and a human is paged`,
  ];
}

/** The runbook's notes, one step a line, the incident's values filled in; then the runbook's link. */
function notesLines(
  notes: readonly string[],
  runbook: Runbook | undefined,
  proposal: Proposal | undefined,
): string[] {
  const lines = ['What to look at next:', ...notes.map((note) => `  - ${oneLine(note)}`)];
  if (notes.length === 0 && !proposal)
    lines.push('  - The runbook has no notes: start from the alarm and the attempts above.');
  if (runbook?.link) lines.push(`  Runbook: ${runbook.link}`);
  return lines.length > 1 ? lines : [];
}

/**
 * The commands to act on the incident. While automation is paused, retry and run would be refused:
 * they are left out, and the page says how the pause ends instead.
 */
function actLines(incident: Incident, commands: readonly NextStep[], context: PageContext): string[] {
  const reason = incident.escalation?.reason ?? '';
  const paused = /^refused by the kill-switch gate: automation paused for (all runbooks|this runbook)/.exec(
    reason,
  );
  if (!paused) return ['', ...numbered('Act:', commands)];
  const usable = commands.filter((c) => !/^npx remediate (retry|run) /.test(c.command ?? ''));
  const resume = remediateCommand(
    'resume',
    paused[1] === 'this runbook' ? ['--runbook', incident.key.runbook] : [],
    context,
  );
  return [
    '',
    ...numbered('Act:', usable),
    `  Retry and ${DIAGNOSE_ACTION} are refused while automation is paused; the pause ends with:`,
    `       $ ${resume}`,
  ];
}

function numbered(title: string, steps: readonly NextStep[]): string[] {
  if (steps.length === 0) return [];
  return [
    title,
    ...steps.flatMap((step, n) => [
      `  ${n + 1}. ${oneLine(step.text)}`,
      ...(step.command ? [`       $ ${step.command}`] : []),
    ]),
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
        `  ${iso(r.at)} ${who(r.by)}: ${r.verb}${r.detail ? ` ${oneLine(r.detail, 120)}` : ''} (${r.outcome === 'done' ? 'done' : `refused: ${oneLine(r.reason ?? '', 200)}`})`,
    ),
  ];
}

/** The instance as a subject names it: its id, and its Name tag when it has one. */
function whereShort(incident: Incident): string {
  if (!incident.instanceId) return 'no single instance';
  const name = incident.instance?.name;
  return name ? `${incident.instanceId} (${oneLine(name, 30)})` : incident.instanceId;
}

function facts(incident: Incident, runbook: Runbook | undefined): string[] {
  return [
    `Alarm:    ${incident.alarm.name} (ALARM since ${iso(incident.openedAt)})`,
    `          ${oneLine(incident.alarm.reason, 300)}`,
    `Instance: ${incident.instanceId ?? 'none: the alarm names no single instance'}${instanceDetails(incident)}`,
    ...seriesLine(incident),
    `Account:  ${incident.alarm.account}, ${incident.alarm.region}`,
    `Runbook:  ${incident.key.runbook}${runbook ? `: ${runbook.description}` : ''}`,
    ...(runbook
      ? [`Owner:    ${runbook.owner}${runbook.contact ? `; contact ${oneLine(runbook.contact, 200)}` : ''}`]
      : []),
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

/** The Run Command console page of one instance's invocation of a command, with its full output. */
export function commandConsoleUrl(region: string, commandId: string, instanceId: string): string {
  return `${consoleBase(region)}/systems-manager/run-command/${encode(commandId)}/${encode(instanceId)}?region=${encode(region)}`;
}

/** SNS: ASCII, no control characters, fewer than 100 characters. */
export function subjectLine(text: string): string {
  const ascii = text
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/\s+/g, ' ')
    .trim();
  return ascii.length < 100 ? ascii : `${ascii.slice(0, 96)}...`;
}

function clip(body: string): string {
  return body.length <= MAX_BODY_CHARS
    ? body
    : `${body.slice(0, MAX_BODY_CHARS - 40)}\n[message cut to fit the pager]`;
}
