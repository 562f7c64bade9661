import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { GateName } from '../../functions/core/gates.ts';
import type { Attempt, Incident } from '../../functions/core/incident.ts';
import { escapeHtml } from '../gameday/report-html.ts';
import { readIncidents } from './incidents.ts';
import type { TableOptions } from './kill-switch.ts';

/**
 * The weekly review (`remediate report --since 7d`): what the automation did over a period, read
 * from the incident table (current and archived episodes), as terminal text and as one
 * self-contained HTML page (inline CSS and SVG, no script, no network).
 *
 * Everything below `runWeeklyReport` is pure: the same incidents and options give the same review,
 * the same lines and the same bytes.
 */

// ---------------------------------------------------------------------------------------------------
// The review.

/**
 * How an incident ended, as the review counts it. Exactly one per incident, first match wins:
 * - `fixed`: resolved with `resolution.how === 'verified'` (a command succeeded and its alarm
 *   returned to OK within the verify window);
 * - `escalated`: a human was paged (`escalation` is set; this includes dry-run pages, and pages
 *   whose alarm later cleared);
 * - `suppressed`: held back by the runbook's fleet breaker (status `suppressed`, or refused by the
 *   `breaker` gate), so the breaker's group page covered it;
 * - `cleared`: resolved because its alarm returned to OK by itself, without a verified fix, a page
 *   or the breaker;
 * - `open`: still being handled (remediating, verifying, backing off, waiting).
 */
export type Outcome = 'fixed' | 'escalated' | 'suppressed' | 'cleared' | 'open';

/** Incident counts by outcome; the five outcomes add up to `incidents`. */
export interface OutcomeCounts {
  readonly incidents: number;
  readonly fixed: number;
  readonly escalated: number;
  readonly suppressed: number;
  readonly cleared: number;
  readonly open: number;
}

/** Incidents refused at least once by each gate (only gates that refused appear); an incident counts once per gate. */
export type GateCounts = Readonly<Partial<Record<GateName, number>>>;

/**
 * Time to a verified fix, in ms, over the incidents fixed automatically: nearest-rank percentiles
 * (the p-th percentile of n sorted values is the value of rank ⌈p·n/100⌉).
 */
export interface Mttr {
  /** How many verified fixes were measured. */
  readonly samples: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly maxMs: number;
}

/** One runbook's week. */
export interface RunbookReview extends OutcomeCounts {
  readonly runbook: string;
  readonly refusedBy: GateCounts;
  /**
   * Incidents no longer open in which the runbook ran at least one command (an attempt that was not
   * a dry-run `not-run`): the ones it had a real chance to fix.
   */
  readonly acted: number;
  /** Escalated incidents in which the runbook ran commands and every one failed (failed, lost, or not verified). */
  readonly exhausted: number;
  /** `fixed / acted`, absent when the runbook acted on nothing. */
  readonly verifiedRate?: number;
  /** Absent when the runbook fixed nothing. */
  readonly mttr?: Mttr;
}

/** One alarm's week. */
export interface AlarmReview extends OutcomeCounts {
  readonly alarm: string;
  /** The runbooks its incidents were for, by name. */
  readonly runbooks: readonly string[];
}

/** The incidents opened on one UTC day, by outcome. */
export interface DayReview extends OutcomeCounts {
  /** `YYYY-MM-DD`, UTC. */
  readonly day: string;
}

/** Toil saved: the verified fixes a human did not have to make, at an estimate per incident. */
export interface Toil {
  readonly fixes: number;
  readonly minutesPerFix: number;
  /** `fixes × minutesPerFix / 60`, unrounded. */
  readonly hours: number;
  /** What the estimate per incident stands for, as printed. */
  readonly basis: string;
}

/**
 * A candidate for the next runbook to write:
 * - `unhandled-alarm`: an alarm whose incidents were paged with nothing attempted and no safety
 *   gate behind the page, so no runbook could act on it (no single instance, a parameter the alarm
 *   could not supply, the runbook chose to page, ...); `name` is the alarm's name;
 * - `failing-runbook`: a runbook that keeps failing (escalated after every command it ran failed,
 *   or a verified rate below 50% over at least 3 incidents it acted on); `name` is the runbook's.
 */
export interface Candidate {
  /** 1 for the first candidate. */
  readonly rank: number;
  readonly kind: 'unhandled-alarm' | 'failing-runbook';
  readonly name: string;
  /**
   * What the ranking sorts on: incidents a human had to take that a (better) runbook could have
   * taken. `unhandled-alarm`: its pages with nothing attempted; `failing-runbook`: `acted − fixed`.
   */
  readonly score: number;
  readonly reason: string;
}

/** The weekly review of the incidents opened in [since, now). */
export interface Review {
  /** The period, epoch ms: incidents opened at or after `since` and before `now`. */
  readonly since: number;
  readonly now: number;
  readonly totals: OutcomeCounts & {
    readonly refusedBy: GateCounts;
    /** Incidents in which a command ran (see {@link RunbookReview.acted}). */
    readonly acted: number;
    /** Escalated with nothing attempted and no gate behind the page (see {@link Candidate}). */
    readonly unhandled: number;
  };
  /** Most incidents first, then by name. */
  readonly byRunbook: readonly RunbookReview[];
  /** Most incidents first, then by name. */
  readonly byAlarm: readonly AlarmReview[];
  /** Every UTC day the period touches, oldest first. */
  readonly perDay: readonly DayReview[];
  /** Over every runbook; absent when nothing was fixed. */
  readonly mttr?: Mttr;
  readonly toil: Toil;
  /** Ranked, best first; empty when nothing qualifies. */
  readonly candidates: readonly Candidate[];
}

/** What the MTTR figures measure, as printed. */
export const MTTR_DEFINITION =
  'time to a verified fix: from the incident opening (the ALARM event handled) to its close ' +
  '(the return to OK handled after a successful command), over incidents fixed automatically; ' +
  'nearest-rank percentiles';

export const DEFAULT_MINUTES_PER_FIX = 30;

