import { describe, expect, it } from 'vitest';
import type { GameDayRecord } from '../../local/gameday/record.ts';
import {
  escapeHtml,
  formatDuration,
  formatOffset,
  incidentOutcome,
  mttrByRunbook,
  renderReport,
} from '../../local/gameday/report-html.ts';
import {
  at,
  BREAKER_KEY,
  elements,
  elementsWithin,
  GAMEDAY_T0,
  gameDayRecord,
  type HtmlElement,
  hasClass,
  INCIDENTS,
  textOf,
  WEB_1,
  WEB_2,
  WEB_3,
  WEB_4,
} from '../support/gameday-record.ts';

const html = renderReport(gameDayRecord);
const rowOf = (instanceId: string): HtmlElement => {
  const [row] = elements(
    html,
    (e) => e.tag === 'g' && hasClass(e, 'instance-row') && e.attrs['data-instance'] === instanceId,
  );
  if (!row) throw new Error(`no row for ${instanceId}`);
  return row;
};
const fleetRow = (): HtmlElement => {
  const [row] = elements(html, (e) => e.tag === 'g' && hasClass(e, 'fleet-row'));
  if (!row) throw new Error('no fleet row');
  return row;
};
const within = (parent: HtmlElement, ...classes: string[]) =>
  elementsWithin(parent, (e) => classes.every((c) => hasClass(e, c)));

describe('renderReport: structure', () => {
  it('is one HTML5 document with one timeline SVG and balanced containers', () => {
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html.match(/<svg class="timeline"/g)).toHaveLength(1);
    for (const tag of ['svg', 'g', 'table', 'section', 'tr', 'ul', 'text']) {
      const opened = html.match(new RegExp(`<${tag}[\\s>]`, 'g'))?.length ?? 0;
      const closed = html.match(new RegExp(`</${tag}>`, 'g'))?.length ?? 0;
      expect(closed, `<${tag}> opened ${opened} times, closed ${closed}`).toBe(opened);
    }
  });

  it('is the same for the same record (pure)', () => {
    expect(renderReport(gameDayRecord)).toBe(html);
  });

  it('has one row per instance, in the record order, with its data attributes, then the fleet row', () => {
    const rows = elements(html, (e) => e.tag === 'g' && hasClass(e, 'instance-row'));
    expect(rows.map((r) => [r.attrs['data-instance'], r.attrs['data-name']])).toEqual([
      [WEB_1, 'web-1'],
      [WEB_2, 'web-2'],
      [WEB_3, 'web-3'],
      [WEB_4, 'web-4'],
    ]);
    const fleet = fleetRow();
    expect(fleet.start).toBeGreaterThan(rows.at(-1)?.start ?? Number.POSITIVE_INFINITY);
    expect(textOf(fleet.inner)).toContain('Fleet');
  });

  it('labels the shared axis in +mm:ss from the start', () => {
    const [svg] = elements(html, (e) => e.tag === 'svg' && hasClass(e, 'timeline'));
    const labels = elementsWithin(
      svg as HtmlElement,
      (e) => e.tag === 'text' && e.parents.includes('axis'),
    ).map((e) => textOf(e.inner));
    for (const tick of ['+00:00', '+05:00', '+10:00', '+15:00', '+20:00', '+25:00', '+30:00']) {
      expect(labels).toContain(tick);
    }
  });
});

