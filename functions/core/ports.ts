import type { AlarmChange, AlarmStateValue } from './alarm.ts';
import type { PageEffect, PublishEventEffect, SendCommandEffect } from './effects.ts';
import type { BreakerRecord, InstanceFacts, RunOutcome } from './fleet.ts';
import type { Notice } from './fleet-messages.ts';
import type { FleetFacts, ModeOverride, OptIn, Pause } from './gates.ts';
import type { AlarmMemory, Hold, Incident, IncidentKey, KeyRecord } from './incident.ts';
import type { CommandObservation, QueuedTimer, TimerMessage } from './inputs.ts';
import type { MetricPoint } from './metrics.ts';
import type { Runbook } from './runbook.ts';
import type { WaitListName } from './wait-lists.ts';

/**
 * The ports through which the handlers reach the world. The AWS adapters implement them with SDK
 * clients; the local runtime with DynamoDB Local and sandboxes.
 */

/** Where incidents live. Writes are conditional on the version the decision started from. */
export interface IncidentStore {
  /**
   * The key's record, read with strong consistency: its current incident (open or the last closed
   * one), or the alarm's remembered state when it has had no incident.
   */
  load(key: IncidentKey): Promise<KeyRecord | undefined>;
  /**
   * Writes `next` if the stored record is still `previous` (same version; absent when `previous` is
   * undefined). When `next` starts a new episode, `previous` is archived in the same transaction.
   * When `next` takes a new {@link Hold}, the instance's lease, the runbook's slot and a unit of its
   * hourly budget are taken in that same transaction, each conditional on being free.
   * `closed` is the previous episode as this decision closed it (its alarm fired again unseen): it is
   * archived as closed instead of as it was loaded.
   * @throws IncidentConflictError when another writer got there first
   * @throws ClaimConflictError when the lease, the slot or the budget was taken meanwhile
   */
  save(next: Incident, previous: KeyRecord | undefined, closed?: Incident): Promise<void>;
  /**
   * Keeps an alarm's latest state for a key with no incident, if the stored record is still
   * `previous` (absent, or the memory it replaces).
   * @throws IncidentConflictError when another writer got there first
   */
  remember(memory: AlarmMemory, previous: KeyRecord | undefined): Promise<void>;
  /**
   * The keys of the runbook's open incidents, from an index (eventually consistent: an incident that
   * opened or closed a moment ago may be missing or still listed; the caller loads each it acts on).
   */
  openKeys(runbook: string): Promise<IncidentKey[]>;
}

/** Another writer changed the incident since it was read: reload and decide again. */
export class IncidentConflictError extends Error {
  override readonly name = 'IncidentConflictError';
  readonly key: IncidentKey;
  /** The record that won, when the store returned it. */
  readonly winner: Incident | undefined;

  constructor(key: IncidentKey, winner?: Incident) {
    super(`incident ${key.runbook}/${key.target} was changed by another writer`);
    this.key = key;
    this.winner = winner;
  }
}

/** The lease, a slot or the budget changed since the facts were read: read them again and decide again. */
export class ClaimConflictError extends Error {
  override readonly name = 'ClaimConflictError';
  readonly key: IncidentKey;
  /** Which claims failed: `lease`, `slot`, `budget`, or `busy` when DynamoDB reported a concurrent transaction. */
  readonly claims: readonly string[];

  constructor(key: IncidentKey, claims: readonly string[]) {
    super(`incident ${key.runbook}/${key.target} could not take ${claims.join(', ')}`);
    this.key = key;
    this.claims = claims;
  }
}

/**
 * SendCommand failed in a way that does not say whether SSM accepted the command (a server error,
 * a timeout, a reset connection): the attempt stays `dispatching`, and its dispatch check asks SSM
 * (ListCommands by Comment) instead of sending a second command that could run beside the first.
 */
export class CommandOutcomeUnknownError extends Error {
  override readonly name = 'CommandOutcomeUnknownError';
}

/** Runs runbook documents with SSM Run Command and reads their results. */
export interface CommandRunner {
  /**
   * Sends the attempt's command; resolves to the command id. Rejects when SSM refuses it, or with
   * {@link CommandOutcomeUnknownError} when the answer does not say whether SSM accepted it.
   */
  send(effect: SendCommandEffect): Promise<string>;
  /** What SSM says of one instance's invocation of a command. */
  observe(commandId: string, instanceId: string): Promise<CommandObservation>;
  /** Finds a command sent to an instance since `since` (epoch ms) by its Comment, and observes it. */
  findByComment(instanceId: string, comment: string, since: number): Promise<CommandObservation>;
}

