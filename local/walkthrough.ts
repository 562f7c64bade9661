import { mkdirSync, rmSync } from 'node:fs';
import type { AlarmStateValue } from '../functions/core/alarm.ts';
import { REMEDIATION_EVENT_SOURCE } from '../functions/core/effects.ts';
import { fnv1a64 } from '../functions/core/identity.ts';
import { type Incident, isIncident } from '../functions/core/incident.ts';
import { runbooks } from '../runbooks/index.ts';
import { Agenda } from './agenda.ts';
import { type AwsEvent, alarmStateChange, type LocalAlarm } from './aws-shapes.ts';
import { createIncidentTable, localDynamoDbClient, startDynamoDbLocal } from './dynamodb-local.ts';
import { LocalBus } from './local-bus.ts';
import { TerminalPager } from './local-ports.ts';
import { localRuntime } from './local-runtime.ts';
import { SimulatedSsm } from './simulated-ssm.ts';
import { type SummaryRow, WalkthroughOutput } from './walkthrough-output.ts';
import { fleetAlarm, healthyFleet, walkthroughFleet } from './walkthrough-scenario.ts';

/** Where pages are written; `OUT_DIR` overrides. */
const OUT_DIR = process.env.OUT_DIR ?? 'gameday-out';

/**
 * `npm start`: the control loop on this machine, in virtual time. DynamoDB Local holds the state;
 * AWS-shaped events travel a local bus routed by the stack's own patterns to the real handlers;
 * SSM is simulated (outcomes are scripted, no script runs). Exits 0 only if every incident ends as
 * the scenario expects.
 */
async function main(): Promise<number> {
  const out = new WalkthroughOutput(process.stdout.isTTY === true);
  out.intro();
  const dynamo = await startDynamoDbLocal();
  process.once('SIGINT', () => void dynamo.stop().then(() => process.exit(130)));
  try {
    return await walkthrough(dynamo.endpoint, out);
  } finally {
    await dynamo.stop();
  }
}

