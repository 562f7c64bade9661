import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SendCommandEffect } from '../../functions/core/effects.ts';
import type { CommandResult } from '../../functions/core/incident.ts';
import type { CommandObservation } from '../../functions/core/inputs.ts';
import type { CommandRunner } from '../../functions/core/ports.ts';
import { type Runbook, runbookScripts } from '../../functions/core/runbook.ts';
import { RUNBOOKS_DIR } from '../../runbooks/discover.ts';
import { runbookDocumentContent } from '../../runbooks/ssm-document.ts';
import type { Scheduler } from '../agenda.ts';
import { commandInvocationStatusChange } from '../aws-shapes.ts';
import type { LocalBus } from '../local-bus.ts';
import { TIMEOUT_EXIT_CODE } from '../sandbox.ts';
import type { FleetInstance } from './fleet.ts';

interface Invocation {
  readonly commandId: string;
  readonly instanceId: string;
  readonly comment: string;
  readonly documentName: string;
  readonly requestedAt: number;
  /** When its execution timeout ends, on the scheduler's clock. */
  readonly timesOutAt: number;
  /** Stops the command at its execution timeout. */
  readonly stop: AbortController;
  /** Settles once the command has ended and its result, if any, is recorded. */
  done?: Promise<void>;
  result?: CommandResult;
}

/** How often, in real milliseconds, `settle` reads the clock for commands past their execution timeout. */
const SETTLE_POLL_MS = 50;

/** A command run, as the game day records it for its report. */
export interface CommandRecord {
  readonly commandId: string;
  readonly instanceId: string;
  readonly runbook: string;
  readonly action: string;
  readonly requestedAt: number;
  readonly finishedAt: number;
  readonly exitCode: number;
}

/**
 * SSM Run Command for the sandboxed fleet: SendCommand answers at once with a command id, and the
 * runbook's generated document (the very script the stack deploys) runs in the instance's sandbox,
 * with its parameters as `SSM_` environment variables and its execution timeout. When it ends, the
 * invocation status event goes on the local bus, and GetCommandInvocation / ListCommands answer from
 * what was recorded, with SSM's statuses (Success, Failed, TimedOut).
 *
 * The execution timeout is measured on the scheduler's clock, the clock of the decider's deadlines
 * (the game day's virtual time), not on the wall clock: once `executionTimeoutSeconds` have passed
 * on it, the command is killed and ends TimedOut with its output so far, as SSM ends it. The decider
 * waits for a result until the delivery and execution timeouts and a margin have passed on that
 * clock, so a result, whether the script ended or was stopped, always comes before it gives up.
 */
export class SandboxSsm implements CommandRunner {
  readonly commands: CommandRecord[] = [];
  private readonly invocations = new Map<string, Invocation>();
  private readonly fleet: ReadonlyMap<string, FleetInstance>;
  private readonly scheduler: Scheduler;
  private readonly bus: LocalBus;
  private readonly documents: Readonly<Record<string, string>>;
  private readonly scripts = new Map<string, string>();
  private readonly running = new Set<Promise<void>>();
  private readonly hold: () => () => void;

  constructor(options: {
    /** Called when a command starts; the function it returns, when it ends (the game day slows its clock meanwhile). */
    hold?: () => () => void;
    fleet: readonly FleetInstance[];
    runbooks: readonly Runbook[];
    scheduler: Scheduler;
    bus: LocalBus;
    documents: Readonly<Record<string, string>>;
    runbooksDir?: string;
  }) {
    this.fleet = new Map(options.fleet.map((i) => [i.instanceId, i]));
    this.hold = options.hold ?? (() => () => {});
    this.scheduler = options.scheduler;
    this.bus = options.bus;
    this.documents = options.documents;
    const dir = options.runbooksDir ?? RUNBOOKS_DIR;
    for (const runbook of options.runbooks) {
      const scripts = Object.fromEntries(
        runbookScripts(runbook).map((file) => [file, readFileSync(join(dir, runbook.name, file), 'utf8')]),
      );
      this.scripts.set(
        runbook.name,
        runbookDocumentContent(runbook, scripts).mainSteps[0].inputs.runCommand.join('\n'),
      );
    }
  }

