import { escapeHtml, pageHead } from '../html-page.ts';
import type { GameDayRecord } from './record.ts';
import { renderAudit } from './report/audit.ts';
import { iso } from './report/format.ts';
import { renderHeader, summarize } from './report/header.ts';
import { STYLE } from './report/style.ts';
import {
  renderExpectations,
  renderIncidents,
  renderMttr,
  renderPages,
  renderPeople,
} from './report/tables.ts';
import { renderTimelineSection } from './report/timeline.ts';

export { escapeHtml } from '../html-page.ts';
export {
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
 * `li.expectation`, `tr.audit-entry[data-verdict]`, `tr.page-entry`; people apart from automation:
 * `.person.person-<verb>.person-<done|refused>[data-by]`, `.hand-fix`, `.attempt-by-person`,
 * `tr.person-entry[data-kind]`.
 */
export function renderReport(record: GameDayRecord): string {
  const summary = summarize(record);
  return [
    ...pageHead(`Game day: ${record.scenario.name}`, STYLE),
    '<main>',
    renderHeader(record, summary),
    renderTimelineSection(record),
    renderIncidents(record),
    renderPeople(record),
    renderMttr(record),
    renderExpectations(record),
    renderAudit(record),
    renderPages(record),
    `<footer>Times are virtual, shown as +mm:ss from the start (${escapeHtml(iso(record.startedAt))}). Generated from the game day record; no network was used to render this page.</footer>`,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
