import { escapeHtml } from '../../html-page.ts';
import type { GameDayRecord } from '../record.ts';
import { breakable } from './format.ts';

/**
 * The no-silent-alarm audit: every alarm still in ALARM at the end, with its incident and who knows
 * of it. Rows carry `tr.audit-entry[data-verdict]` (`being fixed`, `paged`, `silent`).
 */
export function renderAudit(record: GameDayRecord): string {
  const names = new Map(record.instances.map((i) => [i.instanceId, i.name]));
  const silent = record.audit.filter((a) => a.verdict === 'silent').length;
  const rows = record.audit.map(
    (a) => `<tr class="audit-entry" data-verdict="${escapeHtml(a.verdict)}">
<td class="mono small">${escapeHtml(a.alarmName)}</td>
<td>${escapeHtml(names.get(a.instanceId) ?? a.instanceId)}</td>
<td class="mono small">${a.incidentId ? breakable(a.incidentId) : '<span class="muted">none</span>'}${a.status ? ` <span class="muted small">${escapeHtml(a.status)}</span>` : ''}</td>
<td><span class="badge badge-${a.verdict === 'silent' ? 'failed' : a.verdict === 'paged' ? 'escalated' : 'verified'}">${escapeHtml(a.verdict)}</span> <span class="small muted">${escapeHtml(a.detail)}</span></td>
</tr>`,
  );
  const verdict =
    record.audit.length === 0
      ? 'No alarm was in ALARM at the end.'
      : silent === 0
        ? `${record.audit.length} alarm(s) still in ALARM at the end: each is being fixed, or a human was told.`
        : `${silent} alarm(s) in ALARM with no incident at work and nobody told: silent.`;
  return `<section id="audit" class="card">
<h2>No silent alarm <span class="muted small">(${record.audit.length} still in ALARM${record.resyncs !== undefined ? `; resync ran ${record.resyncs} time(s)` : ''})</span></h2>
<p class="hint">${escapeHtml(verdict)}</p>
${
  record.audit.length === 0
    ? ''
    : `<div class="table-scroll"><table class="audit">
<thead><tr><th>Alarm</th><th>Instance</th><th>Incident</th><th>Who holds it</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table></div>`
}
</section>`;
}
