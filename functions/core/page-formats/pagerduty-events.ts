import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import type { PageEffect } from '../effects.ts';
import type { Notice } from '../fleet-messages.ts';
import type { Incident } from '../incident.ts';
import type { PageKind } from '../inputs.ts';
import { headline } from '../page-message.ts';
import type { Runbook } from '../runbook.ts';
import { clipChars, iso, keyTime, links, oneLine } from './helpers.ts';
import type { PageContext } from './next-steps.ts';
import { pageParts } from './page-parts.ts';

/**
 * PagerDuty Events API v2: the alert event a page or a fleet notice becomes, without its
 * `routing_key` (the EventBridge connection adds it to the body, so that the key never leaves
 * Secrets Manager). Pure, so that each event is tested from fixed incidents.
 *
 * Sources (the format is PagerDuty's):
 * - PagerDuty's OpenAPI description of the Events API v2, `reference/events-v2/openapiv3.json` in
 *   https://github.com/PagerDuty/api-schema: POST a JSON object to
 *   https://events.pagerduty.com/v2/enqueue; `routing_key` and `event_action` (`trigger`,
 *   `acknowledge`, `resolve`) required; `dedup_key` identifies the alert to trigger, acknowledge or
 *   resolve; `client`, `client_url` (trigger only); `links` [{href (required), text}]; `images`;
 *   `payload` {summary, severity (`critical`, `error`, `warning`, `info`), source (required), and
 *   timestamp (date-time), component, group, class, custom_details (object)}. 202 accepted, 400 not
 *   retried, 429 and 5xx retried after a while.
 * - PagerDuty developer documentation, "Send an Alert Event"
 *   (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/), as integrations quote it
 *   (InfluxData `pagerduty.sendEvent()`, https://docs.influxdata.com/flux/v0/stdlib/pagerduty/sendevent/;
 *   Kestra's PagerDuty plugin): `dedup_key` at most 255 characters, `summary` at most 1,024, and an
 *   event at most 512 KB. A trigger with the `dedup_key` of an open alert is appended to it; a
 *   resolve needs only `routing_key`, `dedup_key` and `event_action`.
 * - Amazon EventBridge, "ConnectionBodyParameter"
 *   (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_ConnectionBodyParameter.html):
 *   a connection's body parameters are added to the body of each request, "an event payload cannot
 *   exceed 64 KB". That, not PagerDuty's 512 KB, bounds the event here: {@link PAGERDUTY_EVENT_BYTES}.
 *
 * Choices:
 * - `dedup_key` is the incident id: the proposal page, the escalation page that follows an expired
 *   proposal, and the OK all name the same alert, so the OK resolves whatever was paged. A fleet
 *   notice's key (`breaker/<runbook>/<openedAt>`, `dry-run/<runbook>/<since>`) is the episode's.
 * - `severity`: `critical` for an escalation (the alarm is in ALARM and automation stood down: a human
 *   is needed now) and for an open breaker (many instances at once); `warning` for a proposal (nothing
 *   runs and nothing breaks further unless a person approves it; unanswered, it expires into a
 *   `critical` escalation of the same alert) and for a runbook switched to dry-run or paused (its
 *   alarms page one by one, each with its own severity). `info` is not used: every event here asks
 *   a person for something. Services that use severity-based urgency page low urgency for `warning`.
 * - `class` is the reason's kind ({@link reasonClass}), so that PagerDuty's event rules can route by it.
 */

/** PagerDuty's documented limits, and ours. */
export const PAGERDUTY_EVENT_LIMITS = {
  dedupKey: 255,
  summary: 1_024,
  /** PagerDuty: the whole event. */
  eventBytes: 512 * 1024,
} as const;

/**
 * Ours: the event body at most this many bytes, UTF-8, so that with the remediation event's envelope
 * and the connection's `routing_key` it stays under EventBridge's 64 KB for an API destination's
 * event (and far under PutEvents' 256 KB and PagerDuty's 512 KB).
 */
export const PAGERDUTY_EVENT_BYTES = 56_000;

/** Ours: characters of one line of command output in `custom_details`. */
const LINE_CHARS = 500;
/** Ours: characters of any other string in `custom_details`. */
const TEXT_CHARS = 1_000;
/** Ours: characters of a person's name, a responder's detail or reason in `custom_details`. */
const SHORT_CHARS = 300;
/** Ours: the latest responder actions listed in `custom_details`. */
const RESPONDERS = 10;

