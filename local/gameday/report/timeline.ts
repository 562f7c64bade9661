import { escapeHtml } from '../../html-page.ts';
import type { GameDayIncident, GameDayRecord } from '../record.ts';
import { COLOUR } from './colours.ts';
import { breakerRunbook, clamp, round1 } from './format.ts';
import { renderLegend } from './legend.ts';
import { formatOffset } from './outcomes.ts';
import {
  AXIS_H,
  GROUP_PAGE_KINDS,
  PLOT_X0,
  PLOT_X1,
  type RowContent,
  type Scale,
  SVG_WIDTH,
} from './timeline-layout.ts';
import { renderRow } from './timeline-rows.ts';

/** The timeline: one row per instance (and one for the fleet), on one time scale. */

function scaleFor(record: GameDayRecord): Scale {
  const start = record.startedAt;
  const end = Math.max(record.endedAt, start + 1000);
  const width = PLOT_X1 - PLOT_X0;
  return {
    start,
    end,
    x: (at) => round1(PLOT_X0 + ((clamp(at, start, end) - start) / (end - start)) * width),
  };
}

function emptyRow(): RowContent {
  return { alarms: new Map(), breakers: [], incidents: [], faults: [], pages: [], people: [], handFixes: [] };
}

export function renderTimelineSection(record: GameDayRecord): string {
  const scale = scaleFor(record);
  const rows = new Map<string, RowContent>(record.instances.map((i) => [i.instanceId, emptyRow()]));
  const fleet = emptyRow();
  const rowOf = (instanceId: string | undefined) =>
    (instanceId !== undefined ? rows.get(instanceId) : undefined) ?? fleet;

  for (const change of [...record.alarmChanges].sort((a, b) => a.at - b.at)) {
    const row = rowOf(change.instanceId);
    const list = row.alarms.get(change.alarmName) ?? [];
    list.push(change);
    row.alarms.set(change.alarmName, list);
  }
  const incidentsById = new Map<string, GameDayIncident>();
  for (const incident of record.incidents) {
    incidentsById.set(incident.id, incident);
    const row = rowOf(incident.instanceId);
    row.incidents.push(incident);
    for (const action of incident.responders ?? []) row.people.push({ ...action, incidentId: incident.id });
  }
  for (const person of record.responders ?? []) {
    if (person.handFix) rowOf(person.instanceId).handFixes.push({ ...person.handFix, by: person.by });
  }
  for (const fault of record.faults) rowOf(fault.instanceId).faults.push(fault);
  for (const page of record.pages) {
    const incident = GROUP_PAGE_KINDS.has(page.kind) ? undefined : incidentsById.get(page.about);
    (incident ? rowOf(incident.instanceId) : fleet).pages.push(page);
  }
  // Breaker episodes: from the opening page to the closing page with the same key (or the end).
  for (const page of [...record.pages].sort((a, b) => a.at - b.at)) {
    if (page.kind === 'breaker-opened') {
      fleet.breakers.push({ runbook: breakerRunbook(page.about), about: page.about, from: page.at });
    } else if (page.kind === 'breaker-closed') {
      const open = fleet.breakers.find((b) => b.about === page.about && b.to === undefined);
      if (open) open.to = page.at;
    }
  }

  let y = AXIS_H;
  const body: string[] = [];
  record.instances.forEach((instance, index) => {
    const content = rows.get(instance.instanceId) ?? emptyRow();
    const { svg, height } = renderRow(scale, y, content, index, {
      cls: 'instance-row',
      attrs: `data-instance="${escapeHtml(instance.instanceId)}" data-name="${escapeHtml(instance.name)}"`,
      title: instance.name,
      subtitle: instance.instanceId,
      monospace: true,
      detail: `${instance.availabilityZone} · ${instance.instanceType}`,
    });
    body.push(svg);
    y += height;
  });
  const fleetRow = renderRow(scale, y, fleet, record.instances.length, {
    cls: 'fleet-row',
    attrs: 'data-row="fleet"',
    title: 'Fleet',
    subtitle: 'runbook-wide pages',
    monospace: false,
    detail: 'breakers · dry-run',
  });
  body.push(fleetRow.svg);
  y += fleetRow.height;

  const height = y + AXIS_H;
  const svg = `<svg class="timeline" role="img" aria-label="Timeline per instance" width="${SVG_WIDTH}" height="${height}" viewBox="0 0 ${SVG_WIDTH} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif">
<defs><pattern id="hatch" width="5" height="5" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="5" height="5" fill="#ffffff"/><line x1="0" y1="0" x2="0" y2="5" stroke="#8a93a0" stroke-width="2"/></pattern></defs>
${renderAxis(scale, height)}
${body.join('\n')}
</svg>`;
  return `<section id="timeline" class="card">
<h2>Timeline</h2>
<p class="hint">One row per instance, minutes from the start of the game day. Thin bands are alarm states (one per alarm); bars are remediation attempts inside their incident; diamonds are pages, and teal figures are what people did; hover any mark for details.</p>
${renderLegend()}
<div class="timeline-scroll">${svg}</div>
</section>`;
}

function renderAxis(scale: Scale, height: number): string {
  const step = tickStep(scale.end - scale.start);
  const parts: string[] = ['<g class="axis">'];
  for (let t = 0; t <= scale.end - scale.start + 1; t += step) {
    const x = scale.x(scale.start + t);
    const label = escapeHtml(formatOffset(t));
    parts.push(
      `<line class="tick" x1="${x}" y1="${AXIS_H - 6}" x2="${x}" y2="${height - AXIS_H + 6}" stroke="${COLOUR.grid}" stroke-width="1"/>`,
      `<text x="${x}" y="${AXIS_H - 12}" text-anchor="middle" font-size="11" fill="${COLOUR.muted}">${label}</text>`,
      `<text x="${x}" y="${height - AXIS_H + 20}" text-anchor="middle" font-size="11" fill="${COLOUR.muted}">${label}</text>`,
    );
  }
  parts.push(
    `<text x="12" y="${AXIS_H - 12}" font-size="11" fill="${COLOUR.faint}">virtual time from start</text>`,
    '</g>',
  );
  return parts.join('\n');
}

/** Ticks every 30 s to a day, so that there are at most about a dozen. */
function tickStep(spanMs: number): number {
  const minutes = [0.5, 1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 240, 360, 720, 1440];
  for (const m of minutes) if (spanMs / (m * 60_000) <= 12) return m * 60_000;
  return 1440 * 60_000;
}
