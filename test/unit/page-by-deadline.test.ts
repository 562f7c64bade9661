import { describe, expect, it } from 'vitest';
import type { SafetyFacts } from '../../functions/core/gates.ts';
import type { CommandResult } from '../../functions/core/incident.ts';
import { pageMessage } from '../../functions/core/page-message.ts';
import { PROBE_MARKER } from '../../functions/core/probe.ts';
import { defineRunbook, pageWithinSecondsOf, type Runbook } from '../../functions/core/runbook.ts';
import { alarmInput, INSTANCE, Scenario, T0, testRunbook } from '../support/fixtures.ts';

/**
 * The decider must keep the deadline whatever the settings, so these runbooks are built as objects
 * (validation would refuse slow ones): five minutes to a human, with slow retries and long waits.
 */
const slow: Runbook = {
  ...testRunbook,
  maxAttempts: 5,
  backoff: { baseSeconds: 200, capSeconds: 200 },
  concurrency: { ...testRunbook.concurrency, maxWaitSeconds: 3600 },
  pageWithin: { seconds: 300, reason: 'tests' },
};

const failed: CommandResult = { status: 'Failed', responseCode: 1, stderr: 'no' };
const succeeded: CommandResult = { status: 'Success', responseCode: 0, stdout: 'done' };

/** The lease of the test instance, held by another incident until `until`. */
function leased(until: number): SafetyFacts {
  return {
    fleet: {
      slotsInUse: 0,
      freeSlots: [0, 1, 2],
      lease: { holder: 'another-incident', runbook: 'service-down', expiresAt: until },
    },
  };
}

describe('the page-by deadline', () => {
  it('is the runbook budget after the incident opened', () => {
    const s = new Scenario(slow);
    s.apply(alarmInput('ALARM', T0));
    expect(pageWithinSecondsOf(slow)).toBe(300);
    expect(s.incident?.pageBy).toBe(T0 + 300_000);
    // Read from `pageWithin` when a spread lost the derived field, and 15 minutes when neither says.
    expect(pageWithinSecondsOf({ pageWithin: { seconds: 420, reason: 'r' } } as Runbook)).toBe(420);
    expect(pageWithinSecondsOf({} as Runbook)).toBe(900);
  });

  it('pages between attempts at the deadline, once, whatever attempt it is on', () => {
    const s = new Scenario(slow);
    s.random = 0.999;
    s.apply(alarmInput('ALARM', T0));
    s.apply({ kind: 'command-sent', attempt: 1, commandId: 'cmd-1' });
    s.after(10).apply({ kind: 'command-finished', commandId: 'cmd-1', result: failed });
    // Attempt 2 would start 200 s later; it does, and fails, and the next backoff crosses the deadline.
    s.fireTimer();
    s.apply({ kind: 'command-sent', attempt: 2, commandId: 'cmd-2' });
    s.after(10).apply({ kind: 'command-finished', commandId: 'cmd-2', result: failed });
    expect(s.incident?.status).toBe('backing-off');
    expect(s.incident?.timer).toMatchObject({ kind: 'page-by', dueAt: T0 + 300_000 });

    s.fireTimer();

    expect(s.now).toBe(T0 + 300_000);
    expect(s.incident?.status).toBe('escalated');
    expect(s.effectsOf('page')).toHaveLength(1);
    expect(s.incident?.escalation?.reason).toMatch(
      /^not fixed within its page-by deadline \(5 min after the alarm\): 2 attempt\(s\) failed; last: .*; automation stands down$/,
    );
    expect(s.effectsOf('send-command')).toHaveLength(2);
    // Fires once: the escalated incident keeps its page's timers, never the deadline again.
    s.apply({ kind: 'page-sent', page: 'escalation', messageId: 'm-1' });
    expect(s.incident?.timer?.kind).toBe('check');
  });

  it('pages an incident still waiting on a gate at the deadline, before its wait limit', () => {
    const s = new Scenario(slow);
    s.safety = leased(T0 + 3_600_000);
    s.apply(alarmInput('ALARM', T0));
    expect(s.incident?.status).toBe('waiting');
    let fired = 0;
    while (s.incident?.status === 'waiting' && fired++ < 100) s.fireTimer();

    expect(s.now).toBe(T0 + 300_000);
    expect(s.incident?.status).toBe('escalated');
    expect(s.incident?.escalation?.reason).toContain('waiting on the lease before the first attempt');
    expect(s.effectsOf('send-command')).toHaveLength(0);
  });

  it('pages at once while a command runs, lets it finish holding its lease, and pages no more after it', () => {
    for (const outcome of ['fails', 'fixes'] as const) {
      const s = new Scenario({ ...slow, executionTimeoutSeconds: 600 });
      s.safety = { fleet: { slotsInUse: 0, freeSlots: [0, 1, 2] } };
      s.apply(alarmInput('ALARM', T0));
      s.apply({ kind: 'command-sent', attempt: 1, commandId: 'cmd-1' });
      // SSM says it still runs; its next check would come after the deadline.
      s.fireTimer({ command: { kind: 'in-progress', commandId: 'cmd-1' } });
      expect(s.incident?.timer?.kind).toBe('page-by');

      s.fireTimer();

      expect(s.now).toBe(T0 + 300_000);
      expect(s.incident?.status).toBe('remediating');
      expect(s.incident?.hold).toBeDefined();
      expect(s.incident?.escalation).toMatchObject({ deadline: true, page: { status: 'due' } });
      expect(s.incident?.escalation?.reason).toContain('attempt 1 of 5 is still running action remediate');
      expect(s.effectsOf('page')).toHaveLength(1);
      s.apply({ kind: 'page-sent', page: 'escalation', messageId: 'm-1' });
      expect(s.incident?.status).toBe('remediating');

      const result = outcome === 'fails' ? failed : succeeded;
      s.after(30).apply({ kind: 'command-finished', commandId: 'cmd-1', result });
      if (outcome === 'fails') {
        expect(s.incident?.status).toBe('escalated');
        expect(s.incident?.hold).toBeUndefined();
        expect(s.effectsOf('page')).toHaveLength(1);
        expect(s.incident?.history.at(-1)?.what).toContain("the page-by deadline's page covers it");
      } else {
        s.after(60).apply(alarmInput('OK', s.now));
        expect(s.incident?.status).toBe('resolved');
        // The human paged at the deadline hears that it was fixed.
        expect(s.effectsOf('page').map((p) => p.page)).toEqual(['escalation', 'resolution']);
      }
      expect(s.effectsOf('send-command')).toHaveLength(1);
    }
  });

  it('stands down once the probe read healthy: the fault is fixed, the alarm has only to confirm', () => {
    const probed = {
      ...slow,
      alarm: defineRunbook({
        ...testRunbook,
        alarm: {
          metric: { namespace: 'CWAgent', name: 'disk_used_percent' },
          periodSeconds: 60,
          comparison: 'GreaterThanThreshold',
          threshold: 90,
          evaluationPeriods: 2,
          datapointsToAlarm: 2,
        },
      }).alarm,
      verify: { probe: 'probe.sh', settleSeconds: 0, timeoutSeconds: 20 },
    } as Runbook;
    const s = new Scenario(probed);
    s.apply(alarmInput('ALARM', T0));
    s.apply({ kind: 'command-sent', attempt: 1, commandId: 'cmd-1' });
    s.after(280).apply({
      kind: 'command-finished',
      commandId: 'cmd-1',
      result: { ...succeeded, stdout: `done\n${PROBE_MARKER} reading=40` },
    });
    expect(s.incident?.status).toBe('verifying');
    expect(s.incident?.timer?.kind).toBe('verify-deadline');
    expect(s.incident?.timer?.dueAt).toBeGreaterThan(T0 + 300_000);
  });

  it("counts from the end of a new instance's settle time, not from its alarm", () => {
    const s = new Scenario(slow);
    s.safety = {
      settleSeconds: 600,
      optIn: {
        instanceId: INSTANCE,
        tagKey: 'AutoRemediation',
        tagValue: 'enabled',
        tagged: true,
        launchedAt: T0 - 60_000,
      },
    } as SafetyFacts;
    s.apply(alarmInput('ALARM', T0));
    expect(s.incident?.refusals?.at(-1)?.gate).toBe('settle');
    const settleEnds = T0 + 540_000;
    expect(s.incident?.pageBy).toBeGreaterThanOrEqual(settleEnds + 300_000);
    expect(s.incident?.timer?.kind).toBe('retry');
  });

  it('does not page for an attempt a person asked for: that person holds it', () => {
    const s = new Scenario(slow);
    s.random = 0.999;
    s.apply(alarmInput('ALARM', T0));
    s.apply({ kind: 'command-sent', attempt: 1, commandId: 'cmd-1' });
    s.after(10).apply({ kind: 'command-finished', commandId: 'cmd-1', result: failed });
    s.after(250).apply({ kind: 'responder', verb: 'retry', by: 'alice', request: 'r-1' });
    expect(s.incident?.attempts.at(-1)?.by).toBe('alice');
    expect(s.incident?.timer?.kind).not.toBe('page-by');
    s.fireTimer();
    // The person's attempt failed: it pages as such, not as a deadline automation missed.
    expect(s.effectsOf('page')).toHaveLength(1);
    expect(s.incident?.escalation?.reason).toContain('asked for by alice');
    expect(s.incident?.escalation?.reason).not.toContain('page-by');
  });
});

