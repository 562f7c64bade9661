import { describe, expect, it } from 'vitest';
import type { Incident } from '../../functions/core/incident.ts';
import { MAX_BODY_CHARS, pageMessage } from '../../functions/core/page-message.ts';
import { defineRunbook } from '../../functions/core/runbook.ts';
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

describe('a page a person understands at 3 a.m.', () => {
  const heartbeat = (n: number) =>
    `2026-11-21T03:00:${String(n % 60).padStart(2, '0')}Z app: heartbeat ok seq=${n}`;
  const log = [
    ...Array.from({ length: 20 }, (_, n) => heartbeat(n)),
    ...Array.from({ length: 6 }, () => 'FATAL: could not bind: invalid listen address "0.0.0.0:99999"'),
    ...Array.from({ length: 20 }, (_, n) => heartbeat(n + 20)),
  ].join('\n');
  const runbook = defineRunbook({
    ...testRunbook,
    name: 'disk-full',
    contact: '#platform-oncall',
    link: 'https://wiki.example.com/runbooks/disk-full',
    notes: 'Check <instance> for the writer with du -x /. Then look at the logs of the app.',
  });

  it('shows the one useful line once, with its count, among the heartbeats', () => {
    const incident = escalated(log, '');
    const { body } = pageMessage({ kind: 'page', page: 'escalation', incident }, runbook);
    const fatal = body.split('\n').filter((line) => line.includes('FATAL'));
    expect(fatal).toHaveLength(3); // once per attempt
    expect(fatal[0]).toContain('(x6)');
    expect(body.split('\n').filter((l) => l.includes('heartbeat')).length).toBeLessThanOrEqual(3);
  });

  it('names the instance by its Name tag and zone, the owner with a contact, fills the notes, and prints the commands', () => {
    const incident: Incident = {
      ...escalated('', ''),
      instance: { name: 'web-3', zone: 'us-east-1a' },
    };
    const { subject, body } = pageMessage({ kind: 'page', page: 'escalation', incident }, runbook, {
      tableName: 'Prod-Incidents',
      documentName: 'Prod-disk-full-abc',
      documentVersion: '1',
    });
    expect(subject).toContain('on i-0123456789abcdef0 (web-3)');
    expect(body.split('\n')[0]).toBe(
      'Automation tried 3 times and could not fix this alarm: a human is needed.',
    );
    expect(body).toContain('Instance: i-0123456789abcdef0 (Name web-3, us-east-1a)');
    expect(body).toContain('owner platform-team, contact #platform-oncall');
    expect(body).toContain('Check i-0123456789abcdef0 for the writer with du -x /.');
    expect(body).not.toContain('<instance>');
    expect(body).toContain(`$ npx remediate retry ${incident.id} --table Prod-Incidents`);
    expect(body).toContain(`$ npx remediate take ${incident.id} --table Prod-Incidents`);
    expect(body).toContain('$ aws ssm send-command --document-name Prod-disk-full-abc --document-version 1');
    expect(body).toContain('Runbook: https://wiki.example.com/runbooks/disk-full');
  });

  it('opens with a line true for why it pages: dry-run, pause, proposal, expiry, a person holding it', () => {
    const dry = new Scenario(defineRunbook({ ...testRunbook, mode: 'dry-run' }));
    dry.apply(alarmInput('ALARM', T0));
    const paused = new Scenario();
    paused.safety = { paused: { scope: 'all runbooks', reason: 'deploy', by: 'ops', since: T0 - 1000 } };
    paused.apply(alarmInput('ALARM', T0));
    const approving = defineRunbook({ ...testRunbook, mode: 'approve' });
    const proposing = new Scenario(approving);
    proposing.apply(alarmInput('ALARM', T0));
    const proposal = proposing.incident as Incident;
    proposing.apply({ kind: 'page-sent', page: 'proposal', messageId: 'm' });
    proposing.fireTimer();
    const expired = proposing.incident as Incident;
    const first = (incident: Incident, page: 'escalation' | 'proposal' = 'escalation') =>
      pageMessage({ kind: 'page', page, incident }, approving);

    expect(first(dry.incident as Incident).body.split('\n')[0]).toBe(
      'Dry-run: runbook disk-full would have run remediate; nothing was run. Act by hand if it is needed.',
    );
    expect(first(dry.incident as Incident).subject).toContain('dry-run, nothing run');
    expect(first(paused.incident as Incident).body.split('\n')[0]).toBe(
      'Automation is paused: this alarm was not acted on. A human is needed.',
    );
    expect(first(paused.incident as Incident).subject).toContain('automation paused, nothing run');
    const asked = first(proposal, 'proposal');
    expect(asked.subject).toBe(
      'ALARM: disk-full-web-1 on i-0123456789abcdef0 - approve remediate? expires 03:30Z',
    );
    expect(asked.body.split('\n')[0]).toContain(
      'Approve or deny: automation proposes to run remediate on i-0123456789abcdef0',
    );
    expect(asked.body).toContain(`$ npx remediate approve ${proposal.id} --proposal ${proposal.id}/p1`);
    expect(first(expired).body.split('\n')[0]).toBe(
      'A proposal expired unanswered: nothing was run. A human is needed.',
    );
    expect(first(expired).subject).toContain('proposal expired, nothing run');
    for (const incident of [dry.incident, paused.incident, proposal, expired] as Incident[])
      expect(first(incident, incident === proposal ? 'proposal' : 'escalation').body).not.toContain(
        'could not fix this alarm',
      );
  });
});
