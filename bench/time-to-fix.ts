import { mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Attempt, Incident } from '../functions/core/incident.ts';
import type { Runbook } from '../functions/core/runbook.ts';
import type { AwsEvent } from '../local/aws-shapes.ts';
import { GAME_DAY_INSTANCE_TAGS } from '../local/gameday/fleet.ts';
import { type GameDayResult, runGameDay } from '../local/gameday/gameday.ts';
import { GameDayOutput } from '../local/gameday/gameday-output.ts';
import type { GameDayAlarmChange, GameDayFault } from '../local/gameday/record.ts';
import type { CommandRecord } from '../local/gameday/sandbox-ssm.ts';
import type { ScenarioDefinition } from '../local/gameday/scenario.ts';
import type { RecordedPage } from '../local/local-ports.ts';
import { runbooks as registry } from '../runbooks/index.ts';
import { machine, round } from './machine.ts';

/**
 * Virtual seconds per real second. Everything the sandboxes do (faults, probes, commands) runs at
 * real time whatever the speed (the game day holds its clock meanwhile), but the handlers' own
 * latency on DynamoDB Local passes at this speed: 100 ms of it costs a virtual second here. Low, so
 * that the decision is not inflated; high enough that the game day takes a few minutes.
 */
const SPEED = 10;
/** Fixes measured per runbook. */
const SAMPLES = 3;
/** A fault lands this long after a period of its alarm ends: the detection floor is then its whole wait. */
const OFFSET_SECONDS = 2;
/** Minutes after the last fix is due, and after the last page's budget, before a game day ends. */
const MARGIN_MINUTES = 2;
/** Target: median time to fix within this many seconds of the floor. */
const FIX_OVER_FLOOR_SECONDS = 15;
/** Target: a remedy that runs and does not fix reaches a human within five virtual minutes of the fault. */
const RUNS_BUT_DOES_NOT_FIX_SECONDS = 300;
/** When a runbook does not state its budget of time to a human. */
const DEFAULT_PAGE_WITHIN_SECONDS = 900;

/** The remedies that cannot fix, each as a game day's scenario script: what time to human is measured on. */
const HUMAN_CASES: readonly HumanCase[] = [
  {
    case: 'remedy fails (exits non-zero)',
    kind: 'fails',
    runbook: 'service-down',
    script: 'break-app.sh',
    description: 'a bad deploy: app exits at every start',
  },
  {
    case: 'remedy runs and does not fix (a live log keeps the disk full)',
    kind: 'runs-but-does-not-fix',
    runbook: 'disk-full',
    script: 'fill-disk-live.sh',
    description: 'a live log keeps the disk full',
  },
];

interface HumanCase {
  readonly case: string;
  readonly kind: 'fails' | 'runs-but-does-not-fix';
  readonly runbook: string;
  readonly script: string;
  readonly description: string;
}

/** A fault the bench places: a fix to measure, or a case that must reach a human. */
interface Placed {
  readonly runbook: Runbook;
  readonly instance: number;
  readonly atSeconds: number;
  readonly human?: HumanCase;
  readonly sample?: number;
}

/**
 * Time to fix and time to human, as users feel them, on the game day's sandboxed fleet: every shipped
 * runbook with a declared alarm and a proof has its proof fault injected on instances of its own,
 * {@link SAMPLES} times, and the remedies that cannot fix ({@link HUMAN_CASES}) once each. Measured
 * in virtual seconds on the game day's clock from its records: the faults (when each script ended),
 * the local CloudWatch's alarm changes, the sandboxed SSM's commands, the incidents in DynamoDB Local
 * and the pages. Target: median time to fix ≤ floor + 15 s per runbook (floor: the alarm's period ×
 * datapoints to alarm, plus the remedy's own measured time); a remedy that runs and does not fix
 * pages within 5 minutes; every case pages within the floor plus the runbook's worst-case script times.
 *
 * The faults run in a few game days, one after another (see {@link plan}): every alarm probes every
 * instance of its game day each period, so one game day of all of them would spend two shared cores
 * on probes (and starve the CPU runbook's burner).
 */
