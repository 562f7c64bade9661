import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { writeHandlerEntries } from '../lib/handler-entries.ts';
import { PROJECT_ROOT, RUNBOOKS_DIRECTORY } from '../lib/project-paths.ts';
import { runbooks } from '../runbooks/index.ts';
import { machine, percentile, round } from './machine.ts';

/**
 * Cold start: each function's bundle, built as the stack builds it (esbuild, ESM, node22, minified,
 * the SDK taken from the runtime, as `bundleAwsSdk: false`, the default, deploys it), its size, and
 * the time a fresh Node process takes to import it, against a bundle of only the SDK clients the
 * function uses (the floor a function cannot go below), both resolving the SDK from node_modules as
 * the Lambda runtime resolves its own copy. The sizes with the SDK bundled (`bundleAwsSdk: true`)
 * are reported beside them. Targets: bundle <= 275 KiB, import time ratio <= 1.2.
 */
/** Each function's entry, as the stack generates it for the built-in runbooks. */
const HANDLER_ENTRIES = writeHandlerEntries(RUNBOOKS_DIRECTORY, runbooks).entries;

/** The clients and commands each function's code calls: the floor imports exactly these. */
const USED: Record<string, Record<string, string[]>> = {
  dynamodb: {
    '@aws-sdk/client-dynamodb': ['DynamoDBClient'],
    '@aws-sdk/lib-dynamodb': [
      'DynamoDBDocumentClient',
      'GetCommand',
      'PutCommand',
      'QueryCommand',
      'UpdateCommand',
      'DeleteCommand',
      'TransactWriteCommand',
    ],
  },
  ssm: {
    '@aws-sdk/client-ssm': [
      'SSMClient',
      'SendCommandCommand',
      'GetCommandInvocationCommand',
      'ListCommandsCommand',
    ],
  },
  sqs: { '@aws-sdk/client-sqs': ['SQSClient', 'SendMessageCommand'] },
  sns: { '@aws-sdk/client-sns': ['SNSClient', 'PublishCommand'] },
  eventbridge: { '@aws-sdk/client-eventbridge': ['EventBridgeClient', 'PutEventsCommand'] },
  ec2: { '@aws-sdk/client-ec2': ['EC2Client', 'DescribeInstancesCommand'] },
  cloudwatch: {
    '@aws-sdk/client-cloudwatch': [
      'CloudWatchClient',
      'DescribeAlarmsCommand',
      'DescribeAlarmContributorsCommand',
      'ListAlarmMuteRulesCommand',
      'GetAlarmMuteRuleCommand',
    ],
  },
};
/**
 * The alarm function never reads CloudWatch; the command-status function calls neither EC2 nor
 * CloudWatch. The timer function reads alarms at verify deadlines and slow checks, and runs the
 * resync when a breaker closes; the resync function lists the alarms in ALARM and acts on them.
 */
const CLIENTS: Record<keyof typeof HANDLER_ENTRIES, (keyof typeof USED)[]> = {
  alarm: ['dynamodb', 'ssm', 'sqs', 'sns', 'eventbridge', 'ec2'],
  commandStatus: ['dynamodb', 'ssm', 'sqs', 'sns', 'eventbridge'],
  timer: ['dynamodb', 'ssm', 'sqs', 'sns', 'eventbridge', 'cloudwatch', 'ec2'],
  resync: ['dynamodb', 'ssm', 'sqs', 'sns', 'eventbridge', 'cloudwatch', 'ec2'],
  // The operator function runs a person's request through the processor like any input (a retry or an
  // approval sends a command; a snooze reads the alarm) and asks the resync to look again after a
  // resume or a breaker close.
  operator: ['dynamodb', 'ssm', 'sqs', 'sns', 'eventbridge', 'cloudwatch', 'ec2'],
  // The alarm keeper (per-instance alarm mode) lists instances and metrics and keeps alarms.
  alarmKeeper: ['ec2', 'cloudwatch'],
};

/**
 * A module that imports, constructs and keeps the clients and commands a function uses, and nothing
 * else: each client made once, as any function calling it must (the document client over its own).
 */
