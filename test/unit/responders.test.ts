import { describe, expect, it } from 'vitest';
import type { SafetyFacts } from '../../functions/core/gates.ts';
import type { CommandResult } from '../../functions/core/incident.ts';
import type { DecisionInput, ResponderInput } from '../../functions/core/inputs.ts';
import { defineRunbook, type Runbook } from '../../functions/core/runbook.ts';
import { alarmInput, INSTANCE, Scenario, T0, testRunbook } from '../support/fixtures.ts';

const approving: Runbook = defineRunbook({
  name: 'disk-full',
  description: 'Frees disk space.',
  owner: 'platform-team',
  match: { alarmNames: ['disk-full-*'] },
  remediate: 'remediate.sh',
  mode: 'approve',
  maxAttempts: 3,
  backoff: { baseSeconds: 60, capSeconds: 600 },
  verifyWindowSeconds: 300,
  executionTimeoutSeconds: 120,
  deliveryTimeoutSeconds: 60,
  pageWithin: { seconds: 3600, reason: 'round numbers that keep expected times easy to read in tests' },
  breaker: false,
});

const success: CommandResult = { status: 'Success', responseCode: 0, stdout: 'freed 812 MiB' };
const failure: CommandResult = { status: 'Failed', responseCode: 1, stderr: 'rm: busy' };

let requests = 0;
/** A person's request, with a fresh request id unless one is given. */
function person(
  verb: ResponderInput['verb'],
  extra: Record<string, unknown> = {},
  by = 'arn:aws:iam::123456789012:user/ana',
): ResponderInput {
  return { kind: 'responder', verb, by, request: `r-${++requests}`, ...extra } as ResponderInput;
}

/** An approve-mode incident with its proposal paged and confirmed. */
function proposed(runbook: Runbook = approving): Scenario {
  const s = new Scenario(runbook);
  s.apply(alarmInput('ALARM', T0));
  s.after(1).apply({ kind: 'page-sent', page: 'proposal', messageId: 'm-1' });
  return s;
}

const sends = (s: Scenario) => s.effectsOf('send-command');
const pages = (s: Scenario, page?: string) =>
  s.effectsOf('page').filter((p) => page === undefined || p.page === page);

