import { Logger } from '@aws-lambda-powertools/logger';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { CloudWatchAlarmReader } from '../adapters/aws/cloudwatch-alarm-reader.ts';
import { DynamoDbFleetGuard } from '../adapters/aws/dynamodb-fleet-guard.ts';
import { DynamoDbIncidentStore } from '../adapters/aws/dynamodb-incident-store.ts';
import { DynamoDbKillSwitch } from '../adapters/aws/dynamodb-kill-switch.ts';
import { Ec2InstanceInventory } from '../adapters/aws/ec2-instance-inventory.ts';
import { Ec2OptInReader } from '../adapters/aws/ec2-opt-in-reader.ts';
import { EventBridgePublisher } from '../adapters/aws/eventbridge-publisher.ts';
import { PowertoolsMetrics } from '../adapters/aws/powertools-metrics.ts';
import { defaultCloudWatchClient, defaultEc2Client } from '../adapters/aws/sdk-modules.ts';
import { SnsPager } from '../adapters/aws/sns-pager.ts';
import { SqsTimerQueue } from '../adapters/aws/sqs-timer-queue.ts';
import { SsmCommandRunner } from '../adapters/aws/ssm-command-runner.ts';
import { PagerWithEvents, pageEventsEnabled } from '../adapters/pager-events.ts';
import type {
  AlarmReader,
  Clock,
  CommandRunner,
  FleetGuard,
  IncidentStore,
  InstanceInventory,
  KillSwitch,
  MetricsSink,
  TimerQueue,
} from '../core/ports.ts';
import { instanceTagKeys, type Runbook } from '../core/runbook.ts';
import { Resync, reexamination } from './alarm-resync.ts';
import { configFromEnv, DEFAULT_SETTLE_SECONDS, type HandlerConfig } from './config.ts';
import { FleetGates } from './fleet-gates.ts';
import { IncidentProcessor, type ProcessorPorts } from './incident-processor.ts';
import type { EventOrigin } from './middleware/accept-origin.ts';
import { RunbookCatalog } from './runbook-catalog.ts';

/** Everything a handler uses, built once per container. */
export interface Runtime {
  readonly processor: IncidentProcessor;
  /** The fleet gates, for the breaker's timers. */
  readonly gates: FleetGates;
  readonly fleet: FleetGuard;
  /** The pauses an operator sets and lifts (the operator function's pause and resume). */
  readonly killSwitch: KillSwitch;
  readonly store: IncidentStore;
  readonly commands: CommandRunner;
  readonly timers: TimerQueue;
  readonly alarms: AlarmReader;
  readonly clock: Clock;
  readonly runbooks: RunbookCatalog;
  readonly logger: Logger;
  readonly metrics: MetricsSink;
  /** The level-triggered reconcile of alarms in ALARM with open incidents. */
  readonly resync: Resync;
  /** How far in the future (seconds) an alarm's state time may lie; five minutes when unset. */
  readonly futureToleranceSeconds?: number;
  /** The accounts and Regions whose events are acted on; every origin when unset (tests, local). */
  readonly origin?: EventOrigin;
}

/** SDK clients; tests and the local runtime pass their own. */
export interface AwsClients {
  readonly dynamodb: DynamoDBClient;
  readonly ssm: SSMClient;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly eventbridge: EventBridgeClient;
  readonly cloudwatch: CloudWatchClient;
  readonly ec2: EC2Client;
}

/** Overrides for tests and for the local runtime. */
export interface RuntimeOptions {
  readonly clients?: Partial<AwsClients>;
  /** The runbooks this deployment answers alarms with (the stack bundles exactly those it deploys). */
  readonly runbooks: readonly Runbook[];
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly logger?: Logger;
  readonly metrics?: MetricsSink;
  readonly invocationRetryDelaysMs?: readonly number[];
}

