import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readIncidents } from '../../cli/incidents.ts';
import { DynamoDbIncidentStore } from '../../functions/adapters/aws/dynamodb-incident-store.ts';
import { DynamoDbKillSwitch } from '../../functions/adapters/aws/dynamodb-kill-switch.ts';
import { REMEDIATION_EVENT_SOURCE } from '../../functions/core/effects.ts';
import { alarmStateChangePattern } from '../../functions/core/event-patterns.ts';
import { breakerHolds } from '../../functions/core/fleet.ts';
import type { Incident } from '../../functions/core/incident.ts';
import type { Runbook } from '../../functions/core/runbook.ts';
import { createOperatorHandler } from '../../functions/handlers/operator-handler.ts';
import type { Runtime } from '../../functions/handlers/runtime.ts';
import { runbooks as registry } from '../../runbooks/index.ts';
import { createIncidentTable, localDynamoDbClient, startDynamoDbLocal } from '../dynamodb-local.ts';
import { LocalBus } from '../local-bus.ts';
import { type RecordedPage, TerminalPager } from '../local-ports.ts';
import { localRuntime } from '../local-runtime.ts';
import { auditAlarms, noSilentAlarm, type OpenBreakerAtEnd } from './audit.ts';
import { GAME_DAY_ALARM_MODES, type GameDayAlarmMode, gameDayAlarms } from './declared-alarms.ts';
import { judge } from './expectations.ts';
import { createFleet, destroyFleet, type FleetInstance } from './fleet.ts';
import type { GameDayOutput } from './gameday-output.ts';
import { LocalCloudWatch } from './local-cloudwatch.ts';
import type { GameDayFault, GameDayIncident, GameDayRecord } from './record.ts';
import { renderReport } from './report-html.ts';
import { planResponders, ScriptedResponders } from './responders.ts';
import { type CommandRecord, SandboxSsm } from './sandbox-ssm.ts';
import { ScaledTime } from './scaled-time.ts';
import type { ScenarioDefinition, ScenarioFault } from './scenario.ts';
import { type WebhookFormat, WebhookPager } from './webhook.ts';

/** Where scenarios and their scripts live. */
export const SCENARIOS_DIR = join(dirname(new URL(import.meta.url).pathname), '..', '..', 'scenarios');
const TABLE = 'incidents';

/** How to run a game day. */
export interface GameDayOptions {
  readonly scenario: ScenarioDefinition;
  readonly instances?: number;
  readonly speed?: number;
  /** How the runbooks' alarms are provisioned, over the scenario's `alarmMode`. @default 'fleet' */
  readonly alarmMode?: GameDayAlarmMode;
  /** Pages as JSON Lines, and the report when `reportPath` is not given. */
  readonly outDir: string;
  readonly reportPath?: string;
  /** Each page and fleet notice is also POSTed there, in `webhookFormat` (json by default). */
  readonly webhookUrl?: string;
  readonly webhookFormat?: WebhookFormat;
  readonly output: GameDayOutput;
  /** Called once the game day holds resources, with a function that releases them (for Ctrl-C). */
  readonly onCleanup?: (cleanup: () => Promise<void>) => void;
  /**
   * Asked every virtual half minute: true ends the game day there, before the scenario's
   * `endsAtMinutes` (a benchmark that has seen every fault's incident end need not wait out the rest).
   */
  readonly endWhen?: () => boolean;
}

/** What a game day produced. */
export interface GameDayResult {
  readonly record: GameDayRecord;
  readonly held: boolean;
  readonly reportPath: string;
  /** Every incident as the table held it at the end, every field (the record keeps a summary). */
  readonly incidents: readonly Incident[];
  /** Every command the sandboxed SSM ran, with its times (virtual, epoch ms). */
  readonly commands: readonly CommandRecord[];
  /** Every page, with its body. */
  readonly pages: readonly RecordedPage[];
}

/**
 * Runs a scenario: DynamoDB Local, a fleet of sandboxes, CloudWatch's alarm rules over real
 * measurements, the stack's event patterns on a local bus, the real handlers and decider, timers in
 * compressed real time, and a pager on the terminal. Judges every expectation at the end.
 */
