import { describe, expect, it } from 'vitest';
import type { FleetFacts, ModeOverride, OpenBreaker } from '../../functions/core/gates.ts';
import { budgetHour } from '../../functions/core/gates.ts';
import { pageMessage } from '../../functions/core/page-message.ts';
import { defineRunbook } from '../../functions/core/runbook.ts';
import { holdSeconds } from '../../functions/core/transitions.ts';
import { WAIT_FALLBACK_SECONDS } from '../../functions/core/wait-lists.ts';
import { alarmInput, INSTANCE, Scenario, T0, testRunbook } from '../support/fixtures.ts';

/** Every limit free: the lease unheld, slots 0..9 free, no budget spent. */
const free: FleetFacts = { slotsInUse: 0, freeSlots: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] };
const busySlots: FleetFacts = { slotsInUse: 10, freeSlots: [] };
const leased: FleetFacts = {
  ...free,
  lease: {
    holder: 'service-down/i-0123456789abcdef0/20261121T025900000Z',
    runbook: 'service-down',
    expiresAt: T0 + 600_000,
  },
};
const open: OpenBreaker = {
  openedAt: T0 - 30_000,
  reason: '6 instances alarmed within 10 min (more than 5)',
  instances: 6,
};
const switchedOff: ModeOverride = {
  mode: 'dry-run',
  reason: '1 of its last 10 runs were verified (10%, below 50%)',
  by: 'auto-disable',
  since: T0 - 3_600_000,
};

describe('the hold an attempt takes', () => {
  it('names the instance, a free slot, the hour budget, and lapses after the longest legitimate attempt', () => {
    const s = new Scenario();
    s.safety = { fleet: { slotsInUse: 3, freeSlots: [1, 4, 7], budget: { hour: budgetHour(T0), used: 12 } } };
    s.random = 0.5;

    s.apply(alarmInput('ALARM', T0));

    expect(s.incident?.status).toBe('remediating');
    expect(s.incident?.hold).toEqual({
      attempt: 1,
      instanceId: INSTANCE,
      slot: 4,
      expiresAt: T0 + holdSeconds(testRunbook) * 1000,
      budgetHour: '2026-11-21T03',
      budgetMax: 60,
    });
    // delivery 60 + execution 120 + verify 300 + 2 x 60 margin
    expect(holdSeconds(testRunbook)).toBe(600);
    expect(s.effectsOf('send-command')).toHaveLength(1);
  });

  it('starts the budget count again in a new hour', () => {
    const s = new Scenario();
    s.safety = { fleet: { ...free, budget: { hour: '2026-11-21T02', used: 60 } } };
    s.apply(alarmInput('ALARM', T0));
    expect(s.incident?.hold?.budgetHour).toBe('2026-11-21T03');
    expect(s.effectsOf('send-command')).toHaveLength(1);
  });

  it('is kept while the command runs and is verified, and given back when the attempt ends', () => {
    const s = new Scenario();
    s.safety = { fleet: free };
    s.apply(alarmInput('ALARM', T0));
    s.apply({ kind: 'command-sent', attempt: 1, commandId: 'cmd-1' });
    s.apply({ kind: 'command-finished', commandId: 'cmd-1', result: { status: 'Success', responseCode: 0 } });
    expect(s.incident?.status).toBe('verifying');
    expect(s.incident?.hold?.attempt).toBe(1);

    s.fireTimer({ alarmState: 'ALARM' });

    expect(s.incident?.status).toBe('backing-off');
    expect(s.incident?.hold).toBeUndefined();
  });

  it('is given back when the command fails, and a retry takes a new one', () => {
    const s = new Scenario();
    s.safety = { fleet: free };
    s.apply(alarmInput('ALARM', T0));
    s.apply({ kind: 'command-not-sent', attempt: 1, error: 'InvalidInstanceId' });
    expect(s.incident?.hold).toBeUndefined();

    s.fireTimer();

    expect(s.incident?.hold?.attempt).toBe(2);
  });

  it('is given back when the incident resolves', () => {
    const s = new Scenario();
    s.safety = { fleet: free };
    s.apply(alarmInput('ALARM', T0));
    s.apply({ kind: 'command-sent', attempt: 1, commandId: 'cmd-1' });
    s.apply({ kind: 'command-finished', commandId: 'cmd-1', result: { status: 'Success', responseCode: 0 } });
    s.after(30).apply(alarmInput('OK', T0 + 30_000));
    expect(s.incident?.status).toBe('resolved');
    expect(s.incident?.hold).toBeUndefined();
  });
});