/** The basis of the default toil estimate, as printed. */
export const DEFAULT_TOIL_BASIS =
  '30 min per incident: page acknowledged, logged in, diagnosed, fixed, verified; override with --minutes-per-fix';

/** A runbook with a verified rate below this, over at least {@link MIN_ACTED_FOR_RATE} incidents it acted on, keeps failing. */
export const LOW_VERIFIED_RATE = 0.5;
export const MIN_ACTED_FOR_RATE = 3;

const GATES = Object.keys({
  'kill-switch': true,
  cooldown: true,
  'opt-in': true,
  breaker: true,
  'auto-disable': true,
  budget: true,
  lease: true,
  concurrency: true,
} satisfies Record<GateName, true>) as GateName[];

const OUTCOMES: readonly Outcome[] = ['fixed', 'escalated', 'suppressed', 'cleared', 'open'];

const DAY_MS = 86_400_000;

/**
 * The start of the period, epoch ms: a duration back from `now` (`90m`, `24h`, `7d`, `2w`: minutes,
 * hours, days, weeks) or an ISO date (`2026-11-01`, midnight UTC) or date-time
 * (`2026-11-01T09:00:00Z`; without a zone it is read as UTC).
 */
export function parseSince(text: string, now: number): number {
  const input = text.trim();
  const usage =
    'expected a duration back from now such as 90m, 24h, 7d or 2w (minutes, hours, days, weeks), ' +
    'or an ISO date such as 2026-11-01 or 2026-11-01T09:00:00Z';
  if (input === '') throw new Error(`--since is empty: ${usage}`);
  const duration = /^(\d+)\s*([mhdw])$/.exec(input);
  if (duration) {
    const amount = Number(duration[1]);
    const unitMs = { m: 60_000, h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS }[
      duration[2] as 'm' | 'h' | 'd' | 'w'
    ];
    if (amount <= 0) throw new Error(`--since ${JSON.stringify(text)}: the period must be longer than zero`);
    const since = now - amount * unitMs;
    if (!Number.isSafeInteger(since) || since < 0)
      throw new Error(`--since ${JSON.stringify(text)}: the period reaches back before 1970`);
    return since;
  }
  const iso =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/i.exec(
      input,
    );
  if (!iso) throw new Error(`--since ${JSON.stringify(text)} is not understood: ${usage}`);
  const [, y, mo, d, h, mi, s, frac, zone] = iso;
  const normalized = `${y}-${mo}-${d}T${h ?? '00'}:${mi ?? '00'}:${s ?? '00'}${frac ?? ''}${(zone ?? 'Z').toUpperCase()}`;
  const since = Date.parse(normalized);
  const calendar = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  const realDate =
    calendar.getUTCFullYear() === Number(y) &&
    calendar.getUTCMonth() === Number(mo) - 1 &&
    calendar.getUTCDate() === Number(d);
  if (!realDate || Number.isNaN(since))
    throw new Error(`--since ${JSON.stringify(text)} is not a valid date: ${usage}`);
  if (since > now)
    throw new Error(
      `--since ${JSON.stringify(text)} is in the future (now is ${isoSeconds(now)}): the period would be empty`,
    );
  return since;
}

/** The outcome an incident counts under (see {@link Outcome}). */
export function outcomeOf(incident: Incident): Outcome {
  if (incident.resolution?.how === 'verified') return 'fixed';
  if (incident.escalation || incident.status === 'escalated') return 'escalated';
  if (incident.status === 'suppressed' || incident.refusals?.some((r) => r.gate === 'breaker'))
    return 'suppressed';
  if (incident.status === 'resolved') return 'cleared';
  return 'open';
}

/** The gate behind the incident's page, when a gate refused: by the page's wording, else by a refusal at the same instant. */
export function escalatingGate(incident: Incident): GateName | undefined {
  const escalation = incident.escalation;
  if (!escalation) return undefined;
  const named = /^refused by the ([a-z-]+) gate\b/.exec(escalation.reason)?.[1];
  if (named && (GATES as string[]).includes(named)) return named as GateName;
  return incident.refusals?.find((r) => r.at === escalation.at)?.gate;
}

/** The attempts that sent (or tried to send) a command: every one but dry-run records. */
function ranAttempts(incident: Incident): Attempt[] {
  return incident.attempts.filter((a) => a.status !== 'not-run');
}

function attemptFailed(attempt: Attempt): boolean {
  return attempt.status === 'failed' || attempt.status === 'lost' || attempt.verification === 'failed';
}

/** Paged with nothing attempted and no gate behind the page: no runbook could act on the alarm. */
function isUnhandled(incident: Incident): boolean {
  return (
    outcomeOf(incident) === 'escalated' &&
    incident.attempts.length === 0 &&
    escalatingGate(incident) === undefined
  );
}

/** Escalated after every command the runbook ran failed. */
function isExhausted(incident: Incident): boolean {
  const ran = ranAttempts(incident);
  return outcomeOf(incident) === 'escalated' && ran.length > 0 && ran.every(attemptFailed);
}

function isActed(incident: Incident): boolean {
  return outcomeOf(incident) !== 'open' && ranAttempts(incident).length > 0;
}

/** Time to a verified fix, ms: `closedAt − openedAt` of an incident fixed automatically. */
function timeToFix(incident: Incident): number | undefined {
  if (outcomeOf(incident) !== 'fixed' || incident.closedAt === undefined) return undefined;
  return Math.max(0, incident.closedAt - incident.openedAt);
}

