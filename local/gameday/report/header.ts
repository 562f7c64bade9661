import { escapeHtml } from '../../html-page.ts';
import type { GameDayRecord } from '../record.ts';
import { formatNumber, humanDuration, iso, plural, wallTime } from './format.ts';
import { incidentOutcome, type OutcomeKind } from './outcomes.ts';

/** The report's header: the scenario, the fleet and the summary counts. */

interface Summary {
  readonly fixed: number;
  readonly escalated: number;
  readonly suppressed: number;
  readonly other: number;
}

export function summarize(record: GameDayRecord): Summary {
  const kinds = record.incidents.map((i) => incidentOutcome(i).kind);
  const count = (kind: OutcomeKind) => kinds.filter((k) => k === kind).length;
  const fixed = count('verified');
  const escalated = count('escalated');
  const suppressed = count('suppressed');
  return { fixed, escalated, suppressed, other: kinds.length - fixed - escalated - suppressed };
}

export function renderHeader(record: GameDayRecord, summary: Summary): string {
  const failed = record.expectations.filter((e) => !e.held);
  const total = record.expectations.length;
  const verdict =
    total === 0
      ? '<div class="verdict verdict-none" role="status"><strong>No expectations</strong> were set for this scenario.</div>'
      : failed.length === 0
        ? `<div class="verdict verdict-pass" role="status"><span class="verdict-mark" aria-hidden="true">✓</span><div><strong>All ${total} expectation${plural(total)} held.</strong></div></div>`
        : `<div class="verdict verdict-fail" role="alert"><span class="verdict-mark" aria-hidden="true">✗</span><div><strong>${failed.length} of ${total} expectation${plural(total)} failed:</strong><ul>${failed
            .map(
              (e) =>
                `<li><span class="what">${escapeHtml(e.description)}</span> <span class="detail">— ${escapeHtml(e.detail)}</span></li>`,
            )
            .join('')}</ul></div></div>`;
  const facts: [string, string][] = [
    ['Virtual start', escapeHtml(iso(record.startedAt))],
    ['Virtual end', escapeHtml(iso(record.endedAt))],
    ['Duration (virtual)', escapeHtml(humanDuration(record.endedAt - record.startedAt))],
    ['Wall time', escapeHtml(wallTime(record.wallMs))],
    [
      'Speed',
      `${escapeHtml(formatNumber(record.scenario.speed))}× <span class="unit">virtual s per real s</span>`,
    ],
    ['Instances', String(record.instances.length)],
  ];
  const counts: [string, number, string][] = [
    ['incidents', record.incidents.length, 'total'],
    ['fixed automatically', summary.fixed, 'verified'],
    ['escalated', summary.escalated, 'escalated'],
    ['suppressed', summary.suppressed, 'suppressed'],
    ['pages', record.pages.length, 'pages'],
  ];
  return `<header class="masthead">
<p class="eyebrow">EC2 auto-remediation · game day report</p>
<h1 class="scenario-name">${escapeHtml(record.scenario.name)}</h1>
<p class="scenario-description">${escapeHtml(record.scenario.description)}</p>
${verdict}
<dl class="facts">${facts.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join('')}</dl>
<ul class="counts">${counts
    .map(([label, n, key]) => `<li class="count count-${key}"><span class="n">${n}</span> ${label}</li>`)
    .join('')}</ul>
</header>`;
}
