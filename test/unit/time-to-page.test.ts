import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Decision } from '../../functions/core/decide.ts';
import { decide } from '../../functions/core/decide.ts';
import { permissiveFacts } from '../../functions/core/gates.ts';
import { type Incident, latestAttempt } from '../../functions/core/incident.ts';
import type { DecisionInput, TimerObservation } from '../../functions/core/inputs.ts';
import {
  DEFAULT_PAGE_WITHIN_SECONDS,
  defineRunbook,
  type Runbook,
  type RunbookDefinition,
} from '../../functions/core/runbook.ts';
import {
  minutesAndSeconds,
  type TimeToPageSettings,
  worstCaseTimeToPage,
} from '../../functions/core/time-to-page.ts';
import { runbooks } from '../../runbooks/index.ts';
import { alarmInput, T0 } from '../support/fixtures.ts';

/** A runbook with nothing but what the time to a human is computed from, and `overrides`. */
function definition(overrides: Partial<RunbookDefinition>): RunbookDefinition {
  return {
    name: 'disk-full',
    description: 'Frees disk space.',
    owner: 'platform-team',
    match: { alarmNames: ['disk-full-*'] },
    remediate: 'remediate.sh',
    maxAttempts: 1,
    backoff: { baseSeconds: 10, capSeconds: 60 },
    verifyWindowSeconds: 120,
    executionTimeoutSeconds: 60,
    deliveryTimeoutSeconds: 30,
    breaker: false,
    ...overrides,
  };
}

