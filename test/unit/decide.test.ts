import { describe, expect, it } from 'vitest';
import { REMEDIATION_DETAIL_TYPES } from '../../functions/core/effects.ts';
import { fnv1a64 } from '../../functions/core/identity.ts';
import type { CommandResult } from '../../functions/core/incident.ts';
import { DISPATCH_CHECK_SECONDS, RECONCILE_MARGIN_SECONDS } from '../../functions/core/transitions.ts';
import { alarmChange, alarmInput, INSTANCE, Scenario, T0, testRunbook } from '../support/fixtures.ts';

const success: CommandResult = { status: 'Success', responseCode: 0, stdout: 'freed 812 MiB' };
const failure: CommandResult = { status: 'Failed', responseCode: 1, stderr: 'rm: cannot remove: busy' };

/** Opens an incident and has SSM accept attempt `n`'s command as `cmd-n`. */
function openAndSend(s: Scenario): Scenario {
  s.apply(alarmInput('ALARM', T0));
  s.apply({ kind: 'command-sent', attempt: 1, commandId: 'cmd-1' });
  return s;
}

describe('decide', () => {
  describe('the happy path', () => {
    it('sends the runbook, verifies that the same alarm returns to OK and resolves', () => {
      // Prepare
      const s = new Scenario();

      // Act
      const opened = s.apply(alarmInput('ALARM', T0));
      s.after(1).apply({ kind: 'command-sent', attempt: 1, commandId: 'cmd-1' });
      s.after(20).apply({ kind: 'command-finished', commandId: 'cmd-1', result: success });
      const verifying = s.incident;
      s.after(120).apply(alarmInput('OK', T0 + 141_000));

      // Assess
      expect(opened.changed && opened.incident.status).toBe('remediating');
      expect(s.effectsOf('send-command')).toEqual([
        expect.objectContaining({ instanceId: INSTANCE, runbook: 'disk-full', attempt: 1 }),
      ]);
      expect(verifying?.status).toBe('verifying');
      expect(verifying?.timer).toMatchObject({ kind: 'verify-deadline', dueAt: s.now - 120_000 + 300_000 });
      expect(s.incident).toMatchObject({
        status: 'resolved',
        resolution: { how: 'verified' },
        closedAt: s.now,
      });
      expect(s.incident?.attempts).toEqual([
        expect.objectContaining({
          number: 1,
          status: 'succeeded',
          commandId: 'cmd-1',
          verification: 'passed',
        }),
      ]);
      expect(s.effectsOf('page')).toEqual([]);
    });

    it('names the incident after the alarm and its state change, so a duplicate delivery maps to it', () => {
      const s = new Scenario();
      s.apply(alarmInput('ALARM', T0));
      const alarm = fnv1a64(alarmChange('ALARM', T0).alarmArn);
      expect(s.incident?.id).toBe(`${alarm}.${INSTANCE}.20261121T030000000Z`);
      expect(s.incident?.key).toEqual({ runbook: 'disk-full', alarm, target: INSTANCE });
      expect(s.effectsOf('send-command')[0]?.comment).toBe(`${s.incident?.id} attempt 1`);
      expect(s.effectsOf('send-command')[0]?.comment.length).toBeLessThanOrEqual(100);
    });
  });

  describe('failures and retries', () => {
    it('backs off after a failed command, retries, and resolves when the retry works', () => {
      const s = openAndSend(new Scenario());

      s.after(10).apply({ kind: 'command-finished', commandId: 'cmd-1', result: failure });
      const backingOff = s.incident;
      s.fireTimer();
      s.apply({ kind: 'command-sent', attempt: 2, commandId: 'cmd-2' });
      s.after(15).apply({ kind: 'command-finished', commandId: 'cmd-2', result: success });
      s.after(60).apply(alarmInput('OK', s.now));

      expect(backingOff?.status).toBe('backing-off');
      expect(backingOff?.timer?.kind).toBe('retry');
      expect(s.effectsOf('send-command').map((e) => e.attempt)).toEqual([1, 2]);
      expect(s.incident?.attempts.map((a) => a.status)).toEqual(['failed', 'succeeded']);
      expect(s.incident?.attempts[0]?.failure).toContain('Failed (exit 1)');
      expect(s.incident?.status).toBe('resolved');
    });

    it('pages exactly once when the attempts are spent, with the reason and the last failure', () => {
      const s = new Scenario();
      s.apply(alarmInput('ALARM', T0));
      for (let n = 1; n <= testRunbook.maxAttempts; n++) {
        s.apply({ kind: 'command-sent', attempt: n, commandId: `cmd-${n}` });
        s.after(5).apply({ kind: 'command-finished', commandId: `cmd-${n}`, result: failure });
        if (n < testRunbook.maxAttempts) s.fireTimer();
      }
      // Everything that can still arrive must not page again.
      s.apply({ kind: 'command-finished', commandId: 'cmd-3', result: failure });
      s.apply(alarmInput('ALARM', T0));

      expect(s.incident?.status).toBe('escalated');
      expect(s.effectsOf('send-command')).toHaveLength(3);
      expect(s.effectsOf('page')).toHaveLength(1);
      expect(s.effectsOf('page')[0]?.page).toBe('escalation');
      expect(s.incident?.escalation?.reason).toMatch(
        /all 3 attempt\(s\) of runbook disk-full failed; last: .*Failed/,
      );
    });

    it('fails the attempt and backs off when SSM refuses the command', () => {
      const s = new Scenario();
      s.apply(alarmInput('ALARM', T0));

      s.apply({
        kind: 'command-not-sent',
        attempt: 1,
        error: 'InvalidInstanceId: the SSM agent is not online',
      });

      expect(s.incident?.status).toBe('backing-off');
      expect(s.incident?.attempts[0]?.failure).toContain('InvalidInstanceId');
    });

    it('counts a command that succeeded but left the alarm in ALARM as a failed attempt', () => {
      const s = openAndSend(new Scenario());
      s.apply({ kind: 'command-finished', commandId: 'cmd-1', result: success });

      s.fireTimer({ alarmState: 'ALARM' });

      expect(s.incident?.status).toBe('backing-off');
      expect(s.incident?.attempts[0]).toMatchObject({ status: 'succeeded', verification: 'failed' });
      expect(s.incident?.attempts[0]?.failure).toContain('still in ALARM 300s after the command succeeded');
    });

    it('looks at CloudWatch before the next attempt: an alarm gone OK since closes it, nothing runs again', () => {
      const s = openAndSend(new Scenario());
      s.apply({ kind: 'command-finished', commandId: 'cmd-1', result: success });
      // The verify window ends a moment before the alarm's next evaluation: the attempt is judged failed.
      s.fireTimer({ alarmState: 'ALARM', alarmStateAt: T0 });
      expect(s.incident?.status).toBe('backing-off');
      const okAt = s.now + 1_000;

      // The OK event is late (throttled, lost); the retry's look finds it.
      s.fireTimer({ alarmState: 'OK', alarmStateAt: okAt });

      expect(s.effectsOf('send-command').map((e) => e.attempt)).toEqual([1]);
      expect(s.incident).toMatchObject({ status: 'resolved', resolution: { how: 'cleared' } });
      expect(s.incident?.history.map((h) => h.what)).toContainEqual(
        expect.stringMatching(/DescribeAlarms reports the alarm OK since .* before the next attempt/),
      );
    });

    it('retries when the look before the next attempt finds ALARM, an older OK, or nothing readable', () => {
      for (const observation of [
        { alarmState: 'ALARM' as const, alarmStateAt: T0 },
        { alarmState: 'OK' as const, alarmStateAt: T0 - 60_000 },
        { alarmState: 'OK' as const },
        undefined,
      ]) {
        const s = openAndSend(new Scenario());
        s.after(10).apply({ kind: 'command-finished', commandId: 'cmd-1', result: failure });

        s.fireTimer(observation);

        expect(s.effectsOf('send-command').map((e) => e.attempt)).toEqual([1, 2]);
        expect(s.incident?.status).toBe('remediating');
      }
    });

    it('resolves at the verify deadline when DescribeAlarms says OK though no OK event came', () => {
      const s = openAndSend(new Scenario());
      s.apply({ kind: 'command-finished', commandId: 'cmd-1', result: success });

      s.fireTimer({ alarmState: 'OK' });

      expect(s.incident).toMatchObject({ status: 'resolved', resolution: { how: 'verified' } });
    });
  });

  describe('inputs that do not fit the state are absorbed', () => {
    it('resolves when the alarm returned to OK before the command result arrived', () => {
      const s = openAndSend(new Scenario());

      const early = s.after(5).apply(alarmInput('OK', T0 + 5000));
      s.after(5).apply({ kind: 'command-finished', commandId: 'cmd-1', result: success });

      expect(early.changed && early.incident.status).toBe('remediating');
      expect(s.incident).toMatchObject({ status: 'resolved', resolution: { how: 'verified' } });
      expect(s.effectsOf('send-command')).toHaveLength(1);
    });

    it('sends no second command for a duplicate ALARM while remediating', () => {
      const s = openAndSend(new Scenario());

      const duplicate = s.apply(alarmInput('ALARM', T0));

      expect(duplicate).toMatchObject({ changed: false, reason: expect.stringContaining('duplicate') });
      expect(s.effectsOf('send-command')).toHaveLength(1);
    });

    it('absorbs a timer that fires after the incident resolved', () => {
      const s = openAndSend(new Scenario());
      const reconcile = s.currentTimer();
      s.apply({ kind: 'command-finished', commandId: 'cmd-1', result: success });
      s.apply(alarmInput('OK', T0 + 60_000));

      const stale = s.after(900).apply(reconcile);

      expect(stale).toMatchObject({ changed: false, reason: expect.stringContaining('stale') });
      expect(s.incident?.status).toBe('resolved');
    });

    it('absorbs an OK older than the ALARM that opened the incident', () => {
      const s = new Scenario();
      s.apply(alarmInput('ALARM', T0));

      const old = s.apply(alarmInput('OK', T0 - 60_000));

      expect(old.changed).toBe(false);
      expect(s.incident?.status).toBe('remediating');
    });

    it('does not reopen a resolved incident for a late duplicate of its ALARM', () => {
      const s = openAndSend(new Scenario());
      s.apply({ kind: 'command-finished', commandId: 'cmd-1', result: success });
      s.apply(alarmInput('OK', T0 + 60_000));

      const late = s.apply(alarmInput('ALARM', T0));

      expect(late.changed).toBe(false);
      expect(s.effectsOf('send-command')).toHaveLength(1);
    });

    it('absorbs a duplicate command result and a command-sent that lost the race with it', () => {
      const s = new Scenario();
      s.apply(alarmInput('ALARM', T0));
      const comment = s.effectsOf('send-command')[0]?.comment;

      const finished = s.apply({
        kind: 'command-finished',
        commandId: 'cmd-1',
        result: { ...success, comment },
      });
      const again = s.apply({ kind: 'command-finished', commandId: 'cmd-1', result: success });
      const sentLate = s.apply({ kind: 'command-sent', attempt: 1, commandId: 'cmd-1' });

      expect(finished.changed).toBe(true);
      expect(s.incident?.attempts[0]).toMatchObject({ commandId: 'cmd-1', status: 'succeeded' });
      expect(again.changed).toBe(false);
      expect(sentLate.changed).toBe(false);
    });

    it('ignores a command result that belongs to no attempt of the incident', () => {
      const s = openAndSend(new Scenario());
      const stray = s.apply({ kind: 'command-finished', commandId: 'cmd-unknown', result: failure });
      expect(stray).toMatchObject({
        changed: false,
        reason: expect.stringContaining('belongs to no attempt'),
      });
    });
  });

  describe('escalation and resolution pages', () => {
    it('escalates at once, without a command, when the alarm names no single instance', () => {
      const s = new Scenario();
      const input = alarmInput('ALARM', T0, { composite: true, metrics: [] });

      s.apply(input);

      expect(s.incident?.status).toBe('escalated');
      expect(s.incident?.key.target).toBe('none');
      expect(s.incident?.escalation?.reason).toContain('composite alarm');
      expect(s.effectsOf('send-command')).toEqual([]);
      expect(s.effectsOf('page')).toHaveLength(1);
    });

    it('sends a resolution message when the alarm returns to OK after the page', () => {
      const s = new Scenario({ ...testRunbook, maxAttempts: 1 });
      openAndSend(s).apply({ kind: 'command-finished', commandId: 'cmd-1', result: failure });
      s.apply({ kind: 'page-sent', page: 'escalation', messageId: 'm-1' });

      s.after(1800).apply(alarmInput('OK', s.now));

      expect(s.incident).toMatchObject({
        status: 'resolved',
        resolution: { how: 'cleared', page: { status: 'due' } },
      });
      expect(s.effectsOf('page').map((p) => p.page)).toEqual(['escalation', 'resolution']);
    });

    it('sends the page again when SNS never confirmed it, and stops once it did', () => {
      const s = new Scenario({ ...testRunbook, maxAttempts: 1 });
      openAndSend(s).apply({ kind: 'command-finished', commandId: 'cmd-1', result: failure });

      s.fireTimer();
      s.apply({ kind: 'page-sent', page: 'escalation', messageId: 'm-1' });
      const current = s.incident as NonNullable<typeof s.incident>;
      const resendAfterSent = s.apply({
        kind: 'timer',
        timer: {
          key: current.key,
          incidentId: current.id,
          kind: 'reconcile',
          token: 'reconcile.1.0.3',
          dueAt: s.now,
        },
      });
      // Once SNS took it, the incident's one timer is the slow check on its alarm, which pages nobody.
      s.fireTimer();

      expect(s.effectsOf('page').map((p) => p.page)).toEqual(['escalation', 'escalation']);
      expect(resendAfterSent.changed).toBe(false);
      expect(s.incident?.timer?.kind).toBe('check');
      expect(s.incident?.escalation?.page).toMatchObject({ status: 'sent', messageId: 'm-1' });
    });

    it('sends no resolution message when nobody was paged', () => {
      const s = openAndSend(new Scenario());
      s.apply({ kind: 'command-finished', commandId: 'cmd-1', result: failure });
      s.apply(alarmInput('OK', T0 + 30_000));
      expect(s.incident).toMatchObject({ status: 'resolved', resolution: { how: 'cleared' } });
      expect(s.effectsOf('page')).toEqual([]);
    });
  });

  describe('reconciliation when SSM events are lost', () => {
    it('lets the check of the send stand for the check of the command: one timer when the send is accepted', () => {
      const s = openAndSend(new Scenario());
      const due = s.incident?.timer?.dueAt;
      const timers = s.effectsOf('schedule-timer').length;

      s.fireTimer({ command: { kind: 'finished', commandId: 'cmd-1', result: success } });

      expect(timers).toBe(1);
      expect(due).toBe(T0 + DISPATCH_CHECK_SECONDS * 1000);
      expect(s.incident?.status).toBe('verifying');
    });

    it('polls a command still running at the check of the send until its deadline, then declares it lost', () => {
      const s = openAndSend(new Scenario());
      const { executionTimeoutSeconds: E, deliveryTimeoutSeconds: D } = testRunbook;
      const hardDeadline = T0 + (E + D + RECONCILE_MARGIN_SECONDS) * 1000;

      const checks: number[] = [];
      while (s.incident?.status === 'remediating' && checks.length < 10) {
        checks.push(s.incident.timer?.dueAt ?? Number.NaN);
        s.fireTimer({ command: { kind: 'in-progress', commandId: 'cmd-1' } });
      }

      expect(checks[0]).toBe(T0 + DISPATCH_CHECK_SECONDS * 1000);
      expect(checks.at(-1)).toBe(hardDeadline);
      expect(s.incident?.attempts[0]).toMatchObject({ status: 'lost' });
    });

    it('checks a short command at its own deadline when that comes before the check of the send', () => {
      const short = { ...testRunbook, executionTimeoutSeconds: 30 };
      const s = openAndSend(new Scenario(short));

      expect(s.effectsOf('schedule-timer')).toHaveLength(2);
      expect(s.incident?.timer?.dueAt).toBe(T0 + (30 + RECONCILE_MARGIN_SECONDS) * 1000);
      expect(T0 + (30 + RECONCILE_MARGIN_SECONDS) * 1000).toBeLessThan(T0 + DISPATCH_CHECK_SECONDS * 1000);
    });

    it('schedules the check at the deadline for an acceptance recorded after the check was due', () => {
      const s = new Scenario();
      s.apply(alarmInput('ALARM', T0));
      s.after(DISPATCH_CHECK_SECONDS);
      s.apply({ kind: 'command-sent', attempt: 1, commandId: 'cmd-late' });

      expect(s.effectsOf('schedule-timer')).toHaveLength(2);
      expect(s.incident?.timer?.dueAt).toBe(
        s.now + (testRunbook.executionTimeoutSeconds + RECONCILE_MARGIN_SECONDS) * 1000,
      );
    });

    it('keeps asking while SSM says the command is in progress, then declares it lost', () => {
      const s = openAndSend(new Scenario());

      s.fireTimer({ command: { kind: 'in-progress', commandId: 'cmd-1' } });
      const polling = s.incident?.status;
      s.fireTimer({ command: { kind: 'in-progress', commandId: 'cmd-1' } });

      expect(polling).toBe('remediating');
      expect(s.incident?.attempts[0]).toMatchObject({ status: 'lost' });
      expect(s.incident?.status).toBe('backing-off');
    });

    it('fails an attempt whose send was interrupted, so a crash between write and SendCommand strands nothing', () => {
      const s = new Scenario();
      s.apply(alarmInput('ALARM', T0));
      const dispatchCheck = s.incident?.timer?.dueAt;

      s.fireTimer({ command: { kind: 'not-found' } });

      expect(dispatchCheck).toBe(T0 + DISPATCH_CHECK_SECONDS * 1000);
      expect(s.incident?.attempts[0]).toMatchObject({
        status: 'lost',
        failure: expect.stringContaining('no command'),
      });
      expect(s.incident?.status).toBe('backing-off');
    });

    it('adopts a command that SSM accepted although the send was never recorded', () => {
      const s = new Scenario();
      s.apply(alarmInput('ALARM', T0));

      s.fireTimer({ command: { kind: 'in-progress', commandId: 'cmd-found' } });

      expect(s.incident?.attempts[0]).toMatchObject({ status: 'running', commandId: 'cmd-found' });
      expect(s.effectsOf('send-command')).toHaveLength(1);
      // The check that found it was spent: the next one is scheduled anew, at the command's deadline.
      expect(s.effectsOf('schedule-timer')).toHaveLength(2);
      expect(s.incident?.timer?.dueAt).toBe(
        s.now + (testRunbook.executionTimeoutSeconds + RECONCILE_MARGIN_SECONDS) * 1000,
      );
    });
  });

  describe('episodes, versions and events', () => {
    it('opens a new incident for a new ALARM after resolution, keeping the version increasing', () => {
      const s = openAndSend(new Scenario());
      s.apply({ kind: 'command-finished', commandId: 'cmd-1', result: success });
      s.apply(alarmInput('OK', T0 + 60_000));
      const first = s.incident;

      s.after(3600).apply(alarmInput('ALARM', T0 + 3_600_000));

      expect(s.incident?.id).not.toBe(first?.id);
      expect(s.incident?.version).toBe((first?.version ?? 0) + 1);
      expect(s.incident?.attempts).toHaveLength(1);
    });

    it('increments the version on every change and never on an absorbed input', () => {
      const s = new Scenario();
      s.apply(alarmInput('ALARM', T0));
      s.apply(alarmInput('ALARM', T0));
      s.apply({ kind: 'command-sent', attempt: 1, commandId: 'cmd-1' });
      expect(s.incident?.version).toBe(2);
    });

    it('announces every transition with a documented detail-type', () => {
      const s = openAndSend(new Scenario());
      s.apply({ kind: 'command-finished', commandId: 'cmd-1', result: failure });
      s.fireTimer();

      const types = s.effectsOf('publish-event').map((e) => e.detailType);

      expect(types).toEqual([
        'Remediation Incident Opened',
        'Remediation Attempt Started',
        'Remediation Attempt Finished',
        'Remediation Incident Backing Off',
        'Remediation Attempt Started',
      ]);
      for (const type of types) expect(REMEDIATION_DETAIL_TYPES).toContain(type);
    });

    it('asks, in one decision, for the command, the check that follows it and the events', () => {
      const s = new Scenario();
      const decision = s.apply(alarmInput('ALARM', T0));
      expect(decision.changed && decision.effects.map((e) => e.kind)).toEqual([
        'send-command',
        'schedule-timer',
        'publish-event',
        'publish-event',
      ]);
    });
  });
});
