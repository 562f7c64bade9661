import { describe, expect, it } from 'vitest';
import type { Incident } from '../../functions/core/incident.ts';
import { auditAlarms, noSilentAlarm } from '../../local/gameday/audit.ts';
import type { RecordedPage } from '../../local/local-ports.ts';

const T0 = Date.parse('2026-11-21T03:00:00Z');

function incident(id: string, alarmName: string, instanceId: string, status: Incident['status']): Incident {
  return {
    id,
    key: { runbook: 'disk-full', alarm: '00000000000000a1', target: instanceId },
    instanceId,
    alarm: { name: alarmName, arn: `arn:${alarmName}`, account: '1', region: 'us-east-1', reason: 'r' },
    status,
    alarmState: 'ALARM',
    alarmStateAt: T0,
    openedAt: T0,
    updatedAt: T0,
    attempts: [],
    history: [],
    version: 1,
  };
}

const alarm = (n: number) => ({
  alarmName: `disk-full-web-${n}`,
  instanceId: `i-0da0000000000000${n}`,
  runbook: 'disk-full',
});
const page = (incidentId: string): RecordedPage => ({
  messageId: 'm',
  at: new Date(T0 + 90_000).toISOString(),
  page: 'escalation',
  incidentId,
  subject: 'ALARM: disk-full-web-2 - automation gave up',
  body: '',
});

describe('the no-silent-alarm audit of a game day', () => {
  it('says who holds each alarm still in ALARM, and fails the run on a silent one', () => {
    // Prepare: 1 at work, 2 paged, 3 paged for but not sent, 4 suppressed under an open breaker,
    // 5 suppressed after its breaker closed, 6 with no incident at all.
    const incidents = [
      incident('a', 'disk-full-web-1', alarm(1).instanceId, 'verifying'),
      incident('b', 'disk-full-web-2', alarm(2).instanceId, 'escalated'),
      incident('c', 'disk-full-web-3', alarm(3).instanceId, 'escalated'),
      incident('d', 'disk-full-web-4', alarm(4).instanceId, 'suppressed'),
      incident('e', 'disk-full-web-5', alarm(5).instanceId, 'suppressed'),
    ];
    const breakers = [{ runbook: 'disk-full', instances: [alarm(4).instanceId], paged: true }];
    // Act
    const audit = auditAlarms([1, 2, 3, 4, 5, 6].map(alarm), incidents, [page('b')], breakers, T0);
    // Assess
    expect(audit.map((a) => [a.alarmName, a.verdict])).toEqual([
      ['disk-full-web-1', 'being fixed'],
      ['disk-full-web-2', 'paged'],
      ['disk-full-web-3', 'silent'],
      ['disk-full-web-4', 'paged'],
      ['disk-full-web-5', 'silent'],
      ['disk-full-web-6', 'silent'],
    ]);
    expect(audit[1]?.detail).toBe('paged at +01:30: ALARM: disk-full-web-2 - automation gave up');
    expect(audit[4]?.detail).toMatch(/breaker's group page does not name it/);
    expect(noSilentAlarm(audit)).toMatchObject({
      held: false,
      detail: expect.stringMatching(/^disk-full-web-3: /),
    });
    expect(noSilentAlarm(audit.slice(0, 2))).toMatchObject({ held: true });
    expect(noSilentAlarm([])).toMatchObject({ held: true, detail: 'no alarm is in ALARM at the end' });
  });
});
