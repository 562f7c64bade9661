import type { GameDayRecord } from './record.ts';
import { iso } from './report/format.ts';
import { renderHeader, summarize } from './report/header.ts';
import { escapeHtml } from './report/outcomes.ts';
import { STYLE } from './report/style.ts';
import { renderExpectations, renderIncidents, renderMttr, renderPages } from './report/tables.ts';
import { renderTimelineSection } from './report/timeline.ts';

export {
  escapeHtml,
  formatDuration,
  formatOffset,
  incidentOutcome,
  mttrByRunbook,
  type Outcome,
  type OutcomeKind,
  type RunbookStats,
  timeToFix,
} from './report/outcomes.ts';

/**
 * The game day's HTML report: one self-contained file (inline CSS and SVG, no script, no network)
 * that a person reads after the run, at any hour. Pure: the same record gives the same bytes.
 *
 * Elements carry stable classes and data attributes for tests and for anyone scripting against the
 * report: `svg.timeline`, `g.instance-row[data-instance]`, `g.fleet-row`, `.alarm-band.alarm-<state>`,
 * `.attempt.attempt-<status>.outcome-<outcome>`, `.verified`, `.fault`, `.refusal[data-gate]`,
 * `.page.page-<kind>`, `.breaker-band`; tables `tr.incident[data-incident]`, `tr.mttr-row[data-runbook]`,
 * `li.expectation`, `tr.page-entry`.
 */
export function renderReport(record: GameDayRecord): string {
  const summary = summarize(record);
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    // Defence in depth: even a string that escaped escaping could neither run nor fetch anything.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light">',
    `<title>Game day: ${escapeHtml(record.scenario.name)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<main>',
    renderHeader(record, summary),
    renderTimelineSection(record),
    renderIncidents(record),
    renderMttr(record),
    renderExpectations(record),
    renderPages(record),
    `<footer>Times are virtual, shown as +mm:ss from the start (${escapeHtml(iso(record.startedAt))}). Generated from the game day record; no network was used to render this page.</footer>`,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
