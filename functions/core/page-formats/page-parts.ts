import type { PageEffect } from '../effects.ts';
import type { Attempt, CommandResult, Diagnosis, Incident, Proposal, ResponderAction } from '../incident.ts';
import type { PageKind } from '../inputs.ts';
import { pageMessage } from '../page-message.ts';
import { DIAGNOSE_ACTION, type Runbook } from '../runbook.ts';
import { iso, links, oneLine, outcome } from './helpers.ts';
import { type NextStep, nextSteps, noteSteps, noteValues, type PageContext, proposed } from './next-steps.ts';

/** A page as parts, for every chat form to render in its own markup. */

/** Ours: lines of each output shown per attempt. */
const OUTPUT_LINES = 5;

/** One labelled fact of a page (`Where`, `Why paged`, ...); plain text, for each form to escape. */
export interface PageFact {
  readonly label: string;
  readonly value: string;
}

/** What one attempt did: one line, and the lines of its output that matter. */
export interface PageAttempt {
  /** The diagnose script's run before the attempt that follows it, not an attempt of its own. */
  readonly diagnosis?: true;
  readonly line: string;
  readonly outputs: readonly { readonly label: 'stdout' | 'stderr'; readonly lines: readonly string[] }[];
}

export interface PageLink {
  readonly label: string;
  readonly url: string;
}

/**
 * A page as parts, plain text (untrusted values included as they are): the chat form renders them
 * as the chat app's markdown; other forms (the game day's Slack and Teams webhooks) as theirs, each
 * escaping for its own markup.
 */
export interface PageParts {
  readonly kind: PageKind;
  /** The first keyword: `ALARM`, `PROPOSAL` or `OK`. */
  readonly status: 'ALARM' | 'PROPOSAL' | 'OK';
  readonly title: string;
  readonly facts: readonly PageFact[];
  readonly attempts: readonly PageAttempt[];
  /** At most `PAGE_NEXT_STEPS`, most urgent first. */
  readonly steps: readonly NextStep[];
  /** The runbook's notes that did not fit in the steps, shown in full elsewhere on the page. */
  readonly moreNotes: readonly string[];
  readonly links: readonly PageLink[];
}

/** The page as parts: see {@link PageParts}. */
export function pageParts(
  effect: PageEffect,
  runbook: Runbook | undefined,
  pageContext: PageContext = {},
): PageParts {
  const { incident } = effect;
  const kind: PageKind = effect.page;
  const proposal = kind === 'proposal' ? incident.proposal : undefined;
  const l = links(effect);
  const values = noteValues(incident, proposal);
  const notes = runbook?.notes ? noteSteps(runbook.notes, values) : [];
  const { steps, moreNotes } = nextSteps(kind, incident, runbook, proposal, notes, pageContext);
  return {
    kind,
    status: kind === 'proposal' ? 'PROPOSAL' : kind === 'resolution' ? 'OK' : 'ALARM',
    title: proposal ? proposalTitle(incident, proposal) : pageMessage(effect, runbook).subject,
    facts: facts(kind, incident, runbook, proposal),
    attempts: incident.attempts.flatMap((a) => attemptParts(a, runbook)),
    steps,
    moreNotes,
    links: [
      { label: 'Alarm', url: l.alarm },
      ...(l.instance ? [{ label: 'Instance', url: l.instance }] : []),
      ...(l.diagnosis ? [{ label: 'Diagnose in Run Command', url: l.diagnosis.url }] : []),
      ...l.commands.map((c) => ({ label: `Attempt #${c.attempt} in Run Command`, url: c.url })),
      ...(runbook?.link ? [{ label: `Runbook ${runbook.name}`, url: runbook.link }] : []),
    ],
  };
}

function proposalTitle(incident: Incident, proposal: Proposal): string {
  const where = incident.instance?.name
    ? `${incident.instanceId} (${oneLine(incident.instance.name, 40)})`
    : (incident.instanceId ?? proposal.instanceId);
  return `ALARM: ${incident.alarm.name} on ${where} - approve ${proposed(proposal)}? Expires ${hhmm(proposal.expiresAt)}`;
}

