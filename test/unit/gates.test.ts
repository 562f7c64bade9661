import { describe, expect, it } from 'vitest';
import { type Pause, type SafetyFacts, settleGate } from '../../functions/core/gates.ts';
import type { Incident } from '../../functions/core/incident.ts';
import { pageMessage } from '../../functions/core/page-message.ts';
import { SETTLE_JITTER_SECONDS } from '../../functions/core/transitions.ts';
import { alarmInput, INSTANCE, Scenario, T0, testRunbook } from '../support/fixtures.ts';

const paused: Pause = {
  scope: 'all runbooks',
  reason: 'database failover in progress',
  by: 'alice',
  since: T0 - 60_000,
};

/** An incident fixed by automation and resolved at T0 + 60 s. */
function remediatedAndResolved(): Scenario {
  const s = new Scenario();
  s.apply(alarmInput('ALARM', T0));
  s.apply({ kind: 'command-sent', attempt: 1, commandId: 'cmd-1' });
  s.apply({ kind: 'command-finished', commandId: 'cmd-1', result: { status: 'Success', responseCode: 0 } });
  s.after(60).apply(alarmInput('OK', T0 + 60_000));
  return s;
}

describe('the cooldown gate', () => {
  it('pages the same alarm back within the cooldown as flapping, and runs nothing', () => {
    const s = remediatedAndResolved();

    s.after(600).apply(alarmInput('ALARM', s.now));

    expect(s.effectsOf('send-command')).toHaveLength(1);
    expect(s.incident?.status).toBe('escalated');
    expect(s.incident?.refusals).toEqual([
      expect.objectContaining({
        gate: 'cooldown',
        reason: expect.stringMatching(
          /^flapping: the alarm returned 600s after incident .* \(cooldown 1800s\)/,
        ),
      }),
    ]);
    expect(s.effectsOf('page')).toHaveLength(1);
  });

  it('lets the runbook run again once the cooldown has passed', () => {
    const s = remediatedAndResolved();
    s.after(testRunbook.cooldownSeconds + 1).apply(alarmInput('ALARM', s.now));
    expect(s.effectsOf('send-command')).toHaveLength(2);
  });

  it('does not count an incident automation never acted on', () => {
    const s = new Scenario();
    s.apply(alarmInput('ALARM', T0, { composite: true, metrics: [] }));
    s.after(60).apply(alarmInput('OK', T0 + 60_000, { composite: true, metrics: [] }));

    s.after(60).apply(alarmInput('ALARM', T0 + 120_000, { composite: true, metrics: [] }));

    expect(s.incident?.refusals).toBeUndefined();
  });
});

describe('the kill switch', () => {
  it('records the alarm and pages "automation paused", sending nothing', () => {
    const s = new Scenario();
    s.safety = { paused };

    s.apply(alarmInput('ALARM', T0));

    expect(s.effectsOf('send-command')).toEqual([]);
    expect(s.incident?.status).toBe('escalated');
    expect(s.incident?.refusals?.[0]).toMatchObject({
      gate: 'kill-switch',
      reason:
        'automation paused for all runbooks by alice since 2026-11-21T02:59:00.000Z: database failover in progress',
    });
    const { subject, body } = pageMessage(
      { kind: 'page', page: 'escalation', incident: s.incident as Incident },
      testRunbook,
    );
    expect(subject).toBe('ALARM: disk-full-web-1 on i-0123456789abcdef0 - automation paused, nothing run');
    expect(body).toContain('Refused:   kill-switch gate');
  });

  it('stops a retry that comes due while paused', () => {
    const s = new Scenario();
    s.apply(alarmInput('ALARM', T0));
    s.apply({ kind: 'command-not-sent', attempt: 1, error: 'InvalidInstanceId' });
    s.safety = { paused: { ...paused, scope: 'this runbook' } };

    s.fireTimer();

    expect(s.effectsOf('send-command')).toHaveLength(1);
    expect(s.incident?.refusals?.[0]?.reason).toMatch(/^automation paused for this runbook/);
  });
});

