import type { AlarmStateValue } from '../../functions/core/alarm.ts';
import type { GameDayIncident, GameDayPage, GameDayRecord } from './record.ts';

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

// ---------------------------------------------------------------------------------------------------
// Helpers the tests use too.

/** Escapes text for HTML content and for quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** `+mm:ss` from the start (minutes are not wrapped into hours: `+95:00`). */
export function formatOffset(ms: number): string {
  return `${ms < 0 ? '-' : '+'}${formatDuration(Math.abs(ms))}`;
}

/** A duration as `mm:ss`, rounded to the second. */
export function formatDuration(ms: number): string {
  const total = Math.round(Math.abs(ms) / 1000);
  const m = Math.floor(total / 60);
  const s = total % 60;
  return `${ms < 0 ? '-' : ''}${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

/** How an incident ended, as the report groups it. */
export type OutcomeKind = 'verified' | 'escalated' | 'suppressed' | 'dry-run' | 'cleared' | 'open';

export interface Outcome {
  readonly kind: OutcomeKind;
  /** The gate behind the outcome, when one refused. */
  readonly gate?: string;
  readonly label: string;
}

/**
 * Fixed automatically (`resolved` and `verified`) first; then a page to a human (`escalated`); then
 * held back by the fleet breaker (`suppressed`); then dry-run; then cleared without any of these.
 */
export function incidentOutcome(incident: GameDayIncident): Outcome {
  const lastGate = incident.refusals.at(-1)?.gate;
  if (incident.resolution === 'verified') return { kind: 'verified', label: 'resolved (verified)' };
  if (incident.escalation || incident.status === 'escalated') {
    return lastGate
      ? { kind: 'escalated', gate: lastGate, label: 'escalated' }
      : { kind: 'escalated', label: 'escalated' };
  }
  const breaker = incident.refusals.find((r) => r.gate === 'breaker');
  if (incident.status === 'suppressed' || breaker) {
    return { kind: 'suppressed', gate: breaker?.gate ?? lastGate ?? 'breaker', label: 'suppressed' };
  }
  if (incident.attempts.length > 0 && incident.attempts.every((a) => a.status === 'not-run')) {
    const gate = incident.refusals.find((r) => r.gate === 'auto-disable')?.gate;
    return gate ? { kind: 'dry-run', gate, label: 'dry-run' } : { kind: 'dry-run', label: 'dry-run' };
  }
  if (incident.resolution === 'cleared') return { kind: 'cleared', label: 'resolved (cleared)' };
  return lastGate
    ? { kind: 'open', gate: lastGate, label: incident.status }
    : { kind: 'open', label: incident.status };
}

/** Virtual ms from the fault (or, when unknown, from the incident's opening) to the verified fix. */
export function timeToFix(incident: GameDayIncident): number | undefined {
  if (incident.resolution !== 'verified' || incident.closedAt === undefined) return undefined;
  return incident.closedAt - (incident.faultAt ?? incident.openedAt);
}

export interface RunbookStats {
  readonly runbook: string;
  readonly incidents: number;
  readonly fixed: number;
  readonly escalated: number;
  readonly suppressed: number;
  /** Dry-run, cleared without remediation, or still open. */
  readonly other: number;
  /** Of the verified fixes' times to fix, in virtual ms; undefined without any. */
  readonly medianMs?: number;
  readonly maxMs?: number;
}

/** Per runbook, by name: how many incidents were fixed, escalated, suppressed, and how fast the fixes were. */
export function mttrByRunbook(record: GameDayRecord): RunbookStats[] {
  const byRunbook = new Map<string, GameDayIncident[]>();
  for (const incident of record.incidents) {
    const list = byRunbook.get(incident.runbook) ?? [];
    list.push(incident);
    byRunbook.set(incident.runbook, list);
  }
  return [...byRunbook.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([runbook, incidents]) => {
      const kinds = incidents.map((i) => incidentOutcome(i).kind);
      const fixes = incidents
        .map(timeToFix)
        .filter((ms): ms is number => ms !== undefined)
        .sort((a, b) => a - b);
      const count = (kind: OutcomeKind) => kinds.filter((k) => k === kind).length;
      const fixed = count('verified');
      const escalated = count('escalated');
      const suppressed = count('suppressed');
      const stats: RunbookStats = {
        runbook,
        incidents: incidents.length,
        fixed,
        escalated,
        suppressed,
        other: incidents.length - fixed - escalated - suppressed,
      };
      return fixes.length === 0 ? stats : { ...stats, medianMs: median(fixes), maxMs: fixes.at(-1) };
    });
}

function median(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2);
  const hi = sorted[mid] ?? 0;
  return sorted.length % 2 === 1 ? hi : ((sorted[mid - 1] ?? hi) + hi) / 2;
}

// ---------------------------------------------------------------------------------------------------
// Colours: one place, used by the timeline and its legend alike (attributes, so no CSS is needed).

const COLOUR = {
  ink: '#1f2430',
  muted: '#5b6472',
  faint: '#8a93a0',
  grid: '#e3e7ec',
  /** Drawn translucent, over the grid lines. */
  stripe: '#0b2a55',
  alarm: { ALARM: '#d64541', OK: '#54a66f', INSUFFICIENT_DATA: '#b4bcc6' } as Record<AlarmStateValue, string>,
  outcome: {
    verified: '#1d7a4c',
    unverified: '#d0901c',
    pending: '#7fb89b',
    running: '#3b7dc4',
    failed: '#b3261e',
    lost: '#7b5644',
    'not-run': '#ffffff',
  } as Record<AttemptOutcome, string>,
  fault: '#e06c00',
  refusal: '#a86b00',
  page: '#6d3fc0',
  breaker: '#f2c14e',
  span: '#eef2f8',
  spanStroke: '#cfd8e6',
};

type AttemptOutcome = 'verified' | 'unverified' | 'pending' | 'running' | 'failed' | 'lost' | 'not-run';

type Attempt = GameDayIncident['attempts'][number];

function attemptOutcome(attempt: Attempt): AttemptOutcome {
  switch (attempt.status) {
    case 'succeeded':
      return attempt.verification === 'passed'
        ? 'verified'
        : attempt.verification === 'failed'
          ? 'unverified'
          : 'pending';
    case 'failed':
      return 'failed';
    case 'lost':
      return 'lost';
    case 'not-run':
      return 'not-run';
    default:
      return 'running';
  }
}

const ATTEMPT_LABEL: Record<AttemptOutcome, string> = {
  verified: 'command succeeded, fix verified',
  unverified: 'command succeeded, alarm stayed in ALARM',
  pending: 'command succeeded, verifying',
  running: 'dispatching or running',
  failed: 'command failed',
  lost: 'lost (no result)',
  'not-run': 'not run (dry-run)',
};

// ---------------------------------------------------------------------------------------------------
// Header.

interface Summary {
  readonly fixed: number;
  readonly escalated: number;
  readonly suppressed: number;
  readonly other: number;
}

function summarize(record: GameDayRecord): Summary {
  const kinds = record.incidents.map((i) => incidentOutcome(i).kind);
  const count = (kind: OutcomeKind) => kinds.filter((k) => k === kind).length;
  const fixed = count('verified');
  const escalated = count('escalated');
  const suppressed = count('suppressed');
  return { fixed, escalated, suppressed, other: kinds.length - fixed - escalated - suppressed };
}

function renderHeader(record: GameDayRecord, summary: Summary): string {
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

// ---------------------------------------------------------------------------------------------------
// Timeline.

const SVG_WIDTH = 1230;
const LABEL_W = 200;
const PLOT_X0 = LABEL_W + 16;
const PLOT_X1 = SVG_WIDTH - 30;
const AXIS_H = 30;
const ROW_PAD = 10;
const BAND_PITCH = 22;
const BAND_H = 8;
const LANE_H = 38;
const MIN_ROW_H = 70;
const MIN_BAR_W = 5;

/** Small labels inside the plot get a white halo, so that grid and fault lines never cross their letters. */
const LABEL_TEXT = `font-size="10.5" fill="${COLOUR.muted}" paint-order="stroke" stroke="#ffffff" stroke-width="3" stroke-linejoin="round"`;

const GROUP_PAGE_KINDS = new Set(['breaker-opened', 'breaker-closed', 'runbook-dry-run']);

interface Scale {
  readonly start: number;
  readonly end: number;
  x(at: number): number;
}

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

/** What one row draws: its alarms, incidents, faults and pages. */
interface RowContent {
  readonly alarms: Map<string, GameDayRecord['alarmChanges'][number][]>;
  readonly breakers: { runbook: string; about: string; from: number; to?: number }[];
  readonly incidents: GameDayIncident[];
  readonly faults: GameDayRecord['faults'][number][];
  readonly pages: GameDayPage[];
}

function emptyRow(): RowContent {
  return { alarms: new Map(), breakers: [], incidents: [], faults: [], pages: [] };
}

function renderTimelineSection(record: GameDayRecord): string {
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
    rowOf(incident.instanceId).incidents.push(incident);
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
<p class="hint">One row per instance, minutes from the start of the game day. Thin bands are alarm states (one per alarm); bars are remediation attempts inside their incident; hover any mark for details.</p>
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

interface RowLabel {
  readonly cls: string;
  readonly attrs: string;
  readonly title: string;
  readonly subtitle: string;
  /** Whether the subtitle is an id, set in monospace. */
  readonly monospace: boolean;
  readonly detail: string;
}

function renderRow(
  scale: Scale,
  y: number,
  content: RowContent,
  index: number,
  label: RowLabel,
): { svg: string; height: number } {
  const bands = [...content.alarms.entries()];
  const laneTop = y + ROW_PAD + (bands.length + content.breakers.length) * BAND_PITCH + 4;
  const height = Math.max(MIN_ROW_H, laneTop + LANE_H + ROW_PAD - y);
  const attemptMid = laneTop + 9;
  const pageMid = laneTop + 28;
  const parts: string[] = [`<g class="${label.cls}" ${label.attrs}>`];

  if (index % 2 === 0) {
    parts.push(
      `<rect class="row-bg" x="0" y="${y}" width="${SVG_WIDTH}" height="${height}" fill="${COLOUR.stripe}" fill-opacity="0.035"/>`,
    );
  }
  parts.push(
    `<line x1="0" y1="${y + height}" x2="${SVG_WIDTH}" y2="${y + height}" stroke="${COLOUR.grid}"/>`,
    `<text class="row-title" x="12" y="${y + ROW_PAD + 14}" font-size="14" font-weight="600" fill="${COLOUR.ink}">${escapeHtml(truncate(label.title, 24))}<title>${escapeHtml(label.title)}</title></text>`,
    `<text x="12" y="${y + ROW_PAD + 30}" font-size="11" fill="${COLOUR.muted}"${label.monospace ? ' font-family="ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"' : ''}>${escapeHtml(truncate(label.subtitle, 28))}</text>`,
    `<text x="12" y="${y + ROW_PAD + 45}" font-size="11" fill="${COLOUR.faint}">${escapeHtml(truncate(label.detail, 30))}</text>`,
  );

  // Faults first: a dashed line down the row, under the bands and marks.
  for (const fault of content.faults) {
    const x = scale.x(fault.at);
    const top = y + 3;
    const cls = fault.injected ? 'fault' : 'fault fault-not-injected';
    parts.push(
      `<g class="${cls}" data-fault="${escapeHtml(fault.fault)}" data-at="${fault.at}"><title>${escapeHtml(`${formatOffset(fault.at - scale.start)} fault ${fault.fault}${fault.injected ? '' : ' (injection FAILED)'}\n${fault.description}`)}</title>`,
      `<line x1="${x}" y1="${top + 6}" x2="${x}" y2="${y + height - 4}" stroke="${COLOUR.fault}" stroke-width="1.5" stroke-dasharray="${fault.injected ? '4 3' : '1 3'}"/>`,
      `<path d="M${x - 5} ${top} L${x + 5} ${top} L${x} ${top + 8} Z" fill="${fault.injected ? COLOUR.fault : '#ffffff'}" stroke="${COLOUR.fault}" stroke-width="1.2"/>`,
      '</g>',
    );
  }

  // Alarm bands, one per alarm, each state from its change to the next (the first from the start).
  bands.forEach(([alarmName, changes], i) => {
    const top = y + ROW_PAD + i * BAND_PITCH;
    parts.push(
      `<g class="alarm" data-alarm="${escapeHtml(alarmName)}">`,
      `<text class="alarm-label" x="${PLOT_X0}" y="${top + 9}" ${LABEL_TEXT}>${escapeHtml(truncate(alarmName, 60))}</text>`,
    );
    const first = changes[0];
    const segments: { from: number; to: number; state: AlarmStateValue; reason: string }[] = [];
    if (first && first.at > scale.start) {
      segments.push({
        from: scale.start,
        to: first.at,
        state: first.from,
        reason: 'state before the first change',
      });
    }
    changes.forEach((c, j) => {
      segments.push({ from: c.at, to: changes[j + 1]?.at ?? scale.end, state: c.to, reason: c.reason });
    });
    for (const s of segments) {
      const x0 = scale.x(s.from);
      const x1 = scale.x(s.to);
      if (x1 - x0 <= 0) continue;
      parts.push(
        `<rect class="alarm-band alarm-${stateToken(s.state)}" data-state="${escapeHtml(s.state)}" x="${x0}" y="${top + 12}" width="${round1(x1 - x0)}" height="${BAND_H}" fill="${COLOUR.alarm[s.state] ?? COLOUR.faint}"><title>${escapeHtml(`${alarmName}: ${s.state} ${formatOffset(s.from - scale.start)} → ${formatOffset(s.to - scale.start)}\n${s.reason}`)}</title></rect>`,
      );
    }
    parts.push('</g>');
  });

  // Breaker episodes (fleet row): a band per episode.
  content.breakers.forEach((b, i) => {
    const top = y + ROW_PAD + (bands.length + i) * BAND_PITCH;
    const to = b.to ?? scale.end;
    const x0 = scale.x(b.from);
    parts.push(
      `<text class="alarm-label" x="${PLOT_X0}" y="${top + 9}" ${LABEL_TEXT}>${escapeHtml(truncate(`breaker ${b.runbook}`, 60))}</text>`,
      `<rect class="breaker-band" data-runbook="${escapeHtml(b.runbook)}" x="${x0}" y="${top + 12}" width="${round1(Math.max(2, scale.x(to) - x0))}" height="${BAND_H}" fill="${COLOUR.breaker}"><title>${escapeHtml(`breaker of ${b.runbook} open ${formatOffset(b.from - scale.start)} → ${b.to === undefined ? 'end (still open)' : formatOffset(to - scale.start)}\n${b.about}`)}</title></rect>`,
    );
  });

  // Incidents: a light span from opening to closing, the attempts on it, refusals and the fix.
  for (const incident of [...content.incidents].sort((a, b) => a.openedAt - b.openedAt)) {
    parts.push(renderIncident(scale, incident, attemptMid));
  }

  for (const page of [...content.pages].sort((a, b) => a.at - b.at)) {
    parts.push(pageMarker(scale, page, scale.x(page.at), pageMid));
  }

  if (
    content.incidents.length === 0 &&
    content.pages.length === 0 &&
    content.faults.length === 0 &&
    bands.length === 0 &&
    content.breakers.length === 0
  ) {
    parts.push(
      `<text x="${PLOT_X0}" y="${attemptMid + 4}" font-size="11" fill="${COLOUR.faint}" font-style="italic">nothing happened here</text>`,
    );
  }
  parts.push('</g>');
  return { svg: parts.join('\n'), height };
}

function renderIncident(scale: Scale, incident: GameDayIncident, mid: number): string {
  const outcome = incidentOutcome(incident);
  const end = incident.closedAt ?? scale.end;
  const x0 = scale.x(incident.openedAt);
  const x1 = scale.x(end);
  const rel = (t: number) => formatOffset(t - scale.start);
  const parts: string[] = [
    `<g class="incident-marks" data-incident="${escapeHtml(incident.id)}" data-outcome="${outcome.kind}">`,
    `<rect class="incident-span" x="${x0}" y="${mid - 11}" width="${round1(Math.max(2, x1 - x0))}" height="22" rx="4" fill="${COLOUR.span}" stroke="${COLOUR.spanStroke}"><title>${escapeHtml(`${incident.runbook} on ${incident.alarmName}: ${outcomeText(outcome)}\nopened ${rel(incident.openedAt)}${incident.closedAt === undefined ? ', still open at the end' : `, closed ${rel(incident.closedAt)}`}\n${incident.id}`)}</title></rect>`,
  ];
  incident.attempts.forEach((attempt, i) => {
    const kind = attemptOutcome(attempt);
    const start = scale.x(attempt.requestedAt);
    const finish =
      attempt.finishedAt ?? (kind === 'running' ? (incident.closedAt ?? scale.end) : attempt.requestedAt);
    const width = Math.max(MIN_BAR_W, scale.x(finish) - start);
    // The verification window: from the command's end until the alarm said yes or no.
    if (attempt.status === 'succeeded' && attempt.verification && attempt.finishedAt !== undefined) {
      const next = incident.attempts[i + 1]?.requestedAt;
      const verifyEnd =
        attempt.verification === 'passed'
          ? (incident.closedAt ?? attempt.finishedAt)
          : attempt.verification === 'failed'
            ? (next ?? incident.escalation?.at ?? incident.closedAt ?? scale.end)
            : (incident.closedAt ?? scale.end);
      const vx0 = start + width;
      const vx1 = scale.x(verifyEnd);
      if (vx1 > vx0) {
        parts.push(
          `<line class="verify-window verify-${attempt.verification}" x1="${round1(vx0)}" y1="${mid}" x2="${vx1}" y2="${mid}" stroke="${COLOUR.outcome[kind]}" stroke-width="2.5" stroke-dasharray="2 3"><title>${escapeHtml(`attempt #${attempt.number}: waiting for the alarm to return to OK (${attempt.verification})`)}</title></line>`,
        );
      }
    }
    const details = [
      `${incident.runbook} attempt #${attempt.number}${attempt.action ? ` (${attempt.action})` : ''}: ${ATTEMPT_LABEL[kind]}`,
      `status ${attempt.status}${attempt.exitCode !== undefined ? `, exit ${attempt.exitCode}` : ''}${attempt.verification ? `, verification ${attempt.verification}` : ''}`,
      `${rel(attempt.requestedAt)} → ${attempt.finishedAt !== undefined ? rel(attempt.finishedAt) : 'no result'}`,
      incident.id,
    ].join('\n');
    const fill = kind === 'not-run' ? 'url(#hatch)' : COLOUR.outcome[kind];
    const stroke = kind === 'not-run' ? ` stroke="${COLOUR.muted}" stroke-width="1"` : '';
    parts.push(
      `<rect class="attempt attempt-${token(attempt.status)} outcome-${kind}" data-attempt="${attempt.number}" data-incident="${escapeHtml(incident.id)}" x="${start}" y="${mid - 7}" width="${round1(width)}" height="14" rx="2.5" fill="${fill}"${stroke}><title>${escapeHtml(details)}</title></rect>`,
    );
  });

  for (const refusal of incident.refusals) {
    const x = scale.x(refusal.at);
    parts.push(
      `<g class="refusal" data-gate="${escapeHtml(refusal.gate)}"><title>${escapeHtml(`${rel(refusal.at)} gate ${refusal.gate} refused\n${refusal.reason}`)}</title>`,
      `<path d="${octagon(x, mid, 7)}" fill="#ffffff" stroke="${COLOUR.refusal}" stroke-width="2"/>`,
      `<line x1="${round1(x - 3.5)}" y1="${mid}" x2="${round1(x + 3.5)}" y2="${mid}" stroke="${COLOUR.refusal}" stroke-width="2"/>`,
      `<text x="${round1(x + 11)}" y="${mid + 4}" font-size="11" font-weight="600" fill="${COLOUR.refusal}" paint-order="stroke" stroke="#ffffff" stroke-width="3" stroke-linejoin="round">${escapeHtml(truncate(refusal.gate, 20))}</text>`,
      '</g>',
    );
  }

  if (outcome.kind === 'verified' && incident.closedAt !== undefined) {
    const x = scale.x(incident.closedAt);
    const passed = incident.attempts.find((a) => a.verification === 'passed');
    parts.push(
      `<g class="verified" data-incident="${escapeHtml(incident.id)}"><title>${escapeHtml(`${rel(incident.closedAt)} verified: the alarm returned to OK${passed ? ` after attempt #${passed.number}` : ''}\n${formatDuration(timeToFix(incident) ?? 0)} from the ${incident.faultAt !== undefined ? 'fault' : 'alarm'} to the fix`)}</title>`,
      `<circle cx="${x}" cy="${mid}" r="7" fill="${COLOUR.outcome.verified}" stroke="#ffffff" stroke-width="1.5"/>`,
      `<path d="M${round1(x - 3.2)} ${round1(mid + 0.2)} L${round1(x - 0.8)} ${round1(mid + 2.6)} L${round1(x + 3.4)} ${round1(mid - 2.6)}" fill="none" stroke="#ffffff" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"/>`,
      '</g>',
    );
  }
  parts.push('</g>');
  return parts.join('\n');
}

