import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { HandlerEntries } from './handler-entries.ts';

/** The timer function's timeout; the timer queue's visibility timeout is derived from it. */
export const TIMER_TIMEOUT = Duration.seconds(60);
/** The resync function's timeout. */
export const RESYNC_TIMEOUT = Duration.minutes(3);
/**
 * How many requests the operator function runs at once by default: people act one request at a
 * time, and a flood of button presses or scripted calls must not take the account's concurrency
 * from the functions that answer alarms.
 */
export const OPERATOR_CONCURRENCY = 3;

/** Options of the remediation functions. */
export interface RemediationFunctionsProps {
  /** The generated entries the functions are bundled from (with exactly the deployed runbooks). */
  readonly entries: HandlerEntries;
  /** Environment of every function (the handlers' configuration contract). */
  readonly environment: Readonly<Record<string, string>>;
  /** Where EventBridge-invoked functions send an event after Lambda's async retries are spent. */
  readonly invocationFailureQueue: sqs.IQueue;
  /**
   * How long function logs are kept.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the function log groups when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Bundle the AWS SDK clients into each function instead of using the copy the Lambda runtime
   * ships. Bundling pins the exact SDK version the tests ran against, at the price of bundles about
   * six times larger (about 1.6 MiB instead of 225 KiB) and slower cold starts.
   * @default false
   */
  readonly bundleAwsSdk?: boolean;
  /**
   * The operator function's reserved concurrency, or `false` for none (an account whose Lambda
   * concurrency quota is below about 100 cannot reserve any: Lambda keeps a minimum unreserved).
   * @default OPERATOR_CONCURRENCY (3)
   */
  readonly operatorConcurrency?: number | false;
}

/**
 * The five handlers as Node.js 22 functions on arm64, bundled by esbuild into minified ESM with
 * source maps. Each has its own role and log group, so that each is granted only what it uses.
 */
export class RemediationFunctions extends Construct {
  /** Handles "CloudWatch Alarm State Change". */
  readonly alarm: nodejs.NodejsFunction;
  /** Handles "EC2 Command Invocation Status-change Notification". */
  readonly commandStatus: nodejs.NodejsFunction;
  /** Consumes the timer queue. */
  readonly timer: nodejs.NodejsFunction;
  /** Reconciles the alarms in ALARM with the open incidents, on a schedule and on request. */
  readonly resync: nodejs.NodejsFunction;
  /**
   * Answers people: an approval, a retry, a snooze… from the CLI (`npx remediate retry <id>`) or a chat
   * button, and the pauses, breaker closes and mode switches it announces. Invoked synchronously.
   */
  readonly operator: nodejs.NodejsFunction;

  private readonly props: RemediationFunctionsProps;

  constructor(scope: Construct, id: string, props: RemediationFunctionsProps) {
    super(scope, id);
    this.props = props;
    const eventBridgeInvoked = {
      // Lambda's own async retries, after 1 and 3 minutes; then the event goes to the failure queue.
      retryAttempts: 2,
      onFailure: new destinations.SqsDestination(props.invocationFailureQueue),
    };
    this.alarm = this.createFunction('Alarm', {
      entry: props.entries.entries.alarm,
      description: 'Answers CloudWatch alarm state changes with the matching runbook',
      timeout: Duration.seconds(30),
      ...eventBridgeInvoked,
    });
    this.commandStatus = this.createFunction('CommandStatus', {
      entry: props.entries.entries.commandStatus,
      description: 'Records the results of runbook commands from SSM status events',
      timeout: Duration.seconds(30),
      ...eventBridgeInvoked,
    });
    this.timer = this.createFunction('Timer', {
      entry: props.entries.entries.timer,
      description: 'Fires remediation timers: retries, verify deadlines, reconciliation with SSM',
      timeout: TIMER_TIMEOUT,
    });
    this.resync = this.createFunction('Resync', {
      entry: props.entries.entries.resync,
      description:
        'Reconciles the alarms in ALARM with the open incidents (every few minutes, and on resume)',
      // Paced DescribeAlarms pages and a few decisions per alarm found; a run that is cut short is
      // taken up by the next, which is idempotent.
      timeout: RESYNC_TIMEOUT,
      // The schedule comes back: an async retry would only add a run beside the next one.
      retryAttempts: 0,
    });
    const concurrency = props.operatorConcurrency ?? OPERATOR_CONCURRENCY;
    if (concurrency !== false && !(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 100)) {
      throw new Error(
        `operatorConcurrency must be a whole number from 1 to 100, or false for no reservation; not ${concurrency}`,
      );
    }
    this.operator = this.createFunction('Operator', {
      entry: props.entries.entries.operator,
      description: "Answers people's requests about incidents and runbooks (the remediate CLI, chat buttons)",
      // A request runs one decision, and may send one command (an approval, a retry, a run).
      timeout: Duration.seconds(30),
      ...(concurrency === false ? {} : { reservedConcurrentExecutions: concurrency }),
      // Invoked synchronously: the caller sees a failure and asks again; no async retry.
      retryAttempts: 0,
    });
  }

  /** The five functions, for what applies to all of them. */
  get all(): readonly nodejs.NodejsFunction[] {
    return [this.alarm, this.commandStatus, this.timer, this.resync, this.operator];
  }

  private createFunction(id: string, options: nodejs.NodejsFunctionProps): nodejs.NodejsFunction {
    return createRemediationFunction(this, id, this.props, options);
  }
}

/** How every function of the engine is built: its entries, environment, logs and SDK. */
export type RemediationFunctionSettings = Omit<RemediationFunctionsProps, 'invocationFailureQueue'>;

/**
 * One handler built as the engine builds each of its functions (Node.js 22 on arm64, minified ESM with
 * source maps, its own role and log group): the five above, and the alarm keeper (lib/runbook-alarms.ts).
 */
export function createRemediationFunction(
  scope: Construct,
  id: string,
  settings: RemediationFunctionSettings,
  options: nodejs.NodejsFunctionProps,
): nodejs.NodejsFunction {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: settings.logRetention ?? logs.RetentionDays.THREE_MONTHS,
    removalPolicy: settings.logRemovalPolicy ?? RemovalPolicy.RETAIN,
  });
  // Our own role instead of AWSLambdaBasicExecutionRole: it may write to its log group only.
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `Runs the ${id} remediation function`,
  });
  logGroup.grantWrite(role);
  const fn = new nodejs.NodejsFunction(scope, id, {
    ...options,
    handler: 'handler',
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: 256,
    role,
    logGroup,
    loggingFormat: lambda.LoggingFormat.JSON,
    environment: { ...settings.environment, NODE_OPTIONS: '--enable-source-maps' },
    projectRoot: settings.entries.projectRoot,
    depsLockFilePath: settings.entries.depsLockFilePath,
    bundling: {
      format: nodejs.OutputFormat.ESM,
      target: 'node22',
      minify: true,
      sourceMap: true,
      sourcesContent: false,
      mainFields: ['module', 'main'],
      // The runtime's SDK v3 by default (small bundles, fast cold starts); see `bundleAwsSdk`.
      bundleAwsSDK: settings.bundleAwsSdk ?? false,
      // CommonJS dependencies inside an ESM bundle still call require().
      banner:
        "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  });
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-L1',
    reason:
      'nodejs22.x is pinned on purpose, together with the esbuild target node22; move both to nodejs24.x in one change.',
  });
  return fn;
}