/** The name PagerDuty shows as the event's client. */
export const PAGERDUTY_CLIENT = 'EC2 auto-remediation';

export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';

export interface PagerDutyLink {
  readonly href: string;
  readonly text: string;
}

/** The trigger payload (a resolve carries none). */
export interface PagerDutyPayload {
  readonly summary: string;
  readonly source: string;
  readonly severity: PagerDutySeverity;
  readonly timestamp?: string;
  readonly component?: string;
  readonly group?: string;
  readonly class?: string;
  readonly custom_details?: Readonly<Record<string, unknown>>;
}

/** An Events API v2 alert event without `routing_key`. */
export interface PagerDutyEvent {
  readonly event_action: 'trigger' | 'resolve';
  readonly dedup_key: string;
  readonly payload?: PagerDutyPayload;
  readonly client?: string;
  readonly client_url?: string;
  readonly links?: readonly PagerDutyLink[];
}

/** The remediation event's detail-type that carries a page to PagerDuty. */
export const PAGE_DETAIL_TYPE = 'Remediation Page';

/** The detail of a {@link PAGE_DETAIL_TYPE} event: what it is about, and the PagerDuty body. */
export interface RemediationPageDetail {
  readonly incidentId?: string;
  readonly noticeKey?: string;
  readonly runbook: string;
  /** The page kind (`proposal`, `escalation`, `resolution`) or the notice kind. */
  readonly page: string;
  readonly alarmArn?: string;
  readonly pagerDuty: PagerDutyEvent;
}

/** `dedup_key`: the key itself when short enough, else its head and a hash of the whole. */
export function dedupKey(key: string): string {
  if (key.length <= PAGERDUTY_EVENT_LIMITS.dedupKey) return key;
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return `${key.slice(0, PAGERDUTY_EVENT_LIMITS.dedupKey - hash.length - 1)}#${hash}`;
}

/** The page as a PagerDuty Events API v2 event (without `routing_key`). */
export function pagerDutyEvent(
  effect: PageEffect,
  runbook: Runbook | undefined,
  pageContext: PageContext = {},
): PagerDutyEvent {
  const { incident } = effect;
  const dedup_key = dedupKey(incident.id);
  if (effect.page === 'resolution') return { event_action: 'resolve', dedup_key };
  const l = links(effect);
  const parts = pageParts(effect, runbook, pageContext);
  const linkList: PagerDutyLink[] = [
    ...(l.instance ? [{ href: l.instance, text: `EC2 instance ${incident.instanceId}` }] : []),
    { href: l.alarm, text: clipChars(`CloudWatch alarm ${incident.alarm.name}`, 255) },
    ...(l.diagnosis ? [{ href: l.diagnosis.url, text: 'Diagnose in Run Command' }] : []),
    ...l.commands.map((c) => ({ href: c.url, text: `Attempt #${c.attempt} in Run Command` })),
    ...(runbook?.link && /^https?:\/\//i.test(runbook.link)
      ? [{ href: runbook.link, text: `Runbook ${runbook.name}` }]
      : []),
  ];
  const base = {
    event_action: 'trigger' as const,
    dedup_key,
    client: PAGERDUTY_CLIENT,
    client_url: l.alarm,
    links: linkList,
  };
  const payload = (details: Record<string, unknown>): PagerDutyPayload => ({
    summary: summary(effect.page, incident, runbook),
    source: incident.instanceId ?? incident.alarm.name,
    severity: effect.page === 'proposal' ? 'warning' : 'critical',
    timestamp: new Date(timestampOf(effect.page, incident)).toISOString(),
    component: incident.key.runbook,
    group: incident.alarm.name,
    class: reasonClass(effect.page, incident),
    custom_details: details,
  });
  const story = (tier: DetailTier) => customDetails(effect.page, incident, runbook, parts, tier);
  for (const tier of DETAIL_TIERS) {
    const event: PagerDutyEvent = { ...base, payload: payload(story(tier)) };
    if (bytes(event) <= PAGERDUTY_EVENT_BYTES) return event;
  }
  return {
    ...base,
    payload: payload({
      incident: incident.id,
      page: effect.page,
      headline: clipChars(headline(incident, runbook), TEXT_CHARS),
      note: 'The details of this page were too large for one event: see the links, or `npx remediate incidents show`.',
    }),
  };
}

