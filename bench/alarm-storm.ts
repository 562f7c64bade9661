import { defineRunbook } from '../functions/core/runbook.ts';
import { createAlarmHandler } from '../functions/handlers/alarm-handler.ts';
import { lambdaContext } from '../local/aws-shapes.ts';
import { testRunbook } from '../test/support/fixtures.ts';
import { alarmEvent, benchRuntime, instanceId } from './harness.ts';
import { machine, percentile, round } from './machine.ts';

const EVENTS = 10_000;
const INSTANCES = 2_000;
/** Concurrent invocations, as Lambda would run the alarm function under a storm (its reserved concurrency). */
const PARALLELISM = 50;
const LIMIT = 50;

/**
 * Alarm storm: 10,000 ALARM events over 2,000 instances (each alarm delivered five times, in a
 * shuffled order, as EventBridge's at-least-once delivery and retries can), processed by 50
 * concurrent invocations of the alarm handler on DynamoDB Local, with a concurrency limit of 50 per
 * runbook. Measures events/s, latency, DynamoDB writes per incident, and checks that the limit was
 * never exceeded (sampled while the storm runs) and that every instance has exactly one incident,
 * either remediating (holding a slot) or waiting for one. Targets: >= 500 events/s, <= 6 writes.
 */
export async function alarmStorm(): Promise<Record<string, unknown>> {
  const runbook = defineRunbook({
    ...testRunbook,
    name: 'cpu-high',
    match: { metrics: [{ namespace: 'AWS/EC2', metricName: 'CPUUtilization' }] },
    breaker: false,
    concurrency: { maxInFlight: LIMIT, maxPerHour: 100_000 },
  });
  const { runtime, counter, stop } = await benchRuntime([runbook]);
  const handler = createAlarmHandler(runtime);
  const context = lambdaContext('storm', 900_000);
  const now = Date.now();
  const ids = Array.from({ length: INSTANCES }, (_, n) => instanceId(7, n));
  const queue = Array.from({ length: EVENTS }, (_, i) => ids[i % INSTANCES] as string);
  for (let i = queue.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [queue[i], queue[j]] = [queue[j] as string, queue[i] as string];
  }
  const latencies: number[] = [];
  let maxInUse = 0;
  let next = 0;
  try {
    const started = performance.now();
    const sampler = setInterval(() => {
      void runtime.fleet.read(runbook, undefined, Date.now()).then((s) => {
        maxInUse = Math.max(maxInUse, s.fleet.slotsInUse);
      });
    }, 100);
    await Promise.all(
      Array.from({ length: PARALLELISM }, async () => {
        for (;;) {
          const i = next++;
          const id = queue[i];
          if (id === undefined) return;
          const t0 = performance.now();
          await handler(alarmEvent(id, 'ALARM', now - 1000), context);
          latencies.push(performance.now() - t0);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const incidents = await Promise.all(
      ids.map((target) => runtime.store.load({ runbook: runbook.name, target })),
    );
    const statuses: Record<string, number> = {};
    for (const incident of incidents)
      statuses[incident?.status ?? 'none'] = (statuses[incident?.status ?? 'none'] ?? 0) + 1;
    const final = await runtime.fleet.read(runbook, undefined, Date.now());
    maxInUse = Math.max(maxInUse, final.fleet.slotsInUse);
    const calls = counter.snapshot();
    const writes =
      (calls['dynamodb:PutItem'] ?? 0) +
      (calls['dynamodb:UpdateItem'] ?? 0) +
      (calls['dynamodb:DeleteItem'] ?? 0) +
      (calls['dynamodb:TransactWriteItems.items'] ?? 0);
    const eventsPerSecond = EVENTS / seconds;
    const writesPerIncident = writes / INSTANCES;
    return {
      benchmark: 'alarm-storm',
      machine: machine(),
      events: EVENTS,
      instances: INSTANCES,
      parallelism: PARALLELISM,
      limit: LIMIT,
      seconds: round(seconds, 1),
      eventsPerSecond: round(eventsPerSecond, 1),
      p50Ms: round(percentile(latencies, 50)),
      p99Ms: round(percentile(latencies, 99)),
      dynamoDbWritesPerIncident: round(writesPerIncident, 2),
      commandsSent: calls['ssm:SendCommand'] ?? 0,
      maxSlotsInUseSeen: maxInUse,
      limitHeld: maxInUse <= LIMIT && (calls['ssm:SendCommand'] ?? 0) === Math.min(LIMIT, INSTANCES),
      statuses,
      everyInstanceHasOneIncident: incidents.every((i) => i !== undefined),
      calls,
      targets: { eventsPerSecond: 500, writesPerIncident: 6 },
      met: eventsPerSecond >= 500 && writesPerIncident <= 6,
      notDone:
        'the storm stops once every event is handled: it does not yet drive each incident to its end (commands finishing, waiting incidents taking freed slots)',
    };
  } finally {
    await stop();
  }
}