describe('approve mode', () => {
  it('makes the whole decision, then pages the exact proposal and sends nothing', () => {
    const s = new Scenario(approving);
    const opened = s.apply(alarmInput('ALARM', T0));
    expect(opened.changed && opened.incident.status).toBe('awaiting-approval');
    expect(sends(s)).toEqual([]);
    expect(pages(s)).toEqual([expect.objectContaining({ page: 'proposal' })]);
    expect(s.incident?.proposal).toMatchObject({
      id: `${s.incident?.id}/p1`,
      attempt: 1,
      action: 'remediate',
      instanceId: INSTANCE,
      expiresAt: T0 + 1800_000,
      page: { status: 'due' },
    });
    expect(s.incident?.timer?.kind).toBe('reconcile');
    s.after(1).apply({ kind: 'page-sent', page: 'proposal', messageId: 'm-1' });
    expect(s.incident?.proposal?.page.status).toBe('sent');
    expect(s.incident?.timer).toMatchObject({ kind: 'expire', dueAt: T0 + 1800_000 });
  });

  it('runs exactly the approved proposal, once, and records who approved it', () => {
    const s = proposed();
    const id = s.incident?.proposal?.id as string;
    const approve = person('approve', { proposal: id });
    s.after(60).apply(approve);
    expect(sends(s)).toEqual([
      expect.objectContaining({ action: 'remediate', instanceId: INSTANCE, attempt: 1, parameters: {} }),
    ]);
    expect(s.incident?.status).toBe('remediating');
    expect(s.incident?.attempts[0]?.by).toBe(approve.by);
    expect(s.incident?.proposal?.answer).toMatchObject({ kind: 'approved', by: approve.by, at: s.now });
    expect(s.incident?.responders).toEqual([
      expect.objectContaining({ verb: 'approve', by: approve.by, outcome: 'done', request: approve.request }),
    ]);
    // The same request delivered again, and a second approval: nothing more runs.
    const again = s.apply(approve);
    expect(again.changed).toBe(false);
    s.apply(person('approve', { proposal: id }, 'bob'));
    expect(sends(s)).toHaveLength(1);
    expect(s.incident?.responders?.at(-1)).toMatchObject({ by: 'bob', outcome: 'refused' });
    expect(s.incident?.responders?.at(-1)?.reason).toContain('already approved');
    // It then verifies as any attempt does.
    s.apply({ kind: 'command-sent', attempt: 1, commandId: 'cmd-1' });
    s.after(20).apply({ kind: 'command-finished', commandId: 'cmd-1', result: success });
    s.after(60).apply(alarmInput('OK', s.now));
    expect(s.incident).toMatchObject({ status: 'resolved', resolution: { how: 'verified' } });
    // The proposal was paged, so its OK goes out.
    expect(pages(s, 'resolution')).toHaveLength(1);
  });

  it('refuses an approval of another proposal, or of one that expired, and runs nothing', () => {
    const s = proposed();
    s.after(10).apply(person('approve', { proposal: 'someone-else/p1' }));
    expect(s.incident?.status).toBe('awaiting-approval');
    expect(s.incident?.responders?.at(-1)?.reason).toContain('is not the incident');
    s.after(1800).apply(person('approve', { proposal: s.incident?.proposal?.id }));
    expect(s.incident?.responders?.at(-1)).toMatchObject({ outcome: 'refused' });
    expect(s.incident?.responders?.at(-1)?.reason).toContain('expired');
    expect(sends(s)).toEqual([]);
  });

  it('pages as expired when nobody answers, and an approval arriving later runs nothing', () => {
    const s = proposed();
    s.fireTimer();
    expect(s.incident?.status).toBe('escalated');
    expect(s.incident?.proposal?.answer?.kind).toBe('expired');
    expect(s.incident?.escalation?.reason).toMatch(/^proposal expired/);
    expect(pages(s, 'escalation')).toHaveLength(1);
    s.after(5).apply(person('approve', { proposal: s.incident?.proposal?.id }));
    expect(s.incident?.responders?.at(-1)?.reason).toContain('already expired');
    expect(sends(s)).toEqual([]);
  });

  it('denying hands the incident to the person who denied it: no command, no second page, the OK still closes it', () => {
    const s = proposed();
    const deny = person('deny', { proposal: s.incident?.proposal?.id }, 'carol');
    s.after(30).apply(deny);
    expect(s.incident).toMatchObject({ status: 'escalated', owner: { by: 'carol' } });
    expect(s.incident?.proposal?.answer).toMatchObject({ kind: 'denied', by: 'carol' });
    expect(pages(s)).toHaveLength(1);
    expect(s.incident?.timer?.kind).toBe('check');
    // An approval after the denial runs nothing.
    s.apply(person('approve', { proposal: s.incident?.proposal?.id }));
    expect(sends(s)).toEqual([]);
    s.after(600).apply(alarmInput('OK', s.now));
    expect(s.incident?.status).toBe('resolved');
    expect(pages(s, 'resolution')).toHaveLength(1);
  });

  it('asks every gate again at the approval: a pause or a busy instance set meanwhile refuses it, and the proposal stands', () => {
    const s = proposed();
    s.safety = { paused: { scope: 'all runbooks', reason: 'deploy', by: 'ops', since: s.now } };
    s.after(10).apply(person('approve', { proposal: s.incident?.proposal?.id }));
    expect(s.incident?.responders?.at(-1)?.reason).toContain('kill-switch');
    s.safety = {
      fleet: {
        slotsInUse: 0,
        freeSlots: [0],
        lease: { holder: 'other', runbook: 'service-down', expiresAt: s.now + 600_000 },
      },
    } satisfies SafetyFacts;
    s.after(10).apply(person('approve', { proposal: s.incident?.proposal?.id }));
    expect(s.incident?.responders?.at(-1)?.reason).toContain('lease');
    expect(s.incident?.status).toBe('awaiting-approval');
    expect(s.incident?.proposal?.answer).toBeUndefined();
    expect(sends(s)).toEqual([]);
    s.safety = undefined;
    s.after(10).apply(person('approve', { proposal: s.incident?.proposal?.id }));
    expect(sends(s)).toHaveLength(1);
  });

  it('refuses an approval once the runbook was switched to dry-run meanwhile', () => {
    const s = proposed();
    s.safety = { dryRun: { mode: 'dry-run', reason: 'too many failures', by: 'auto-disable', since: s.now } };
    s.after(10).apply(person('approve', { proposal: s.incident?.proposal?.id }));
    expect(s.incident?.responders?.at(-1)?.reason).toContain('dry-run');
    expect(sends(s)).toEqual([]);
  });

  it('withdraws the proposal when the alarm clears first, and closes the page', () => {
    const s = proposed();
    s.after(90).apply(alarmInput('OK', s.now));
    expect(s.incident).toMatchObject({ status: 'resolved', proposal: { answer: { kind: 'withdrawn' } } });
    expect(pages(s, 'resolution')).toHaveLength(1);
    s.apply(person('approve', { proposal: s.incident?.proposal?.id }));
    expect(sends(s)).toEqual([]);
  });

  it('pages when an approved attempt fails, instead of trying again by itself', () => {
    const s = proposed();
    s.after(10).apply(person('approve', { proposal: s.incident?.proposal?.id }));
    s.apply({ kind: 'command-sent', attempt: 1, commandId: 'cmd-1' });
    s.after(20).apply({ kind: 'command-finished', commandId: 'cmd-1', result: failure });
    expect(s.incident?.status).toBe('escalated');
    expect(s.incident?.escalation?.reason).toContain('asked for by');
    expect(pages(s, 'escalation')).toHaveLength(1);
    expect(sends(s)).toHaveLength(1);
  });

  it('is switched on at run time by the mode override, whatever the definition says', () => {
    const s = new Scenario(testRunbook);
    s.safety = { dryRun: { mode: 'approve', reason: 'new runbook', by: 'ana', since: T0 } };
    s.apply(alarmInput('ALARM', T0));
    expect(s.incident?.status).toBe('awaiting-approval');
    expect(sends(s)).toEqual([]);
  });
});