export async function runGameDay(options: GameDayOptions): Promise<GameDayResult> {
  const { scenario, output } = options;
  const size = options.instances ?? scenario.instances ?? 8;
  const speed = options.speed ?? scenario.speed ?? 60;
  const alarmMode = options.alarmMode ?? scenario.alarmMode ?? 'fleet';
  if (!GAME_DAY_ALARM_MODES.includes(alarmMode))
    throw new Error(`alarm mode "${alarmMode}": use ${GAME_DAY_ALARM_MODES.join(' or ')}`);
  const runbooks = scenarioRunbooks(scenario);
  const faultPlan = planFaults(scenario, size);
  planResponders(scenario, size, join(SCENARIOS_DIR, 'scripts'));
  // Every alarm declaration the game day needs (and each series' grouping), checked before anything starts.
  gameDayAlarms(runbooks, [{ instanceId: 'i-00000000', name: 'check' } as FleetInstance], alarmMode);
  mkdirSync(options.outDir, { recursive: true });
  const pagesPath = join(options.outDir, 'pages.jsonl');
  writeFileSync(pagesPath, '');
  // Every event the local CloudWatch put on the bus, as AWS would deliver it.
  const alarmEventsPath = join(options.outDir, 'alarm-events.jsonl');
  writeFileSync(alarmEventsPath, '');

  output.intro(scenario, size, speed);
  const dynamo = await startDynamoDbLocal();
  let fleet: FleetInstance[] = [];
  const cleanup = async () => {
    await destroyFleet(fleet);
    await dynamo.stop();
  };
  options.onCleanup?.(cleanup);
  try {
    const client = localDynamoDbClient(dynamo.endpoint);
    await createIncidentTable(client, TABLE);
    fleet = await createFleet(size, scenario.instanceTags);
    output.note(`${fleet.length} sandboxed instances up; DynamoDB Local on ${dynamo.endpoint}`);
    await setUp(scenario, fleet);
    await warmUp(client);

    const time = new ScaledTime(Math.floor(Date.now() / 1000) * 1000, speed);
    const start = time.now();
    const bus = new LocalBus(time);
    const documents = Object.fromEntries(runbooks.map((r) => [r.name, `Remediation-GameDay-${r.name}`]));
    const ssm = new SandboxSsm({ fleet, runbooks, scheduler: time, bus, documents, hold: () => time.hold() });
    const alarms = gameDayAlarms(runbooks, fleet, alarmMode);
    output.note(
      alarmMode === 'fleet'
        ? `${alarms.length} fleet alarm(s), each instance a contributor: ${alarms.map((a) => a.name).join(', ')}`
        : `${alarms.length} per-instance alarm(s), one per instance and runbook`,
    );
    const cloudwatch = new LocalCloudWatch({ alarms, scheduler: time, bus, hold: () => time.hold() });
    const names = new Map(fleet.map((i) => [i.instanceId, i.name]));
    const pager = new TerminalPager({
      clock: time,
      print: (page) => output.page(time.now() - start, page),
      jsonlPath: pagesPath,
    });
    const webhook = options.webhookUrl
      ? new WebhookPager(pager, {
          url: options.webhookUrl,
          format: options.webhookFormat ?? 'json',
          context: (runbook) => ({
            tableName: TABLE,
            ...(runbook && documents[runbook.name] ? { documentName: documents[runbook.name] } : {}),
          }),
        })
      : undefined;
    // The people on call read the pages as they arrive, and act through the operator function.
    let operator: ReturnType<typeof createOperatorHandler> | undefined;
    const people = new ScriptedResponders(scenario.responders ?? [], {
      scriptsDir: join(SCENARIOS_DIR, 'scripts'),
      fleet,
      scheduler: time,
      start,
      operator: async (request) => {
        if (!operator) throw new Error('the operator function is not ready');
        return operator(request);
      },
      say: (elapsed, instance, text) => output.person(elapsed, instance, text),
    });
    const { runtime, timerFailures, scheduleResync } = localRuntime({
      client,
      table: TABLE,
      scheduler: time,
      bus,
      commands: ssm,
      pager: people.watch(webhook ?? pager),
      alarms: cloudwatch,
      inventory: {
        describe: async (ids) =>
          fleet
            .filter((i) => ids.includes(i.instanceId))
            .map((i) => ({
              instanceId: i.instanceId,
              availabilityZone: i.availabilityZone,
              instanceType: i.instanceType,
              imageId: i.imageId,
              tags: { ...i.tags, Service: 'web' },
            })),
      },
      instanceTags: (id) => fleet.find((i) => i.instanceId === id)?.tags,
      runbooks,
      documents,
      random: Math.random,
    });
    operator = createOperatorHandler(runtime);
    // A runbook's mode for this game day only, as `runbooks approve-mode` switches it at run time.
    for (const [runbook, mode] of Object.entries(scenario.modes ?? {})) {
      await runtime.fleet.setMode(runbook, {
        mode,
        reason: `game day ${scenario.name}: a person answers every proposal`,
        by: `scenario ${scenario.name}`,
        since: time.now(),
      });
      output.note(`runbook ${runbook} in ${mode} mode for this game day`);
    }
    bus.addRule({
      name: 'progress',
      pattern: { source: [REMEDIATION_EVENT_SOURCE] },
      immediate: true,
      target: async (e) => {
        const detail = e.detail as { instanceId?: string };
        output.transition(time.now() - start, names.get(detail.instanceId ?? '') ?? 'fleet', e);
      },
    });
    bus.addRule({
      name: 'alarm-events-file',
      pattern: { source: ['aws.cloudwatch'] },
      immediate: true,
      target: async (e) => {
        appendFileSync(alarmEventsPath, `${JSON.stringify(e)}\n`);
      },
    });
    // A contributor's event carries no previous state: the last one seen, for the progress line.
    const contributorStates = new Map<string, string>();
    bus.addRule({
      name: 'alarm-progress',
      pattern: alarmStateChangePattern(),
      immediate: true,
      target: async (e) => {
        const detail = e.detail as {
          alarmName: string;
          state: { value: string; reason: string };
          previousState?: { value: string };
          alarmContributor?: { id: string; attributes: Record<string, string> };
        };
        const elapsed = time.now() - start;
        if (detail.alarmContributor) {
          const key = `${detail.alarmName}#${detail.alarmContributor.id}`;
          const from = contributorStates.get(key) ?? 'none';
          contributorStates.set(key, detail.state.value);
          const instanceId = detail.alarmContributor.attributes.InstanceId ?? '';
          output.alarm(elapsed, detail.alarmName, from, detail.state.value, {
            instance: names.get(instanceId) ?? instanceId,
            note: 'contributor',
          });
          return;
        }
        const from = detail.previousState?.value ?? 'none';
        if (from === 'INSUFFICIENT_DATA' && detail.state.value === 'OK') return;
        const fleetAlarm = alarms.find((a) => a.name === detail.alarmName)?.kind === 'fleet';
        output.alarm(
          elapsed,
          detail.alarmName,
          from,
          detail.state.value,
          fleetAlarm ? { note: detail.state.reason } : {},
        );
      },
    });

    const faults: GameDayFault[] = [];
    for (const planned of faultPlan) {
      time.at(start + planned.fault.atMinutes * 60_000, `fault ${planned.fault.description}`, async () => {
        const script = faultScript(planned.fault, runbookNamed(planned.fault.runbook));
        await Promise.all(
          planned.instances.map(async (n) => {
            const instance = fleet[n - 1] as FleetInstance;
            const at = time.now();
            output.fault(at - start, instance.name, planned.fault.description);
            // A fault's script takes real time (a leak grows, a disk fills): the clock runs at real
            // speed meanwhile, as while a command runs, so that it is in place as soon as on an instance.
            const release = time.hold();
            const run = await instance.sandbox.run(script, { timeoutSeconds: 120 }).finally(release);
            faults.push({
              at,
              endedAt: time.now(),
              instanceId: instance.instanceId,
              fault: planned.fault.script ?? `${planned.fault.runbook} (proof fault)`,
              description: planned.fault.description,
              injected: run.exitCode === 0,
            });
            if (run.exitCode !== 0)
              output.note(
                `fault on ${instance.name} failed (exit ${run.exitCode}): ${run.stderr.trim().slice(-300)}`,
              );
          }),
        );
      });
    }
    cloudwatch.start();
    people.start();
    // The resync runs on the stack's schedule, in virtual time, and answers from the local CloudWatch.
    const resync = scheduleResync(RESYNC_SECONDS);
    output.begin();
    const endsAt = start + scenario.endsAtMinutes * 60_000;
    if (!options.endWhen) await time.until(endsAt);
    for (let at = start; options.endWhen && at < endsAt && !options.endWhen(); ) {
      at = Math.min(endsAt, at + 30_000);
      await time.until(at);
    }
    resync.stop();
    cloudwatch.stop();
    await time.stop();
    await ssm.settle();
    const endedAt = time.now();

    const incidents = (await readIncidents({ table: TABLE, endpoint: dynamo.endpoint, all: true })).sort(
      (a, b) => a.openedAt - b.openedAt,
    );
    const failures = [
      ...bus.failures.map((f) => `bus rule ${f.rule}: ${describeError(f.error)}`),
      ...time.failures.map((f) => `${f.label}: ${describeError(f.error)}`),
      ...timerFailures.map((t) => `timer handler failed: ${t}`),
      ...(webhook?.failures ?? []).map((w) => `webhook: ${w}`),
    ];
    const alarmsAtEnd = cloudwatch.inAlarmNow();
    const breakers = await openBreakers(runtime, runbooks, endedAt);
    const audit = auditAlarms(alarmsAtEnd, incidents, pager.pages, breakers, start);
    const expectations = judge({
      scenario,
      plan: faultPlan.map((p) => ({
        fault: p.fault,
        instanceIds: p.instances.map((n) => fleet[n - 1]?.instanceId as string),
      })),
      faults,
      incidents,
      pages: pager.pages,
      failures,
      breakers,
      responders: people.log,
      commands: ssm.commands,
    });
    expectations.push(noSilentAlarm(audit));
    const record: GameDayRecord = {
      scenario: { name: scenario.name, description: scenario.description, speed, alarmMode },
      startedAt: start,
      endedAt,
      wallMs: Math.round(time.elapsedRealMs()),
      instances: fleet.map(({ sandbox: _sandbox, ...i }) => i),
      faults,
      alarmChanges: cloudwatch.changes,
      ...(alarmMode === 'fleet' ? { fleetAlarmChanges: cloudwatch.fleetChanges } : {}),
      incidents: incidents.map((i) => toRecordIncident(i, faults)),
      pages: pager.pages.map((p) => ({
        at: Date.parse(p.at),
        kind: p.page,
        subject: p.subject,
        about: p.incidentId,
      })),
      expectations,
      audit,
      resyncs: resync.runs,
      ...(scenario.modes ? { modes: { ...scenario.modes } } : {}),
      ...(scenario.responders?.length ? { responders: people.log } : {}),
    };
    const held = expectations.every((e) => e.held);
    const reportPath = options.reportPath ?? join(options.outDir, 'report.html');
    mkdirSync(dirname(reportPath), { recursive: true });
    writeFileSync(reportPath, renderReport(record));
    output.summary(record, names);
    output.closing(record, reportPath, pagesPath);
    return { record, held, reportPath, incidents, commands: ssm.commands, pages: pager.pages };
  } finally {
    await cleanup();
  }
}

