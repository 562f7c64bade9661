import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readIncidents } from '../../cli/incidents.ts';
import { killSwitchFor } from '../../cli/kill-switch.ts';
import { runWeeklyReport } from '../../cli/weekly-report.ts';
import { DynamoDbIncidentStore } from '../../functions/adapters/aws/dynamodb-incident-store.ts';
import { fnv1a64 } from '../../functions/core/identity.ts';
import type { Incident } from '../../functions/core/incident.ts';
import { createIncidentTable, localDynamoDbClient } from '../../local/dynamodb-local.ts';

const endpoint = inject('dynamoDbEndpoint');
const client = localDynamoDbClient(endpoint);
const table = `weekly-${randomUUID()}`;
const store = new DynamoDbIncidentStore(client, table);

const MIN = 60_000;
const DAY = 86_400_000;
const NOW = Date.parse('2026-11-21T00:00:00.000Z');

function incident(
  id: string,
  runbook: string,
  target: string,
  alarm: string,
  openedAt: number,
  rest: Partial<Incident>,
): Incident {
  return {
    id,
    key: { runbook, alarm: fnv1a64(`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${alarm}`), target },
    instanceId: target,
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
    history: [{ at: openedAt, what: 'opened' }],
    version: 1,
    ...rest,
  };
}

function fixedIn(minutes: number, openedAt: number): Partial<Incident> {
  const closedAt = openedAt + minutes * MIN;
  return {
    status: 'resolved',
    alarmState: 'OK',
    updatedAt: closedAt,
    closedAt,
    attempts: [
      { number: 1, action: 'remediate', requestedAt: openedAt, status: 'succeeded', verification: 'passed' },
    ],
    resolution: { at: closedAt, how: 'verified' },
  };
}

function pagedAt(at: number, reason: string): Partial<Incident> {
  return { status: 'escalated', escalation: { at, reason, page: { status: 'sent', dueSince: at } } };
}

/** Episode 1 of the disk-full key: fixed in 5 min, 3 days ago; archived when episode 2 opens. */
const FIRST = incident(
  'disk-full-1',
  'disk-full',
  'i-00000000000000001',
  'disk-full-web-1',
  NOW - 3 * DAY,
  fixedIn(5, NOW - 3 * DAY),
);
/** Episode 2 of the same key, 1 day ago (the first instant of 2026-11-20): escalated after its command failed. */
const SECOND = incident('disk-full-2', 'disk-full', 'i-00000000000000001', 'disk-full-web-1', NOW - DAY, {
  version: 2,
  attempts: [
    {
      number: 1,
      action: 'remediate',
      requestedAt: NOW - DAY,
      status: 'failed',
      failure: 'exit code 1: No space left on device',
      result: { status: 'Failed', responseCode: 1 },
    },
  ],
  ...pagedAt(NOW - DAY + MIN, 'all 1 attempt(s) of runbook disk-full failed'),
});
/** Ten days ago: inside 30d, outside 7d. */
const OLD = incident(
  'restart-nginx-1',
  'restart-nginx',
  'i-00000000000000002',
  'http-5xx-web',
  NOW - 10 * DAY,
  fixedIn(3, NOW - 10 * DAY),
);
/** Two hours ago: paged with nothing attempted. */
const UNHANDLED = incident(
  'memory-1',
  'memory-pressure',
  'alarm-0a1b2c3d',
  'mem-high-fleet',
  NOW - 2 * 3_600_000,
  {
    ...pagedAt(NOW - 2 * 3_600_000, 'no single instance to act on: the alarm names 3 instances'),
  },
);

let dir: string;

