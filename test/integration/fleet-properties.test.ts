import fc from 'fast-check';
import { describe, inject, it } from 'vitest';
import {
  type AlarmKind,
  type FaultSpec,
  FleetWorld,
  type Noise,
  type WorldOutcome,
  type WorldSpec,
} from '../support/fleet-world.ts';

/**
 * "No silent alarm", as properties of a whole fleet: the real handlers, decider, DynamoDB store and
 * fleet gates (on DynamoDB Local) in a simulated world of several instances, several alarms per
 * instance and per runbook, duplicated, reordered and dropped alarm, command-status and timer events,
 * throttled writes with Lambda's retries, a breaker that opens and closes, and a pause and resume.
 * test/support/fleet-world.ts says what the world does and what it checks.
 *
 * Size: each property runs 8 worlds by default (CI size); FLEET_PROPERTIES_RUNS=300 runs 300 each.
 * A failure prints fast-check's seed and path, the world, the trace about the alarm at fault and the
 * incidents' stories; FLEET_PROPERTIES_SEED=<seed> FLEET_PROPERTIES_PATH=<path> runs that one world
 * again (pick the property with -t). A concurrent world races on DynamoDB Local, so its replay may
 * interleave differently. FLEET_PROPERTIES_TRACE=1 prints every world's trace;
 * FLEET_PROPERTIES_SHRINK=1 shrinks a counterexample (slow: each run is a world);
 * FLEET_PROPERTIES_ALLOW=ok-send,unnamed-suppression counts those violations instead of failing on
 * them, to search past a known defect.
 */

const RUNS = Number(process.env.FLEET_PROPERTIES_RUNS ?? 8);
const SEED = process.env.FLEET_PROPERTIES_SEED
  ? Number(process.env.FLEET_PROPERTIES_SEED)
  : Date.now() ^ Math.floor(Math.random() * 0x7fffffff);
const PATH = process.env.FLEET_PROPERTIES_PATH;
const SHRINK = process.env.FLEET_PROPERTIES_SHRINK === '1';
/** Kinds of violation to count instead of failing on, comma-separated (to search past a known defect). */
const ALLOW = new Set((process.env.FLEET_PROPERTIES_ALLOW ?? '').split(',').filter(Boolean));
/** Faults start within the first 40 minutes; the world then runs until it is quiet. */
const HORIZON = 2400;
/** One to five seconds a world on two cores, depending on what else runs; the big search gets room. */
const TIMEOUT_MS = Math.max(120_000, RUNS * 10_000);

/** A chance in percent: often none, else up to `max`. */
const pct = (max: number) =>
  fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.integer({ min: 0, max }) });

const noiseArb: fc.Arbitrary<Noise> = fc.record({
  alarmDrop: pct(20),
  alarmDup: pct(25),
  alarmDelayMax: fc.integer({ min: 0, max: 120 }),
  statusDrop: pct(30),
  statusDup: pct(25),
  statusDelayMax: fc.integer({ min: 0, max: 90 }),
  timerDup: pct(10),
  timerLateMax: fc.integer({ min: 0, max: 30 }),
  timerLoss: pct(4),
  throttle: pct(12),
  snsReject: pct(20),
  snsLostAck: pct(10),
  publishFail: pct(30),
  ssmRefuse: pct(5),
  ssmUnknown: pct(10),
  ssmReadFail: pct(8),
  describeFail: pct(10),
  commandFail: pct(40),
  commandTimeout: pct(8),
  undeliverable: pct(5),
  insufficientData: pct(20),
  refire: pct(40),
});

function worldArb(
  horizonSeconds: number,
  extra: { storm?: boolean; pause?: boolean } = {},
): fc.Arbitrary<WorldSpec> {
  const at = fc.integer({ min: 0, max: horizonSeconds });
  // Faults that clear while their remediation is under way (racing it), later, or never by themselves.
  const selfClear = fc.option(
    fc.oneof(fc.integer({ min: 20, max: 150 }), fc.integer({ min: 150, max: 3600 })),
    { nil: undefined },
  );
  const fault: fc.Arbitrary<FaultSpec> = fc.record({
    alarm: fc.nat({ max: 11 }),
    at,
    selfClearSeconds: selfClear,
    fixChance: fc.constantFrom(0, 50, 90, 100),
  });
  // A storm late in the run leaves its breaker open when the world first goes quiet.
  const storm = fc.record({
    at: fc.oneof(at, fc.integer({ min: Math.max(0, horizonSeconds - 600), max: horizonSeconds })),
    instances: fc.integer({ min: 2, max: 4 }),
    selfClearSeconds: fc.option(fc.integer({ min: 300, max: 3600 }), { nil: undefined }),
  });
  const pause = fc.record({
    at,
    seconds: fc.integer({ min: 60, max: 1800 }),
    scope: fc.constantFrom<'all' | 'svc' | 'disk'>('all', 'svc', 'disk'),
  });
  return fc.record({
    seed: fc.integer(),
    instances: fc.array(
      fc.record({
        alarms: extra.storm
          ? fc
              .subarray<AlarmKind>(['app', 'worker'], { minLength: 0 })
              .map((a): AlarmKind[] => [...a, 'disk'])
          : fc.subarray<AlarmKind>(['app', 'worker', 'disk'], { minLength: 1 }),
        tagged: fc.oneof(
          { weight: 9, arbitrary: fc.constant(true) },
          { weight: 1, arbitrary: fc.constant(false) },
        ),
      }),
      { minLength: 2, maxLength: 4 },
    ),
    faults: fc.array(fault, { minLength: 1, maxLength: 14 }),
    storm: extra.storm ? storm : fc.option(storm, { nil: undefined }),
    pause: extra.pause ? pause : fc.option(pause, { nil: undefined }),
    noise: noiseArb,
    concurrent: fc.boolean(),
    svc: fc.record({
      diagnose: fc.boolean(),
      maxAttempts: fc.integer({ min: 1, max: 3 }),
      verifyWindowSeconds: fc.constantFrom(60, 120, 300),
      autoDisable: fc.boolean(),
    }),
    disk: fc.record({
      maxInstances: fc.constantFrom(1, 2),
      maxAttempts: fc.integer({ min: 1, max: 3 }),
      verifyWindowSeconds: fc.constantFrom(60, 180, 300),
    }),
    horizonSeconds: fc.constant(horizonSeconds),
  });
}