/** The resync's schedule, as the stack deploys it by default: every five (virtual) minutes. */
const RESYNC_SECONDS = 300;

/** The breakers still open at the end, with the instances their group pages named. */
async function openBreakers(
  runtime: Runtime,
  runbooks: readonly Runbook[],
  now: number,
): Promise<OpenBreakerAtEnd[]> {
  const found: OpenBreakerAtEnd[] = [];
  for (const runbook of runbooks) {
    const { breaker } = await runtime.fleet.read(runbook, undefined, now);
    if (breaker && breakerHolds(breaker, runbook.breaker, now))
      found.push({
        runbook: runbook.name,
        instances: breaker.instances,
        paged: breaker.page.status === 'sent',
      });
  }
  return found;
}

function runbookNamed(name: string): Runbook {
  const runbook = registry.find((r) => r.name === name);
  if (!runbook) throw new Error(`the scenario names runbook "${name}", which is not registered`);
  return runbook;
}

/** The runbooks whose declared alarms the scenario provisions. */
function scenarioRunbooks(scenario: ScenarioDefinition): Runbook[] {
  return [...new Set(scenario.alarms)].map(runbookNamed);
}

/** Each fault with the instances it hits (1-based), checked against the fleet's size. */
export function planFaults(
  scenario: ScenarioDefinition,
  size: number,
): { fault: ScenarioFault; instances: number[] }[] {
  const alarmed = new Set(scenario.alarms);
  return scenario.faults.map((fault) => {
    if (!alarmed.has(fault.runbook)) {
      throw new Error(
        `fault "${fault.description}": no alarm of runbook ${fault.runbook} in the scenario's alarms`,
      );
    }
    const instances = Array.isArray(fault.instances)
      ? [...(fault.instances as readonly number[])]
      : Array.from({ length: size }, (_, i) => i + 1).filter(
          (n) => !(fault.instances as { mostOfFleetExcept: readonly number[] }).mostOfFleetExcept.includes(n),
        );
    for (const n of instances) {
      if (!Number.isInteger(n) || n < 1 || n > size) {
        throw new Error(
          `fault "${fault.description}" names instance ${n}; the fleet has ${size} (use --instances)`,
        );
      }
    }
    if (!Array.isArray(fault.instances) && instances.length * 2 <= size) {
      throw new Error(
        `fault "${fault.description}" is meant for most of the fleet, but hits ${instances.length} of ${size}`,
      );
    }
    if (fault.script && !existsSync(join(SCENARIOS_DIR, 'scripts', fault.script))) {
      throw new Error(`fault "${fault.description}": no script scenarios/scripts/${fault.script}`);
    }
    return { fault, instances };
  });
}

