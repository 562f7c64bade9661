import type { AlarmStateValue } from './alarm.ts';
import type { PageEffect, PublishEventEffect, SendCommandEffect } from './effects.ts';
import type { OptIn, Pause } from './gates.ts';
import type { Incident, IncidentKey } from './incident.ts';
import type { CommandObservation, TimerMessage } from './inputs.ts';
import type { Runbook } from './runbook.ts';

/**
 * The ports through which the handlers reach the world. The AWS adapters implement them with SDK
 * clients; the local runtime with DynamoDB Local and sandboxes.
 */

/** Where incidents live. Writes are conditional on the version the decision started from. */
export interface IncidentStore {
  /** The current incident for a key (open or the last closed one), read with strong consistency. */
  load(key: IncidentKey): Promise<Incident | undefined>;
  /**
   * Writes `next` if the stored record is still `previous` (same version; absent when `previous` is
   * undefined). When `next` starts a new episode, `previous` is archived in the same transaction.
   * @throws IncidentConflictError when another writer got there first
   */
  save(next: Incident, previous: Incident | undefined): Promise<void>;
  /** The incident a command in flight belongs to, from the command index. */
  findByCommandId(commandId: string): Promise<IncidentKey | undefined>;
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

/** Runs runbook documents with SSM Run Command and reads their results. */
export interface CommandRunner {
  /** Sends the attempt's command; resolves to the command id. Rejects when SSM refuses it. */
  send(effect: SendCommandEffect): Promise<string>;
  /** What SSM says of one instance's invocation of a command. */
  observe(commandId: string, instanceId: string): Promise<CommandObservation>;
  /** Finds a command sent to an instance since `since` (epoch ms) by its Comment, and observes it. */
  findByComment(instanceId: string, comment: string, since: number): Promise<CommandObservation>;
}

/** Delivers timer messages at (or, for long waits, in hops towards) their due time. */
export interface TimerQueue {
  schedule(timer: TimerMessage, now: number): Promise<void>;
}

/** Pages humans. */
export interface Pager {
  /** Resolves to the message id the pager service assigned. */
  page(effect: PageEffect, runbook: Runbook | undefined): Promise<string>;
}

/** Publishes remediation events for integrations and audit (best effort). */
export interface EventPublisher {
  publish(events: readonly PublishEventEffect[]): Promise<void>;
}

/** Reads an alarm's current state directly, to reconcile (never per event in a storm). */
export interface AlarmReader {
  state(alarmName: string): Promise<AlarmStateValue | undefined>;
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
}

/** Reads whether an instance carries the opt-in tag. */
export interface OptInReader {
  optIn(instanceId: string): Promise<OptIn>;
}

/** The time, injectable so that tests and the game day control it. */
export interface Clock {
  now(): number;
}
