import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { incidentStory, readIncidents } from '../../cli/incidents.ts';
import { DynamoDbFleetGuard } from '../../functions/adapters/aws/dynamodb-fleet-guard.ts';
import { DynamoDbIncidentStore } from '../../functions/adapters/aws/dynamodb-incident-store.ts';
import { DynamoDbKillSwitch } from '../../functions/adapters/aws/dynamodb-kill-switch.ts';
import type { AlarmChange, AlarmStateValue } from '../../functions/core/alarm.ts';
import type { PageEffect, PublishEventEffect, SendCommandEffect } from '../../functions/core/effects.ts';
import { breakerHolds } from '../../functions/core/fleet.ts';
import { breakerKey, type Notice } from '../../functions/core/fleet-messages.ts';
import { incidentKeyFor } from '../../functions/core/identity.ts';
import {
  type AlarmMemory,
  type CommandResult,
  type Incident,
  type IncidentKey,
  isIncident,
  type KeyRecord,
} from '../../functions/core/incident.ts';
import { type CommandObservation, deliveryTime, type QueuedTimer } from '../../functions/core/inputs.ts';
import {
  type AlarmReader,
  type AlarmReading,
  type Clock,
  CommandOutcomeUnknownError,
  type CommandRunner,
  type EventPublisher,
  type IncidentStore,
  type Pager,
  type TimerQueue,
} from '../../functions/core/ports.ts';
import { defineRunbook, type Runbook } from '../../functions/core/runbook.ts';
import { WAIT_MIN_SECONDS } from '../../functions/core/transitions.ts';
import { createAlarmHandler } from '../../functions/handlers/alarm-handler.ts';
import {
  OVERDUE_TIMER_MS,
  type ResyncCause,
  type ResyncReport,
} from '../../functions/handlers/alarm-resync.ts';
import { createCommandStatusHandler } from '../../functions/handlers/command-status-handler.ts';
import { BREAKER_UPDATE_OVERDUE_MS } from '../../functions/handlers/fleet-gates.ts';
import { RunbookCatalog } from '../../functions/handlers/runbook-catalog.ts';
import { assembleRuntime, type Runtime } from '../../functions/handlers/runtime.ts';
import { createTimerHandler, MAX_REDELIVERIES } from '../../functions/handlers/timer-handler.ts';
import {
  type AwsEvent,
  alarmArn,
  alarmStateChange,
  commandInvocationStatusChange,
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  type LocalAlarm,
  lambdaContext,
  sqsEvent,
} from '../../local/aws-shapes.ts';
import { createIncidentTable, localDynamoDbClient } from '../../local/dynamodb-local.ts';
import { RecordedMetrics } from '../../local/local-ports.ts';
import { pageWithinFor } from './fixtures.ts';

/**
 * A simulated fleet for property tests of "no silent alarm": several instances, several alarms per
 * instance and per runbook, CloudWatch, SSM, SNS, SQS and EventBridge played in virtual time, and the
 * product's real handlers, decider, DynamoDB store and fleet gates (on DynamoDB Local) in the middle.
 *
 * What the world does to the product: alarms go to ALARM at random times (alone or in a storm),
 * clear by themselves or when a command fixes them, and fire again; alarm and command-status events
 * are dropped, duplicated and delayed (so reordered); Lambda retries a failed invocation twice and
 * then dead-letters the event; timer messages are late, duplicated, lost now and then, and received
 * again after a failure until SQS dead-letters them; DynamoDB throttles a share of the product's
 * writes; SNS refuses pages or takes them without saying so; SSM refuses commands, gives no clear
 * answer, times out, and its reads fail; DescribeAlarms fails; an operator pauses and resumes.
 *
 * What is checked while it runs: SSM never gets a command for an instance that already runs one, nor
 * for an alarm whose latest state known to the product is OK, nor for an instance without the opt-in
 * tag (nor is anyone paged for one: it is not this deployment's); an escalation page is never sent again
 * once its confirmation was recorded, nor for a second escalation of one episode; a timer acts at most
 * once, and no timer message is sent around more than a bound. At each quiet point (nothing pending
 * but the resync's schedule, slow checks and the timers of an open breaker whose group page went out,
 * and a resync pass changed nothing): every alarm in ALARM on an opted-in instance has an open incident of its current
 * episode that is progressing, or paged and not resolved, or suppressed while its breaker holds and
 * its group page names the instance. At the end, once the slow checks and the resync ran, no alarm
 * that is OK keeps an open incident, even one whose timer the world lost.
 */

// ---------------------------------------------------------------------------------------------
// The world's description (what fast-check generates)

/** The alarms an instance may carry: two services (one runbook, two alarms) and a disk. */
export type AlarmKind = 'app' | 'worker' | 'disk';

export interface InstanceSpec {
  readonly alarms: readonly AlarmKind[];
  /** Whether the instance carries the opt-in tag. */
  readonly tagged: boolean;
}

/** A fault: its alarm goes to ALARM; it clears by itself after a while, or when a command fixes it. */
export interface FaultSpec {
  /** Index into the world's alarms (modulo their number). */
  readonly alarm: number;
  /** Seconds after the start. */
  readonly at: number;
  /** Clears by itself this long after it started; absent: only a command clears it. */
  readonly selfClearSeconds?: number;
  /** The chance (percent) that a successful command clears it. */
  readonly fixChance: number;
}

/** Chances in percent, delays in seconds. */
export interface Noise {
  readonly alarmDrop: number;
  readonly alarmDup: number;
  readonly alarmDelayMax: number;
  readonly statusDrop: number;
  readonly statusDup: number;
  readonly statusDelayMax: number;
  readonly timerDup: number;
  readonly timerLateMax: number;
  readonly timerLoss: number;
  readonly throttle: number;
  readonly snsReject: number;
  readonly snsLostAck: number;
  readonly publishFail: number;
  readonly ssmRefuse: number;
  readonly ssmUnknown: number;
  readonly ssmReadFail: number;
  readonly describeFail: number;
  readonly commandFail: number;
  readonly commandTimeout: number;
  readonly undeliverable: number;
  readonly insufficientData: number;
  /** The chance that a fault comes back 30 s to 10 min after it cleared (flapping), while faults still start. */
  readonly refire: number;
}

export interface WorldSpec {
  /** Seeds the world's dice (every delay, drop and outcome) and the product's jitter. */
  readonly seed: number;
  readonly instances: readonly InstanceSpec[];
  readonly faults: readonly FaultSpec[];
  /** Disk faults on several instances within two minutes: the disk runbook's breaker opens. */
  readonly storm?: { readonly at: number; readonly instances: number; readonly selfClearSeconds?: number };
  /** The kill switch: pause at `at`, resume `seconds` later (then a resync, as `remediate resume` asks). */
  readonly pause?: { readonly at: number; readonly seconds: number; readonly scope: 'all' | 'svc' | 'disk' };
  readonly noise: Noise;
  /** Entries due at the same virtual second run at once (real races on DynamoDB Local); else one by one. */
  readonly concurrent: boolean;
  readonly svc: {
    readonly diagnose: boolean;
    readonly maxAttempts: number;
    readonly verifyWindowSeconds: number;
    readonly autoDisable: boolean;
  };
  readonly disk: {
    readonly maxInstances: number;
    readonly maxAttempts: number;
    readonly verifyWindowSeconds: number;
  };
  /** No fault starts after this many seconds. */
  readonly horizonSeconds: number;
}

/** Ahead of the wall clock: DynamoDB Local deletes items whose TTL (derived from leases' expiry) has passed. */
export const T0 = Date.parse('2031-03-01T00:00:00.000Z');
/** The stack's default resync schedule. */
export const RESYNC_SECONDS = 300;
/** Slow checks of escalated and suppressed incidents (the construct's `slowCheckInterval`). */
export const CHECK_SECONDS = 1800;
/** How long after the horizon the world may take to become quiet. */
export const SETTLE_MAX_SECONDS = 12 * 3600;
/** Lambda's async retries after a failed invocation (after 1 and 3 minutes), then the failure queue. */
const LAMBDA_RETRY_DELAYS = [60, 120];
/** SQS: the timer queue's visibility timeout (six times the function's) and receives before its DLQ. */
const VISIBILITY_SECONDS = 360;
const MAX_RECEIVES = 5;
const SQS_MAX_DELAY_SECONDS = 900;

export const SVC_RUNBOOK = 'svc-restart';
export const DISK_RUNBOOK = 'disk-cleanup';
export const DOCUMENTS: Readonly<Record<string, string>> = {
  [SVC_RUNBOOK]: 'Remediation-svc-restart',
  [DISK_RUNBOOK]: 'Remediation-disk-cleanup',
};

