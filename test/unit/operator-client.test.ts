import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type OperatorCommand, operatorFunctionName, runOperatorCommand } from '../../cli/operator-client.ts';
import { parseOperatorRequest } from '../../functions/handlers/operator-schema.ts';

/**
 * The CLI's operator commands: each command line becomes one Invoke of the operator function with
 * the payload the function accepts, `by` is the caller's STS ARN, and the answer decides the exit code.
 */

const lambda = mockClient(LambdaClient);
const sts = mockClient(STSClient);
const ARN = 'arn:aws:sts::123456789012:assumed-role/oncall/ana';
const FUNCTION = 'Ec2AutoRemediation-OperatorFunction';
const INCIDENT = 'cpu-high.a1b2c3d4.i-0123456789abcdef0.20301121T030000000Z';

function answer(body: unknown, functionError?: string) {
  lambda.on(InvokeCommand).resolves({
    StatusCode: 200,
    Payload: new TextEncoder().encode(JSON.stringify(body)) as never,
    ...(functionError ? { FunctionError: functionError } : {}),
  });
}

async function run(command: OperatorCommand, args: string[], options: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runOperatorCommand(command, args, options, {
    functionName: FUNCTION,
    clients: {
      lambda: new LambdaClient({ region: 'us-east-1' }),
      sts: new STSClient({ region: 'us-east-1' }),
    },
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    newRequestId: () => 'req-1',
  });
  return { code, out, err };
}

const invoked = () =>
  lambda.commandCalls(InvokeCommand).map((call) => ({
    FunctionName: call.args[0].input.FunctionName,
    InvocationType: call.args[0].input.InvocationType,
    payload: JSON.parse(new TextDecoder().decode(call.args[0].input.Payload as Uint8Array)),
  }));

beforeEach(() => {
  lambda.reset();
  sts.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Arn: ARN, Account: '123456789012' });
  answer({ ok: true, message: 'done', incident: INCIDENT, status: 'remediating' });
});

