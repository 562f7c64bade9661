import { namePatterns, nameSpecificity } from './matching.ts';
import type { MetricMatch, Runbook } from './runbook.ts';

/**
 * Whether the runbooks of one deployment can be told apart: no two share a name, no two list the same
 * metric (with compatible dimension values), and no two name patterns of equal specificity can match
 * one alarm, unless one of the two runbooks declares `precedence` over the other. Otherwise the order
 * of the folders would decide what runs. Where the matching rule already orders them, no declaration
 * is needed: an exact name before a pattern, a pattern with more literal characters before one with
 * fewer, any name before a metric. Returns the problems, each naming both runbooks, an alarm they
 * could both answer and the fix.
 */
export function runbookSetProblems(runbooks: readonly Runbook[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const runbook of runbooks) {
    if (seen.has(runbook.name)) problems.push(`runbook ${runbook.name}: two runbooks have this name`);
    seen.add(runbook.name);
  }
  for (const [i, a] of runbooks.entries()) {
    for (const b of runbooks.slice(i + 1)) {
      if (a.name === b.name) continue;
      const aFirst = a.precedence?.over.includes(b.name) === true;
      const bFirst = b.precedence?.over.includes(a.name) === true;
      if (aFirst && bFirst) {
        problems.push(
          `runbook ${a.name}: it and ${b.name} each declare precedence over the other; keep one of the two`,
        );
        continue;
      }
      if (aFirst || bFirst) continue;
      const shared = sharedAlarm(a, b);
      if (shared)
        problems.push(
          `runbook ${a.name}: it and runbook ${b.name} can both answer ${shared}; make their matchers disjoint, or ` +
            `declare in the one that should answer first precedence: { over: ['${b.name}'], reason: '…' } ` +
            `(or over: ['${a.name}'] in ${b.name})`,
        );
    }
  }
  return problems;
}

/** An alarm both runbooks can answer by the same kind of matcher, described; undefined when none. */
function sharedAlarm(a: Runbook, b: Runbook): string | undefined {
  // Tags both require with different values: no alarm carries both.
  const aTags = a.match.alarmTags ?? {};
  const bTags = b.match.alarmTags ?? {};
  if (Object.entries(aTags).some(([tag, value]) => tag in bTags && bTags[tag] !== value)) return undefined;
  // Names of different specificity are ordered by the matching rule (an exact name, then the pattern
  // with the most literal characters); only a tie would fall to the order of the folders.
  for (const pa of namePatterns(a)) {
    for (const pb of namePatterns(b)) {
      if (nameSpecificity(pa.pattern, pa.provisioned) !== nameSpecificity(pb.pattern, pb.provisioned))
        continue;
      const example = globIntersection(pa.pattern, pb.pattern);
      if (example !== undefined)
        return `an alarm named "${example}" with equal claims (${a.name} by the name "${pa.pattern}", ${b.name} by "${pb.pattern}")`;
    }
  }
  // The same metric is a real overlap whatever the dimensions: two remedies for one signal.
  for (const ma of a.match.metrics ?? []) {
    for (const mb of b.match.metrics ?? []) {
      if (compatibleMetrics(ma, mb))
        return `an alarm on the metric ${ma.namespace}/${ma.metricName}${dimensionsText(ma, mb)} (both list it in match.metrics)`;
    }
  }
  return undefined;
}

function compatibleMetrics(a: MetricMatch, b: MetricMatch): boolean {
  if (a.namespace !== b.namespace || a.metricName !== b.metricName) return false;
  const bDimensions = b.dimensions ?? {};
  return Object.entries(a.dimensions ?? {}).every(
    ([name, value]) => !(name in bDimensions) || bDimensions[name] === value,
  );
}

function dimensionsText(a: MetricMatch, b: MetricMatch): string {
  const all = { ...a.dimensions, ...b.dimensions };
  const text = Object.entries(all)
    .map(([name, value]) => `${name}=${value}`)
    .join(', ');
  return text ? ` (${text})` : '';
}

/**
 * A name both glob patterns match (`*` any run of characters), or undefined when they are
 * disjoint: `disk-*` and `*-root` share `disk--root`; `disk-*` and `cpu-*` share none.
 */
export function globIntersection(p: string, q: string): string | undefined {
  const memo = new Map<number, string | null>();
  const solve = (i: number, j: number): string | undefined => {
    const key = i * (q.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known ?? undefined;
    const found = step(i, j);
    memo.set(key, found ?? null);
    return found;
  };
  const step = (i: number, j: number): string | undefined => {
    if (i === p.length && j === q.length) return '';
    const a = p[i];
    const b = q[j];
    if (a === '*') {
      const skip = solve(i + 1, j);
      if (skip !== undefined) return skip;
      if (b !== undefined && b !== '*') {
        const rest = solve(i, j + 1);
        if (rest !== undefined) return b + rest;
      }
    }
    if (b === '*') {
      const skip = solve(i, j + 1);
      if (skip !== undefined) return skip;
      if (a !== undefined && a !== '*') {
        const rest = solve(i + 1, j);
        if (rest !== undefined) return a + rest;
      }
    }
    if (a !== undefined && a !== '*' && a === b) {
      const rest = solve(i + 1, j + 1);
      if (rest !== undefined) return a + rest;
    }
    return undefined;
  };
  return solve(0, 0);
}
