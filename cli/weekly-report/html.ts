import { escapeHtml, pageHead } from '../../local/html-page.ts';
import { htmlMttr, htmlOutcomes, htmlPerDay } from './charts.ts';
import { formatDuration, formatHours, formatNumber, isoSeconds, span } from './format.ts';
import { STYLE } from './html-style.ts';
import type { Review } from './model.ts';
import { GRADUATION_RULE } from './modes.ts';
import { gateList } from './text.ts';

/**
 * The weekly review as one self-contained HTML page: inline CSS and SVG, no script, no network (a
 * Content-Security-Policy forbids any fetch), every string escaped.
 *
 * Stable hooks for tests and scripts: `svg.chart-outcomes` (`g.runbook-bar[data-runbook]`,
 * `rect.segment.segment-<outcome>[data-count]`), `svg.chart-per-day` (`g.day[data-day]`),
 * `svg.chart-mttr` (`g.mttr-bar[data-runbook]`, `rect.bar-p50`, `rect.bar-p90`), `tr.runbook-row`,
 * `tr.alarm-row`, `li.candidate[data-kind][data-name]`, `.toil`, `tr.mode-row[data-runbook][data-mode]`,
 * `li.graduation[data-runbook][data-to][data-direction]`.
 */
export function reviewHtml(review: Review): string {
  const title = `Weekly review: ${isoSeconds(review.since)} to ${isoSeconds(review.now)}`;
  return [
    ...pageHead(title, STYLE),
    '<main>',
    htmlHeader(review),
    htmlOutcomes(review),
    htmlPerDay(review),
    htmlMttr(review),
    htmlToil(review),
    htmlCandidates(review),
    htmlModes(review),
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

function htmlModes(review: Review): string {
  const rows = review.modes.map(
    (m) => `<tr class="mode-row" data-runbook="${escapeHtml(m.runbook)}" data-mode="${m.mode}">
<td class="mono">${escapeHtml(m.runbook)}</td><td>${escapeHtml(m.modesSeen.length > 1 ? `${m.mode} (was ${m.modesSeen.filter((x) => x !== m.mode).join(', ')})` : m.mode)}</td>
<td class="num">${m.dryRuns}</td><td class="num">${m.approved}</td><td class="num">${m.approvedVerified}</td><td class="num">${m.denied}</td><td class="num">${m.expired}</td><td class="num">${m.autoRuns}</td><td class="num">${m.autoVerified}</td>
</tr>`,
  );
  const advice = review.modes.flatMap((m) =>
    m.recommendation
      ? [
          `<li class="graduation" data-runbook="${escapeHtml(m.runbook)}" data-to="${m.recommendation.to}" data-direction="${m.recommendation.direction}">
<div class="what">Runbook <strong class="mono">${escapeHtml(m.runbook)}</strong> <span class="badge badge-${m.recommendation.direction}">${escapeHtml(`${m.recommendation.to}?${m.recommendation.direction === 'demote' ? ' (a step back)' : ''}`)}</span></div>
<div class="detail">${escapeHtml(m.recommendation.because)}</div>
<div class="detail mono">${escapeHtml(m.recommendation.command)}</div>
</li>`,
        ]
      : [],
  );
  return `<section id="modes" class="card">
<h2>Modes</h2>
<p class="hint">What each runbook's mode did, and the next mode the evidence suggests. Rule: ${escapeHtml(GRADUATION_RULE)}</p>
<div class="table-scroll"><table class="modes">
<thead><tr><th>Runbook</th><th>Mode</th><th class="num">Dry-run</th><th class="num">Approved</th><th class="num">Verified</th><th class="num">Denied</th><th class="num">Expired</th><th class="num">Acted alone</th><th class="num">Fixed</th></tr></thead>
<tbody>
${rows.length > 0 ? rows.join('\n') : '<tr><td colspan="9" class="muted">No incidents.</td></tr>'}
</tbody>
</table></div>
${advice.length > 0 ? `<ol class="candidates">${advice.join('\n')}</ol>` : '<p class="muted">No change suggested.</p>'}
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