function hhmm(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(11, 16)}Z`;
}

function facts(
  kind: PageKind,
  incident: Incident,
  runbook: Runbook | undefined,
  proposal: Proposal | undefined,
): PageFact[] {
  const where = incident.instanceId ?? 'no single instance';
  const named = incident.instance?.name ? ` "${oneLine(incident.instance.name, 100)}"` : '';
  const zone = incident.instance?.zone ? ` in ${oneLine(incident.instance.zone, 40)}` : '';
  const series = seriesValue(incident);
  const refusals = incident.refusals ?? [];
  const people = (incident.responders ?? []).slice(-3);
  return [
    {
      label: 'What',
      value:
        kind === 'resolution'
          ? `alarm ${incident.alarm.name} is OK again`
          : `alarm ${incident.alarm.name} is in ALARM: ${oneLine(incident.alarm.reason, 300)}`,
    },
    {
      label: 'Where',
      value: `${where}${named}${zone} (account ${incident.alarm.account}, ${incident.alarm.region})`,
    },
    ...(series ? [{ label: 'Series', value: series }] : []),
    {
      label: 'Since',
      value:
        kind === 'resolution'
          ? `${iso(incident.openedAt)}, resolved ${iso(incident.resolution?.at)} (${incident.resolution?.how === 'verified' ? 'after remediation' : 'cleared without a successful remediation'})`
          : iso(incident.openedAt),
    },
    {
      label: 'Runbook',
      value: `${incident.key.runbook}${runbook ? ` (owner ${runbook.owner}): ${runbook.description}` : ''}`,
    },
    ...(proposal
      ? [
          {
            label: 'Proposed',
            value: `${proposed(proposal)} on ${proposal.instanceId}, as attempt ${proposal.attempt}; every gate allowed it at ${iso(proposal.proposedAt)}`,
          },
          {
            label: 'Expires',
            value: `${iso(proposal.expiresAt)}: unanswered by then, nothing runs and a human is paged`,
          },
        ]
      : []),
    ...(kind === 'escalation'
      ? [{ label: 'Why paged', value: oneLine(incident.escalation?.reason ?? 'automation stopped', 500) }]
      : []),
    ...(incident.owner
      ? [{ label: 'Owner', value: `${oneLine(incident.owner.by, 200)} since ${iso(incident.owner.since)}` }]
      : []),
    {
      label: 'Gates',
      value:
        refusals.length === 0
          ? 'none refused'
          : refusals.map((r) => `${r.gate} at ${iso(r.at)}: ${oneLine(r.reason, 300)}`).join('; '),
    },
    ...(people.length > 0 ? [{ label: 'People', value: people.map(personLine).join('; ') }] : []),
  ];
}

function personLine(r: ResponderAction): string {
  const what = `${r.verb}${r.detail ? ` ${oneLine(r.detail, 120)}` : ''}`;
  const result = r.outcome === 'done' ? 'done' : `refused: ${oneLine(r.reason ?? '', 200)}`;
  return `${what} by ${oneLine(r.by, 200)} at ${iso(r.at)} (${result})`;
}

/** Which series of a fleet alarm this is (`exe=app`), when the alarm has contributors. */
function seriesValue(incident: Incident): string | undefined {
  const attributes = incident.alarm.contributor?.attributes;
  if (!attributes) return undefined;
  const shown = Object.entries(attributes)
    .filter(([name]) => name !== 'InstanceId')
    .slice(0, 5)
    .map(([name, value]) => `${oneLine(name, 60)}=${oneLine(value, 60)}`);
  return shown.length > 0 ? shown.join(', ') : 'the instance';
}

/** An attempt, after the diagnosis that ran before it (when one did): each a line and its output. */
function attemptParts(a: Attempt, runbook: Runbook | undefined): PageAttempt[] {
  const what = [
    ...(a.action && (a.action === DIAGNOSE_ACTION || (runbook?.actions.length ?? 1) > 1) ? [a.action] : []),
    ...(a.by ? [`by ${oneLine(a.by, 120)}`] : []),
  ];
  const diagnosis = a.diagnosis;
  const diagnosed: PageAttempt[] = diagnosis
    ? [
        {
          diagnosis: true,
          line: `diagnose before #${a.number}${runbook?.diagnose ? ` (${runbook.diagnose})` : ''}: ${diagnosisOutcome(diagnosis)}${diagnosis.commandId ? ` (command ${diagnosis.commandId})` : ''}`,
          outputs: outputsOf(diagnosis.result),
        },
      ]
    : [];
  return [
    ...diagnosed,
    {
      line: `#${a.number} at ${iso(a.requestedAt)}${what.length > 0 ? ` (${what.join(', ')})` : ''}: ${outcome(a)}${a.commandId ? ` (command ${a.commandId})` : ''}`,
      outputs: outputsOf(a.result),
    },
  ];
}

function diagnosisOutcome(d: Diagnosis): string {
  const result = d.result;
  if (!result) return d.failure ?? d.status;
  const code = result.responseCode === undefined ? '' : `, exit ${result.responseCode}`;
  return `${result.statusDetails ?? result.status}${code}`;
}

function outputsOf(result: CommandResult | undefined): PageAttempt['outputs'] {
  const outputs = [
    ['stdout', result?.stdout],
    ['stderr', result?.stderr],
  ] as const;
  return outputs.flatMap(([label, text]) =>
    text?.trim() ? [{ label, lines: linesThatMatter(text, OUTPUT_LINES) }] : [],
  );
}

/**
 * The lines of an output worth reading: lines alike but for their numbers (timestamps, counters,
 * pids) collapsed into their last one with a count, then the lines that say FATAL, ERROR, panic,
 * denied or a failure kept first, and the last lines after them; at most `max`, in the output's order.
 */
export function linesThatMatter(text: string, max: number): string[] {
  const groups = new Map<string, { line: string; count: number; last: number; same: boolean }>();
  const lines = text
    .replace(/\r/g, '')
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '');
  lines.forEach((line, index) => {
    const key = line.replace(/\d+/g, '#');
    const group = groups.get(key);
    groups.set(key, {
      line,
      count: (group?.count ?? 0) + 1,
      last: index,
      same: group === undefined || (group.same && group.line === line),
    });
  });
  const all = [...groups.values()].sort((a, b) => a.last - b.last);
  const important = all.filter((g) =>
    /\b(fatal|error|panic|fail(ed|ure)?|exception|traceback|denied)\b/i.test(g.line),
  );
  const chosen = new Set(important.slice(-max));
  for (const g of [...all].reverse()) {
    if (chosen.size >= max) break;
    chosen.add(g);
  }
  return all
    .filter((g) => chosen.has(g))
    .map((g) => (g.count > 1 ? `${g.line} (x${g.count}${g.same ? '' : ' alike'})` : g.line));
}