/** The two runbooks of a world: services (two alarms of one runbook per instance) and disks (with a breaker). */
export function worldRunbooks(spec: WorldSpec): { svc: Runbook; disk: Runbook } {
  const svcTiming = {
    maxAttempts: spec.svc.maxAttempts,
    backoff: { baseSeconds: 30, capSeconds: 120 },
    verifyWindowSeconds: spec.svc.verifyWindowSeconds,
    executionTimeoutSeconds: 60,
    deliveryTimeoutSeconds: 60,
    ...(spec.svc.diagnose ? { diagnose: 'diagnose.sh' } : {}),
  };
  const svcBudget = pageWithinFor(svcTiming);
  const svc = defineRunbook({
    name: SVC_RUNBOOK,
    description: 'Restarts the service the alarm names.',
    owner: 'platform-team',
    match: { alarmNames: ['svc-*'] },
    remediate: 'restart.sh',
    ...svcTiming,
    ...(svcBudget ? { pageWithin: svcBudget } : {}),
    parameters: {
      service: {
        description: 'the unit to restart',
        allowedPattern: '^[a-z][a-z0-9-]{0,31}$',
        fromAlarm: { dimension: 'exe' },
      },
    },
    cooldownSeconds: 600,
    concurrency: { maxInFlight: 2, maxPerHour: 20, maxWaitSeconds: 600 },
    breaker: false,
    autoDisable: spec.svc.autoDisable ? { lastRuns: 4, minSuccessRate: 0.5 } : false,
  });
  const diskTiming = {
    maxAttempts: spec.disk.maxAttempts,
    backoff: { baseSeconds: 60, capSeconds: 240 },
    verifyWindowSeconds: spec.disk.verifyWindowSeconds,
    executionTimeoutSeconds: 90,
    deliveryTimeoutSeconds: 60,
  };
  const diskBudget = pageWithinFor(diskTiming);
  const disk = defineRunbook({
    name: DISK_RUNBOOK,
    description: 'Frees disk space.',
    owner: 'storage-team',
    match: { alarmNames: ['disk-*'] },
    remediate: 'cleanup.sh',
    ...diskTiming,
    ...(diskBudget ? { pageWithin: diskBudget } : {}),
    cooldownSeconds: 900,
    concurrency: { maxInFlight: 3, maxPerHour: 20, maxWaitSeconds: 600 },
    breaker: { maxInstances: spec.disk.maxInstances, windowSeconds: 600, quietSeconds: 900 },
    autoDisable: false,
  });
  return { svc, disk };
}

// ---------------------------------------------------------------------------------------------
// Dice, errors, the trace

/** A small seeded generator (mulberry32): the world's every roll comes from it. */
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
    next,
    /** True with the given chance in percent. */
    chance: (percent: number): boolean => next() * 100 < percent,
    /** Whole seconds in [min, max]. */
    seconds: (min: number, max: number): number => min + Math.floor(next() * (Math.max(0, max - min) + 1)),
  };
}
type Dice = ReturnType<typeof dice>;

const INJECTED = Symbol('injected');

/** An AWS error the world made on purpose (a throttle, a refusal, an outage): the product must cope. */
function injected(name: string, message: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(message), {
    name,
    [INJECTED]: true,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode, attempts: 1, totalRetryDelay: 0 },
  });
}

function isInjected(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[INJECTED] === true;
}

/** A property of the world that did not hold; the message carries the trace. */
export class WorldViolation extends Error {
  override readonly name = 'WorldViolation';
}

const rel = (at: number): string => `t+${Math.round((at - T0) / 1000)}s`;

// ---------------------------------------------------------------------------------------------
// Virtual time

type EntryKind =
  | 'fault'
  | 'evaluate'
  | 'alarm-event'
  | 'status-event'
  | 'command'
  | 'timer'
  | 'resync'
  | 'operator';

interface Entry {
  readonly at: number;
  readonly order: number;
  readonly kind: EntryKind;
  readonly label: string;
  readonly run: () => Promise<void>;
  /** May be pending at a quiet point (the resync's schedule, a slow check, an open breaker's timer). */
  readonly quiet?: () => boolean;
}

/**
 * Virtual time: entries run in time order and the clock jumps from one to the next. With
 * `concurrent`, the entries due at the same moment run at once, so their handlers race on DynamoDB.
 */
class VirtualTime implements Clock {
  private entries: Entry[] = [];
  private order = 0;
  private current: number;
  private readonly concurrent: boolean;

  constructor(start: number, concurrent: boolean) {
    this.current = start;
    this.concurrent = concurrent;
  }

  now(): number {
    return this.current;
  }

  at(at: number, kind: EntryKind, label: string, run: () => Promise<void>, quiet?: () => boolean): void {
    this.entries.push({
      at: Math.max(at, this.current),
      order: this.order++,
      kind,
      label,
      run,
      ...(quiet ? { quiet } : {}),
    });
  }

  get pending(): readonly Entry[] {
    return this.entries;
  }

  nextAt(): number | undefined {
    let min: number | undefined;
    for (const e of this.entries) if (min === undefined || e.at < min) min = e.at;
    return min;
  }

  /** Runs the next entry (or every entry due at the next moment, when concurrent); false when none is left. */
  async step(): Promise<boolean> {
    if (this.entries.length === 0) return false;
    this.entries.sort((a, b) => a.at - b.at || a.order - b.order);
    const first = this.entries[0] as Entry;
    const batch = this.concurrent ? this.entries.filter((e) => e.at === first.at) : [first];
    const chosen = new Set(batch);
    this.entries = this.entries.filter((e) => !chosen.has(e));
    this.current = first.at;
    if (batch.length === 1) await first.run();
    else await Promise.all(batch.map((e) => e.run()));
    return true;
  }

  /** Runs entries due up to `until`. */
  async runUntil(
    until: number,
    steps: { count: number },
    maxSteps: number,
    afterStep: () => void,
  ): Promise<void> {
    for (;;) {
      const next = this.nextAt();
      if (next === undefined || next > until) break;
      if (++steps.count > maxSteps)
        throw new WorldViolation(`more than ${maxSteps} steps: the world does not settle`);
      await this.step();
      afterStep();
    }
    if (this.current < until) this.current = until;
  }
}

// ---------------------------------------------------------------------------------------------
// Invocations: which handler invocation did what, for the causal checks

type InvocationKind = 'alarm' | 'command-status' | 'timer' | 'resync' | 'operator';

interface Invocation {
  readonly id: number;
  readonly kind: InvocationKind;
  readonly label: string;
  readonly startSeq: number;
  endSeq?: number;
  ok?: boolean;
  /** The timer message's token, for a timer invocation. */
  readonly token?: string;
  /** The chain depth of the timer message delivered (see WorldTimerQueue). */
  readonly depth?: number;
}

/** A state of an alarm the product was told (an event) or read (DescribeAlarms), by one invocation. */
interface Observation {
  readonly state: AlarmStateValue;
  readonly at: number;
  readonly invocation: Invocation;
}

// ---------------------------------------------------------------------------------------------
// The world's alarms

interface WorldAlarm {
  readonly name: string;
  readonly arn: string;
  readonly kind: AlarmKind;
  readonly instanceId: string;
  readonly runbook: Runbook;
  readonly local: LocalAlarm;
  readonly key: IncidentKey;
  state: AlarmStateValue;
  stateAt: number;
  fault: boolean;
  faultId: number;
  fixChance: number;
  evaluating: boolean;
  readonly observations: Observation[];
}

interface WorldCommand {
  readonly commandId: string;
  readonly instanceId: string;
  readonly alarm: WorldAlarm | undefined;
  readonly incidentId: string;
  readonly attempt: number;
  readonly phase: 'diagnose' | 'remedy';
  readonly comment: string;
  readonly requestedAt: number;
  readonly endsAt: number;
  readonly runbook: string;
  result?: CommandResult;
}

interface PageRecord {
  readonly at: number;
  readonly kind: 'proposal' | 'escalation' | 'resolution' | Notice['kind'];
  /** The incident id, or the notice's key. */
  readonly id: string;
  readonly delivered: boolean;
  readonly confirmed: boolean;
  readonly body?: string;
}

interface TimerTrack {
  sends: number;
  deliveries: number;
  /** Copies the world lost (dropped, or dead-lettered after failed receives). */
  lost: number;
  /** Copies queued and not yet delivered or lost. */
  pending: number;
  /** Times a decision written on this timer changed the incident (a timer acts at most once). */
  acted: number;
  readonly firstSentAt: number;
  readonly dueAt: number;
  maxDepth: number;
}