describe('the lease and concurrency gates', () => {
  it('wait while another runbook holds the instance, with one refusal, in line for the instance, and a slow fallback retry', () => {
    const s = new Scenario();
    s.safety = { fleet: leased };

    s.apply(alarmInput('ALARM', T0));

    expect(s.incident?.status).toBe('waiting');
    expect(s.incident?.waitingSince).toBe(T0);
    expect(s.effectsOf('send-command')).toHaveLength(0);
    expect(s.effectsOf('page')).toHaveLength(0);
    expect(s.incident?.refusals).toEqual([
      expect.objectContaining({
        gate: 'lease',
        reason: expect.stringContaining('being remediated by runbook service-down'),
      }),
    ]);
    // The default wait (900 s) in three equal fallback looks, the last on the deadline.
    expect(s.incident?.timer).toMatchObject({ kind: 'retry', dueAt: T0 + WAIT_FALLBACK_SECONDS * 1000 });
    expect(s.effectsOf('join-wait-list')).toEqual([
      {
        kind: 'join-wait-list',
        list: `instance:${INSTANCE}`,
        until: T0 + 900_000,
        wake: expect.objectContaining({ kind: 'retry', token: s.incident?.timer?.token }),
      },
    ]);
  });

  it('keep waiting without repeating the refusal, then act as soon as the lease is free', () => {
    const s = new Scenario();
    s.safety = { fleet: leased };
    s.apply(alarmInput('ALARM', T0));
    // Its fallback look, then a wake-up (the current retry, sent early), both finding the lease held.
    s.fireTimer();
    s.after(30).apply(s.currentTimer());
    expect(s.incident?.status).toBe('waiting');
    expect(s.incident?.refusals).toHaveLength(1);

    s.safety = { fleet: free };
    s.after(30).apply(s.currentTimer());

    expect(s.incident?.status).toBe('remediating');
    expect(s.incident?.waitingSince).toBeUndefined();
    expect(s.effectsOf('send-command')).toHaveLength(1);
    expect(s.incident?.attempts).toHaveLength(1);
  });

  it('keep one history line for a wait on the same gate, however many times it retries, and a new one for another gate', () => {
    const s = new Scenario();
    s.safety = { fleet: leased };
    s.apply(alarmInput('ALARM', T0));
    const lines = s.incident?.history.length ?? 0;
    // Woken eight times (a wake-up is the current retry, sent as soon as something is given back).
    for (let i = 0; i < 8; i++) s.after(30).apply(s.currentTimer());

    expect(s.incident?.status).toBe('waiting');
    expect(s.incident?.history).toHaveLength(lines);
    const waiting = s.incident?.history.filter((h) => h.what.startsWith('waiting ')) ?? [];
    expect(waiting).toHaveLength(1);
    expect(waiting[0]?.what).toMatch(
      /^waiting \d+s more \(\d+s so far\): instance i-0123456789abcdef0 is being remediated by runbook service-down/,
    );

    s.safety = { fleet: busySlots };
    s.fireTimer();
    expect(s.incident?.history).toHaveLength(lines + 1);
    expect(s.incident?.history.at(-1)?.what).toMatch(/^waiting \d+s: runbook disk-full already has 10 of 10/);
    expect(s.incident?.refusals?.map((r) => r.gate)).toEqual(['lease', 'concurrency']);
  });

  it('name each timer by its due time too, so that a timer whose write never landed cannot pass for a later one', () => {
    // The same version and attempt reached by two decisions at different times (the first one's
    // write lost after its timer was enqueued): the tokens differ, and the version stays last.
    const lost = new Scenario();
    lost.apply(alarmInput('ALARM', T0));
    const later = new Scenario();
    later.now = T0 + 7_000;
    later.apply(alarmInput('ALARM', T0));
    expect(lost.incident?.version).toBe(later.incident?.version);
    expect(lost.incident?.attempts).toHaveLength(1);
    expect(later.incident?.attempts).toHaveLength(1);
    expect(lost.incident?.timer?.token).not.toBe(later.incident?.timer?.token);
    expect(later.incident?.timer?.token).toMatch(new RegExp(`\\.${later.incident?.version}$`));
  });

  it('ignore a lease the incident holds itself', () => {
    const s = new Scenario();
    s.apply(alarmInput('ALARM', T0, {}));
    const own = {
      ...free,
      lease: { holder: s.incident?.id as string, runbook: 'disk-full', expiresAt: T0 + 1 },
    };
    const t = new Scenario();
    t.safety = { fleet: own };
    t.apply(alarmInput('ALARM', T0));
    expect(t.incident?.status).toBe('remediating');
  });

  it('wait for a slot when the runbook has maxInFlight commands in flight', () => {
    const s = new Scenario();
    s.safety = { fleet: busySlots };
    s.apply(alarmInput('ALARM', T0));
    expect(s.incident?.status).toBe('waiting');
    expect(s.incident?.refusals?.[0]).toMatchObject({
      gate: 'concurrency',
      reason: 'runbook disk-full already has 10 of 10 remediations in flight',
    });
  });

  it('page once the wait outlasts maxWaitSeconds, naming the gate and the wait', () => {
    const runbook = defineRunbook({
      ...testRunbook,
      concurrency: { maxInFlight: 10, maxPerHour: 60, maxWaitSeconds: 300 },
    });
    const s = new Scenario(runbook);
    s.safety = { fleet: busySlots };
    s.apply(alarmInput('ALARM', T0));
    let guard = 0;
    while (s.incident?.status === 'waiting' && guard++ < 100) s.fireTimer();

    expect(s.incident?.status).toBe('escalated');
    expect(s.now - T0).toBeLessThanOrEqual(300_000);
    expect(s.effectsOf('page')).toHaveLength(1);
    expect(s.incident?.refusals).toHaveLength(1);
    expect(s.incident?.refusals?.[0]?.reason).toMatch(/in flight; waited 300s \(limit 300s\)$/);
    expect(s.incident?.escalation?.reason).toMatch(/^refused by the concurrency gate/);
  });

  it('resolve a waiting incident whose alarm clears, with no page', () => {
    const s = new Scenario();
    s.safety = { fleet: busySlots };
    s.apply(alarmInput('ALARM', T0));
    s.after(20).apply(alarmInput('OK', T0 + 20_000));
    expect(s.incident?.status).toBe('resolved');
    expect(s.incident?.resolution?.how).toBe('cleared');
    expect(s.effectsOf('page')).toHaveLength(0);
  });
});