/** Every notice opens or updates its episode's alert, but a closing one, which resolves it. */
export function pagerDutyNoticeEvent(notice: Notice, at?: number): PagerDutyEvent {
  const dedup_key = dedupKey(notice.key);
  if (closes(notice)) return { event_action: 'resolve', dedup_key };
  const when = at ?? keyTime(notice.key);
  const lines = notice.body.split('\n');
  const details = (cut: number): Record<string, unknown> => ({
    runbook: notice.runbook,
    kind: notice.kind,
    key: notice.key,
    story: lines.slice(0, cut).map((line) => clipChars(line, LINE_CHARS)),
    ...(cut < lines.length ? { cut: `${lines.length - cut} more line(s) not shown` } : {}),
    commands: lines.map((line) => line.trim()).filter((line) => line.startsWith('npx remediate')),
  });
  const event = (cut: number): PagerDutyEvent => ({
    event_action: 'trigger',
    dedup_key,
    client: PAGERDUTY_CLIENT,
    payload: {
      summary: clipChars(oneLine(notice.subject), PAGERDUTY_EVENT_LIMITS.summary),
      source: `ec2-auto-remediation/${notice.runbook}`,
      severity: notice.kind.startsWith('breaker') ? 'critical' : 'warning',
      ...(when === undefined ? {} : { timestamp: new Date(when).toISOString() }),
      component: notice.runbook,
      group: 'fleet',
      class: notice.kind,
      custom_details: details(cut),
    },
  });
  let cut = lines.length;
  while (cut > 0 && bytes(event(cut)) > PAGERDUTY_EVENT_BYTES) cut = Math.floor(cut / 2);
  return event(cut);
}

/** Whether a notice says its episode ended: the breaker closed, or the notice says so. */
function closes(notice: Notice): boolean {
  return notice.kind === 'breaker-closed' || notice.ends === true;
}

/** The remediation event detail for a page. */
export function pageEventDetail(
  effect: PageEffect,
  runbook: Runbook | undefined,
  pageContext: PageContext = {},
): RemediationPageDetail {
  return {
    incidentId: effect.incident.id,
    runbook: effect.incident.key.runbook,
    page: effect.page,
    alarmArn: effect.incident.alarm.arn,
    pagerDuty: pagerDutyEvent(effect, runbook, pageContext),
  };
}

/** The remediation event detail for a fleet notice. */
export function noticeEventDetail(notice: Notice, at?: number): RemediationPageDetail {
  return {
    noticeKey: notice.key,
    runbook: notice.runbook,
    page: notice.kind,
    pagerDuty: pagerDutyNoticeEvent(notice, at),
  };
}

/**
 * The reason's kind, for `class`: `proposal`, `gave-up`, `paused`, `dry-run`, `flapping`,
 * `state-unknown`, `proposal-expired`, `snooze-ended`, `taken`, `runbook-pages`, `no-instance`,
 * `refused-<gate>`, `not-acted`.
 */
export function reasonClass(kind: PageKind, incident: Incident): string {
  if (kind === 'proposal') return 'proposal';
  if (kind === 'resolution') return 'resolved';
  const reason = incident.escalation?.reason ?? '';
  if (incident.escalation?.takenBy) return 'taken';
  if (reason.startsWith('proposal expired')) return 'proposal-expired';
  if (reason.startsWith('snooze ended')) return 'snooze-ended';
  if (reason.startsWith('state unknown')) return 'state-unknown';
  const gate = /^refused by the ([a-z-]+) gate/.exec(reason)?.[1];
  if (gate === 'kill-switch') return 'paused';
  if (gate === 'cooldown') return 'flapping';
  if (gate) return `refused-${gate}`;
  if (/is in dry-run mode/.test(reason)) return 'dry-run';
  if (reason.startsWith('the runbook chose to page')) return 'runbook-pages';
  if (!incident.instanceId) return 'no-instance';
  return incident.attempts.some((a) => a.status !== 'not-run') ? 'gave-up' : 'not-acted';
}

