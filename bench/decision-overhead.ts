import { DynamoDBDocumentClient, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { defineRunbook } from '../functions/core/runbook.ts';
import { createAlarmHandler } from '../functions/handlers/alarm-handler.ts';
import { lambdaContext } from '../local/aws-shapes.ts';
import { testRunbook } from '../test/support/fixtures.ts';
import { alarmEvent, benchRuntime, instanceId } from './harness.ts';
import { machine, percentile, round } from './machine.ts';

const WARM_UP = 50;
const SAMPLES = 400;

/**
 * Decision overhead: one ALARM event through the alarm handler's full path (parse, match, the gates'
 * reads, decide, the conditional transaction with its claims, SendCommand to a mocked SSM, the
 * command-sent write) on DynamoDB Local, against the floor: the bare conditional writes the decision
 * cannot avoid (the transaction recording the attempt with its lease, slot and budget, and the write
 * recording the command id), on items of the same size, measured in the same run, alternating.
 * Targets: ratio <= 1.3, p99 <= 25 ms.
 */
export async function decisionOverhead(): Promise<Record<string, unknown>> {
  const runbook = defineRunbook({
    ...testRunbook,
    name: 'cpu-high',
    match: { metrics: [{ namespace: 'AWS/EC2', metricName: 'CPUUtilization' }] },
    breaker: false,
    concurrency: { maxInFlight: 1000, maxPerHour: 100_000 },
  });
  const { runtime, client, counter, stop } = await benchRuntime([runbook]);
  const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const handler = createAlarmHandler(runtime);
  const context = lambdaContext('bench');
  const full: number[] = [];
  const floor: number[] = [];
  const now = Date.now();
  try {
    let sample = 0;
    for (let i = 0; i < WARM_UP + SAMPLES; i++) {
      const id = instanceId(1, i);
      const event = alarmEvent(id, 'ALARM', now - 1000);
      const t0 = performance.now();
      const result = await handler(event, context);
      const t1 = performance.now();
      if (result.outcome !== 'processed') throw new Error(`event ${i}: ${JSON.stringify(result)}`);
      const incident = await runtime.store.load({ runbook: runbook.name, target: id });
      if (!incident) throw new Error(`event ${i}: no incident`);
      // The floor: the same writes, bare, on keys of their own, with the incident's own content.
      const bare = { ...incident, id: `floor-${i}` };
      const f0 = performance.now();
      await documents.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: 'incidents',
                Item: { ...bare, pk: `FLOOR#${i}`, sk: 'HEAD' },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: 'incidents',
                Item: { pk: `FLOOR-LEASE#${i}`, sk: 'LEASE', holder: bare.id, until: now + 600_000 },
                ConditionExpression: 'attribute_not_exists(pk) OR #until <= :now',
                ExpressionAttributeNames: { '#until': 'until' },
                ExpressionAttributeValues: { ':now': now },
              },
            },
            {
              Put: {
                TableName: 'incidents',
                Item: { pk: `FLOOR-RUNBOOK#${i}`, sk: 'SLOT#0000', holder: bare.id, until: now + 600_000 },
                ConditionExpression: 'attribute_not_exists(pk) OR #until <= :now',
                ExpressionAttributeNames: { '#until': 'until' },
                ExpressionAttributeValues: { ':now': now },
              },
            },
            {
              Update: {
                TableName: 'incidents',
                Key: { pk: 'FLOOR-BUDGET', sk: `BUDGET#${i}` },
                UpdateExpression: 'ADD #used :one',
                ConditionExpression: 'attribute_not_exists(#used) OR #used < :max',
                ExpressionAttributeNames: { '#used': 'used' },
                ExpressionAttributeValues: { ':one': 1, ':max': 100_000 },
              },
            },
          ],
        }),
      );
      await documents.send(
        new PutCommand({
          TableName: 'incidents',
          Item: { ...bare, version: bare.version + 1, pk: `FLOOR#${i}`, sk: 'HEAD' },
          ConditionExpression: '#version = :version',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':version': bare.version },
        }),
      );
      const f1 = performance.now();
      if (i >= WARM_UP) {
        full.push(t1 - t0);
        floor.push(f1 - f0);
        sample++;
      }
    }
    // The handler's own calls: everything counted, less what the benchmark itself sent per event
    // (the load that read the incident back, and the floor's transaction of 4 items and its put).
    const events = WARM_UP + SAMPLES;
    const own: Record<string, number> = { ...counter.snapshot() };
    const less = (name: string, n: number) => {
      own[name] = (own[name] ?? 0) - n * events;
    };
    less('dynamodb:GetItem', 1);
    less('dynamodb:TransactWriteItems', 1);
    less('dynamodb:TransactWriteItems.items', 4);
    less('dynamodb:PutItem', 1);
    const perEvent = Object.fromEntries(
      Object.entries(own)
        .filter(
          ([k, v]) =>
            v > 0 && !k.startsWith('dynamodb:CreateTable') && !k.startsWith('dynamodb:UpdateTimeToLive'),
        )
        .map(([k, v]) => [k, round(v / events, 2)]),
    );
    const result = {
      p50Ms: round(percentile(full, 50)),
      p99Ms: round(percentile(full, 99)),
      floorP50Ms: round(percentile(floor, 50)),
      floorP99Ms: round(percentile(floor, 99)),
    };
    return {
      benchmark: 'decision-overhead',
      machine: machine(),
      samples: sample,
      warmUp: WARM_UP,
      ...result,
      ratioP50: round(result.p50Ms / result.floorP50Ms),
      ratioP99: round(result.p99Ms / result.floorP99Ms),
      targets: { ratio: 1.3, p99Ms: 25 },
      met: result.p50Ms / result.floorP50Ms <= 1.3 && result.p99Ms <= 25,
      handlerCallsPerEvent: perEvent,
    };
  } finally {
    await stop();
  }
}