/** Why defineRunbook refuses a definition, or '' when it takes it. */
function refusal(overrides: Partial<RunbookDefinition>): string {
  try {
    defineRunbook(definition(overrides));
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('the worst case from the alarm to the page', () => {
  it('one attempt: the command (the 120 s dispatch check over a shorter delivery timeout), then the verify window', () => {
    const worst = worstCaseTimeToPage(defineRunbook(definition({})));

    // 120 (dispatch check) + 60 (execution) + 60 (margin), then 120 (verify window).
    expect(worst.seconds).toBe(360);
    expect(worst.terms).toEqual([
      {
        what: 'attempt 1: command (dispatch check 120s + execution 60s + margin 60s)',
        seconds: 240,
      },
      { what: 'attempt 1: verify window (the remedy succeeded, the alarm stays in ALARM)', seconds: 120 },
    ]);
  });

  it('with a diagnose script, its own command first: the delivery timeout, not the dispatch check', () => {
    const worst = worstCaseTimeToPage(defineRunbook(definition({ diagnose: 'diagnose.sh' })));

    // 30 + 60 + 60 for the diagnosis, then 360 as above.
    expect(worst.seconds).toBe(510);
    expect(worst.terms[0]).toEqual({
      what: 'attempt 1: diagnose command (delivery 30s + execution 60s + margin 60s)',
      seconds: 150,
    });
  });

  it('several attempts: each its command and verify window, and the longest backoff before each after the first', () => {
    const worst = worstCaseTimeToPage(
      defineRunbook(
        definition({
          maxAttempts: 3,
          backoff: { baseSeconds: 20, capSeconds: 1000 },
          verifyWindowSeconds: 300,
          executionTimeoutSeconds: 100,
          deliveryTimeoutSeconds: 200,
          pageWithin: { seconds: 2100, reason: 'a test of three long attempts' },
        }),
      ),
    );

    // A delivery timeout past the dispatch check counts whole: 200 + 100 + 60 = 360 per command.
    expect(worst.terms.map((t) => t.seconds)).toEqual([360, 300, 20, 360, 300, 40, 360, 300]);
    expect(worst.terms.map((t) => t.what)).toEqual([
      'attempt 1: command (delivery 200s + execution 100s + margin 60s)',
      'attempt 1: verify window (the remedy succeeded, the alarm stays in ALARM)',
      'backoff before attempt 2 (its longest draw)',
      'attempt 2: command (delivery 200s + execution 100s + margin 60s)',
      'attempt 2: verify window (the remedy succeeded, the alarm stays in ALARM)',
      'backoff before attempt 3 (its longest draw)',
      'attempt 3: command (delivery 200s + execution 100s + margin 60s)',
      'attempt 3: verify window (the remedy succeeded, the alarm stays in ALARM)',
    ]);
    expect(worst.seconds).toBe(2040);
  });

  it('the backoff doubles from its base up to its cap, and stays there', () => {
    const settings: TimeToPageSettings = {
      maxAttempts: 5,
      backoff: { baseSeconds: 30, capSeconds: 60 },
      verifyWindowSeconds: 60,
      executionTimeoutSeconds: 30,
      deliveryTimeoutSeconds: 30,
    };
    const waits = worstCaseTimeToPage(settings)
      .terms.filter((t) => t.what.startsWith('backoff'))
      .map((t) => t.seconds);

    expect(waits).toEqual([30, 60, 60, 60]);
    // 5 x (120 + 30 + 60 + 60) + 210.
    expect(worstCaseTimeToPage(settings).seconds).toBe(1560);
  });

  it('is the sum of its terms', () => {
    for (const runbook of runbooks) {
      const worst = worstCaseTimeToPage(runbook);
      expect(worst.seconds, runbook.name).toBe(worst.terms.reduce((sum, t) => sum + t.seconds, 0));
    }
  });
});

describe('the shipped runbooks', () => {
  it.each(runbooks.map((r) => [r.name, r] as const))('%s pages within its budget at worst', (_, runbook) => {
    expect(worstCaseTimeToPage(runbook).seconds).toBeLessThanOrEqual(runbook.pageWithinSeconds);
  });

  it('raise the default budget only with a reason', () => {
    for (const runbook of runbooks) {
      if (runbook.pageWithinSeconds !== DEFAULT_PAGE_WITHIN_SECONDS)
        expect(runbook.pageWithinReason?.trim(), runbook.name).toBeTruthy();
    }
  });
});

describe('the budget of time to a human, when a runbook is defined', () => {
  it('refuses settings whose worst case exceeds it, saying by how much, of what, and what to change', () => {
    const message = refusal({
      diagnose: 'diagnose.sh',
      maxAttempts: 2,
      backoff: { baseSeconds: 60, capSeconds: 600 },
      verifyWindowSeconds: 180,
      executionTimeoutSeconds: 150,
    });

    // 240 (diagnosis) + 2 x (330 + 180) + 60 = 1320 s, over the default 900.
    expect(message).toBe(
      [
        'runbook "disk-full" is invalid:',
        '  - time to a human: 22m at worst from the alarm to the page, over its budget of 15m (the default).',
        '    Every attempt failing the slowest way, the largest parts first:',
        '      11m  2 commands of 5m 30s each (the 120s dispatch check, which deliveryTimeoutSeconds 30 does not shorten, + executionTimeoutSeconds 150 + 60s margin)',
        '       6m  2 verify windows of 3m (verifyWindowSeconds 180)',
        '       4m  the diagnose command (deliveryTimeoutSeconds 30 + executionTimeoutSeconds 150 + 60s margin)',
        '       1m  the longest backoff before attempt 2 (backoff: baseSeconds 60, capSeconds 600)',
        "    Lower verifyWindowSeconds (it must still cover the alarm's return to OK),",
        '    executionTimeoutSeconds (it must still cover the scripts), maxAttempts (1 fits with these',
        '    timeouts) or backoff.capSeconds.',
        "    Or, if a human may wait that long, say why: pageWithin: { seconds: 1320, reason: '…' }.",
      ].join('\n'),
    );
  });

  it('says when no budget can hold the worst case', () => {
    const message = refusal({ maxAttempts: 10, verifyWindowSeconds: 600 });

    // 10 x (120 + 60 + 60 + 600) + 10 + 20 + 40 + 6 x 60 = 8830 s.
    expect(message).toContain('time to a human: 147m 10s at worst');
    expect(message).toContain('    No budget holds 147m 10s: pageWithin.seconds is at most 3600.');
    expect(message.replace(/\s+/g, ' ')).toContain('maxAttempts (1 fits with these timeouts)');
  });

  it('accepts a raised budget with its reason, and keeps both on the runbook', () => {
    const runbook = defineRunbook(
      definition({
        maxAttempts: 2,
        verifyWindowSeconds: 360,
        pageWithin: { seconds: 1260, reason: 'CPUUtilization evaluates 5-minute periods' },
      }),
    );

    // 2 x (120 + 60 + 60 + 360) + 10.
    expect(worstCaseTimeToPage(runbook).seconds).toBe(1210);
    expect(runbook.pageWithinSeconds).toBe(1260);
    expect(runbook.pageWithinReason).toBe('CPUUtilization evaluates 5-minute periods');
    expect(refusal({ maxAttempts: 2, verifyWindowSeconds: 360 })).toContain('over its budget of 15m');
  });

  it('measures a declared budget as it is declared', () => {
    const message = refusal({
      maxAttempts: 2,
      verifyWindowSeconds: 360,
      pageWithin: { seconds: 1200, reason: 'CPUUtilization evaluates 5-minute periods' },
      executionTimeoutSeconds: 120,
    });

    // 2 x (120 + 120 + 60 + 360) + 10 = 1330.
    expect(message).toContain(
      'time to a human: 22m 10s at worst from the alarm to the page, over its budget of 20m (pageWithin.seconds 1200).',
    );
  });

  it('refuses pageWithin without a reason', () => {
    expect(refusal({ pageWithin: { seconds: 1200 } as never })).toContain(
      'pageWithin.reason: required with pageWithin; say in a sentence why this budget and not the default',
    );
    expect(refusal({ pageWithin: { seconds: 1200, reason: '  ' } })).toContain('pageWithin.reason: required');
  });

  it('refuses a budget out of range or not whole, and an ill-formed pageWithin', () => {
    for (const seconds of [59, 3601, 900.5, '900'])
      expect(refusal({ pageWithin: { seconds, reason: 'a reason' } as never }), String(seconds)).toContain(
        `pageWithin.seconds is ${JSON.stringify(seconds)}: the most automation may keep a fault from a human, a whole number of seconds from 60 to 3600`,
      );
    expect(refusal({ pageWithin: 1200 as never })).toContain('pageWithin: give { seconds, reason }');
    expect(refusal({ pageWithin: { seconds: 60, reason: 'a fast page' }, maxAttempts: 1 })).toContain(
      'over its budget of 1m (pageWithin.seconds 60)',
    );
  });

  it('says nothing of the budget while a setting it is computed from is itself wrong', () => {
    const message = refusal({ maxAttempts: 20, verifyWindowSeconds: 6000 });

    expect(message).toContain('maxAttempts is 20');
    expect(message).not.toContain('time to a human');
  });
});

describe('minutesAndSeconds', () => {
  it('reads as a person says it', () => {
    expect([45, 60, 750, 900, 1050, 8130].map(minutesAndSeconds)).toEqual([
      '45s',
      '1m',
      '12m 30s',
      '15m',
      '17m 30s',
      '135m 30s',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// The formula against the decider itself.

/** A runbook of `settings`, whose page-by deadline is out of reach: this measures its own worst case. */
function simulated(settings: TimeToPageSettings): Runbook {
  const base = defineRunbook(definition({}));
  const runbook = { ...base, ...settings };
  Object.defineProperty(runbook, 'pageWithinSeconds', { value: 1_000_000 });
  return runbook as Runbook;
}

const SUCCESS = { status: 'Success', responseCode: 0, stdout: 'cleaned' } as const;

/**
 * Walks the real decider from the alarm to the page, attempt after attempt, with every command as
 * slow as the decider lets it be: SSM says "in progress" at every check until the one at which the
 * decider would give the command up, and answers that one with a success (so the remedy's verify
 * window follows); the alarm stays in ALARM at every verify deadline, and each backoff draws its
 * longest wait. `acceptedNow[i]` says whether the i-th command's acceptance reaches the decider at once
 * (`command-sent`), or is lost and found by the dispatch check. Returns the seconds to the page.
 */
function walk(runbook: Runbook, acceptedNow: readonly boolean[]): number {
  const safety = permissiveFacts(runbook);
  let now = T0;
  let incident: Incident | undefined;
  let commands = 0;
  let paged: number | undefined;
  const apply = (input: DecisionInput): Decision => {
    const decision = decide(incident, input, { runbook, now, random: 1 - 1e-9, safety });
    // Every input of the walk is one the decider acts on: one it absorbed would mean a wrong walk.
    if (!decision.changed) throw new Error(`${input.kind} absorbed: ${decision.reason}`);
    incident = decision.incident;
    for (const effect of decision.effects) {
      if (effect.kind === 'page' && effect.page === 'escalation') paged ??= now;
    }
    return decision;
  };
  const sent = (decision: Decision) => {
    for (const effect of decision.changed ? decision.effects : []) {
      if (effect.kind !== 'send-command') continue;
      const index = commands++;
      if (acceptedNow[index])
        apply({
          kind: 'command-sent',
          attempt: effect.attempt,
          ...(effect.phase ? { phase: effect.phase } : {}),
          commandId: `cmd-${index}`,
        });
    }
  };
  sent(apply(alarmInput('ALARM', T0)));
  for (let step = 0; paged === undefined && step < 500; step++) {
    const current = incident as Incident;
    const timer = current.timer;
    if (!timer) throw new Error(`no timer in ${current.status}`);
    now = Math.max(now, timer.dueAt);
    const input = (observation?: TimerObservation): DecisionInput => ({
      kind: 'timer',
      timer: { key: current.key, incidentId: current.id, ...timer },
      ...(observation ? { observation } : {}),
    });
    if (timer.kind === 'reconcile') {
      const attempt = latestAttempt(current);
      const diagnosing = attempt?.status === 'diagnosing';
      const commandId = `cmd-${commands - 1}`;
      // Would the decider wait for the command still? Ask it, and answer "in progress" if so.
      const waiting = decide(current, input({ command: { kind: 'in-progress', commandId } }), {
        runbook,
        now,
        random: 1 - 1e-9,
        safety,
      });
      const after = latestAttempt(waiting.incident as Incident);
      const stillWaiting = diagnosing
        ? after?.status === 'diagnosing' &&
          (after.diagnosis?.status === 'dispatching' || after.diagnosis?.status === 'running')
        : after?.status === 'dispatching' || after?.status === 'running';
      sent(
        apply(
          input(
            stillWaiting
              ? { command: { kind: 'in-progress', commandId } }
              : { command: { kind: 'finished', commandId, result: SUCCESS } },
          ),
        ),
      );
    } else if (timer.kind === 'verify-deadline') {
      sent(apply(input({ alarmState: 'ALARM', alarmStateAt: T0 })));
    } else if (timer.kind === 'retry') {
      sent(apply(input()));
    } else throw new Error(`unexpected timer ${timer.kind} in ${current.status}`);
  }
  if (paged === undefined) throw new Error('never paged');
  return (paged - T0) / 1000;
}

/** The longest walk over every way the commands' acceptances can reach the decider. */
function slowestWalk(settings: TimeToPageSettings): number {
  const runbook = simulated(settings);
  const commands = settings.maxAttempts + (settings.diagnose ? 1 : 0);
  let slowest = 0;
  for (let mask = 0; mask < 2 ** commands; mask++) {
    const acceptedNow = Array.from({ length: commands }, (_, i) => (mask & (1 << i)) !== 0);
    slowest = Math.max(slowest, walk(runbook, acceptedNow));
  }
  return slowest;
}

const settingsArb: fc.Arbitrary<TimeToPageSettings> = fc
  .record({
    maxAttempts: fc.integer({ min: 1, max: 4 }),
    baseSeconds: fc.integer({ min: 1, max: 300 }),
    capFactor: fc.integer({ min: 1, max: 16 }),
    verifyWindowSeconds: fc.integer({ min: 60, max: 900 }),
    executionTimeoutSeconds: fc.integer({ min: 30, max: 600 }),
    deliveryTimeoutSeconds: fc.oneof(fc.integer({ min: 30, max: 119 }), fc.integer({ min: 120, max: 600 })),
    diagnose: fc.boolean(),
  })
  .map((k) => ({
    maxAttempts: k.maxAttempts,
    backoff: { baseSeconds: k.baseSeconds, capSeconds: k.baseSeconds * k.capFactor },
    verifyWindowSeconds: k.verifyWindowSeconds,
    executionTimeoutSeconds: k.executionTimeoutSeconds,
    deliveryTimeoutSeconds: k.deliveryTimeoutSeconds,
    ...(k.diagnose ? { diagnose: 'diagnose.sh' } : {}),
  }));

describe('the worst case is what the decider does', () => {
  it('equals the slowest walk of the real decider from the alarm to the page, for any settings', () => {
    fc.assert(
      fc.property(settingsArb, (settings) => {
        expect(slowestWalk(settings)).toBe(worstCaseTimeToPage(settings).seconds);
      }),
      { numRuns: 100 },
    );
  });

  it("equals it for every shipped runbook's settings", () => {
    for (const runbook of runbooks) {
      // Its timing alone: its parameters would need an alarm and an instance that carry them.
      const settings: TimeToPageSettings = {
        maxAttempts: runbook.maxAttempts,
        backoff: runbook.backoff,
        verifyWindowSeconds: runbook.verifyWindowSeconds,
        executionTimeoutSeconds: runbook.executionTimeoutSeconds,
        deliveryTimeoutSeconds: runbook.deliveryTimeoutSeconds,
        ...(runbook.diagnose ? { diagnose: runbook.diagnose } : {}),
      };
      expect(slowestWalk(settings), runbook.name).toBe(worstCaseTimeToPage(runbook).seconds);
    }
  });
});