/** What one run of the world did, for the report. */
export interface WorldOutcome {
  readonly virtualSeconds: number;
  readonly steps: number;
  readonly invocations: number;
  readonly commands: number;
  readonly pages: number;
  readonly throttled: number;
  readonly lostEvents: number;
  readonly quietPoints: number;
  readonly breakerOpened: number;
  readonly suppressedSeen: number;
  readonly inAlarmAtEnd: number;
  /** Escalation pages a human got again because SNS took one but its confirmation's write was lost. */
  readonly repagedAfterUnrecordedConfirmation: number;
  readonly maxTimerDeliveries: number;
  readonly maxTimerDepth: number;
  /** Violations of an allowed kind, by kind. */
  readonly known: Readonly<Record<string, number>>;
  readonly trace: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// The world

/** How a run treats what it finds. */
export interface WorldOptions {
  /**
   * Kinds of violation to count instead of failing on (`ok-send`: a command for an alarm whose latest
   * known state is OK; `unnamed-suppression`: a suppressed instance its breaker's group page does not
   * name), to search past a known defect. Empty by default: every violation fails.
   */
  readonly allow?: ReadonlySet<string>;
}

export class FleetWorld {
  readonly spec: WorldSpec;
  private readonly options: WorldOptions;
  /** Allowed violations seen, by kind. */
  private readonly known = new Map<string, number>();
  readonly runbooks: { svc: Runbook; disk: Runbook };
  private readonly time: VirtualTime;
  private readonly roll: Dice;
  private readonly jitter: Dice;
  private readonly alarms: WorldAlarm[] = [];
  private readonly alarmsByHash = new Map<string, WorldAlarm>();
  private readonly commands = new Map<string, WorldCommand>();
  private readonly pages: PageRecord[] = [];
  private readonly timers = new Map<string, TimerTrack>();
  private readonly trace: string[] = [];
  private readonly als = new AsyncLocalStorage<Invocation>();
  private seq = 0;
  private invocationCount = 0;
  private readonly counters = {
    saves: 0,
    remembers: 0,
    schedules: 0,
    sends: 0,
    pages: 0,
    throttled: 0,
    lostEvents: 0,
    quietPoints: 0,
    breakerOpened: 0,
    suppressedSeen: 0,
    repaged: 0,
  };
  /** Per incident id, the version whose write recorded its escalation page as sent (SNS confirmed it). */
  private readonly escalationConfirmed = new Map<string, number>();
  private readonly resolutionConfirmed = new Map<string, number>();
  /** Per incident id, the escalations (by their time) that were paged. */
  private readonly escalationsPaged = new Map<string, Set<number>>();
  /** Violations found inside the product's calls (a port cannot throw them: the product would catch them). */
  private readonly failures: string[] = [];
  private readonly client: DynamoDBClient;
  private readonly inspector: DynamoDBClient;
  private readonly table: string;
  private readonly endpoint: string;
  private runtime!: Runtime;
  private handlers!: {
    alarm: (event: AwsEvent) => Promise<unknown>;
    status: (event: AwsEvent) => Promise<unknown>;
    timer: (body: string) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;
  };
  private readonly inspectStore: DynamoDbIncidentStore;
  private readonly inspectFleet: DynamoDbFleetGuard;
  private readonly operator: DynamoDbKillSwitch;
  private phase: 'active' | 'settle' | 'final' = 'active';
  private readonly steps = { count: 0 };

  private constructor(spec: WorldSpec, endpoint: string, options: WorldOptions) {
    this.spec = spec;
    this.options = options;
    this.endpoint = endpoint;
    this.runbooks = worldRunbooks(spec);
    this.time = new VirtualTime(T0, spec.concurrent);
    this.roll = dice(spec.seed);
    this.jitter = dice(spec.seed ^ 0x5bd1e995);
    this.table = `fleet-${randomUUID()}`;
    this.client = localDynamoDbClient(endpoint);
    this.inspector = localDynamoDbClient(endpoint);
    this.inspectStore = new DynamoDbIncidentStore(this.inspector, this.table);
    this.inspectFleet = new DynamoDbFleetGuard(this.inspector, this.table);
    this.operator = new DynamoDbKillSwitch(this.inspector, this.table);
    this.buildAlarms();
  }

  /** A world on a fresh table of the DynamoDB Local at `endpoint`. */
  static async create(spec: WorldSpec, endpoint: string, options: WorldOptions = {}): Promise<FleetWorld> {
    const world = new FleetWorld(spec, endpoint, options);
    await createIncidentTable(world.inspector, world.table);
    world.assemble();
    return world;
  }

  /** Drops the world's table and clients. */
  async dispose(): Promise<void> {
    await this.inspector.send(new DeleteTableCommand({ TableName: this.table })).catch(() => undefined);
    this.client.destroy();
    this.inspector.destroy();
  }

  private note(what: string): void {
    const inv = this.als.getStore();
    this.trace.push(`${rel(this.time.now())} ${inv ? `[${inv.label}] ` : ''}${what}`);
  }

  // --- building --------------------------------------------------------------------------------

  private buildAlarms(): void {
    this.spec.instances.forEach((instance, index) => {
      const instanceId = `i-0000000000000a${String(index + 1).padStart(3, '0')}`;
      for (const kind of instance.alarms) {
        const runbook = kind === 'disk' ? this.runbooks.disk : this.runbooks.svc;
        const name = kind === 'disk' ? `disk-root-w${index + 1}` : `svc-${kind}-w${index + 1}`;
        const local: LocalAlarm = {
          name,
          namespace: 'CWAgent',
          metricName: kind === 'disk' ? 'disk_used_percent' : 'procstat_lookup_pid_count',
          dimensions:
            kind === 'disk' ? { InstanceId: instanceId, path: '/' } : { InstanceId: instanceId, exe: kind },
          threshold: kind === 'disk' ? 90 : 1,
          periodSeconds: 60,
        };
        const change = this.alarmChange(name, local, 'ALARM', T0);
        const alarm: WorldAlarm = {
          name,
          arn: alarmArn(name),
          kind,
          instanceId,
          runbook,
          local,
          key: incidentKeyFor(runbook.name, change, { kind: 'instance', instanceId }),
          state: 'OK',
          stateAt: T0 - 86_400_000,
          fault: false,
          faultId: 0,
          fixChance: 0,
          evaluating: false,
          observations: [],
        };
        this.alarms.push(alarm);
        this.alarmsByHash.set(alarm.key.alarm, alarm);
      }
    });
  }

  private alarmChange(name: string, local: LocalAlarm, state: AlarmStateValue, at: number): AlarmChange {
    return {
      alarmName: name,
      alarmArn: alarmArn(name),
      account: LOCAL_ACCOUNT,
      region: LOCAL_REGION,
      state,
      previousState: undefined,
      stateAt: at,
      reason: `Threshold Crossed: ${local.metricName}`,
      metrics: [
        { namespace: local.namespace, metricName: local.metricName, dimensions: { ...local.dimensions } },
      ],
      usesExpression: false,
      composite: false,
      // DescribeAlarms returns no tags.
      tags: {},
    };
  }

  private assemble(): void {
    const logger = new Logger({ serviceName: 'fleet-properties', logLevel: 'SILENT' });
    // The product logs the errors it swallows (a timer that failed, a resync that could not reconcile
    // an alarm): any that the world did not inject is a defect, of the product or of this harness.
    const error = logger.error.bind(logger);
    logger.error = ((message: string, ...rest: unknown[]) => {
      for (const extra of rest) {
        const cause = (extra as { error?: unknown } | undefined)?.error;
        if (cause !== undefined && !isInjected(cause)) this.unexpected(`${message}`, cause);
      }
      error(message, ...(rest as []));
    }) as typeof logger.error;
    this.installThrottles();
    const store = new ObservedStore(new DynamoDbIncidentStore(this.client, this.table), this);
    const runtime = assembleRuntime({
      store,
      killSwitch: new DynamoDbKillSwitch(this.client, this.table),
      fleet: new DynamoDbFleetGuard(this.client, this.table),
      inventory: {
        describe: async (ids) =>
          ids.map((instanceId) => ({
            instanceId,
            availabilityZone: 'us-east-1a',
            instanceType: 'm6i.large',
            imageId: 'ami-0abcdef1234567890',
          })),
      },
      optIn: {
        optIn: async (instanceId) => ({
          instanceId,
          tagKey: 'AutoRemediation',
          tagValue: 'enabled',
          tagged: this.tagged(instanceId),
        }),
      },
      commands: new WorldSsm(this),
      timers: new WorldTimerQueue(this),
      pager: new WorldPager(this),
      events: new WorldPublisher(this),
      alarms: new WorldCloudWatch(this),
      clock: this.time,
      random: () => this.jitter.next(),
      logger,
      metrics: new RecordedMetrics(),
      runbooks: new RunbookCatalog([this.runbooks.svc, this.runbooks.disk], DOCUMENTS),
      checkSeconds: CHECK_SECONDS,
    });
    this.runtime = runtime;
    const alarm = createAlarmHandler(runtime);
    const status = createCommandStatusHandler(runtime);
    const timer = createTimerHandler(runtime);
    this.handlers = {
      alarm: (event) => alarm(event, lambdaContext('alarm')),
      status: (event) => status(event, lambdaContext('command-status')),
      timer: async (body) =>
        (await timer(sqsEvent([body]), lambdaContext('timer'))) ?? { batchItemFailures: [] },
    };
  }

  private tagged(instanceId: string): boolean {
    const index = Number(instanceId.slice(-3)) - 1;
    return this.spec.instances[index]?.tagged ?? true;
  }

