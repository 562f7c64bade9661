import { Buffer } from 'node:buffer';
import { clipChars } from '../../functions/core/page-formats/helpers.ts';
import type { NextStep } from '../../functions/core/page-formats/next-steps.ts';
import type { PageFact, PageLink } from '../../functions/core/page-formats/page-parts.ts';

/**
 * The bodies the game day POSTs to `--webhook`, one per `--webhook-format`, each what the service's
 * incoming webhook accepts (sources read when this was written):
 *
 * - `json` (the default): the page as the game day records it in pages.jsonl (messageId, at, page,
 *   incidentId, subject, body), for a tool of your own.
 * - `slack`: a Slack incoming webhook message. Slack's "Sending messages using incoming webhooks"
 *   (https://api.slack.com/messaging/webhooks, now https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks):
 *   a JSON body with `text` and optional `blocks`; with blocks, `text` is the fallback shown in
 *   notifications, so it is always sent. "Formatting message text"
 *   (https://docs.slack.dev/messaging/formatting-message-text): `&`, `<` and `>` are control characters
 *   and must be sent as `&amp;`, `&lt;`, `&gt;` (which also keeps `<!here>`-style mentions and
 *   `<url|label>` links out of untrusted text). Section block
 *   (https://docs.slack.dev/reference/block-kit/blocks/section-block): `text` 1 to 3,000 characters.
 *   Blocks reference (https://docs.slack.dev/reference/block-kit/blocks): up to 50 blocks in a
 *   message. chat.postMessage and the 2018 changelog
 *   (https://api.slack.com/changelog/2018-04-truncating-really-long-messages): `text` over 40,000
 *   characters is truncated. Ours: the blocks' text is kept under 12,000 characters in all, since
 *   Slack was seen refusing blocks totalling about 13,200 characters with `msg_blocks_too_long`
 *   (slackapi/bolt-js issue #2509), a limit it does not document.
 * - `teams`: a message for Microsoft Teams, accepted by the Workflows app's "Post to a channel when a
 *   webhook request is received" (and by the older Incoming Webhook connector): Microsoft's "Create
 *   and send messages" (https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using,
 *   "Send Adaptive Cards using an Incoming Webhook"): `type` "message" and `attachments`, each with
 *   `contentType` "application/vnd.microsoft.card.adaptive", `contentUrl` null and the card as
 *   `content` (`type` "AdaptiveCard", `version`, `body`); Action.OpenUrl is supported, Action.Submit
 *   is not; a message is at most about 28 KB (413 beyond it). Workflows accept Adaptive Cards only:
 *   the Office 365 connectors and their MessageCard format are being retired ("Retirement of Office
 *   365 connectors within Microsoft Teams",
 *   https://devblogs.microsoft.com/microsoft365dev/retirement-of-office-365-connectors-within-microsoft-teams/),
 *   so MessageCard is not offered. The card is version 1.4 (TextBlock, FactSet, Action.OpenUrl,
 *   `fontType` Monospace), within what Teams renders; untrusted text cannot link or mention (`<`,
 *   `>` and markdown links are neutralised). Ours: the body is kept under 20,000 bytes of UTF-8,
 *   under the 28 KB with room: a public report (https://techqa.club/v/q/ms-teams-webhook-returns-error-413-on-small-messages-78034694)
 *   saw 413 from 14 KB bodies sent without a charset (counted as two bytes a character), and
 *   about 20 KB pass when sent as UTF-8, which the game day declares.
 */

/** A page or a fleet notice, ready for any chat markup: plain text, each renderer escapes its own. */
export interface WebhookMessage {
  readonly status: 'ALARM' | 'PROPOSAL' | 'OK';
  readonly title: string;
  readonly facts: readonly PageFact[];
  readonly sections: readonly WebhookSection[];
  readonly steps: readonly NextStep[];
  readonly links: readonly PageLink[];
}

export interface WebhookSection {
  readonly heading: string;
  readonly lines: readonly string[];
  /** Shown as it is, in a fixed-width block (command output, a notice's aligned text). */
  readonly code?: boolean;
  /** Left out first when the message is too long. */
  readonly optional?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Slack

export const SLACK_LIMITS = {
  text: 40_000,
  sectionText: 3_000,
  blocks: 50,
  /** Ours: see the module comment. */
  blocksText: 12_000,
  /** Ours: the fallback is a notification's preview, not the message. */
  fallback: 3_000,
} as const;

export interface SlackSection {
  readonly type: 'section';
  readonly text: { readonly type: 'mrkdwn'; readonly text: string };
}
export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly (SlackSection | { readonly type: 'divider' })[];
}

