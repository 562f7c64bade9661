import { describe, expect, it } from 'vitest';
import type { FleetFacts } from '../../functions/core/gates.ts';
import { defineRunbook, type Runbook } from '../../functions/core/runbook.ts';
import {
  fallbackDueAt,
  WAIT_FALLBACK_SECONDS,
  waitEntryOf,
  waitListFor,
} from '../../functions/core/wait-lists.ts';
import { alarmInput, INSTANCE, Scenario, T0, testRunbook } from '../support/fixtures.ts';

/**
 * The decider's side of the wait lists: a wait on the lease or a slot joins the line of what it
 * waits for (an effect, carried out by the shell after the write), and keeps only a slow fallback
 * timer, whose last look falls on the wait's deadline.
 */

const free: FleetFacts = { slotsInUse: 0, freeSlots: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] };
const full: FleetFacts = { slotsInUse: 10, freeSlots: [] };
const leased: FleetFacts = {
  ...free,
  lease: { holder: 'service-down/i-0123456789abcdef0/x', runbook: 'service-down', expiresAt: T0 + 600_000 },
};
/** No page-by deadline within the waits below: the fallback's own timers show. */
const patient = defineRunbook({
  ...testRunbook,
  pageWithin: { seconds: 3600, reason: 'the tests of the wait lists look at the waits alone' },
});

/** An incident opened on a full fleet that no release ever wakes: the offsets of its own looks, until it stops waiting. */
function waitItOut(runbook: Runbook): { s: Scenario; looks: number[] } {
  const s = new Scenario(runbook);
  s.safety = { fleet: full };
  s.apply(alarmInput('ALARM', T0));
  const looks: number[] = [];
  while (s.incident?.status === 'waiting') {
    looks.push((s.incident.timer?.dueAt ?? 0) - T0);
    s.fireTimer();
  }
  return { s, looks };
}