/** Delivers timer messages at (or, for long waits, in hops towards) their due time. */
export interface TimerQueue {
  schedule(timer: QueuedTimer, now: number): Promise<void>;
}

/** Pages humans. */
export interface Pager {
  /** Resolves to the message id the pager service assigned. */
  page(effect: PageEffect, runbook: Runbook | undefined): Promise<string>;
  /** Pages about a runbook as a whole (its breaker, its mode); resolves to the message id. */
  notify(notice: Notice): Promise<string>;
}

/** Publishes remediation events for integrations and audit (best effort). */
export interface EventPublisher {
  publish(events: readonly PublishEventEffect[]): Promise<void>;
}

/** An alarm's state as DescribeAlarms reports it, and when it entered that state (when known). */
export interface AlarmReading {
  readonly state: AlarmStateValue;
  readonly at?: number;
}

/** Reads alarms directly, to reconcile (never per event in a storm). */
export interface AlarmReader {
  /**
   * One alarm's state; undefined when CloudWatch has no such alarm. Rejects when it cannot tell. With
   * `contributorId`, the state of that series of a multi-time-series alarm: ALARM when
   * DescribeAlarmContributors lists it, else OK (a series is only ever ALARM or OK).
   */
  state(alarmName: string, contributorId?: string): Promise<AlarmReading | undefined>;
  /**
   * Every alarm now in ALARM, as the resync reconciles them: paginated, paced within DescribeAlarms'
   * rate limit, with no call per alarm. Each is shaped as the state change that put it there. A
   * multi-time-series alarm in ALARM is listed as its contributors in ALARM
   * (DescribeAlarmContributors, one call per such alarm), each with its `contributor`.
   */
  inAlarm(): Promise<AlarmChange[]>;
}

/** A pause as stored: for one runbook, or (no `runbook`) for all of them. */
export type PauseRecord = Pause & { readonly runbook?: string };

/** The kill switch an operator flips: pause everything or one runbook, and resume. */
export interface KillSwitch {
  /** The pause in force for a runbook: the one for every runbook first, else its own. */
  pauseFor(runbook: string): Promise<Pause | undefined>;
  /** Pauses one runbook, or every runbook when `runbook` is undefined. */
  pause(runbook: string | undefined, pause: Omit<Pause, 'scope'>): Promise<void>;
  /** Lifts a pause; false when there was none. */
  resume(runbook: string | undefined): Promise<boolean>;
  /** Every pause in force. */
  list(): Promise<PauseRecord[]>;
  /**
   * Records that the pause's one notice reached the pager (`announcedAt`), if the pause set at `since`
   * is still the one in force (not lifted, nor replaced by a newer pause); false otherwise.
   */
  markAnnounced(runbook: string | undefined, since: number, at: number): Promise<boolean>;
}

/** Reads whether an instance carries the opt-in tag. */
export interface OptInReader {
  optIn(instanceId: string): Promise<OptIn>;
}

/** What the fleet gates read for one decision. */
export interface FleetState {
  readonly fleet: FleetFacts;
  /** The runbook's breaker as stored (open or last closed). */
  readonly breaker?: BreakerRecord;
  /** The runbook's dry-run switch, when set. */
  readonly mode?: ModeOverride;
}

/**
 * The shared state of the fleet gates: leases, slots, budgets, breakers, run records and the dry-run
 * switch. Taking a lease, a slot and budget happens in the incident store's transaction; this port
 * reads them, gives them back, and keeps the rest.
 */
