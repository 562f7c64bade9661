import { describe, expect, it } from 'vitest';
import type { CommandResult } from '../../functions/core/incident.ts';
import { judgeProbe, PROBE_MARKER, readProbe, SSM_STDOUT_LIMIT } from '../../functions/core/probe.ts';
import { defineRunbook } from '../../functions/core/runbook.ts';
import { alarmInput, Scenario, T0, testRunbook } from '../support/fixtures.ts';

/** The test runbook with the production alarm (disk used > 90 %) and a probe that verifies its remedy. */
const probed = defineRunbook({
  ...testRunbook,
  alarm: {
    metric: { namespace: 'CWAgent', name: 'disk_used_percent' },
    dimensions: { path: '/' },
    periodSeconds: 60,
    comparison: 'GreaterThanThreshold',
    threshold: 90,
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
  },
  proof: { fault: 'fault.sh', probe: 'probe.sh' },
});

function ran(probeLine: string, extra = ''): CommandResult {
  return {
    status: 'Success',
    responseCode: 0,
    stdout: `removed 3 rotated logs, freed 812 MiB\n${extra}probe: 42\n${probeLine}\n`,
  };
}

/** Opens an incident on the probed runbook and has SSM accept its first command. */
function sent(): Scenario {
  const s = new Scenario(probed);
  s.apply(alarmInput('ALARM', T0));
  s.after(1).apply({ kind: 'command-sent', attempt: 1, commandId: 'cmd-1' });
  return s;
}

describe('verification by the probe, right after the remedy', () => {
  it('a healthy reading marks the attempt fixed at once; the alarm OK confirms it', () => {
    const s = sent();
    s.after(20).apply({
      kind: 'command-finished',
      commandId: 'cmd-1',
      result: ran(`${PROBE_MARKER} reading=42`),
    });
    const fixedAt = s.now;
    expect(s.incident?.status).toBe('verifying');
    expect(s.incident?.attempts[0]).toMatchObject({
      fixedAt,
      verification: 'pending',
      probe: { reading: 42, healthy: true },
    });
    expect(s.incident?.history.at(-1)?.what).toContain("reads 42 (the alarm's condition: > 90): fixed");

    s.after(90).apply(alarmInput('OK', s.now));
    expect(s.incident).toMatchObject({ status: 'resolved', resolution: { how: 'verified' } });
    // The time to fix is measured to the probe's reading, not to the alarm's OK.
    expect(s.incident?.attempts[0]).toMatchObject({ fixedAt, verification: 'passed' });
  });

  it('a reading that still breaches fails the attempt at once, without waiting out the verify window', () => {
    const s = sent();
    s.after(20).apply({
      kind: 'command-finished',
      commandId: 'cmd-1',
      result: ran(`${PROBE_MARKER} reading=97.5`),
    });
    expect(s.incident?.status).toBe('backing-off');
    expect(s.incident?.timer?.kind).toBe('retry');
    expect(s.incident?.attempts[0]).toMatchObject({
      status: 'succeeded',
      verification: 'failed',
      probe: { reading: 97.5, healthy: false },
    });
    expect(s.incident?.attempts[0]?.failure).toBe(
      "the probe still reads 97.5 (the alarm's condition: > 90) right after the remedy",
    );
    expect(s.incident?.attempts[0]?.fixedAt).toBeUndefined();
  });

  it('the last attempt still broken pages at once, and the page says what the probe read', () => {
    const s = sent();
    for (let n = 1; n <= probed.maxAttempts; n++) {
      if (n > 1) {
        s.fireTimer();
        s.apply({ kind: 'command-sent', attempt: n, commandId: `cmd-${n}` });
      }
      s.after(15).apply({
        kind: 'command-finished',
        commandId: `cmd-${n}`,
        result: ran(`${PROBE_MARKER} reading=99`),
      });
    }
    expect(s.incident?.status).toBe('escalated');
    expect(s.effectsOf('page')).toHaveLength(1);
    expect(s.incident?.escalation?.reason).toContain(
      "the probe still reads 99 (the alarm's condition: > 90)",
    );
  });

  it('an unreadable probe leaves the verification to the alarm, as without a probe, and says why', () => {
    for (const result of [
      ran(`${PROBE_MARKER} unreadable=the probe exited 2: df: /: No such file`),
      ran('the remedy printed this last'),
      ran(`${PROBE_MARKER} reading=NaN`),
      { status: 'Success', responseCode: 0 } satisfies CommandResult,
    ]) {
      const s = sent();
      s.after(20).apply({ kind: 'command-finished', commandId: 'cmd-1', result });
      expect(s.incident?.status).toBe('verifying');
      expect(s.incident?.timer?.kind).toBe('verify-deadline');
      expect(s.incident?.attempts[0]?.probe?.unreadable).toBeTruthy();
      expect(s.incident?.attempts[0]?.fixedAt).toBeUndefined();
      expect(s.incident?.history.at(-1)?.what).toContain('could not be read');
    }
  });

  it('a healthy probe and an alarm still in ALARM at the window end disagree: the attempt fails, and the page says so', () => {
    const s = sent();
    s.after(20).apply({
      kind: 'command-finished',
      commandId: 'cmd-1',
      result: ran(`${PROBE_MARKER} reading=40`),
    });
    s.fireTimer({ alarmState: 'ALARM', alarmStateAt: T0 });
    expect(s.incident?.status).toBe('backing-off');
    expect(s.incident?.attempts[0]?.failure).toContain('the probe and the alarm disagree');
    expect(s.incident?.attempts[0]?.failure).toContain("reads 40 (the alarm's condition: > 90)");
  });

  it('a duplicate status event carrying the probe line changes nothing', () => {
    const s = sent();
    const result = ran(`${PROBE_MARKER} reading=97`);
    s.after(20).apply({ kind: 'command-finished', commandId: 'cmd-1', result });
    const before = s.incident;
    const again = s.after(1).apply({ kind: 'command-finished', commandId: 'cmd-1', result });
    expect(again.changed).toBe(false);
    expect(s.incident).toBe(before);
  });

  it('reads only the last line: a marker the remedy printed earlier (a log it quotes) is not the probe', () => {
    const s = sent();
    const forged = ran('probe line lost', `${PROBE_MARKER} reading=1\n`);
    s.after(20).apply({ kind: 'command-finished', commandId: 'cmd-1', result: forged });
    expect(s.incident?.attempts[0]?.probe?.healthy).toBeUndefined();
    expect(s.incident?.attempts[0]?.fixedAt).toBeUndefined();
  });

  it('does not trust the last line of an output SSM may have cut at 24,000 characters', () => {
    const long = `${'x'.repeat(SSM_STDOUT_LIMIT)}\n${PROBE_MARKER} reading=1`;
    const verdict = judgeProbe(probed, 'remediate', long);
    expect(verdict?.unreadable).toContain('24,000');
    expect(verdict?.healthy).toBeUndefined();
  });

  it('a runbook without a probe, and the diagnosis, verify by the alarm alone', () => {
    expect(judgeProbe(testRunbook, 'remediate', `${PROBE_MARKER} reading=1`)).toBeUndefined();
    expect(judgeProbe(probed, 'diagnose', `${PROBE_MARKER} reading=1`)).toBeUndefined();
    const s = new Scenario(testRunbook);
    s.apply(alarmInput('ALARM', T0));
    s.apply({ kind: 'command-sent', attempt: 1, commandId: 'cmd-1' });
    s.after(20).apply({
      kind: 'command-finished',
      commandId: 'cmd-1',
      result: ran(`${PROBE_MARKER} reading=99`),
    });
    expect(s.incident?.status).toBe('verifying');
    expect(s.incident?.attempts[0]?.probe).toBeUndefined();
  });

  it('parses the marked line strictly', () => {
    expect(readProbe(`x\n${PROBE_MARKER} reading=-3.25\n\n`)).toEqual({ kind: 'reading', value: -3.25 });
    expect(readProbe(`${PROBE_MARKER} reading=1e9`)).toMatchObject({ kind: 'unreadable' });
    expect(readProbe(`${PROBE_MARKER} reading=12; rm -rf /`)).toMatchObject({ kind: 'unreadable' });
    expect(readProbe(`${PROBE_MARKER} unreadable=`)).toEqual({ kind: 'unreadable', why: 'no reason given' });
    expect(readProbe(`${PROBE_MARKER}reading=1`)).toBeUndefined();
    expect(readProbe(undefined)).toBeUndefined();
  });
});