async function walkthrough(endpoint: string, out: WalkthroughOutput): Promise<number> {
  rmSync(OUT_DIR, { recursive: true, force: true });
  mkdirSync(OUT_DIR, { recursive: true });
  const client = localDynamoDbClient(endpoint);
  await createIncidentTable(client, 'incidents');
  const agenda = new Agenda(Math.floor(Date.now() / 1000) * 1000);
  const start = agenda.now();
  const bus = new LocalBus(agenda);
  const documents = Object.fromEntries(runbooks.map((r) => [r.name, `Remediation-Local-${r.name}`]));
  const names = new Map([...walkthroughFleet, ...healthyFleet].map((i) => [i.instanceId, i.name]));
  const alarms = new Map<string, { alarm: LocalAlarm; state: AlarmStateValue; since: number }>();

  const setAlarm = (alarm: LocalAlarm, to: AlarmStateValue, event: (e: AwsEvent) => AwsEvent = (e) => e) => {
    const now = agenda.now();
    const current = alarms.get(alarm.name) ?? {
      alarm,
      state: 'OK' as AlarmStateValue,
      since: start - 3_600_000,
    };
    if (current.state === to) return;
    alarms.set(alarm.name, { alarm, state: to, since: now });
    const value = to === 'ALARM' ? 96.4 : 71.2;
    bus.put(
      event(alarmStateChange(alarm, { from: current.state, to, at: now, previousAt: current.since, value })),
    );
  };
  const diskAlarm = (instanceId: string): LocalAlarm => ({
    name: `disk-full-${names.get(instanceId)}`,
    namespace: 'CWAgent',
    metricName: 'disk_used_percent',
    dimensions: { InstanceId: instanceId, path: '/', fstype: 'xfs' },
    threshold: 90,
    periodSeconds: 60,
  });

  const pager = new TerminalPager({
    clock: agenda,
    print: (page) => out.page(agenda.now() - start, page),
    jsonlPath: `${OUT_DIR}/pages.jsonl`,
  });
  const ssm = new SimulatedSsm({
    agenda,
    bus,
    documents,
    behaviours: new Map(walkthroughFleet.map((i) => [i.instanceId, i.behaviour])),
    onAlarmCleared: (instanceId, at) =>
      agenda.at(at, 'alarm clears', async () => setAlarm(diskAlarm(instanceId), 'OK')),
  });
  const { runtime, timerFailures } = localRuntime({
    client,
    table: 'incidents',
    scheduler: agenda,
    bus,
    commands: ssm,
    pager,
    alarms: {
      state: async (name) => {
        const known = alarms.get(name);
        return known && { state: known.state, at: known.since };
      },
      // The walkthrough's story loses no event, and runs no resync.
      inAlarm: async () => [],
    },
    inventory: {
      describe: async (ids) =>
        walkthroughFleet
          .filter((i) => ids.includes(i.instanceId))
          .map((i) => ({ instanceId: i.instanceId, tags: { Name: i.name } })),
    },
    runbooks,
    documents,
    random: seededRandom(42),
  });
  const opened: Incident['key'][] = [];
  bus.addRule({
    name: 'progress',
    pattern: { source: [REMEDIATION_EVENT_SOURCE] },
    immediate: true,
    target: async (e) => {
      const detail = e.detail as { runbook: string; target: string; instanceId?: string; alarmArn: string };
      if (e['detail-type'] === 'Remediation Incident Opened')
        opened.push({ runbook: detail.runbook, alarm: fnv1a64(detail.alarmArn), target: detail.target });
      out.transition(agenda.now() - start, names.get(detail.instanceId ?? '') ?? 'fleet', e);
    },
  });

  // The rest of the fleet: alarms just created go INSUFFICIENT_DATA -> OK, as CloudWatch reports them;
  // the runbook sees these instances, which is what the fleet breaker's percentage counts against.
  out.story('fleet', 0, `${healthyFleet.length} more instances report their disk alarms OK and stay healthy`);
  for (const instance of healthyFleet) {
    const alarm = diskAlarm(instance.instanceId);
    alarms.set(alarm.name, { alarm, state: 'INSUFFICIENT_DATA', since: start - 3_600_000 });
    agenda.at(start, 'alarm created', async () => setAlarm(alarm, 'OK'));
  }
  for (const instance of walkthroughFleet) {
    out.story(instance.name, instance.faultAtSeconds, instance.story);
    agenda.at(start + instance.faultAtSeconds * 1000, 'disk fills', async () =>
      setAlarm(diskAlarm(instance.instanceId), 'ALARM'),
    );
    const fixAt = instance.operatorFixAtSeconds;
    if (fixAt !== undefined) {
      agenda.at(start + fixAt * 1000, 'operator fixes', async () => {
        out.note(agenda.now() - start, instance.name, 'an operator moves the live data off the volume');
        setAlarm(diskAlarm(instance.instanceId), 'OK');
      });
    }
  }
  out.story('fleet', fleetAlarm.faultAtSeconds, fleetAlarm.story);
  agenda.at(start + fleetAlarm.faultAtSeconds * 1000, 'fleet alarm', async () =>
    setAlarm(
      { ...diskAlarm(fleetAlarm.instanceIds[0] as string), name: fleetAlarm.name },
      'ALARM',
      overInstances(fleetAlarm.instanceIds),
    ),
  );
  out.begin();
  // Escalated incidents keep a slow check on their alarm for as long as it is in ALARM: the story
  // ends half an hour after its last scripted moment, not when nothing is left to do.
  const lastMoment = Math.max(
    fleetAlarm.faultAtSeconds,
    ...walkthroughFleet.map((i) => i.operatorFixAtSeconds ?? i.faultAtSeconds),
  );
  await agenda.run(start + (lastMoment + 1800) * 1000);

  const store = runtime.store;
  const rows: SummaryRow[] = [];
  for (const key of opened) {
    const stored = await store.load(key);
    const incident = isIncident(stored) ? stored : undefined;
    const instance = walkthroughFleet.find((i) => i.instanceId === key.target);
    const pages = pager.pages.filter((p) => p.incidentId === incident?.id).length;
    rows.push({
      name: instance?.name ?? 'fleet',
      incident,
      pages,
      expect: instance?.expect ?? fleetAlarm.expect,
      faultAt: start + (instance?.faultAtSeconds ?? fleetAlarm.faultAtSeconds) * 1000,
    });
  }
  const failures = [...bus.failures.map((f) => `${f.rule}: ${String(f.error)}`), ...timerFailures];
  const expected = walkthroughFleet.length + 1;
  if (rows.length !== expected) failures.push(`expected ${expected} incidents, saw ${rows.length}`);
  const held = out.summary(rows);
  out.closing(held && failures.length === 0, failures, OUT_DIR);
  return held && failures.length === 0 ? 0 : 1;
}

/** Turns a single-instance alarm event into one over several instances (metric math over the fleet). */
function overInstances(instanceIds: readonly string[]): (event: AwsEvent) => AwsEvent {
  return (event) => {
    type MetricEntry = { metricStat: { metric: Record<string, unknown> } };
    const configuration = event.detail.configuration as { metrics: MetricEntry[] };
    const [template] = configuration.metrics;
    const metrics = [
      { id: 'e1', expression: 'MAX(METRICS())', label: 'fleet disk used', returnData: true },
      ...instanceIds.map((id, index) => ({
        ...template,
        id: `m${index + 1}`,
        returnData: false,
        metricStat: {
          ...template?.metricStat,
          metric: { ...template?.metricStat.metric, dimensions: { InstanceId: id, path: '/' } },
        },
      })),
    ];
    return { ...event, detail: { ...event.detail, configuration: { ...configuration, metrics } } };
  };
}

/** A small deterministic generator (mulberry32), so a walkthrough's backoffs are the same every run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`walkthrough failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