describe('renderReport: the timeline marks', () => {
  it('draws each attempt as a bar classed by status and outcome, on its instance row', () => {
    expect(elements(html, (e) => hasClass(e, 'attempt'))).toHaveLength(7);

    const web1 = within(rowOf(WEB_1), 'attempt');
    expect(web1.map((a) => a.attrs.class)).toEqual([
      'attempt attempt-succeeded outcome-verified',
      'attempt attempt-succeeded outcome-verified',
    ]);
    expect(web1.map((a) => a.attrs['data-incident'])).toEqual([
      INCIDENTS.diskFullWeb1,
      INCIDENTS.serviceDownWeb1,
    ]);

    const web2 = within(rowOf(WEB_2), 'attempt');
    expect(web2.map((a) => [a.attrs['data-attempt'], a.attrs.class])).toEqual([
      ['1', 'attempt attempt-succeeded outcome-unverified'],
      ['2', 'attempt attempt-succeeded outcome-verified'],
    ]);
    expect(within(rowOf(WEB_2), 'verify-window').map((v) => v.attrs.class)).toEqual([
      'verify-window verify-failed',
      'verify-window verify-passed',
    ]);

    const web3 = within(rowOf(WEB_3), 'attempt');
    expect(web3).toHaveLength(3);
    expect(web3.every((a) => a.attrs.class === 'attempt attempt-failed outcome-failed')).toBe(true);
    expect(within(rowOf(WEB_4), 'attempt')).toHaveLength(0);
  });

  it('places bars on the time axis: later attempts to the right, widths in proportion to durations', () => {
    const [first, second] = within(rowOf(WEB_2), 'attempt');
    const x = (e: HtmlElement | undefined) => Number(e?.attrs.x);
    const w = (e: HtmlElement | undefined) => Number(e?.attrs.width);
    expect(x(second)).toBeGreaterThan(x(first));
    // attempt 1: 25 s; attempt 2: 20 s.
    expect(w(first) / w(second)).toBeCloseTo(25 / 20, 1);
    // Minutes 4:05 and 10:00 on a 30 min axis.
    const pxPerMs = w(first) / 25_000;
    expect(Math.abs((x(second) - x(first)) / pxPerMs - 355_000)).toBeLessThan(2_000);
  });

  it('draws a band per alarm and state from the alarm changes, labelled with the alarm name', () => {
    const web1 = rowOf(WEB_1);
    const alarms = within(web1, 'alarm');
    expect(alarms.map((a) => a.attrs['data-alarm'])).toEqual(['disk-full-web-1', 'service-down-web-1']);
    const bandsOf = (alarm: HtmlElement | undefined) =>
      elementsWithin(alarm as HtmlElement, (e) => hasClass(e, 'alarm-band')).map((b) => b.attrs.class);
    expect(bandsOf(alarms[0])).toEqual([
      'alarm-band alarm-ok',
      'alarm-band alarm-alarm',
      'alarm-band alarm-ok',
    ]);
    expect(bandsOf(alarms[1])).toEqual([
      'alarm-band alarm-ok',
      'alarm-band alarm-alarm',
      'alarm-band alarm-ok',
      'alarm-band alarm-alarm',
      'alarm-band alarm-ok',
    ]);
    expect(alarms.map((a) => textOf(a.inner.replace(/<title>[\s\S]*?<\/title>/g, '')))).toEqual([
      'disk-full-web-1',
      'service-down-web-1',
    ]);

    const web3 = within(rowOf(WEB_3), 'alarm-band');
    expect(web3.map((b) => b.attrs['data-state'])).toEqual(['INSUFFICIENT_DATA', 'OK', 'OK', 'ALARM']);
    expect(within(rowOf(WEB_3), 'alarm-insufficient-data')).toHaveLength(1);
    // The reason CloudWatch gave is the band's tooltip, escaped.
    expect(within(web1, 'alarm-band', 'alarm-ok')[1]?.inner).toContain(
      '<title>disk-full-web-1: OK +04:00 → +30:00\nThreshold Crossed: [41.0] &lt;= 90 &amp; &quot;recovered&quot;</title>',
    );
  });

  it('marks faults, verified fixes and refusals on their rows', () => {
    expect(elements(html, (e) => hasClass(e, 'fault'))).toHaveLength(4);
    for (const [id, fault] of [
      [WEB_1, 'disk-full'],
      [WEB_2, 'service-down'],
      [WEB_3, 'live-writer'],
      [WEB_4, 'disk-full'],
    ] as const) {
      expect(within(rowOf(id), 'fault').map((f) => f.attrs['data-fault'])).toEqual([fault]);
    }
    expect(within(rowOf(WEB_1), 'verified').map((v) => v.attrs['data-incident'])).toEqual([
      INCIDENTS.diskFullWeb1,
      INCIDENTS.serviceDownWeb1,
    ]);
    expect(within(rowOf(WEB_2), 'verified')).toHaveLength(1);
    expect(within(rowOf(WEB_3), 'verified')).toHaveLength(0);
    expect(within(rowOf(WEB_1), 'refusal').map((r) => r.attrs['data-gate'])).toEqual(['cooldown']);
    expect(within(rowOf(WEB_4), 'refusal').map((r) => r.attrs['data-gate'])).toEqual(['breaker']);
    expect(textOf(within(rowOf(WEB_4), 'refusal')[0]?.inner ?? '')).toContain('breaker');
  });

  it('puts incident pages on the incident instance row and group pages on the fleet row', () => {
    const kinds = (row: HtmlElement) => within(row, 'page').map((p) => p.attrs.class);
    expect(kinds(rowOf(WEB_1))).toEqual(['page page-escalation', 'page page-resolution']);
    expect(kinds(rowOf(WEB_2))).toEqual([]);
    expect(kinds(rowOf(WEB_3))).toEqual(['page page-escalation']);
    expect(kinds(rowOf(WEB_4))).toEqual([]);
    expect(kinds(fleetRow())).toEqual(['page page-breaker-opened', 'page page-breaker-closed']);
    expect(within(fleetRow(), 'page').map((p) => p.attrs['data-about'])).toEqual([BREAKER_KEY, BREAKER_KEY]);
    expect(within(rowOf(WEB_3), 'page')[0]?.inner).toContain(
      `<title>+09:35 page (escalation): ALARM: disk-full-web-3 on ${WEB_3} - automation gave up after 3 attempts`,
    );

    const [breaker] = within(fleetRow(), 'breaker-band');
    expect(breaker?.attrs['data-runbook']).toBe('disk-full');
    expect(breaker?.inner).toContain('breaker of disk-full open +12:00 → +27:00');
  });
});