function pageMarker(scale: Scale, page: GameDayPage, x: number, mid: number): string {
  const hollow = page.kind === 'resolution' || page.kind === 'breaker-closed';
  const dashed = page.kind === 'runbook-dry-run';
  const known = ['escalation', 'resolution', 'breaker-opened', 'breaker-closed', 'runbook-dry-run'].includes(
    page.kind,
  );
  const colour = known ? COLOUR.page : COLOUR.muted;
  return [
    `<g class="page page-${token(page.kind)}" data-about="${escapeHtml(page.about)}"><title>${escapeHtml(`${formatOffset(page.at - scale.start)} page (${page.kind}): ${page.subject}\nabout ${page.about}`)}</title>`,
    `<path d="M${x} ${mid - 7} L${x + 7} ${mid} L${x} ${mid + 7} L${x - 7} ${mid} Z" fill="${hollow || dashed ? '#ffffff' : colour}" stroke="${colour}" stroke-width="2"${dashed ? ' stroke-dasharray="2 2"' : ''}/>`,
    '</g>',
  ].join('\n');
}

function renderLegend(): string {
  const swatch = (inner: string) =>
    `<svg class="swatch" width="26" height="16" viewBox="0 0 26 16" aria-hidden="true">${inner}</svg>`;
  const band = (fill: string) => swatch(`<rect x="1" y="4" width="24" height="8" fill="${fill}"/>`);
  const bar = (fill: string, extra = '') =>
    swatch(`<rect x="1" y="1" width="24" height="14" rx="2.5" fill="${fill}"${extra}/>`);
  const diamond = (fill: string, dash = '') =>
    swatch(
      `<path d="M13 1 L20 8 L13 15 L6 8 Z" fill="${fill}" stroke="${COLOUR.page}" stroke-width="2"${dash}/>`,
    );
  const item = (sw: string, text: string) => `<li>${sw}<span>${text}</span></li>`;
  const groups: [string, string[]][] = [
    [
      'Alarm',
      [
        item(band(COLOUR.alarm.ALARM), 'ALARM'),
        item(band(COLOUR.alarm.OK), 'OK'),
        item(band(COLOUR.alarm.INSUFFICIENT_DATA), 'INSUFFICIENT_DATA'),
        item(band(COLOUR.breaker), 'breaker open'),
      ],
    ],
    [
      'Attempt',
      [
        item(bar(COLOUR.outcome.verified), 'fixed (verified)'),
        item(bar(COLOUR.outcome.unverified), 'ran, alarm stayed'),
        item(bar(COLOUR.outcome.pending), 'ran, verifying'),
        item(bar(COLOUR.outcome.failed), 'failed'),
        item(bar(COLOUR.outcome.lost), 'lost'),
        item(bar(COLOUR.outcome.running), 'running'),
        item(bar('url(#hatch)', ` stroke="${COLOUR.muted}"`), 'not run (dry-run)'),
        item(
          swatch(
            `<line x1="1" y1="8" x2="25" y2="8" stroke="${COLOUR.outcome.unverified}" stroke-width="2.5" stroke-dasharray="2 3"/>`,
          ),
          'verify window',
        ),
        item(
          swatch(
            `<rect x="1" y="1" width="24" height="14" rx="4" fill="${COLOUR.span}" stroke="${COLOUR.spanStroke}"/>`,
          ),
          'incident open',
        ),
      ],
    ],
    [
      'Marks',
      [
        item(
          swatch(
            `<line x1="13" y1="5" x2="13" y2="16" stroke="${COLOUR.fault}" stroke-width="1.5" stroke-dasharray="4 3"/><path d="M8 0 L18 0 L13 8 Z" fill="${COLOUR.fault}"/>`,
          ),
          'fault injected',
        ),
        item(
          swatch(
            `<circle cx="13" cy="8" r="7" fill="${COLOUR.outcome.verified}"/><path d="M9.8 8.2 L12.2 10.6 L16.4 5.4" fill="none" stroke="#fff" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"/>`,
          ),
          'fix verified',
        ),
        item(
          swatch(
            `<path d="${octagon(13, 8, 7)}" fill="#fff" stroke="${COLOUR.refusal}" stroke-width="2"/><line x1="9.5" y1="8" x2="16.5" y2="8" stroke="${COLOUR.refusal}" stroke-width="2"/>`,
          ),
          'gate refused',
        ),
        item(diamond(COLOUR.page), 'page: escalation, breaker opened'),
        item(diamond('#ffffff'), 'page: resolution, breaker closed'),
      ],
    ],
  ];
  return `<div class="legend">${groups
    .map(([title, items]) => `<div class="legend-group"><h3>${title}</h3><ul>${items.join('')}</ul></div>`)
    .join('')}</div>`;
}