/** Totals over the worlds a property ran, printed after it (what the search actually exercised). */
class Tally {
  private readonly outcomes: WorldOutcome[] = [];
  private readonly started = Date.now();
  add(outcome: WorldOutcome): void {
    this.outcomes.push(outcome);
    // A long search says how far it got.
    if (RUNS >= 50 && this.outcomes.length % 25 === 0)
      console.log(this.line(`  ... ${this.outcomes.length}/${RUNS}`));
  }
  line(name: string): string {
    const sum = (f: (o: WorldOutcome) => number) => this.outcomes.reduce((s, o) => s + f(o), 0);
    const max = (f: (o: WorldOutcome) => number) => Math.max(0, ...this.outcomes.map(f));
    return (
      `${name}: ${this.outcomes.length} worlds in ${((Date.now() - this.started) / 1000).toFixed(1)}s (seed ${SEED}); ` +
      `${(sum((o) => o.virtualSeconds) / 3600).toFixed(0)} virtual hours, ${sum((o) => o.invocations)} invocations, ` +
      `${sum((o) => o.commands)} commands, ${sum((o) => o.pages)} pages, ${sum((o) => o.throttled)} throttled writes, ` +
      `${sum((o) => o.lostEvents)} events lost, ${sum((o) => o.breakerOpened)} breakers opened, ` +
      `${sum((o) => o.suppressedSeen)} suppressions, ${sum((o) => o.quietPoints)} quiet points, ` +
      `${sum((o) => o.inAlarmAtEnd)} alarms left in ALARM, ${sum((o) => o.repagedAfterUnrecordedConfirmation)} re-pages after a lost confirmation write, ` +
      `max ${max((o) => o.maxTimerDeliveries)} deliveries of one timer (chain depth ${max((o) => o.maxTimerDepth)})` +
      (ALLOW.size > 0
        ? `; allowed violations: ${[...ALLOW].map((k) => `${k} ${sum((o) => o.known[k] ?? 0)}`).join(', ')}`
        : '')
    );
  }
}

async function check(arb: fc.Arbitrary<WorldSpec>, tally: Tally): Promise<void> {
  const endpoint = inject('dynamoDbEndpoint');
  await fc.assert(
    fc.asyncProperty(arb, async (spec) => {
      const world = await FleetWorld.create(spec, endpoint, { allow: ALLOW });
      try {
        const outcome = await world.run();
        tally.add(outcome);
        if (process.env.FLEET_PROPERTIES_TRACE) console.log(outcome.trace.join('\n'));
      } finally {
        await world.dispose();
      }
    }),
    {
      // With a path, only the counterexample it names is run again.
      numRuns: PATH ? 1 : RUNS,
      seed: SEED,
      ...(PATH ? { path: PATH } : {}),
      endOnFailure: !SHRINK,
    },
  );
}

describe('no silent alarm, over a simulated fleet', () => {
  it(
    'answers every alarm in ALARM (progressing, paged, or suppressed under a named breaker), never runs a command for an OK alarm or two on one instance, pages once per episode and bounds every timer',
    async () => {
      const tally = new Tally();
      try {
        await check(worldArb(HORIZON), tally);
      } finally {
        console.log(tally.line('fleet properties'));
      }
    },
    TIMEOUT_MS,
  );

  it(
    'holds it through an alarm storm that opens a breaker and a pause that is resumed',
    async () => {
      const tally = new Tally();
      try {
        await check(worldArb(HORIZON, { storm: true, pause: true }), tally);
      } finally {
        console.log(tally.line('storm and pause'));
      }
    },
    TIMEOUT_MS,
  );
});