/** The nearest-rank percentile of values sorted ascending: the value of rank ⌈p·n/100⌉ (at least 1). */
export function nearestRank(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new Error('no values');
  const rank = Math.max(1, Math.ceil((p * sorted.length) / 100));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

function mttrOf(incidents: readonly Incident[]): Mttr | undefined {
  const times = incidents
    .map(timeToFix)
    .filter((ms): ms is number => ms !== undefined)
    .sort((a, b) => a - b);
  if (times.length === 0) return undefined;
  return {
    samples: times.length,
    p50Ms: nearestRank(times, 50),
    p90Ms: nearestRank(times, 90),
    maxMs: times[times.length - 1] as number,
  };
}

function countOutcomes(incidents: readonly Incident[]): OutcomeCounts {
  const counts = { incidents: incidents.length, fixed: 0, escalated: 0, suppressed: 0, cleared: 0, open: 0 };
  for (const incident of incidents) counts[outcomeOf(incident)] += 1;
  return counts;
}

function countRefusals(incidents: readonly Incident[]): GateCounts {
  const counts: Partial<Record<GateName, number>> = {};
  for (const incident of incidents) {
    for (const gate of new Set((incident.refusals ?? []).map((r) => r.gate))) {
      counts[gate] = (counts[gate] ?? 0) + 1;
    }
  }
  const ordered: Partial<Record<GateName, number>> = {};
  for (const gate of GATES) if (counts[gate] !== undefined) ordered[gate] = counts[gate];
  return ordered;
}

function groupBy(incidents: readonly Incident[], keyOf: (i: Incident) => string): Map<string, Incident[]> {
  const groups = new Map<string, Incident[]>();
  for (const incident of incidents) {
    const key = keyOf(incident);
    const list = groups.get(key) ?? [];
    list.push(incident);
    groups.set(key, list);
  }
  return groups;
}

function byCountThenName<T extends { readonly incidents: number }>(nameOf: (t: T) => string) {
  return (a: T, b: T) => b.incidents - a.incidents || compare(nameOf(a), nameOf(b));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The most frequent of some strings (the earliest seen on a tie), with its count. */
function mostCommon(values: readonly string[]): { value: string; count: number } | undefined {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: { value: string; count: number } | undefined;
  for (const [value, count] of counts) if (!best || count > best.count) best = { value, count };
  return best;
}

/**
 * The review of the incidents opened in [since, now) (pure). Incidents that appear twice with the
 * same id count once, at their highest version.
 */
export function buildReview(
  incidents: readonly Incident[],
  options: { since: number; now: number; minutesSavedPerFix?: number },
): Review {
  const { since, now } = options;
  if (!(since <= now)) throw new Error('the period starts after it ends');
  const minutesPerFix = options.minutesSavedPerFix ?? DEFAULT_MINUTES_PER_FIX;
  if (!Number.isFinite(minutesPerFix) || minutesPerFix < 0)
    throw new Error(`minutes per fix must be a number of minutes, 0 or more (got ${minutesPerFix})`);

  const latest = new Map<string, Incident>();
  for (const incident of incidents) {
    if (incident.openedAt < since || incident.openedAt >= now) continue;
    const seen = latest.get(incident.id);
    if (!seen || incident.version > seen.version) latest.set(incident.id, incident);
  }
  const inPeriod = [...latest.values()].sort((a, b) => a.openedAt - b.openedAt || compare(a.id, b.id));

  const byRunbook: RunbookReview[] = [...groupBy(inPeriod, (i) => i.key.runbook).entries()]
    .map(([runbook, list]) => {
      const outcomes = countOutcomes(list);
      const acted = list.filter(isActed).length;
      const mttr = mttrOf(list);
      return {
        runbook,
        ...outcomes,
        refusedBy: countRefusals(list),
        acted,
        exhausted: list.filter(isExhausted).length,
        ...(acted > 0 ? { verifiedRate: outcomes.fixed / acted } : {}),
        ...(mttr ? { mttr } : {}),
      };
    })
    .sort(byCountThenName((r) => r.runbook));

  const byAlarm: AlarmReview[] = [...groupBy(inPeriod, (i) => i.alarm.name).entries()]
    .map(([alarm, list]) => ({
      alarm,
      runbooks: [...new Set(list.map((i) => i.key.runbook))].sort(compare),
      ...countOutcomes(list),
    }))
    .sort(byCountThenName((a) => a.alarm));

  const perDayGroups = groupBy(inPeriod, (i) => utcDay(i.openedAt));
  const perDay: DayReview[] = [];
  for (let day = startOfUtcDay(since); day < now; day += DAY_MS) {
    const key = utcDay(day);
    perDay.push({ day: key, ...countOutcomes(perDayGroups.get(key) ?? []) });
  }

  const totals = countOutcomes(inPeriod);
  const mttr = mttrOf(inPeriod);
  return {
    since,
    now,
    totals: {
      ...totals,
      refusedBy: countRefusals(inPeriod),
      acted: inPeriod.filter(isActed).length,
      unhandled: inPeriod.filter(isUnhandled).length,
    },
    byRunbook,
    byAlarm,
    perDay,
    ...(mttr ? { mttr } : {}),
    toil: {
      fixes: totals.fixed,
      minutesPerFix,
      hours: (totals.fixed * minutesPerFix) / 60,
      basis:
        options.minutesSavedPerFix === undefined
          ? DEFAULT_TOIL_BASIS
          : `${formatNumber(minutesPerFix)} min per incident, as set with --minutes-per-fix (the default, 30 min, is: page acknowledged, logged in, diagnosed, fixed, verified)`,
    },
    candidates: rankCandidates(inPeriod, byRunbook),
  };
}

/**
 * The candidates for the next runbook to write, ranked: by score (incidents a human had to take
 * that a runbook could have taken), highest first; on a tie, unhandled alarms before failing
 * runbooks (a runbook nobody has written yet frees more than one that exists), then by name.
 */
function rankCandidates(incidents: readonly Incident[], runbooks: readonly RunbookReview[]): Candidate[] {
  const unranked: Omit<Candidate, 'rank'>[] = [];

  for (const [alarm, list] of groupBy(incidents.filter(isUnhandled), (i) => i.alarm.name)) {
    const names = [...new Set(list.map((i) => i.key.runbook))].sort(compare);
    const common = mostCommon(list.map((i) => i.escalation?.reason ?? `status ${i.status}`));
    const why = common
      ? `; ${names.length === 1 ? `runbook ${names[0]}` : `runbooks ${names.join(', ')}`} paged: "${truncate(common.value, 110)}"${list.length > 1 ? ` (${common.count} of ${list.length})` : ''}`
      : '';
    unranked.push({
      kind: 'unhandled-alarm',
      name: alarm,
      score: list.length,
      reason: `paged ${times(list.length)} with nothing attempted and no safety gate behind the page: no runbook could act on it${why}`,
    });
  }

  const byName = groupBy(incidents, (i) => i.key.runbook);
  for (const r of runbooks) {
    const rate = r.verifiedRate;
    const lowRate = rate !== undefined && r.acted >= MIN_ACTED_FOR_RATE && rate < LOW_VERIFIED_RATE;
    if (r.exhausted === 0 && !lowRate) continue;
    const parts: string[] = [];
    if (r.exhausted > 0) parts.push(`escalated ${times(r.exhausted)} after every command it ran failed`);
    parts.push(
      `verified ${r.fixed} of ${r.acted} incident${plural(r.acted)} it acted on (${percent(rate ?? 0)})`,
    );
    const failures = (byName.get(r.runbook) ?? [])
      .filter(isExhausted)
      .map((i) => ranAttempts(i).at(-1)?.failure)
      .filter((f): f is string => f !== undefined);
    const common = mostCommon(failures);
    if (common) parts.push(`last failure: "${truncate(common.value, 110)}"`);
    unranked.push({
      kind: 'failing-runbook',
      name: r.runbook,
      score: r.acted - r.fixed,
      reason: parts.join('; '),
    });
  }

  return unranked
    .sort(
      (a, b) =>
        b.score - a.score ||
        (a.kind === b.kind ? 0 : a.kind === 'unhandled-alarm' ? -1 : 1) ||
        compare(a.name, b.name),
    )
    .map((c, i) => ({ rank: i + 1, ...c }));
}

// ---------------------------------------------------------------------------------------------------
// Terminal text.

/** The weekly review as terminal lines. Names from alarms are untrusted: control characters are shown as `?`. */
export function reviewText(review: Review): string[] {
  const { totals } = review;
  const lines: string[] = [
    `Weekly review: ${isoSeconds(review.since)} to ${isoSeconds(review.now)} (${span(review.now - review.since)})`,
    '',
  ];
  if (totals.incidents === 0) {
    lines.push('No incidents opened in this period.');
    lines.push('', ...toilLines(review));
    return lines;
  }
  lines.push(
    `${totals.incidents} incident${plural(totals.incidents)}: ${totals.fixed} fixed automatically (verified), ` +
      `${totals.escalated} escalated (paged), ${totals.suppressed} suppressed (fleet breaker), ` +
      `${totals.cleared} cleared on their own, ${totals.open} still open`,
  );
  const refused = gateList(totals.refusedBy);
  lines.push(
    refused
      ? `Refused by gate (an incident counts once per gate): ${refused}`
      : 'No safety gate refused anything.',
  );

  lines.push('', 'Per runbook');
  const header = [
    'runbook',
    'incidents',
    'fixed',
    'escalated',
    'suppressed',
    'cleared',
    'open',
    'verified',
    'MTTR p50',
    'p90',
    'max',
  ];
  const rows = review.byRunbook.map((r) => [
    plain(r.runbook),
    String(r.incidents),
    String(r.fixed),
    String(r.escalated),
    String(r.suppressed),
    String(r.cleared),
    String(r.open),
    r.verifiedRate === undefined ? '-' : `${r.fixed}/${r.acted} ${percent(r.verifiedRate)}`,
    r.mttr ? formatDuration(r.mttr.p50Ms) : '-',
    r.mttr ? formatDuration(r.mttr.p90Ms) : '-',
    r.mttr ? formatDuration(r.mttr.maxMs) : '-',
  ]);
  lines.push(
    ...table([header, ...rows], [false, true, true, true, true, true, true, true, true, true, true]),
  );
  for (const r of review.byRunbook) {
    const gates = gateList(r.refusedBy);
    if (gates) lines.push(`  ${plain(r.runbook)} refused by: ${gates}`);
  }
  lines.push(
    '  verified: fixed / incidents in which it ran a command (dry-run records do not count), once closed or paged',
  );

  lines.push('', 'Incidents by alarm');
  lines.push(
    ...table(
      [
        ['alarm', 'incidents', 'fixed', 'escalated', 'runbook'],
        ...review.byAlarm.map((a) => [
          plain(truncate(a.alarm, 60)),
          String(a.incidents),
          String(a.fixed),
          String(a.escalated),
          plain(a.runbooks.join(', ')),
        ]),
      ],
      [false, true, true, true, false],
    ),
  );

  lines.push('', `MTTR: ${MTTR_DEFINITION}`);
  lines.push(
    review.mttr
      ? `  all runbooks: p50 ${formatDuration(review.mttr.p50Ms)}, p90 ${formatDuration(review.mttr.p90Ms)}, max ${formatDuration(review.mttr.maxMs)} over ${review.mttr.samples} verified fix${review.mttr.samples === 1 ? '' : 'es'}`
      : '  no verified fix in this period',
  );

  lines.push('', ...toilLines(review));

  lines.push('', 'Next runbook to write');
  if (review.candidates.length === 0) {
    lines.push(
      '  no candidate: every page had an attempt or a safety gate behind it, and no runbook keeps failing',
    );
  }
  for (const c of review.candidates) {
    const what =
      c.kind === 'unhandled-alarm'
        ? `alarm ${JSON.stringify(plain(c.name))} (no runbook acts on it)`
        : `runbook ${plain(c.name)} (keeps failing)`;
    lines.push(`  ${c.rank}. ${what}: ${plain(c.reason)}`);
  }
  return lines;
}

function toilLines(review: Review): string[] {
  const t = review.toil;
  return [
    `Toil saved: ${formatHours(t.hours)} (${t.fixes} verified fix${t.fixes === 1 ? '' : 'es'} × ${formatNumber(t.minutesPerFix)} min)`,
    `  basis: ${t.basis}`,
  ];
}

/** Left- or right-aligned columns, two spaces apart, indented by two. */
function table(rows: readonly string[][], right: readonly boolean[]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  return rows.map(
    (row) =>
      `  ${row
        .map((cell, i) => (right[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd()}`,
  );
}

function gateList(counts: GateCounts): string {
  return GATES.filter((g) => counts[g] !== undefined)
    .map((g) => `${g} ${counts[g]}`)
    .join(', ');
}

/** Untrusted text for a terminal: control characters (escape sequences among them) become `?`. */
function plain(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

// ---------------------------------------------------------------------------------------------------
// HTML.

const COLOUR: Record<Outcome, string> = {
  fixed: '#1d7a4c',
  escalated: '#b3261e',
  suppressed: '#d0901c',
  cleared: '#8a93a0',
  open: '#3b7dc4',
};

const OUTCOME_LABEL: Record<Outcome, string> = {
  fixed: 'fixed automatically',
  escalated: 'escalated',
  suppressed: 'suppressed',
  cleared: 'cleared on their own',
  open: 'still open',
};

const INK = '#1f2430';
const MUTED = '#5b6472';
const FAINT = '#8a93a0';
const GRID = '#e3e7ec';
const FONT = `font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"`;

/**
 * The weekly review as one self-contained HTML page: inline CSS and SVG, no script, no network (a
 * Content-Security-Policy forbids any fetch), every string escaped.
 *
 * Stable hooks for tests and scripts: `svg.chart-outcomes` (`g.runbook-bar[data-runbook]`,
 * `rect.segment.segment-<outcome>[data-count]`), `svg.chart-per-day` (`g.day[data-day]`),
 * `svg.chart-mttr` (`g.mttr-bar[data-runbook]`, `rect.bar-p50`, `rect.bar-p90`), `tr.runbook-row`,
 * `tr.alarm-row`, `li.candidate[data-kind][data-name]`, `.toil`.
 */
export function reviewHtml(review: Review): string {
  const title = `Weekly review: ${isoSeconds(review.since)} to ${isoSeconds(review.now)}`;
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<main>',
    htmlHeader(review),
    htmlOutcomes(review),
    htmlPerDay(review),
    htmlMttr(review),
    htmlToil(review),
    htmlCandidates(review),
    htmlAlarms(review),
    `<footer>Incidents opened from ${escapeHtml(isoSeconds(review.since))} to ${escapeHtml(isoSeconds(review.now))} (UTC), current and archived episodes, read from the incident table. No network was used to render this page.</footer>`,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function htmlHeader(review: Review): string {
  const t = review.totals;
  const counts: [string, number, string][] = [
    ['incidents', t.incidents, 'total'],
    ['fixed automatically', t.fixed, 'fixed'],
    ['escalated', t.escalated, 'escalated'],
    ['suppressed', t.suppressed, 'suppressed'],
    ['cleared on their own', t.cleared, 'cleared'],
    ['still open', t.open, 'open'],
  ];
  const facts: [string, string][] = [
    ['From', isoSeconds(review.since)],
    ['To', isoSeconds(review.now)],
    ['Period', span(review.now - review.since)],
    ['Toil saved', formatHours(review.toil.hours)],
    [
      'MTTR p50 / p90',
      review.mttr ? `${formatDuration(review.mttr.p50Ms)} / ${formatDuration(review.mttr.p90Ms)}` : '—',
    ],
  ];
  const refused = gateList(t.refusedBy);
  return `<header class="masthead">
<p class="eyebrow">EC2 auto-remediation · weekly review</p>
<h1>Weekly review</h1>
<dl class="facts">${facts.map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd></div>`).join('')}</dl>
<ul class="counts">${counts
    .map(
      ([label, n, key]) =>
        `<li class="count count-${key}"><span class="n">${n}</span> ${escapeHtml(label)}</li>`,
    )
    .join('')}</ul>
<p class="hint refusals">${refused ? `Refused by gate (an incident counts once per gate): ${escapeHtml(refused)}` : 'No safety gate refused anything.'}</p>
</header>`;
}

function legend(): string {
  return `<ul class="legend">${OUTCOMES.map(
    (o) =>
      `<li><svg class="swatch" width="12" height="12" aria-hidden="true"><rect width="12" height="12" rx="2" fill="${COLOUR[o]}"/></svg>${escapeHtml(OUTCOME_LABEL[o])}</li>`,
  ).join('')}</ul>`;
}

function htmlOutcomes(review: Review): string {
  const runbooks = review.byRunbook;
  const W = 900;
  const X0 = 210;
  const X1 = W - 50;
  const ROW = 30;
  const TOP = 24;
  const max = Math.max(1, ...runbooks.map((r) => r.incidents));
  const x = (n: number) => round1(X0 + (n / max) * (X1 - X0));
  const height = TOP + runbooks.length * ROW + 10;
  const parts: string[] = [];
  for (const tick of ticks(max)) {
    parts.push(
      `<line x1="${x(tick)}" y1="${TOP - 6}" x2="${x(tick)}" y2="${height - 8}" stroke="${GRID}"/>`,
      `<text x="${x(tick)}" y="${TOP - 10}" text-anchor="middle" font-size="11" fill="${MUTED}">${tick}</text>`,
    );
  }
  runbooks.forEach((r, i) => {
    const y = TOP + i * ROW + 5;
    parts.push(
      `<g class="runbook-bar" data-runbook="${escapeHtml(r.runbook)}">`,
      `<text x="${X0 - 10}" y="${y + 14}" text-anchor="end" font-size="13" fill="${INK}">${escapeHtml(truncate(r.runbook, 28))}<title>${escapeHtml(r.runbook)}</title></text>`,
    );
    let at = 0;
    for (const o of OUTCOMES) {
      const n = r[o];
      if (n === 0) continue;
      parts.push(
        `<rect class="segment segment-${o}" data-count="${n}" x="${x(at)}" y="${y}" width="${round1(x(at + n) - x(at))}" height="20" fill="${COLOUR[o]}"><title>${escapeHtml(`${r.runbook}: ${n} ${OUTCOME_LABEL[o]}`)}</title></rect>`,
      );
      at += n;
    }
    parts.push(
      `<text x="${x(at) + 6}" y="${y + 14}" font-size="12" fill="${MUTED}">${r.incidents}</text>`,
      '</g>',
    );
  });
  const chart =
    runbooks.length === 0
      ? '<p class="muted">No incidents in this period.</p>'
      : `<div class="chart-scroll"><svg class="chart chart-outcomes" role="img" aria-label="Incidents per runbook by outcome" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" ${FONT}>
${parts.join('\n')}
</svg></div>`;
  const rows = runbooks.map(
    (r) => `<tr class="runbook-row" data-runbook="${escapeHtml(r.runbook)}">
<td class="runbook">${escapeHtml(r.runbook)}</td>
<td class="num">${r.incidents}</td><td class="num">${r.fixed}</td><td class="num">${r.escalated}</td><td class="num">${r.suppressed}</td><td class="num">${r.cleared}</td><td class="num">${r.open}</td>
<td class="num">${r.verifiedRate === undefined ? '—' : `${r.fixed}/${r.acted} (${escapeHtml(percent(r.verifiedRate))})`}</td>
<td class="num mono">${r.mttr ? escapeHtml(formatDuration(r.mttr.p50Ms)) : '—'}</td>
<td class="num mono">${r.mttr ? escapeHtml(formatDuration(r.mttr.p90Ms)) : '—'}</td>
<td class="num mono">${r.mttr ? escapeHtml(formatDuration(r.mttr.maxMs)) : '—'}</td>
<td class="small refused">${escapeHtml(gateList(r.refusedBy)) || '<span class="muted">—</span>'}</td>
</tr>`,
  );
  return `<section id="runbooks" class="card">
<h2>Outcomes per runbook</h2>
<p class="hint">Each incident counts under one outcome: fixed automatically (a command succeeded and the alarm returned to OK), escalated (a human was paged), suppressed (the fleet breaker's group page covered it), cleared on its own (the alarm returned to OK without any of these), still open.</p>
${legend()}
${chart}
<div class="table-scroll"><table class="runbooks">
<thead><tr><th>Runbook</th><th class="num">Incidents</th><th class="num">Fixed</th><th class="num">Escalated</th><th class="num">Suppressed</th><th class="num">Cleared</th><th class="num">Open</th><th class="num">Verified rate</th><th class="num">MTTR p50</th><th class="num">p90</th><th class="num">Max</th><th>Refused by gate</th></tr></thead>
<tbody>
${rows.length > 0 ? rows.join('\n') : '<tr><td colspan="12" class="muted">No incidents.</td></tr>'}
</tbody>
</table></div>
<p class="hint">Verified rate: fixed over the incidents in which the runbook ran a command (dry-run records do not count), once closed or paged.</p>
</section>`;
}

function htmlPerDay(review: Review): string {
  const days = review.perDay;
  const W = 900;
  const H = 240;
  const X0 = 44;
  const X1 = W - 16;
  const TOP = 16;
  const BOTTOM = H - 34;
  const max = Math.max(1, ...days.map((d) => d.incidents));
  const y = (n: number) => round1(BOTTOM - (n / max) * (BOTTOM - TOP));
  const band = (X1 - X0) / Math.max(1, days.length);
  const barW = round1(Math.max(2, Math.min(48, band * 0.7)));
  const labelEvery = Math.max(1, Math.ceil(days.length / 16));
  const parts: string[] = [];
  for (const tick of ticks(max)) {
    parts.push(
      `<line x1="${X0}" y1="${y(tick)}" x2="${X1}" y2="${y(tick)}" stroke="${GRID}"/>`,
      `<text x="${X0 - 8}" y="${y(tick) + 4}" text-anchor="end" font-size="11" fill="${MUTED}">${tick}</text>`,
    );
  }
  days.forEach((d, i) => {
    const cx = X0 + band * (i + 0.5);
    const x0 = round1(cx - barW / 2);
    parts.push(`<g class="day" data-day="${escapeHtml(d.day)}" data-count="${d.incidents}">`);
    let at = 0;
    for (const o of OUTCOMES) {
      const n = d[o];
      if (n === 0) continue;
      parts.push(
        `<rect class="segment segment-${o}" data-count="${n}" x="${x0}" y="${y(at + n)}" width="${barW}" height="${round1(y(at) - y(at + n))}" fill="${COLOUR[o]}"><title>${escapeHtml(`${d.day}: ${n} ${OUTCOME_LABEL[o]}`)}</title></rect>`,
      );
      at += n;
    }
    if (i % labelEvery === 0) {
      parts.push(
        `<text x="${round1(cx)}" y="${BOTTOM + 16}" text-anchor="middle" font-size="11" fill="${MUTED}">${escapeHtml(d.day.slice(5))}</text>`,
      );
    }
    parts.push('</g>');
  });
  parts.push(`<line x1="${X0}" y1="${BOTTOM}" x2="${X1}" y2="${BOTTOM}" stroke="${FAINT}"/>`);
  return `<section id="per-day" class="card">
<h2>Incidents per day</h2>
<p class="hint">By the UTC day each incident opened, coloured by outcome.</p>
<div class="chart-scroll"><svg class="chart chart-per-day" role="img" aria-label="Incidents per day by outcome" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${FONT}>
${parts.join('\n')}
</svg></div>
</section>`;
}

function htmlMttr(review: Review): string {
  const rows: { label: string; key: string; mttr: Mttr }[] = review.byRunbook.flatMap((r) =>
    r.mttr ? [{ label: r.runbook, key: r.runbook, mttr: r.mttr }] : [],
  );
  if (review.mttr) rows.push({ label: 'all runbooks', key: '*', mttr: review.mttr });
  const W = 900;
  const X0 = 210;
  const X1 = W - 250;
  const ROW = 40;
  const TOP = 8;
  const max = Math.max(1, ...rows.map((r) => r.mttr.maxMs));
  const x = (ms: number) => round1(X0 + (ms / max) * (X1 - X0));
  const height = TOP + rows.length * ROW + 6;
  const parts: string[] = [];
  rows.forEach((r, i) => {
    const y = TOP + i * ROW;
    const { p50Ms, p90Ms, maxMs, samples } = r.mttr;
    parts.push(
      `<g class="mttr-bar" data-runbook="${escapeHtml(r.key)}">`,
      `<text x="${X0 - 10}" y="${y + 20}" text-anchor="end" font-size="13" fill="${INK}"${r.key === '*' ? ' font-weight="600"' : ''}>${escapeHtml(truncate(r.label, 28))}<title>${escapeHtml(`${r.label}: ${samples} verified fix${samples === 1 ? '' : 'es'}`)}</title></text>`,
      `<rect class="bar-p50" data-ms="${p50Ms}" x="${X0}" y="${y + 4}" width="${round1(Math.max(1, x(p50Ms) - X0))}" height="12" fill="${COLOUR.fixed}"><title>${escapeHtml(`${r.label}: p50 ${formatDuration(p50Ms)}`)}</title></rect>`,
      `<rect class="bar-p90" data-ms="${p90Ms}" x="${X0}" y="${y + 18}" width="${round1(Math.max(1, x(p90Ms) - X0))}" height="12" fill="#7fb89b"><title>${escapeHtml(`${r.label}: p90 ${formatDuration(p90Ms)}`)}</title></rect>`,
      `<line class="mark-max" x1="${x(maxMs)}" y1="${y + 2}" x2="${x(maxMs)}" y2="${y + 32}" stroke="${INK}" stroke-width="1.5"><title>${escapeHtml(`${r.label}: max ${formatDuration(maxMs)}`)}</title></line>`,
      `<text x="${X1 + 16}" y="${y + 21}" font-size="11" fill="${MUTED}">${escapeHtml(`p50 ${formatDuration(p50Ms)} · p90 ${formatDuration(p90Ms)} · max ${formatDuration(maxMs)}`)}</text>`,
      '</g>',
    );
  });
  const chart =
    rows.length === 0
      ? '<p class="muted">No verified fix in this period.</p>'
      : `<div class="chart-scroll"><svg class="chart chart-mttr" role="img" aria-label="Time to a verified fix, p50 and p90, per runbook" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" ${FONT}>
${parts.join('\n')}
</svg></div>`;
  return `<section id="mttr" class="card">
<h2>Time to a verified fix</h2>
<p class="hint">${escapeHtml(`MTTR, ${MTTR_DEFINITION}. Bars: p50 (dark) and p90 (light); the line marks the slowest fix.`)}</p>
${chart}
</section>`;
}

function htmlToil(review: Review): string {
  const t = review.toil;
  return `<section id="toil" class="card toil">
<h2>Toil saved</h2>
<p class="toil-figure"><span class="n">${escapeHtml(formatHours(t.hours))}</span> = ${t.fixes} verified fix${t.fixes === 1 ? '' : 'es'} × ${escapeHtml(formatNumber(t.minutesPerFix))} min</p>
<p class="hint basis">Basis: ${escapeHtml(t.basis)}</p>
</section>`;
}

function htmlCandidates(review: Review): string {
  const items = review.candidates.map(
    (
      c,
    ) => `<li class="candidate" data-kind="${c.kind}" data-name="${escapeHtml(c.name)}" data-score="${c.score}">
<div class="what">${c.kind === 'unhandled-alarm' ? 'Alarm' : 'Runbook'} <strong class="mono">${escapeHtml(c.name)}</strong> <span class="badge badge-${c.kind}">${c.kind === 'unhandled-alarm' ? 'no runbook acts on it' : 'keeps failing'}</span></div>
<div class="detail">${escapeHtml(c.reason)}</div>
</li>`,
  );
  return `<section id="candidates" class="card">
<h2>Next runbook to write</h2>
<p class="hint">Ranked by the incidents a human had to take that a runbook could have taken: for an alarm, its pages with nothing attempted and no safety gate behind them; for a runbook, the incidents it acted on without a verified fix. Ties: alarms first, then by name.</p>
${items.length > 0 ? `<ol class="candidates">${items.join('\n')}</ol>` : '<p class="muted">No candidate: every page had an attempt or a safety gate behind it, and no runbook keeps failing.</p>'}
</section>`;
}

function htmlAlarms(review: Review): string {
  const rows = review.byAlarm.map(
    (a) => `<tr class="alarm-row" data-alarm="${escapeHtml(a.alarm)}">
<td class="alarm">${escapeHtml(a.alarm)}</td>
<td class="num">${a.incidents}</td><td class="num">${a.fixed}</td><td class="num">${a.escalated}</td><td class="num">${a.suppressed}</td><td class="num">${a.cleared}</td><td class="num">${a.open}</td>
<td>${escapeHtml(a.runbooks.join(', '))}</td>
</tr>`,
  );
  return `<section id="alarms" class="card">
<h2>Incidents by alarm</h2>
<div class="table-scroll"><table class="alarms">
<thead><tr><th>Alarm</th><th class="num">Incidents</th><th class="num">Fixed</th><th class="num">Escalated</th><th class="num">Suppressed</th><th class="num">Cleared</th><th class="num">Open</th><th>Runbook</th></tr></thead>
<tbody>
${rows.length > 0 ? rows.join('\n') : '<tr><td colspan="8" class="muted">No incidents.</td></tr>'}
</tbody>
</table></div>
</section>`;
}

/** Integer gridline values from 0 to at least `max`, about five of them. */
function ticks(max: number): number[] {
  const step = Math.max(1, Math.ceil(max / 5));
  const out: number[] = [];
  for (let t = 0; t <= max; t += step) out.push(t);
  return out;
}

const STYLE = `
:root{--ink:#1f2430;--muted:#5b6472;--faint:#8a93a0;--line:#dde1e7;--bg:#f3f4f6;--card:#fff;
--ok:#1d7a4c;--ok-bg:#e7f4ec;--bad:#b3261e;--bad-bg:#fcebea;--warn:#8a5a00;--warn-bg:#fdf3dc;
--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
*{box-sizing:border-box}
html{background:var(--bg);color:var(--ink)}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;-webkit-font-smoothing:antialiased}
main{max-width:1240px;margin:0 auto;padding:24px 24px 40px}
h1,h2{line-height:1.25;margin:0}
h1{font-size:26px}
h2{font-size:18px;margin-bottom:4px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin-top:18px}
.masthead{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:20px 22px}
.eyebrow{margin:0 0 2px;font-size:12px;letter-spacing:.06em;text-transform:uppercase;color:var(--muted)}
.facts{display:flex;flex-wrap:wrap;gap:10px 40px;margin:16px 0 0}
.facts dt{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.facts dd{margin:0;font-variant-numeric:tabular-nums;font-weight:600}
.counts{list-style:none;display:flex;flex-wrap:wrap;gap:8px;margin:14px 0 0;padding:0}
.count{border:1px solid var(--line);border-radius:999px;padding:3px 12px;font-size:14px;color:var(--muted)}
.count .n{font-weight:700;color:var(--ink);font-variant-numeric:tabular-nums}
.count-fixed .n{color:var(--ok)}.count-escalated .n{color:var(--bad)}.count-suppressed .n{color:var(--warn)}
.hint{margin:8px 0 12px;color:var(--muted);font-size:13.5px}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:4px 18px;margin:0 0 10px;padding:8px 12px;background:#fafbfc;border:1px solid var(--line);border-radius:8px}
.legend li{display:flex;align-items:center;gap:6px;font-size:13px}
.chart-scroll,.table-scroll{overflow-x:auto}
.chart{display:block;width:100%;min-width:640px;height:auto}
.chart rect:hover{stroke:#000;stroke-width:1.5}
table{border-collapse:collapse;width:100%;font-size:14px;margin-top:12px}
th{text-align:left;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:600;border-bottom:2px solid var(--line);padding:6px 8px}
td{border-bottom:1px solid var(--line);padding:8px 8px;vertical-align:top}
td.refused{min-width:150px}
tbody tr:hover{background:#fafbfc}
td.runbook,td.alarm{word-break:break-word}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.mono{font-family:var(--mono)}
.small{font-size:12.5px}
.muted{color:var(--muted)}
.toil-figure{margin:6px 0 0;font-size:15px}
.toil-figure .n{font-size:26px;font-weight:700;color:var(--ok)}
.candidates{margin:6px 0 0;padding-left:22px}
.candidate{padding:8px 0;border-bottom:1px solid var(--line)}
.candidate:last-child{border-bottom:0}
.candidate .what strong{word-break:break-all}
.candidate .detail{color:var(--muted);font-size:13.5px;word-break:break-word}
.badge{display:inline-block;border-radius:999px;padding:1px 10px;font-size:12.5px;font-weight:600;white-space:nowrap}
.badge-unhandled-alarm{background:var(--bad-bg);color:var(--bad)}
.badge-failing-runbook{background:var(--warn-bg);color:var(--warn)}
footer{margin-top:18px;color:var(--faint);font-size:12.5px}
`;

// ---------------------------------------------------------------------------------------------------
// The command.

/**
 * `remediate report --since 7d [--html FILE] [--minutes-per-fix N]`: reads every incident of the
 * table (current and archived episodes), reviews those opened since then, and writes the HTML page
 * when asked. The lines are for the terminal; the last one names the HTML file when one was written.
 */
export async function runWeeklyReport(
  options: TableOptions & { since: string; html?: string; minutesPerFix?: number; now?: number },
): Promise<{ lines: string[]; htmlPath?: string }> {
  const now = options.now ?? Date.now();
  const since = parseSince(options.since, now);
  if (
    options.minutesPerFix !== undefined &&
    !(Number.isFinite(options.minutesPerFix) && options.minutesPerFix >= 0)
  )
    throw new Error(
      `--minutes-per-fix must be a number of minutes, 0 or more (got ${options.minutesPerFix})`,
    );
  const incidents = await readIncidents({
    table: options.table,
    endpoint: options.endpoint,
    region: options.region,
    all: true,
  });
  const review = buildReview(incidents, {
    since,
    now,
    ...(options.minutesPerFix !== undefined ? { minutesSavedPerFix: options.minutesPerFix } : {}),
  });
  const lines = reviewText(review);
  if (!options.html) return { lines };
  const htmlPath = resolve(options.html);
  await mkdir(dirname(htmlPath), { recursive: true });
  await writeFile(htmlPath, reviewHtml(review), 'utf8');
  lines.push('', `HTML report: ${htmlPath}`);
  return { lines, htmlPath };
}

// ---------------------------------------------------------------------------------------------------
// Small things.

/** A duration, rounded to the second: `45s`, `4m 05s`, `1h 02m`, `2d 03h`. */
export function formatDuration(ms: number): string {
  const total = Math.round(Math.max(0, ms) / 1000);
  if (total < 60) return `${total}s`;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (total < 3600) return `${Math.floor(total / 60)}m ${pad(total % 60)}s`;
  const minutes = Math.round(total / 60);
  if (minutes < 1440) return `${Math.floor(minutes / 60)}h ${pad(minutes % 60)}m`;
  const hours = Math.round(minutes / 60);
  return `${Math.floor(hours / 24)}d ${pad(hours % 24)}h`;
}

function formatHours(hours: number): string {
  return `${hours.toFixed(1)} hour${hours.toFixed(1) === '1.0' ? '' : 's'}`;
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 100) / 100);
}

function percent(rate: number): string {
  return `${Math.round(rate * 100)}%`;
}

/** The length of the period in words: `7 days`, `36 hours`, `90 minutes`. */
function span(ms: number): string {
  if (ms >= DAY_MS && ms % DAY_MS === 0) return `${ms / DAY_MS} day${plural(ms / DAY_MS)}`;
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000} hours`;
  if (ms >= 2 * DAY_MS) return `${(ms / DAY_MS).toFixed(1)} days`;
  const minutes = Math.round(ms / 60_000);
  return minutes >= 120 ? `${(ms / 3_600_000).toFixed(1)} hours` : `${minutes} minute${plural(minutes)}`;
}

function times(n: number): string {
  return n === 1 ? 'once' : `${n} times`;
}

function plural(n: number): string {
  return n === 1 ? '' : 's';
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

function isoSeconds(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
}

function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function startOfUtcDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}
