import { escapeHtml } from '../../html-page.ts';
import type { GameDayRecord } from '../record.ts';
import { attemptOutcome } from './colours.ts';
import { breakable, token } from './format.ts';
import { formatDuration, formatOffset, incidentOutcome, mttrByRunbook, timeToFix } from './outcomes.ts';

/** The report's tables: incidents, MTTR per runbook, expectations, pages. */

export function renderIncidents(record: GameDayRecord): string {
  const names = new Map(record.instances.map((i) => [i.instanceId, i.name]));
  const rel = (t: number) => formatOffset(t - record.startedAt);
  const rows = [...record.incidents]
    .sort((a, b) => a.openedAt - b.openedAt || a.id.localeCompare(b.id))
    .map((incident) => {
      const outcome = incidentOutcome(incident);
      const pages = record.pages.filter((p) => p.about === incident.id).length;
      const fix = timeToFix(incident);
      const name = incident.instanceId !== undefined ? names.get(incident.instanceId) : undefined;
      const instance =
        incident.instanceId === undefined
          ? '<span class="muted">no single instance</span>'
          : `${name !== undefined ? `<strong>${escapeHtml(name)}</strong>` : ''}<div class="mono small muted">${escapeHtml(incident.instanceId)}</div>`;
      const note: string[] = [];
      if (outcome.gate) note.push(`gate <strong>${escapeHtml(outcome.gate)}</strong>`);
      if (outcome.kind !== 'verified' && outcome.kind !== 'cleared') {
        note.push(
          incident.resolution === 'cleared' && incident.closedAt !== undefined
            ? `alarm cleared ${escapeHtml(rel(incident.closedAt))}`
            : incident.closedAt === undefined
              ? `open at the end (${escapeHtml(incident.status)})`
              : escapeHtml(incident.status),
        );
      }
      const failedAttempts = incident.attempts.filter((a) => {
        const k = attemptOutcome(a);
        return k === 'failed' || k === 'lost' || k === 'unverified';
      }).length;
      const reasonTitle = [
        ...incident.refusals.map((r) => `${r.gate}: ${r.reason}`),
        ...(incident.escalation ? [`escalated: ${incident.escalation.reason}`] : []),
      ].join('\n');
      return `<tr class="incident" data-incident="${escapeHtml(incident.id)}" data-outcome="${outcome.kind}"${outcome.gate ? ` data-gate="${escapeHtml(outcome.gate)}"` : ''}>
<td class="incident-id"><div class="mono small">${breakable(incident.id)}</div><div class="small muted">alarm ${escapeHtml(incident.alarmName)}</div></td>
<td class="incident-instance">${instance}</td>
<td class="incident-runbook">${escapeHtml(incident.runbook)}</td>
<td class="incident-opened num mono">${escapeHtml(rel(incident.openedAt))}</td>
<td class="incident-attempts num">${incident.attempts.length}${failedAttempts > 0 ? ` <span class="muted small">(${failedAttempts} failed)</span>` : ''}</td>
<td class="incident-outcome"${reasonTitle ? ` title="${escapeHtml(reasonTitle)}"` : ''}><span class="badge badge-${outcome.kind}">${escapeHtml(outcome.label)}</span>${note.length > 0 ? ` <span class="small muted">${note.join(', ')}</span>` : ''}</td>
<td class="incident-fix num mono">${fix !== undefined ? escapeHtml(formatDuration(fix)) : '<span class="muted">—</span>'}</td>
<td class="incident-pages num">${pages}</td>
</tr>`;
    });
  return `<section id="incidents" class="card">
<h2>Incidents <span class="muted small">(${record.incidents.length})</span></h2>
<p class="hint">Fault → fix: virtual time from the fault's injection (or, when unknown, the alarm) to the verified fix.</p>
<div class="table-scroll"><table class="incidents">
<thead><tr><th>Incident</th><th>Instance</th><th>Runbook</th><th class="num">Opened</th><th class="num">Attempts</th><th>Outcome</th><th class="num">Fault → fix</th><th class="num">Pages</th></tr></thead>
<tbody>
${rows.length > 0 ? rows.join('\n') : '<tr><td colspan="8" class="muted">No incidents.</td></tr>'}
</tbody>
</table></div>
</section>`;
}

export function renderMttr(record: GameDayRecord): string {
  const stats = mttrByRunbook(record);
  const rows = stats.map(
    (s) => `<tr class="mttr-row" data-runbook="${escapeHtml(s.runbook)}">
<td class="runbook">${escapeHtml(s.runbook)}</td>
<td class="count-incidents num">${s.incidents}</td>
<td class="count-fixed num">${s.fixed}</td>
<td class="count-escalated num">${s.escalated}</td>
<td class="count-suppressed num">${s.suppressed}</td>
<td class="count-other num">${s.other}</td>
<td class="mttr-median num mono">${s.medianMs !== undefined ? escapeHtml(formatDuration(s.medianMs)) : '—'}</td>
<td class="mttr-max num mono">${s.maxMs !== undefined ? escapeHtml(formatDuration(s.maxMs)) : '—'}</td>
</tr>`,
  );
  return `<section id="mttr" class="card">
<h2>Time to repair per runbook</h2>
<p class="hint">Over the incidents fixed automatically (resolved and verified): from the fault (or the alarm) to the fix, virtual mm:ss.</p>
<div class="table-scroll"><table class="mttr">
<thead><tr><th>Runbook</th><th class="num">Incidents</th><th class="num">Fixed automatically</th><th class="num">Escalated</th><th class="num">Suppressed</th><th class="num">Other</th><th class="num">Median</th><th class="num">Max</th></tr></thead>
<tbody>
${rows.length > 0 ? rows.join('\n') : '<tr><td colspan="8" class="muted">No incidents.</td></tr>'}
</tbody>
</table></div>
</section>`;
}

export function renderExpectations(record: GameDayRecord): string {
  const items = record.expectations.map(
    (e) => `<li class="expectation expectation-${e.held ? 'held' : 'failed'}">
<span class="mark" aria-label="${e.held ? 'held' : 'failed'}">${e.held ? '✓' : '✗'}</span>
<div><div class="what">${escapeHtml(e.description)}</div><div class="detail">${escapeHtml(e.detail)}</div></div>
</li>`,
  );
  return `<section id="expectations" class="card">
<h2>Expectations</h2>
${items.length > 0 ? `<ul class="expectations">${items.join('\n')}</ul>` : '<p class="muted">None.</p>'}
</section>`;
}

export function renderPages(record: GameDayRecord): string {
  const rows = [...record.pages]
    .sort((a, b) => a.at - b.at)
    .map(
      (p) => `<tr class="page-entry page-entry-${token(p.kind)}">
<td class="num mono">${escapeHtml(formatOffset(p.at - record.startedAt))}</td>
<td><span class="kind kind-${token(p.kind)}">${escapeHtml(p.kind)}</span></td>
<td class="subject">${escapeHtml(p.subject)}<div class="mono small muted">${escapeHtml(p.about)}</div></td>
</tr>`,
    );
  return `<section id="pages" class="card">
<h2>Pages <span class="muted small">(${record.pages.length})</span></h2>
<div class="table-scroll"><table class="pages">
<thead><tr><th class="num">Time</th><th>Kind</th><th>Subject</th></tr></thead>
<tbody>
${rows.length > 0 ? rows.join('\n') : '<tr><td colspan="3" class="muted">Nobody was paged.</td></tr>'}
</tbody>
</table></div>
</section>`;
}
