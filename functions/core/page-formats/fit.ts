import { Buffer } from 'node:buffer';
import type { PageEffect } from '../effects.ts';
import type { Attempt, CommandResult, Incident } from '../incident.ts';
import { pageMessage } from '../page-message.ts';
import type { Runbook } from '../runbook.ts';
import { diagnosisOf, links } from './helpers.ts';
import { MESSAGE_BUDGET_BYTES } from './limits.ts';
import type { PageContext } from './next-steps.ts';
import type { SnsPublication } from './sns.ts';

/** Fitting a page within SNS's size: attempt output is shortened, then left out, before anything else. */

type OutputTier = 'full' | 'short' | 'none';
export const OUTPUT_TIERS: readonly OutputTier[] = ['full', 'short', 'none'];

/** The text in two parts: the body, which may be cut, and a tail of links, which is kept. */
interface HumanParts {
  readonly body: string;
  readonly tail: string;
}

export function humanParts(
  effect: PageEffect,
  runbook: Runbook | undefined,
  tier: OutputTier,
  context: PageContext = {},
): HumanParts {
  const incident = tier === 'full' ? effect.incident : withOutput(effect.incident, tier);
  const { body } = pageMessage({ ...effect, incident }, runbook, context);
  const l = links(effect);
  const tail = [
    'Links:',
    `  Alarm:    ${l.alarm}`,
    ...(l.instance ? [`  Instance: ${l.instance}`] : []),
    ...(l.diagnosis ? [`  Diagnose ${l.diagnosis.commandId}: ${l.diagnosis.url}`] : []),
    ...l.commands.map((c) => `  #${c.attempt} ${c.commandId}: ${c.url}`),
    ...(tier === 'full' ? [] : ['(attempt output shortened to fit the page; Run Command has all of it)']),
  ].join('\n');
  return { body, tail };
}

/** The incident with each attempt's output cut to its last few short lines, or left out. */
export function withOutput(incident: Incident, tier: 'short' | 'none'): Incident {
  const cut = (text: string | undefined): string | undefined => {
    if (tier === 'none' || text === undefined) return undefined;
    return text
      .replace(/\r/g, '')
      .trimEnd()
      .split('\n')
      .slice(-3)
      .map((line) => (line.length <= 80 ? line : `${line.slice(0, 77)}...`))
      .join('\n');
  };
  const cutResult = (r: CommandResult): CommandResult => ({
    ...r,
    stdout: cut(r.stdout),
    stderr: cut(r.stderr),
  });
  return {
    ...incident,
    attempts: incident.attempts.map((a) => {
      const diagnosis = diagnosisOf(a);
      // The diagnosis keeps every field it had; only its output changes (hence the assertion).
      return {
        ...a,
        ...(a.result ? { result: cutResult(a.result) } : {}),
        ...(diagnosis?.result ? { diagnosis: { ...diagnosis, result: cutResult(diagnosis.result) } } : {}),
      } as Attempt;
    }),
  };
}

export function fitPublication(
  subject: string,
  tiers: readonly (() => HumanParts)[],
  https: string,
): SnsPublication {
  let parts: HumanParts = { body: '', tail: '' };
  for (const tier of tiers) {
    parts = tier();
    const publication = assemble(subject, join(parts), https);
    if (publication.size <= MESSAGE_BUDGET_BYTES) return publication;
  }
  // Cut the body to what is left once the tail, the subject and the PagerDuty form are in. The text
  // goes twice (default and email), so each copy gets half of it.
  const mark = '\n[message cut to fit the pager]';
  const fixed = assemble(subject, join({ body: mark, tail: parts.tail }), https).size;
  let room = Math.floor((MESSAGE_BUDGET_BYTES - fixed) / 2);
  while (room > 0) {
    const text = join({ body: `${cutToJsonBytes(parts.body, room)}${mark}`, tail: parts.tail });
    const publication = assemble(subject, text, https);
    if (publication.size <= MESSAGE_BUDGET_BYTES) return publication;
    room = Math.floor(room * 0.9) - 1;
  }
  // Only an absurd tail or form gets here: send the subject alone, still valid JSON.
  const bare = assemble(subject, subject, undefined);
  return bare;
}

export function join(parts: HumanParts): string {
  return parts.tail ? `${parts.body}\n\n${parts.tail}` : parts.body;
}

function assemble(subject: string, text: string, https: string | undefined): SnsPublication {
  const Message = JSON.stringify({
    default: text,
    email: text,
    sms: subject,
    ...(https === undefined ? {} : { https }),
  });
  return { Subject: subject, Message, MessageStructure: 'json', size: Buffer.byteLength(Message) };
}

/** The longest prefix of `text` (whole code points) whose JSON string escape takes at most `max` bytes. */
function cutToJsonBytes(text: string, max: number): string {
  let used = 0;
  let end = 0;
  for (const ch of text) {
    used += jsonBytes(ch);
    if (used > max) break;
    end += ch.length;
  }
  return text.slice(0, end);
}

function jsonBytes(ch: string): number {
  const code = ch.codePointAt(0) ?? 0;
  if (ch === '"' || ch === '\\') return 2;
  if (code < 0x20) return ch === '\n' || ch === '\r' || ch === '\t' || ch === '\b' || ch === '\f' ? 2 : 6;
  if (code >= 0xd800 && code <= 0xdfff) return 6; // a lone surrogate, escaped as \udxxx
  return Buffer.byteLength(ch);
}

/** The readable text for email and SNS's `default`: today's page, with console links. */
export function humanText(effect: PageEffect, runbook: Runbook | undefined): string {
  return join(humanParts(effect, runbook, 'full'));
}
