import { Buffer } from 'node:buffer';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PageEffect } from '../../functions/core/effects.ts';
import type { BreakerRecord } from '../../functions/core/fleet.ts';
import {
  breakerClosedNotice,
  breakerOpenedNotice,
  dryRunNotice,
  type Notice,
} from '../../functions/core/fleet-messages.ts';
import type { Incident } from '../../functions/core/incident.ts';
import { pageParts } from '../../functions/core/page-formats/page-parts.ts';
import { defineRunbook, type Runbook } from '../../functions/core/runbook.ts';
import {
  noticeWebhookMessage,
  pageWebhookMessage,
  WEBHOOK_FORMATS,
  type WebhookFormat,
  WebhookPager,
  webhookFormatError,
} from '../../local/gameday/webhook.ts';
import { slackBody, slackEscape, teamsBody } from '../../local/gameday/webhook-bodies.ts';
import { TerminalPager } from '../../local/local-ports.ts';
import { alarmInput, Scenario, T0, testRunbook } from '../support/fixtures.ts';
import {
  recordedPageBody,
  slackIncomingWebhook,
  startWebhookServer,
  teamsWebhookMessage,
} from '../support/webhook-schemas.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

const runbook: Runbook = defineRunbook({
  ...testRunbook,
  mode: 'approve',
  diagnose: 'diagnose.sh',
  parameters: { service: { description: 'The unit.', allowedPattern: '^[a-z]{1,20}$', default: 'app' } },
  notes: 'Check <service> with journalctl -u <service>. Then look at what changed on <instance>.',
  link: 'https://wiki.example.com/runbooks/disk-full',
  breaker: { maxInstances: 5, maxPercent: 50, windowSeconds: 600, quietSeconds: 1800 },
});

/** Every page kind of one incident: the proposal, approved and failing three times, then its OK. */
function incidentPages(stdout: string, stderr: string): PageEffect[] {
  const s = new Scenario(defineRunbook({ ...runbook, diagnose: undefined }));
  s.apply(alarmInput('ALARM', T0));
  s.after(1).apply({ kind: 'page-sent', page: 'proposal', messageId: 'm-1' });
  s.fireTimer();
  s.after(1).apply({ kind: 'page-sent', page: 'escalation', messageId: 'm-2' });
  const expired = s.incident as Incident;
  // The escalation page carries attempts: the ones a person started by retrying.
  const withAttempts: Incident = {
    ...expired,
    attempts: [1, 2, 3].map((n) => ({
      number: n,
      by: 'arn:aws:iam::123456789012:user/ana',
      action: 'remediate',
      requestedAt: T0 + n * 60_000,
      status: 'failed' as const,
      commandId: `cmd-${n}`,
      result: { status: 'Failed', responseCode: 1, stdout, stderr },
    })),
  };
  s.after(60).apply(alarmInput('OK', s.now));
  const [proposal, escalation, resolution] = s.effectsOf('page');
  return [
    proposal as PageEffect,
    { ...(escalation as PageEffect), incident: withAttempts },
    resolution as PageEffect,
  ];
}

const record: BreakerRecord = {
  state: 'open',
  openedAt: T0,
  reason: '6 instances alarmed within 10 min (more than 5)',
  instances: Array.from({ length: 6 }, (_, i) => `i-${String(i).padStart(17, '0')}`),
  lastAlarmAt: T0,
  page: { status: 'due' },
};

function notices(): Notice[] {
  return [
    breakerOpenedNotice(runbook, record, []),
    breakerClosedNotice(runbook, { ...record, state: 'closed', closedBy: 'alice' }, { stillInAlarm: [] }),
    dryRunNotice(runbook, {
      mode: 'dry-run',
      reason: '0 of its last 10 runs verified',
      by: 'auto-disable',
      since: T0,
    }),
  ];
}

const OUTPUT = [
  ...Array.from({ length: 30 }, (_, i) => `03:00:${String(i).padStart(2, '0')} heartbeat ok & well <fine>`),
  'FATAL: invalid listen address ":x"',
].join('\n');

/** A pager on a webhook server path, in one format, with the terminal kept quiet. */
function pagerFor(url: string, format: WebhookFormat): { pager: WebhookPager; terminal: TerminalPager } {
  const terminal = new TerminalPager({ clock: { now: () => T0 }, print: () => {} });
  const pager = new WebhookPager(terminal, {
    url,
    format,
    context: (r) => ({
      tableName: 'incidents',
      ...(r ? { documentName: `Remediation-GameDay-${r.name}` } : {}),
    }),
  });
  return { pager, terminal };
}

let server: Awaited<ReturnType<typeof startWebhookServer>>;
beforeAll(async () => {
  server = await startWebhookServer();
});
afterAll(async () => {
  await server.close();
});

