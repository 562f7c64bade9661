import { escapeHtml } from '../../html-page.ts';
import type { GameDayRecord } from '../record.ts';
import { formatNumber, humanDuration, iso, plural, wallTime } from './format.ts';
import { incidentOutcome, type OutcomeKind } from './outcomes.ts';

/** The report's header: the scenario, the fleet and the summary counts. */

interface Summary {
  readonly fixed: number;
  /** Fixed by automation once a person approved the proposal. */
  readonly approved: number;
  /** Fixed by a person who took the incident over. */
  readonly byHand: number;
  /** Every person's request that was done (approve, deny, retry, run, snooze, take). */
  readonly humanActions: number;
  readonly escalated: number;
  readonly suppressed: number;
  readonly other: number;
}

export function summarize(record: GameDayRecord): Summary {
  const kinds = record.incidents.map((i) => incidentOutcome(i).kind);
  const count = (kind: OutcomeKind) => kinds.filter((k) => k === kind).length;
  const fixed = count('verified');
  const approved = count('approved');
  const byHand = count('by-hand');
  const escalated = count('escalated');
  const suppressed = count('suppressed');
  const humanActions = record.incidents.reduce(
    (n, i) => n + (i.responders ?? []).filter((r) => r.outcome === 'done').length,
    0,
  );
  return {
    fixed,
    approved,
    byHand,
    humanActions,
    escalated,
    suppressed,
    other: kinds.length - fixed - approved - byHand - escalated - suppressed,
  };
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
    ...(summary.approved > 0
      ? ([['fixed after approval', summary.approved, 'approved']] as [string, number, string][])
      : []),
    ...(summary.byHand > 0
      ? ([['fixed by hand', summary.byHand, 'by-hand']] as [string, number, string][])
      : []),
    ['escalated', summary.escalated, 'escalated'],
    ['suppressed', summary.suppressed, 'suppressed'],
    ['pages', record.pages.length, 'pages'],
    ...(summary.humanActions > 0 || (record.responders?.length ?? 0) > 0
      ? ([['human actions', summary.humanActions, 'people']] as [string, number, string][])
      : []),
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