  /** DynamoDB throttles a share of the product's writes (after the SDK's own retries ran out). */
  private installThrottles(): void {
    const writes = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem']);
    this.client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers?: Record<string, string> } | undefined;
        const target = request?.headers?.['x-amz-target'] ?? request?.headers?.['X-Amz-Target'] ?? '';
        const operation = target.split('.')[1] ?? '';
        if (writes.has(operation) && this.roll.chance(this.spec.noise.throttle)) {
          this.counters.throttled++;
          this.note(`DynamoDB throttled ${operation}`);
          throw injected(
            'ProvisionedThroughputExceededException',
            'The level of configured provisioned throughput for the table was exceeded',
          );
        }
        return next(args);
      },
      { step: 'build', priority: 'low', name: 'fleetWorldThrottles' },
    );
  }

  /** An error the world did not inject reached a handler's edge (or was logged and swallowed by it). */
  unexpected(what: string, error: unknown): void {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    this.fail(`unexpected error: ${what}: ${text}`);
  }

  // --- invocations -----------------------------------------------------------------------------

  private async invoke<T>(
    kind: InvocationKind,
    label: string,
    run: () => Promise<T>,
    extra: { token?: string; depth?: number; failed?: (result: T) => boolean } = {},
  ): Promise<{ ok: true; result: T } | { ok: false; error: unknown }> {
    const invocation: Invocation = {
      id: ++this.invocationCount,
      kind,
      label: `${label}#${this.invocationCount}`,
      startSeq: ++this.seq,
      ...(extra.token ? { token: extra.token } : {}),
      ...(extra.depth !== undefined ? { depth: extra.depth } : {}),
    };
    try {
      const result = await this.als.run(invocation, run);
      invocation.ok = !(extra.failed?.(result) ?? false);
      return { ok: true, result };
    } catch (error) {
      invocation.ok = false;
      return { ok: false, error };
    } finally {
      invocation.endSeq = ++this.seq;
    }
  }

  /** EventBridge to a Lambda function (async): a failed invocation is retried twice, then dead-lettered. */
  private async lambda(
    kind: 'alarm' | 'command-status',
    label: string,
    event: AwsEvent,
    attempt = 0,
  ): Promise<void> {
    const handler = kind === 'alarm' ? this.handlers.alarm : this.handlers.status;
    const outcome = await this.invoke(kind, label, async () => {
      if (kind === 'alarm') this.observeEvent(event);
      return handler(event);
    });
    if (outcome.ok) {
      const r = outcome.result as { outcome?: string; reason?: string } | undefined;
      this.note(`${label}: ${r?.outcome ?? 'done'}${r?.reason ? ` (${r.reason.slice(0, 120)})` : ''}`);
      return;
    }
    if (!isInjected(outcome.error)) this.unexpected(`${label} failed`, outcome.error);
    const delay = LAMBDA_RETRY_DELAYS[attempt];
    if (delay === undefined) {
      this.counters.lostEvents++;
      this.note(`${label}: failed ${attempt + 1} times; to the failure queue (lost)`);
      return;
    }
    this.note(`${label}: failed (${(outcome.error as Error).name}); Lambda retries in ${delay}s`);
    this.time.at(
      this.time.now() + delay * 1000,
      kind === 'alarm' ? 'alarm-event' : 'status-event',
      `${label} retry`,
      () => this.lambda(kind, `${label} retry ${attempt + 1}`, event, attempt + 1),
    );
  }

  /** Delivers an event as EventBridge would: dropped, duplicated, delayed. */
  private emit(kind: 'alarm' | 'command-status', label: string, event: AwsEvent): void {
    const n = this.spec.noise;
    const [drop, dup, max] =
      kind === 'alarm'
        ? [n.alarmDrop, n.alarmDup, n.alarmDelayMax]
        : [n.statusDrop, n.statusDup, n.statusDelayMax];
    if (this.roll.chance(drop)) {
      this.counters.lostEvents++;
      this.note(`${label}: event dropped`);
      return;
    }
    const copies = this.roll.chance(dup) ? 2 : 1;
    for (let copy = 0; copy < copies; copy++) {
      // On a five-second grid, so that deliveries meet (and race, in a concurrent world).
      const delay = 5 * Math.floor(this.roll.seconds(0, this.roll.chance(70) ? Math.min(10, max) : max) / 5);
      const name = `${label}${copy ? ' (dup)' : ''}`;
      this.time.at(
        this.time.now() + delay * 1000,
        kind === 'alarm' ? 'alarm-event' : 'status-event',
        name,
        () => this.lambda(kind, name, event),
      );
    }
  }

  private observeEvent(event: AwsEvent): void {
    const detail = event.detail as { alarmName?: string; state?: { value?: string; timestamp?: string } };
    const alarm = this.alarms.find((a) => a.name === detail.alarmName);
    const invocation = this.als.getStore();
    if (!alarm || !invocation || !detail.state?.timestamp) return;
    const at = Date.parse(detail.state.timestamp.replace('+0000', 'Z'));
    alarm.observations.push({ state: detail.state.value as AlarmStateValue, at, invocation });
  }

  observeReading(alarm: WorldAlarm, state: AlarmStateValue, at: number): void {
    const invocation = this.als.getStore();
    if (invocation) alarm.observations.push({ state, at, invocation });
  }

  // --- the alarms' truth -------------------------------------------------------------------------

  private startFault(alarm: WorldAlarm, fault: FaultSpec | undefined, why: string): void {
    if (this.phase !== 'active') return;
    if (!alarm.fault) {
      alarm.fault = true;
      alarm.faultId++;
      alarm.fixChance = fault?.fixChance ?? 50;
      this.note(`fault on ${alarm.name} (${why}; a good command fixes it with ${alarm.fixChance}%)`);
      this.evaluateLater(alarm);
    }
    const clear = fault?.selfClearSeconds;
    if (clear !== undefined) {
      const id = alarm.faultId;
      this.time.at(this.time.now() + clear * 1000, 'fault', `${alarm.name} clears by itself`, async () => {
        if (alarm.fault && alarm.faultId === id) this.clearFault(alarm, 'cleared by itself');
      });
    }
  }

  private clearFault(alarm: WorldAlarm, why: string): void {
    alarm.fault = false;
    this.note(`${alarm.name} healthy again (${why})`);
    this.evaluateLater(alarm);
    if (this.phase === 'active' && this.roll.chance(this.spec.noise.refire)) {
      const fault: FaultSpec = {
        alarm: 0,
        at: 0,
        fixChance: alarm.fixChance,
        selfClearSeconds: this.roll.seconds(30, 900),
      };
      this.time.at(
        this.time.now() + this.roll.seconds(30, 600) * 1000,
        'fault',
        `${alarm.name} fails again`,
        async () => this.startFault(alarm, fault, 'the fault came back'),
      );
    }
  }

  /** CloudWatch evaluates the metric a period or so later. */
  private evaluateLater(alarm: WorldAlarm): void {
    if (alarm.evaluating) return;
    alarm.evaluating = true;
    this.time.at(
      this.time.now() + this.roll.seconds(30, 90) * 1000,
      'evaluate',
      `evaluate ${alarm.name}`,
      async () => {
        alarm.evaluating = false;
        const want: AlarmStateValue = alarm.fault ? 'ALARM' : 'OK';
        if (alarm.state === want) return;
        if (want === 'OK' && alarm.state === 'ALARM' && this.roll.chance(this.spec.noise.insufficientData)) {
          // The metric stops for a while: INSUFFICIENT_DATA, which the stack does not route.
          this.transition(alarm, 'INSUFFICIENT_DATA');
          this.evaluateLater(alarm);
          return;
        }
        this.transition(alarm, want);
      },
    );
  }

  private transition(alarm: WorldAlarm, to: AlarmStateValue): void {
    const from = alarm.state;
    const previousAt = alarm.stateAt;
    const at = this.time.now();
    alarm.state = to;
    alarm.stateAt = at;
    this.note(`CloudWatch: ${alarm.name} ${from} -> ${to}`);
    if (to === 'INSUFFICIENT_DATA') return;
    const event = alarmStateChange(alarm.local, {
      from,
      to,
      at,
      previousAt,
      value: to === 'ALARM' ? 95 : 10,
    });
    this.emit('alarm', `${to} ${alarm.name}@${rel(at)}`, event);
  }

  /** A command ended: a remedy that succeeded may fix its alarm's fault. */
  private commandEnded(command: WorldCommand): void {
    const alarm = command.alarm;
    if (command.phase !== 'remedy' || command.result?.status !== 'Success' || !alarm?.fault) return;
    if (this.roll.chance(alarm.fixChance))
      this.clearFault(alarm, `fixed by command ${command.commandId.slice(-4)}`);
  }

  // --- checks while it runs --------------------------------------------------------------------

  private violation(message: string): never {
    throw new WorldViolation(message);
  }

  /**
   * Records a violation found inside a port; the run stops at the end of the step. A violation of a
   * kind the run was told to allow (a known defect, to search past it) is only counted.
   */
  private fail(kindOrMessage: string, message?: string): void {
    if (message !== undefined && this.allowed(kindOrMessage, message)) return;
    const text = message ?? kindOrMessage;
    this.note(`VIOLATION: ${text}`);
    this.failures.push(text);
  }

  /** Whether a violation of this kind is allowed in this run (counted and traced, not failed). */
  private allowed(kind: string, message: string): boolean {
    if (!this.options.allow?.has(kind)) return false;
    this.known.set(kind, (this.known.get(kind) ?? 0) + 1);
    this.note(`KNOWN DEFECT (${kind}, allowed): ${message}`);
    return true;
  }

  private throwIfFailed(): void {
    const [first] = this.failures;
    if (first !== undefined) throw new WorldViolation(first);
  }

  /** At every SendCommand: no command running on the instance, and the alarm's latest known state is not OK. */
  checkSend(effect: SendCommandEffect): void {
    if (!this.tagged(effect.instanceId))
      this.fail(`${describeSend(effect)}: a command for an instance without the opt-in tag`);
    const running = [...this.commands.values()].filter(
      (c) => c.instanceId === effect.instanceId && c.result === undefined,
    );
    if (running.length > 0)
      this.fail(
        `two commands in flight on ${effect.instanceId}: ${describeSend(effect)} while ${running
          .map((c) => `${c.commandId.slice(-4)} (${c.comment}, ends ${rel(c.endsAt)})`)
          .join(', ')} runs`,
      );
    const alarm = this.alarmsByHash.get(effect.key.alarm);
    const invocation = this.als.getStore();
    if (!alarm || !invocation) return;
    // Known to the product: an ALARM any invocation so far was told or read (generous), an OK told to
    // or read by this invocation, or by one that completed before it started (so no race is blamed).
    let alarmAt = Number.NEGATIVE_INFINITY;
    let ok: Observation | undefined;
    for (const o of alarm.observations) {
      if (o.state === 'ALARM') alarmAt = Math.max(alarmAt, o.at);
      const settled =
        o.invocation === invocation ||
        (o.invocation.ok === true && (o.invocation.endSeq ?? Number.POSITIVE_INFINITY) < invocation.startSeq);
      if (o.state === 'OK' && settled && (!ok || o.at > ok.at)) ok = o;
    }
    if (ok && ok.at > alarmAt)
      this.fail(
        'ok-send',
        `${describeSend(effect)} for ${alarm.name}, whose latest known state is OK since ${rel(ok.at)} (told to ${ok.invocation.label}; latest ALARM known ${Number.isFinite(alarmAt) ? rel(alarmAt) : 'never'})`,
      );
  }

  /** At every page: never again once SNS's confirmation was recorded, and one escalation per episode. */
  checkPage(effect: PageEffect): void {
    const incident = effect.incident;
    if (effect.page === 'escalation') {
      const confirmed = this.escalationConfirmed.get(incident.id);
      if (confirmed !== undefined && incident.version > confirmed)
        this.fail(
          `escalation page for ${incident.id} decided at version ${incident.version}, after its confirmation was recorded at version ${confirmed}`,
        );
      const at = incident.escalation?.at;
      if (at !== undefined) {
        const paged = this.escalationsPaged.get(incident.id) ?? new Set<number>();
        paged.add(at);
        this.escalationsPaged.set(incident.id, paged);
        if (paged.size > 1)
          this.fail(
            `episode ${incident.id} paged for ${paged.size} escalations (${[...paged].map(rel).join(', ')}): one page per episode`,
          );
      }
    } else {
      const confirmed = this.resolutionConfirmed.get(incident.id);
      if (confirmed !== undefined && incident.version > confirmed)
        this.fail(`resolution page for ${incident.id} after its confirmation was recorded`);
    }
  }

  /** Every write the product's store made, for the checks (seen through ObservedStore). */
  onSaved(next: Incident, previous: KeyRecord | undefined, closed: Incident | undefined): void {
    this.counters.saves++;
    const before = isIncident(previous) ? previous : undefined;
    const invocation = this.als.getStore();
    const current = before?.timer ? incidentTimerKey(before.id, before.timer.token) : undefined;
    if (invocation?.kind === 'timer' && invocation.token && current === invocation.token) {
      const track = this.timers.get(invocation.token);
      if (track) {
        track.acted++;
        if (track.acted > 1)
          this.fail(`timer ${invocation.token} acted ${track.acted} times (a timer acts once)`);
      }
    }
    if (next.escalation?.page.status === 'sent' && !this.escalationConfirmed.has(next.id))
      this.escalationConfirmed.set(next.id, next.version);
    if (next.resolution?.page?.status === 'sent' && !this.resolutionConfirmed.has(next.id))
      this.resolutionConfirmed.set(next.id, next.version);
    if (next.status === 'suppressed' && before?.status !== 'suppressed') this.counters.suppressedSeen++;
    const from = before
      ? before.id === next.id
        ? before.status
        : `${before.status} (${shortId(before.id)})`
      : 'none';
    const attempt = next.attempts.at(-1);
    this.note(
      `store: ${shortId(next.id)} ${from} -> ${next.status} v${next.version}${closed ? ` (closed ${shortId(closed.id)})` : ''}` +
        `${attempt ? ` attempt ${attempt.number} ${attempt.status}` : ''}${next.timer ? ` timer ${next.timer.kind}@${rel(next.timer.dueAt)}` : ''}` +
        `${next.escalation ? ` page ${next.escalation.page.status}` : ''}${next.refusals?.length ? ` refused by ${next.refusals.at(-1)?.gate}` : ''}`,
    );
  }

  onRemembered(memory: AlarmMemory): void {
    this.counters.remembers++;
    this.note(
      `store: ${memory.alarmName} has no incident; keeps ${memory.alarmState}@${rel(memory.alarmStateAt)}`,
    );
  }

  // --- the ports' bodies ---------------------------------------------------------------------------

  async ssmSend(effect: SendCommandEffect): Promise<string> {
    this.checkSend(effect);
    this.counters.sends++;
    const n = this.spec.noise;
    if (this.roll.chance(n.ssmRefuse)) {
      this.note(`SSM refused ${describeSend(effect)}`);
      throw injected(
        'InvalidInstanceId',
        `Instances [[${effect.instanceId}]] not in a valid state for account`,
      );
    }
    const unknown = this.roll.chance(n.ssmUnknown);
    if (unknown && this.roll.chance(50)) {
      this.note(`SSM gave no answer to ${describeSend(effect)} and did not take it`);
      throw Object.assign(new CommandOutcomeUnknownError('socket hang up'), { [INJECTED]: true });
    }
    const now = this.time.now();
    const commandId = `00000000-0000-4000-8000-${String(this.commands.size + 1).padStart(12, '0')}`;
    const phase = effect.phase === 'diagnose' ? 'diagnose' : 'remedy';
    // How the command goes: delivered at once or never, within its timeout or not, well or not.
    let endsAt: number;
    let result: Omit<CommandResult, 'comment' | 'finishedAt'>;
    if (this.roll.chance(n.undeliverable)) {
      endsAt = now + effect.deliveryTimeoutSeconds * 1000;
      result = { status: 'TimedOut', statusDetails: 'DeliveryTimedOut', responseCode: -1 };
    } else {
      const delivered = now + this.roll.seconds(0, 5) * 1000;
      if (this.roll.chance(n.commandTimeout)) {
        endsAt = delivered + effect.executionTimeoutSeconds * 1000;
        result = { status: 'TimedOut', statusDetails: 'ExecutionTimedOut', responseCode: -1 };
      } else {
        endsAt =
          delivered + this.roll.seconds(phase === 'diagnose' ? 5 : 10, phase === 'diagnose' ? 40 : 55) * 1000;
        const failed = phase === 'remedy' && this.roll.chance(n.commandFail);
        result = failed
          ? {
              status: 'Failed',
              statusDetails: 'Failed',
              responseCode: 1,
              stdout: 'restart failed',
              stderr: 'exit 1',
            }
          : { status: 'Success', statusDetails: 'Success', responseCode: 0, stdout: 'done' };
      }
    }
    const command: WorldCommand = {
      commandId,
      instanceId: effect.instanceId,
      alarm: this.alarmsByHash.get(effect.key.alarm),
      incidentId: effect.incidentId,
      attempt: effect.attempt,
      phase,
      comment: effect.comment,
      requestedAt: now,
      endsAt,
      runbook: effect.runbook,
    };
    this.commands.set(commandId, command);
    this.note(
      `SSM runs ${commandId.slice(-4)}: ${describeSend(effect)}, ends ${rel(endsAt)} ${result.statusDetails}`,
    );
    this.time.at(endsAt, 'command', `command ${commandId.slice(-4)} ends`, async () => {
      command.result = { ...result, comment: command.comment, finishedAt: endsAt };
      this.note(`SSM: ${commandId.slice(-4)} ${result.statusDetails} (${command.comment})`);
      this.commandEnded(command);
      this.emit(
        'command-status',
        `status ${commandId.slice(-4)} ${result.status}`,
        commandInvocationStatusChange({
          commandId,
          documentName: DOCUMENTS[command.runbook] ?? command.runbook,
          instanceId: command.instanceId,
          requestedAt: command.requestedAt,
          status: result.status,
          at: endsAt,
        }),
      );
    });
    if (unknown) {
      this.note(`SSM took ${commandId.slice(-4)} but the answer was lost`);
      throw Object.assign(new CommandOutcomeUnknownError('socket hang up'), { [INJECTED]: true });
    }
    return commandId;
  }

  ssmObserve(commandId: string): CommandObservation {
    if (this.roll.chance(this.spec.noise.ssmReadFail))
      throw injected('ThrottlingException', 'Rate exceeded (GetCommandInvocation)');
    const command = this.commands.get(commandId);
    if (!command) return { kind: 'not-found' };
    return command.result
      ? { kind: 'finished', commandId, result: command.result }
      : { kind: 'in-progress', commandId, comment: command.comment };
  }

  ssmFind(instanceId: string, comment: string, since: number): CommandObservation {
    if (this.roll.chance(this.spec.noise.ssmReadFail))
      throw injected('ThrottlingException', 'Rate exceeded (ListCommands)');
    const found = [...this.commands.values()]
      .filter((c) => c.instanceId === instanceId && c.comment === comment && c.requestedAt >= since - 60_000)
      .at(-1);
    if (!found) return { kind: 'not-found' };
    return found.result
      ? { kind: 'finished', commandId: found.commandId, result: found.result }
      : { kind: 'in-progress', commandId: found.commandId, comment: found.comment };
  }

  /** SNS: takes the page, refuses it (nobody paged), or takes it and the answer is lost (paged, not confirmed). */
  private sns(kind: PageRecord['kind'], id: string, body?: string): string {
    this.counters.pages++;
    const n = this.spec.noise;
    const rejected = this.roll.chance(n.snsReject);
    const lostAck = !rejected && this.roll.chance(n.snsLostAck);
    this.pages.push({
      at: this.time.now(),
      kind,
      id,
      delivered: !rejected,
      confirmed: !rejected && !lostAck,
      ...(body !== undefined ? { body } : {}),
    });
    this.note(
      `SNS ${kind} ${id.length > 40 ? shortId(id) : id}: ${rejected ? 'refused' : lostAck ? 'delivered, answer lost' : 'delivered'}`,
    );
    if (rejected) throw injected('InternalErrorException', 'SNS is having a bad day', 500);
    if (lostAck) throw injected('RequestTimeout', 'the connection was reset', 500);
    return `page-${this.pages.length}`;
  }

  pagerPage(effect: PageEffect): string {
    this.checkPage(effect);
    const id = effect.incident.id;
    // An instance without the opt-in tag is not this deployment's: nobody is paged for it.
    if (effect.incident.instanceId && !this.tagged(effect.incident.instanceId))
      this.fail(`${effect.page} page for ${shortId(id)}, on an instance without the opt-in tag`);
    if (effect.page === 'escalation') {
      const before = this.pages.filter((p) => p.kind === 'escalation' && p.id === id && p.confirmed).length;
      if (before > 0) this.counters.repaged++;
    }
    return this.sns(effect.page, id);
  }

  pagerNotify(notice: Notice): string {
    if (
      notice.kind === 'breaker-opened' &&
      !this.pages.some((p) => p.kind === notice.kind && p.id === notice.key)
    )
      this.counters.breakerOpened++;
    return this.sns(notice.kind, notice.key, notice.body);
  }

  publish(events: readonly PublishEventEffect[]): void {
    if (this.roll.chance(this.spec.noise.publishFail))
      throw injected('InternalException', 'PutEvents failed', 500);
    void events;
  }

  cloudWatchState(name: string): AlarmReading | undefined {
    if (this.roll.chance(this.spec.noise.describeFail))
      throw injected('Throttling', 'Rate exceeded (DescribeAlarms)');
    const alarm = this.alarms.find((a) => a.name === name);
    if (!alarm) return undefined;
    this.observeReading(alarm, alarm.state, alarm.stateAt);
    return { state: alarm.state, at: alarm.stateAt };
  }

  cloudWatchInAlarm(): AlarmChange[] {
    if (this.roll.chance(this.spec.noise.describeFail))
      throw injected('Throttling', 'Rate exceeded (DescribeAlarms)');
    return this.alarms
      .filter((a) => a.state === 'ALARM')
      .map((a) => {
        this.observeReading(a, 'ALARM', a.stateAt);
        return this.alarmChange(a.name, a.local, 'ALARM', a.stateAt);
      });
  }

  // --- timers ----------------------------------------------------------------------------------

  private timerKey(timer: QueuedTimer): string {
    if (timer.kind !== 'breaker') return incidentTimerKey(timer.incidentId, timer.token);
    return timer.purpose === 'update'
      ? `${breakerKey(timer.runbook, timer.openedAt)}#update/${timer.dueAt}`
      : `breaker/${timer.runbook}/${timer.openedAt}/${timer.dueAt}`;
  }

  /** SQS: delivers at the (capped) delay, sometimes late, twice, or never; failed receives come back. */
  timerSchedule(timer: QueuedTimer, now: number): void {
    this.counters.schedules++;
    const key = this.timerKey(timer);
    const invocation = this.als.getStore();
    // A message sent again by the delivery of the same message (a hop, an early timer, still waiting)
    // is one link further down its chain; anything else starts a chain.
    const depth = invocation?.kind === 'timer' && invocation.token === key ? (invocation.depth ?? 0) + 1 : 0;
    const track = this.timers.get(key) ?? {
      sends: 0,
      deliveries: 0,
      lost: 0,
      pending: 0,
      acted: 0,
      firstSentAt: now,
      dueAt: timer.dueAt,
      maxDepth: 0,
    };
    this.timers.set(key, track);
    track.sends++;
    track.maxDepth = Math.max(track.maxDepth, depth);
    const bound = this.chainBound(timer, track);
    if (depth > bound)
      this.fail(`timer ${key} sent around ${depth} times in one chain (bound ${bound}): it never settles`);
    const n = this.spec.noise;
    const delay = Math.min(SQS_MAX_DELAY_SECONDS, Math.max(0, Math.ceil((deliveryTime(timer) - now) / 1000)));
    const copies = this.roll.chance(n.timerDup) ? 2 : 1;
    const body = JSON.stringify(timer);
    for (let copy = 0; copy < copies; copy++) {
      if (this.roll.chance(n.timerLoss)) {
        track.lost++;
        this.note(`SQS lost a copy of timer ${describeTimer(timer)}`);
        continue;
      }
      track.pending++;
      const late = this.roll.chance(20) ? this.roll.seconds(0, n.timerLateMax) : 0;
      this.deliverTimer(timer, key, body, now + (delay + late) * 1000, 1, depth);
    }
  }

  /** How many times one message may be sent on in one chain: hops, early re-sends, waits. */
  private chainBound(timer: QueuedTimer, track: TimerTrack): number {
    const hops = Math.ceil(Math.max(0, timer.dueAt - track.firstSentAt) / (SQS_MAX_DELAY_SECONDS * 1000)) + 1;
    const maxWait = Math.max(
      this.runbooks.svc.concurrency.maxWaitSeconds,
      this.runbooks.disk.concurrency.maxWaitSeconds,
    );
    // A wait looks again after at least half of WAIT_MIN_SECONDS (jitter), and once more at its limit.
    const waits = Math.ceil(maxWait / (WAIT_MIN_SECONDS / 2)) + 2;
    return hops + MAX_REDELIVERIES + waits;
  }

  private deliverTimer(
    timer: QueuedTimer,
    key: string,
    body: string,
    at: number,
    receive: number,
    depth: number,
  ): void {
    const track = this.timers.get(key) as TimerTrack;
    this.time.at(
      at,
      'timer',
      `timer ${describeTimer(timer)}`,
      async () => {
        track.pending--;
        track.deliveries++;
        const label = `timer ${describeTimer(timer)}${receive > 1 ? ` receive ${receive}` : ''}`;
        const outcome = await this.invoke('timer', label, () => this.handlers.timer(body), {
          token: key,
          depth,
          failed: (r) => r.batchItemFailures.length > 0,
        });
        const failed = !outcome.ok || outcome.result.batchItemFailures.length > 0;
        if (!outcome.ok && !isInjected(outcome.error)) this.unexpected(`${label} threw`, outcome.error);
        if (!failed) return;
        if (receive >= MAX_RECEIVES) {
          track.lost++;
          this.counters.lostEvents++;
          this.note(`${label}: failed ${receive} receives; to the timer DLQ (lost)`);
          return;
        }
        this.note(`${label}: failed; SQS delivers it again in ${VISIBILITY_SECONDS}s`);
        track.pending++;
        this.deliverTimer(timer, key, body, this.time.now() + VISIBILITY_SECONDS * 1000, receive + 1, depth);
      },
      () => this.quietTimer(timer),
    );
  }

  /**
   * A timer that may be pending at a quiet point: a slow check, or the timer of an open breaker whose
   * group page went out (not an update of that page: it has something left to tell).
   */
  private quietTimer(timer: QueuedTimer): boolean {
    if (timer.kind === 'check') return true;
    if (timer.kind !== 'breaker' || timer.purpose === 'update') return false;
    const key = breakerKey(timer.runbook, timer.openedAt);
    return this.pages.some((p) => p.kind === 'breaker-opened' && p.id === key && p.delivered);
  }

  // --- running -------------------------------------------------------------------------------------

  private schedule(): void {
    const count = this.alarms.length;
    for (const fault of this.spec.faults) {
      const alarm = this.alarms[fault.alarm % count] as WorldAlarm;
      const at = T0 + Math.min(fault.at, this.spec.horizonSeconds) * 1000;
      this.time.at(at, 'fault', `fault ${alarm.name}`, async () => this.startFault(alarm, fault, 'a fault'));
    }
    const storm = this.spec.storm;
    if (storm) {
      const disks = this.alarms.filter((a) => a.kind === 'disk');
      disks.slice(0, Math.max(2, storm.instances)).forEach((alarm, i) => {
        const at = T0 + (Math.min(storm.at, this.spec.horizonSeconds) + i * 20) * 1000;
        const fault: FaultSpec = {
          alarm: 0,
          at: 0,
          fixChance: 60,
          ...(storm.selfClearSeconds !== undefined ? { selfClearSeconds: storm.selfClearSeconds } : {}),
        };
        this.time.at(at, 'fault', `storm ${alarm.name}`, async () =>
          this.startFault(alarm, fault, 'a storm'),
        );
      });
    }
    const pause = this.spec.pause;
    if (pause) {
      const runbook =
        pause.scope === 'all'
          ? undefined
          : pause.scope === 'svc'
            ? this.runbooks.svc.name
            : this.runbooks.disk.name;
      const at = T0 + Math.min(pause.at, this.spec.horizonSeconds) * 1000;
      this.time.at(at, 'operator', 'pause', async () => {
        await this.operator.pause(runbook, {
          reason: 'game day',
          by: 'fleet-properties',
          since: this.time.now(),
        });
        this.note(`operator paused ${runbook ?? 'every runbook'}`);
      });
      this.time.at(at + pause.seconds * 1000, 'operator', 'resume', async () => {
        await this.operator.resume(runbook);
        this.note(`operator resumed ${runbook ?? 'every runbook'}; a resync follows`);
        await this.resync('resumed');
      });
    }
    const tick = (at: number) =>
      this.time.at(
        at,
        'resync',
        'resync schedule',
        async () => {
          tick(at + RESYNC_SECONDS * 1000);
          await this.resync('schedule');
        },
        () => true,
      );
    tick(T0 + RESYNC_SECONDS * 1000);
  }

  private async resync(cause: ResyncCause): Promise<ResyncReport | undefined> {
    const outcome = await this.invoke('resync', `resync ${cause}`, () => this.runtime.resync.run(cause));
    if (!outcome.ok) {
      if (!isInjected(outcome.error)) this.unexpected('resync failed', outcome.error);
      this.note(`resync ${cause} failed: ${(outcome.error as Error).message}`);
      return undefined;
    }
    const acted = outcome.result.answered.filter((a) => a.action !== 'in-hand' && a.action !== 'unmanaged');
    if (acted.length > 0)
      this.note(
        `resync ${cause}: ${acted.map((a) => `${a.alarmName} ${a.action}${a.status ? ` -> ${a.status}` : ''}`).join(', ')}`,
      );
    return outcome.result;
  }

  private isQuiet(): boolean {
    return this.time.pending.every((e) => e.quiet?.() ?? false);
  }

  /** Runs the world to its end: the active phase, then until quiet, checking the invariants at each quiet point. */
  async run(): Promise<WorldOutcome> {
    try {
      this.schedule();
      const maxSteps = 200_000;
      await this.time.runUntil(T0 + this.spec.horizonSeconds * 1000, this.steps, maxSteps, () =>
        this.throwIfFailed(),
      );
      this.phase = 'settle';
      this.note('horizon: no new faults from here on');
      const deadline = T0 + (this.spec.horizonSeconds + SETTLE_MAX_SECONDS) * 1000;
      let waitUntil = 0;
      for (let round = 0; ; round++) {
        if (round > 500) this.violation('more than 500 quiet-point rounds');
        // Until only quiet entries are left (and past any time a lost timer needs to be re-armed).
        // (Anything already due runs first, quiet or not: a slow check sent again by the resync is due now.)
        while (
          !this.isQuiet() ||
          this.time.now() < waitUntil ||
          (this.time.nextAt() ?? Infinity) <= this.time.now()
        ) {
          if (this.time.now() > deadline)
            this.violation(
              `not quiet ${SETTLE_MAX_SECONDS}s after the horizon; pending: ${this.time.pending
                .filter((e) => !(e.quiet?.() ?? false))
                .map((e) => `${e.label}@${rel(e.at)}`)
                .slice(0, 10)
                .join(', ')}`,
            );
          if (++this.steps.count > maxSteps) this.violation(`more than ${maxSteps} steps`);
          if (!(await this.time.step())) break;
          this.throwIfFailed();
        }
        const before = { ...this.counters };
        const report = await this.resync('schedule');
        this.throwIfFailed();
        const changed =
          !report ||
          report.answered.some((a) => a.action !== 'in-hand' && a.action !== 'unmanaged') ||
          this.counters.saves !== before.saves ||
          this.counters.remembers !== before.remembers ||
          this.counters.sends !== before.sends ||
          this.counters.pages !== before.pages ||
          this.counters.schedules !== before.schedules ||
          !this.isQuiet();
        if (changed) continue;
        this.counters.quietPoints++;
        const verdict = await this.checkQuietPoint();
        if (verdict.awaitUntil !== undefined) {
          waitUntil = verdict.awaitUntil;
          continue;
        }
        const breakerTimers = this.time.pending.filter(
          (e) => e.kind === 'timer' && e.label.startsWith('timer breaker'),
        );
        if (breakerTimers.length === 0) break;
        // A breaker is open: run until its timer has fired, then look again.
        const until = Math.min(...breakerTimers.map((e) => e.at));
        waitUntil = until + 1;
      }
      await this.checkFinal();
      return this.outcome();
    } catch (error) {
      if (error instanceof WorldViolation) throw new WorldViolation(await this.explain(error.message));
      throw error;
    }
  }

  /** The quiet point's invariant; `awaitUntil` when an incident waits on the resync to re-arm a lost timer. */
  private async checkQuietPoint(): Promise<{ awaitUntil?: number }> {
    const now = this.time.now();
    this.note(`quiet point ${this.counters.quietPoints}: checking every alarm in ALARM`);
    let awaitUntil: number | undefined;
    for (const alarm of this.alarms) {
      if (alarm.state !== 'ALARM') continue;
      const head = await this.inspectStore.load(alarm.key);
      const where = `${alarm.name} (in ALARM since ${rel(alarm.stateAt)})`;
      if (!this.tagged(alarm.instanceId)) {
        // Not opted in: not this deployment's instance, so no incident is owed, and none may be open.
        if (isIncident(head))
          this.violation(`${where}: its instance is not opted in, yet ${shortId(head.id)} is ${head.status}`);
        continue;
      }
      if (!isIncident(head) || head.status === 'resolved')
        this.violation(
          `${where} has no open incident: ${head ? (isIncident(head) ? `${shortId(head.id)} is resolved (${head.resolution?.how}, alarm ${head.alarmState}@${rel(head.alarmStateAt)})` : `only the state ${head.alarmState}@${rel(head.alarmStateAt)} is kept`) : 'nothing is stored'}`,
        );
      if (head.alarmState !== 'ALARM' || head.alarmStateAt < alarm.stateAt - 60_000)
        this.violation(
          `${where}: its open incident ${shortId(head.id)} (${head.status}) records ${head.alarmState}@${rel(head.alarmStateAt)}, not the current episode`,
        );
      const track = head.timer ? this.timers.get(incidentTimerKey(head.id, head.timer.token)) : undefined;
      const timerPending = (track?.pending ?? 0) > 0;
      const running = [...this.commands.values()].some((c) => c.incidentId === head.id && !c.result);
      const working = ['remediating', 'verifying', 'backing-off', 'waiting'].includes(head.status);
      const pageDue = head.status === 'escalated' && head.escalation?.page.status === 'due';
      if (working || pageDue) {
        if (timerPending || running) continue;
        const rearmBy = head.timer ? head.timer.dueAt + OVERDUE_TIMER_MS + 2 * RESYNC_SECONDS * 1000 : 0;
        if (head.timer && (track?.lost ?? 0) > 0 && now <= rearmBy) {
          this.note(`${where}: ${shortId(head.id)} lost its timer; the resync re-arms it by ${rel(rearmBy)}`);
          awaitUntil = Math.max(awaitUntil ?? 0, rearmBy);
          continue;
        }
        this.violation(
          `${where}: ${shortId(head.id)} is ${head.status}${pageDue ? ' (page not confirmed)' : ''} with nothing pending: timer ${head.timer ? `${head.timer.kind}@${rel(head.timer.dueAt)} (sent ${track?.sends ?? 0}, delivered ${track?.deliveries ?? 0}, lost ${track?.lost ?? 0})` : 'none'}, no command running`,
        );
      }
      if (head.status === 'escalated') {
        const paged = this.pages.some((p) => p.kind === 'escalation' && p.id === head.id && p.delivered);
        if (!paged)
          this.violation(
            `${where}: ${shortId(head.id)} is escalated (page ${head.escalation?.page.status}) but no page reached a human`,
          );
        continue;
      }
      if (head.status === 'suppressed') {
        const policy = alarm.runbook.breaker;
        const { breaker } = await this.inspectFleet.read(alarm.runbook, undefined, now);
        if (!breaker || !breakerHolds(breaker, policy, now))
          this.violation(
            `${where}: ${shortId(head.id)} is suppressed but the breaker of ${alarm.runbook.name} does not hold (${breaker ? `${breaker.state}, last alarm ${rel(breaker.lastAlarmAt)}` : 'none'})`,
          );
        const key = breakerKey(alarm.runbook.name, breaker.openedAt);
        const group = this.pages.filter(
          (p) => (p.kind === 'breaker-opened' || p.kind === 'breaker-grew') && p.id === key && p.delivered,
        );
        if (!group.some((p) => p.kind === 'breaker-opened'))
          this.violation(
            `${where}: ${shortId(head.id)} is suppressed by the breaker opened ${rel(breaker.openedAt)}, whose group page reached nobody`,
          );
        if (!group.some((p) => p.body?.includes(alarm.instanceId))) {
          // An update whose timer the world lost: the resync finds it overdue and sends it on.
          const updates = [...this.timers.entries()].filter(
            ([k, t]) => k.startsWith(`${key}#update/`) && t.lost > 0,
          );
          const rearmBy =
            (breaker.updateDueAt ?? now) + BREAKER_UPDATE_OVERDUE_MS + 2 * RESYNC_SECONDS * 1000;
          if (updates.length > 0 && now <= rearmBy) {
            this.note(
              `${where}: the update of its group page lost its timer; the resync sends it by ${rel(rearmBy)}`,
            );
            awaitUntil = Math.max(awaitUntil ?? 0, rearmBy);
            continue;
          }
          const message = `${where}: ${shortId(head.id)} is suppressed by the breaker opened ${rel(breaker.openedAt)} (instances ${breaker.instances.join(', ')}), but its group page does not name ${alarm.instanceId}`;
          if (!this.allowed('unnamed-suppression', message)) this.violation(message);
        }
        continue;
      }
      this.violation(`${where}: ${shortId(head.id)} is ${head.status}, which no quiet point explains`);
    }
    return awaitUntil === undefined ? {} : { awaitUntil };
  }

  /** At the end: the slow checks and the resync run, then no alarm that is OK keeps an open incident. */
  private async checkFinal(): Promise<void> {
    this.phase = 'final';
    // Each round runs until the slow check of every open incident whose alarm is OK has come (and the
    // receives after a failure); a check that could not read the alarm asks again at the next one.
    for (let round = 1; ; round++) {
      const open: { alarm: WorldAlarm; head: Incident }[] = [];
      for (const alarm of this.alarms) {
        if (alarm.state === 'ALARM') continue;
        const head = await this.inspectStore.load(alarm.key);
        if (!isIncident(head) || head.status === 'resolved') continue;
        open.push({ alarm, head });
      }
      const [first] = open;
      if (!first) return;
      if (round > 6 || open.some(({ head }) => !head.timer))
        this.violation(
          `${first.alarm.name} is ${first.alarm.state} since ${rel(first.alarm.stateAt)}, but ${shortId(first.head.id)} is still ${first.head.status} after ${round - 1} rounds of slow checks (timer ${first.head.timer ? `${first.head.timer.kind}@${rel(first.head.timer.dueAt)}` : 'none'})`,
        );
      const due = Math.max(this.time.now(), ...open.map(({ head }) => head.timer?.dueAt ?? 0));
      const until = due + (this.spec.noise.timerLateMax + MAX_RECEIVES * VISIBILITY_SECONDS + 60) * 1000;
      this.note(
        `final round ${round}: ${open.length} incident(s) open on an OK alarm; running to ${rel(until)}`,
      );
      await this.time.runUntil(until, this.steps, 400_000, () => this.throwIfFailed());
    }
  }

  private outcome(): WorldOutcome {
    const tracks = [...this.timers.values()];
    return {
      virtualSeconds: Math.round((this.time.now() - T0) / 1000),
      steps: this.steps.count,
      invocations: this.invocationCount,
      commands: this.commands.size,
      pages: this.pages.length,
      throttled: this.counters.throttled,
      lostEvents: this.counters.lostEvents,
      quietPoints: this.counters.quietPoints,
      breakerOpened: this.counters.breakerOpened,
      suppressedSeen: this.counters.suppressedSeen,
      inAlarmAtEnd: this.alarms.filter((a) => a.state === 'ALARM').length,
      repagedAfterUnrecordedConfirmation: this.counters.repaged,
      maxTimerDeliveries: Math.max(0, ...tracks.map((t) => t.deliveries)),
      maxTimerDepth: Math.max(0, ...tracks.map((t) => t.maxDepth)),
      known: Object.fromEntries(this.known),
      trace: this.trace,
    };
  }

  /** The violation, the world, the trace about it and the stories of the incidents it names. */
  private async explain(message: string): Promise<string> {
    const lines = [`${rel(this.time.now())} ${message}`, '', `world: ${summarize(this.spec)}`];
    const names = this.alarms.filter((a) => message.includes(a.name) || message.includes(a.instanceId));
    const ids = new Set<string>();
    for (const match of message.matchAll(/[0-9a-f]{16}\.i-[0-9a-f]{17}\.\d{8}T\d{9}Z/g)) ids.add(match[0]);
    for (const match of message.matchAll(/[0-9a-f]{4}\.\.[0-9a-f]{4}\.\d{6}/g)) ids.add(match[0]);
    let stories: string[] = [];
    try {
      const incidents = await readIncidents({ table: this.table, endpoint: this.endpoint, all: true });
      const related = incidents.filter(
        (i) =>
          names.some((a) => a.name === i.alarm.name) ||
          [...ids].some((id) => i.id === id || shortId(i.id) === id),
      );
      stories = related
        .sort((a, b) => a.openedAt - b.openedAt)
        .slice(-4)
        .flatMap((i) => ['', ...incidentStory(i).map((l) => `  ${l}`)]);
    } catch (error) {
      stories = [`(incidents not readable: ${String(error)})`];
    }
    // An alarm's lines name it, its instance, or its incidents (`<alarm hash 4>..<target 4>`).
    const about = names.flatMap((a) => [
      a.name,
      a.instanceId,
      `${a.key.alarm.slice(0, 4)}..${a.instanceId.slice(-4)}`,
    ]);
    const focused = this.trace.filter((l) => about.some((word) => l.includes(word)));
    lines.push(
      '',
      `trace about ${names.length > 0 ? names.map((a) => a.name).join(', ') : 'it'} (last 80):`,
      ...focused.slice(-80).map((l) => `  ${l}`),
      '',
      'trace, last 60 lines:',
      ...this.trace.slice(-60).map((l) => `  ${l}`),
      ...stories,
    );
    return lines.join('\n');
  }
}

