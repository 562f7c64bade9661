import type { PageEffect } from '../effects.ts';
import type { PageKind } from '../inputs.ts';
import type { Runbook } from '../runbook.ts';
import { clipChars, context, md, oneLine } from './helpers.ts';
import { CHAT_LIMITS } from './limits.ts';
import type { NextStep, PageContext } from './next-steps.ts';
import { type PageAttempt, pageParts } from './page-parts.ts';

export type { PageContext } from './next-steps.ts';

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
 * The keys of `metadata.additionalContext` that the chat buttons (custom actions, `AWS::Chatbot::CustomAction`)
 * read, as variables `event.metadata.additionalContext.<key>`. Each is present only with a value a
 * command may carry as it is (see {@link ACTION_VALUE}), so that a button whose criteria say
 * `HAS_VALUE` is not shown when it would not work. `pageKind` is `proposal`, `escalation` or
 * `resolution`; `proposalId` is set on proposal pages only (an OK never shows an approve button).
 *
 * Source: "CustomActionAttachment", Amazon Q Developer in chat applications API reference
 * (https://docs.aws.amazon.com/chatbot/latest/APIReference/API_CustomActionAttachment.html): a
 * button attaches to a `NotificationType` ("Custom" for custom notifications, as public templates
 * use it), shows when its `Criteria` (1 to 5, e.g. `HAS_VALUE`, `EQUALS`) hold, and extracts at most
 * 5 `Variables` from the notification, each named by its path (public templates:
 * `event.metadata.additionalContext.<key>`); the command text uses them as `$<variable>`. So a
 * button reads at most five of these keys; every value here is one word of printable ASCII.
 */
export const ACTION_CONTEXT_KEYS = [
  'incidentId',
  'runbook',
  'proposalId',
  'instanceId',
  'tableName',
  'pageKind',
] as const;

/** A value a custom action may put into its command text: no spaces, quotes or shell metacharacters. */
export const ACTION_VALUE = /^[A-Za-z0-9._:/@+=,-]{1,256}$/;

/**
 * The chat form: a title that says what the page is (`ALARM: ...`, a proposal to approve, `OK: ...`),
 * a markdown description (what, where, since, what was proposed or why a human is paged, attempts
 * with the lines of output that matter, gates, who did what, links), next steps as a list (the
 * runbook's notes split into short steps with the incident's values filled in, then the exact
 * commands to act: approve or deny a proposal, retry, diagnose, snooze, take, or run the runbook's
 * document by hand), and the incident id as the thread, so that the proposal, the escalation and
 * the OK land together. `metadata.additionalContext` carries what the chat buttons need
 * ({@link ACTION_CONTEXT_KEYS}). Untrusted text (alarm, tags, outputs) cannot mention or link: `<`,
 * `>` and `@here`-style words are neutralised. Every documented field limit holds, whatever the inputs.
 */
export function chatForm(
  effect: PageEffect,
  runbook: Runbook | undefined,
  pageContext: PageContext = {},
): ChatNotification {
  const { incident } = effect;
  const parts = pageParts(effect, runbook, pageContext);
  const head = parts.facts.map((f) => `*${f.label}:* ${md(f.value)}`);
  const more =
    parts.moreNotes.length > 0
      ? ['*What to look at next (continued):*', ...parts.moreNotes.map((n) => `• ${md(n)}`)]
      : [];
  const tail = ['*Links:*', ...parts.links.map((l) => `• ${l.label}: ${l.url}`)].join('\n');
  // The OK only says what was tried; the output was in the escalation, in the same thread.
  const withOutput = parts.kind !== 'resolution';
  const description = fitDescription(
    [
      [...head, ...chatAttempts(parts.attempts, withOutput), ...more].join('\n'),
      [...head, ...chatAttempts(parts.attempts, false), ...more].join('\n'),
      [...head, ...chatAttempts(parts.attempts, false)].join('\n'),
    ],
    tail,
  );
  const proposal = parts.kind === 'proposal' ? incident.proposal : undefined;
  const action = (value: string | undefined) =>
    value !== undefined && ACTION_VALUE.test(value) ? value : undefined;
  const buttons: Record<string, string | undefined> = {
    incidentId: action(incident.id),
    runbook: action(incident.key.runbook),
    proposalId: action(proposal?.id),
    instanceId: action(incident.instanceId),
    tableName: action(pageContext.tableName),
    pageKind: parts.kind,
  };
  return {
    version: '1.0',
    source: 'custom',
    id: proposal ? `${incident.id}:proposal:p${proposal.attempt}` : `${incident.id}:${effect.page}`,
    content: {
      textType: 'client-markdown',
      title: clipChars(md(oneLine(parts.title)), CHAT_LIMITS.title),
      description,
      nextSteps: parts.steps.flatMap((s) => {
        const line = chatStep(s);
        return line === undefined ? [] : [line];
      }),
      keywords: [
        parts.status,
        incident.key.runbook,
        ...(incident.instanceId ? [incident.instanceId] : []),
        incident.alarm.region,
      ]
        .slice(0, CHAT_LIMITS.keywords)
        .map((k) => clipChars(oneLine(k), CHAT_LIMITS.keyword)),
    },
    metadata: {
      threadId: incident.id,
      summary: clipChars(md(oneLine(parts.title)), CHAT_LIMITS.summary),
      eventType: EVENT_TYPES[parts.kind],
      relatedResources: [...(incident.instanceId ? [incident.instanceId] : []), incident.alarm.arn],
      additionalContext: context({
        ...Object.fromEntries(
          Object.entries(buttons).filter((e): e is [string, string] => e[1] !== undefined),
        ),
        alarmName: incident.alarm.name,
        account: incident.alarm.account,
        region: incident.alarm.region,
      }),
      // The chat buttons (custom actions) attach to notifications that allow them.
      enableCustomActions: true,
    },
  };
}

const EVENT_TYPES: Readonly<Record<PageKind, string>> = {
  proposal: 'RemediationProposal',
  escalation: 'RemediationEscalation',
  resolution: 'RemediationResolution',
};

/**
 * A step as the chat shows it: words, then the command in backticks. A command is never cut (a cut
 * command would do something else): a step too long with its words is the command alone, and one
 * too long even then, or that could not be shown as it is, is left out.
 */
export function chatStep(step: NextStep): string | undefined {
  const max = CHAT_LIMITS.nextStep;
  if (step.command === undefined) return clipChars(md(oneLine(step.text)), max);
  if (!showableCommand(step.command)) return undefined;
  const code = `\`${step.command}\``;
  const full = `${md(oneLine(step.text))}: ${code}`;
  if (full.length <= max) return full;
  return code.length <= max ? code : undefined;
}

/** A command shown as it is, in code: printable ASCII, nothing the chat's markdown or mentions would read. */
export function showableCommand(command: string): boolean {
  return (
    /^[\x20-\x7e]+$/.test(command) && !/[`<>]/.test(command) && !/@(here|channel|everyone)\b/i.test(command)
  );
}

function chatAttempts(attempts: readonly PageAttempt[], withOutput: boolean): string[] {
  if (attempts.length === 0) return ['*Attempts:* none (nothing was run)'];
  const lines = [`*Attempts (${attempts.filter((a) => !a.diagnosis).length}):*`];
  for (const a of attempts) {
    lines.push(`• ${md(a.line)}`);
    if (!withOutput) continue;
    for (const output of a.outputs) {
      lines.push(
        `${output.label}, the lines that matter:`,
        '```',
        ...output.lines.map((t) => md(oneLine(t, 120)).replace(/```/g, "'''")),
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
