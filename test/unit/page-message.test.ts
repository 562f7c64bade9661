import { describe, expect, it } from 'vitest';
import type { Incident } from '../../functions/core/incident.ts';
import { MAX_BODY_CHARS, pageMessage } from '../../functions/core/page-message.ts';
import { alarmInput, Scenario, T0, testRunbook } from '../support/fixtures.ts';

/** An incident whose three attempts failed with the given output. */
function escalated(stdout: string, stderr: string): Incident {
  const s = new Scenario();
  s.apply(alarmInput('ALARM', T0));
  for (let n = 1; n <= 3; n++) {
    s.apply({ kind: 'command-sent', attempt: n, commandId: `cmd-${n}` });
    s.after(10).apply({
      kind: 'command-finished',
      commandId: `cmd-${n}`,
      result: { status: 'Failed', responseCode: 1, stdout, stderr },
    });
    if (n < 3) s.fireTimer();
  }
  return s.incident as Incident;
}

describe('pageMessage', () => {
  it('tells what fired, where, what each attempt printed, why it escalated and what to do next', () => {
    const incident = escalated(
      'disk-full: / is 97% used before cleanup\nrotated logs: removed 0 file(s)',
      'rm: busy',
    );

    const { subject, body } = pageMessage({ kind: 'page', page: 'escalation', incident }, testRunbook);

    expect(subject).toBe(
      'ALARM: disk-full-web-1 on i-0123456789abcdef0 - automation gave up after 3 attempts',
    );
    expect(body).toContain('Alarm:    disk-full-web-1 (ALARM since 2026-11-21T03:00:00Z)');
    expect(body).toContain('Instance: i-0123456789abcdef0');
    expect(body).toContain('Runbook:  disk-full (owner platform-team): Frees disk space.');
    expect(body).toMatch(/Why paged: all 3 attempt\(s\) of runbook disk-full failed/);
    expect(body).toContain('#3 at 2026-11-21T03:');
    expect(body).toContain('       disk-full: / is 97% used before cleanup');
    expect(body).toContain('       rm: busy');
    expect(body).toContain('Look for the writer with du.');
  });

  it('names which series of a fleet alarm it is, its untrusted values quoted', () => {
    const incident = escalated('', '');
    const series = (attributes: Record<string, string>): Incident => ({
      ...incident,
      alarm: { ...incident.alarm, name: 'service-down-fleet-Prod', contributor: { id: 'a1', attributes } },
    });

    const { body } = pageMessage(
      {
        kind: 'page',
        page: 'escalation',
        incident: series({ InstanceId: 'i-0123456789abcdef0', exe: 'nginx' }),
      },
      testRunbook,
    );
    const hostile = pageMessage(
      {
        kind: 'page',
        page: 'escalation',
        incident: series({ InstanceId: 'i-0123456789abcdef0', exe: 'a b\n$(x)' }),
      },
      testRunbook,
    ).body;

    expect(body).toContain('Instance: i-0123456789abcdef0\nSeries:   exe=nginx (of the fleet alarm)');
    expect(hostile).toContain('Series:   exe="a b\\n$(x)" (of the fleet alarm)');
    expect(pageMessage({ kind: 'page', page: 'escalation', incident }, testRunbook).body).not.toContain(
      'Series:',
    );
  });

  it('keeps the subject ASCII, on one line and under 100 characters, whatever the alarm is called', () => {
    const incident = escalated('', '');
    const hostile = { ...incident, alarm: { ...incident.alarm, name: `déjà\nvu ${'x'.repeat(300)}` } };

    const { subject } = pageMessage({ kind: 'page', page: 'escalation', incident: hostile }, testRunbook);

    expect(subject.length).toBeLessThan(100);
    expect(subject).toMatch(/^ALARM: [\x20-\x7e]+$/);
  });

  it('stays within the pager limit with huge outputs, keeping the last lines', () => {
    const huge = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'y'.repeat(500)}`).join('\n');
    const incident = escalated(huge, huge);

    const { body } = pageMessage({ kind: 'page', page: 'escalation', incident }, testRunbook);

    expect(body.length).toBeLessThanOrEqual(MAX_BODY_CHARS);
    expect(Buffer.byteLength(body)).toBeLessThan(256 * 1024);
    expect(body).toContain('line 4999');
    expect(body).not.toContain('line 10 ');
  });

  it('opens the resolution message with OK: so that pager tools close the page', () => {
    const s = new Scenario({ ...testRunbook, maxAttempts: 1 });
    s.apply(alarmInput('ALARM', T0));
    s.apply({ kind: 'command-not-sent', attempt: 1, error: 'InvalidInstanceId' });
    s.apply({ kind: 'page-sent', page: 'escalation', messageId: 'm' });
    s.after(600).apply(alarmInput('OK', T0 + 600_000));

    const { subject, body } = pageMessage(
      { kind: 'page', page: 'resolution', incident: s.incident as Incident },
      testRunbook,
    );

    expect(subject).toBe('OK: disk-full-web-1 on i-0123456789abcdef0 - alarm cleared after escalation');
    expect(body).toContain('is OK again');
    expect(body).toContain('cleared without a successful remediation');
  });
});
