import fc from 'fast-check';
import { budgetHour, type SafetyFacts } from '../../functions/core/gates.ts';
import { defineRunbook, type Runbook, type RunbookAction } from '../../functions/core/runbook.ts';
import {
  PAGE_WITHIN_MAX_SECONDS,
  type TimeToPageSettings,
  worstCaseTimeToPage,
} from '../../functions/core/time-to-page.ts';
import { INSTANCE, pageWithinFor, T0, testRunbook } from './fixtures.ts';

/**
 * Arbitraries for the property-based tests of the decider: runbooks, safety facts, a simulated
 * world (SSM, CloudWatch, SNS, the timer queue) and arbitrary input sequences. Everything is plain
 * data, so that fast-check prints a counterexample one can read and replay.
 */

// ---------------------------------------------------------------------------------------------
// Runbooks

/** The knobs of a generated runbook (printed in counterexamples instead of the runbook itself). */
export interface RunbookKnobs {
  readonly maxAttempts: number;
  readonly backoffBaseSeconds: number;
  /** The backoff cap as a multiple of its base. */
  readonly backoffCapFactor: number;
  readonly verifyWindowSeconds: number;
  readonly executionTimeoutSeconds: number;
  readonly deliveryTimeoutSeconds: number;
  /** Attempt 1 runs a diagnose script before its remedy. */
  readonly diagnose: boolean;
  /** Two actions (an escalation ladder) instead of one. */
  readonly ladder: boolean;
  readonly maxWaitSeconds: number;
  readonly cooldownSeconds: number;
  /** A `choose` function that hands over to a human from this attempt on. */
  readonly chooseEscalatesAt: number | undefined;
  readonly mode: 'enforce' | 'approve' | 'dry-run';
}

export const runbookKnobsArb: fc.Arbitrary<RunbookKnobs> = fc
  .record({
    maxAttempts: fc.integer({ min: 1, max: 4 }),
    backoffBaseSeconds: fc.integer({ min: 1, max: 120 }),
    backoffCapFactor: fc.integer({ min: 1, max: 8 }),
    verifyWindowSeconds: fc.integer({ min: 60, max: 600 }),
    executionTimeoutSeconds: fc.integer({ min: 30, max: 600 }),
    deliveryTimeoutSeconds: fc.integer({ min: 30, max: 600 }),
    diagnose: fc.boolean(),
    ladder: fc.boolean(),
    maxWaitSeconds: fc.oneof(
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 60 }) },
      { weight: 3, arbitrary: fc.integer({ min: 60, max: 900 }) },
    ),
    cooldownSeconds: fc.integer({ min: 0, max: 3600 }),
    chooseEscalatesAt: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined, freq: 8 }),
    mode: fc.oneof(
      { weight: 15, arbitrary: fc.constant('enforce' as const) },
      { weight: 3, arbitrary: fc.constant('approve' as const) },
      { weight: 1, arbitrary: fc.constant('dry-run' as const) },
    ),
  })
  // A runbook whose own worst case exceeds the largest budget of time to a human cannot be defined.
  .filter((knobs) => worstCaseTimeToPage(timingOf(knobs)).seconds <= PAGE_WITHIN_MAX_SECONDS);

/** The settings of the knobs that the time to a human is computed from. */
function timingOf(knobs: RunbookKnobs): TimeToPageSettings {
  return {
    maxAttempts: knobs.maxAttempts,
    backoff: {
      baseSeconds: knobs.backoffBaseSeconds,
      capSeconds: knobs.backoffBaseSeconds * knobs.backoffCapFactor,
    },
    verifyWindowSeconds: knobs.verifyWindowSeconds,
    executionTimeoutSeconds: knobs.executionTimeoutSeconds,
    deliveryTimeoutSeconds: knobs.deliveryTimeoutSeconds,
    ...(knobs.diagnose ? { diagnose: 'diagnose.sh' } : {}),
  };
}

const LADDER: readonly RunbookAction[] = [
  { name: 'clean-tmp', script: 'clean-tmp.sh' },
  { name: 'restart-writer', script: 'restart-writer.sh' },
];

