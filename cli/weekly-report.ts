import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { readIncidents } from './incidents.ts';
import type { TableOptions } from './kill-switch.ts';
import { reviewHtml } from './weekly-report/html.ts';
import { buildReview, parseSince } from './weekly-report/review.ts';
import { reviewText } from './weekly-report/text.ts';

/**
 * The weekly review (`remediate report --since 7d`): what the automation did over a period, read
 * from the incident table (current and archived episodes), as terminal text and as one
 * self-contained HTML page (inline CSS and SVG, no script, no network).
 *
 * The review itself is pure and lives in `weekly-report/`: the shape (`model.ts`), its computation
 * (`review.ts`), and its renderings (`text.ts`, `html.ts`). The same incidents and options give the
 * same review, the same lines and the same bytes.
 */

export { formatDuration } from './weekly-report/format.ts';
export { reviewHtml } from './weekly-report/html.ts';
export * from './weekly-report/model.ts';
export { buildReview, escalatingGate, nearestRank, outcomeOf, parseSince } from './weekly-report/review.ts';
export { reviewText } from './weekly-report/text.ts';

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