describe('the budget gate', () => {
  it('pages instead of acting once the hour budget is spent', () => {
    const s = new Scenario();
    s.safety = { fleet: { ...free, budget: { hour: budgetHour(T0), used: 60 } } };
    s.apply(alarmInput('ALARM', T0));
    expect(s.incident?.status).toBe('escalated');
    expect(s.effectsOf('send-command')).toHaveLength(0);
    expect(s.incident?.refusals?.[0]).toMatchObject({
      gate: 'budget',
      reason:
        'runbook disk-full has started 60 commands in the hour 2026-11-21T03:00Z, its budget of 60 per hour',
    });
    const page = s.effectsOf('page')[0];
    expect(page && pageMessage(page, testRunbook).subject).toMatch(/hourly budget spent, nothing run$/);
  });
});

describe('the breaker gate', () => {
  it('suppresses the incident: recorded, no command, no page of its own', () => {
    const s = new Scenario();
    s.safety = { fleet: free, breaker: open };
    s.apply(alarmInput('ALARM', T0));
    expect(s.incident?.status).toBe('suppressed');
    // Its way out if the breaker's close cannot look again: the slow check on its alarm.
    expect(s.incident?.timer?.kind).toBe('check');
    expect(s.effectsOf('send-command')).toHaveLength(0);
    expect(s.effectsOf('page')).toHaveLength(0);
    expect(s.incident?.refusals?.[0]).toMatchObject({
      gate: 'breaker',
      reason: expect.stringContaining('6 instances'),
    });
    expect(s.effectsOf('publish-event').map((e) => e.detailType)).toContain(
      'Remediation Incident Suppressed',
    );
  });

  it('stops the retries of an incident that was already being remediated', () => {
    const s = new Scenario();
    s.safety = { fleet: free };
    s.apply(alarmInput('ALARM', T0));
    s.apply({ kind: 'command-not-sent', attempt: 1, error: 'throttled' });
    s.safety = { fleet: free, breaker: open };
    s.fireTimer();
    expect(s.incident?.status).toBe('suppressed');
    expect(s.effectsOf('send-command')).toHaveLength(1);
  });

  it('closes a suppressed incident quietly when its alarm returns to OK', () => {
    const s = new Scenario();
    s.safety = { fleet: free, breaker: open };
    s.apply(alarmInput('ALARM', T0));
    s.after(60).apply(alarmInput('OK', T0 + 60_000));
    expect(s.incident?.status).toBe('resolved');
    expect(s.effectsOf('page')).toHaveLength(0);
  });

  it('comes after the kill switch: a paused runbook pages as paused', () => {
    const s = new Scenario();
    s.safety = {
      fleet: free,
      breaker: open,
      paused: { scope: 'all runbooks', reason: 'failover', since: T0 },
    };
    s.apply(alarmInput('ALARM', T0));
    expect(s.incident?.status).toBe('escalated');
    expect(s.incident?.refusals?.map((r) => r.gate)).toEqual(['kill-switch']);
  });
});