export async function timeToFix(): Promise<Record<string, unknown>> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { games, skipped } = plan();
  const loadBefore = loadavg();
  const wallStart = performance.now();
  const samples: FixSample[] = [];
  const humans: (
    | ReturnType<typeof measureHuman>
    | { case: string; runbook: string; met: false; failed: string }
  )[] = [];
  const gameDays: Record<string, unknown>[] = [];
  for (const game of games) {
    const outDir = mkdtempSync(join(tmpdir(), `bench-${game.scenario.name}-`));
    const transcript: string[] = [];
    const started = performance.now();
    const load = loadavg();
    let result: GameDayResult;
    try {
      result = await withRetry(() => {
        const output = new WatchedOutput(transcript);
        return runGameDay({
          scenario: game.scenario,
          outDir,
          output,
          // Once every fault's incident has ended (fixed and its alarm OK, or paged), nothing is left to see.
          endWhen: () => game.placed.every((p) => output.ended.has(`web-${p.instance} ${p.runbook.name}`)),
        });
      });
    } catch (error) {
      // A game day that failed measures nothing: its faults are reported as such, the others stand.
      const failed = `game day ${game.scenario.name} failed: ${String(error).slice(0, 300)}`;
      for (const p of game.placed) {
        if (p.human) humans.push({ case: p.human.case, runbook: p.runbook.name, met: false, failed });
        else samples.push({ runbook: p.runbook.name, sample: p.sample as number, instanceId: '', failed });
      }
      gameDays.push({ name: game.scenario.name, error: failed });
      continue;
    } finally {
      writeFileSync(join(outDir, 'gameday.log'), `${transcript.join('\n')}\n`);
    }
    samples.push(...game.placed.filter((p) => !p.human).map((p) => measureFix(p, result)));
    humans.push(...game.placed.filter((p) => p.human).map((p) => measureHuman(p, result)));
    gameDays.push({
      name: game.scenario.name,
      runbooks: game.scenario.alarms,
      instances: game.scenario.instances,
      virtualMinutes: game.scenario.endsAtMinutes,
      wallSeconds: round((performance.now() - started) / 1000, 1),
      loadAtStart: load.map((l) => round(l)),
      expectationsHeld: result.held,
      expectationsNotHeld: result.record.expectations.filter((e) => !e.held),
      transcript: join(outDir, 'gameday.log'),
      report: result.reportPath,
    });
  }
  const byRunbook = summarize(samples);
  const met =
    Object.values(byRunbook).every((r) => r.met) &&
    humans.every((h) => h.met) &&
    samples.every((s) => 'fixedAt' in s);
  return {
    benchmark: 'time-to-fix',
    machine: machine(),
    load: { before: loadBefore.map((l) => round(l)), after: loadavg().map((l) => round(l)) },
    speed: SPEED,
    wallSeconds: round((performance.now() - wallStart) / 1000, 1),
    gameDays,
    definitions: {
      detection:
        "fault in place (its script ended) to the alarm ALARM (the instance's contributor); faults land 2 s after a period ends, so it is about the floor, less a fault that is in place before its script ends (memory-leak's leak passes the threshold while its script waits for 130 MiB)",
      decision: 'the alarm ALARM to the first command sent for the incident (SendCommand at SSM)',
      beforeRemedy: 'first command to the fixing remedy sent: the diagnosis, and any attempt that failed',
      script: "the fixing remedy's command, requested to finished (the probe run after it included)",
      verification:
        "the remedy's end to fixed: attempt.fixedAt (the probe read healthy), else the resolution",
      total: 'fault in place to fixed',
      floor: "the alarm's periodSeconds × datapointsToAlarm, plus the median of the remedy's script time",
      timeToHuman: 'fault in place to the escalation page',
    },
    targets: {
      medianFixOverFloorSeconds: FIX_OVER_FLOOR_SECONDS,
      runsButDoesNotFixPageSeconds: RUNS_BUT_DOES_NOT_FIX_SECONDS,
      pageWithin:
        "detection floor + the runbook's worst-case script times (maxAttempts × executionTimeout, and the diagnosis), and the runbook's pageWithinSeconds from the alarm",
    },
    runbooks: byRunbook,
    timeToHuman: humans,
    samples,
    skipped,
    met,
  };
}

/** The game day's lines, kept; and the instances whose incident (of a runbook) has ended, as they end. */
class WatchedOutput extends GameDayOutput {
  /** `web-3 disk-full`: an incident of disk-full on web-3 was resolved or escalated. */
  readonly ended = new Set<string>();