  async send(effect: SendCommandEffect): Promise<string> {
    const instance = this.fleet.get(effect.instanceId);
    const script = this.scripts.get(effect.runbook);
    const documentName = this.documents[effect.runbook];
    if (!instance) {
      throw Object.assign(new Error(`Instances [[${effect.instanceId}]] not in a valid state for account`), {
        name: 'InvalidInstanceId',
      });
    }
    if (!script || !documentName) {
      throw Object.assign(new Error(`document for runbook ${effect.runbook} not found`), {
        name: 'InvalidDocument',
      });
    }
    const commandId = randomUUID();
    const requestedAt = this.scheduler.now();
    const invocation: Invocation = {
      commandId,
      instanceId: effect.instanceId,
      comment: effect.comment,
      documentName,
      requestedAt,
      timesOutAt: requestedAt + effect.executionTimeoutSeconds * 1000,
      stop: new AbortController(),
    };
    this.invocations.set(commandId, invocation);
    const env = Object.fromEntries(
      Object.entries(effect.parameters).map(([name, value]) => [`SSM_${name}`, value]),
    );
    const release = this.hold();
    // The execution timeout runs on the scheduler's clock (see above), which stops the command there
    // (`settle` does, once the scheduler has stopped). The sandbox's own timeout, on the wall clock,
    // is left at the agent's default, an hour: set to the execution timeout, it would stop a command
    // too early on a clock slower than real time.
    this.scheduler.at(invocation.timesOutAt, `execution timeout of command ${commandId}`, async () =>
      invocation.stop.abort(),
    );
    const run = instance.sandbox
      .run(script, { env: { ...env, SSM_action: effect.action }, signal: invocation.stop.signal })
      .then((result) => {
        release();
        const timedOut = result.timedOut || result.exitCode === TIMEOUT_EXIT_CODE;
        const status = result.exitCode === 0 ? 'Success' : timedOut ? 'TimedOut' : 'Failed';
        const finishedAt = this.scheduler.now();
        invocation.result = {
          status,
          statusDetails: status === 'TimedOut' ? 'ExecutionTimedOut' : status,
          responseCode: result.exitCode,
          stdout: result.stdout,
          stderr: result.stderr,
          comment: effect.comment,
          finishedAt,
        };
        this.commands.push({
          commandId,
          instanceId: effect.instanceId,
          runbook: effect.runbook,
          action: effect.action,
          requestedAt: invocation.requestedAt,
          finishedAt,
          exitCode: result.exitCode,
        });
        this.bus.put(
          commandInvocationStatusChange({
            commandId,
            documentName,
            instanceId: effect.instanceId,
            requestedAt: invocation.requestedAt,
            status,
            at: finishedAt,
          }),
        );
      })
      .finally(() => {
        release();
        this.running.delete(run);
      });
    invocation.done = run.catch(() => {});
    this.running.add(run);
    return commandId;
  }

  async observe(commandId: string, instanceId: string): Promise<CommandObservation> {
    const invocation = this.invocations.get(commandId);
    if (!invocation || invocation.instanceId !== instanceId) return { kind: 'not-found' };
    if (!invocation.result && this.scheduler.now() >= invocation.timesOutAt) {
      // Past its execution timeout a command is over for SSM: it is stopped now if its timer has not
      // fired yet, and its TimedOut result, moments away, is what SSM answers.
      invocation.stop.abort();
      await invocation.done;
    }
    return invocation.result
      ? { kind: 'finished', commandId, result: invocation.result }
      : { kind: 'in-progress', commandId, comment: invocation.comment };
  }

  async findByComment(instanceId: string, comment: string, since: number): Promise<CommandObservation> {
    for (const invocation of this.invocations.values()) {
      if (
        invocation.instanceId === instanceId &&
        invocation.comment === comment &&
        invocation.requestedAt >= since
      )
        return this.observe(invocation.commandId, instanceId);
    }
    return { kind: 'not-found' };
  }

  /**
   * Waits for the commands still running in the sandboxes. Once the scheduler has stopped, its
   * timers no longer stop commands at their execution timeout: the clock is read here instead.
   */
  async settle(): Promise<void> {
    while (this.running.size > 0) {
      for (const invocation of this.invocations.values())
        if (!invocation.result && this.scheduler.now() >= invocation.timesOutAt) invocation.stop.abort();
      let poll: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.running]),
        new Promise((resolve) => {
          poll = setTimeout(resolve, SETTLE_POLL_MS);
        }),
      ]);
      clearTimeout(poll);
    }
  }
}