export interface FleetGuard {
  /** Strongly consistent: the instance's lease, the runbook's slots, budget, breaker and mode. */
  read(runbook: Runbook, instanceId: string | undefined, now: number): Promise<FleetState>;
  /**
   * Gives back a hold's lease and slot, if `holder` still holds them (a lapsed one may be someone
   * else's). Resolves to what this call gave back, so that the caller wakes one waiter for each.
   */
  release(
    hold: Hold,
    holder: string,
    runbook: string,
  ): Promise<{ readonly lease: boolean; readonly slot: boolean }>;
  /**
   * Puts an incident in a wait list: one entry per incident and wait (its list, deadline and id), so
   * that joining again replaces it and keeps its place in line.
   */
  joinWaitList(entry: WaitEntry): Promise<void>;
  /** Whether the incident's entry of that wait is still in line (strongly consistent). */
  inWaitList(list: WaitListName, until: number, incidentId: string): Promise<boolean>;
  /** Takes the incident's entry of that wait out of line, if it is there (it stopped waiting). */
  leaveWaitList(list: WaitListName, until: number, incidentId: string): Promise<void>;
  /**
   * Takes up to `count` of the first entries in line whose deadline is after `now` out of the list,
   * first come first served; each entry is taken by one caller only. Resolves to those this call took.
   */
  takeFromWaitList(list: WaitListName, count: number, now: number): Promise<WaitEntry[]>;
  /** Records that the runbook saw an instance's alarm in a state (ALARM also counts towards the breaker). */
  recordAlarm(runbook: string, instanceId: string, state: string, at: number): Promise<void>;
  /**
   * The distinct instances whose alarm went ALARM for the runbook since `since`, oldest first; stops
   * reading once `enough` are found (the breaker only needs to know it is more than its limit).
   */
  alarmWindow(runbook: string, since: number, enough: number): Promise<{ instanceId: string; at: number }[]>;
  /** How many instances the runbook has seen in any alarm state since `since`. */
  seenCount(runbook: string, since: number): Promise<number>;
  /**
   * Records how many series a fleet alarm of the runbook evaluated, as its own state change said
   * ("2 out of 8 time series evaluated to ALARM"): a fleet alarm sends no event for a healthy series,
   * so its instances are known to the breaker only by this count.
   */
  recordFleetSeries(runbook: string, alarmName: string, series: number, at: number): Promise<void>;
  /** The series the runbook's fleet alarms last reported evaluating (summed over its alarms), since `since`. */
  fleetSeries(runbook: string, since: number): Promise<number>;
  /** Opens the breaker unless it is open and holding; true when this call opened it (and so pages). */
  openBreaker(runbook: string, record: BreakerRecord, quietSeconds: number): Promise<boolean>;
  /** Adds an instance to the open breaker of that episode and moves its quiet period on. */
  addToBreaker(runbook: string, openedAt: number, instanceId: string, at: number): Promise<void>;
  /** The group page of that episode was sent, naming `named` (the opening page, or an update). */
  breakerPaged(runbook: string, openedAt: number, messageId: string, named: readonly string[]): Promise<void>;
  /**
   * An incident on `instanceId` was suppressed by the open breaker: the instance joins the breaker's
   * instances, and, unless a group page names it already, an update page is due at `dueAt` (unless one
   * is due already). Resolves to the breaker's episode and the due time when this call made the update
   * due (the caller schedules its timer); undefined otherwise.
   */
  suppressedUnder(
    runbook: string,
    instanceId: string,
    dueAt: number,
  ): Promise<{ readonly openedAt: number; readonly dueAt: number } | undefined>;
  /** The update of that episode is no longer due (it was sent, or there is nothing to add). */
  clearBreakerUpdate(runbook: string, openedAt: number): Promise<void>;
  /**
   * Closes the open breaker; with `quietSince`, only if no alarm came after it. Resolves to the
   * closed record, or undefined when there was nothing to close.
   */
  closeBreaker(
    runbook: string,
    close: {
      readonly at: number;
      readonly by?: string;
      readonly reason?: string;
      readonly quietSince?: number;
    },
  ): Promise<BreakerRecord | undefined>;
  /**
   * The OK of that episode's group page reached the pager (`closeAnnouncedAt`), if the breaker is
   * still that episode, closed; so that the close is announced once, whoever closed it.
   */
  breakerCloseAnnounced(runbook: string, openedAt: number, at: number): Promise<void>;
  /**
   * Adds judged runs (the same run, at the same time, recorded again is the same record) and resolves
   * to the latest `keep` of the runbook's runs (its `autoDisable.lastRuns`), oldest first, leaving out
   * those that {@link clearMode} forgot.
   */
  recordRuns(runbook: string, runs: readonly RunOutcome[], keep: number): Promise<RunOutcome[]>;
  /** Switches a runbook to dry-run; false when it already was. */
  setMode(runbook: string, override: ModeOverride): Promise<boolean>;
  /** Lets a runbook act again and forgets its runs up to `now`; false when it was not switched. */
  clearMode(runbook: string, now: number): Promise<boolean>;
}

/** An incident standing in a wait list (see `wait-lists.ts`). */
export interface WaitEntry {
  readonly list: WaitListName;
  /** The wait's deadline (epoch ms): the entry's place in line, and when it stops counting. */
  readonly until: number;
  readonly incidentId: string;
  /** The message that wakes it (sent at once, marked with the list). */
  readonly wake: TimerMessage;
}

/** What EC2 says of instances, for the breaker's group page. */
export interface InstanceInventory {
  describe(instanceIds: readonly string[]): Promise<InstanceFacts[]>;
}

/** Where the remediator's own metrics go (CloudWatch embedded metric format on AWS). */
export interface MetricsSink {
  record(point: MetricPoint): void;
  /** Writes what was recorded during this invocation. */
  flush(): void;
}

/** The time, injectable so that tests and the game day control it. */
export interface Clock {
  now(): number;
}
