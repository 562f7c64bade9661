import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import type { PageEffect } from '../../functions/core/effects.ts';
import type { BreakerRecord } from '../../functions/core/fleet.ts';
import {
  breakerClosedNotice,
  breakerGrewNotice,
  breakerOpenedNotice,
  dryRunNotice,
  type Notice,
} from '../../functions/core/fleet-messages.ts';
import type { Incident } from '../../functions/core/incident.ts';
import {
  dedupKey,
  noticeEventDetail,
  PAGERDUTY_EVENT_BYTES,
  PAGERDUTY_EVENT_LIMITS,
  type PagerDutyEvent,
  pageEventDetail,
  pagerDutyEvent,
  pagerDutyNoticeEvent,
} from '../../functions/core/page-formats.ts';
import { defineRunbook, type Runbook } from '../../functions/core/runbook.ts';
import { alarmInput, INSTANCE, Scenario, T0, testRunbook } from '../support/fixtures.ts';
import { asSent, pagerDutyEventSchema } from '../support/pagerduty-events-schema.ts';

const INCIDENT_ID = '3fbfb987fa04491e.i-0123456789abcdef0.20261121T030000000Z';
const CONSOLE = 'https://us-east-1.console.aws.amazon.com';

/** Valid against PagerDuty's documented request once the connection adds the routing key. */
function expectValid(event: PagerDutyEvent): void {
  const result = pagerDutyEventSchema.safeParse(asSent(event));
  expect(result.error?.issues ?? []).toEqual([]);
  expect(Buffer.byteLength(JSON.stringify(event))).toBeLessThanOrEqual(PAGERDUTY_EVENT_BYTES);
}

/** The event's custom details (an empty object when it has none), read as `T`. */
function detailsOf<T>(event: PagerDutyEvent | undefined): T {
  return (event?.payload?.custom_details ?? {}) as T;
}

/** Attempts that all failed with the given output, escalated after the last. */
function failing(stdout: string, stderr: string, runbook: Runbook = testRunbook): Scenario {
  const s = new Scenario(runbook);
  s.apply(alarmInput('ALARM', T0));
  for (let n = 1; n <= runbook.maxAttempts; n++) {
    s.apply({ kind: 'command-sent', attempt: n, commandId: `cmd-${n}` });
    s.after(10).apply({
      kind: 'command-finished',
      commandId: `cmd-${n}`,
      result: { status: 'Failed', responseCode: 1, stdout, stderr },
    });
    if (n < runbook.maxAttempts) s.fireTimer();
  }
  return s;
}

const approving = defineRunbook({
  ...testRunbook,
  mode: 'approve',
  link: 'https://wiki.example.com/runbooks/disk-full',
  parameters: { service: { description: 'The unit.', allowedPattern: '^[a-z]{1,20}$', default: 'app' } },
});

const breakerRunbook = defineRunbook({
  ...testRunbook,
  breaker: { maxInstances: 5, maxPercent: 50, windowSeconds: 600, quietSeconds: 1800 },
});
const breakerRecord: BreakerRecord = {
  state: 'open',
  openedAt: T0,
  reason: '6 instances alarmed within 10 min (more than 5)',
  instances: Array.from({ length: 6 }, (_, i) => `i-${String(i).padStart(17, '0')}`),
  lastAlarmAt: T0,
  page: { status: 'due' },
};

