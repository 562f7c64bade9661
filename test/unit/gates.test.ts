import { describe, expect, it } from 'vitest';
import type { Pause } from '../../functions/core/gates.ts';
import type { Incident } from '../../functions/core/incident.ts';
import { pageMessage } from '../../functions/core/page-message.ts';
import { alarmInput, Scenario, T0, testRunbook } from '../support/fixtures.ts';

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
