import type { GateName } from '../../functions/core/gates.ts';
import type { Attempt, Incident } from '../../functions/core/incident.ts';
import {
  DAY_MS,
  formatNumber,
  isoSeconds,
  percent,
  plural,
  startOfUtcDay,
  times,
  truncate,
  utcDay,
} from './format.ts';
import {
  type AlarmReview,
  type Candidate,
  type DayReview,
  DEFAULT_MINUTES_PER_FIX,
  DEFAULT_TOIL_BASIS,
  GATES,
  type GateCounts,
  LOW_VERIFIED_RATE,
  MIN_ACTED_FOR_RATE,
  type Mttr,
  type Outcome,
  type OutcomeCounts,
  type Review,
  type RunbookReview,
} from './model.ts';
import { modeReviews } from './modes.ts';

/** The weekly review, computed from incidents: pure, the same incidents and options give the same review. */

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

/** The attempts that sent (or tried to send) a remedy: every one but dry-run records and withdrawn remedies. */
function ranAttempts(incident: Incident): Attempt[] {
  return incident.attempts.filter((a) => a.status !== 'not-run' && a.status !== 'withdrawn');
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
    modes: modeReviews(inPeriod),
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
