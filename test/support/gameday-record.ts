import type { GameDayRecord } from '../../local/gameday/record.ts';

/** The fixture's virtual start: every time below is an offset from it. */
export const GAMEDAY_T0 = Date.parse('2026-11-21T03:00:00.000Z');

/** `GAMEDAY_T0` plus minutes and seconds. */
export function at(minutes: number, seconds = 0): number {
  return GAMEDAY_T0 + (minutes * 60 + seconds) * 1000;
}

export const WEB_1 = 'i-0a1b2c3d4e5f60001';
export const WEB_2 = 'i-0a1b2c3d4e5f60002';
export const WEB_3 = 'i-0a1b2c3d4e5f60003';
export const WEB_4 = 'i-0a1b2c3d4e5f60004';

/** The key of the disk-full breaker episode, as `breakerKey` builds it. */
export const BREAKER_KEY = `breaker/disk-full/${new Date(at(12)).toISOString()}`;

/** Incident ids, as `incidentIdFor` builds them. */
export const INCIDENTS = {
  diskFullWeb1: 'disk-full.i-0a1b2c3d4e5f60001.20261121T030200000Z',
  serviceDownWeb2: 'service-down.i-0a1b2c3d4e5f60002.20261121T030400000Z',
  diskFullWeb3: 'disk-full.i-0a1b2c3d4e5f60003.20261121T030600000Z',
  diskFullWeb4: 'disk-full.i-0a1b2c3d4e5f60004.20261121T031200000Z',
  serviceDownWeb1: 'service-down.i-0a1b2c3d4e5f60001.20261121T031400000Z',
  flapWeb1: 'service-down.i-0a1b2c3d4e5f60001.20261121T031600000Z',
} as const;

const instance = (name: string, instanceId: string, availabilityZone: string) => ({
  name,
  instanceId,
  availabilityZone,
  instanceType: 't3.small',
  imageId: 'ami-0123456789abcdef0',
});

/**
 * A fixed game day of 30 virtual minutes on four instances, for the report's tests:
 * - web-1: disk full, fixed by the first attempt (fault to fix 3:00); later its service flaps: fixed
 *   once without a known fault time (1:00 from the alarm), then refused by the `cooldown` gate and
 *   escalated (escalation and resolution pages);
 * - web-2: service down, fixed by the second attempt after the first one's verification failed (8:00);
 * - web-3: disk filled by a live writer: three failed attempts, then an escalation page; a second
 *   alarm (CPU) goes from INSUFFICIENT_DATA to OK;
 * - web-4: disk full while the disk-full breaker is open: suppressed (group pages on the fleet row),
 *   cleared later without remediation.
 * One expectation fails. The MTTR per runbook: disk-full median 3:00 max 3:00 (1 fixed, 1 escalated,
 * 1 suppressed); service-down median 4:30 max 8:00 (2 fixed, 1 escalated).
 */