describe('responder actions', () => {
  /** An incident whose attempts were all spent, escalated and paged. */
  function gaveUp(): Scenario {
    const s = new Scenario(defineRunbook({ ...testRunbookDefinition(), maxAttempts: 1 }));
    s.apply(alarmInput('ALARM', T0));
    s.apply({ kind: 'command-sent', attempt: 1, commandId: 'cmd-1' });
    s.after(10).apply({ kind: 'command-finished', commandId: 'cmd-1', result: failure });
    s.after(1).apply({ kind: 'page-sent', page: 'escalation', messageId: 'm-1' });
    return s;
  }

  it('retry: a new attempt now, through the gates, once per request', () => {
    const s = gaveUp();
    expect(s.incident?.status).toBe('escalated');
    const retry = person('retry');
    s.after(60).apply(retry);
    expect(s.incident?.status).toBe('remediating');
    expect(sends(s).map((e) => e.attempt)).toEqual([1, 2]);
    expect(s.incident?.attempts[1]?.by).toBe(retry.by);
    expect(s.apply(retry).changed).toBe(false);
    // While its command is in flight, another retry is refused.
    s.apply(person('retry'));
    expect(s.incident?.responders?.at(-1)?.reason).toContain('in flight');
    expect(sends(s)).toHaveLength(2);
  });

  it('retry under a pause is refused with the gate, and nothing changes but the record', () => {
    const s = gaveUp();
    const before = s.incident;
    s.safety = { paused: { scope: 'this runbook', reason: 'maintenance', by: 'ops', since: s.now } };
    s.after(5).apply(person('retry'));
    expect(s.incident?.status).toBe('escalated');
    expect(s.incident?.timer).toEqual(before?.timer);
    expect(s.incident?.responders?.at(-1)).toMatchObject({ outcome: 'refused' });
    expect(sends(s)).toHaveLength(1);
  });

  it('run <action>: any action of the runbook, diagnose included; its output is kept and the person holds the incident', () => {
    const runbook = defineRunbook({ ...testRunbookDefinition(), maxAttempts: 1, diagnose: 'diagnose.sh' });
    const s = new Scenario(runbook);
    s.apply(alarmInput('ALARM', T0));
    s.apply({ kind: 'command-sent', attempt: 1, phase: 'diagnose', commandId: 'd-1' });
    s.apply({
      kind: 'command-finished',
      commandId: 'd-1',
      result: { ...success, comment: `${s.incident?.id} attempt 1 diagnose` },
    });
    s.apply({ kind: 'command-sent', attempt: 1, commandId: 'cmd-1' });
    s.after(10).apply({ kind: 'command-finished', commandId: 'cmd-1', result: failure });
    s.after(1).apply({ kind: 'page-sent', page: 'escalation', messageId: 'm-1' });
    s.after(30).apply(person('run', { action: 'nonsense' }));
    expect(s.incident?.responders?.at(-1)?.reason).toContain('has no action');
    s.apply(person('run', { action: 'diagnose' }, 'dan'));
    expect(sends(s).at(-1)).toMatchObject({ action: 'diagnose', attempt: 2 });
    expect(sends(s).at(-1)?.phase).toBeUndefined();
    s.apply({ kind: 'command-sent', attempt: 2, commandId: 'cmd-2' });
    s.after(5).apply({
      kind: 'command-finished',
      commandId: 'cmd-2',
      result: { status: 'Success', responseCode: 0, stdout: 'disk 97% /var/log' },
    });
    expect(s.incident).toMatchObject({ status: 'escalated', escalation: { takenBy: 'dan' } });
    expect(s.incident?.attempts[1]?.result?.stdout).toBe('disk 97% /var/log');
    expect(pages(s, 'escalation')).toHaveLength(1);
  });

  it('snooze: automation stands down, and if the alarm is still in ALARM afterwards a human is paged again', () => {
    const s = gaveUp();
    s.after(10).apply(person('snooze', { seconds: 3600 }, 'erin'));
    expect(s.incident).toMatchObject({ status: 'snoozed', snoozedUntil: s.now + 3600_000 });
    expect(s.incident?.timer).toMatchObject({ kind: 'wake', dueAt: s.now + 3600_000 });
    expect(
      s.apply({
        kind: 'resync',
        alarm: alarmInput('ALARM', T0).alarm,
        target: { kind: 'instance', instanceId: INSTANCE },
        cause: 'schedule',
      } as DecisionInput).changed,
    ).toBe(false);
    s.fireTimer({ alarmState: 'ALARM', alarmStateAt: T0 });
    expect(s.incident?.status).toBe('escalated');
    expect(s.incident?.escalation?.reason).toContain('snoozed by erin');
    expect(pages(s, 'escalation')).toHaveLength(2);
  });

  it('snooze ends quietly when the alarm cleared meanwhile', () => {
    const s = gaveUp();
    s.after(10).apply(person('snooze', { seconds: 600 }));
    s.fireTimer({ alarmState: 'OK', alarmStateAt: s.now - 1000 });
    expect(s.incident?.status).toBe('resolved');
    expect(pages(s, 'escalation')).toHaveLength(1);
    expect(pages(s, 'resolution')).toHaveLength(1);
    // A late snooze or take of the closed incident changes nothing.
    expect(s.apply(person('take')).changed).toBe(false);
  });

  it('take: a person owns it, automation stands down (its pending retry is stale), and the OK still closes it', () => {
    const s = new Scenario();
    s.apply(alarmInput('ALARM', T0));
    s.apply({ kind: 'command-sent', attempt: 1, commandId: 'cmd-1' });
    s.after(10).apply({ kind: 'command-finished', commandId: 'cmd-1', result: failure });
    expect(s.incident?.status).toBe('backing-off');
    const retryTimer = s.currentTimer();
    s.after(5).apply(person('take', {}, 'fay'));
    expect(s.incident).toMatchObject({
      status: 'escalated',
      owner: { by: 'fay' },
      escalation: { takenBy: 'fay' },
    });
    expect(s.apply(retryTimer).changed).toBe(false);
    expect(pages(s)).toEqual([]);
    s.after(300).apply(alarmInput('OK', s.now));
    expect(s.incident?.status).toBe('resolved');
    // Nobody was paged, so no OK is owed.
    expect(pages(s)).toEqual([]);
  });
});

