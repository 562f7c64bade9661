import { Buffer } from 'node:buffer';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

/**
 * The bodies chat services document for their incoming webhooks, as zod schemas, and a local HTTP
 * server that answers like them: it accepts a body of the documented shape and refuses any other.
 *
 * Slack: "Sending messages using incoming webhooks" (https://api.slack.com/messaging/webhooks):
 * `text`, and `blocks`; section block (https://docs.slack.dev/reference/block-kit/blocks/section-block):
 * `text` a text object of 1 to 3,000 characters; at most 50 blocks a message; `text` at most 40,000
 * characters ("truncating really long messages", 2018); "Formatting message text": `&`, `<`, `>` are
 * control characters, sent as `&amp;`, `&lt;`, `&gt;` unless they make a link (`<url|label>`).
 *
 * Teams: "Create and send messages", "Send Adaptive Cards using an Incoming Webhook": `type`
 * "message", `attachments` of `contentType` "application/vnd.microsoft.card.adaptive" with the card
 * as `content`; Action.Submit is not supported; a message is at most about 28 KB. The card: the
 * Adaptive Cards schema (adaptivecards.io) for TextBlock, FactSet and Action.OpenUrl, version 1.4 or
 * later. Both schemas are strict: an unknown field is a refusal, as Slack's `invalid_blocks` is.
 */

/** Slack mrkdwn: every `&`, `<`, `>` escaped, except the `<url|label>` of a link. */
const slackMrkdwn = z
  .string()
  .min(1)
  .max(3_000)
  .refine((text) => {
    const bare = text.replace(/<https?:\/\/[^|<>\s]+\|[^<>]*>/g, '');
    return !/[<>]/.test(bare) && !/&(?!(amp|lt|gt);)/.test(bare);
  }, 'unescaped &, < or > in mrkdwn');

const slackSection = z.strictObject({
  type: z.literal('section'),
  text: z.strictObject({ type: z.literal('mrkdwn'), text: slackMrkdwn }),
  block_id: z.string().max(255).optional(),
});
const slackDivider = z.strictObject({ type: z.literal('divider'), block_id: z.string().max(255).optional() });

export const slackIncomingWebhook = z.strictObject({
  text: z
    .string()
    .min(1)
    .max(40_000)
    .refine((text) => !/[<>]/.test(text) && !/&(?!(amp|lt|gt);)/.test(text), 'unescaped &, < or >'),
  blocks: z
    .array(z.discriminatedUnion('type', [slackSection, slackDivider]))
    .min(1)
    .max(50),
});

const spacing = z.enum(['None', 'Small', 'Default', 'Medium', 'Large', 'ExtraLarge', 'Padding']);
const textBlock = z.strictObject({
  type: z.literal('TextBlock'),
  text: z.string(),
  wrap: z.boolean().optional(),
  weight: z.enum(['Lighter', 'Default', 'Bolder']).optional(),
  size: z.enum(['Small', 'Default', 'Medium', 'Large', 'ExtraLarge']).optional(),
  color: z.enum(['Default', 'Dark', 'Light', 'Accent', 'Good', 'Warning', 'Attention']).optional(),
  fontType: z.enum(['Default', 'Monospace']).optional(),
  isSubtle: z.boolean().optional(),
  spacing: spacing.optional(),
  separator: z.boolean().optional(),
});
const factSet = z.strictObject({
  type: z.literal('FactSet'),
  facts: z.array(z.strictObject({ title: z.string(), value: z.string() })).min(1),
  spacing: spacing.optional(),
});
const openUrl = z.strictObject({
  type: z.literal('Action.OpenUrl'),
  title: z.string().optional(),
  url: z.url({ protocol: /^https$/ }),
});
const adaptiveCard = z.strictObject({
  $schema: z.string().optional(),
  type: z.literal('AdaptiveCard'),
  version: z.string().regex(/^1\.([4-9]|\d\d)$/),
  body: z.array(z.discriminatedUnion('type', [textBlock, factSet])).min(1),
  actions: z.array(openUrl).optional(),
  msteams: z.strictObject({ width: z.literal('Full') }).optional(),
});

export const teamsWebhookMessage = z
  .strictObject({
    type: z.literal('message'),
    attachments: z
      .array(
        z.strictObject({
          contentType: z.literal('application/vnd.microsoft.card.adaptive'),
          contentUrl: z.null().optional(),
          content: adaptiveCard,
        }),
      )
      .min(1),
  })
  .refine((body) => Buffer.byteLength(JSON.stringify(body)) <= 28_000, 'over 28 KB');

/** The game day's own shape (`--webhook-format json`): the page as pages.jsonl records it. */
export const recordedPageBody = z.strictObject({
  messageId: z.string(),
  at: z.iso.datetime(),
  page: z.string(),
  incidentId: z.string(),
  subject: z.string(),
  body: z.string(),
});

export const WEBHOOK_SCHEMAS = {
  slack: slackIncomingWebhook,
  teams: teamsWebhookMessage,
  json: recordedPageBody,
} as const;

/** One POST the server received. */
export interface ReceivedPost {
  readonly path: string;
  readonly contentType: string | undefined;
  readonly body: unknown;
  /** Why the documented schema refused it, if it did. */
  readonly refused?: string;
}

/**
 * An incoming webhook on this machine: `/slack`, `/teams` and `/json` check the body against the
 * documented shape and answer as the service would (Slack: 200 `ok` or 400 `invalid_blocks`; Teams:
 * 202 or 400); `/reject` always answers 400 `invalid_payload`.
 */
export async function startWebhookServer(): Promise<{
  readonly url: (path: string) => string;
  readonly received: ReceivedPost[];
  readonly close: () => Promise<void>;
}> {
  const received: ReceivedPost[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        received.push({
          path,
          contentType: request.headers['content-type'],
          body: undefined,
          refused: 'not JSON',
        });
        response.writeHead(400).end('invalid_payload');
        return;
      }
      if (path === '/reject') {
        received.push({ path, contentType: request.headers['content-type'], body, refused: 'always' });
        response.writeHead(400).end('invalid_payload');
        return;
      }
      const schema = WEBHOOK_SCHEMAS[path.slice(1) as keyof typeof WEBHOOK_SCHEMAS];
      let refused: string | undefined = schema ? undefined : 'no such hook';
      if (schema) {
        const checked = schema.safeParse(body);
        if (!checked.success) refused = z.prettifyError(checked.error);
      }
      received.push({
        path,
        contentType: request.headers['content-type'],
        body,
        ...(refused ? { refused } : {}),
      });
      if (refused) response.writeHead(400).end(path === '/slack' ? 'invalid_blocks' : refused.slice(0, 300));
      else if (path === '/slack') response.writeHead(200).end('ok');
      else response.writeHead(path === '/teams' ? 202 : 204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