describe('a wait on a busy gate', () => {
  it('joins the runbook line for a slot, with a wake-up that is a retry bearing the current token', () => {
    const s = new Scenario(patient);
    s.safety = { fleet: full };

    s.apply(alarmInput('ALARM', T0));

    const incident = s.incident;
    expect(incident?.status).toBe('waiting');
    expect(s.effectsOf('join-wait-list')).toEqual([
      {
        kind: 'join-wait-list',
        list: 'runbook:disk-full',
        until: T0 + 900_000,
        wake: {
          key: incident?.key,
          incidentId: incident?.id,
          kind: 'retry',
          token: incident?.timer?.token,
          dueAt: incident?.timer?.dueAt,
        },
      },
    ]);
    // The slow fallback, not a poll: the default 900 s wait in two looks.
    expect(incident?.timer).toMatchObject({ kind: 'retry', dueAt: T0 + WAIT_FALLBACK_SECONDS * 1000 });
    expect(s.effectsOf('schedule-timer')).toHaveLength(1);
    expect(incident?.history.at(-1)?.what).toMatch(/in line for a slot, woken as soon as one is given back/);
  });

  it("joins the instance's line when another remediation holds its lease", () => {
    const s = new Scenario(patient);
    s.safety = { fleet: leased };
    s.apply(alarmInput('ALARM', T0));
    expect(s.effectsOf('join-wait-list').map((e) => e.list)).toEqual([`instance:${INSTANCE}`]);
  });

  it('looks again on its own only at the fallback: two looks in a 900 s wait, the last on the deadline, where it pages on time', () => {
    const { s, looks } = waitItOut(patient);

    expect(looks).toEqual([450_000, 900_000]);
    expect(s.incident?.status).toBe('escalated');
    expect(s.now).toBe(T0 + 900_000);
    expect(s.incident?.escalation?.reason).toMatch(
      /^refused by the concurrency gate: .*waited 900s \(limit 900s\)$/,
    );
    // Each look that waited again stood in line again, at the same place (the same deadline).
    expect(new Set(s.effectsOf('join-wait-list').map((e) => e.until))).toEqual(new Set([T0 + 900_000]));
  });

  it('splits a wait that is not a multiple of the fallback into equal looks, never past the deadline', () => {
    const runbook = defineRunbook({
      ...patient,
      concurrency: { maxInFlight: 10, maxPerHour: 60, maxWaitSeconds: 700 },
    });
    const { s, looks } = waitItOut(runbook);
    expect(looks).toEqual([350_000, 700_000]);
    expect(s.incident?.status).toBe('escalated');
  });

  it('takes the slot when woken before its fallback, as soon as one is given back', () => {
    const s = new Scenario(patient);
    s.safety = { fleet: full };
    s.apply(alarmInput('ALARM', T0));
    const wake = s.effectsOf('join-wait-list')[0]?.wake;

    // A slot is given back 42 s later: the wake-up (the current retry, sent at once) is delivered.
    s.now = T0 + 42_000;
    s.safety = { fleet: { slotsInUse: 9, freeSlots: [7] } };
    s.apply({
      kind: 'timer',
      timer: {
        ...(wake as NonNullable<typeof wake>),
        dueAt: s.now,
        wake: { list: 'runbook:disk-full', slot: 7 },
      },
    });

    expect(s.incident?.status).toBe('remediating');
    expect(s.incident?.hold?.slot).toBe(7);
    expect(s.effectsOf('send-command')).toHaveLength(1);
  });

  it('waits again in the same place when woken but the slot was taken first', () => {
    const s = new Scenario(patient);
    s.safety = { fleet: full };
    s.apply(alarmInput('ALARM', T0));
    const first = s.effectsOf('join-wait-list')[0];

    s.after(42).apply(s.currentTimer());

    expect(s.incident?.status).toBe('waiting');
    expect(s.incident?.waitingSince).toBe(T0);
    const again = s.effectsOf('join-wait-list')[1];
    expect(again).toMatchObject({ list: first?.list, until: first?.until });
    expect(again?.wake.token).toBe(s.incident?.timer?.token);
    // The next fallback look splits what is left of the wait (858 s) into two.
    expect(s.incident?.timer?.dueAt).toBe(T0 + 42_000 + 429_000);
  });

  it('stands in line beside the page-by deadline when that comes first: the wake-up is still a retry', () => {
    // A human is paged 1980 s after the alarm, before the hour this runbook may wait for a slot.
    const s = new Scenario(
      defineRunbook({
        ...testRunbook,
        pageWithin: { seconds: 1980, reason: 'the worst case of its attempts' },
        concurrency: { maxInFlight: 10, maxPerHour: 60, maxWaitSeconds: 3600 },
      }),
    );
    s.safety = { fleet: full };
    s.apply(alarmInput('ALARM', T0));
    for (let look = 0; look < 20 && s.incident?.timer?.kind === 'retry'; look++) s.fireTimer();

    expect(s.incident?.status).toBe('waiting');
    expect(s.incident?.timer).toMatchObject({ kind: 'page-by', dueAt: T0 + 1_980_000 });
    const join = s.effectsOf('join-wait-list').at(-1);
    expect(join?.wake).toMatchObject({ kind: 'retry', token: s.incident?.timer?.token });
  });

  it('joins no line for a settle wait, nor once the wait pages', () => {
    const settling = new Scenario(patient);
    settling.safety = {
      fleet: full,
      settleSeconds: 600,
      optIn: { instanceId: INSTANCE, tagKey: 'k', tagValue: 'v', tagged: true, launchedAt: T0 - 60_000 },
    };
    settling.apply(alarmInput('ALARM', T0));
    expect(settling.incident?.status).toBe('waiting');
    expect(settling.effectsOf('join-wait-list')).toEqual([]);

    const s = new Scenario(patient);
    s.safety = { fleet: full };
    s.apply(alarmInput('ALARM', T0));
    s.now = T0 + 900_000;
    const paged = s.apply(s.currentTimer());
    expect(paged.changed && paged.effects.filter((e) => e.kind === 'join-wait-list')).toEqual([]);
  });
});

describe('the wait lists, pure', () => {
  it('name the line of each gate that waits, and none for the others', () => {
    const s = new Scenario(patient);
    s.safety = { fleet: full };
    s.apply(alarmInput('ALARM', T0));
    const incident = s.incident as NonNullable<typeof s.incident>;
    expect(waitListFor('concurrency', incident, 'disk-full')).toBe('runbook:disk-full');
    expect(waitListFor('lease', incident, 'disk-full')).toBe(`instance:${INSTANCE}`);
    expect(waitListFor('budget', incident, 'disk-full')).toBeUndefined();
    expect(waitEntryOf(incident, patient)).toEqual({ list: 'runbook:disk-full', until: T0 + 900_000 });

    s.safety = { fleet: free };
    s.after(10).apply(s.currentTimer());
    expect(waitEntryOf(s.incident, patient)).toBeUndefined();
  });

  it('space the fallback looks evenly up to the deadline, at most WAIT_FALLBACK_SECONDS apart', () => {
    expect(fallbackDueAt(0, 900_000)).toBe(450_000);
    expect(fallbackDueAt(0, 450_000)).toBe(450_000);
    expect(fallbackDueAt(0, 451_000)).toBe(226_000);
    expect(fallbackDueAt(0, 60_000)).toBe(60_000);
    expect(fallbackDueAt(5_000, 5_400)).toBe(6_000);
    for (const left of [1_001, 7_777, 299_999, 450_000, 900_000, 3_600_000]) {
      const due = fallbackDueAt(T0, T0 + left);
      expect(due).toBeGreaterThan(T0);
      expect(due - T0).toBeLessThanOrEqual(WAIT_FALLBACK_SECONDS * 1000);
      expect(due).toBeLessThanOrEqual(T0 + left + 1000);
    }
  });
});
