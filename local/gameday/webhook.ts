import type { PageEffect } from '../../functions/core/effects.ts';
import type { Notice } from '../../functions/core/fleet-messages.ts';
import { MORE_NOTES, type PageContext } from '../../functions/core/page-formats/next-steps.ts';
import { type PageParts, pageParts } from '../../functions/core/page-formats/page-parts.ts';
import type { Pager } from '../../functions/core/ports.ts';
import type { Runbook } from '../../functions/core/runbook.ts';
import { closest } from '../authoring/alarms-plan.ts';
import type { RecordedPage, TerminalPager } from '../local-ports.ts';
import { slackBody, teamsBody, type WebhookMessage, type WebhookSection } from './webhook-bodies.ts';

/**
 * The game day's `--webhook`: every page and fleet notice POSTed as JSON, in the body the chosen
 * service's incoming webhook accepts (`--webhook-format`): `json` (the default, the page as
 * pages.jsonl records it), `slack` or `teams` (see `webhook-bodies.ts` for the formats and their
 * sources).
 */

export type { WebhookMessage, WebhookSection } from './webhook-bodies.ts';

export const WEBHOOK_FORMATS = ['json', 'slack', 'teams'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/** Why `value` is not a webhook format (naming the nearest and every valid one), or undefined. */
export function webhookFormatError(value: string): string | undefined {
  if ((WEBHOOK_FORMATS as readonly string[]).includes(value)) return undefined;
  const near = closest(value, WEBHOOK_FORMATS);
  return `--webhook-format: "${value}" is not a format${near ? `; did you mean ${near}?` : ''} (${WEBHOOK_FORMATS.join(' | ')})`;
}

/** An incident's page as a webhook message: the chat form's parts. */
export function pageWebhookMessage(parts: PageParts): WebhookMessage {
  const sections: WebhookSection[] = [
    {
      heading:
        parts.attempts.length === 0
          ? 'Attempts: none (nothing was run)'
          : `Attempts (${parts.attempts.filter((a) => !a.diagnosis).length})`,
      lines: parts.attempts.map((a) => a.line),
    },
  ];
  if (parts.kind !== 'resolution') {
    for (const [n, a] of parts.attempts.entries()) {
      for (const output of a.outputs) {
        sections.push({
          heading: `${a.line.split(' ')[0] ?? `#${n + 1}`} ${output.label}, the lines that matter`,
          lines: output.lines,
          code: true,
          optional: true,
        });
      }
    }
  }
  return {
    status: parts.status,
    title: parts.title,
    facts: parts.facts,
    sections,
    // No list size here: the notes that did not fit the chat's list take the marker's place.
    steps: parts.steps.flatMap((s) =>
      s.command === undefined && s.text === MORE_NOTES ? parts.moreNotes.map((text) => ({ text })) : [s],
    ),
    links: parts.links,
  };
}

/** A fleet notice (breaker, dry-run switch) as a webhook message: its text, and its commands as steps. */
export function noticeWebhookMessage(notice: Notice): WebhookMessage {
  const commands = notice.body
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('npx remediate'));
  const closed = notice.kind === 'breaker-closed';
  return {
    status: closed ? 'OK' : 'ALARM',
    title: notice.subject,
    facts: [
      { label: 'Runbook', value: notice.runbook },
      { label: 'Notice', value: `${notice.kind} (${notice.key})` },
    ],
    sections: [{ heading: '', lines: notice.body.split('\n'), code: true }],
    steps: closed
      ? [{ text: 'Close the group page if your pager has not closed it already.' }]
      : commands.map((command) => ({ text: 'Run', command })),
    links: [],
  };
}

// ---------------------------------------------------------------------------------------------
// Posting

/** The body of one POST in the chosen format. */
export function webhookBody(format: WebhookFormat, recorded: RecordedPage, message: WebhookMessage): unknown {
  switch (format) {
    case 'json':
      return recorded;
    case 'slack':
      return slackBody(message);
    case 'teams':
      return teamsBody(message);
  }
}

/**
 * The game day's pager with a webhook: each page and notice is recorded by the terminal pager (the
 * terminal, pages.jsonl), then POSTed in the chosen format. A delivery that fails is noted in
 * `failures` (the game day fails on it), never retried.
 */
export class WebhookPager implements Pager {
  readonly failures: string[] = [];
  private readonly inner: TerminalPager;
  private readonly url: string;
  private readonly format: WebhookFormat;
  private readonly context: (runbook: Runbook | undefined) => PageContext;

  constructor(
    inner: TerminalPager,
    options: {
      url: string;
      format?: WebhookFormat;
      /** What pages may name beyond the incident (the table, the runbook's document). */
      context?: (runbook: Runbook | undefined) => PageContext;
    },
  ) {
    this.inner = inner;
    this.url = options.url;
    this.format = options.format ?? 'json';
    this.context = options.context ?? (() => ({}));
  }

  async page(effect: PageEffect, runbook: Runbook | undefined): Promise<string> {
    const id = await this.inner.page(effect, runbook);
    await this.post(id, () => pageWebhookMessage(pageParts(effect, runbook, this.context(runbook))));
    return id;
  }

  async notify(notice: Notice): Promise<string> {
    const id = await this.inner.notify(notice);
    await this.post(id, () => noticeWebhookMessage(notice));
    return id;
  }

  private async post(id: string, message: () => WebhookMessage): Promise<void> {
    const recorded = this.inner.pages.find((p) => p.messageId === id);
    if (!recorded) {
      this.failures.push(`${id}: not recorded, not posted`);
      return;
    }
    try {
      const response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(webhookBody(this.format, recorded, message())),
        signal: AbortSignal.timeout(5000),
      });
      if (!response.ok) {
        const said = (await response.text().catch(() => '')).replace(/\s+/g, ' ').trim().slice(0, 200);
        this.failures.push(`${id}: HTTP ${response.status}${said ? ` ${said}` : ''}`);
      }
    } catch (error) {
      this.failures.push(`${id}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
