import { describe, expect, it } from 'vitest';
import { permissiveFacts } from '../../functions/core/gates.ts';
import { pageMessage } from '../../functions/core/page-message.ts';
import { defineRunbook } from '../../functions/core/runbook.ts';
import {
  DISPATCH_CHECK_SECONDS,
  diagnoseCommentFor,
  holdSeconds,
  remedySeconds,
} from '../../functions/core/transitions.ts';
import { alarmInput, Scenario, T0, testRunbook } from '../support/fixtures.ts';

const diagnosed = defineRunbook({ ...testRunbook, diagnose: 'diagnose.sh', maxAttempts: 1 });
const output =
  'Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/nvme0n1p1 8376300 8041248 335052 96% /';

describe('diagnostics first', () => {
  it('runs the diagnose script before the first remedy, then the remedy, with the output kept', () => {
    const s = new Scenario(diagnosed);
    s.apply(alarmInput('ALARM', T0));

    const [diagnose] = s.effectsOf('send-command');
    expect(diagnose).toMatchObject({ action: 'diagnose', phase: 'diagnose', attempt: 1 });
    expect(diagnose?.comment).toBe(diagnoseCommentFor(s.incident as never, 1));
    expect(s.incident?.attempts[0]).toMatchObject({
      status: 'diagnosing',
      diagnosis: { status: 'dispatching' },
    });

    s.apply({ kind: 'command-sent', attempt: 1, commandId: 'diag-1', phase: 'diagnose' });
    expect(s.incident?.attempts[0]?.diagnosis).toMatchObject({ status: 'running', commandId: 'diag-1' });
    expect(s.effectsOf('send-command')).toHaveLength(1);

    s.after(5).apply({
      kind: 'command-finished',
      commandId: 'diag-1',
      result: { status: 'Success', responseCode: 0, stdout: output },
    });

    const remedy = s.effectsOf('send-command')[1];
    expect(remedy).toMatchObject({ action: 'remediate', attempt: 1, comment: `${s.incident?.id} attempt 1` });
    expect(remedy?.phase).toBeUndefined();
    expect(s.incident?.attempts[0]).toMatchObject({
      status: 'dispatching',
      requestedAt: T0 + 5000,
      diagnosis: { status: 'finished', commandId: 'diag-1', result: { responseCode: 0, stdout: output } },
    });
  });

  it('lets the check of each send stand for the check of its command: one timer per command sent', () => {
    const s = new Scenario(diagnosed);
    s.apply(alarmInput('ALARM', T0));
    s.apply({ kind: 'command-sent', attempt: 1, commandId: 'diag-1', phase: 'diagnose' });
    const afterDiagnose = s.effectsOf('schedule-timer').length;
    s.after(5).apply({ kind: 'command-finished', commandId: 'diag-1', result: { status: 'Success' } });
    s.apply({ kind: 'command-sent', attempt: 1, commandId: 'cmd-1' });

    expect(afterDiagnose).toBe(1);
    expect(s.effectsOf('schedule-timer')).toHaveLength(2);
    expect(s.incident?.timer?.dueAt).toBe(T0 + 5000 + DISPATCH_CHECK_SECONDS * 1000);
  });

  it('does not diagnose again on later attempts', () => {
    const s = new Scenario(defineRunbook({ ...testRunbook, diagnose: 'diagnose.sh' }));
    s.apply(alarmInput('ALARM', T0));
    s.apply({ kind: 'command-not-sent', attempt: 1, phase: 'diagnose', error: 'ThrottlingException' });
    s.apply({ kind: 'command-not-sent', attempt: 1, error: 'ThrottlingException' });
    s.fireTimer();
    const sent = s.effectsOf('send-command');
    expect(sent.map((e) => `${e.attempt}:${e.action}`)).toEqual(['1:diagnose', '1:remediate', '2:remediate']);
  });

  it('goes on with the remedy when SSM refuses the diagnose command, saying why', () => {
    const s = new Scenario(diagnosed);
    s.apply(alarmInput('ALARM', T0));
    s.apply({ kind: 'command-not-sent', attempt: 1, phase: 'diagnose', error: 'InvalidInstanceId' });
    expect(s.incident?.attempts[0]?.diagnosis).toMatchObject({
      status: 'failed',
      failure: 'SSM did not accept the diagnose command: InvalidInstanceId',
    });
    expect(s.effectsOf('send-command').at(-1)?.action).toBe('remediate');
  });

  it('goes on with the remedy when the diagnose command is lost, found by the dispatch check', () => {
    const s = new Scenario(diagnosed);
    s.apply(alarmInput('ALARM', T0));
    s.fireTimer({ command: { kind: 'not-found' } });
    expect(s.incident?.attempts[0]?.diagnosis?.failure).toMatch(/^SSM has no diagnose command/);
    expect(s.effectsOf('send-command').at(-1)?.action).toBe('remediate');
  });

  it('adopts a diagnose result the status event never delivered', () => {
    const s = new Scenario(diagnosed);
    s.apply(alarmInput('ALARM', T0));
    s.apply({ kind: 'command-sent', attempt: 1, commandId: 'diag-1', phase: 'diagnose' });
    s.fireTimer({
      command: {
        kind: 'finished',
        commandId: 'diag-1',
        result: { status: 'Failed', responseCode: 2, stderr: 'df: /: No such device' },
      },
    });
    expect(s.incident?.attempts[0]?.diagnosis).toMatchObject({
      status: 'finished',
      result: { responseCode: 2 },
    });
    expect(s.effectsOf('send-command').at(-1)?.action).toBe('remediate');
  });

  it('matches a diagnose result that beat command-sent by its Comment, and absorbs its duplicate', () => {
    const s = new Scenario(diagnosed);
    s.apply(alarmInput('ALARM', T0));
    const comment = diagnoseCommentFor(s.incident as never, 1);
    s.apply({
      kind: 'command-finished',
      commandId: 'diag-1',
      result: { status: 'Success', responseCode: 0, comment },
    });
    expect(s.incident?.attempts[0]?.status).toBe('dispatching');
    const late = s.apply({ kind: 'command-sent', attempt: 1, commandId: 'diag-1', phase: 'diagnose' });
    expect(late.changed).toBe(false);
    const again = s.apply({
      kind: 'command-finished',
      commandId: 'diag-1',
      result: { status: 'Success', responseCode: 0, comment },
    });
    expect(again.changed).toBe(false);
    expect(s.effectsOf('send-command')).toHaveLength(2);
  });

  it('carries the diagnosis into the escalation, trimmed, with a link to the full output', () => {
    const s = new Scenario(diagnosed);
    s.apply(alarmInput('ALARM', T0));
    s.apply({ kind: 'command-sent', attempt: 1, commandId: 'diag-1', phase: 'diagnose' });
    const long = Array.from({ length: 200 }, (_, i) => `line ${i}`).join('\n');
    s.apply({
      kind: 'command-finished',
      commandId: 'diag-1',
      result: { status: 'Success', responseCode: 0, stdout: long },
    });
    s.apply({ kind: 'command-sent', attempt: 1, commandId: 'cmd-1' });
    s.apply({
      kind: 'command-finished',
      commandId: 'cmd-1',
      result: { status: 'Failed', responseCode: 1, stderr: 'still full' },
    });

    const page = s.effectsOf('page')[0];
    const body = page ? pageMessage(page, diagnosed).body : '';
    expect(body).toContain('Diagnosis (diagnose.sh), before the first remedy: Success, exit 0');
    expect(body).toContain('    line 199');
    expect(body).not.toContain('    line 100\n');
    expect(body).toContain(
      '  full output: https://us-east-1.console.aws.amazon.com/systems-manager/run-command/diag-1/i-0123456789abcdef0?region=us-east-1',
    );
    expect(body.indexOf('Diagnosis')).toBeLessThan(body.indexOf('Attempts (1):'));
  });

  it('sends no remedy when the alarm cleared while the diagnosis ran: the incident resolves as cleared', () => {
    const s = new Scenario(diagnosed);
    s.apply(alarmInput('ALARM', T0));
    s.apply({ kind: 'command-sent', attempt: 1, commandId: 'diag-1', phase: 'diagnose' });
    s.after(20).apply(alarmInput('OK', T0 + 15_000));
    expect(s.incident?.status).toBe('remediating');
    expect(s.incident?.history.at(-1)?.what).toContain('the remedy is not sent unless the alarm returns');

    s.after(10).apply({
      kind: 'command-finished',
      commandId: 'diag-1',
      result: { status: 'Success', responseCode: 0 },
    });

    expect(s.effectsOf('send-command').map((e) => e.action)).toEqual(['diagnose']);
    expect(s.incident).toMatchObject({ status: 'resolved', resolution: { how: 'cleared' } });
    expect(s.incident?.attempts[0]).toMatchObject({
      status: 'withdrawn',
      diagnosis: { status: 'finished', commandId: 'diag-1' },
    });
    expect(s.incident?.hold).toBeUndefined();
  });

  it('sends no remedy when the alarm cleared and the diagnosis is found by the check, or lost', () => {
    for (const command of [
      { kind: 'finished' as const, commandId: 'diag-1', result: { status: 'Success', responseCode: 0 } },
      { kind: 'not-found' as const },
    ]) {
      const s = new Scenario(diagnosed);
      s.apply(alarmInput('ALARM', T0));
      s.apply({ kind: 'command-sent', attempt: 1, commandId: 'diag-1', phase: 'diagnose' });
      s.after(20).apply(alarmInput('OK', T0 + 15_000));
      s.fireTimer({ command });
      expect(s.effectsOf('send-command').map((e) => e.action)).toEqual(['diagnose']);
      expect(s.incident?.status).toBe('resolved');
    }
  });

  it('sends the remedy when the alarm cleared during the diagnosis and came back before it ended', () => {
    const s = new Scenario(diagnosed);
    s.apply(alarmInput('ALARM', T0));
    s.apply({ kind: 'command-sent', attempt: 1, commandId: 'diag-1', phase: 'diagnose' });
    s.after(20).apply(alarmInput('OK', T0 + 15_000));
    s.after(20).apply(alarmInput('ALARM', T0 + 35_000));
    s.after(10).apply({
      kind: 'command-finished',
      commandId: 'diag-1',
      result: { status: 'Success', responseCode: 0 },
    });
    expect(s.effectsOf('send-command').map((e) => e.action)).toEqual(['diagnose', 'remediate']);
    expect(s.incident?.status).toBe('remediating');
  });

  it('sends no remedy once the hold on the instance is too short for it: a late diagnosis result pages instead', () => {
    const s = new Scenario(diagnosed);
    s.safety = permissiveFacts(diagnosed);
    s.apply(alarmInput('ALARM', T0));
    expect(s.incident?.hold?.expiresAt).toBe(T0 + holdSeconds(diagnosed) * 1000);
    s.apply({ kind: 'command-sent', attempt: 1, commandId: 'diag-1', phase: 'diagnose' });
    // The result comes (its event lost, its checks throttled) when the lease no longer covers a remedy.
    s.after(holdSeconds(diagnosed) - remedySeconds(diagnosed) + 1).apply({
      kind: 'command-finished',
      commandId: 'diag-1',
      result: { status: 'Success', responseCode: 0 },
    });
    expect(s.effectsOf('send-command').map((e) => e.action)).toEqual(['diagnose']);
    expect(s.incident?.attempts[0]).toMatchObject({ status: 'withdrawn' });
    expect(s.incident?.status).toBe('escalated');
    expect(s.incident?.hold).toBeUndefined();
    expect(s.effectsOf('page')).toHaveLength(1);
  });

  it('keeps the hold for the diagnosis and the remedy', () => {
    expect(holdSeconds(diagnosed) - holdSeconds(testRunbook)).toBe(60 + 120 + 60);
  });
});