describe('the game day webhook formats', () => {
  it.each(WEBHOOK_FORMATS)(
    'posts every page and fleet notice as %s, each body of the shape the service documents',
    async (format) => {
      const { pager, terminal } = pagerFor(server.url(`/${format}`), format);
      const before = server.received.length;

      for (const effect of incidentPages(OUTPUT, 'rm: busy')) await pager.page(effect, runbook);
      for (const notice of notices()) await pager.notify(notice);

      const posts = server.received.slice(before);
      expect(pager.failures).toEqual([]);
      expect(posts).toHaveLength(6);
      for (const post of posts) {
        expect(post.refused, JSON.stringify(post.body).slice(0, 300)).toBeUndefined();
        expect(post.contentType).toBe('application/json; charset=utf-8');
      }
      if (format === 'json') expect(posts.map((p) => p.body)).toEqual(terminal.pages);
    },
  );

  it('keeps the json format the shape pages.jsonl records', async () => {
    const { pager, terminal } = pagerFor(server.url('/json'), 'json');
    const before = server.received.length;

    await pager.page(incidentPages('', '')[1] as PageEffect, runbook);

    const [post] = server.received.slice(before);
    expect(recordedPageBody.parse(post?.body)).toEqual(terminal.pages[0]);
    expect(terminal.pages[0]?.subject).toMatch(/^ALARM: disk-full-web-1 on /);
  });

  it('gives Slack a fallback text, the page in mrkdwn sections, the commands and the links', () => {
    const escalation = incidentPages(OUTPUT, 'rm: busy')[1] as PageEffect;

    const body = slackBody(
      pageWebhookMessage(pageParts(escalation, runbook, { tableName: 'incidents', documentName: 'Doc' })),
    );
    const all = body.blocks.map((b) => (b.type === 'section' ? b.text.text : '---')).join('\n');

    expect(slackIncomingWebhook.parse(body)).toEqual(body);
    expect(body.text).toMatch(/^ALARM: disk-full-web-1 on i-0123456789abcdef0 - /);
    expect(body.blocks[0]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: expect.stringMatching(/^:rotating_light: \*ALARM: disk-full-web-1 /) },
    });
    expect(all).toContain('*Why paged:* proposal expired');
    expect(all).toContain(
      '```\n03:00:29 heartbeat ok &amp; well &lt;fine&gt; (x30 alike)\nFATAL: invalid listen address ":x"\n```',
    );
    expect(all).toContain('*Next steps*\n• Check app with journalctl -u app.');
    expect(all).toMatch(/• Retry now, through the gates: `npx remediate retry \S+ --table incidents`/);
    expect(all).toContain('• <https://wiki.example.com/runbooks/disk-full|Runbook disk-full>');
  });

  it('gives Teams an Adaptive Card 1.4 message: title, facts, output, steps and link buttons', () => {
    const escalation = incidentPages(OUTPUT, 'rm: busy')[1] as PageEffect;

    const body = teamsBody(pageWebhookMessage(pageParts(escalation, runbook, { tableName: 'incidents' })));
    const card = body.attachments[0]?.content;

    expect(teamsWebhookMessage.parse(body)).toEqual(body);
    expect(card?.version).toBe('1.4');
    expect(card?.body[0]).toMatchObject({ type: 'TextBlock', weight: 'Bolder', color: 'Attention' });
    expect(card?.body[1]).toMatchObject({
      type: 'FactSet',
      facts: expect.arrayContaining([
        { title: 'Why paged', value: expect.stringMatching(/^proposal expired/) },
      ]),
    });
    expect(card?.body).toContainEqual(
      expect.objectContaining({ text: 'FATAL: invalid listen address ":x"', fontType: 'Monospace' }),
    );
    expect(card?.body).toContainEqual(
      expect.objectContaining({
        text: expect.stringMatching(/^npx remediate retry \S+ --table incidents$/),
        fontType: 'Monospace',
      }),
    );
    expect(card?.actions.map((a) => a.title)).toEqual([
      'Alarm',
      'Instance',
      'Attempt #1 in Run Command',
      'Attempt #2 in Run Command',
      'Attempt #3 in Run Command',
    ]);
  });

  it('escapes what Slack reads as markup, and keeps Teams text from linking or mentioning', () => {
    expect(slackEscape('a & <b> <!here> &amp;')).toBe('a &amp; &lt;b&gt; &lt;!here&gt; &amp;amp;');
    const hostile =
      '<!channel> @here <https://evil.example|click> [click](https://evil.example) <at>ana</at>';
    const escalation = incidentPages(hostile, hostile)[1] as PageEffect;
    const tagged: PageEffect = {
      ...escalation,
      incident: { ...escalation.incident, instance: { name: hostile } },
    };
    const message = pageWebhookMessage(pageParts(tagged, runbook));

    const slack = JSON.stringify(slackBody(message));
    const teams = JSON.stringify(teamsBody(message));

    expect(slackIncomingWebhook.safeParse(JSON.parse(slack)).success).toBe(true);
    expect(slack).not.toContain('<!channel>');
    expect(slack).not.toContain('<https://evil.example');
    expect(slack).toContain('&lt;!channel&gt;');
    expect(teams).not.toMatch(/<!channel>|<at>|\]\(https/);
    expect(teams).toContain('‹at›ana‹/at›');
  });

  it('stays within every documented limit with huge, hostile pages and notices', () => {
    const flood = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${'€<&>'.repeat(100)}`).join('\n');
    const [proposal, escalation, resolution] = incidentPages(flood, flood);
    const hostileAlarm = (effect: PageEffect): PageEffect => ({
      ...effect,
      incident: {
        ...effect.incident,
        alarm: { ...effect.incident.alarm, name: `${'<'.repeat(255)}`, reason: '&'.repeat(100_000) },
        instance: { name: '€'.repeat(10_000), zone: '>'.repeat(10_000) },
      },
    });
    const longNotice: Notice = {
      kind: 'breaker-opened',
      runbook: 'disk-full',
      key: 'breaker/disk-full/x',
      subject: 'ALARM: disk-full breaker open',
      body: Array.from({ length: 5_000 }, (_, i) => `  i-${i} ${'x'.repeat(200)}`).join('\n'),
    };
    const messages = [
      ...[proposal, escalation, resolution].map((e) =>
        pageWebhookMessage(pageParts(hostileAlarm(e as PageEffect), runbook, { tableName: 't'.repeat(255) })),
      ),
      noticeWebhookMessage(longNotice),
    ];

    for (const message of messages) {
      const slack = slackBody(message);
      const teams = teamsBody(message);

      expect(slackIncomingWebhook.safeParse(slack).success).toBe(true);
      // Documented: text at most 40,000, at most 50 blocks (the schema checks each section's 3,000).
      expect(slack.text.length).toBeLessThanOrEqual(40_000);
      expect(slack.blocks.length).toBeLessThanOrEqual(50);
      const blocksText = slack.blocks.reduce(
        (n, b) => n + (b.type === 'section' ? b.text.text.length : 0),
        0,
      );
      // Ours: below the ~13,200 characters of blocks Slack was seen to refuse.
      expect(blocksText).toBeLessThanOrEqual(12_000);
      expect(teamsWebhookMessage.safeParse(teams).success).toBe(true);
      // Ours: 20,000 bytes, well under the documented 28 KB (the schema checks that).
      expect(Buffer.byteLength(JSON.stringify(teams))).toBeLessThanOrEqual(20_000);
      // What is cut is the end of long sections, never the title and the facts.
      const card = teams.attachments[0]?.content;
      expect(card?.body[0]).toMatchObject({ type: 'TextBlock', weight: 'Bolder' });
      expect(card?.body[1]).toMatchObject({ type: 'FactSet' });
      expect(slack.blocks[0]).toMatchObject({ type: 'section' });
    }
    const notice = teamsBody(noticeWebhookMessage(longNotice)).attachments[0]?.content.body ?? [];
    expect(notice).toContainEqual(expect.objectContaining({ text: `  i-0 ${'x'.repeat(200)}` }));
    expect(notice.at(-1)).toMatchObject({
      text: expect.stringMatching(/^\[\d+ more lines cut to fit Teams\]$/),
    });
  });

  it("lists every note in Slack and Teams, where the chat's list size does not bind", () => {
    const notes = Array.from({ length: 30 }, (_, i) => `Step ${i} checks a thing ${'x'.repeat(150)}.`).join(
      ' ',
    );
    const escalation = incidentPages('', '')[1] as PageEffect;

    const message = pageWebhookMessage(pageParts(escalation, defineRunbook({ ...runbook, notes })));

    const texts = message.steps.map((s) => s.text);
    expect(texts.filter((t) => t.startsWith('Step '))).toHaveLength(30);
    expect(texts.join(' ')).not.toContain('More of the runbook');
    expect(slackIncomingWebhook.safeParse(slackBody(message)).success).toBe(true);
  });

  it('records a delivery the service refused, with its status and what it said', async () => {
    const { pager } = pagerFor(server.url('/reject'), 'slack');

    const id = await pager.page(incidentPages('', '')[0] as PageEffect, runbook);

    expect(pager.failures).toEqual([`${id}: HTTP 400 invalid_payload`]);
  });

  it('refuses an unknown format, naming the nearest and every valid one', async () => {
    expect(webhookFormatError('slack')).toBeUndefined();
    expect(webhookFormatError('xml')).toBe('--webhook-format: "xml" is not a format (json | slack | teams)');

    const remediate = (...args: string[]) =>
      promisify(execFile)('bin/remediate.ts', args, { cwd: root, timeout: 60_000 }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
      );
    const [typo, alone, flag] = await Promise.all([
      remediate('gameday', '--webhook', server.url('/slack'), '--webhook-format', 'slak'),
      remediate('gameday', '--webhook-format', 'teams'),
      remediate('gameday', '--webhook-formt', 'teams'),
    ]);

    expect(typo).toEqual({
      code: 2,
      stderr: expect.stringContaining(
        '--webhook-format: "slak" is not a format; did you mean slack? (json | slack | teams)',
      ),
    });
    expect(alone).toEqual({
      code: 2,
      stderr: expect.stringContaining('--webhook-format: give the --webhook URL to post to'),
    });
    expect(flag).toEqual({
      code: 2,
      stderr: expect.stringContaining('unknown option --webhook-formt; did you mean --webhook-format?'),
    });
  }, 120_000);
});