/** Slack's mrkdwn control characters, escaped as Slack documents. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const SLACK_ICON = {
  ALARM: ':rotating_light:',
  PROPOSAL: ':raising_hand:',
  OK: ':white_check_mark:',
} as const;

export function slackBody(message: WebhookMessage): SlackMessage {
  const fallback = clipChars(
    slackEscape([message.title, ...message.facts.map((f) => `${f.label}: ${f.value}`)].join('\n')),
    SLACK_LIMITS.fallback,
  );
  for (const withOptional of [true, false]) {
    const blocks = slackBlocks(message, withOptional);
    if (blocks.length <= SLACK_LIMITS.blocks && blocksText(blocks) <= SLACK_LIMITS.blocksText)
      return { text: fallback, blocks };
  }
  // Still too long: keep the blocks in order while they fit, and say so.
  const kept: SlackMessage['blocks'][number][] = [];
  let used = 0;
  const mark = section('_[cut to fit Slack; the game day report has all of it]_');
  for (const block of slackBlocks(message, false)) {
    const size = blocksText([block]);
    if (kept.length + 2 > SLACK_LIMITS.blocks || used + size + blocksText([mark]) > SLACK_LIMITS.blocksText)
      break;
    kept.push(block);
    used += size;
  }
  return { text: fallback, blocks: [...kept, mark] };
}

function blocksText(blocks: SlackMessage['blocks']): number {
  return blocks.reduce((sum, b) => sum + (b.type === 'section' ? b.text.text.length : 0), 0);
}

function section(text: string): SlackSection {
  return { type: 'section', text: { type: 'mrkdwn', text: clipChars(text, SLACK_LIMITS.sectionText) } };
}

/**
 * Lines into sections of at most 3,000 characters each, a code block's fences and the heading
 * counted. Plain lines are escaped; `mrkdwn` lines are already Slack markup (ours, values escaped).
 */
function sections(
  heading: string,
  lines: readonly string[],
  kind: 'plain' | 'code' | 'mrkdwn',
): SlackSection[] {
  const open = kind === 'code' ? '```\n' : '';
  const close = kind === 'code' ? '\n```' : '';
  const head = heading ? `*${slackEscape(heading)}*\n` : '';
  const max = SLACK_LIMITS.sectionText - open.length - close.length - head.length;
  const chunks: string[][] = [];
  let size = 0;
  for (const raw of lines) {
    const text = kind === 'mrkdwn' ? raw : slackEscape(kind === 'code' ? raw.replace(/```/g, "'''") : raw);
    const line = clipChars(text, max);
    const current = chunks.at(-1);
    if (current === undefined || size + 1 + line.length > max) {
      chunks.push([line]);
      size = line.length;
    } else {
      current.push(line);
      size += 1 + line.length;
    }
  }
  if (chunks.length === 0) return heading ? [section(head.trimEnd())] : [];
  return chunks.map((c, i) => section(`${i === 0 ? head : ''}${open}${c.join('\n')}${close}`));
}

function slackBlocks(message: WebhookMessage, withOptional: boolean): SlackMessage['blocks'][number][] {
  const links = message.links.map((l) =>
    /[<>|\s]/.test(l.url)
      ? `• ${slackEscape(l.label)}: ${slackEscape(l.url)}`
      : `• <${l.url}|${slackEscape(l.label)}>`,
  );
  const steps = message.steps.map((s) =>
    s.command === undefined
      ? `• ${slackEscape(s.text)}`
      : `• ${slackEscape(s.text)}: \`${slackEscape(s.command.replace(/`/g, "'"))}\``,
  );
  return [
    section(`${SLACK_ICON[message.status]} *${slackEscape(message.title)}*`),
    ...sections(
      '',
      message.facts.map((f) => `*${slackEscape(f.label)}:* ${slackEscape(f.value)}`),
      'mrkdwn',
    ),
    { type: 'divider' as const },
    ...message.sections
      .filter((s) => withOptional || !s.optional)
      .flatMap((s) => sections(s.heading, s.lines, s.code === true ? 'code' : 'plain')),
    ...sections(steps.length > 0 ? 'Next steps' : '', steps, 'mrkdwn'),
    ...sections(links.length > 0 ? 'Links' : '', links, 'mrkdwn'),
  ];
}

// ---------------------------------------------------------------------------------------------
// Teams

export const TEAMS_LIMITS = {
  /** Documented: about 28 KB a message. */
  messageBytes: 28_000,
  /** Ours: see the module comment. */
  bodyBytes: 20_000,
  /** Ours: link buttons on the card. */
  actions: 5,
} as const;

export type TeamsElement =
  | {
      readonly type: 'TextBlock';
      readonly text: string;
      readonly wrap: true;
      readonly weight?: 'Bolder';
      readonly size?: 'Medium';
      readonly color?: 'Attention' | 'Good' | 'Warning';
      readonly fontType?: 'Monospace';
      readonly isSubtle?: true;
      readonly spacing?: 'None' | 'Medium';
    }
  | {
      readonly type: 'FactSet';
      readonly facts: readonly { readonly title: string; readonly value: string }[];
    };