/** The runbook the knobs describe, validated like any other (within a property: see below). */
export function buildRunbook(knobs: RunbookKnobs): Runbook {
  const actions = knobs.ladder ? LADDER : testRunbook.actions;
  const escalateAt = knobs.chooseEscalatesAt;
  // Knobs a test changed after generating them (diagnose on, more attempts) may no longer describe a
  // runbook that can be defined: the run is skipped, as fast-check skips a failed precondition.
  fc.pre(worstCaseTimeToPage(timingOf(knobs)).seconds <= PAGE_WITHIN_MAX_SECONDS);
  const { pageWithin: _fixture, ...base } = testRunbook;
  const pageWithin = pageWithinFor(timingOf(knobs));
  return defineRunbook({
    ...base,
    ...(pageWithin ? { pageWithin } : {}),
    actions,
    ...timingOf(knobs),
    cooldownSeconds: knobs.cooldownSeconds,
    concurrency: { ...testRunbook.concurrency, maxWaitSeconds: knobs.maxWaitSeconds },
    mode: knobs.mode,
    ...(escalateAt === undefined
      ? {}
      : {
          choose: ({ attempt }) =>
            attempt >= escalateAt
              ? { escalate: `the disk is a data volume from attempt ${escalateAt} on` }
              : { action: (actions[Math.min(attempt, actions.length) - 1] ?? actions[0])?.name ?? '' },
        }),
  });
}

// ---------------------------------------------------------------------------------------------
// Safety facts

/** The shapes of safety facts a handler can read before a decision. */
export const SAFETY_VARIANTS = [
  'none',
  'free',
  'no-free-slot',
  'leased',
  'budget-spent',
  'paused',
  'breaker',
  'dry-run',
  'not-opted-in',
  'settling',
  'paused-announced',
  'approve-mode',
] as const;
export type SafetyVariant = (typeof SAFETY_VARIANTS)[number];

/**
 * The `settling` variant's instance was launched a minute before T0 with a settle time of two
 * minutes: an attempt asked before this waits for it (the same facts whenever they are drawn).
 */
export const SETTLING_UNTIL = T0 + 60_000;

/** The facts of a variant, as the gates would read them at `now`. */
export function safetyFactsFor(
  variant: SafetyVariant,
  runbook: Runbook,
  now: number,
): SafetyFacts | undefined {
  const free = { slotsInUse: 0, freeSlots: [0, 1, 2, 3] };
  switch (variant) {
    case 'none':
      return undefined;
    case 'free':
      return {
        fleet: free,
        optIn: { instanceId: INSTANCE, tagKey: 'auto-remediate', tagValue: 'true', tagged: true },
      };
    case 'no-free-slot':
      return { fleet: { slotsInUse: runbook.concurrency.maxInFlight, freeSlots: [] } };
    case 'leased':
      return {
        fleet: {
          ...free,
          lease: {
            holder: `service-down.${INSTANCE}.20261121T025900000Z`,
            runbook: 'service-down',
            expiresAt: now + 600_000,
          },
        },
      };
    case 'budget-spent':
      return {
        fleet: { ...free, budget: { hour: budgetHour(now), used: runbook.concurrency.maxPerHour } },
      };
    case 'paused':
      return { paused: { scope: 'this runbook', reason: 'game day', by: 'alice', since: T0 - 60_000 } };
    case 'breaker':
      return {
        fleet: free,
        breaker: {
          openedAt: T0 - 30_000,
          reason: '6 instances alarmed within 10 min (more than 5)',
          instances: 6,
        },
      };
    case 'dry-run':
      return {
        dryRun: {
          mode: 'dry-run',
          reason: '1 of its last 10 runs were verified',
          by: 'auto-disable',
          since: T0 - 3_600_000,
        },
      };
    case 'paused-announced':
      return {
        paused: {
          scope: 'all runbooks',
          reason: 'game day',
          by: 'alice',
          since: T0 - 60_000,
          announcedAt: T0 - 59_000,
        },
      };
    case 'approve-mode':
      return {
        fleet: free,
        dryRun: { mode: 'approve', reason: 'new runbook', by: 'alice', since: T0 - 3_600_000 },
      };
    case 'not-opted-in':
      return {
        optIn: { instanceId: INSTANCE, tagKey: 'auto-remediate', tagValue: 'true', tagged: false },
      };
    case 'settling':
      return {
        fleet: free,
        optIn: {
          instanceId: INSTANCE,
          tagKey: 'auto-remediate',
          tagValue: 'true',
          tagged: true,
          launchedAt: SETTLING_UNTIL - 120_000,
        },
        settleSeconds: 120,
      };
  }
}

/** The fleet's limits only: free, full, or the instance leased by another remediation. */
const FLEET_VARIANTS = ['none', 'free', 'no-free-slot', 'leased'] as const satisfies readonly SafetyVariant[];