// ---------------------------------------------------------------------------------------------------
// Tables.

function renderIncidents(record: GameDayRecord): string {
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

function renderMttr(record: GameDayRecord): string {
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

function renderExpectations(record: GameDayRecord): string {
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

function renderPages(record: GameDayRecord): string {
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

// ---------------------------------------------------------------------------------------------------
// Small things.

function outcomeText(outcome: Outcome): string {
  return outcome.gate ? `${outcome.label} (gate ${outcome.gate})` : outcome.label;
}

function breakerRunbook(about: string): string {
  const parts = about.split('/');
  return parts[0] === 'breaker' && parts[1] ? parts[1] : about;
}

function stateToken(state: string): string {
  return token(state.replace(/_/g, '-'));
}

/** A string safe as one class name token. */
function token(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9-]+/g, '-') || 'unknown';
}

function octagon(cx: number, cy: number, r: number): string {
  const points: string[] = [];
  for (let i = 0; i < 8; i++) {
    const a = Math.PI / 8 + (i * Math.PI) / 4;
    points.push(`${round1(cx + r * Math.cos(a))} ${round1(cy + r * Math.sin(a))}`);
  }
  return `M${points.join(' L')} Z`;
}

/** Escaped, with break opportunities after the dots of an id. */
function breakable(text: string): string {
  return escapeHtml(text).replace(/\./g, '.<wbr>');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

function plural(n: number): string {
  return n === 1 ? '' : 's';
}

function iso(ms: number): string {
  return Number.isFinite(ms)
    ? new Date(ms)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.000Z$/, 'Z')
    : String(ms);
}

function humanDuration(ms: number): string {
  const total = Math.round(Math.max(0, ms) / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : `${m} min ${String(s).padStart(2, '0')} s`;
}

function wallTime(ms: number): string {
  return ms < 1000
    ? `${Math.round(ms)} ms`
    : ms < 120_000
      ? `${(ms / 1000).toFixed(1)} s`
      : humanDuration(ms);
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

const STYLE = `
:root{--ink:#1f2430;--muted:#5b6472;--faint:#8a93a0;--line:#dde1e7;--bg:#f3f4f6;--card:#fff;
--ok:#1d7a4c;--ok-bg:#e7f4ec;--bad:#b3261e;--bad-bg:#fcebea;--warn:#8a5a00;--warn-bg:#fdf3dc;--page:#6d3fc0;--page-bg:#f0eafb;
--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
*{box-sizing:border-box}
html{background:var(--bg);color:var(--ink)}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;-webkit-font-smoothing:antialiased}
main{max-width:1320px;margin:0 auto;padding:24px 24px 40px}
h1,h2,h3{line-height:1.25;margin:0}
h2{font-size:18px;margin-bottom:4px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin-top:18px}
.masthead{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:20px 22px}
.eyebrow{margin:0 0 2px;font-size:12px;letter-spacing:.06em;text-transform:uppercase;color:var(--muted)}
.scenario-name{font-size:26px}
.scenario-description{margin:4px 0 14px;color:var(--muted);max-width:80ch}
.verdict{display:flex;gap:12px;align-items:flex-start;padding:12px 16px;border-radius:8px;border:1px solid;font-size:15px}
.verdict ul{margin:4px 0 0;padding-left:18px}
.verdict .detail{color:var(--muted)}
.verdict-mark{font-size:20px;line-height:1.1;font-weight:700}
.verdict-pass{background:var(--ok-bg);border-color:#b5dcc4;color:#124d30}
.verdict-fail{background:var(--bad-bg);border-color:#efbcb8;color:#7d1a14}
.verdict-none{background:#f3f4f6;border-color:var(--line)}
.facts{display:flex;flex-wrap:wrap;gap:10px 40px;margin:16px 0 0}
.facts div{min-width:0}
.facts dt{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.facts dd{margin:0;font-variant-numeric:tabular-nums;font-weight:600}
.unit{font-weight:400;color:var(--muted);font-size:13px}
.counts{list-style:none;display:flex;flex-wrap:wrap;gap:8px;margin:14px 0 0;padding:0}
.count{border:1px solid var(--line);border-radius:999px;padding:3px 12px;font-size:14px;color:var(--muted)}
.count .n{font-weight:700;color:var(--ink);font-variant-numeric:tabular-nums}
.count-verified .n{color:var(--ok)}.count-escalated .n{color:var(--bad)}.count-suppressed .n{color:var(--warn)}.count-pages .n{color:var(--page)}
.hint{margin:0 0 12px;color:var(--muted);font-size:13.5px}
.legend{display:flex;flex-wrap:wrap;gap:6px 28px;margin:0 0 12px;padding:10px 12px;background:#fafbfc;border:1px solid var(--line);border-radius:8px}
.legend-group{display:flex;align-items:baseline;gap:10px;flex-wrap:wrap}
.legend h3{font-size:11px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);min-width:54px}
.legend ul{list-style:none;display:flex;flex-wrap:wrap;gap:4px 14px;margin:0;padding:0}
.legend li{display:flex;align-items:center;gap:6px;font-size:13px}
.swatch{flex:none}
.timeline-scroll,.table-scroll{overflow-x:auto}
.timeline{display:block;width:100%;min-width:900px;height:auto}
.timeline .attempt:hover,.timeline .page:hover path,.timeline .refusal:hover path{stroke:#000;stroke-width:2}
table{border-collapse:collapse;width:100%;font-size:14px}
th{text-align:left;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:600;border-bottom:2px solid var(--line);padding:6px 10px}
td{border-bottom:1px solid var(--line);padding:8px 10px;vertical-align:top}
tbody tr:hover{background:#fafbfc}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.mono{font-family:var(--mono)}
.small{font-size:12.5px}
.muted{color:var(--muted)}
.incident-id{max-width:340px}
.incident-runbook,.incident-instance{white-space:nowrap}
.badge{display:inline-block;border-radius:999px;padding:1px 10px;font-size:13px;font-weight:600;white-space:nowrap}
.badge-verified{background:var(--ok-bg);color:var(--ok)}
.badge-escalated{background:var(--bad-bg);color:var(--bad)}
.badge-suppressed,.badge-dry-run{background:var(--warn-bg);color:var(--warn)}
.badge-cleared,.badge-open{background:#eef0f3;color:var(--muted)}
.kind{display:inline-block;border-radius:6px;padding:0 8px;font-size:13px;background:var(--page-bg);color:var(--page);white-space:nowrap}
.subject{word-break:break-word}
.expectations{list-style:none;margin:6px 0 0;padding:0}
.expectation{display:flex;gap:12px;padding:8px 0;border-bottom:1px solid var(--line)}
.expectation:last-child{border-bottom:0}
.expectation .mark{flex:none;width:24px;height:24px;border-radius:50%;display:inline-flex;align-items:center;justify-content:center;font-weight:700}
.expectation-held .mark{background:var(--ok-bg);color:var(--ok)}
.expectation-failed .mark{background:var(--bad-bg);color:var(--bad)}
.expectation-failed .what{color:var(--bad);font-weight:600}
.expectation .detail{color:var(--muted);font-size:13.5px}
footer{margin-top:18px;color:var(--faint);font-size:12.5px}
`;
