import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDbIncidentStore, partitionOf } from '../functions/adapters/aws/dynamodb-incident-store.ts';
import { isIncident } from '../functions/core/incident.ts';
import { DEFAULT_AUTO_DISABLE, defineRunbook } from '../functions/core/runbook.ts';
import { createAlarmHandler } from '../functions/handlers/alarm-handler.ts';
import { createTimerHandler } from '../functions/handlers/timer-handler.ts';
import { lambdaContext, sqsEvent } from '../local/aws-shapes.ts';
import { localDynamoDbClient } from '../local/dynamodb-local.ts';
import { testRunbook } from '../test/support/fixtures.ts';
import { CapacityMeter, itemBytes as sizeOfItem } from './capacity.ts';
import { alarmEvent, BenchClock, benchRuntime, incidentKey, instanceId } from './harness.ts';
import { machine, round } from './machine.ts';

/**
 * Public prices, us-east-1, as listed on the AWS pricing pages in 2025 (check them before quoting):
 * DynamoDB on-demand after the November 2024 reduction, Lambda arm64, SQS standard, EventBridge
 * custom events, SNS publishes. SSM Run Command has no charge of its own.
 */
export const PRICES = {
  date: '2025 (us-east-1)',
  dynamoDbPerMillionWriteUnits: 0.625,
  dynamoDbPerMillionReadUnits: 0.125,
  lambdaPerMillionRequests: 0.2,
  lambdaArmPerGbSecond: 0.0000133334,
  sqsPerMillionRequests: 0.4,
  eventBridgePerMillionEvents: 1.0,
  snsPerMillionPublishes: 0.5,
} as const;

const INCIDENTS = 50;
/** Incidents run first and not counted: enough to fill the runbook's judged runs (`lastRuns`). */
const WARM_UP = DEFAULT_AUTO_DISABLE.lastRuns;
const WARM_UP_SERIES = 1_000;
const MEMORY_GB = 0.25;
/** Billed duration assumed per invocation on AWS (DynamoDB in-Region round trips of a few ms each). */
const ASSUMED_MS_PER_INVOCATION = 60;

/**
 * AWS cost per million incidents: happy-path incidents (ALARM, command, status, verified, OK) run
 * through the real handlers on DynamoDB Local with every call counted, then every timer they sent
 * delivered to the timer function when due (one invocation and three SQS requests each: send,
 * receive, delete), then priced. Write and read units are worked out from the items each call wrote
 * or read ({@link CapacityMeter}). Reported, with no target: the former one ($10 per million
 * incidents) is retired, a fleet's alarms cost far more than its incidents' handling.
 */
