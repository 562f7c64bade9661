import {
  GetCommandInvocationCommand,
  type GetCommandInvocationCommandOutput,
  InvocationDoesNotExist,
  ListCommandsCommand,
  SendCommandCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import type { SendCommandEffect } from '../../core/effects.ts';
import { FINAL_INVOCATION_STATUSES } from '../../core/event-patterns.ts';
import type { CommandResult } from '../../core/incident.ts';
import type { CommandObservation } from '../../core/inputs.ts';
import { CommandOutcomeUnknownError, type CommandRunner } from '../../core/ports.ts';

/** Options of the SSM adapter. */
export interface SsmCommandRunnerOptions {
  /** Runbook name -> SSM document name, as the stack created them. */
  readonly documents: Readonly<Record<string, string>>;
  /**
   * Waits between GetCommandInvocation calls while the invocation does not exist yet (the API is
   * eventually consistent right after SendCommand).
   * @default [250, 500, 1000, 2000] ms
   */
  readonly invocationRetryDelaysMs?: readonly number[];
}

/** A command SSM refused to send. */
export class CommandRejectedError extends Error {
  override readonly name = 'CommandRejectedError';
}

const FINAL: ReadonlySet<string> = new Set(FINAL_INVOCATION_STATUSES);

/**
 * The version of a runbook document that commands run: its first. The stack names each document after
 * its content (lib/runbook-documents.ts), so a changed runbook is a new document, and a version anyone
 * adds later with `ssm:UpdateDocument` is never run: what runs is what the stack deployed.
 */
export const DEPLOYED_DOCUMENT_VERSION = '1';

/** Runs runbook documents with SSM Run Command, one instance per command. */
export class SsmCommandRunner implements CommandRunner {
  private readonly ssm: SSMClient;
  private readonly options: SsmCommandRunnerOptions;

  constructor(ssm: SSMClient, options: SsmCommandRunnerOptions) {
    this.ssm = ssm;
    this.options = options;
  }

  async send(effect: SendCommandEffect): Promise<string> {
    const documentName = this.options.documents[effect.runbook];
    if (!documentName)
      throw new CommandRejectedError(`runbook ${effect.runbook} has no SSM document in this stack`);
    try {
      const { Command } = await this.ssm.send(
        new SendCommandCommand({
          DocumentName: documentName,
          // The version the stack deployed, never one added since.
          DocumentVersion: DEPLOYED_DOCUMENT_VERSION,
          InstanceIds: [effect.instanceId],
          Comment: effect.comment.slice(0, 100),
          TimeoutSeconds: effect.deliveryTimeoutSeconds,
          // Values reach the script only as document parameters that SSM checks against their
          // allowedPattern and hands to the script as SSM_<name> environment variables, never as shell text.
          Parameters: {
            action: [effect.action],
            executionTimeout: [String(effect.executionTimeoutSeconds)],
            ...Object.fromEntries(Object.entries(effect.parameters).map(([name, value]) => [name, [value]])),
          },
        }),
      );
      if (!Command?.CommandId) throw new CommandRejectedError('SSM returned no command id');
      return Command.CommandId;
    } catch (error) {
      if (error instanceof CommandRejectedError) throw error;
      // A client error (4xx: throttled, invalid instance, access denied...) says SSM did not take the
      // command; a server error or a lost answer may hide a command that is running.
      if (outcomeUnknown(error)) throw new CommandOutcomeUnknownError(describeSendError(error));
      throw new CommandRejectedError(describeSendError(error));
    }
  }

  async observe(commandId: string, instanceId: string): Promise<CommandObservation> {
    const delays = this.options.invocationRetryDelaysMs ?? [250, 500, 1000, 2000];
    for (let attempt = 0; ; attempt++) {
      try {
        const output = await this.ssm.send(
          new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }),
        );
        return FINAL.has(output.Status ?? '')
          ? { kind: 'finished', commandId, result: toResult(output) }
          : { kind: 'in-progress', commandId, ...(output.Comment ? { comment: output.Comment } : {}) };
      } catch (error) {
        const delay = delays[attempt];
        if (!(error instanceof InvocationDoesNotExist)) throw error;
        if (delay === undefined) return { kind: 'not-found' };
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  async findByComment(instanceId: string, comment: string, since: number): Promise<CommandObservation> {
    let NextToken: string | undefined;
    do {
      const page = await this.ssm.send(
        new ListCommandsCommand({
          InstanceId: instanceId,
          Filters: [{ key: 'InvokedAfter', value: new Date(since - 60_000).toISOString() }],
          NextToken,
        }),
      );
      const found = page.Commands?.find((c) => c.Comment === comment && c.CommandId);
      if (found?.CommandId) return this.observe(found.CommandId, instanceId);
      NextToken = page.NextToken;
    } while (NextToken);
    return { kind: 'not-found' };
  }
}

/** The result of an invocation, as the decider records it. */
export function toResult(output: GetCommandInvocationCommandOutput): CommandResult {
  const finishedAt = output.ExecutionEndDateTime ? Date.parse(output.ExecutionEndDateTime) : Number.NaN;
  return {
    status: output.Status ?? 'Unknown',
    ...(output.StatusDetails ? { statusDetails: output.StatusDetails } : {}),
    ...(output.ResponseCode === undefined ? {} : { responseCode: output.ResponseCode }),
    ...(output.StandardOutputContent ? { stdout: output.StandardOutputContent } : {}),
    ...(output.StandardErrorContent ? { stderr: output.StandardErrorContent } : {}),
    ...(output.Comment ? { comment: output.Comment } : {}),
    ...(Number.isFinite(finishedAt) ? { finishedAt } : {}),
  };
}

/** Errors of the connection rather than of SSM: the request may have been served. */
const LOST_ANSWERS = new Set([
  'TimeoutError',
  'AbortError',
  'RequestTimeout',
  'RequestTimeoutException',
  'NetworkingError',
]);
const CONNECTION_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED']);

/** Whether a SendCommand error leaves open whether SSM accepted the command. */
function outcomeUnknown(error: unknown): boolean {
  const e = error as {
    name?: string;
    code?: string;
    $fault?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const status = e?.$metadata?.httpStatusCode;
  return (
    e?.$fault === 'server' ||
    (status !== undefined && status >= 500) ||
    LOST_ANSWERS.has(e?.name ?? '') ||
    CONNECTION_CODES.has(e?.code ?? '')
  );
}

function describeSendError(error: unknown): string {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'AccessDeniedException') {
    return `${name}: not authorized to run the runbook there; does the instance carry the opt-in tag? (${message})`;
  }
  if (name === 'InvalidInstanceId') {
    return `${name}: the instance is not managed by SSM right now (agent offline, stopped or not registered)`;
  }
  return `${name}: ${message}`;
}