describe('renderReport: the header', () => {
  it('names the scenario and its times, and says which expectation failed', () => {
    const [header] = elements(html, (e) => e.tag === 'header');
    const text = textOf(header?.inner ?? '');
    expect(text).toContain('mixed-fleet');
    expect(text).toContain('Four web servers: full disks, a stopped service');
    expect(text).toContain('Virtual start 2026-11-21 03:00:00Z');
    expect(text).toContain('Virtual end 2026-11-21 03:30:00Z');
    expect(text).toContain('Duration (virtual) 30 min 00 s');
    expect(text).toContain('Wall time 15.4 s');
    expect(text).toContain('Speed 120× virtual s per real s');
    expect(text).toContain('Instances 4');
    expect(text).toContain('6 incidents 3 fixed automatically 2 escalated 1 suppressed 5 pages');

    const [verdict] = elements(html, (e) => hasClass(e, 'verdict'));
    expect(verdict?.attrs.class).toBe('verdict verdict-fail');
    expect(textOf(verdict?.inner ?? '')).toContain(
      '1 of 4 expectations failed: every alarm is OK by the end of the game day — disk-full-web-3 on web-3 is still in ALARM',
    );
  });

  it('shows a green verdict when every expectation held', () => {
    const allHeld: GameDayRecord = {
      ...gameDayRecord,
      expectations: gameDayRecord.expectations.map((e) => ({ ...e, held: true })),
    };
    const page = renderReport(allHeld);
    const [verdict] = elements(page, (e) => hasClass(e, 'verdict'));
    expect(verdict?.attrs.class).toBe('verdict verdict-pass');
    expect(textOf(verdict?.inner ?? '')).toContain('All 4 expectations held.');
    expect(page).not.toContain('class="verdict verdict-fail"');
  });
});

