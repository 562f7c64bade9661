import { randomUUID } from 'node:crypto';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { STSClient } from '@aws-sdk/client-sts';
import { RESPONDER_VERBS } from '../functions/core/incident.ts';
import {
  OPERATOR_COMMANDS,
  type OperatorCommand,
  type OperatorRequest,
  type OperatorResponse,
} from '../functions/core/operator-request.ts';

/**
 * The CLI's side of the operator function: it turns a command line into an {@link OperatorRequest},
 * invokes the function with the operator's own AWS credentials (IAM decides who may:
 * `lambda:InvokeFunction` on it), and prints the one-line answer. The function records who acted as
 * the CLI names them: the STS caller ARN of those credentials, unless --by says otherwise.
 */

/** The environment variable that names the operator function when --function is not given. */
export const OPERATOR_FUNCTION_ENV = 'REMEDIATION_OPERATOR_FUNCTION';

/** What an operator command reads from the command line. */
export interface OperatorCliOptions {
  /** The operator function (the stack output OperatorFunctionName); else REMEDIATION_OPERATOR_FUNCTION. */
  readonly function?: string;
  readonly region?: string;
  /** Who acts; else the STS caller ARN. */
  readonly by?: string;
  readonly proposal?: string;
  readonly runbook?: string;
  readonly reason?: string;
}

/** The commands that go through the operator function, and those about one incident (only through it). */
export { OPERATOR_COMMANDS, type OperatorCommand };
export const INCIDENT_COMMANDS: readonly OperatorCommand[] = RESPONDER_VERBS;

/** The SDK clients an operator command uses; tests pass mocked ones. */
export interface OperatorClients {
  readonly lambda: Pick<LambdaClient, 'send'>;
  readonly sts: Pick<STSClient, 'send'>;
}

/**
 * The clients on AWS, with the environment's credentials. Loaded only by the commands that use them,
 * so that every other command starts as fast as before.
 */
export async function awsOperatorClients(region?: string): Promise<OperatorClients> {
  const [{ LambdaClient }, { STSClient }] = await Promise.all([
    import('@aws-sdk/client-lambda'),
    import('@aws-sdk/client-sts'),
  ]);
  const config = region ? { region } : {};
  return { lambda: new LambdaClient(config), sts: new STSClient(config) };
}

/** The operator function named by --function or the environment, if any. */
export function operatorFunctionName(
  options: Pick<OperatorCliOptions, 'function'>,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const name = options.function?.trim() || env[OPERATOR_FUNCTION_ENV]?.trim();
  return name ? name : undefined;
}

/** Why an incident command cannot run without the function. */
export function functionNeeded(command: string): string {
  return (
    `${command} needs the operator function: give --function NAME (the stack output OperatorFunctionName) ` +
    `or set ${OPERATOR_FUNCTION_ENV}. Incident actions are decided by the deployed engine, with every gate, ` +
    'never written to the table from here.'
  );
}

/** The note a fleet command prints when it writes the table directly. */
export const NOT_ANNOUNCED =
  'note: changed in the table directly, so the notice of this change (and the OK of the pages it ends) is not ' +
  `sent; give --function NAME (the stack output OperatorFunctionName) or set ${OPERATOR_FUNCTION_ENV} to go ` +
  'through the operator function, which announces it';

/**
 * The request a command line makes, without `by` (filled in from STS) and with a fresh request id;
 * a string when the command line lacks something.
 */