describe('the auto-disable gate', () => {
  it('runs the decision in dry-run: the attempt is recorded as not run, a page says what would have run', () => {
    const s = new Scenario();
    s.safety = { fleet: free, dryRun: switchedOff };
    s.apply(alarmInput('ALARM', T0));
    expect(s.effectsOf('send-command')).toHaveLength(0);
    expect(s.incident?.attempts[0]?.status).toBe('not-run');
    expect(s.incident?.hold).toBeUndefined();
    expect(s.incident?.refusals?.[0]).toMatchObject({
      gate: 'auto-disable',
      reason: expect.stringContaining('switched to dry-run by auto-disable'),
    });
    const page = s.effectsOf('page')[0];
    expect(page && pageMessage(page, testRunbook).subject).toMatch(
      /runbook switched to dry-run, nothing run$/,
    );
    expect(page && pageMessage(page, testRunbook).body).toContain('1 of its last 10 runs were verified');
  });

  it('takes no budget, slot or lease in dry-run', () => {
    const s = new Scenario(defineRunbook({ ...testRunbook, mode: 'dry-run' }));
    s.safety = { fleet: { ...busySlots, lease: leased.lease } };
    s.apply(alarmInput('ALARM', T0));
    expect(s.incident?.status).toBe('escalated');
    expect(s.incident?.attempts[0]?.status).toBe('not-run');
    expect(s.incident?.refusals).toBeUndefined();
  });
});