describe('operator commands through the function', () => {
  const about = { incident: 'cpu-high.a1b2', request: 'req-1', channel: 'cli', by: ARN };
  const cases: [OperatorCommand, string[], Record<string, string>, Record<string, unknown>][] = [
    ['approve', ['cpu-high.a1b2'], {}, { verb: 'approve', ...about }],
    [
      'approve',
      ['cpu-high.a1b2'],
      { proposal: `${INCIDENT}/p1` },
      { verb: 'approve', ...about, proposal: `${INCIDENT}/p1` },
    ],
    ['deny', ['cpu-high.a1b2'], {}, { verb: 'deny', ...about }],
    ['retry', ['cpu-high.a1b2'], {}, { verb: 'retry', ...about }],
    ['run', ['cpu-high.a1b2', 'diagnose'], {}, { verb: 'run', ...about, action: 'diagnose' }],
    ['snooze', ['cpu-high.a1b2', '2h30m'], {}, { verb: 'snooze', ...about, duration: '2h30m' }],
    ['take', ['cpu-high.a1b2'], {}, { verb: 'take', ...about }],
    [
      'pause',
      [],
      { runbook: 'cpu-high', reason: 'bad deploy' },
      { verb: 'pause', channel: 'cli', by: ARN, runbook: 'cpu-high', reason: 'bad deploy' },
    ],
    ['pause', [], { reason: 'freeze' }, { verb: 'pause', channel: 'cli', by: ARN, reason: 'freeze' }],
    ['resume', [], {}, { verb: 'resume', channel: 'cli', by: ARN }],
    [
      'breaker close',
      [],
      { runbook: 'cpu-high', reason: 'fixed the shared cause' },
      {
        verb: 'breaker-close',
        channel: 'cli',
        by: ARN,
        runbook: 'cpu-high',
        reason: 'fixed the shared cause',
      },
    ],
    [
      'runbooks approve-mode',
      ['cpu-high'],
      { reason: 'new script' },
      {
        verb: 'set-mode',
        channel: 'cli',
        by: ARN,
        runbook: 'cpu-high',
        mode: 'approve',
        reason: 'new script',
      },
    ],
    [
      'runbooks dry-run',
      ['cpu-high'],
      { reason: 'flaky' },
      { verb: 'set-mode', channel: 'cli', by: ARN, runbook: 'cpu-high', mode: 'dry-run', reason: 'flaky' },
    ],
    [
      'runbooks enforce',
      ['cpu-high'],
      {},
      { verb: 'set-mode', channel: 'cli', by: ARN, runbook: 'cpu-high', mode: 'enforce' },
    ],
  ];

  it.each(cases)(
    '%s %j %j invokes the function once with its payload',
    async (command, args, options, payload) => {
      const { code, out } = await run(command, args, options);

      expect(code).toBe(0);
      expect(out).toEqual(['done']);
      expect(invoked()).toEqual([{ FunctionName: FUNCTION, InvocationType: 'RequestResponse', payload }]);
      // The function's own schema takes what the CLI sends.
      expect(parseOperatorRequest(payload)).toEqual(expect.objectContaining({ verb: payload.verb }));
    },
  );

  it('names the caller by --by when given, without asking STS', async () => {
    await run('take', ['cpu-high.a1b2'], { by: 'ana@example.com' });

    expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(0);
    expect(invoked()[0]?.payload.by).toBe('ana@example.com');
  });

  it('exits 1 and prints the reason when the function refuses', async () => {
    answer({ ok: false, message: 'approve refused: proposal already approved by cli:bob' });

    const { code, out, err } = await run('approve', ['cpu-high.a1b2']);

    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err).toEqual(['approve refused: proposal already approved by cli:bob']);
  });

  it('exits 1 when the function fails, or answers something else, or STS cannot say who', async () => {
    answer({ errorMessage: 'Task timed out after 30.00 seconds' }, 'Unhandled');
    const failed = await run('retry', ['cpu-high.a1b2']);
    expect(failed).toMatchObject({ code: 1, err: [expect.stringContaining('Task timed out')] });

    answer({ hello: 'world' });
    const odd = await run('retry', ['cpu-high.a1b2']);
    expect(odd).toMatchObject({
      code: 1,
      err: [expect.stringContaining('something else than {ok, message}')],
    });

    sts.on(GetCallerIdentityCommand).rejects(new Error('ExpiredToken'));
    const unknown = await run('retry', ['cpu-high.a1b2']);
    expect(unknown).toMatchObject({ code: 1, err: ['ExpiredToken'] });
    expect(invoked()).toHaveLength(2);
  });

  it('exits 2 without invoking anything when the command line lacks something', async () => {
    const lacking: [OperatorCommand, string[], Record<string, string>, string][] = [
      ['approve', [], {}, 'approve needs an incident id'],
      ['run', ['cpu-high.a1b2'], {}, 'run needs the name of an action'],
      ['snooze', ['cpu-high.a1b2'], {}, 'snooze needs a duration'],
      ['pause', [], {}, 'pause needs --reason'],
      ['breaker close', [], { reason: 'x' }, 'breaker close needs --runbook'],
      ['runbooks approve-mode', ['cpu-high'], {}, 'runbooks approve-mode needs --reason'],
      ['runbooks enforce', [], {}, 'runbooks enforce needs the name of a runbook'],
    ];
    for (const [command, args, options, message] of lacking) {
      const { code, err } = await run(command, args, options);
      expect({ command, code, err }).toEqual({ command, code: 2, err: [expect.stringContaining(message)] });
    }
    expect(invoked()).toHaveLength(0);
  });

  it('finds the function by --function, else REMEDIATION_OPERATOR_FUNCTION', () => {
    expect(operatorFunctionName({ function: 'f1' }, { REMEDIATION_OPERATOR_FUNCTION: 'f2' })).toBe('f1');
    expect(operatorFunctionName({}, { REMEDIATION_OPERATOR_FUNCTION: 'f2' })).toBe('f2');
    expect(operatorFunctionName({ function: ' ' }, {})).toBeUndefined();
  });
});

describe('the remediate CLI', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  async function remediate(...args: string[]) {
    const env = { ...process.env };
    delete env.REMEDIATION_OPERATOR_FUNCTION;
    try {
      const { stdout, stderr } = await promisify(execFile)('bin/remediate.ts', args, {
        cwd: root,
        env,
        timeout: 60_000,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      return error as { code: number; stdout: string; stderr: string };
    }
  }

  it('suggests the command or option meant by a typo, and says an incident action needs the function', async () => {
    const [verb, option, noFunction] = await Promise.all([
      remediate('aprove', 'cpu-high.a1b2'),
      remediate('approve', 'cpu-high.a1b2', '--propsal', 'x'),
      remediate('take', 'cpu-high.a1b2'),
    ]);

    expect(verb).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('did you mean remediate approve?'),
    });
    expect(option).toMatchObject({ code: 2, stderr: expect.stringContaining('did you mean --proposal?') });
    expect(noFunction).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('take needs the operator function'),
    });
    expect(noFunction.stderr).toContain('OperatorFunctionName');
  });
});