describe('renderReport: the tables', () => {
  it('lists every incident with instance, runbook, attempts, outcome, fault to fix and pages', () => {
    const rows = elements(html, (e) => e.tag === 'tr' && hasClass(e, 'incident')).map((r) => [
      r.attrs['data-outcome'],
      ...elementsWithin(r, (e) => e.tag === 'td').map((td) => textOf(td.inner)),
    ]);
    expect(rows).toEqual([
      [
        'verified',
        `${INCIDENTS.diskFullWeb1} alarm disk-full-web-1`,
        `web-1 ${WEB_1}`,
        'disk-full',
        '+02:00',
        '1',
        'resolved (verified)',
        '03:00',
        '0',
      ],
      [
        'verified',
        `${INCIDENTS.serviceDownWeb2} alarm service-down-web-2`,
        `web-2 ${WEB_2}`,
        'service-down',
        '+04:00',
        '2 (1 failed)',
        'resolved (verified)',
        '08:00',
        '0',
      ],
      [
        'escalated',
        `${INCIDENTS.diskFullWeb3} alarm disk-full-web-3`,
        `web-3 ${WEB_3}`,
        'disk-full',
        '+06:00',
        '3 (3 failed)',
        'escalated open at the end (escalated)',
        '—',
        '1',
      ],
      [
        'suppressed',
        `${INCIDENTS.diskFullWeb4} alarm disk-full-web-4`,
        `web-4 ${WEB_4}`,
        'disk-full',
        '+12:00',
        '0',
        'suppressed gate breaker, alarm cleared +22:00',
        '—',
        '0',
      ],
      [
        'verified',
        `${INCIDENTS.serviceDownWeb1} alarm service-down-web-1`,
        `web-1 ${WEB_1}`,
        'service-down',
        '+14:00',
        '1',
        'resolved (verified)',
        '01:00',
        '0',
      ],
      [
        'escalated',
        `${INCIDENTS.flapWeb1} alarm service-down-web-1`,
        `web-1 ${WEB_1}`,
        'service-down',
        '+16:00',
        '0',
        'escalated gate cooldown, alarm cleared +18:00',
        '—',
        '2',
      ],
    ]);
  });

  it('classifies outcomes: verified, escalated (with the gate), suppressed by the breaker', () => {
    const byId = new Map(gameDayRecord.incidents.map((i) => [i.id, incidentOutcome(i)]));
    expect(byId.get(INCIDENTS.diskFullWeb1)).toEqual({ kind: 'verified', label: 'resolved (verified)' });
    expect(byId.get(INCIDENTS.diskFullWeb3)).toEqual({ kind: 'escalated', label: 'escalated' });
    expect(byId.get(INCIDENTS.diskFullWeb4)).toEqual({
      kind: 'suppressed',
      gate: 'breaker',
      label: 'suppressed',
    });
    expect(byId.get(INCIDENTS.flapWeb1)).toEqual({ kind: 'escalated', gate: 'cooldown', label: 'escalated' });
  });

  it('computes the MTTR per runbook over the verified fixes, from the fault or else the alarm', () => {
    expect(mttrByRunbook(gameDayRecord)).toEqual([
      {
        runbook: 'disk-full',
        incidents: 3,
        fixed: 1,
        escalated: 1,
        suppressed: 1,
        other: 0,
        medianMs: 180_000,
        maxMs: 180_000,
      },
      {
        runbook: 'service-down',
        incidents: 3,
        fixed: 2,
        escalated: 1,
        suppressed: 0,
        other: 0,
        // 8:00 (fault at +3:00, fixed at +11:00) and 1:00 (no fault known: alarm at +14:00, fixed at +15:00).
        medianMs: 270_000,
        maxMs: 480_000,
      },
    ]);
    const rows = elements(html, (e) => e.tag === 'tr' && hasClass(e, 'mttr-row')).map((r) =>
      elementsWithin(r, (e) => e.tag === 'td').map((td) => textOf(td.inner)),
    );
    expect(rows).toEqual([
      ['disk-full', '3', '1', '1', '1', '0', '03:00', '03:00'],
      ['service-down', '3', '2', '1', '0', '0', '04:30', '08:00'],
    ]);
  });

  it('lists expectations as held or failed, with their detail', () => {
    const items = elements(html, (e) => e.tag === 'li' && hasClass(e, 'expectation'));
    expect(items.map((i) => i.attrs.class)).toEqual([
      'expectation expectation-held',
      'expectation expectation-held',
      'expectation expectation-held',
      'expectation expectation-failed',
    ]);
    expect(textOf(items[3]?.inner ?? '')).toBe(
      '✗ every alarm is OK by the end of the game day disk-full-web-3 on web-3 is still in ALARM (incident escalated, waiting for a human)',
    );
    expect(textOf(items[0]?.inner ?? '')).toMatch(/^✓ web-1 disk full is fixed by the first attempt/);
  });

  it('lists pages in time order with kind and subject', () => {
    const rows = elements(html, (e) => e.tag === 'tr' && hasClass(e, 'page-entry')).map((r) =>
      elementsWithin(r, (e) => e.tag === 'td')
        .slice(0, 2)
        .map((td) => textOf(td.inner)),
    );
    expect(rows).toEqual([
      ['+09:35', 'escalation'],
      ['+12:00', 'breaker-opened'],
      ['+16:00', 'escalation'],
      ['+18:00', 'resolution'],
      ['+27:00', 'breaker-closed'],
    ]);
  });
});