/**
 * Several variants, drawn afresh before every decision, so that the facts change between inputs.
 * The fleet's limits (which make an incident wait) come up three times as often as the gates that
 * page or suppress at once, so that runs also get far into their attempts.
 */
export function togglingSafetyArb(): fc.Arbitrary<readonly SafetyVariant[]> {
  return fc.array(
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...FLEET_VARIANTS) },
      { weight: 1, arbitrary: fc.constantFrom(...SAFETY_VARIANTS) },
    ),
    { minLength: 2, maxLength: 6 },
  );
}

/**
 * The variants a run draws from: none at all, always free, a new instance settling, the fleet's
 * limits toggling, or any mix.
 */
export const safetyPlanArb: fc.Arbitrary<readonly SafetyVariant[]> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(['none'] as const) },
  { weight: 1, arbitrary: fc.constant(['free'] as const) },
  { weight: 1, arbitrary: fc.constant(['settling'] as const) },
  { weight: 1, arbitrary: fc.constant(['settling', 'leased'] as const) },
  { weight: 3, arbitrary: fc.array(fc.constantFrom(...FLEET_VARIANTS), { minLength: 2, maxLength: 4 }) },
  { weight: 2, arbitrary: togglingSafetyArb() },
);

// ---------------------------------------------------------------------------------------------
// The simulated world

/** What became of one SendCommand, in the order the decider asks for them. */
export interface CommandPlan {
  /**
   * `accepted`: SSM took it and `command-sent` follows; `refused`: SSM said no (`command-not-sent`);
   * `interrupted`: the handler died before SendCommand (nothing exists); `unconfirmed`: SSM took it
   * but the handler died before recording it (no `command-sent`).
   */
  readonly send: 'accepted' | 'refused' | 'interrupted' | 'unconfirmed';
  /** `stuck`: SSM reports it in progress forever and sends no status event (the agent died). */
  readonly outcome: 'Success' | 'Failed' | 'TimedOut' | 'Undeliverable' | 'stuck';
  /** A successful remedy that fixes the cause: the alarm returns to OK a little later. */
  readonly fixes: boolean;
  /** Delivery and execution as a percentage of the runbook's timeouts. */
  readonly deliveryPercent: number;
  readonly executionPercent: number;
  /** How many times EventBridge delivers the final status event (0: it never reports). */
  readonly statusEvents: number;
  /** Whether GetCommandInvocation had caught up with the event (the result names its Comment). */
  readonly consistent: boolean;
  /** Seconds between SendCommand and the `command-sent` (or `command-not-sent`) input. */
  readonly sentDelaySeconds: number;
}

/** The plan when a run has used up its generated plans: the plain happy case. */
export const DEFAULT_COMMAND: CommandPlan = {
  send: 'accepted',
  outcome: 'Success',
  fixes: true,
  deliveryPercent: 5,
  executionPercent: 10,
  statusEvents: 1,
  consistent: true,
  sentDelaySeconds: 0,
};

export const commandPlanArb: fc.Arbitrary<CommandPlan> = fc.record({
  send: fc.oneof(
    { weight: 6, arbitrary: fc.constant('accepted' as const) },
    { weight: 1, arbitrary: fc.constant('refused' as const) },
    { weight: 1, arbitrary: fc.constant('interrupted' as const) },
    { weight: 1, arbitrary: fc.constant('unconfirmed' as const) },
  ),
  outcome: fc.oneof(
    { weight: 4, arbitrary: fc.constant('Success' as const) },
    { weight: 3, arbitrary: fc.constant('Failed' as const) },
    { weight: 1, arbitrary: fc.constant('TimedOut' as const) },
    { weight: 1, arbitrary: fc.constant('Undeliverable' as const) },
    { weight: 1, arbitrary: fc.constant('stuck' as const) },
  ),
  fixes: fc.boolean(),
  deliveryPercent: fc.integer({ min: 0, max: 100 }),
  executionPercent: fc.integer({ min: 0, max: 100 }),
  statusEvents: fc.integer({ min: 0, max: 3 }),
  consistent: fc.boolean(),
  // Mostly at once; sometimes after the dispatch check (120 s) has already asked SSM.
  sentDelaySeconds: fc.oneof(
    fc.integer({ min: 0, max: 5 }),
    fc.integer({ min: 0, max: 200 }),
    fc.integer({ min: 100, max: 400 }),
  ),
});