function summary(kind: PageKind, incident: Incident, runbook: Runbook | undefined): string {
  const name = incident.instance?.name ? ` (${oneLine(incident.instance.name, 60)})` : '';
  const where = `${incident.instanceId ?? 'no single instance'}${name}`;
  const proposal = incident.proposal;
  const why =
    kind === 'proposal' && proposal
      ? `approve ${proposal.action}${
          Object.keys(proposal.parameters).length > 0
            ? ` (${Object.entries(proposal.parameters)
                .map(([k, v]) => `${k}=${v}`)
                .join(', ')})`
            : ''
        }? Nothing runs unless approved by ${iso(proposal.expiresAt)}`
      : headline(incident, runbook);
  return clipChars(oneLine(`${incident.alarm.name} on ${where}: ${why}`), PAGERDUTY_EVENT_LIMITS.summary);
}

function timestampOf(kind: PageKind, incident: Incident): number {
  if (kind === 'proposal' && incident.proposal) return incident.proposal.proposedAt;
  return incident.escalation?.at ?? incident.updatedAt;
}

/** How much of the story fits: everything, outputs of the last attempts only, no outputs, the last attempts only. */
type DetailTier = 'full' | 'recent-output' | 'no-output' | 'recent-attempts';
const DETAIL_TIERS: readonly DetailTier[] = ['full', 'recent-output', 'no-output', 'recent-attempts'];
/** Ours: attempts whose output is kept at `recent-output`, and attempts listed at `recent-attempts`. */
const RECENT = 3;

function customDetails(
  kind: PageKind,
  incident: Incident,
  runbook: Runbook | undefined,
  parts: ReturnType<typeof pageParts>,
  tier: DetailTier,
): Record<string, unknown> {
  const text = (value: string) => clipChars(value, TEXT_CHARS);
  const short = (value: string) => clipChars(value, SHORT_CHARS);
  const all = parts.attempts;
  const shown = tier === 'recent-attempts' ? all.slice(-RECENT) : all;
  const attempts = shown.map((a, index) => {
    const keep =
      tier === 'full' || (tier === 'recent-output' && index >= shown.length - RECENT) ? a.outputs : [];
    return {
      what: text(a.line),
      ...Object.fromEntries(keep.map((o) => [o.label, o.lines.map((line) => clipChars(line, LINE_CHARS))])),
    };
  });
  const proposal = kind === 'proposal' ? incident.proposal : undefined;
  return {
    incident: incident.id,
    page: kind,
    headline: text(headline(incident, runbook)),
    ...Object.fromEntries(
      parts.facts.map((f) => [f.label.toLowerCase().replace(/\s+/g, '_'), text(f.value)]),
    ),
    alarm: {
      name: incident.alarm.name,
      reason: text(incident.alarm.reason),
      account: incident.alarm.account,
      region: incident.alarm.region,
    },
    ...(incident.instanceId
      ? {
          instance: {
            id: incident.instanceId,
            ...(incident.instance?.name ? { name: text(incident.instance.name) } : {}),
            ...(incident.instance?.zone ? { zone: incident.instance.zone } : {}),
          },
        }
      : {}),
    runbook: {
      name: incident.key.runbook,
      ...(runbook ? { owner: text(runbook.owner), mode: runbook.mode } : {}),
      ...(runbook?.link ? { link: text(runbook.link) } : {}),
    },
    ...(incident.parameters ? { parameters: incident.parameters } : {}),
    attempts,
    ...(shown.length < all.length ? { attempts_not_shown: all.length - shown.length } : {}),
    refusals: (incident.refusals ?? [])
      .slice(-RESPONDERS)
      .map((r) => ({ gate: r.gate, at: iso(r.at), reason: short(r.reason) })),
    ...(proposal
      ? {
          proposal: {
            id: proposal.id,
            action: proposal.action,
            parameters: proposal.parameters,
            instance: proposal.instanceId,
            expires: iso(proposal.expiresAt),
          },
        }
      : {}),
    responders: (incident.responders ?? []).slice(-RESPONDERS).map((r) => ({
      at: iso(r.at),
      by: short(r.by),
      verb: r.verb,
      ...(r.detail ? { detail: short(r.detail) } : {}),
      outcome: r.outcome,
      ...(r.reason ? { reason: short(r.reason) } : {}),
    })),
    next_steps: parts.steps.map((s) => (s.command ? `${text(s.text)}: ${text(s.command)}` : text(s.text))),
  };
}

function bytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}