// ---------------------------------------------------------------------------------------------
// The ports the world plays

class ObservedStore implements IncidentStore {
  private readonly inner: IncidentStore;
  private readonly world: FleetWorld;
  constructor(inner: IncidentStore, world: FleetWorld) {
    this.inner = inner;
    this.world = world;
  }
  load(key: IncidentKey): Promise<KeyRecord | undefined> {
    return this.inner.load(key);
  }
  async save(next: Incident, previous: KeyRecord | undefined, closed?: Incident): Promise<void> {
    await this.inner.save(next, previous, closed);
    this.world.onSaved(next, previous, closed);
  }
  async remember(memory: AlarmMemory, previous: KeyRecord | undefined): Promise<void> {
    await this.inner.remember(memory, previous);
    this.world.onRemembered(memory);
  }
  openKeys(runbook: string): Promise<IncidentKey[]> {
    return this.inner.openKeys(runbook);
  }
}

class WorldSsm implements CommandRunner {
  private readonly world: FleetWorld;
  constructor(world: FleetWorld) {
    this.world = world;
  }
  send(effect: SendCommandEffect): Promise<string> {
    return this.world.ssmSend(effect);
  }
  async observe(commandId: string): Promise<CommandObservation> {
    return this.world.ssmObserve(commandId);
  }
  async findByComment(instanceId: string, comment: string, since: number): Promise<CommandObservation> {
    return this.world.ssmFind(instanceId, comment, since);
  }
}