/** The alarm: ALARM at T0, then OK after a while or never, then perhaps ALARM again (a second episode). */
export interface AlarmPlan {
  /** Seconds after T0 at which the alarm clears by itself; null: only a fix clears it. */
  readonly okAfterSeconds: number | null;
  /** Seconds between a fixing command's end and the alarm's OK (the alarm's evaluation periods). */
  readonly fixDelaySeconds: number;
  /** Seconds after the first OK at which the alarm fires again; null: it does not. */
  readonly reAlarmAfterSeconds: number | null;
}

export const alarmPlanArb: fc.Arbitrary<AlarmPlan> = fc.record({
  okAfterSeconds: fc.option(fc.integer({ min: 1, max: 7200 }), { nil: null, freq: 3 }),
  fixDelaySeconds: fc.integer({ min: 0, max: 600 }),
  reAlarmAfterSeconds: fc.option(fc.integer({ min: 1, max: 3600 }), { nil: null, freq: 2 }),
});

/** What SNS does with successive pages: takes it and says so, refuses it, or takes it unconfirmed. */
export type PageOutcome = 'confirmed' | 'refused' | 'unconfirmed';

/** At most this many pages fail in a run; every later one is confirmed. */
export const PAGE_FAILURES_MAX = 3;

export const pagePlanArb: fc.Arbitrary<readonly PageOutcome[]> = fc.array(
  fc.constantFrom<PageOutcome>('confirmed', 'refused', 'unconfirmed'),
  { maxLength: PAGE_FAILURES_MAX },
);

/** How the delivery of inputs misbehaves, in percent and seconds. */
export interface Noise {
  /** Chance that an at-least-once event (alarm change, status event) is delivered once more (up to 3). */
  readonly duplicatePercent: number;
  /** Chance that an alarm change, a `command-sent` or a `page-sent` is lost. */
  readonly dropPercent: number;
  /** Longest delay of an event after the fact, which reorders them. */
  readonly eventDelayMaxSeconds: number;
  /** Chance that a timer message is delivered again later (a stale timer). */
  readonly staleTimerPercent: number;
  /** Chance that the timer handler cannot ask SSM and the message comes back (at most twice in a row). */
  readonly observeFailPercent: number;
  /** Chance that DescribeAlarms fails at a verify deadline (the decision uses the stored state). */
  readonly describeFailPercent: number;
  /** How late a timer fires after its due time. */
  readonly timerLateMaxSeconds: number;
  /** Chance that a decision's write waits a moment, and loses the race if another write lands first. */
  readonly racePercent: number;
}

export const noiseArb: fc.Arbitrary<Noise> = fc.record({
  duplicatePercent: fc.integer({ min: 0, max: 60 }),
  dropPercent: fc.integer({ min: 0, max: 40 }),
  eventDelayMaxSeconds: fc.integer({ min: 0, max: 300 }),
  staleTimerPercent: fc.integer({ min: 0, max: 50 }),
  observeFailPercent: fc.integer({ min: 0, max: 40 }),
  describeFailPercent: fc.integer({ min: 0, max: 30 }),
  timerLateMaxSeconds: fc.integer({ min: 0, max: 15 }),
  racePercent: fc.integer({ min: 0, max: 30 }),
});

/** The limits of the simulated handlers, which the bound relies on. */
export const WORLD_LIMITS: {
  readonly sendLatencyMaxSeconds: number;
  readonly timerLateMaxSeconds: number;
  readonly observeRetrySeconds: number;
  readonly observeFailuresMax: number;
  readonly pageSentDelayMaxSeconds: number;
  readonly writeDelayMinMs: number;
  readonly writeDelayMaxMs: number;
  readonly staleTimerLateMaxSeconds: number;
} = {
  /** A handler carries out a send or a page within this many seconds of its decision. */
  sendLatencyMaxSeconds: 10,
  /** Upper bound of {@link Noise.timerLateMaxSeconds}. */
  timerLateMaxSeconds: 15,
  /** A timer whose observation failed comes back after this long, at most this many times in a row. */
  observeRetrySeconds: 30,
  observeFailuresMax: 2,
  /** `page-sent` follows SNS's answer in the same invocation: within seconds, or never. */
  pageSentDelayMaxSeconds: 5,
  /**
   * A delayed write lands (or finds it lost the race) within this many milliseconds, sooner than
   * the shortest timer (1 s): the handler's write is done before its own timer can fire.
   */
  writeDelayMinMs: 1,
  writeDelayMaxMs: 999,
  /** How late a stale duplicate of a timer message can come. */
  staleTimerLateMaxSeconds: 900,
};
export type WorldLimits = typeof WORLD_LIMITS;