export interface TeamsMessage {
  readonly type: 'message';
  readonly attachments: readonly {
    readonly contentType: 'application/vnd.microsoft.card.adaptive';
    readonly contentUrl: null;
    readonly content: {
      readonly $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
      readonly type: 'AdaptiveCard';
      readonly version: '1.4';
      readonly msteams: { readonly width: 'Full' };
      readonly body: readonly TeamsElement[];
      readonly actions: readonly {
        readonly type: 'Action.OpenUrl';
        readonly title: string;
        readonly url: string;
      }[];
    };
  }[];
}

/** Untrusted text in a card's markdown: no tags or mentions (`<at>`), no markdown links. */
export function teamsText(text: string): string {
  return text.replace(/</g, '‹').replace(/>/g, '›').replace(/\]\(/g, ']\u200b(');
}

const TEAMS_COLOUR = { ALARM: 'Attention', PROPOSAL: 'Warning', OK: 'Good' } as const;

export function teamsBody(message: WebhookMessage): TeamsMessage {
  for (const withOptional of [true, false]) {
    const body = teamsMessage(message, withOptional, Number.POSITIVE_INFINITY);
    if (bytes(body) <= TEAMS_LIMITS.bodyBytes) return body;
  }
  // Still too long: each section keeps its first lines, then every text is cut shorter, until it fits.
  for (const lines of [200, 100, 50, 20, 10, 5, 2]) {
    const shortened = { ...message, sections: message.sections.map((s) => firstLines(s, lines)) };
    for (const max of [2_000, 500, 200]) {
      const body = teamsMessage(shortened, false, max);
      if (bytes(body) <= TEAMS_LIMITS.bodyBytes) return body;
    }
  }
  return teamsMessage({ ...message, sections: [], steps: [], links: [] }, false, 100);
}

/** A section's first `n` lines, and how many more there were. */
function firstLines(section: WebhookSection, n: number): WebhookSection {
  if (section.lines.length <= n) return section;
  return {
    ...section,
    lines: [...section.lines.slice(0, n), `[${section.lines.length - n} more lines cut to fit Teams]`],
  };
}

function bytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

function teamsMessage(message: WebhookMessage, withOptional: boolean, max: number): TeamsMessage {
  const text = (s: string) => clipChars(teamsText(s), max);
  const block = (
    s: string,
    extra: Partial<Extract<TeamsElement, { type: 'TextBlock' }>> = {},
  ): TeamsElement => ({
    type: 'TextBlock',
    text: s,
    wrap: true,
    ...extra,
  });
  const body: TeamsElement[] = [
    block(text(message.title), { weight: 'Bolder', size: 'Medium', color: TEAMS_COLOUR[message.status] }),
    ...(message.facts.length > 0
      ? [
          {
            type: 'FactSet' as const,
            facts: message.facts.map((f) => ({ title: text(f.label), value: text(f.value) })),
          },
        ]
      : []),
  ];
  for (const s of message.sections.filter((s) => withOptional || !s.optional)) {
    if (s.heading) body.push(block(text(s.heading), { weight: 'Bolder', spacing: 'Medium' }));
    if (s.lines.length === 0) continue;
    // Markdown joins single lines: plain lines are paragraphs, a code line is a block of its own.
    if (s.code) {
      for (const line of s.lines)
        body.push(block(text(line || ' '), { fontType: 'Monospace', isSubtle: true, spacing: 'None' }));
    } else {
      body.push(block(text(s.lines.join('\n\n'))));
    }
  }
  if (message.steps.length > 0) {
    body.push(block('Next steps', { weight: 'Bolder', spacing: 'Medium' }));
    for (const step of message.steps) {
      body.push(block(text(`- ${step.text}${step.command === undefined ? '' : ':'}`)));
      if (step.command !== undefined) body.push(block(teamsText(step.command), { fontType: 'Monospace' }));
    }
  }
  const openable = message.links.filter((l) => /^https:\/\/[^\s<>"]+$/.test(l.url));
  const others = message.links
    .filter((l) => !openable.includes(l))
    .concat(openable.slice(TEAMS_LIMITS.actions));
  if (others.length > 0) body.push(block(text(others.map((l) => `${l.label}: ${l.url}`).join('\n\n'))));
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          msteams: { width: 'Full' },
          body,
          actions: openable
            .slice(0, TEAMS_LIMITS.actions)
            .map((l) => ({ type: 'Action.OpenUrl' as const, title: clipChars(l.label, 50), url: l.url })),
        },
      },
    ],
  };
}
