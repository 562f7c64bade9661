import { escapeHtml } from '../../local/html-page.ts';
import { formatDuration, percent, round1, truncate } from './format.ts';
import { MTTR_DEFINITION, type Mttr, OUTCOMES, type Outcome, type Review } from './model.ts';
import { gateList } from './text.ts';

/** The weekly review page's SVG charts (outcomes per runbook, incidents per day, MTTR) and their legend. */

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

function legend(): string {
  return `<ul class="legend">${OUTCOMES.map(
    (o) =>
      `<li><svg class="swatch" width="12" height="12" aria-hidden="true"><rect width="12" height="12" rx="2" fill="${COLOUR[o]}"/></svg>${escapeHtml(OUTCOME_LABEL[o])}</li>`,
  ).join('')}</ul>`;
}

export function htmlOutcomes(review: Review): string {
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

export function htmlPerDay(review: Review): string {
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

export function htmlMttr(review: Review): string {
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

/** Integer gridline values from 0 to at least `max`, about five of them. */
function ticks(max: number): number[] {
  const step = Math.max(1, Math.ceil(max / 5));
  const out: number[] = [];
  for (let t = 0; t <= max; t += step) out.push(t);
  return out;
}