function faultScript(fault: ScenarioFault, runbook: Runbook): string {
  if (fault.script) return readFileSync(join(SCENARIOS_DIR, 'scripts', fault.script), 'utf8');
  if (!runbook.proof) throw new Error(`runbook ${runbook.name} has no proof fault; give the fault a script`);
  return readFileSync(join(dirname(SCENARIOS_DIR), 'runbooks', runbook.name, runbook.proof.fault), 'utf8');
}

/** What every instance runs before the game day starts: the services its alarms watch. */
async function setUp(scenario: ScenarioDefinition, fleet: readonly FleetInstance[]): Promise<void> {
  const needsApp = scenario.alarms.some((a) => a === 'service-down' || a === 'memory-leak');
  if (!needsApp) return;
  const script = readFileSync(join(SCENARIOS_DIR, 'scripts', 'start-app.sh'), 'utf8');
  await Promise.all(
    fleet.map(async (instance) => {
      const run = await instance.sandbox.run(script, { timeoutSeconds: 60 });
      if (run.exitCode !== 0) throw new Error(`setting up ${instance.name} failed: ${run.stderr.trim()}`);
    }),
  );
}

/** A few reads and writes before the clock starts, so that DynamoDB Local's first slow answers cost no virtual time. */
async function warmUp(client: ReturnType<typeof localDynamoDbClient>): Promise<void> {
  const store = new DynamoDbIncidentStore(client, TABLE);
  const killSwitch = new DynamoDbKillSwitch(client, TABLE);
  for (let i = 0; i < 20; i++) {
    await Promise.all([
      store.load({ runbook: 'warm-up', alarm: '0000000000000000', target: `warm-up-${i}` }),
      killSwitch.list(),
    ]);
  }
}