describe('the page of a page-by deadline', () => {
  it('says in its first line that the budget ran out, and that an attempt still runs; it offers no retry then', () => {
    const s = new Scenario({ ...slow, executionTimeoutSeconds: 600 });
    s.safety = { fleet: { slotsInUse: 0, freeSlots: [0, 1, 2] } };
    s.apply(alarmInput('ALARM', T0));
    s.apply({ kind: 'command-sent', attempt: 1, commandId: 'cmd-1' });
    s.fireTimer({ command: { kind: 'in-progress', commandId: 'cmd-1' } });
    s.fireTimer();
    const [page] = s.effectsOf('page');
    const message = pageMessage(page as NonNullable<typeof page>, slow);

    expect(message.subject).toBe('ALARM: disk-full-web-1 on i-0123456789abcdef0 - not fixed within 5 min');
    expect(message.body.split('\n')[0]).toBe(
      'Automation has not fixed this alarm within 5 min: a human is needed. Attempt 1 is still running; nothing runs after it.',
    );
    expect(message.body).not.toContain('npx remediate retry');
    expect(message.body).toContain('npx remediate take');
  });
});

describe('the page-by deadline after a breaker', () => {
  it('starts afresh when a suppressed incident looks again: the group page told a human, the next page is owed from then', () => {
    const s = new Scenario(slow);
    s.safety = { breaker: { openedAt: T0, reason: 'six instances at once' } } as unknown as SafetyFacts;
    s.apply(alarmInput('ALARM', T0));
    expect(s.incident?.status).toBe('suppressed');
    s.safety = undefined;
    s.after(1800).apply({
      kind: 'resync',
      alarm: alarmInput('ALARM', T0).alarm,
      target: alarmInput('ALARM', T0).target,
      cause: 'the breaker closed',
    } as never);
    expect(s.incident?.status).toBe('remediating');
    expect(s.incident?.pageBy).toBe(T0 + 1_800_000 + 300_000);
    expect(s.incident?.timer?.kind).toBe('reconcile');
  });
});