/** One generated world: the runbook, what each service does, and the dice for the rest. */
export interface WorldConfig {
  readonly runbook: RunbookKnobs;
  readonly safety: readonly SafetyVariant[];
  readonly alarm: AlarmPlan;
  readonly commands: readonly CommandPlan[];
  readonly pages: readonly PageOutcome[];
  readonly noise: Noise;
  /** Seeds the dice for delays, duplicates, drops, jitter and the choice of safety facts. */
  readonly seed: number;
}

export function worldArb(
  overrides: {
    readonly runbook?: fc.Arbitrary<RunbookKnobs>;
    readonly safety?: fc.Arbitrary<readonly SafetyVariant[]>;
    readonly noise?: fc.Arbitrary<Noise>;
  } = {},
): fc.Arbitrary<WorldConfig> {
  return fc.record({
    runbook: overrides.runbook ?? runbookKnobsArb,
    safety: overrides.safety ?? safetyPlanArb,
    alarm: alarmPlanArb,
    commands: fc.array(commandPlanArb, { maxLength: 8 }),
    pages: pagePlanArb,
    noise: overrides.noise ?? noiseArb,
    seed: fc.integer(),
  });
}

/** A small, fast, seeded PRNG (mulberry32): the world's dice, replayable from the seed. */
export function dice(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    /** A number in [0, 1). */
    next,
    /** An integer in [0, n). */
    below: (n: number): number => Math.floor(next() * n),
    /** True with the given chance in percent. */
    chance: (percent: number): boolean => next() * 100 < percent,
    /** Whole seconds in [0, max], as milliseconds. */
    seconds: (max: number): number => Math.floor(next() * (max + 1)) * 1000,
  };
}
export type Dice = ReturnType<typeof dice>;

// ---------------------------------------------------------------------------------------------
// Arbitrary input sequences (no world behind them)

export const CHAOS_KINDS = [
  'alarm',
  'command-sent',
  'command-not-sent',
  'command-finished',
  'timer',
  'page-sent',
  'resync',
  'responder',
] as const;

/** One input of an arbitrary sequence, built against the incident as it stands (see the test). */
export interface ChaosStep {
  /** Seconds the clock moves before the input. */
  readonly advanceSeconds: number;
  readonly kind: (typeof CHAOS_KINDS)[number];
  /** Dice for the input's details: which attempt, command id, comment, state, timestamp, observation. */
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly safety: SafetyVariant;
  readonly random: number;
}

export const chaosStepArb: fc.Arbitrary<ChaosStep> = fc.record({
  advanceSeconds: fc.oneof(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 1200 })),
  kind: fc.oneof(
    { weight: 3, arbitrary: fc.constant('timer' as const) },
    { weight: 2, arbitrary: fc.constant('alarm' as const) },
    { weight: 2, arbitrary: fc.constant('command-finished' as const) },
    { weight: 2, arbitrary: fc.constant('command-sent' as const) },
    { weight: 1, arbitrary: fc.constant('command-not-sent' as const) },
    { weight: 1, arbitrary: fc.constant('page-sent' as const) },
    { weight: 1, arbitrary: fc.constant('resync' as const) },
    { weight: 1, arbitrary: fc.constant('responder' as const) },
  ),
  a: fc.nat({ max: 1000 }),
  b: fc.nat({ max: 1000 }),
  c: fc.nat({ max: 1000 }),
  safety: fc.oneof(
    { weight: 4, arbitrary: fc.constant('none' as const) },
    { weight: 3, arbitrary: fc.constantFrom(...SAFETY_VARIANTS) },
  ),
  random: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
});

/** A run of arbitrary inputs: the runbook, whether the alarm names an instance, and the inputs. */
export interface ChaosRun {
  readonly runbook: RunbookKnobs;
  readonly composite: boolean;
  readonly steps: readonly ChaosStep[];
}

export const chaosRunArb: fc.Arbitrary<ChaosRun> = fc.record({
  runbook: runbookKnobsArb,
  composite: fc.oneof(
    { weight: 9, arbitrary: fc.constant(false) },
    { weight: 1, arbitrary: fc.constant(true) },
  ),
  steps: fc.array(chaosStepArb, { minLength: 1, maxLength: 60 }),
});