  constructor(lines: string[]) {
    super({ colour: false, write: (line) => lines.push(line) });
  }

  override transition(elapsedMs: number, instance: string, event: AwsEvent): void {
    super.transition(elapsedMs, instance, event);
    const runbook = (event.detail as { runbook?: string }).runbook;
    if (/Resolved|Escalated/.test(event['detail-type'])) this.ended.add(`${instance} ${runbook}`);
  }
}

/** A game day that could not start its sandboxes (each must be up within 10 s, which a loaded machine misses) is tried again, three times in all. */
async function withRetry(run: () => Promise<GameDayResult>): Promise<GameDayResult> {
  for (let tries = 1; ; tries++) {
    try {
      return await run();
    } catch (error) {
      if (tries >= 3 || !/Could not start a sandbox/.test(String(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20_000));
    }
  }
}

/** One game day of the bench: its scenario and where each fault went. */
interface Game {
  readonly scenario: ScenarioDefinition;
  readonly placed: readonly Placed[];
}

/**
 * The bench's game days, one after another, each fault on an instance of its own. Every alarm probes
 * every instance of its game day each period, all at once, so a runaway process's share of two shared
 * cores, which the CPU runbook's alarm and remedy measure, drops when many probes run beside it: the
 * CPU runbooks play in a game day of their own, one burner at a time. The other runbooks play two
 * samples each to a game day (the cases that must reach a human in the last): each game day has its
 * own table, so a runbook's fleet breaker sees at most two of its instances alarm at once (three of
 * three seen would open it).
 */
function plan(): { games: Game[]; skipped: Record<string, string> } {
  const skipped: Record<string, string> = {};
  const measured = registry.filter((runbook) => {
    if (!runbook.alarm) skipped[runbook.name] = 'declares no alarm: the game day plays declared alarms';
    else if (!runbook.proof) skipped[runbook.name] = 'has no proof fault';
    else if (runbook.mode !== 'enforce') skipped[runbook.name] = `in ${runbook.mode} mode: a person approves`;
    else return true;
    return false;
  });
  const tags: Record<string, string> = { ...GAME_DAY_INSTANCE_TAGS };
  for (const runbook of measured) {
    for (const [key, value] of Object.entries(runbook.proof?.instanceTags ?? {})) {
      if (tags[key] !== undefined && tags[key] !== value && key !== 'AutoRemediation')
        tags[key] = [...new Set([...tags[key].split(':'), ...value.split(':')])].join(':');
      else tags[key] = value;
    }
  }
  const cpu = measured.filter((r) => r.alarm?.metricName === 'CPUUtilization');
  const others = measured.filter((r) => !cpu.includes(r));
  const all = Array.from({ length: SAMPLES }, (_, i) => i + 1);
  const games: Game[] = [];
  // The CPU runbooks alone: a burner must show beside as few probes as can be.
  if (cpu.length > 0)
    games.push(
      game(
        'bench-time-to-fix-cpu',
        cpu.map((runbook) => ({ runbook, samples: all })),
        [],
        tags,
      ),
    );
  // The others, two samples of each to a game day; the cases for a human in the last, which has the
  // fewest when the samples are odd (a case's instance counts towards its runbook's breaker too).
  for (let first = 1; first <= SAMPLES; first += 2) {
    const samples = all.filter((n) => n === first || n === first + 1);
    games.push(
      game(
        `bench-time-to-fix-${samples.join('-')}`,
        others.map((runbook) => ({ runbook, samples })),
        first + 2 > SAMPLES ? HUMAN_CASES : [],
        tags,
      ),
    );
  }
  return { games, skipped };
}

function game(
  name: string,
  measured: readonly { readonly runbook: Runbook; readonly samples: readonly number[] }[],
  humans: readonly HumanCase[],
  tags: Readonly<Record<string, string>>,
): Game {
  const placed: Placed[] = [];
  let instance = 0;
  let lastSecond = 0;
  const runbooks = measured.map((m) => m.runbook);
  const alarmed = [...runbooks];
  for (const human of humans) {
    const runbook = registry.find((r) => r.name === human.runbook);
    if (runbook && !alarmed.includes(runbook)) alarmed.push(runbook);
  }
  for (const runbook of alarmed) {
    const alarm = runbook.alarm as NonNullable<Runbook['alarm']>;
    const period = alarm.periodSeconds;
    const perSlot = alarm.metricName === 'CPUUtilization' ? 1 : 2;
    const window = runbook.breaker ? runbook.breaker.windowSeconds : 0;
    // perSlot × (slots whose alarms one window can hold) ≤ 2.
    const gap = period * Math.ceil((perSlot === 1 ? window / 2 + 1 : window + 60) / period);
    // Missing data that breaches: the first datapoints must have history before them, or one alarms.
    const first =
      (alarm.treatMissingData === 'breaching' ? alarm.evaluationPeriods * period : 0) + OFFSET_SECONDS;
    const faults: Omit<Placed, 'atSeconds' | 'instance'>[] = [
      ...humans.filter((h) => h.runbook === runbook.name).map((human) => ({ runbook, human })),
      ...(measured.find((m) => m.runbook === runbook)?.samples ?? []).map((sample) => ({ runbook, sample })),
    ];
    faults.forEach((fault, i) => {
      const atSeconds = first + Math.floor(i / perSlot) * gap;
      instance += 1;
      placed.push({ ...fault, instance, atSeconds });
      // At the latest (the game day ends once every fault's incident has ended): a fix within detection
      // and a minute and a half (decision, diagnosis, remedy, probe), then the alarm's OK (a period);
      // a case for a human within its runbook's budget from the alarm, or its limit if that is later.
      const floor = period * alarm.datapointsToAlarm;
      const due = fault.human
        ? atSeconds + floor + Math.max(humanLimit(fault.human, runbook) - floor, pageBudget(runbook)) + 60
        : atSeconds + floor + 90 + period;
      lastSecond = Math.max(lastSecond, due);
    });
  }
  const scenario: ScenarioDefinition = {
    name,
    description: `Proof faults of ${measured.map((m) => `${m.runbook.name} (sample ${m.samples.join(', ')})`).join(', ')}, each on an instance of its own${humans.length ? ', and remedies that cannot fix' : ''}.`,
    instances: instance,
    speed: SPEED,
    instanceTags: tags,
    alarms: alarmed.map((r) => r.name),
    faults: placed.map((p) => ({
      atMinutes: p.atSeconds / 60,
      instances: [p.instance],
      runbook: p.runbook.name,
      ...(p.human ? { script: p.human.script } : {}),
      description: p.human ? p.human.description : `${p.runbook.name} proof fault, sample ${p.sample}`,
      expect: p.human ? 'escalated' : 'fixed',
      ...(p.human ? { pageWithinSeconds: 'runbook' as const } : {}),
    })),
    endsAtMinutes: Math.ceil(lastSecond / 60) + MARGIN_MINUTES,
  };
  return { scenario, placed };
}

/** When a case for a human must have paged, from its fault: the floor and the worst-case scripts (five minutes when the remedy runs and does not fix). */
function humanLimit(human: HumanCase, runbook: Runbook): number {
  const limit = detectionFloor(runbook) + worstCaseScripts(runbook);
  return human.kind === 'runs-but-does-not-fix' ? Math.min(limit, RUNS_BUT_DOES_NOT_FIX_SECONDS) : limit;
}

/** The longest the scripts of an incident may take: every attempt and the diagnosis at their execution timeout. */
function worstCaseScripts(runbook: Runbook): number {
  return (runbook.maxAttempts + (runbook.diagnose ? 1 : 0)) * runbook.executionTimeoutSeconds;
}

function pageBudget(runbook: Runbook): number {
  return (runbook as { pageWithinSeconds?: number }).pageWithinSeconds ?? DEFAULT_PAGE_WITHIN_SECONDS;
}

/** What the game day recorded about one placed fault: the fault, its alarm, its incident, its commands. */
function traceOf(p: Placed, result: GameDayResult) {
  const instanceId = result.record.instances[p.instance - 1]?.instanceId ?? '';
  const fault = result.record.faults.find((f) => f.instanceId === instanceId) as GameDayFault | undefined;
  const faultAt = fault ? (fault.endedAt ?? fault.at) : undefined;
  const alarmChange = result.record.alarmChanges
    .filter(
      (c: GameDayAlarmChange) =>
        c.instanceId === instanceId &&
        c.to === 'ALARM' &&
        c.alarmName.startsWith(`${p.runbook.name}-`) &&
        c.at >= (fault?.at ?? 0),
    )
    .sort((a, b) => a.at - b.at)[0];
  const incident = result.incidents
    .filter(
      (i: Incident) =>
        i.key.runbook === p.runbook.name && i.instanceId === instanceId && i.openedAt >= (fault?.at ?? 0),
    )
    .sort((a, b) => a.openedAt - b.openedAt)[0];
  const commands = result.commands
    .filter(
      (c: CommandRecord) =>
        c.instanceId === instanceId &&
        c.runbook === p.runbook.name &&
        incident !== undefined &&
        c.requestedAt >= incident.openedAt &&
        c.requestedAt <= (incident.closedAt ?? Number.POSITIVE_INFINITY),
    )
    .sort((a, b) => a.requestedAt - b.requestedAt);
  return { instanceId, fault, faultAt, alarmAt: alarmChange?.at, incident, commands };
}

/** The detection floor of a runbook's alarm: its period × the datapoints it needs, in seconds. */
function detectionFloor(runbook: Runbook): number {
  const alarm = runbook.alarm as NonNullable<Runbook['alarm']>;
  return alarm.periodSeconds * alarm.datapointsToAlarm;
}

type FixSample = ReturnType<typeof measureFix>;

function measureFix(p: Placed, result: GameDayResult) {
  const { instanceId, fault, faultAt, alarmAt, incident, commands } = traceOf(p, result);
  const base = { runbook: p.runbook.name, sample: p.sample as number, instanceId };
  if (!fault?.injected || faultAt === undefined) return { ...base, failed: 'the fault was not injected' };
  if (alarmAt === undefined) return { ...base, failed: 'the alarm never went to ALARM' };
  if (!incident) return { ...base, failed: 'no incident opened' };
  const fixing = fixingAttempt(incident);
  const fixedAt =
    fixing?.fixedAt ?? (incident.resolution?.how === 'verified' ? incident.resolution.at : undefined);
  if (!fixing || fixedAt === undefined) {
    const result = incident.attempts.at(-1)?.result;
    return {
      ...base,
      failed: `not fixed: ${incident.status}${incident.escalation ? ` (${incident.escalation.reason})` : ''}`,
      ...(result ? { output: `${result.stdout ?? ''}\n${result.stderr ?? ''}`.trim().slice(-600) } : {}),
    };
  }
  const remedy =
    commands.find((c) => c.commandId === fixing.commandId) ??
    commands.filter((c) => c.action !== 'diagnose' && c.finishedAt <= fixedAt).at(-1);
  const first = commands[0];
  if (!remedy || !first) return { ...base, failed: 'no remedy command recorded' };
  const s = (ms: number) => round(ms / 1000, 1);
  return {
    ...base,
    attempts: incident.attempts.length,
    fixedBy: fixing.fixedAt !== undefined ? 'probe (attempt.fixedAt)' : 'resolution (alarm OK)',
    ...(fixing.probe ? { probe: fixing.probe } : {}),
    detection: s(alarmAt - faultAt),
    decision: s(first.requestedAt - alarmAt),
    beforeRemedy: s(remedy.requestedAt - first.requestedAt),
    script: s(remedy.finishedAt - remedy.requestedAt),
    verification: s(fixedAt - remedy.finishedAt),
    total: s(fixedAt - faultAt),
    ...(incident.resolution ? { toAlarmOk: s(incident.resolution.at - faultAt) } : {}),
    floor: s(detectionFloor(p.runbook) * 1000 + (remedy.finishedAt - remedy.requestedAt)),
    fixedAt,
  };
}

/** The attempt that fixed the incident: the one the probe marked fixed, else the last that succeeded. */
function fixingAttempt(incident: Incident): Attempt | undefined {
  return (
    incident.attempts.find((a) => a.fixedAt !== undefined) ??
    incident.attempts.filter((a) => a.status === 'succeeded' || a.verification === 'passed').at(-1) ??
    incident.attempts.at(-1)
  );
}

const STAGES = ['detection', 'decision', 'beforeRemedy', 'script', 'verification', 'total'] as const;

function summarize(samples: readonly FixSample[]) {
  const out: Record<string, Record<string, unknown> & { met: boolean }> = {};
  for (const name of [...new Set(samples.map((s) => s.runbook))]) {
    const runbook = registry.find((r) => r.name === name) as Runbook;
    const all = samples.filter((s) => s.runbook === name);
    const fixed = all.filter((s): s is Extract<FixSample, { total: number }> => 'total' in s);
    const medians = Object.fromEntries(STAGES.map((stage) => [stage, median(fixed.map((s) => s[stage]))]));
    const floor = round(detectionFloor(runbook) + (medians.script ?? Number.NaN), 1);
    const over = round((medians.total ?? Number.NaN) - floor, 1);
    const alarm = runbook.alarm as NonNullable<Runbook['alarm']>;
    out[name] = {
      samples: all.length,
      fixed: fixed.length,
      alarm: `${alarm.periodSeconds} s × ${alarm.datapointsToAlarm} datapoints`,
      detectionFloor: detectionFloor(runbook),
      medians,
      ...(fixed.some((s) => s.toAlarmOk !== undefined)
        ? { medianToAlarmOk: median(fixed.flatMap((s) => (s.toAlarmOk === undefined ? [] : [s.toAlarmOk]))) }
        : {}),
      floor,
      medianTotalOverFloor: over,
      met: fixed.length === all.length && over <= FIX_OVER_FLOOR_SECONDS,
    };
  }
  return out;
}

function measureHuman(p: Placed, result: GameDayResult) {
  const human = p.human as HumanCase;
  const { instanceId, fault, faultAt, alarmAt, incident, commands } = traceOf(p, result);
  const runbook = p.runbook;
  const floor = detectionFloor(runbook);
  const worstScripts = worstCaseScripts(runbook);
  const base = {
    case: human.case,
    kind: human.kind,
    runbook: runbook.name,
    script: `scenarios/scripts/${human.script}`,
    instanceId,
    detectionFloor: floor,
    worstCaseScriptSeconds: worstScripts,
    pageWithinSeconds: pageBudget(runbook),
  };
  const page: RecordedPage | undefined = incident
    ? result.pages.find((x) => x.incidentId === incident.id && x.page === 'escalation')
    : undefined;
  if (!fault?.injected || faultAt === undefined || !incident || !page)
    return {
      ...base,
      met: false,
      failed: !fault?.injected
        ? 'the fault was not injected'
        : !incident
          ? 'no incident opened'
          : `no escalation page within the game day (incident ${incident.status}, ${incident.attempts.length} attempt(s))`,
    };
  const pageAt = Date.parse(page.at);
  const s = (ms: number) => round(ms / 1000, 1);
  const scriptSeconds = commands
    .filter((c) => c.requestedAt <= pageAt)
    .reduce((sum, c) => sum + (c.finishedAt - c.requestedAt), 0);
  const toPage = s(pageAt - faultAt);
  const limit = floor + worstScripts;
  const met =
    toPage <= limit &&
    (human.kind !== 'runs-but-does-not-fix' || toPage <= RUNS_BUT_DOES_NOT_FIX_SECONDS) &&
    (alarmAt === undefined || s(pageAt - alarmAt) <= pageBudget(runbook));
  return {
    ...base,
    attempts: incident.attempts.length,
    exitCodes: commands.filter((c) => c.requestedAt <= pageAt).map((c) => `${c.action}: ${c.exitCode}`),
    detection: alarmAt === undefined ? undefined : s(alarmAt - faultAt),
    faultToPage: toPage,
    alarmToPage: alarmAt === undefined ? undefined : s(pageAt - alarmAt),
    scriptSeconds: s(scriptSeconds),
    /** What automation spent besides detecting and running scripts: decisions, backoffs, verify windows. */
    ...(alarmAt === undefined
      ? {}
      : { waitingSeconds: round(toPage - s(alarmAt - faultAt) - scriptSeconds / 1000, 1) }),
    limitSeconds: limit,
    ...(human.kind === 'runs-but-does-not-fix' ? { targetSeconds: RUNS_BUT_DOES_NOT_FIX_SECONDS } : {}),
    why: /^Why paged: (.*)$/m.exec(page.body)?.[1]?.slice(0, 300) ?? page.subject,
    met,
  };
}

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return round(
    sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2,
    1,
  );
}