export const gameDayRecord: GameDayRecord = {
  scenario: {
    name: 'mixed-fleet',
    description:
      'Four web servers: full disks, a stopped service, a live writer, a breaker and a flapping service.',
    speed: 120,
  },
  startedAt: at(0),
  endedAt: at(30),
  wallMs: 15_400,
  instances: [
    instance('web-1', WEB_1, 'us-east-1a'),
    instance('web-2', WEB_2, 'us-east-1b'),
    instance('web-3', WEB_3, 'us-east-1a'),
    instance('web-4', WEB_4, 'us-east-1c'),
  ],
  faults: [
    {
      at: at(1),
      instanceId: WEB_1,
      fault: 'disk-full',
      description: 'Rotated logs fill / to 96%.',
      injected: true,
    },
    {
      at: at(3),
      instanceId: WEB_2,
      fault: 'service-down',
      description: 'nginx is stopped.',
      injected: true,
    },
    {
      at: at(5),
      instanceId: WEB_3,
      fault: 'live-writer',
      description: 'A live writer fills / faster than cleanup frees it.',
      injected: true,
    },
    {
      at: at(11, 30),
      instanceId: WEB_4,
      fault: 'disk-full',
      description: 'Rotated logs fill / to 96%.',
      injected: true,
    },
  ],
  alarmChanges: [
    change(
      at(0, 30),
      'cpu-high-web-3',
      WEB_3,
      'INSUFFICIENT_DATA',
      'OK',
      'Threshold Crossed: 1 datapoint [12.0] < 80',
    ),
    change(
      at(2),
      'disk-full-web-1',
      WEB_1,
      'OK',
      'ALARM',
      'Threshold Crossed: 1 out of the last 1 datapoints [96.4] was greater than the threshold (90).',
    ),
    change(at(4), 'disk-full-web-1', WEB_1, 'ALARM', 'OK', 'Threshold Crossed: [41.0] <= 90 & "recovered"'),
    change(
      at(4),
      'service-down-web-2',
      WEB_2,
      'OK',
      'ALARM',
      'Threshold Crossed: [0.0] < 1 (nginx not running)',
    ),
    change(
      at(6),
      'disk-full-web-3',
      WEB_3,
      'OK',
      'ALARM',
      'Threshold Crossed: 1 out of the last 1 datapoints [96.4] was greater than the threshold (90).',
    ),
    change(at(11), 'service-down-web-2', WEB_2, 'ALARM', 'OK', 'Threshold Crossed: [1.0] >= 1'),
    change(
      at(12),
      'disk-full-web-4',
      WEB_4,
      'OK',
      'ALARM',
      'Threshold Crossed: 1 out of the last 1 datapoints [96.1] was greater than the threshold (90).',
    ),
    change(at(14), 'service-down-web-1', WEB_1, 'OK', 'ALARM', 'Threshold Crossed: [0.0] < 1'),
    change(at(15), 'service-down-web-1', WEB_1, 'ALARM', 'OK', 'Threshold Crossed: [1.0] >= 1'),
    change(at(16), 'service-down-web-1', WEB_1, 'OK', 'ALARM', 'Threshold Crossed: [0.0] < 1'),
    change(at(18), 'service-down-web-1', WEB_1, 'ALARM', 'OK', 'Threshold Crossed: [1.0] >= 1'),
    change(at(22), 'disk-full-web-4', WEB_4, 'ALARM', 'OK', 'Threshold Crossed: [40.2] <= 90'),
  ],
  incidents: [
    {
      id: INCIDENTS.diskFullWeb1,
      runbook: 'disk-full',
      instanceId: WEB_1,
      alarmName: 'disk-full-web-1',
      status: 'resolved',
      openedAt: at(2),
      closedAt: at(4),
      resolution: 'verified',
      attempts: [
        {
          number: 1,
          action: 'remediate',
          requestedAt: at(2, 5),
          status: 'succeeded',
          exitCode: 0,
          finishedAt: at(2, 20),
          verification: 'passed',
        },
      ],
      refusals: [],
      faultAt: at(1),
    },
    {
      id: INCIDENTS.serviceDownWeb2,
      runbook: 'service-down',
      instanceId: WEB_2,
      alarmName: 'service-down-web-2',
      status: 'resolved',
      openedAt: at(4),
      closedAt: at(11),
      resolution: 'verified',
      attempts: [
        {
          number: 1,
          action: 'restart',
          requestedAt: at(4, 5),
          status: 'succeeded',
          exitCode: 0,
          finishedAt: at(4, 30),
          verification: 'failed',
        },
        {
          number: 2,
          action: 'restart',
          requestedAt: at(10),
          status: 'succeeded',
          exitCode: 0,
          finishedAt: at(10, 20),
          verification: 'passed',
        },
      ],
      refusals: [],
      faultAt: at(3),
    },
    {
      id: INCIDENTS.diskFullWeb3,
      runbook: 'disk-full',
      instanceId: WEB_3,
      alarmName: 'disk-full-web-3',
      status: 'escalated',
      openedAt: at(6),
      attempts: [
        {
          number: 1,
          action: 'remediate',
          requestedAt: at(6, 5),
          status: 'failed',
          exitCode: 1,
          finishedAt: at(6, 15),
        },
        {
          number: 2,
          action: 'remediate',
          requestedAt: at(7, 15),
          status: 'failed',
          exitCode: 1,
          finishedAt: at(7, 25),
        },
        {
          number: 3,
          action: 'remediate',
          requestedAt: at(9, 25),
          status: 'failed',
          exitCode: 1,
          finishedAt: at(9, 35),
        },
      ],
      refusals: [],
      escalation: { at: at(9, 35), reason: 'all 3 attempt(s) of runbook disk-full failed; last: exit 1' },
      faultAt: at(5),
    },
    {
      id: INCIDENTS.diskFullWeb4,
      runbook: 'disk-full',
      instanceId: WEB_4,
      alarmName: 'disk-full-web-4',
      status: 'resolved',
      openedAt: at(12),
      closedAt: at(22),
      resolution: 'cleared',
      attempts: [],
      refusals: [
        {
          gate: 'breaker',
          reason:
            "the runbook's fleet breaker has been open since 2026-11-21T03:12:00.000Z (2 instances alarmed within 10 min); one group page covers this instance",
          at: at(12),
        },
      ],
      faultAt: at(11, 30),
    },
    {
      id: INCIDENTS.serviceDownWeb1,
      runbook: 'service-down',
      instanceId: WEB_1,
      alarmName: 'service-down-web-1',
      status: 'resolved',
      openedAt: at(14),
      closedAt: at(15),
      resolution: 'verified',
      attempts: [
        {
          number: 1,
          action: 'restart',
          requestedAt: at(14, 5),
          status: 'succeeded',
          exitCode: 0,
          finishedAt: at(14, 15),
          verification: 'passed',
        },
      ],
      refusals: [],
    },
    {
      id: INCIDENTS.flapWeb1,
      runbook: 'service-down',
      instanceId: WEB_1,
      alarmName: 'service-down-web-1',
      status: 'resolved',
      openedAt: at(16),
      closedAt: at(18),
      resolution: 'cleared',
      attempts: [],
      refusals: [
        {
          gate: 'cooldown',
          reason:
            'runbook service-down fixed this instance 1 min ago; a new alarm within the 30 min cooldown is flapping',
          at: at(16),
        },
      ],
      escalation: { at: at(16), reason: 'cooldown: the service flaps; remediating again would hide it' },
    },
  ],
  pages: [
    {
      at: at(9, 35),
      kind: 'escalation',
      subject: `ALARM: disk-full-web-3 on ${WEB_3} - automation gave up after 3 attempts`,
      about: INCIDENTS.diskFullWeb3,
    },
    {
      at: at(12),
      kind: 'breaker-opened',
      subject: 'BREAKER: disk-full stopped on 2 instances - shared cause suspected',
      about: BREAKER_KEY,
    },
    {
      at: at(16),
      kind: 'escalation',
      subject: `ALARM: service-down-web-1 on ${WEB_1} - not remediated: flapping (cooldown)`,
      about: INCIDENTS.flapWeb1,
    },
    {
      at: at(18),
      kind: 'resolution',
      subject: `OK: service-down-web-1 on ${WEB_1} - alarm cleared after escalation`,
      about: INCIDENTS.flapWeb1,
    },
    {
      at: at(27),
      kind: 'breaker-closed',
      subject: 'BREAKER CLOSED: disk-full runs again after 15 min without a new alarm',
      about: BREAKER_KEY,
    },
  ],
  expectations: [
    {
      description: 'web-1 disk full is fixed by the first attempt',
      held: true,
      detail: 'resolved (verified) after 1 attempt, 0 pages',
    },
    {
      description: 'web-2 service down is fixed automatically within 10 min of the fault',
      held: true,
      detail: 'resolved (verified) 8:00 after the fault, after 2 attempts',
    },
    {
      description: 'web-3 live writer is escalated after 3 attempts, with one page',
      held: true,
      detail: 'escalated after 3 failed attempts, 1 page',
    },
    {
      description: 'every alarm is OK by the end of the game day',
      held: false,
      detail: 'disk-full-web-3 on web-3 is still in ALARM (incident escalated, waiting for a human)',
    },
  ],
  audit: [
    {
      alarmName: 'disk-full-web-3',
      instanceId: WEB_3,
      runbook: 'disk-full',
      incidentId: INCIDENTS.diskFullWeb3,
      status: 'escalated',
      verdict: 'paged',
      detail: 'paged at +12:00: ALARM: disk-full-web-3 on web-3 - automation gave up after 3 attempts',
    },
  ],
  resyncs: 6,
};