export function operatorRequestFor(
  command: OperatorCommand,
  args: readonly string[],
  options: OperatorCliOptions,
  newRequestId: () => string = randomUUID,
): OperatorRequest | string {
  const [first, second] = args;
  const reason = options.reason?.trim();
  const about = (verb: string) =>
    first
      ? { incident: first, request: newRequestId(), channel: 'cli' as const }
      : `${verb} needs an incident id or a prefix of it (at least 6 characters)`;
  switch (command) {
    case 'approve':
    case 'deny': {
      const base = about(command);
      if (typeof base === 'string') return base;
      return { verb: command, ...base, ...(options.proposal ? { proposal: options.proposal } : {}) };
    }
    case 'retry':
    case 'take': {
      const base = about(command);
      return typeof base === 'string' ? base : { verb: command, ...base };
    }
    case 'run': {
      const base = about(command);
      if (typeof base === 'string') return base;
      if (!second) return 'run needs the name of an action of the runbook (diagnose, or one of its actions)';
      return { verb: 'run', ...base, action: second };
    }
    case 'snooze': {
      const base = about(command);
      if (typeof base === 'string') return base;
      if (!second) return 'snooze needs a duration: 30m, 1h, 2h30m (5 minutes to 24 hours)';
      return { verb: 'snooze', ...base, duration: second };
    }
    case 'pause':
      if (!reason) return 'pause needs --reason "..." : the page and the record say why';
      return {
        verb: 'pause',
        channel: 'cli',
        reason,
        ...(options.runbook ? { runbook: options.runbook } : {}),
      };
    case 'resume':
      return { verb: 'resume', channel: 'cli', ...(options.runbook ? { runbook: options.runbook } : {}) };
    case 'breaker close':
      if (!options.runbook) return 'breaker close needs --runbook NAME';
      if (!reason) return 'breaker close needs --reason "..." : the record says why';
      return { verb: 'breaker-close', channel: 'cli', runbook: options.runbook, reason };
    case 'runbooks approve-mode':
    case 'runbooks dry-run': {
      if (!first) return `${command} needs the name of a runbook`;
      if (!reason) return `${command} needs --reason "..."`;
      const mode = command === 'runbooks approve-mode' ? 'approve' : 'dry-run';
      return { verb: 'set-mode', channel: 'cli', runbook: first, mode, reason };
    }
    case 'runbooks enforce':
      if (!first) return 'runbooks enforce needs the name of a runbook';
      return {
        verb: 'set-mode',
        channel: 'cli',
        runbook: first,
        mode: 'enforce',
        ...(reason ? { reason } : {}),
      };
  }
}

/** Who the CLI says acts: --by, else the ARN of the caller's AWS credentials. */
export async function callerName(options: Pick<OperatorCliOptions, 'by'>, sts: OperatorClients['sts']) {
  if (options.by?.trim()) return options.by.trim();
  const { GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  const { Arn } = await sts.send(new GetCallerIdentityCommand({}));
  if (!Arn) throw new Error('STS GetCallerIdentity gave no ARN; say who acts with --by');
  return Arn;
}

/** Invokes the operator function and reads its answer; throws when the function failed. */
export async function invokeOperator(
  functionName: string,
  request: OperatorRequest,
  lambda: OperatorClients['lambda'],
): Promise<OperatorResponse> {
  const { InvokeCommand } = await import('@aws-sdk/client-lambda');
  const output = await lambda.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'RequestResponse',
      Payload: new TextEncoder().encode(JSON.stringify(request)),
    }),
  );
  const body = output.Payload ? new TextDecoder().decode(output.Payload) : '';
  if (output.FunctionError) {
    const error = safeJson(body) as { errorMessage?: unknown } | undefined;
    const why = typeof error?.errorMessage === 'string' ? error.errorMessage : body.slice(0, 300);
    throw new Error(`the operator function ${functionName} failed: ${why || output.FunctionError}`);
  }
  const answer = safeJson(body) as Partial<OperatorResponse> | undefined;
  if (typeof answer?.ok !== 'boolean' || typeof answer.message !== 'string')
    throw new Error(
      `the operator function ${functionName} answered something else than {ok, message}: ${body.slice(0, 300)}`,
    );
  return answer as OperatorResponse;
}

/**
 * Runs an operator command through the function: prints the answer's one line, and resolves to the
 * exit code (0 done, 1 refused or failed, 2 a command line that lacks something).
 */
export async function runOperatorCommand(
  command: OperatorCommand,
  args: readonly string[],
  options: OperatorCliOptions,
  io: {
    readonly clients: OperatorClients;
    readonly functionName: string;
    readonly out?: (line: string) => void;
    readonly err?: (line: string) => void;
    readonly newRequestId?: () => string;
  },
): Promise<number> {
  const out = io.out ?? ((line: string) => console.log(line));
  const err = io.err ?? ((line: string) => console.error(line));
  const request = operatorRequestFor(command, args, options, io.newRequestId);
  if (typeof request === 'string') {
    err(request);
    return 2;
  }
  try {
    const by = await callerName(options, io.clients.sts);
    const answer = await invokeOperator(io.functionName, { ...request, by }, io.clients.lambda);
    (answer.ok ? out : err)(answer.message);
    return answer.ok ? 0 : 1;
  } catch (error) {
    err(error instanceof Error ? error.message : String(error));
    return 1;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