function toRecordIncident(incident: Incident, faults: readonly GameDayFault[]): GameDayIncident {
  const fault = faults
    .filter((f) => f.instanceId === incident.instanceId && f.at <= incident.openedAt)
    .sort((a, b) => b.at - a.at)[0];
  return {
    id: incident.id,
    runbook: incident.key.runbook,
    ...(incident.instanceId ? { instanceId: incident.instanceId } : {}),
    alarmName: incident.alarm.name,
    status: incident.status,
    openedAt: incident.openedAt,
    ...(incident.closedAt ? { closedAt: incident.closedAt } : {}),
    ...(incident.resolution ? { resolution: incident.resolution.how } : {}),
    attempts: incident.attempts.map((a) => ({
      number: a.number,
      ...(a.action ? { action: a.action } : {}),
      ...(a.by ? { by: a.by } : {}),
      requestedAt: a.requestedAt,
      status: a.status,
      ...(a.result?.responseCode === undefined ? {} : { exitCode: a.result.responseCode }),
      ...(a.result?.finishedAt === undefined ? {} : { finishedAt: a.result.finishedAt }),
      ...(a.verification ? { verification: a.verification } : {}),
    })),
    refusals: (incident.refusals ?? []).map((r) => ({ gate: r.gate, reason: r.reason, at: r.at })),
    ...(incident.escalation
      ? { escalation: { at: incident.escalation.at, reason: incident.escalation.reason } }
      : {}),
    ...(fault ? { faultAt: fault.at } : {}),
    ...(incident.proposal
      ? {
          proposal: {
            id: incident.proposal.id,
            action: incident.proposal.action,
            proposedAt: incident.proposal.proposedAt,
            ...(incident.proposal.answer ? { answer: { ...incident.proposal.answer } } : {}),
          },
        }
      : {}),
    ...(incident.owner ? { owner: { ...incident.owner } } : {}),
    ...(incident.responders?.length
      ? {
          responders: incident.responders.map((r) => ({
            at: r.at,
            by: r.by,
            verb: r.verb,
            ...(r.detail ? { detail: r.detail } : {}),
            outcome: r.outcome,
            ...(r.reason ? { reason: r.reason } : {}),
          })),
        }
      : {}),
  };
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