describe('the opt-in gate', () => {
  const notOptedIn = {
    optIn: {
      instanceId: 'i-0123456789abcdef0',
      tagKey: 'AutoRemediation',
      tagValue: 'enabled',
      tagged: false,
    },
  };

  it('leaves an alarm on an instance without the opt-in tag alone: no incident, no page, nothing run', () => {
    // Prepare
    const s = new Scenario();
    s.safety = notOptedIn;

    // Act
    const alarm = s.apply(alarmInput('ALARM', T0));
    const resync = s.after(300).apply({ ...alarmInput('ALARM', T0), kind: 'resync', cause: 'schedule' });

    // Assess
    for (const decision of [alarm, resync]) {
      expect(decision).toMatchObject({
        changed: false,
        unmanaged: true,
        reason:
          'instance i-0123456789abcdef0 does not carry the opt-in tag AutoRemediation=enabled: not managed by this deployment, so no incident is opened and nobody is paged',
      });
      expect(decision).not.toHaveProperty('remember');
    }
    expect(s.incident).toBeUndefined();
    expect(s.effects).toEqual([]);
  });

  it('opens the incident once the instance is tagged, at the next look of the resync', () => {
    const s = new Scenario();
    s.safety = notOptedIn;
    s.apply(alarmInput('ALARM', T0));

    s.safety = { optIn: { ...notOptedIn.optIn, tagged: true } };
    s.after(300).apply({ ...alarmInput('ALARM', T0), kind: 'resync', cause: 'schedule' });

    expect(s.incident?.status).toBe('remediating');
    expect(s.effectsOf('send-command')).toHaveLength(1);
  });

  it('still ends an incident whose instance lost the tag mid-way with a page, while a new alarm there is left alone', () => {
    // Prepare: an incident opened while the instance was tagged, its first command refused by SSM.
    const s = new Scenario();
    s.apply(alarmInput('ALARM', T0));
    s.apply({ kind: 'command-not-sent', attempt: 1, error: 'InvalidInstanceId' });
    s.safety = notOptedIn;

    // Act: its retry comes due after the tag was removed; later it clears, and fires again.
    s.fireTimer();
    const paged = s.incident;
    s.apply({ kind: 'page-sent', page: 'escalation', messageId: 'page-1' });
    s.after(60).apply(alarmInput('OK', s.now));
    const next = s.after(7200).apply(alarmInput('ALARM', s.now));

    // Assess: the open incident pages once (the opt-in gate) and closes; the next episode is not ours.
    expect(paged?.status).toBe('escalated');
    expect(paged?.refusals?.at(-1)?.gate).toBe('opt-in');
    expect(s.incident?.status).toBe('resolved');
    expect(s.effectsOf('send-command')).toHaveLength(1);
    expect(s.effectsOf('page').map((p) => p.page)).toEqual(['escalation', 'resolution']);
    expect(next).toMatchObject({ changed: false, unmanaged: true });
  });

  it('pages for an instance without the opt-in tag when the deployment asks to (pageUnmanagedInstances), and runs nothing', () => {
    const s = new Scenario();
    s.pageUnmanagedInstances = true;
    s.safety = notOptedIn;

    s.apply(alarmInput('ALARM', T0));

    expect(s.effectsOf('send-command')).toEqual([]);
    expect(s.incident?.refusals?.[0]).toMatchObject({
      gate: 'opt-in',
      reason:
        'instance i-0123456789abcdef0 does not carry the tag AutoRemediation=enabled; automation never touches it',
    });
    const { subject } = pageMessage(
      { kind: 'page', page: 'escalation', incident: s.incident as Incident },
      testRunbook,
    );
    expect(subject).toMatch(/instance not opted in, nothing run$/);
  });

  it('lets a tagged instance through', () => {
    const s = new Scenario();
    s.safety = {
      optIn: {
        instanceId: 'i-0123456789abcdef0',
        tagKey: 'AutoRemediation',
        tagValue: 'enabled',
        tagged: true,
      },
    };
    s.apply(alarmInput('ALARM', T0));
    expect(s.effectsOf('send-command')).toHaveLength(1);
  });
});