describe('renderReport: safety', () => {
  const hostile = '<script>alert(1)</script>';
  const breakout = `"><img src=x onerror=alert(2)>`;
  const record: GameDayRecord = {
    ...gameDayRecord,
    scenario: { ...gameDayRecord.scenario, name: `${hostile} & co`, description: breakout },
    instances: gameDayRecord.instances.map((i, n) => (n === 0 ? { ...i, name: `web-1${breakout}` } : i)),
    faults: gameDayRecord.faults.map((f) => ({ ...f, description: hostile, fault: breakout })),
    alarmChanges: gameDayRecord.alarmChanges.map((c) => ({ ...c, reason: `${hostile}${breakout}` })),
    incidents: gameDayRecord.incidents.map((i) => ({
      ...i,
      runbook: `${i.runbook}${breakout}`,
      alarmName: `${i.alarmName}${hostile}`,
      refusals: i.refusals.map((r) => ({ ...r, reason: hostile, gate: `${r.gate}${breakout}` })),
      ...(i.escalation ? { escalation: { ...i.escalation, reason: hostile } } : {}),
    })),
    pages: gameDayRecord.pages.map((p) => ({
      ...p,
      subject: hostile,
      kind: `${p.kind}${breakout}`,
      about: `${p.about}${breakout}`,
    })),
    expectations: gameDayRecord.expectations.map((e) => ({ ...e, description: hostile, detail: breakout })),
  };
  const page = renderReport(record);

  it('escapes every string from the record: no markup from record data survives', () => {
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('<title>Game day: &lt;script&gt;alert(1)&lt;/script&gt; &amp; co</title>');
    expect(page).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(page).not.toMatch(/<script/i);
    expect(page).not.toMatch(/<img/i);
    // No attribute was broken out of: every tag's attributes are well-formed name="value" pairs.
    for (const tag of page.match(/<[a-z][^>]*>/gi) ?? []) {
      expect(tag, tag).toMatch(/^<[a-z][a-z0-9-]*(\s+[a-z][a-z0-9:-]*(="[^"<>]*")?)*\s*\/?>$/i);
    }
    for (const { tag, attrs } of elements(page)) {
      for (const name of Object.keys(attrs)) expect(name, `<${tag} ${name}=...>`).not.toMatch(/^on/i);
    }
    // Still the same report: the hostile subjects are page markers with their text as tooltip.
    expect(elements(page, (e) => hasClass(e, 'page'))).toHaveLength(5);
  });

  it('escapeHtml escapes the five characters that matter', () => {
    expect(escapeHtml(`<a href="x">Tom & Jerry's</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;',
    );
  });

  it('references nothing outside the file: no network URL, no script, no external resource', () => {
    expect(html).not.toMatch(/https?:\/\//i);
    for (const report of [html, page]) {
      expect(report).not.toMatch(/<(script|link|img|iframe|object|embed|base)\b/i);
      expect(report).not.toMatch(/@import|@font-face/i);
      const all = elements(report);
      expect(all.length).toBeGreaterThan(100);
      for (const { tag, attrs } of all) {
        for (const name of ['src', 'srcset', 'action', 'formaction', 'xlink:href', 'background', 'poster']) {
          expect(attrs[name], `<${tag} ${name}=...>`).toBeUndefined();
        }
        if (attrs.href !== undefined) expect(attrs.href).toMatch(/^#/);
        if (attrs.fill?.startsWith('url(')) expect(attrs.fill).toBe('url(#hatch)');
      }
      for (const url of report.match(/url\([^)]*\)/gi) ?? []) expect(url).toBe('url(#hatch)');
    }
  });
});

describe('renderReport: thin records', () => {
  it('renders a record with nothing in it', () => {
    const empty: GameDayRecord = {
      ...gameDayRecord,
      instances: [],
      faults: [],
      alarmChanges: [],
      incidents: [],
      pages: [],
      expectations: [],
    };
    const page = renderReport(empty);
    expect(page.match(/<svg class="timeline"/g)).toHaveLength(1);
    expect(elements(page, (e) => hasClass(e, 'instance-row'))).toHaveLength(0);
    expect(elements(page, (e) => hasClass(e, 'fleet-row'))).toHaveLength(1);
    expect(page).toContain('verdict verdict-none');
    expect(page).toContain('No incidents.');
    expect(page).toContain('Nobody was paged.');
  });

  it('draws an incident on no known instance, its alarm and its page on the fleet row', () => {
    const id = 'disk-full.alarm-d72a4bb548882e7d.20261121T030500000Z';
    const record: GameDayRecord = {
      ...gameDayRecord,
      alarmChanges: [
        { at: at(5), alarmName: 'disk-full-web-fleet', instanceId: '', from: 'OK', to: 'ALARM', reason: 'r' },
      ],
      incidents: [
        {
          id,
          runbook: 'disk-full',
          alarmName: 'disk-full-web-fleet',
          status: 'escalated',
          openedAt: at(5),
          attempts: [],
          refusals: [],
          escalation: { at: at(5), reason: 'no single instance' },
        },
      ],
      pages: [{ at: at(5), kind: 'escalation', subject: 'ALARM: disk-full-web-fleet', about: id }],
    };
    const page = renderReport(record);
    const [fleet] = elements(page, (e) => hasClass(e, 'fleet-row'));
    expect(
      elementsWithin(fleet as HtmlElement, (e) => hasClass(e, 'page')).map((p) => p.attrs.class),
    ).toEqual(['page page-escalation']);
    expect(
      elementsWithin(fleet as HtmlElement, (e) => hasClass(e, 'alarm-band')).map((b) => b.attrs.class),
    ).toEqual(['alarm-band alarm-ok', 'alarm-band alarm-alarm']);
    const [row] = elements(page, (e) => e.tag === 'tr' && hasClass(e, 'incident'));
    expect(textOf(row?.inner ?? '')).toContain('no single instance');
  });
});

describe('time formats', () => {
  it('shows offsets as +mm:ss, minutes unwrapped, and durations as mm:ss', () => {
    expect(formatOffset(0)).toBe('+00:00');
    expect(formatOffset(9 * 60_000 + 35_000)).toBe('+09:35');
    expect(formatOffset(95 * 60_000)).toBe('+95:00');
    expect(formatOffset(-5_000)).toBe('-00:05');
    expect(formatDuration(270_000)).toBe('04:30');
    expect(formatDuration(1_499)).toBe('00:01');
    expect(at(0)).toBe(GAMEDAY_T0);
  });
});

describe('renderReport: people apart from automation', () => {
  const ALICE = 'alice (on call)';
  const BOB = 'bob (on call)';
  const [diskFull, serviceDown, escalated, ...rest] = gameDayRecord.incidents;
  const withPeople: GameDayRecord = {
    ...gameDayRecord,
    incidents: [
      {
        ...(diskFull as GameDayRecord['incidents'][number]),
        proposal: {
          id: `${INCIDENTS.diskFullWeb1}/p1`,
          action: 'remediate',
          proposedAt: at(2),
          answer: { kind: 'approved', at: at(2, 30), by: ALICE },
        },
        attempts: (diskFull?.attempts ?? []).map((a) => ({ ...a, by: ALICE })),
        responders: [
          {
            at: at(2, 30),
            by: ALICE,
            verb: 'approve',
            detail: `${INCIDENTS.diskFullWeb1}/p1`,
            outcome: 'done',
          },
        ],
      },
      serviceDown as GameDayRecord['incidents'][number],
      {
        ...(escalated as GameDayRecord['incidents'][number]),
        status: 'resolved',
        resolution: 'cleared',
        closedAt: at(25),
        owner: { by: BOB, since: at(20) },
        responders: [
          { at: at(19), by: BOB, verb: 'retry', outcome: 'refused', reason: 'a command is in flight' },
          { at: at(20), by: BOB, verb: 'take', outcome: 'done' },
        ],
      },
      ...rest,
    ],
    responders: [
      {
        by: BOB,
        instanceId: WEB_3,
        runbook: 'disk-full',
        waitsFor: 'escalation',
        verb: 'take',
        watchFrom: at(0),
        watchUntil: at(29),
        pageAt: at(18),
        incidentId: INCIDENTS.diskFullWeb3,
        actedAt: at(20),
        answer: { ok: true, message: 'take done' },
        handFix: {
          at: at(21),
          finishedAt: at(22),
          description: 'moves the live writer off /',
          exitCode: 0,
          output: 'moved',
        },
      },
      {
        by: 'carol (second line)',
        instanceId: WEB_2,
        runbook: 'service-down',
        waitsFor: 'proposal',
        verb: 'approve',
        watchFrom: at(0),
        watchUntil: at(10),
        gaveUpAt: at(10),
      },
    ],
  };
  const page = renderReport(withPeople);
  const row = (instanceId: string) =>
    elements(
      page,
      (e) => e.tag === 'g' && hasClass(e, 'instance-row') && e.attrs['data-instance'] === instanceId,
    )[0] as HtmlElement;
  const people = (instanceId: string) =>
    elementsWithin(row(instanceId), (e) => e.tag === 'g' && hasClass(e, 'person')).map((e) => [
      e.attrs['data-by'],
      e.attrs['data-verb'],
      hasClass(e, 'person-done') ? 'done' : 'refused',
    ]);

  it("draws each person's request on the row of its incident's instance, done or refused, with who, what and when", () => {
    expect(people(WEB_1)).toEqual([[ALICE, 'approve', 'done']]);
    expect(people(WEB_3)).toEqual([
      [BOB, 'retry', 'refused'],
      [BOB, 'take', 'done'],
    ]);
    expect(people(WEB_2)).toEqual([]);
    const [take] = elementsWithin(row(WEB_3), (e) => e.tag === 'g' && hasClass(e, 'person-take'));
    expect(take?.inner).toContain(`+20:00 ${escapeHtml(BOB)}: take (done)`);
    // Drawn apart from automation's marks: not a page, not an attempt.
    expect(
      elementsWithin(
        row(WEB_3),
        (e) => hasClass(e, 'person') && (hasClass(e, 'page') || hasClass(e, 'attempt')),
      ),
    ).toEqual([]);
  });

  it('marks the attempt a person started, and the fix by hand on its instance', () => {
    const byPerson = elementsWithin(row(WEB_1), (e) => hasClass(e, 'attempt-by-person'));
    expect(byPerson).toHaveLength(1);
    expect(byPerson[0]?.inner).toContain(`started by ${escapeHtml(ALICE)}`);
    expect(elementsWithin(row(WEB_2), (e) => hasClass(e, 'attempt-by-person'))).toEqual([]);
    const fixes = elementsWithin(row(WEB_3), (e) => e.tag === 'g' && hasClass(e, 'hand-fix'));
    expect(fixes.map((f) => [f.attrs['data-by'], f.attrs['data-exit']])).toEqual([[BOB, '0']]);
    expect(fixes[0]?.inner).toContain('by hand, bob (on call): moves the live writer off /');
  });

  it('counts them in the header and classifies the outcomes: fixed after approval, fixed by hand', () => {
    const counts = Object.fromEntries(
      elements(page, (e) => e.tag === 'li' && hasClass(e, 'count')).map((e) => [
        (e.attrs.class ?? '').replace('count count-', ''),
        textOf(e.inner),
      ]),
    );
    expect(counts).toMatchObject({
      verified: '2 fixed automatically',
      approved: '1 fixed after approval',
      'by-hand': '1 fixed by hand',
      people: '2 human actions',
    });
    const outcomes = elements(page, (e) => e.tag === 'tr' && hasClass(e, 'incident')).map(
      (r) => r.attrs['data-outcome'],
    );
    expect(outcomes.filter((o) => o === 'approved')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'by-hand')).toHaveLength(1);
    expect(incidentOutcome(withPeople.incidents[2] as GameDayRecord['incidents'][number]).label).toBe(
      `resolved by hand (${BOB})`,
    );
  });

  it('lists what people did in time order, with the page that never came', () => {
    const rows = elements(page, (e) => e.tag === 'tr' && hasClass(e, 'person-entry')).map((r) => [
      r.attrs['data-kind'],
      ...elementsWithin(r, (e) => e.tag === 'td')
        .map((td) => textOf(td.inner))
        .slice(0, 3),
    ]);
    expect(rows).toEqual([
      ['request', '+02:30', ALICE, `approve ${INCIDENTS.diskFullWeb1}/p1`],
      ['no-page', '+10:00', 'carol (second line)', 'waited to approve'],
      ['request', '+19:00', BOB, 'retry'],
      ['request', '+20:00', BOB, 'take'],
      ['by-hand', '+21:00', BOB, 'by hand: moves the live writer off /'],
    ]);
  });

  it('leaves the people section out when nobody was on call', () => {
    expect(html).not.toContain('id="people"');
    expect(html).not.toContain('human actions');
  });
});