describe('runWeeklyReport on DynamoDB Local', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weekly-report-test-'));
    await createIncidentTable(client, table);
    await store.save(FIRST, undefined);
    await store.save(SECOND, FIRST); // archives FIRST as EPISODE#...
    await store.save(OLD, undefined);
    await store.save(UNHANDLED, undefined);
    // Not an incident: the scan must leave it out.
    await killSwitchFor({ table, endpoint }).pause('disk-full', { reason: 'maintenance', since: NOW - DAY });
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds the archived episode only when asked for every episode', async () => {
    const heads = await readIncidents({ table, endpoint });
    const all = await readIncidents({ table, endpoint, all: true });
    expect(heads.map((i) => i.id).sort()).toEqual(['disk-full-2', 'memory-1', 'restart-nginx-1']);
    expect(all.map((i) => i.id).sort()).toEqual([
      'disk-full-1',
      'disk-full-2',
      'memory-1',
      'restart-nginx-1',
    ]);
  });

  it('reviews current and archived episodes of the last 7 days', async () => {
    const { lines, htmlPath } = await runWeeklyReport({ table, endpoint, since: '7d', now: NOW });

    expect(htmlPath).toBeUndefined();
    expect(lines[0]).toBe('Weekly review: 2026-11-14 00:00:00Z to 2026-11-21 00:00:00Z (7 days)');
    expect(lines).toContain(
      '3 incidents: 1 fixed automatically (verified), 2 escalated (paged), 0 suppressed (fleet breaker), 0 cleared on their own, 0 still open',
    );
    expect(lines).toContain('  all runbooks: p50 5m 00s, p90 5m 00s, max 5m 00s over 1 verified fix');
    expect(lines).toContain('Toil saved: 0.5 hours (1 verified fix × 30 min)');
    expect(lines.filter((l) => /^ {2}\d\. /.test(l))).toEqual([
      '  1. alarm "mem-high-fleet" (no runbook acts on it): paged once with nothing attempted and no safety gate behind the page: no runbook could act on it; runbook memory-pressure paged: "no single instance to act on: the alarm names 3 instances"',
      '  2. runbook disk-full (keeps failing): escalated once after every command it ran failed; verified 1 of 2 incidents it acted on (50%); last failure: "exit code 1: No space left on device"',
    ]);
  });

  it('respects --since: a longer period, an ISO date at the boundary, a period with nothing in it', async () => {
    const month = await runWeeklyReport({ table, endpoint, since: '30d', now: NOW });
    expect(month.lines).toContain(
      '4 incidents: 2 fixed automatically (verified), 2 escalated (paged), 0 suppressed (fleet breaker), 0 cleared on their own, 0 still open',
    );

    // Episode 2 opened at 2026-11-20T00:00:00Z exactly: at or after --since counts.
    const sinceDate = await runWeeklyReport({ table, endpoint, since: '2026-11-20', now: NOW });
    expect(sinceDate.lines[0]).toBe('Weekly review: 2026-11-20 00:00:00Z to 2026-11-21 00:00:00Z (1 day)');
    expect(sinceDate.lines).toContain(
      '2 incidents: 0 fixed automatically (verified), 2 escalated (paged), 0 suppressed (fleet breaker), 0 cleared on their own, 0 still open',
    );

    const hour = await runWeeklyReport({ table, endpoint, since: '1h', now: NOW });
    expect(hour.lines).toContain('No incidents opened in this period.');
  });

  it('writes the HTML page where asked, creating its folder, and names it last', async () => {
    const target = join(dir, 'reports', 'week.html');

    const { lines, htmlPath } = await runWeeklyReport({
      table,
      endpoint,
      since: '30d',
      now: NOW,
      html: target,
      minutesPerFix: 45,
    });

    expect(htmlPath).toBe(target);
    expect(lines.at(-1)).toBe(`HTML report: ${target}`);
    expect(lines).toContain('Toil saved: 1.5 hours (2 verified fixes × 45 min)');
    const html = await readFile(target, 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    for (const chart of ['chart-outcomes', 'chart-per-day', 'chart-mttr']) expect(html).toContain(chart);
    expect(html).toContain('data-runbook="restart-nginx"');
    expect(html).toContain('data-name="mem-high-fleet"');
    expect(html).toContain('45 min per incident, as set with --minutes-per-fix');
  });
});
