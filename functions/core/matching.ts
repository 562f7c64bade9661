import type { AlarmChange, AlarmMetric } from './alarm.ts';
import type { MetricMatch, Runbook } from './runbook.ts';

/** Why a runbook was chosen for an alarm, for logs and for `explain`. */
export interface RunbookMatchResult {
  readonly runbook: Runbook;
  readonly matchedBy: string;
}

/**
 * Picks the runbook that answers an alarm, or undefined when none does. A runbook that lists
 * `alarmTags` answers only alarms carrying all of them; one whose metric matcher lists `dimensions`
 * answers no alarm that reads that metric with other values for them (whatever its name). When several answer, the
 * most specific wins, so that adding a broad runbook never steals alarms from a precise one: an exact
 * alarm name, then the glob with the most literal characters (as long: the stack's own `<runbook>-*`),
 * then a namespace + metric match. A runbook's `precedence` puts it before the runbooks it names; any
 * other tie is refused when the runbooks are loaded (runbookSetProblems), never left to their order. A runbook that declares its `alarm` also answers `<name>-*`, the
 * names of the alarms the stack provisions for it, and its alarm's fixed dimension values restrict
 * like a metric matcher's.
 */
export function matchRunbook(
  alarm: AlarmChange,
  runbooks: readonly Runbook[],
): RunbookMatchResult | undefined {
  const candidates = runbooks.flatMap((runbook) => {
    const candidate = scoreRunbook(alarm, runbook);
    return candidate ? [{ runbook, ...candidate }] : [];
  });
  // A runbook another answering one declares precedence over steps aside.
  const preceded = (name: string) => candidates.some((c) => c.runbook.precedence?.over.includes(name));
  let best: (typeof candidates)[number] | undefined;
  for (const candidate of candidates) {
    if (preceded(candidate.runbook.name) && candidates.some((c) => !preceded(c.runbook.name))) continue;
    if (!best || candidate.score > best.score) best = candidate;
  }
  return best ? { runbook: best.runbook, matchedBy: best.matchedBy } : undefined;
}

function scoreRunbook(
  alarm: AlarmChange,
  runbook: Runbook,
): { score: number; matchedBy: string } | undefined {
  const required = Object.entries(runbook.match.alarmTags ?? {});
  if (required.some(([tag, value]) => alarm.tags[tag] !== value)) return undefined;
  const matchers = runbook.match.metrics ?? [];
  // The declared alarm's metric, with its fixed dimension values, restricts the same way.
  const declared: MetricMatch[] = runbook.alarm
    ? [
        {
          namespace: runbook.alarm.namespace,
          metricName: runbook.alarm.metricName,
          dimensions: runbook.alarm.dimensions,
        },
      ]
    : [];
  // A metric the runbook names with dimension values is answered only with those values, even by name.
  const contradicted = alarm.metrics.some((m) =>
    [...matchers, ...declared].some((matcher) => sameMetric(m, matcher) && !carriesDimensions(m, matcher)),
  );
  if (contradicted) return undefined;
  let best: { score: number; matchedBy: string } | undefined;
  const consider = (score: number, matchedBy: string) => {
    if (!best || score > best.score) best = { score, matchedBy };
  };
  // The alarms the stack provisions for a runbook's declared alarm are named `<runbook>-…`.
  for (const { pattern, provisioned } of namePatterns(runbook)) {
    if (!pattern.includes('*')) {
      if (pattern === alarm.alarmName) consider(10_000, `alarm name "${pattern}"`);
    } else if (globMatches(pattern, alarm.alarmName)) {
      consider(nameSpecificity(pattern, provisioned), `alarm name pattern "${pattern}"`);
    }
  }
  for (const metric of matchers) {
    if (alarm.metrics.some((m) => sameMetric(m, metric) && carriesDimensions(m, metric))) {
      const dimensions = Object.entries(metric.dimensions ?? {});
      const on = dimensions.map(([name, value]) => `${name}=${value}`).join(', ');
      // Each required dimension value makes the match more specific.
      consider(
        1 + dimensions.length,
        `metric ${metric.namespace}/${metric.metricName}${on ? ` (${on})` : ''}`,
      );
    }
  }
  return best;
}

/**
 * The alarm names a runbook answers: its own patterns, and `<name>-*` (the names of the alarms the
 * stack provisions for it) when it declares its alarm.
 */
export function namePatterns(runbook: Runbook): { pattern: string; provisioned: boolean }[] {
  const own = runbook.alarm ? `${runbook.name}-*` : undefined;
  return [
    ...(runbook.match.alarmNames ?? [])
      .filter((pattern) => pattern !== own)
      .map((pattern) => ({ pattern, provisioned: false })),
    ...(own ? [{ pattern: own, provisioned: true }] : []),
  ];
}

/**
 * How strongly a name matcher claims an alarm: an exact name above every pattern; a pattern by its
 * literal characters; between patterns as long, the one naming the alarms the stack provisions for
 * its runbook (`<runbook>-*`) first.
 */
export function nameSpecificity(pattern: string, provisioned: boolean): number {
  if (!pattern.includes('*')) return 10_000;
  return 1_000 + 2 * pattern.replaceAll('*', '').length + (provisioned ? 1 : 0);
}

function sameMetric(metric: AlarmMetric, matcher: MetricMatch): boolean {
  return metric.namespace === matcher.namespace && metric.metricName === matcher.metricName;
}

function carriesDimensions(metric: AlarmMetric, matcher: MetricMatch): boolean {
  return Object.entries(matcher.dimensions ?? {}).every(([name, value]) => metric.dimensions[name] === value);
}

/** Matches `*` against any run of characters (including none); everything else is literal. */
export function globMatches(pattern: string, text: string): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === text;
  const first = parts[0] ?? '';
  const last = parts[parts.length - 1] ?? '';
  if (!text.startsWith(first) || text.length < first.length + last.length) return false;
  let position = first.length;
  for (const middle of parts.slice(1, -1)) {
    const found = text.indexOf(middle, position);
    if (found < 0) return false;
    position = found + middle.length;
  }
  return text.length - last.length >= position && text.endsWith(last);
}
