import { describe, expect, it } from 'vitest';
import { GRADUATION_RULE } from '../../cli/weekly-report/modes.ts';
import {
  buildReview,
  DEFAULT_TOIL_BASIS,
  formatDuration,
  nearestRank,
  outcomeOf,
  parseSince,
  type Review,
  reviewHtml,
  reviewText,
  runWeeklyReport,
} from '../../cli/weekly-report.ts';
import { fnv1a64 } from '../../functions/core/identity.ts';
import type { Attempt, Incident } from '../../functions/core/incident.ts';
import { elements, hasClass, textOf } from '../support/gameday-record.ts';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const NOW = Date.parse('2026-11-21T00:00:00.000Z');
const SINCE = NOW - 7 * DAY;
const HOSTILE = '<img src=x onerror=alert(1)>';

/** Hour `h` of day `d` of the period (day 0 is 2026-11-14, UTC). */
const day = (d: number, h: number) => SINCE + d * DAY + h * HOUR;

type Mutable<T> = { -readonly [K in keyof T]?: T[K] };

/** An incident as the store keeps it, with only what the review reads set on purpose. */
function incident(
  id: string,
  runbook: string,
  alarm: string,
  openedAt: number,
  rest: Mutable<Incident> = {},
): Incident {
  return {
    id,
    key: {
      runbook,
      alarm: fnv1a64(`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${alarm}`),
      target: `i-${id.padStart(17, '0')}`,
    },
    alarm: {
      name: alarm,
      arn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${alarm}`,
      account: '123456789012',
      region: 'us-east-1',
      reason: 'Threshold Crossed',
    },
    status: 'remediating',
    alarmState: 'ALARM',
    alarmStateAt: openedAt,
    openedAt,
    updatedAt: openedAt,
    attempts: [],
    history: [],
    version: 5,
    ...rest,
  };
}

const attempt = (number: number, rest: Mutable<Attempt> = {}): Attempt => ({
  number,
  action: 'remediate',
  requestedAt: 0,
  status: 'succeeded',
  ...rest,
});
const verified = (n = 1) => attempt(n, { status: 'succeeded', verification: 'passed' });
const failed = (n: number, failure = 'exit code 1: No space left on device') =>
  attempt(n, { status: 'failed', failure, result: { status: 'Failed', responseCode: 1 } });

/** Fixed automatically: the verified attempt, resolved `minutes` after opening. */
function fixed(id: string, runbook: string, alarm: string, openedAt: number, minutes: number): Incident {
  const closedAt = openedAt + minutes * MIN;
  return incident(id, runbook, alarm, openedAt, {
    status: 'resolved',
    alarmState: 'OK',
    attempts: [verified()],
    closedAt,
    resolution: { at: closedAt, how: 'verified' },
  });
}

/** Paged at `at` with `reason`. */
function paged(at: number, reason: string): Pick<Incident, 'status' | 'escalation'> {
  return { status: 'escalated', escalation: { at, reason, page: { status: 'sent', dueSince: at } } };
}

const DISK = 'disk-full-web-1';
const HTTP = 'http-5xx-web';
const MEM = 'mem-high-web-2';
const CPU = 'cpu-high-batch';

/** Every category, over four runbooks and seven days, plus incidents the review must leave out. */
const INCIDENTS: Incident[] = [
  // disk-full: 4 fixed (2, 4, 6, 10 min), 1 escalated after all attempts failed, 2 paged by gates.
  fixed('d1', 'disk-full', DISK, day(0, 1), 4),
  fixed('d2', 'disk-full', DISK, day(0, 2), 2),
  fixed('d3', 'disk-full', DISK, day(1, 1), 10),
  fixed('d4', 'disk-full', DISK, day(2, 1), 6),
  incident('d5', 'disk-full', DISK, day(2, 3), {
    attempts: [failed(1), failed(2), failed(3)],
    ...paged(day(2, 4), 'all 3 attempt(s) of runbook disk-full failed; last: exit code 1'),
  }),
  incident('d6', 'disk-full', DISK, day(3, 1), {
    refusals: [{ gate: 'kill-switch', reason: 'automation paused', at: day(3, 1) }],
    ...paged(day(3, 1), 'refused by the kill-switch gate: automation paused'),
  }),
  incident('d7', 'disk-full', DISK, day(3, 2), {
    refusals: [{ gate: 'cooldown', reason: 'flapping', at: day(3, 2) }],
    ...paged(day(3, 2), 'refused by the cooldown gate: flapping'),
  }),
  // restart-nginx: 1 fixed (3 min), 2 escalated after failing (lost; not verified), 1 cleared after a failure.
  fixed('r1', 'restart-nginx', HTTP, day(1, 3), 3),
  incident('r2', 'restart-nginx', HTTP, day(4, 1), {
    attempts: [attempt(1, { status: 'lost', failure: 'SSM gave no result by the deadline' })],
    ...paged(day(4, 2), 'all 1 attempt(s) of runbook restart-nginx failed'),
  }),
  incident('r3', 'restart-nginx', HTTP, day(4, 2), {
    attempts: [
      attempt(1, {
        status: 'succeeded',
        verification: 'failed',
        failure: 'the alarm stayed in ALARM for the verify window',
      }),
    ],
    ...paged(day(4, 3), 'all 1 attempt(s) of runbook restart-nginx failed'),
  }),
  incident('r4', 'restart-nginx', HTTP, day(5, 1), {
    status: 'resolved',
    attempts: [failed(1, 'exit code 2')],
    closedAt: day(5, 2),
    resolution: { at: day(5, 2), how: 'cleared' },
  }),
  // memory-pressure: 2 paged with nothing attempted (hostile alarm name), 2 suppressed, 1 open.
  incident('m1', 'memory-pressure', HOSTILE, day(5, 2), {
    ...paged(day(5, 2), 'the runbook chose to page: swap is already full'),
  }),
  incident('m2', 'memory-pressure', HOSTILE, day(5, 3), {
    ...paged(day(5, 3), 'the runbook chose to page: swap is already full'),
  }),
  incident('m3', 'memory-pressure', MEM, day(6, 1), {
    status: 'suppressed',
    refusals: [{ gate: 'breaker', reason: 'open', at: day(6, 1) }],
  }),
  incident('m4', 'memory-pressure', MEM, day(6, 2), {
    status: 'resolved',
    refusals: [{ gate: 'breaker', reason: 'open', at: day(6, 2) }],
    closedAt: day(6, 3),
    resolution: { at: day(6, 3), how: 'cleared' },
  }),
  incident('m5', 'memory-pressure', MEM, day(6, 23), {
    status: 'remediating',
    attempts: [attempt(1, { status: 'dispatching' })],
  }),
  // cpu-hog: paged with no instance to act on (nothing attempted), cleared while waiting on a lease,
  // paged by the budget gate, paged in dry-run (auto-disable).
  incident('c1', 'cpu-hog', CPU, day(0, 5), {
    ...paged(day(0, 5), "no single instance to act on: the alarm's metrics name no InstanceId"),
  }),
  incident('c2', 'cpu-hog', CPU, day(1, 5), {
    status: 'resolved',
    refusals: [{ gate: 'lease', reason: 'busy', at: day(1, 5) }],
    closedAt: day(1, 6),
    resolution: { at: day(1, 6), how: 'cleared' },
  }),
  incident('c3', 'cpu-hog', CPU, day(3, 5), {
    refusals: [{ gate: 'budget', reason: 'spent', at: day(3, 5) }],
    ...paged(day(3, 5), 'refused by the budget gate: spent'),
  }),
  incident('c4', 'cpu-hog', CPU, day(4, 5), {
    refusals: [{ gate: 'auto-disable', reason: 'switched to dry-run', at: day(4, 5) }],
    attempts: [attempt(1, { status: 'not-run', failure: 'dry-run mode: nothing was sent' })],
    ...paged(day(4, 5), 'runbook cpu-hog is in dry-run mode: it would have run action remediate'),
  }),
  // Left out: opened before the period, at its end, and an older version of d1.
  fixed('early', 'disk-full', DISK, SINCE - 1, 1),
  fixed('late', 'disk-full', DISK, NOW, 1),
  { ...fixed('d1', 'disk-full', DISK, day(0, 1), 4), version: 2, status: 'verifying' },
];

const review = buildReview(INCIDENTS, { since: SINCE, now: NOW });

describe('parseSince', () => {
  it('reads a duration back from now: minutes, hours, days, weeks', () => {
    expect(parseSince('90m', NOW)).toBe(NOW - 90 * MIN);
    expect(parseSince('24h', NOW)).toBe(NOW - DAY);
    expect(parseSince('7d', NOW)).toBe(NOW - 7 * DAY);
    expect(parseSince('2w', NOW)).toBe(NOW - 14 * DAY);
    expect(parseSince(' 7d ', NOW)).toBe(NOW - 7 * DAY);
  });

  it('reads an ISO date (midnight UTC) or date-time (UTC without a zone)', () => {
    expect(parseSince('2026-11-01', NOW)).toBe(Date.UTC(2026, 10, 1));
    expect(parseSince('2026-11-01T09:30:00Z', NOW)).toBe(Date.UTC(2026, 10, 1, 9, 30));
    expect(parseSince('2026-11-01T09:30:00+02:00', NOW)).toBe(Date.UTC(2026, 10, 1, 7, 30));
    expect(parseSince('2026-11-01T09:30', NOW)).toBe(Date.UTC(2026, 10, 1, 9, 30));
    expect(parseSince('2026-11-01T09:30:15.250Z', NOW)).toBe(Date.UTC(2026, 10, 1, 9, 30, 15, 250));
  });

  it.each([
    ['', /--since is empty/],
    ['7', /--since "7" is not understood: expected a duration back from now such as 90m, 24h, 7d or 2w/],
    ['d', /is not understood/],
    ['7 days', /is not understood/],
    ['-7d', /is not understood/],
    ['7y', /is not understood/],
    ['7M', /is not understood/],
    ['yesterday', /"yesterday" is not understood.*or an ISO date such as 2026-11-01/],
    ['0d', /--since "0d": the period must be longer than zero/],
    ['2026-02-30', /"2026-02-30" is not a valid date/],
    ['2026-13-01', /is not a valid date/],
    ['2026-11-01T25:00:00Z', /is not a valid date/],
    ['2026-12-01', /"2026-12-01" is in the future \(now is 2026-11-21 00:00:00Z\)/],
    ['99999999w', /reaches back before 1970/],
  ])('refuses %j with a clear error', (text, error) => {
    expect(() => parseSince(text, NOW)).toThrow(error);
  });

  it('is checked before the table is read', async () => {
    await expect(
      runWeeklyReport({ since: 'soon', table: 'incidents', endpoint: 'http://127.0.0.1:9', now: NOW }),
    ).rejects.toThrow(/--since "soon" is not understood/);
  });
});

describe('nearestRank', () => {
  it('takes the value of rank ceil(p * n / 100)', () => {
    const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(nearestRank(ten, 50)).toBe(5);
    expect(nearestRank(ten, 90)).toBe(9);
    expect(nearestRank(ten, 100)).toBe(10);
    expect(nearestRank([15, 20, 35, 40, 50], 50)).toBe(35);
    expect(nearestRank([15, 20, 35, 40, 50], 90)).toBe(50);
    expect(nearestRank([42], 50)).toBe(42);
    expect(nearestRank([42], 90)).toBe(42);
    // 0.9 * 70 is 63.00000000000001 in floating point; the rank must still be 63.
    const seventy = Array.from({ length: 70 }, (_, i) => i + 1);
    expect(nearestRank(seventy, 90)).toBe(63);
  });
});

describe('buildReview', () => {
  it('counts the incidents opened in [since, now), each once, by outcome', () => {
    expect(review.since).toBe(SINCE);
    expect(review.now).toBe(NOW);
    expect(review.totals).toEqual({
      incidents: 20,
      fixed: 5,
      escalated: 10,
      suppressed: 2,
      cleared: 2,
      open: 1,
      refusedBy: { 'kill-switch': 1, cooldown: 1, breaker: 2, 'auto-disable': 1, budget: 1, lease: 1 },
      acted: 9,
      unhandled: 3,
    });
  });

  it('classifies each incident under one outcome', () => {
    const byId = new Map(INCIDENTS.map((i) => [i.id, i]));
    const outcome = (id: string) => outcomeOf(byId.get(id) as Incident);
    expect(['d1', 'r1', 'd5', 'd6', 'c4', 'm3', 'm4', 'r4', 'c2', 'm5'].map(outcome)).toEqual([
      'fixed',
      'fixed',
      'escalated',
      'escalated',
      'escalated',
      'suppressed',
      'suppressed',
      'cleared',
      'cleared',
      'open',
    ]);
  });

  it('reviews each runbook: outcomes, refusals per gate, acted, exhausted, verified rate, MTTR', () => {
    expect(review.byRunbook).toEqual([
      {
        runbook: 'disk-full',
        incidents: 7,
        fixed: 4,
        escalated: 3,
        suppressed: 0,
        cleared: 0,
        open: 0,
        refusedBy: { 'kill-switch': 1, cooldown: 1 },
        acted: 5,
        exhausted: 1,
        verifiedRate: 0.8,
        mttr: { samples: 4, p50Ms: 4 * MIN, p90Ms: 10 * MIN, maxMs: 10 * MIN },
      },
      {
        runbook: 'memory-pressure',
        incidents: 5,
        fixed: 0,
        escalated: 2,
        suppressed: 2,
        cleared: 0,
        open: 1,
        refusedBy: { breaker: 2 },
        acted: 0,
        exhausted: 0,
      },
      {
        runbook: 'cpu-hog',
        incidents: 4,
        fixed: 0,
        escalated: 3,
        suppressed: 0,
        cleared: 1,
        open: 0,
        refusedBy: { 'auto-disable': 1, budget: 1, lease: 1 },
        acted: 0,
        exhausted: 0,
      },
      {
        runbook: 'restart-nginx',
        incidents: 4,
        fixed: 1,
        escalated: 2,
        suppressed: 0,
        cleared: 1,
        open: 0,
        refusedBy: {},
        acted: 4,
        exhausted: 2,
        verifiedRate: 0.25,
        mttr: { samples: 1, p50Ms: 3 * MIN, p90Ms: 3 * MIN, maxMs: 3 * MIN },
      },
    ]);
  });

  it('measures the overall MTTR over every verified fix (2, 3, 4, 6, 10 min), nearest rank', () => {
    expect(review.mttr).toEqual({ samples: 5, p50Ms: 4 * MIN, p90Ms: 10 * MIN, maxMs: 10 * MIN });
  });

  it('counts incidents by alarm, most first, then by name', () => {
    expect(review.byAlarm.map((a) => [a.alarm, a.incidents, a.fixed, a.escalated, a.runbooks])).toEqual([
      [DISK, 7, 4, 3, ['disk-full']],
      [CPU, 4, 0, 3, ['cpu-hog']],
      [HTTP, 4, 1, 2, ['restart-nginx']],
      [MEM, 3, 0, 0, ['memory-pressure']],
      [HOSTILE, 2, 0, 2, ['memory-pressure']],
    ]);
  });

  it('counts incidents per UTC day over the period', () => {
    expect(review.perDay.map((d) => [d.day, d.incidents])).toEqual([
      ['2026-11-14', 3],
      ['2026-11-15', 3],
      ['2026-11-16', 2],
      ['2026-11-17', 3],
      ['2026-11-18', 3],
      ['2026-11-19', 3],
      ['2026-11-20', 3],
    ]);
    expect(review.perDay[0]).toEqual({
      day: '2026-11-14',
      incidents: 3,
      fixed: 2,
      escalated: 1,
      suppressed: 0,
      cleared: 0,
      open: 0,
    });
  });

  it('saves 30 minutes of toil per verified fix by default, and says why', () => {
    expect(review.toil).toEqual({ fixes: 5, minutesPerFix: 30, hours: 2.5, basis: DEFAULT_TOIL_BASIS });
    expect(DEFAULT_TOIL_BASIS).toBe(
      '30 min per incident: page acknowledged, logged in, diagnosed, fixed, verified; override with --minutes-per-fix',
    );
    const custom = buildReview(INCIDENTS, { since: SINCE, now: NOW, minutesSavedPerFix: 45 });
    expect(custom.toil.hours).toBe(3.75);
    expect(custom.toil.basis).toMatch(/^45 min per incident, as set with --minutes-per-fix/);
    expect(() => buildReview([], { since: SINCE, now: NOW, minutesSavedPerFix: -1 })).toThrow(
      /minutes per fix/,
    );
  });

  it('ranks the candidates for the next runbook, each with its reason', () => {
    expect(review.candidates).toEqual([
      {
        rank: 1,
        kind: 'failing-runbook',
        name: 'restart-nginx',
        score: 3,
        reason:
          'escalated 2 times after every command it ran failed; verified 1 of 4 incidents it acted on (25%); ' +
          'last failure: "SSM gave no result by the deadline"',
      },
      {
        rank: 2,
        kind: 'unhandled-alarm',
        name: HOSTILE,
        score: 2,
        reason:
          'paged 2 times with nothing attempted and no safety gate behind the page: no runbook could act on it; ' +
          'runbook memory-pressure paged: "the runbook chose to page: swap is already full" (2 of 2)',
      },
      {
        rank: 3,
        kind: 'unhandled-alarm',
        name: CPU,
        score: 1,
        reason:
          'paged once with nothing attempted and no safety gate behind the page: no runbook could act on it; ' +
          `runbook cpu-hog paged: "no single instance to act on: the alarm's metrics name no InstanceId"`,
      },
      {
        rank: 4,
        kind: 'failing-runbook',
        name: 'disk-full',
        score: 1,
        reason:
          'escalated once after every command it ran failed; verified 4 of 5 incidents it acted on (80%); ' +
          'last failure: "exit code 1: No space left on device"',
      },
    ]);
  });

  it('names a runbook with a low verified rate over at least 3 incidents, even without a page', () => {
    const clearedAfterFailure = (id: string, h: number) =>
      incident(id, 'clear-cache', 'cache-full', day(1, h), {
        status: 'resolved',
        attempts: [failed(1, 'exit code 3')],
        closedAt: day(1, h + 1),
        resolution: { at: day(1, h + 1), how: 'cleared' },
      });
    const three = [fixed('k1', 'clear-cache', 'cache-full', day(1, 0), 1), clearedAfterFailure('k2', 2)];
    expect(buildReview(three, { since: SINCE, now: NOW }).candidates).toEqual([]);
    const four = [...three, clearedAfterFailure('k3', 4)];
    expect(buildReview(four, { since: SINCE, now: NOW }).candidates).toEqual([
      {
        rank: 1,
        kind: 'failing-runbook',
        name: 'clear-cache',
        score: 2,
        reason: 'verified 1 of 3 incidents it acted on (33%)',
      },
    ]);
  });

  it('does not count a page behind a gate, or a dry-run, as an alarm no runbook handles', () => {
    const names = review.candidates.filter((c) => c.kind === 'unhandled-alarm').map((c) => c.name);
    expect(names).not.toContain(DISK);
    expect(review.totals.unhandled).toBe(3);
  });

  it('reviews an empty period', () => {
    const empty = buildReview([], { since: SINCE, now: NOW });
    expect(empty.totals.incidents).toBe(0);
    expect(empty.mttr).toBeUndefined();
    expect(empty.candidates).toEqual([]);
    expect(empty.perDay).toHaveLength(7);
    expect(empty.toil.hours).toBe(0);
  });
});

describe('formatDuration', () => {
  it('is short and rounded to the second', () => {
    expect([45_000, 4 * MIN + 5_000, 62 * MIN, 51 * HOUR].map(formatDuration)).toEqual([
      '45s',
      '4m 05s',
      '1h 02m',
      '2d 03h',
    ]);
  });
});

describe('reviewText', () => {
  const small: Review = buildReview(
    [
      fixed('a', 'disk-full', DISK, day(0, 1), 4),
      incident('b', 'disk-full', DISK, day(1, 1), {
        attempts: [failed(1), failed(2)],
        ...paged(day(1, 2), 'all 2 attempt(s) of runbook disk-full failed'),
      }),
      incident('c', 'memory-pressure', MEM, day(2, 1), {
        ...paged(day(2, 1), 'the runbook chose to page: swap is already full'),
      }),
    ],
    { since: SINCE, now: NOW },
  );

  it('prints the period, totals, the runbook table, MTTR, toil with its basis, and the candidates', () => {
    expect(reviewText(small)).toEqual([
      'Weekly review: 2026-11-14 00:00:00Z to 2026-11-21 00:00:00Z (7 days)',
      '',
      '3 incidents: 1 fixed automatically (verified), 2 escalated (paged), 0 suppressed (fleet breaker), 0 cleared on their own, 0 still open',
      'No safety gate refused anything.',
      '',
      'Per runbook',
      '  runbook          incidents  fixed  escalated  suppressed  cleared  open  verified  MTTR p50     p90     max',
      '  disk-full                2      1          1           0        0     0   1/2 50%    4m 00s  4m 00s  4m 00s',
      '  memory-pressure          1      0          1           0        0     0         -         -       -       -',
      '  verified: fixed / incidents in which it ran a command (dry-run records do not count), once closed or paged',
      '',
      'Incidents by alarm',
      '  alarm            incidents  fixed  escalated  runbook',
      '  disk-full-web-1          2      1          1  disk-full',
      '  mem-high-web-2           1      0          1  memory-pressure',
      '',
      'MTTR: time to a verified fix: from the incident opening (the ALARM event handled) to its close (the return to OK handled after a successful command), over incidents fixed automatically; nearest-rank percentiles',
      '  all runbooks: p50 4m 00s, p90 4m 00s, max 4m 00s over 1 verified fix',
      '',
      'Toil saved: 0.5 hours (1 verified fix × 30 min)',
      '  basis: 30 min per incident: page acknowledged, logged in, diagnosed, fixed, verified; override with --minutes-per-fix',
      '',
      'Next runbook to write',
      // A tie on score: an alarm no runbook handles comes before a runbook that fails.
      '  1. alarm "mem-high-web-2" (no runbook acts on it): paged once with nothing attempted and no safety gate behind the page: no runbook could act on it; runbook memory-pressure paged: "the runbook chose to page: swap is already full"',
      '  2. runbook disk-full (keeps failing): escalated once after every command it ran failed; verified 1 of 2 incidents it acted on (50%); last failure: "exit code 1: No space left on device"',
      '',
      'Modes: what each runbook did, and the next mode the evidence suggests',
      '  runbook          mode     dry-run  approved  verified  denied  expired  acted alone  fixed',
      '  disk-full        enforce        0         0         0       0        0            2      1',
      '  memory-pressure  enforce        0         0         0       0        0            0      0',
      '  no change suggested',
      `  rule: ${GRADUATION_RULE}`,
    ]);
  });

  it('lists refusals per gate, and keeps control characters of alarm names off the terminal', () => {
    const lines = reviewText(review);
    expect(lines).toContain(
      'Refused by gate (an incident counts once per gate): kill-switch 1, cooldown 1, breaker 2, auto-disable 1, budget 1, lease 1',
    );
    expect(lines).toContain('  disk-full refused by: kill-switch 1, cooldown 1');
    expect(lines).toContain('Toil saved: 2.5 hours (5 verified fixes × 30 min)');
    const evil = buildReview(
      [incident('e', 'x', 'alarm\u001b[2Jcleared', day(0, 1), paged(day(0, 1), 'the runbook chose to page'))],
      { since: SINCE, now: NOW },
    );
    expect(reviewText(evil).join('\n')).not.toContain('\u001b');
    expect(reviewText(evil).join('\n')).toContain('alarm?[2Jcleared');
  });

  it('says so when nothing happened', () => {
    expect(reviewText(buildReview([], { since: SINCE, now: NOW }))).toEqual([
      'Weekly review: 2026-11-14 00:00:00Z to 2026-11-21 00:00:00Z (7 days)',
      '',
      'No incidents opened in this period.',
      '',
      'Toil saved: 0.0 hours (0 verified fixes × 30 min)',
      '  basis: 30 min per incident: page acknowledged, logged in, diagnosed, fixed, verified; override with --minutes-per-fix',
    ]);
  });
});

describe('reviewHtml', () => {
  const html = reviewHtml(review);

  it('is one HTML5 document with balanced containers and three SVG charts', () => {
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    for (const tag of ['svg', 'g', 'table', 'section', 'tr', 'ul', 'ol', 'li', 'text', 'title']) {
      const opened = html.match(new RegExp(`<${tag}[\\s>]`, 'g'))?.length ?? 0;
      const closed = html.match(new RegExp(`</${tag}>`, 'g'))?.length ?? 0;
      expect(closed, `<${tag}> opened ${opened} times, closed ${closed}`).toBe(opened);
    }
    for (const chart of ['chart-outcomes', 'chart-per-day', 'chart-mttr']) {
      expect(elements(html, (e) => e.tag === 'svg' && hasClass(e, chart))).toHaveLength(1);
    }
    expect(reviewHtml(review)).toBe(html);
  });

  it('draws a stacked bar per runbook: fixed, escalated, suppressed, cleared, open', () => {
    const bars = elements(html, (e) => e.tag === 'g' && hasClass(e, 'runbook-bar'));
    expect(bars.map((b) => b.attrs['data-runbook'])).toEqual([
      'disk-full',
      'memory-pressure',
      'cpu-hog',
      'restart-nginx',
    ]);
    const segments = (runbook: string) =>
      elements(
        html,
        (e) =>
          e.tag === 'rect' &&
          hasClass(e, 'segment') &&
          e.parents.includes('runbook-bar') &&
          elements(html, (g) => g.tag === 'g' && g.attrs['data-runbook'] === runbook).some(
            (g) => e.start > g.start && e.end <= g.end,
          ),
      ).map((e) => [e.attrs.class, Number(e.attrs['data-count'])]);
    expect(segments('memory-pressure')).toEqual([
      ['segment segment-escalated', 2],
      ['segment segment-suppressed', 2],
      ['segment segment-open', 1],
    ]);
    expect(segments('restart-nginx')).toEqual([
      ['segment segment-fixed', 1],
      ['segment segment-escalated', 2],
      ['segment segment-cleared', 1],
    ]);
  });

  it('draws the incidents per day and the MTTR p50/p90 bars', () => {
    const days = elements(html, (e) => e.tag === 'g' && hasClass(e, 'day'));
    expect(days.map((d) => [d.attrs['data-day'], Number(d.attrs['data-count'])])).toEqual(
      review.perDay.map((d) => [d.day, d.incidents]),
    );
    const mttr = elements(html, (e) => e.tag === 'g' && hasClass(e, 'mttr-bar'));
    expect(mttr.map((m) => m.attrs['data-runbook'])).toEqual(['disk-full', 'restart-nginx', '*']);
    const p = (cls: string) =>
      elements(html, (e) => e.tag === 'rect' && hasClass(e, cls)).map((e) => Number(e.attrs['data-ms']));
    expect(p('bar-p50')).toEqual([4 * MIN, 3 * MIN, 4 * MIN]);
    expect(p('bar-p90')).toEqual([10 * MIN, 3 * MIN, 10 * MIN]);
  });

  it('shows the toil with its basis, the runbook table and the ranked candidates', () => {
    const [toil] = elements(html, (e) => e.tag === 'section' && hasClass(e, 'toil'));
    expect(textOf(toil?.inner ?? '')).toContain('2.5 hours = 5 verified fixes × 30 min');
    expect(textOf(toil?.inner ?? '')).toContain(`Basis: ${DEFAULT_TOIL_BASIS}`);
    const rows = elements(html, (e) => e.tag === 'tr' && hasClass(e, 'runbook-row'));
    expect(rows.map((r) => r.attrs['data-runbook'])).toEqual([
      'disk-full',
      'memory-pressure',
      'cpu-hog',
      'restart-nginx',
    ]);
    expect(textOf(rows[0]?.inner ?? '')).toBe(
      'disk-full 7 4 3 0 0 0 4/5 (80%) 4m 00s 10m 00s 10m 00s kill-switch 1, cooldown 1',
    );
    const candidates = elements(html, (e) => e.tag === 'li' && hasClass(e, 'candidate'));
    expect(candidates.map((c) => [c.attrs['data-kind'], c.attrs['data-name']])).toEqual([
      ['failing-runbook', 'restart-nginx'],
      ['unhandled-alarm', HOSTILE],
      ['unhandled-alarm', CPU],
      ['failing-runbook', 'disk-full'],
    ]);
  });

  it('escapes a hostile alarm name everywhere and references nothing outside the page', () => {
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    const [alarmRow] = elements(html, (e) => e.tag === 'tr' && e.attrs['data-alarm'] === HOSTILE);
    expect(textOf(alarmRow?.inner ?? '')).toContain(HOSTILE);
    const all = elements(html);
    for (const tag of [
      'script',
      'img',
      'link',
      'iframe',
      'object',
      'embed',
      'image',
      'use',
      'a',
      'foreignobject',
    ]) {
      expect(
        all.filter((e) => e.tag === tag),
        tag,
      ).toEqual([]);
    }
    for (const e of all) {
      for (const name of Object.keys(e.attrs)) {
        expect(name, `<${e.tag} ${name}>`).not.toMatch(/^(on|src$|href$|xlink:href$|srcset$|action$)/);
      }
    }
    expect(html).not.toMatch(/https?:\/\/|url\(|@import/i);
    expect(html).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    );
  });

  it('renders an empty period without charts that need data', () => {
    const empty = reviewHtml(buildReview([], { since: SINCE, now: NOW }));
    expect(empty).toContain('No incidents in this period.');
    expect(empty).toContain('No verified fix in this period.');
    expect(elements(empty, (e) => e.tag === 'svg' && hasClass(e, 'chart-per-day'))).toHaveLength(1);
  });
});

describe('the modes: graduation with evidence', () => {
  const proposal = (id: string, attempt: number, answer?: 'approved' | 'denied' | 'expired') =>
    ({
      id: `${id}/p${attempt}`,
      attempt,
      action: 'remediate',
      parameters: {},
      instanceId: `i-${id.padStart(17, '0')}`,
      proposedAt: 0,
      expiresAt: 1_800_000,
      page: { status: 'sent', sentAt: 0 },
      ...(answer ? { answer: { kind: answer, at: 60_000, by: 'ana' } } : {}),
    }) as unknown as Incident['proposal'];
  const respond = (verb: 'approve' | 'deny', at: number, by = 'ana') => ({
    at,
    by,
    verb,
    request: `r-${verb}-${at}`,
    outcome: 'done' as const,
  });
  /** An incident in approve mode whose proposal was approved by ana at `at`, and the run verified or not. */
  function approvedIncident(id: string, runbook: string, openedAt: number, passed: boolean): Incident {
    const at = openedAt + MIN;
    return incident(id, runbook, `${runbook}-alarm`, openedAt, {
      status: passed ? 'resolved' : 'escalated',
      ...(passed ? { resolution: { how: 'verified', at: at + 5 * MIN } } : {}),
      closedAt: at + 5 * MIN,
      proposal: proposal(id, 1, 'approved'),
      responders: [respond('approve', at)],
      attempts: [
        attempt(1, {
          by: 'ana',
          requestedAt: at,
          status: passed ? 'succeeded' : 'failed',
          ...(passed ? { verification: 'passed' } : { failure: 'exit code 1' }),
        }),
      ],
    } as Mutable<Incident>);
  }
  const modesOf = (incidents: Incident[]) => buildReview(incidents, { since: SINCE, now: NOW }).modes;

  it('suggests enforce after 12 approved runs, every one verified and none denied', () => {
    const list = Array.from({ length: 12 }, (_, i) =>
      approvedIncident(`a${i}`, 'service-down', day(i % 7, i), true),
    );
    const [mode] = modesOf(list);
    expect(mode).toMatchObject({
      runbook: 'service-down',
      mode: 'approve',
      approved: 12,
      approvedVerified: 12,
      denied: 0,
    });
    expect(mode?.recommendation).toMatchObject({ to: 'enforce', direction: 'promote' });
    expect(mode?.recommendation?.because).toContain('approved 12 times, verified 12 times, never denied');
    expect(mode?.recommendation?.command).toContain("mode: 'enforce'");
    const text = reviewText(buildReview(list, { since: SINCE, now: NOW })).join('\n');
    expect(text).toContain('service-down: enforce? approved 12 times, verified 12 times');
    expect(text).toContain(
      'rule: dry-run → approve after 5 decisions; approve → enforce after 10 approved runs',
    );
  });

  it('suggests nothing short of the threshold, or with one denial, or with one approved run not verified', () => {
    const nine = Array.from({ length: 9 }, (_, i) => approvedIncident(`n${i}`, 'disk-full', day(1, i), true));
    expect(modesOf(nine)[0]?.recommendation).toBeUndefined();
    const denied = incident('d1', 'disk-full', 'disk-full-alarm', day(2, 1), {
      status: 'escalated',
      proposal: proposal('d1', 1, 'denied'),
      responders: [respond('deny', day(2, 1) + MIN)],
      owner: { by: 'ana', since: day(2, 1) + MIN },
    } as Mutable<Incident>);
    const withDenial = [...nine, approvedIncident('n9', 'disk-full', day(3, 1), true), denied];
    expect(modesOf(withDenial)[0]).toMatchObject({ approved: 10, approvedVerified: 10, denied: 1 });
    expect(modesOf(withDenial)[0]?.recommendation).toBeUndefined();
    const oneFailed = [
      ...nine,
      approvedIncident('n9', 'disk-full', day(3, 1), false),
      approvedIncident('n10', 'disk-full', day(3, 2), true),
    ];
    expect(modesOf(oneFailed)[0]).toMatchObject({ approved: 11, approvedVerified: 10 });
    expect(modesOf(oneFailed)[0]?.recommendation).toBeUndefined();
  });

  it('suggests dry-run for approved runs that keep failing, and for proposals mostly denied', () => {
    const failing = [true, false, false, false].map((ok, i) =>
      approvedIncident(`f${i}`, 'memory-leak', day(i, 3), ok),
    );
    expect(modesOf(failing)[0]?.recommendation).toMatchObject({ to: 'dry-run', direction: 'demote' });
    expect(modesOf(failing)[0]?.recommendation?.because).toContain('approved 4 times, verified 1 (25%)');
    expect(modesOf(failing)[0]?.recommendation?.command).toBe(
      'npx remediate runbooks dry-run memory-leak --reason "…"',
    );
    const deniedTwice = ['x1', 'x2'].map((id, i) =>
      incident(id, 'memory-leak', 'memory-leak-alarm', day(i, 4), {
        status: 'escalated',
        proposal: proposal(id, 1, 'denied'),
        responders: [respond('deny', day(i, 4) + MIN)],
      } as Mutable<Incident>),
    );
    const mostlyDenied = [approvedIncident('y1', 'memory-leak', day(5, 1), true), ...deniedTwice];
    expect(modesOf(mostlyDenied)[0]?.recommendation?.because).toContain(
      'denied 2 of 3 proposals answered (67%)',
    );
  });

  it('suggests approve mode after 5 dry-run decisions, and for an enforced runbook that mostly fails', () => {
    const dry = Array.from({ length: 5 }, (_, i) =>
      incident(`r${i}`, 'runaway-cpu', 'cpu', day(i, 5), {
        status: 'escalated',
        attempts: [attempt(1, { status: 'not-run' })],
      }),
    );
    expect(modesOf(dry.slice(0, 4))[0]?.recommendation).toBeUndefined();
    expect(modesOf(dry)[0]).toMatchObject({ mode: 'dry-run', dryRuns: 5 });
    expect(modesOf(dry)[0]?.recommendation).toMatchObject({ to: 'approve', direction: 'promote' });
    expect(modesOf(dry)[0]?.recommendation?.command).toBe(
      'npx remediate runbooks approve-mode runaway-cpu --reason "…"',
    );

    const alone = [verified(1), failed(1), failed(1)].map((a, i) =>
      incident(`e${i}`, 'disk-full', 'disk', day(i, 6), { status: 'escalated', attempts: [a] }),
    );
    expect(modesOf(alone)[0]).toMatchObject({ mode: 'enforce', autoRuns: 3, autoVerified: 1 });
    // A ladder whose second rung fixes is a fix.
    const ladder = incident('l1', 'disk-full', 'disk', day(4, 6), {
      status: 'resolved',
      attempts: [failed(1), failed(2), verified(3)],
    });
    expect(modesOf([...alone, ladder])[0]).toMatchObject({ autoRuns: 4, autoVerified: 2 });
    expect(modesOf([...alone, ladder])[0]?.recommendation).toBeUndefined();
    expect(modesOf(alone)[0]?.recommendation).toMatchObject({ to: 'approve', direction: 'demote' });
    expect(modesOf(alone.slice(0, 2))[0]?.recommendation).toBeUndefined();
  });

  it('does not count a run still being verified as a failure, and shows a mode switch in the period', () => {
    const pending = approvedIncident('p1', 'service-down', day(6, 1), true);
    const stillVerifying = {
      ...pending,
      status: 'verifying',
      resolution: undefined,
      attempts: [{ ...(pending.attempts[0] as Attempt), verification: 'pending' }],
    } as Incident;
    const earlier = incident('p0', 'service-down', 'sd', day(0, 1), {
      attempts: [attempt(1, { status: 'not-run' })],
    });
    const [mode] = modesOf([earlier, stillVerifying]);
    expect(mode).toMatchObject({
      mode: 'approve',
      modesSeen: ['dry-run', 'approve'],
      approved: 1,
      approvedPending: 1,
      approvedVerified: 0,
    });
    const html = reviewHtml(buildReview([earlier, stillVerifying], { since: SINCE, now: NOW }));
    expect(html).toContain('data-runbook="service-down" data-mode="approve"');
    expect(html).toContain('approve (was dry-run)');
  });
});
