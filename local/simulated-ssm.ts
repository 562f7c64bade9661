import type { SendCommandEffect } from '../functions/core/effects.ts';
import type { CommandResult } from '../functions/core/incident.ts';
import type { CommandObservation } from '../functions/core/inputs.ts';
import type { CommandRunner } from '../functions/core/ports.ts';
import type { Agenda } from './agenda.ts';
import { commandInvocationStatusChange } from './aws-shapes.ts';
import type { LocalBus } from './local-bus.ts';

/** What a simulated instance does with a command: its outcome, and whether it clears the alarm. */
export interface SimulatedOutcome {
  readonly status: 'Success' | 'Failed' | 'TimedOut';
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr?: string;
  readonly seconds: number;
  /** The alarm returns to OK this many seconds after the command ends; absent: it stays in ALARM. */
  readonly clearsAlarmAfterSeconds?: number;
}

/** What a diagnose command prints on a simulated instance. */
const DIAGNOSIS: SimulatedOutcome = {
  status: 'Success',
  exitCode: 0,
  stdout:
    'disk-full: diagnosis (read-only)\nFilesystem 1024-blocks Used Available Capacity Mounted on\n' +
    '/dev/nvme0n1p1 8376300 8041248 335052 96% /\nlargest directories: /var/log/app 6.1G',
  seconds: 3,
};

/** How an instance answers each attempt (1-based); `refuse` plays an instance SSM cannot reach. */
export type InstanceBehaviour = ((attempt: number) => SimulatedOutcome) | 'refuse';

interface Invocation {
  readonly commandId: string;
  readonly instanceId: string;
  readonly comment: string;
  readonly requestedAt: number;
  result?: CommandResult;
}

/**
 * SSM Run Command for simulated instances: it does not execute scripts. It answers SendCommand,
 * finishes each command after the outcome's duration, emits AWS's invocation status event on the
 * local bus, and answers GetCommandInvocation and ListCommands from what it recorded.
 */
export class SimulatedSsm implements CommandRunner {
  private readonly invocations = new Map<string, Invocation>();
  private readonly attempts = new Map<string, number>();
  private readonly agenda: Agenda;
  private readonly bus: LocalBus;
  private readonly documents: Readonly<Record<string, string>>;
  private readonly behaviours: ReadonlyMap<string, InstanceBehaviour>;
  private readonly onAlarmCleared: (instanceId: string, at: number) => void;

  constructor(options: {
    agenda: Agenda;
    bus: LocalBus;
    documents: Readonly<Record<string, string>>;
    behaviours: ReadonlyMap<string, InstanceBehaviour>;
    onAlarmCleared: (instanceId: string, at: number) => void;
  }) {
    this.agenda = options.agenda;
    this.bus = options.bus;
    this.documents = options.documents;
    this.behaviours = options.behaviours;
    this.onAlarmCleared = options.onAlarmCleared;
  }

  async send(effect: SendCommandEffect): Promise<string> {
    const behaviour = this.behaviours.get(effect.instanceId);
    if (!behaviour || behaviour === 'refuse') {
      throw Object.assign(new Error(`Instances [[${effect.instanceId}]] not in a valid state`), {
        name: 'InvalidInstanceId',
      });
    }
    // The diagnose script reads and reports; it does not count as one of the instance's attempts.
    const diagnosing = effect.phase === 'diagnose';
    const attempt = (this.attempts.get(effect.instanceId) ?? 0) + (diagnosing ? 0 : 1);
    this.attempts.set(effect.instanceId, attempt);
    const outcome: SimulatedOutcome = diagnosing ? DIAGNOSIS : behaviour(attempt);
    const now = this.agenda.now();
    const commandId = `00000000-0000-4000-8000-${String(this.invocations.size + 1).padStart(12, '0')}`;
    const invocation: Invocation = {
      commandId,
      instanceId: effect.instanceId,
      comment: effect.comment,
      requestedAt: now,
    };
    this.invocations.set(commandId, invocation);
    const endsAt = now + outcome.seconds * 1000;
    this.agenda.at(endsAt, `command ${commandId} ends`, async () => {
      invocation.result = {
        status: outcome.status,
        statusDetails: outcome.status,
        responseCode: outcome.exitCode,
        stdout: outcome.stdout,
        ...(outcome.stderr ? { stderr: outcome.stderr } : {}),
        comment: effect.comment,
        finishedAt: endsAt,
      };
      if (outcome.clearsAlarmAfterSeconds !== undefined) {
        this.onAlarmCleared(effect.instanceId, endsAt + outcome.clearsAlarmAfterSeconds * 1000);
      }
      this.bus.put(
        commandInvocationStatusChange({
          commandId,
          documentName: this.documents[effect.runbook] ?? effect.runbook,
          instanceId: effect.instanceId,
          requestedAt: now,
          status: outcome.status,
          at: endsAt,
        }),
      );
    });
    return commandId;
  }

  async observe(commandId: string): Promise<CommandObservation> {
    const invocation = this.invocations.get(commandId);
    if (!invocation) return { kind: 'not-found' };
    return invocation.result
      ? { kind: 'finished', commandId, result: invocation.result }
      : { kind: 'in-progress', commandId, comment: invocation.comment };
  }

  async findByComment(instanceId: string, comment: string): Promise<CommandObservation> {
    const found = [...this.invocations.values()].find(
      (i) => i.instanceId === instanceId && i.comment === comment,
    );
    return found ? this.observe(found.commandId) : { kind: 'not-found' };
  }
}