function change(
  when: number,
  alarmName: string,
  instanceId: string,
  from: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA',
  to: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA',
  reason: string,
) {
  return { at: when, alarmName, instanceId, from, to, reason };
}

// ---------------------------------------------------------------------------------------------------
// Reading a report back, for the report's tests: a small scanner for the markup `renderReport` writes
// (and Chromium's --dump-dom serializes). Not a general HTML parser: it trusts that attribute values
// are quoted and that text holds no raw `<`, which is what the report guarantees.

/** An element of the scanned document. */
export interface HtmlElement {
  readonly tag: string;
  /** Attribute values, entities decoded. */
  readonly attrs: Readonly<Record<string, string>>;
  /** Offsets of the start tag's `<` and of the end of the end tag. */
  readonly start: number;
  readonly end: number;
  /** The markup between the start and end tags. */
  readonly inner: string;
  /** The class names of every ancestor, outermost first. */
  readonly parents: readonly string[];
  readonly document: readonly HtmlElement[];
}

const VOID = new Set(['meta', 'br', 'wbr', 'link', 'img', 'input', 'hr', 'area', 'base', 'col', 'source']);
const TAG = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s=>/]+(?:="[^"]*")?)*)\s*(\/?)>/g;
const ATTR = /([^\s=>/]+)(?:="([^"]*)")?/g;
const cache = new Map<string, HtmlElement[]>();