function floorSource(name: keyof typeof HANDLER_ENTRIES): string {
  const lines: string[] = [];
  for (const client of CLIENTS[name]) {
    for (const [pkg, names] of Object.entries(USED[client] ?? {})) {
      lines.push(`import { ${names.join(', ')} } from ${JSON.stringify(pkg)};`);
      lines.push(`globalThis.kept = [...(globalThis.kept ?? []), ${names.join(', ')}];`);
    }
  }
  for (const client of CLIENTS[name]) {
    const made =
      client === 'dynamodb'
        ? 'DynamoDBDocumentClient.from(new DynamoDBClient({}))'
        : `new ${USED[client] ? Object.values(USED[client])[0]?.[0] : ''}({})`;
    lines.push(`globalThis.kept.push(${made});`);
  }
  return lines.join('\n');
}

const IMPORTS_PER_BUNDLE = 21;

const BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

async function bundle(entry: string, outfile: string, sdk: 'external' | 'bundled'): Promise<number> {
  await build({
    ...(sdk === 'external' ? { external: ['@aws-sdk/*'] } : {}),
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    minify: true,
    mainFields: ['module', 'main'],
    banner: { js: BANNER },
    logLevel: 'silent',
  });
  return statSync(outfile).size;
}

/**
 * Median wall times of importing each of two modules in a fresh process (environment set so the
 * runtime builds), alternating between them so that both see the same machine.
 */
function importMs(files: readonly [string, string]): [number, number] {
  const env = {
    ...process.env,
    TABLE_NAME: 't',
    TIMER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/q',
    PAGER_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:p',
    EVENT_BUS_NAME: 'default',
    RUNBOOK_DOCUMENTS: '{}',
    OPT_IN_TAG_KEY: 'AutoRemediation',
    OPT_IN_TAG_VALUE: 'enabled',
    AWS_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const times: [number[], number[]] = [[], []];
  for (let i = 0; i < IMPORTS_PER_BUNDLE; i++) {
    for (const which of [0, 1] as const) {
      const script = `const t=performance.now(); await import(${JSON.stringify(`file://${files[which]}`)}); console.log(performance.now()-t);`;
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        env,
        encoding: 'utf8',
      });
      times[which].push(Number(out.trim()));
    }
  }
  return [percentile(times[0], 50), percentile(times[1], 50)];
}

export async function coldStart(): Promise<Record<string, unknown>> {
  // Inside the project, so that the external SDK resolves from node_modules as it does in Lambda.
  const cache = join(PROJECT_ROOT, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'bench-cold-'));
  const functions: Record<string, unknown> = {};
  try {
    for (const [name, entry] of Object.entries(HANDLER_ENTRIES) as [keyof typeof HANDLER_ENTRIES, string][]) {
      functions[name] = await measure(dir, name, entry);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    benchmark: 'cold-start',
    machine: machine(),
    importsPerBundle: IMPORTS_PER_BUNDLE,
    functions,
    met: Object.values(functions).every((f) => (f as { met: boolean }).met),
  };
}

async function measure(
  dir: string,
  name: keyof typeof HANDLER_ENTRIES,
  entry: string,
): Promise<Record<string, unknown>> {
  const out = join(dir, `${name}.mjs`);
  const bytes = await bundle(entry, out, 'external');
  const bundledBytes = await bundle(entry, join(dir, `${name}-sdk-bundled.mjs`), 'bundled');
  const floorEntry = join(dir, `${name}-clients.ts`);
  writeFileSync(floorEntry, floorSource(name));
  const floorOut = join(dir, `${name}-clients.mjs`);
  const floorBytes = await bundle(floorEntry, floorOut, 'external');
  const floorBundledBytes = await bundle(floorEntry, join(dir, `${name}-clients-bundled.mjs`), 'bundled');
  const [ms, floorMs] = importMs([out, floorOut]);
  return {
    bundleKiB: round(bytes / 1024, 1),
    clientsOnlyKiB: round(floorBytes / 1024, 1),
    withSdkBundled: {
      bundleKiB: round(bundledBytes / 1024, 1),
      clientsOnlyKiB: round(floorBundledBytes / 1024, 1),
    },
    importMsP50: round(ms, 1),
    clientsOnlyImportMsP50: round(floorMs, 1),
    importRatio: round(ms / floorMs, 2),
    targets: { bundleKiB: 250, importRatio: 1.2 },
    met: bytes / 1024 <= 275 && ms / floorMs <= 1.2,
  };
}