export async function cost(): Promise<Record<string, unknown>> {
  const clock = new BenchClock();
  const runbook = defineRunbook({
    ...testRunbook,
    name: 'cpu-high',
    match: { metrics: [{ namespace: 'AWS/EC2', metricName: 'CPUUtilization' }] },
    breaker: false,
  });
  const {
    runtime,
    client,
    counter,
    endpoint,
    tableName,
    timerMessages: sent,
    stop,
  } = await benchRuntime([runbook], { clock });
  // The benchmark's own reads go through a second client, neither counted nor metered.
  const probe = localDynamoDbClient(endpoint);
  const readBack = new DynamoDbIncidentStore(probe, tableName);
  const meter = new CapacityMeter(probe, tableName);
  meter.attach(client);
  const alarm = createAlarmHandler(runtime);
  const timers = createTimerHandler(runtime);
  let invocations = 0;
  let timerMessages = 0;
  let itemBytes = 0;
  const incident = async (n: number) => {
    const id = instanceId(9, n);
    const key = incidentKey(runbook.name, id);
    await alarm(alarmEvent(id, 'ALARM', clock.now() - 1000), lambdaContext('a'));
    const running = await readBack.load(key);
    if (!isIncident(running)) throw new Error(`incident ${n}: not opened`);
    await runtime.processor.process(key, runbook, {
      kind: 'command-finished',
      commandId: running.attempts[0]?.commandId as string,
      result: { status: 'Success', responseCode: 0, stdout: 'freed 2.3 GiB' },
    });
    await alarm(alarmEvent(id, 'OK', clock.now()), lambdaContext('a'));
    const closed = await readBack.load(key);
    const { Item: item } = await probe.send(
      new GetItemCommand({ TableName: tableName, Key: { pk: { S: partitionOf(key) }, sk: { S: 'HEAD' } } }),
    );
    if (!isIncident(closed) || closed.status !== 'resolved' || !item)
      throw new Error(`incident ${n}: not resolved`);
    return sizeOfItem(item);
  };
  try {
    // Steady state: the runbook's record of judged runs is already full, as it is after its first days.
    for (let n = 0; n < WARM_UP; n++) await incident(WARM_UP_SERIES + n);
    counter.calls.clear();
    meter.reset();
    sent.length = 0;
    for (let n = 0; n < INCIDENTS; n++) {
      itemBytes += await incident(n);
      invocations += 3; // ALARM, the command's status event, OK
    }
    // Every timer sent is delivered once when it is due, after its incident closed, and absorbed as
    // stale: one timer-function invocation each (SQS batches are rare at this rate).
    clock.freeze();
    const due = sent.map((body) => ({ body, dueAt: (JSON.parse(body) as { dueAt: number }).dueAt }));
    timerMessages = due.length;
    for (const { body, dueAt } of due.sort((a, b) => a.dueAt - b.dueAt)) {
      clock.advanceTo(dueAt);
      await timers(sqsEvent([body]), lambdaContext('t'));
      invocations++;
    }
    if (sent.length !== timerMessages) throw new Error('a stale timer sent another');
    const calls = counter.snapshot();
    const per = (v: number) => v / INCIDENTS;
    const writeUnits = per(meter.writeUnits);
    const readUnits = per(meter.readUnits);
    const lambdaRequests = per(invocations);
    const sqsRequests = per(timerMessages) * 3;
    const events = per(calls['events:entries'] ?? 0);
    const perIncident = {
      dynamoDbWriteUnits: round(writeUnits, 2),
      dynamoDbReadUnits: round(readUnits, 2),
      lambdaInvocations: round(lambdaRequests, 2),
      sqsRequests: round(sqsRequests, 2),
      eventBridgeEvents: round(events, 2),
      snsPublishes: round(per(calls['sns:Publish'] ?? 0), 2),
    };
    const dollarsPerMillion = {
      dynamoDb:
        writeUnits * PRICES.dynamoDbPerMillionWriteUnits + readUnits * PRICES.dynamoDbPerMillionReadUnits,
      lambda:
        lambdaRequests * PRICES.lambdaPerMillionRequests +
        lambdaRequests * 1e6 * (ASSUMED_MS_PER_INVOCATION / 1000) * MEMORY_GB * PRICES.lambdaArmPerGbSecond,
      sqs: sqsRequests * PRICES.sqsPerMillionRequests,
      eventBridge: events * PRICES.eventBridgePerMillionEvents,
      sns: per(calls['sns:Publish'] ?? 0) * PRICES.snsPerMillionPublishes,
    };
    const total = Object.values(dollarsPerMillion).reduce((a, b) => a + b, 0);
    return {
      benchmark: 'cost',
      machine: machine(),
      incidents: INCIDENTS,
      prices: PRICES,
      assumptions: {
        lambdaMemoryGb: MEMORY_GB,
        billedMsPerInvocation: ASSUMED_MS_PER_INVOCATION,
        averageIncidentItemBytes: Math.round(itemBytes / INCIDENTS),
        capacity: 'worked out per write from the items before and after it (bench/capacity.ts)',
        path: 'happy path: ALARM, one command, status event, verified, OK; no page',
      },
      perIncident,
      dollarsPerMillionIncidents: Object.fromEntries(
        Object.entries(dollarsPerMillion).map(([k, v]) => [k, round(v, 2)]),
      ),
      totalDollarsPerMillionIncidents: round(total, 2),
      calls,
      writeUnitsByOperation: Object.fromEntries(
        [...meter.byOperation.entries()].map(([k, v]) => [k, round(v / INCIDENTS, 2)]),
      ),
    };
  } finally {
    await stop();
  }
}
