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
      if (!['verified', 'approved', 'by-hand', 'cleared'].includes(outcome.kind)) {
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

/**
 * What people did: every request about an incident (who, what, when, done or refused), each fix by
 * hand, and each person whose page never came. Rows carry `tr.person-entry[data-kind]` (`request`,
 * `by-hand`, `no-page`); the section is left out when nobody was on call and nobody acted.
 */
export function renderPeople(record: GameDayRecord): string {
  const names = new Map(record.instances.map((i) => [i.instanceId, i.name]));
  const rel = (t: number) => formatOffset(t - record.startedAt);
  const rows: { at: number; html: string }[] = [];
  for (const incident of record.incidents) {
    const where = names.get(incident.instanceId ?? '') ?? incident.instanceId ?? '';
    for (const a of incident.responders ?? []) {
      rows.push({
        at: a.at,
        html: `<tr class="person-entry" data-kind="request" data-outcome="${a.outcome}">
<td class="num mono">${escapeHtml(rel(a.at))}</td>
<td class="who"><strong>${escapeHtml(a.by)}</strong></td>
<td>${escapeHtml(a.verb)}${a.detail ? ` <span class="mono small muted">${breakable(a.detail)}</span>` : ''}</td>
<td>${escapeHtml(where)} <span class="small muted">${escapeHtml(incident.runbook)}</span><div class="mono small muted">${breakable(incident.id)}</div></td>
<td><span class="badge badge-${a.outcome === 'done' ? 'person' : 'escalated'}">${escapeHtml(a.outcome)}</span>${a.reason ? ` <span class="small muted">${escapeHtml(a.reason)}</span>` : ''}</td>
</tr>`,
      });
    }
  }
  for (const p of record.responders ?? []) {
    const where = names.get(p.instanceId) ?? p.instanceId;
    if (p.handFix)
      rows.push({
        at: p.handFix.at,
        html: `<tr class="person-entry" data-kind="by-hand" data-exit="${p.handFix.exitCode}">
<td class="num mono">${escapeHtml(rel(p.handFix.at))}</td>
<td class="who"><strong>${escapeHtml(p.by)}</strong></td>
<td>by hand: ${escapeHtml(p.handFix.description)}</td>
<td>${escapeHtml(where)} <span class="small muted">on the instance, not through automation</span></td>
<td><span class="badge badge-${p.handFix.exitCode === 0 ? 'person' : 'escalated'}">exit ${p.handFix.exitCode}</span>${p.handFix.output ? `<div class="mono small muted">${escapeHtml(p.handFix.output)}</div>` : ''}</td>
</tr>`,
      });
    if (p.pageAt === undefined)
      rows.push({
        at: p.gaveUpAt ?? p.watchUntil,
        html: `<tr class="person-entry" data-kind="no-page">
<td class="num mono">${escapeHtml(rel(p.gaveUpAt ?? p.watchUntil))}</td>
<td class="who"><strong>${escapeHtml(p.by)}</strong></td>
<td>waited to ${escapeHtml(p.verb)}</td>
<td>${escapeHtml(where)} <span class="small muted">${escapeHtml(p.runbook)}</span></td>
<td><span class="badge badge-escalated">no ${escapeHtml(p.waitsFor)} page</span> <span class="small muted">watched ${escapeHtml(rel(p.watchFrom))} to ${escapeHtml(rel(p.watchUntil))}</span></td>
</tr>`,
      });
  }
  if (rows.length === 0) return '';
  const requests = record.incidents.reduce((n, i) => n + (i.responders?.length ?? 0), 0);
  const fixes = (record.responders ?? []).filter((p) => p.handFix).length;
  return `<section id="people" class="card">
<h2>People <span class="muted small">(${requests} request(s) about incidents, ${fixes} fix(es) by hand)</span></h2>
<p class="hint">What people on call did, apart from automation: requests through the operator function (recorded on the incident with who and when), and work by hand on the instance.</p>
<div class="table-scroll"><table class="people">
<thead><tr><th class="num">Time</th><th>Who</th><th>What</th><th>Where</th><th>Outcome</th></tr></thead>
<tbody>
${rows
  .sort((a, b) => a.at - b.at)
  .map((r) => r.html)
  .join('\n')}
</tbody>
</table></div>
</section>`;
}