/** Every element of `html`, in document order, that satisfies `predicate`. */
export function elements(html: string, predicate: (e: HtmlElement) => boolean = () => true): HtmlElement[] {
  let all = cache.get(html);
  if (!all) {
    all = scan(html);
    if (cache.size > 20) cache.clear();
    cache.set(html, all);
  }
  return all.filter(predicate);
}

/** The elements inside `parent` that satisfy `predicate`. */
export function elementsWithin(parent: HtmlElement, predicate: (e: HtmlElement) => boolean): HtmlElement[] {
  return parent.document.filter((e) => e.start > parent.start && e.end <= parent.end && predicate(e));
}

export function hasClass(element: HtmlElement, name: string): boolean {
  return (element.attrs.class ?? '').split(/\s+/).includes(name);
}

/** The text of some markup, as a reader sees it: tags gone, entities decoded, whitespace collapsed. */
export function textOf(markup: string): string {
  return decode(
    markup
      .replace(/<\/?(?:wbr|strong|span|em|b|a)\b[^>]*>/gi, '')
      .replace(/<[^>]*>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
  );
}

function scan(html: string): HtmlElement[] {
  const out: HtmlElement[] = [];
  const stack: {
    tag: string;
    attrs: Record<string, string>;
    start: number;
    innerStart: number;
    parents: string[];
  }[] = [];
  for (const m of html.matchAll(TAG)) {
    const [whole, closing, rawTag = '', rawAttrs = '', selfClosing] = m;
    const tag = rawTag.toLowerCase();
    const at = m.index;
    if (closing) {
      let open = stack.pop();
      while (open && open.tag !== tag) open = stack.pop();
      if (!open) continue;
      const { innerStart, ...rest } = open;
      out.push({ ...rest, end: at + whole.length, inner: html.slice(innerStart, at), document: out });
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of rawAttrs.matchAll(ATTR)) if (a[1]) attrs[a[1].toLowerCase()] = decode(a[2] ?? '');
    const parents = stack.flatMap((s) => (s.attrs.class ?? '').split(/\s+/).filter(Boolean));
    if (selfClosing || VOID.has(tag)) {
      out.push({ tag, attrs, start: at, end: at + whole.length, inner: '', parents, document: out });
    } else {
      stack.push({ tag, attrs, start: at, innerStart: at + whole.length, parents });
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

function decode(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&amp;/g, '&');
}
