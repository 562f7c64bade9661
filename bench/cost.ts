import type { QueuedTimer } from '../functions/core/inputs.ts';
import { defineRunbook } from '../functions/core/runbook.ts';
import { createAlarmHandler } from '../functions/handlers/alarm-handler.ts';
import { createTimerHandler } from '../functions/handlers/timer-handler.ts';
import { lambdaContext, sqsEvent } from '../local/aws-shapes.ts';
import { testRunbook } from '../test/support/fixtures.ts';
import { alarmEvent, benchRuntime, instanceId } from './harness.ts';
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
const MEMORY_GB = 0.25;
/** Billed duration assumed per invocation on AWS (DynamoDB in-Region round trips of a few ms each). */
const ASSUMED_MS_PER_INVOCATION = 60;

/**
 * AWS cost per million incidents: happy-path incidents (ALARM, command, status, verified, OK) run
 * through the real handlers on DynamoDB Local with every call counted, each timer delivered as SQS
 * would (one timer-function invocation, three SQS requests: send, receive, delete), then priced.
 * Write units from the items' sizes (rounded up to 1 KB, doubled in transactions), read units as
 * strongly consistent reads of up to 4 KB. Target: <= $10 per million incidents.
 */
export async function cost(): Promise<Record<string, unknown>> {
  const runbook = defineRunbook({
    ...testRunbook,
    name: 'cpu-high',
    match: { metrics: [{ namespace: 'AWS/EC2', metricName: 'CPUUtilization' }] },
    breaker: false,
  });
  const { runtime, counter, stop } = await benchRuntime([runbook]);
  const alarm = createAlarmHandler(runtime);
  const timers = createTimerHandler(runtime);
  let invocations = 0;
  let timerMessages = 0;
  let itemBytes = 0;
  const now = Date.now();
  try {
    for (let n = 0; n < INCIDENTS; n++) {
      const id = instanceId(9, n);
      const key = { runbook: runbook.name, target: id };
      await alarm(alarmEvent(id, 'ALARM', now - 1000), lambdaContext('a'));
      invocations++;
      const running = await runtime.store.load(key);
      await runtime.processor.process(key, runbook, {
        kind: 'command-finished',
        commandId: running?.attempts[0]?.commandId as string,
        result: { status: 'Success', responseCode: 0, stdout: 'freed 2.3 GiB' },
      });
      invocations++; // the command-status function
      await alarm(alarmEvent(id, 'OK', now), lambdaContext('a'));
      invocations++;
      const closed = await runtime.store.load(key);
      itemBytes += Buffer.byteLength(JSON.stringify(closed));
    }
    // Every timer scheduled is delivered once, later, and absorbed as stale: one invocation each.
    timerMessages = counter.get('sqs:SendMessage');
    invocations += timerMessages;
    const stale: QueuedTimer = {
      key: { runbook: runbook.name, target: instanceId(9, 0) },
      incidentId: 'stale',
      kind: 'reconcile',
      token: 'stale',
      dueAt: 0,
    };
    await timers(sqsEvent([JSON.stringify(stale)]), lambdaContext('t'));
    const calls = counter.snapshot();
    const per = (v: number) => v / INCIDENTS;
    const avgItemKb = Math.ceil(itemBytes / INCIDENTS / 1024);
    // Incident writes (PutItem, and the first item of each transaction) weigh the incident's size;
    // the lease, slot and budget items and the deletes that give them back are under 1 KB.
    const transactions = calls['dynamodb:TransactWriteItems'] ?? 0;
    const claimItems = (calls['dynamodb:TransactWriteItems.items'] ?? 0) - transactions;
    const writeUnits =
      per(calls['dynamodb:PutItem'] ?? 0) * avgItemKb +
      per((calls['dynamodb:UpdateItem'] ?? 0) + (calls['dynamodb:DeleteItem'] ?? 0)) +
      per(transactions) * 2 * avgItemKb +
      per(claimItems) * 2;
    const readUnits =
      per((calls['dynamodb:GetItem'] ?? 0) + (calls['dynamodb:Query'] ?? 0)) * Math.ceil(avgItemKb / 4);
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
        averageIncidentItemKb: avgItemKb,
        path: 'happy path: ALARM, one command, status event, verified, OK; no page',
      },
      perIncident,
      dollarsPerMillionIncidents: Object.fromEntries(
        Object.entries(dollarsPerMillion).map(([k, v]) => [k, round(v, 2)]),
      ),
      totalDollarsPerMillionIncidents: round(total, 2),
      target: 10,
      met: total <= 10,
      calls,
    };
  } finally {
    await stop();
  }
}