describe('the settle gate', () => {
  /** An opted-in instance launched `ago` seconds before T0, with a settle time of `settle` seconds. */
  const launched = (ago: number, settle = 300, fleet?: SafetyFacts['fleet']): SafetyFacts => ({
    optIn: {
      instanceId: INSTANCE,
      tagKey: 'AutoRemediation',
      tagValue: 'enabled',
      tagged: true,
      launchedAt: T0 - ago * 1000,
    },
    settleSeconds: settle,
    ...(fleet ? { fleet } : {}),
  });

  it('refuses while the instance is younger than the settle time, and says how young', () => {
    expect(settleGate(launched(60), T0)).toEqual({
      gate: 'settle',
      reason: 'instance launched 60s ago, settle time 300s',
      at: T0,
    });
    expect(settleGate(launched(299.999), T0)?.gate).toBe('settle');
    expect(settleGate(launched(300), T0)).toBeUndefined();
    expect(settleGate(launched(3600), T0)).toBeUndefined();
  });

  it('lets everything through without a settle time or a known launch time', () => {
    expect(settleGate(launched(10, 0), T0)).toBeUndefined();
    expect(
      settleGate(
        {
          optIn: { ...(launched(10).optIn as NonNullable<SafetyFacts['optIn']>), launchedAt: undefined },
          settleSeconds: 300,
        },
        T0,
      ),
    ).toBeUndefined();
    expect(settleGate({ settleSeconds: 300 }, T0)).toBeUndefined();
    expect(settleGate(undefined, T0)).toBeUndefined();
  });

  it('counts a launch time ahead of the clock (clocks apart) as now', () => {
    expect(settleGate(launched(-5), T0)).toMatchObject({
      reason: 'instance launched 0s ago, settle time 300s',
    });
    expect(settleGate(launched(-5), T0 + 304_000)?.gate).toBe('settle');
    expect(settleGate(launched(-5), T0 + 305_000)).toBeUndefined();
  });

  it('makes the alarm wait, with no command and no page, its look due when the settle time ends (plus a little jitter)', () => {
    // Prepare
    const s = new Scenario();
    s.safety = launched(60);
    s.random = 0.5;

    // Act
    s.apply(alarmInput('ALARM', T0 - 2000));

    // Assess
    expect(s.incident).toMatchObject({ status: 'waiting', waitingSince: T0, attempts: [] });
    expect(s.incident?.refusals).toEqual([
      { gate: 'settle', reason: 'instance launched 60s ago, settle time 300s', at: T0 },
    ]);
    expect(s.incident?.timer).toMatchObject({
      kind: 'retry',
      dueAt: T0 + 240_000 + (SETTLE_JITTER_SECONDS / 2) * 1000,
    });
    expect(s.effectsOf('send-command')).toEqual([]);
    expect(s.effectsOf('page')).toEqual([]);
    expect(s.incident?.history.at(-1)?.what).toBe(
      `waiting until ${new Date(T0 + 240_000).toISOString()} (settle time): instance launched 60s ago, settle time 300s`,
    );
  });

  it('starts the attempt when the settle time has ended, every other gate asked as usual', () => {
    const s = new Scenario();
    s.safety = launched(60);
    s.apply(alarmInput('ALARM', T0 - 2000));

    s.fireTimer();

    expect(s.incident).toMatchObject({ status: 'remediating' });
    expect(s.incident).not.toHaveProperty('waitingSince');
    expect(s.effectsOf('send-command')).toHaveLength(1);
    expect(s.incident?.refusals?.map((r) => r.gate)).toEqual(['settle']);
  });

  it('waits again, on one history line, when asked before the settle time ended', () => {
    const s = new Scenario();
    s.safety = launched(60);
    s.apply(alarmInput('ALARM', T0 - 2000));
    const lines = s.incident?.history.length;
    const retry = s.currentTimer();

    s.after(100).apply(retry);

    expect(s.incident).toMatchObject({ status: 'waiting', waitingSince: T0 });
    expect(s.incident?.history).toHaveLength(lines ?? 0);
    expect(s.incident?.refusals).toHaveLength(1);
    expect(s.incident?.timer?.dueAt).toBeGreaterThanOrEqual(T0 + 240_000);
  });

  it('resolves the incident when the alarm clears during the wait: nothing ran, nobody paged', () => {
    const s = new Scenario();
    s.safety = launched(60);
    s.apply(alarmInput('ALARM', T0 - 2000));

    s.after(90).apply(alarmInput('OK', T0 + 88_000));

    expect(s.incident).toMatchObject({ status: 'resolved', resolution: { how: 'cleared' }, attempts: [] });
    expect(s.effectsOf('send-command')).toEqual([]);
    expect(s.effectsOf('page')).toEqual([]);
  });

  it("comes after the kill switch: a pause pages at once, whatever the instance's age", () => {
    const s = new Scenario();
    s.safety = { ...launched(60), paused };

    s.apply(alarmInput('ALARM', T0 - 2000));

    expect(s.incident).toMatchObject({ status: 'escalated', refusals: [{ gate: 'kill-switch' }] });
  });

  it('comes before the breaker, dry-run and the budget: nothing is suppressed or paged for an instance still warming up', () => {
    const s = new Scenario({ ...testRunbook, mode: 'dry-run' });
    s.safety = {
      ...launched(60),
      breaker: { openedAt: T0 - 30_000, reason: '6 instances alarmed within 10 min', instances: 6 },
    };

    s.apply(alarmInput('ALARM', T0 - 2000));

    expect(s.incident).toMatchObject({ status: 'waiting', refusals: [{ gate: 'settle' }] });
    expect(s.effectsOf('page')).toEqual([]);
  });

  it("never counts the settle wait against maxWaitSeconds: a busy instance's wait counts from the settle time's end", () => {
    // Prepare: a runbook that pages after 60 s of waiting; a settle time of 10 minutes.
    const s = new Scenario({
      ...testRunbook,
      concurrency: { ...testRunbook.concurrency, maxWaitSeconds: 60 },
    });
    const leased = {
      slotsInUse: 1,
      freeSlots: [1, 2],
      lease: { holder: 'other-incident', runbook: 'other', expiresAt: T0 + 3_600_000 },
    };
    s.safety = launched(0, 600, leased);
    s.apply(alarmInput('ALARM', T0 - 2000));
    expect(s.incident?.timer?.dueAt).toBeGreaterThanOrEqual(T0 + 600_000);

    // Act: the settle time ends, and the instance is busy with another remediation.
    s.fireTimer();

    // Assess: waiting on the lease, not paged, its wait starting now.
    expect(s.incident).toMatchObject({ status: 'waiting', waitingSince: s.now });
    expect(s.incident?.refusals?.map((r) => r.gate)).toEqual(['settle', 'lease']);
    expect(s.effectsOf('page')).toEqual([]);
    expect(s.incident?.history.at(-1)?.what).toMatch(/^waiting \d+s: instance i-/);
  });
});