describe('the verify declaration', () => {
  const base = testRunbook;
  const problemsOf = (definition: object) => {
    try {
      defineRunbook(definition as Parameters<typeof defineRunbook>[0]);
      return '';
    } catch (error) {
      return (error as Error).message;
    }
  };

  it('defaults to the proof probe, run at once with 20 seconds', () => {
    expect(probed.verify).toEqual({ probe: 'probe.sh', settleSeconds: 0, timeoutSeconds: 20 });
    expect(testRunbook.verify).toBeUndefined();
  });

  it('refuses a settle time or timeout out of range, one that crowds out the remedy, and a probe with nothing to judge it by', () => {
    const withAlarm = {
      ...probed,
      alarm: undefined,
      proof: { ...probed.proof, alarm: { comparison: 'GreaterThanThreshold', threshold: 90 } },
    };
    expect(problemsOf({ ...withAlarm, verify: { settleSeconds: 301 } })).toContain(
      'verify.settleSeconds is 301: the wait after the remedy before the probe runs, a whole number of seconds from 0 to 300',
    );
    expect(problemsOf({ ...withAlarm, verify: { timeoutSeconds: 0.5 } })).toContain(
      'verify.timeoutSeconds is 0.5',
    );
    expect(problemsOf({ ...withAlarm, verify: { probe: 'probe.py' } })).toContain(
      `verify.probe: "probe.py" must be a .sh file name`,
    );
    expect(
      problemsOf({
        ...withAlarm,
        executionTimeoutSeconds: 60,
        verify: { settleSeconds: 20, timeoutSeconds: 20 },
      }),
    ).toContain('raise executionTimeoutSeconds to 80');
    expect(problemsOf({ ...base, verify: { probe: 'probe.sh' } })).toContain(
      "verify: the probe's reading is judged by the runbook's alarm condition",
    );
    expect(problemsOf({ ...base, verify: {} })).toContain(
      "verify: name the probe (verify.probe: 'probe.sh')",
    );
    expect(problemsOf({ ...withAlarm, verify: { settleSeconds: 5 } })).toBe('');
  });
});