/** The runtime on AWS: SDK v3 clients behind the ports. */
export function createAwsRuntime(config: HandlerConfig, options: RuntimeOptions): Runtime {
  const runbooks = options.runbooks;
  const clients = options.clients ?? {};
  const dynamodb = clients.dynamodb ?? new DynamoDBClient({});
  const ec2 = clients.ec2 ?? defaultEc2Client;
  const logger = options.logger ?? new Logger({ serviceName: 'ec2-auto-remediation' });
  const clock = options.clock ?? { now: () => Date.now() };
  const operator = config.operatorFunction ? { operatorFunction: config.operatorFunction } : {};
  const metrics = options.metrics ?? new PowertoolsMetrics();
  const pager = new SnsPager(clients.sns ?? new SNSClient({}), config.pagerTopicArn, {
    ...(config.chatTopicArn ? { chatTopicArn: config.chatTopicArn } : {}),
    onChatError: (error) => logger.warn('chat notification not sent; the page itself was', { error }),
    tableName: config.tableName,
    ...operator,
    documents: config.runbookDocuments,
  });
  const events = new EventBridgePublisher(
    clients.eventbridge ?? new EventBridgeClient({}),
    config.eventBusName,
    config.events,
  );
  return assembleRuntime({
    store: new DynamoDbIncidentStore(dynamodb, config.tableName),
    killSwitch: new DynamoDbKillSwitch(dynamodb, config.tableName),
    fleet: new DynamoDbFleetGuard(dynamodb, config.tableName),
    optIn: new Ec2OptInReader(ec2, { ...config.optInTag, allowLists: instanceTagKeys(runbooks) }),
    inventory: new Ec2InstanceInventory(ec2),
    commands: new SsmCommandRunner(clients.ssm ?? new SSMClient({}), {
      documents: config.runbookDocuments,
      ...(options.invocationRetryDelaysMs
        ? { invocationRetryDelaysMs: options.invocationRetryDelaysMs }
        : {}),
    }),
    timers: new SqsTimerQueue(clients.sqs ?? new SQSClient({}), config.timerQueueUrl),
    pager: pageEventsEnabled()
      ? new PagerWithEvents(pager, events, {
          logger,
          metrics,
          clock,
          tableName: config.tableName,
          ...operator,
          documents: config.runbookDocuments,
        })
      : pager,
    events,
    alarms: new CloudWatchAlarmReader(clients.cloudwatch ?? defaultCloudWatchClient, {
      // A series no longer listed in ALARM is OK as of this reading, on the runtime's clock.
      now: () => clock.now(),
    }),
    clock,
    random: options.random ?? Math.random,
    logger,
    metrics,
    runbooks: new RunbookCatalog(runbooks, config.runbookDocuments),
    tableName: config.tableName,
    ...operator,
    ...(config.checkSeconds ? { checkSeconds: config.checkSeconds } : {}),
    ...(config.pageUnmanagedInstances ? { pageUnmanagedInstances: true } : {}),
    settleSeconds: config.settleSeconds ?? DEFAULT_SETTLE_SECONDS,
    ...(config.futureToleranceSeconds === undefined
      ? {}
      : { futureToleranceSeconds: config.futureToleranceSeconds }),
    ...(config.origin ? { origin: config.origin } : {}),
  });
}

/** The ports a runtime is made of, whichever world they reach (AWS, or this machine). */
export interface RuntimePorts extends Omit<ProcessorPorts, 'gates'> {
  readonly fleet: FleetGuard;
  readonly inventory: InstanceInventory;
  readonly alarms: AlarmReader;
  readonly runbooks: RunbookCatalog;
  readonly futureToleranceSeconds?: number;
  readonly origin?: EventOrigin;
  /** The incident table, named in the commands the fleet notices print (`--table`). */
  readonly tableName?: string;
  /** The operator function, named in the commands that act (`--function`). */
  readonly operatorFunction?: string;
}

/** A runtime from its ports: the AWS runtime and the local one differ only in these. */
export function assembleRuntime(ports: RuntimePorts): Runtime {
  const gates = new FleetGates(ports);
  const processor = new IncidentProcessor({ ...ports, gates });
  const resync = new Resync({ ...ports, processor, gates });
  gates.reexamine = async (runbook) => reexamination(await resync.run('breaker-closed', runbook.name));
  return {
    processor,
    resync,
    gates,
    fleet: ports.fleet,
    killSwitch: ports.killSwitch,
    store: ports.store,
    commands: ports.commands,
    timers: ports.timers,
    alarms: ports.alarms,
    clock: ports.clock,
    runbooks: ports.runbooks,
    logger: ports.logger,
    metrics: ports.metrics,
    ...(ports.futureToleranceSeconds === undefined
      ? {}
      : { futureToleranceSeconds: ports.futureToleranceSeconds }),
    ...(ports.origin ? { origin: ports.origin } : {}),
  };
}

/** The runtime of a deployed function, configured by the stack's environment variables. */
export function runtimeFromEnv(runbooks: readonly Runbook[], env: NodeJS.ProcessEnv = process.env): Runtime {
  return createAwsRuntime(configFromEnv(env), { runbooks });
}