class WorldTimerQueue implements TimerQueue {
  private readonly world: FleetWorld;
  constructor(world: FleetWorld) {
    this.world = world;
  }
  async schedule(timer: QueuedTimer, now: number): Promise<void> {
    this.world.timerSchedule(timer, now);
  }
}

class WorldPager implements Pager {
  private readonly world: FleetWorld;
  constructor(world: FleetWorld) {
    this.world = world;
  }
  async page(effect: PageEffect): Promise<string> {
    return this.world.pagerPage(effect);
  }
  async notify(notice: Notice): Promise<string> {
    return this.world.pagerNotify(notice);
  }
}

class WorldPublisher implements EventPublisher {
  private readonly world: FleetWorld;
  constructor(world: FleetWorld) {
    this.world = world;
  }
  async publish(events: readonly PublishEventEffect[]): Promise<void> {
    this.world.publish(events);
  }
}

class WorldCloudWatch implements AlarmReader {
  private readonly world: FleetWorld;
  constructor(world: FleetWorld) {
    this.world = world;
  }
  async state(alarmName: string): Promise<AlarmReading | undefined> {
    return this.world.cloudWatchState(alarmName);
  }
  async inAlarm(): Promise<AlarmChange[]> {
    return this.world.cloudWatchInAlarm();
  }
}