describe('PagerDuty Events v2: pages', () => {
  it('triggers a critical alert keyed by the incident for an escalation, with the story and the console links', () => {
    const s = failing('starting app\nFATAL: invalid listen address', 'exit 1');
    const effect: PageEffect = { kind: 'page', page: 'escalation', incident: s.incident as Incident };

    const event = pagerDutyEvent(effect, testRunbook);

    expectValid(event);
    expect(event.event_action).toBe('trigger');
    expect(event.dedup_key).toBe(INCIDENT_ID);
    expect(event).not.toHaveProperty('routing_key');
    const payload = event.payload;
    expect(payload?.severity).toBe('critical');
    expect(payload?.source).toBe(INSTANCE);
    expect(payload?.component).toBe(testRunbook.name);
    expect(payload?.group).toBe('disk-full-web-1');
    expect(payload?.class).toBe('gave-up');
    expect(payload?.summary).toMatch(
      new RegExp(`^disk-full-web-1 on ${INSTANCE}: Automation tried 3 times and could not fix`),
    );
    expect(payload?.timestamp).toBe(new Date((s.incident as Incident).escalation?.at ?? 0).toISOString());
    const details = payload?.custom_details as Record<string, unknown>;
    expect(details.incident).toBe(INCIDENT_ID);
    expect(details.why_paged).toMatch(/./);
    const attempts = details.attempts as { what: string; stdout?: string[] }[];
    expect(attempts).toHaveLength(3);
    expect(attempts[2]?.what).toMatch(/^#3 .*Failed.*exit 1.*command cmd-3/);
    expect(attempts[2]?.stdout).toContain('FATAL: invalid listen address');
    expect(event.links?.map((l) => l.text)).toEqual([
      `EC2 instance ${INSTANCE}`,
      'CloudWatch alarm disk-full-web-1',
      'Attempt #1 in Run Command',
      'Attempt #2 in Run Command',
      'Attempt #3 in Run Command',
    ]);
    expect(event.links?.[0]?.href).toBe(
      `${CONSOLE}/ec2/home?region=us-east-1#InstanceDetails:instanceId=${INSTANCE}`,
    );
    expect(event.links?.[4]?.href).toBe(
      `${CONSOLE}/systems-manager/run-command/cmd-3/${INSTANCE}?region=us-east-1`,
    );
    expect(event.client_url).toBe(
      `${CONSOLE}/cloudwatch/home?region=us-east-1#alarmsV2:alarm/disk-full-web-1`,
    );
  });

  it('triggers a warning for a proposal, escalates the same alert when it expires, and resolves it on OK', () => {
    const s = new Scenario(approving);
    s.apply(alarmInput('ALARM', T0));
    s.after(1).apply({ kind: 'page-sent', page: 'proposal', messageId: 'm-1' });
    s.fireTimer();
    s.after(60).apply({ kind: 'page-sent', page: 'escalation', messageId: 'm-2' });
    s.after(60).apply(alarmInput('OK', s.now));
    const events = s.effectsOf('page').map((effect) => pagerDutyEvent(effect, approving));

    for (const event of events) expectValid(event);
    expect(events.map((e) => [e.event_action, e.payload?.severity, e.payload?.class])).toEqual([
      ['trigger', 'warning', 'proposal'],
      ['trigger', 'critical', 'proposal-expired'],
      ['resolve', undefined, undefined],
    ]);
    expect(new Set(events.map((e) => e.dedup_key))).toEqual(new Set([INCIDENT_ID]));
    const proposal = events[0]?.payload;
    expect(proposal?.summary).toMatch(/approve remediate \(service=app\)\? Nothing runs unless approved by /);
    expect(detailsOf<{ proposal?: { id: string } }>(events[0]).proposal?.id).toBe(`${INCIDENT_ID}/p1`);
    expect(events[0]?.links?.at(-1)).toEqual({
      href: 'https://wiki.example.com/runbooks/disk-full',
      text: `Runbook ${approving.name}`,
    });
    expect(events[1]?.payload?.custom_details).not.toHaveProperty('proposal');
    expect(events[2]).toEqual({ event_action: 'resolve', dedup_key: INCIDENT_ID });
  });

  it('names the pause as the reason when the kill switch refused, with no Run Command links', () => {
    const s = new Scenario();
    s.safety = { paused: { scope: 'all runbooks', reason: 'failover', by: 'alice', since: T0 - 60_000 } };
    s.apply(alarmInput('ALARM', T0));
    const event = pagerDutyEvent(
      { kind: 'page', page: 'escalation', incident: s.incident as Incident },
      testRunbook,
    );

    expectValid(event);
    expect(event.payload?.class).toBe('paused');
    expect(event.payload?.summary).toContain('Automation is paused');
    expect(event.links?.map((l) => l.text)).toEqual([
      `EC2 instance ${INSTANCE}`,
      'CloudWatch alarm disk-full-web-1',
    ]);
    expect(detailsOf<{ refusals: { gate: string }[] }>(event).refusals[0]?.gate).toBe('kill-switch');
  });

  it('keeps every field within its limit and the event within its byte budget with huge outputs and names', () => {
    const runbook = defineRunbook({
      ...testRunbook,
      maxAttempts: 10,
      // Ten attempts fit the largest budget of time to a human (an hour) only with short waits.
      verifyWindowSeconds: 60,
      executionTimeoutSeconds: 30,
      backoff: { baseSeconds: 10, capSeconds: 60 },
    });
    const huge = Array.from({ length: 50_000 }, (_, i) => `line ${i} ${'€'.repeat(95)}`).join('\n');
    const wide = `FATAL ${'€'.repeat(200_000)}`;
    const incident = failing(huge, wide, runbook).incident as Incident;
    const raw: Incident = {
      ...incident,
      id: `${'i'.repeat(400)}`,
      alarm: { ...incident.alarm, name: 'x'.repeat(255), reason: '€'.repeat(200_000) },
      instance: { name: 'n'.repeat(5_000), zone: 'z'.repeat(5_000) },
      attempts: incident.attempts.map((a) => ({
        ...a,
        result: { status: 'Failed', responseCode: 1, stdout: huge, stderr: wide },
      })),
      responders: Array.from({ length: 200 }, (_, i) => ({
        at: T0,
        by: 'b'.repeat(5_000),
        verb: 'retry' as const,
        request: `r-${i}`,
        outcome: 'refused' as const,
        reason: '€'.repeat(5_000),
      })),
    };

    const event = pagerDutyEvent({ kind: 'page', page: 'escalation', incident: raw }, runbook);

    expectValid(event);
    expect(event.dedup_key.length).toBeLessThanOrEqual(PAGERDUTY_EVENT_LIMITS.dedupKey);
    expect(event.dedup_key).toBe(dedupKey(raw.id));
    expect(dedupKey(`${raw.id}x`)).not.toBe(event.dedup_key);
    expect(event.payload?.summary.length).toBeLessThanOrEqual(PAGERDUTY_EVENT_LIMITS.summary);
    expect(event.payload?.summary).not.toMatch(/[\n\r\t]/);
    expect(event.links?.map((l) => l.text)).toContain('Attempt #10 in Run Command');
    const details = event.payload?.custom_details as { attempts: { what: string }[] };
    expect(details.attempts.at(-1)?.what).toMatch(/^#10 /);
    expect(pagerDutyEvent({ kind: 'page', page: 'resolution', incident: raw }, runbook).dedup_key).toBe(
      event.dedup_key,
    );
  });

  it('keeps the outputs that fit: all of them for a small incident, the latest for a large one', () => {
    const big = ['a', 'b', 'c', 'd', 'e'].map((c) => `${c.repeat(10)} ${'y'.repeat(489)}`).join('\n');
    const runbook = defineRunbook({
      ...testRunbook,
      maxAttempts: 10,
      // Ten attempts fit the largest budget of time to a human (an hour) only with short waits.
      verifyWindowSeconds: 60,
      executionTimeoutSeconds: 30,
      backoff: { baseSeconds: 10, capSeconds: 60 },
    });
    const incident = failing(big, big, runbook).incident as Incident;
    const many: Incident = {
      ...incident,
      attempts: Array.from({ length: 40 }, (_, i) => ({
        ...(incident.attempts[0] as Incident['attempts'][number]),
        number: i + 1,
        commandId: `cmd-${i + 1}`,
      })),
    };
    const small = pagerDutyEvent({ kind: 'page', page: 'escalation', incident }, runbook);
    const large = pagerDutyEvent({ kind: 'page', page: 'escalation', incident: many }, runbook);

    expectValid(small);
    expectValid(large);
    const smallAttempts = detailsOf<{ attempts: { stdout?: string[] }[] }>(small).attempts;
    expect(smallAttempts.every((a) => a.stdout?.length === 5)).toBe(true);
    const largeAttempts = detailsOf<{ attempts: { stdout?: string[] }[] }>(large).attempts;
    expect(largeAttempts).toHaveLength(40);
    expect(largeAttempts.at(-1)?.stdout).toHaveLength(5);
    expect(largeAttempts[0]?.stdout).toBeUndefined();
  });

  it('carries the event on the bus with the incident, the runbook and the alarm', () => {
    const s = failing('out', 'err');
    const detail = pageEventDetail(
      { kind: 'page', page: 'escalation', incident: s.incident as Incident },
      testRunbook,
    );

    expect(detail).toMatchObject({
      incidentId: INCIDENT_ID,
      runbook: testRunbook.name,
      page: 'escalation',
      alarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:disk-full-web-1',
    });
    expectValid(detail.pagerDuty);
  });
});

describe('PagerDuty Events v2: fleet notices', () => {
  const opened = breakerOpenedNotice(breakerRunbook, breakerRecord, []);
  const grew = breakerGrewNotice(breakerRunbook, breakerRecord, ['i-0123456789abcdef9']);
  const closed = breakerClosedNotice(breakerRunbook, {
    ...breakerRecord,
    state: 'closed',
    closedAt: T0 + 3_600_000,
    closedBy: 'bob',
  });
  const dryRun = dryRunNotice(testRunbook, {
    mode: 'dry-run',
    by: 'auto-disable',
    reason: '1 of 5 fixes verified',
    since: T0,
  });

  it('opens, updates and resolves one alert per breaker episode', () => {
    const events = [opened, grew, closed].map((n) => pagerDutyNoticeEvent(n));

    for (const event of events) expectValid(event);
    expect(events.map((e) => e.event_action)).toEqual(['trigger', 'trigger', 'resolve']);
    expect(new Set(events.map((e) => e.dedup_key))).toEqual(
      new Set([`breaker/${breakerRunbook.name}/2026-11-21T03:00:00.000Z`]),
    );
    expect(events[0]?.payload).toMatchObject({
      severity: 'critical',
      class: 'breaker-opened',
      component: breakerRunbook.name,
      source: `ec2-auto-remediation/${breakerRunbook.name}`,
      timestamp: '2026-11-21T03:00:00.000Z',
    });
    expect(events[0]?.payload?.summary).toBe(opened.subject);
    const details = events[0]?.payload?.custom_details as { commands: string[]; story: string[] };
    expect(details.commands[0]).toMatch(/^npx remediate breaker close --runbook /);
    expect(details.story).toContain('  i-00000000000000005');
  });

  it('triggers a warning for a runbook switched to dry-run, and resolves it with the notice that ends it', () => {
    const event = pagerDutyNoticeEvent(dryRun);
    const ended: Notice = { ...dryRun, subject: 'OK: enforced again', body: 'Enforced.', ends: true };

    expectValid(event);
    expect(event).toMatchObject({ event_action: 'trigger', dedup_key: dryRun.key });
    expect(event.payload?.severity).toBe('warning');
    expect(pagerDutyNoticeEvent(ended)).toEqual({ event_action: 'resolve', dedup_key: dryRun.key });
    expect(noticeEventDetail(ended)).toMatchObject({ noticeKey: dryRun.key, runbook: testRunbook.name });
  });

  it('cuts a huge notice body to the budget and says so', () => {
    const huge: Notice = {
      ...opened,
      body: Array.from({ length: 20_000 }, (_, i) => `  i-${i} ${'€'.repeat(20)}`).join('\n'),
    };
    const event = pagerDutyNoticeEvent(huge, T0);

    expectValid(event);
    expect(detailsOf<{ cut?: string }>(event).cut).toMatch(/more line\(s\) not shown$/);
  });
});

describe('the schema of the documented request', () => {
  it('refuses what PagerDuty refuses', () => {
    const good = pagerDutyNoticeEvent(breakerOpenedNotice(breakerRunbook, breakerRecord, []));
    const payload = good.payload as NonNullable<PagerDutyEvent['payload']>;
    const bad = [
      { ...good, payload: { ...payload, severity: 'fatal' } },
      { ...good, payload: { ...payload, summary: 's'.repeat(1_025) } },
      { ...good, dedup_key: 'k'.repeat(256) },
      { ...good, payload: undefined },
      { ...good, links: [{ text: 'no href' }] },
      { ...good, payload: { ...payload, timestamp: 'yesterday' } },
      { event_action: 'resolve' },
      { ...good, routing: 'misspelt' },
    ];

    expect(pagerDutyEventSchema.safeParse(asSent(good)).success).toBe(true);
    for (const event of bad) expect(pagerDutyEventSchema.safeParse(asSent(event)).success).toBe(false);
    expect(pagerDutyEventSchema.safeParse(good).success).toBe(false);
  });
});