describe('an announced pause', () => {
  it('holds alarms without a page each, and the resume looks again', () => {
    const s = new Scenario();
    s.safety = {
      paused: {
        scope: 'all runbooks',
        reason: 'deploy',
        by: 'ops',
        since: T0 - 60_000,
        announcedAt: T0 - 59_000,
      },
    };
    s.apply(alarmInput('ALARM', T0));
    expect(s.incident?.status).toBe('escalated');
    expect(s.incident?.escalation).toMatchObject({ standDown: 'kill-switch', page: { covered: 'pause' } });
    expect(pages(s)).toEqual([]);
    s.safety = undefined;
    s.after(600).apply({
      kind: 'resync',
      alarm: alarmInput('ALARM', T0).alarm,
      target: { kind: 'instance', instanceId: INSTANCE },
      cause: 'resumed',
    } as DecisionInput);
    expect(s.incident?.status).toBe('remediating');
    s.apply({ kind: 'command-sent', attempt: 1, commandId: 'cmd-1' });
    s.after(10).apply({ kind: 'command-finished', commandId: 'cmd-1', result: failure });
    s.fireTimer();
    s.apply({ kind: 'command-sent', attempt: 2, commandId: 'cmd-2' });
    s.after(10).apply({ kind: 'command-finished', commandId: 'cmd-2', result: failure });
    s.fireTimer();
    s.apply({ kind: 'command-sent', attempt: 3, commandId: 'cmd-3' });
    s.after(10).apply({ kind: 'command-finished', commandId: 'cmd-3', result: failure });
    // Giving up after the pause pages: the pause's notice never was this incident's own page.
    expect(s.incident?.status).toBe('escalated');
    expect(pages(s, 'escalation')).toHaveLength(1);
  });

  it('pages each alarm, as before, when the pause was not announced', () => {
    const s = new Scenario();
    s.safety = { paused: { scope: 'all runbooks', reason: 'deploy', by: 'ops', since: T0 - 60_000 } };
    s.apply(alarmInput('ALARM', T0));
    expect(pages(s, 'escalation')).toHaveLength(1);
  });
});

function testRunbookDefinition() {
  return {
    name: 'disk-full',
    description: 'Frees disk space.',
    owner: 'platform-team',
    match: { alarmNames: ['disk-full-*'] },
    remediate: 'remediate.sh',
    maxAttempts: 3,
    backoff: { baseSeconds: 60, capSeconds: 600 },
    verifyWindowSeconds: 300,
    executionTimeoutSeconds: 120,
    deliveryTimeoutSeconds: 60,
    breaker: false as const,
  };
}
