import type { PageEffect } from '../effects.ts';
import type { Attempt } from '../incident.ts';
import { pageMessage } from '../page-message.ts';
import type { Runbook } from '../runbook.ts';
import { clipChars, context, iso, links, md, oneLine, outcome } from './helpers.ts';
import { CHAT_LIMITS } from './limits.ts';

/** Chat: the custom notification of Amazon Q Developer in chat applications. */

/** A custom notification of AWS's chat app (AWS Chatbot / Amazon Q Developer in chat applications). */
export interface ChatNotification {
  readonly version: '1.0';
  readonly source: 'custom';
  readonly id: string;
  readonly content: {
    readonly textType: 'client-markdown';
    readonly title: string;
    readonly description: string;
    readonly nextSteps: readonly string[];
    readonly keywords: readonly string[];
  };
  readonly metadata: {
    readonly threadId: string;
    readonly summary: string;
    readonly eventType: string;
    readonly relatedResources: readonly string[];
    readonly additionalContext: Readonly<Record<string, string>>;
    readonly enableCustomActions: boolean;
  };
}

/**
 * The chat form: title `ALARM: ...` or `OK: ...`, a markdown description (what, where, since,
 * attempts, gates, links), next steps from the runbook's notes, and the incident id as the thread,
 * so that the resolution lands under its escalation. Untrusted text (alarm, outputs) cannot mention
 * or link: `<`, `>` and `@here`-style words are neutralised.
 */
export function chatForm(effect: PageEffect, runbook: Runbook | undefined): ChatNotification {
  const { incident } = effect;
  const escalated = effect.page === 'escalation';
  const { subject } = pageMessage(effect, runbook);
  const l = links(effect);
  const where = incident.instanceId ?? 'no single instance';
  const head = [
    escalated
      ? `*What:* alarm ${md(incident.alarm.name)} is in ALARM: ${md(oneLine(incident.alarm.reason, 300))}`
      : `*What:* alarm ${md(incident.alarm.name)} is OK again`,
    `*Where:* ${md(where)} (account ${md(incident.alarm.account)}, ${md(incident.alarm.region)})`,
    `*Since:* ${iso(incident.openedAt)}${escalated ? '' : `, resolved ${iso(incident.resolution?.at)} (${incident.resolution?.how === 'verified' ? 'after remediation' : 'cleared without a successful remediation'})`}`,
    `*Runbook:* ${md(incident.key.runbook)}${runbook ? ` (owner ${md(runbook.owner)}): ${md(runbook.description)}` : ''}`,
    ...(escalated
      ? [`*Why paged:* ${md(oneLine(incident.escalation?.reason ?? 'automation stopped', 500))}`]
      : []),
    `*Gates:* ${
      (incident.refusals ?? []).length === 0
        ? 'none refused'
        : (incident.refusals ?? [])
            .map((r) => `${r.gate} at ${iso(r.at)}: ${md(oneLine(r.reason, 300))}`)
            .join('; ')
    }`,
  ];
  // The resolution only says what was tried; the output was in the escalation, in the same thread.
  const attemptsWith = chatAttempts(incident.attempts, escalated);
  const attemptsWithout = chatAttempts(incident.attempts, false);
  const tail = [
    '*Links:*',
    `• Alarm: ${l.alarm}`,
    ...(l.instance ? [`• Instance: ${l.instance}`] : []),
    ...(l.diagnosis ? [`• Diagnose in Run Command: ${l.diagnosis.url}`] : []),
    ...l.commands.map((c) => `• Attempt #${c.attempt} in Run Command: ${c.url}`),
  ].join('\n');
  const description = fitDescription(
    [[...head, ...attemptsWith].join('\n'), [...head, ...attemptsWithout].join('\n')],
    tail,
  );
  const notes = escalated
    ? [
        ...noteSteps(
          runbook?.notes ?? 'The runbook has no notes; start from the alarm and the attempts above.',
        ),
        ...(runbook?.link ? [runbook.link] : []),
        `Incident ${incident.id} stays open until the alarm returns to OK; the OK lands in this thread.`,
      ]
    : ['Close the page for this incident if your pager has not closed it already.'];
  return {
    version: '1.0',
    source: 'custom',
    id: `${incident.id}:${effect.page}`,
    content: {
      textType: 'client-markdown',
      title: clipChars(subject, CHAT_LIMITS.title),
      description,
      nextSteps: notes.slice(0, CHAT_LIMITS.nextSteps).map((s) => clipChars(s, CHAT_LIMITS.nextStep)),
      keywords: [
        escalated ? 'ALARM' : 'OK',
        incident.key.runbook,
        ...(incident.instanceId ? [incident.instanceId] : []),
        incident.alarm.region,
      ]
        .slice(0, CHAT_LIMITS.keywords)
        .map((k) => clipChars(oneLine(k), CHAT_LIMITS.keyword)),
    },
    metadata: {
      threadId: incident.id,
      summary: clipChars(subject, CHAT_LIMITS.summary),
      eventType: escalated ? 'RemediationEscalation' : 'RemediationResolution',
      relatedResources: [...(incident.instanceId ? [incident.instanceId] : []), incident.alarm.arn],
      additionalContext: context({
        incidentId: incident.id,
        runbook: incident.key.runbook,
        alarmName: incident.alarm.name,
        account: incident.alarm.account,
        region: incident.alarm.region,
      }),
      // Lets an operator attach their own buttons (matched on eventType); none exist by default.
      enableCustomActions: true,
    },
  };
}

function chatAttempts(attempts: readonly Attempt[], withOutput: boolean): string[] {
  if (attempts.length === 0) return ['*Attempts:* none (nothing was run)'];
  const lines = [`*Attempts (${attempts.length}):*`];
  for (const a of attempts) {
    lines.push(
      `• #${a.number} at ${iso(a.requestedAt)}: ${md(outcome(a))}${a.commandId ? ` (command ${md(a.commandId)})` : ''}`,
    );
    if (!withOutput) continue;
    for (const [label, text] of [
      ['stdout', a.result?.stdout],
      ['stderr', a.result?.stderr],
    ] as const) {
      if (!text?.trim()) continue;
      const tail = text.replace(/\r/g, '').trimEnd().split('\n').slice(-5);
      lines.push(
        `${label}, last lines:`,
        '```',
        ...tail.map((t) => md(oneLine(t, 120)).replace(/```/g, "'''")),
        '```',
      );
    }
  }
  return lines;
}

/** Plain text as a markdown code block of at most `max` characters, fence included. */
export function fence(text: string, max: number): string {
  return `\`\`\`\n${clipChars(text.replace(/```/g, "'''"), max - 8)}\n\`\`\``;
}

function noteSteps(notes: string): string[] {
  return notes
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}

/** The first candidate that fits with the tail kept whole; else the last one, cut. */
function fitDescription(candidates: readonly string[], tail: string): string {
  const max = CHAT_LIMITS.description;
  for (const c of candidates) {
    const text = `${c}\n${tail}`;
    if (text.length <= max) return text;
  }
  const mark = '\n[cut to fit the chat]\n';
  const room = max - tail.length - mark.length;
  if (room <= 0) return clipChars(tail, max);
  return `${clipChars(candidates.at(-1) ?? '', room)}${mark}${tail}`;
}
