import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbFleetGuard } from '../functions/adapters/aws/dynamodb-fleet-guard.ts';
import { DynamoDbIncidentStore } from '../functions/adapters/aws/dynamodb-incident-store.ts';
import { DynamoDbKillSwitch } from '../functions/adapters/aws/dynamodb-kill-switch.ts';
import type {
  AlarmReader,
  CommandRunner,
  InstanceInventory,
  OptInReader,
  Pager,
} from '../functions/core/ports.ts';
import { instanceTagKeys, type Runbook } from '../functions/core/runbook.ts';
import { createAlarmHandler } from '../functions/handlers/alarm-handler.ts';
import { createCommandStatusHandler } from '../functions/handlers/command-status-handler.ts';
import { RunbookCatalog } from '../functions/handlers/runbook-catalog.ts';
import { assembleRuntime, type Runtime } from '../functions/handlers/runtime.ts';
import { createTimerHandler } from '../functions/handlers/timer-handler.ts';
import type { Scheduler } from './agenda.ts';
import { type AwsEvent, lambdaContext, sqsEvent } from './aws-shapes.ts';
import type { LocalBus } from './local-bus.ts';
import { AgendaTimerQueue, BusEventPublisher, RecordedMetrics } from './local-ports.ts';
import { handlerRoutes } from './routing.ts';

/** What differs between the local worlds (the walkthrough, the game day). */
export interface LocalWorld {
  readonly client: DynamoDBClient;
  readonly table: string;
  readonly scheduler: Scheduler;
  readonly bus: LocalBus;
  readonly commands: CommandRunner;
  readonly pager: Pager;
  readonly alarms: AlarmReader;
  readonly inventory: InstanceInventory;
  readonly runbooks: readonly Runbook[];
  /** Runbook name -> the SSM document name the local SSM answers events for. */
  readonly documents: Readonly<Record<string, string>>;
  readonly random: () => number;
  /** Seconds between slow checks of escalated and suppressed incidents (hourly when unset). */
  readonly checkSeconds?: number;
  /**
   * The tags EC2 would report for an instance (undefined: no such instance). The opt-in tag is
   * {@link LOCAL_OPT_IN_TAG}; the allow-list tags are those the runbooks' parameters read.
   * @default - every instance carries the opt-in tag, and no allow-list
   */
  readonly instanceTags?: (instanceId: string) => Readonly<Record<string, string>> | undefined;
  /**
   * When EC2 would say an instance was launched (epoch ms of the world's clock; undefined: unknown).
   * @default - every instance was launched when the runtime was made (the world's time 0)
   */
  readonly launchedAt?: (instanceId: string) => number | undefined;
  /**
   * Seconds after its launch an instance is left alone (the `settle` gate). The local worlds start
   * their faults soon after their instances, so none unless the world asks for one.
   * @default 0
   */
  readonly settleSeconds?: number;
}

/** The opt-in tag of the local worlds: the stack's default. */
export const LOCAL_OPT_IN_TAG = { key: 'AutoRemediation', value: 'enabled' } as const;

/**
 * The product's runtime on this machine: the DynamoDB adapters on DynamoDB Local, the instances'
 * tags as the world says (by default every instance opted in), timers delivered to the real timer handler at their (virtual) due time, remediation
 * events on the local bus, and the alarm and command-status handlers routed by the stack's patterns.
 * Timer handler failures are collected (on AWS, SQS would retry them and then dead-letter them).
 */
export function localRuntime(world: LocalWorld): {
  runtime: Runtime;
  timerFailures: string[];
  /** Runs the resync every `seconds` of the world's clock, as the stack's schedule does; returns how to stop it. */
  scheduleResync: (seconds: number) => { readonly runs: number; stop(): void };
} {
  const timerFailures: string[] = [];
  const runtime = assembleRuntime({
    store: new DynamoDbIncidentStore(world.client, world.table),
    killSwitch: new DynamoDbKillSwitch(world.client, world.table),
    fleet: new DynamoDbFleetGuard(world.client, world.table),
    inventory: world.inventory,
    optIn: localOptIn(world),
    commands: world.commands,
    timers: new AgendaTimerQueue(world.scheduler, async (timer) => {
      const { batchItemFailures } = await timerHandler(
        sqsEvent([JSON.stringify(timer)]),
        lambdaContext('timer'),
      );
      if (batchItemFailures.length > 0)
        timerFailures.push(`${timer.kind} for ${'incidentId' in timer ? timer.incidentId : timer.runbook}`);
    }),
    pager: world.pager,
    events: new BusEventPublisher(world.bus, world.scheduler),
    alarms: world.alarms,
    clock: world.scheduler,
    random: world.random,
    metrics: new RecordedMetrics(),
    logger: new Logger({
      serviceName: 'ec2-auto-remediation',
      logLevel: (process.env.LOG_LEVEL as 'INFO') ?? 'SILENT',
    }),
    runbooks: new RunbookCatalog(world.runbooks, world.documents),
    ...(world.checkSeconds ? { checkSeconds: world.checkSeconds } : {}),
    ...(world.settleSeconds ? { settleSeconds: world.settleSeconds } : {}),
  });
  const alarmHandler = createAlarmHandler(runtime);
  const statusHandler = createCommandStatusHandler(runtime);
  const timerHandler = createTimerHandler(runtime);
  const handlers = {
    alarm: (e: AwsEvent) => alarmHandler(e, lambdaContext('alarm')),
    'command-status': (e: AwsEvent) => statusHandler(e, lambdaContext('command-status')),
  };
  for (const route of handlerRoutes(world.documents))
    world.bus.addRule({ ...route, target: handlers[route.name] });
  const scheduleResync = (seconds: number) => {
    let stopped = false;
    const state = {
      runs: 0,
      stop: () => {
        stopped = true;
      },
    };
    const next = (at: number) =>
      world.scheduler.at(at, 'resync', async () => {
        if (stopped) return;
        next(at + seconds * 1000);
        try {
          await runtime.resync.run('schedule');
          state.runs += 1;
        } catch (error) {
          timerFailures.push(`resync: ${error instanceof Error ? error.message : String(error)}`);
        }
      });
    next(world.scheduler.now() + seconds * 1000);
    return state;
  };
  return { runtime, timerFailures, scheduleResync };
}

/**
 * The opt-in reader of a local world: its instances' tags and launch time, as one DescribeInstances
 * call would return them.
 */
function localOptIn(world: LocalWorld): OptInReader {
  const allowLists = instanceTagKeys(world.runbooks);
  const { key, value } = LOCAL_OPT_IN_TAG;
  const started = world.scheduler.now();
  return {
    optIn: async (instanceId) => {
      const tags = world.instanceTags ? (world.instanceTags(instanceId) ?? {}) : { [key]: value };
      const launchedAt = world.launchedAt ? world.launchedAt(instanceId) : started;
      return {
        ...(launchedAt === undefined ? {} : { launchedAt }),
        instanceId,
        tagKey: key,
        tagValue: value,
        tagged: tags[key] === value,
        tags: Object.fromEntries(Object.entries(tags).filter(([tag]) => allowLists.includes(tag))),
      };
    },
  };
}