// ---------------------------------------------------------------------------------------------
// Words

/** A timer's identity: its token is unique within its incident only (two incidents can share one). */
function incidentTimerKey(incidentId: string, token: string): string {
  return `${incidentId}#${token}`;
}

/** `<alarm hash 4>..<target 4>.<stamp>`: short enough for a trace line, long enough to tell apart. */
function shortId(id: string): string {
  const [alarm, target, stamp] = id.split('.');
  return `${(alarm ?? '').slice(0, 4)}..${(target ?? '').slice(-4)}.${(stamp ?? '').slice(9, 15)}`;
}

function describeSend(effect: SendCommandEffect): string {
  return `${effect.phase === 'diagnose' ? 'diagnose' : effect.action} of ${shortId(effect.incidentId)} attempt ${effect.attempt} on ${effect.instanceId}`;
}

function describeTimer(timer: QueuedTimer): string {
  if (timer.kind === 'breaker')
    return `breaker ${timer.runbook} opened ${rel(timer.openedAt)} due ${rel(timer.dueAt)}`;
  return `${timer.kind} ${shortId(timer.incidentId)} due ${rel(timer.dueAt)}${timer.redelivery ? ` early#${timer.redelivery.count}` : ''}`;
}

/** One line for a world, to read in a failure. */
export function summarize(spec: WorldSpec): string {
  const instances = spec.instances
    .map((i, n) => `w${n + 1}[${i.alarms.join(',')}${i.tagged ? '' : ',untagged'}]`)
    .join(' ');
  const faults = spec.faults
    .map(
      (f) =>
        `#${f.alarm}@${f.at}s${f.selfClearSeconds ? `/clears ${f.selfClearSeconds}s` : ''}/fix ${f.fixChance}%`,
    )
    .join(' ');
  return [
    `seed ${spec.seed}, ${spec.concurrent ? 'concurrent' : 'sequential'}, horizon ${spec.horizonSeconds}s`,
    `instances ${instances}`,
    `faults ${faults || 'none'}`,
    spec.storm ? `storm @${spec.storm.at}s on ${spec.storm.instances} disks` : 'no storm',
    spec.pause ? `pause ${spec.pause.scope} @${spec.pause.at}s for ${spec.pause.seconds}s` : 'no pause',
    `svc ${JSON.stringify(spec.svc)} disk ${JSON.stringify(spec.disk)}`,
    `noise ${JSON.stringify(spec.noise)}`,
  ].join('\n       ');
}
