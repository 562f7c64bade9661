import type { AlarmStateValue } from '../../../functions/core/alarm.ts';
import { escapeHtml } from '../../html-page.ts';
import type { GameDayIncident, GameDayPage } from '../record.ts';
import { ATTEMPT_LABEL, attemptOutcome, COLOUR } from './colours.ts';
import { octagon, outcomeText, round1, stateToken, token, truncate } from './format.ts';
import { formatDuration, formatOffset, incidentOutcome, timeToFix } from './outcomes.ts';
import {
  BAND_H,
  BAND_PITCH,
  type HandFixMark,
  LABEL_TEXT,
  LANE_H,
  MIN_BAR_W,
  MIN_ROW_H,
  PEOPLE_LANE_H,
  PLOT_X0,
  ROW_PAD,
  type RowContent,
  type Scale,
  SVG_WIDTH,
} from './timeline-layout.ts';

/** A timeline row: its alarm bands, attempts, refusals and pages. */

interface RowLabel {
  readonly cls: string;
  readonly attrs: string;
  readonly title: string;
  readonly subtitle: string;
  /** Whether the subtitle is an id, set in monospace. */
  readonly monospace: boolean;
  readonly detail: string;
}

export function renderRow(
  scale: Scale,
  y: number,
  content: RowContent,
  index: number,
  label: RowLabel,
): { svg: string; height: number } {
  const bands = [...content.alarms.entries()];
  const laneTop = y + ROW_PAD + (bands.length + content.breakers.length) * BAND_PITCH + 4;
  // People get a lane of their own, under the pages they answer, when the row has any.
  const peopleLane = content.people.length > 0 ? PEOPLE_LANE_H : 0;
  const height = Math.max(MIN_ROW_H, laneTop + LANE_H + peopleLane + ROW_PAD - y);
  const attemptMid = laneTop + 9;
  const pageMid = laneTop + 28;
  const personMid = laneTop + LANE_H + 10;
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

  // People, apart from automation: their requests on a lane of their own under the pages they answer,
  // and their work by hand as a teal line down the row.
  for (const fix of content.handFixes) parts.push(handFixMarker(scale, fix, y, height));
  for (const action of [...content.people].sort((a, b) => a.at - b.at)) {
    parts.push(personMarker(scale, action, scale.x(action.at), personMid));
  }

  if (
    content.incidents.length === 0 &&
    content.people.length === 0 &&
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
      ...(attempt.by ? [`started by ${attempt.by} (a person asked for it)`] : []),
      `status ${attempt.status}${attempt.exitCode !== undefined ? `, exit ${attempt.exitCode}` : ''}${attempt.verification ? `, verification ${attempt.verification}` : ''}`,
      `${rel(attempt.requestedAt)} → ${attempt.finishedAt !== undefined ? rel(attempt.finishedAt) : 'no result'}`,
      incident.id,
    ].join('\n');
    const fill = kind === 'not-run' ? 'url(#hatch)' : COLOUR.outcome[kind];
    const stroke =
      kind === 'not-run'
        ? ` stroke="${COLOUR.muted}" stroke-width="1"`
        : attempt.by
          ? ` stroke="${COLOUR.person}" stroke-width="2.5"`
          : '';
    parts.push(
      `<rect class="attempt attempt-${token(attempt.status)} outcome-${kind}${attempt.by ? ' attempt-by-person' : ''}" data-attempt="${attempt.number}" data-incident="${escapeHtml(incident.id)}" x="${start}" y="${mid - 7}" width="${round1(width)}" height="14" rx="2.5" fill="${fill}"${stroke}><title>${escapeHtml(details)}</title></rect>`,
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

  if ((outcome.kind === 'verified' || outcome.kind === 'approved') && incident.closedAt !== undefined) {
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

/** A person's request: a figure (filled when done, hollow when refused), labelled with the verb. */
function personMarker(scale: Scale, action: RowContent['people'][number], x: number, mid: number): string {
  const done = action.outcome === 'done';
  const title = [
    `${formatOffset(action.at - scale.start)} ${action.by}: ${action.verb}${action.detail ? ` ${action.detail}` : ''} (${action.outcome}${action.reason ? `: ${action.reason}` : ''})`,
    `a person, not automation; incident ${action.incidentId}`,
  ].join('\n');
  const fill = done ? COLOUR.person : '#ffffff';
  return [
    `<g class="person person-${token(action.verb)} person-${action.outcome}" data-by="${escapeHtml(action.by)}" data-verb="${escapeHtml(action.verb)}" data-incident="${escapeHtml(action.incidentId)}"><title>${escapeHtml(title)}</title>`,
    `<circle cx="${x}" cy="${round1(mid - 4.5)}" r="3.4" fill="${fill}" stroke="${COLOUR.person}" stroke-width="1.6"/>`,
    `<path d="M${round1(x - 6.5)} ${mid + 8} Q${x} ${round1(mid - 3)} ${round1(x + 6.5)} ${mid + 8} Z" fill="${fill}" stroke="${COLOUR.person}" stroke-width="1.6" stroke-linejoin="round"/>`,
    `<text x="${round1(x + 10)}" y="${mid + 4}" font-size="11" font-weight="600" fill="${COLOUR.person}" paint-order="stroke" stroke="#ffffff" stroke-width="3" stroke-linejoin="round">${escapeHtml(truncate(`${action.verb}${done ? '' : ' refused'} · ${action.by}`, 28))}</text>`,
    '</g>',
  ].join('\n');
}

/** Work by hand on the instance: a solid teal line down the row with a square cap, over its duration. */
function handFixMarker(scale: Scale, fix: HandFixMark, y: number, height: number): string {
  const x = scale.x(fix.at);
  const top = y + 3;
  return [
    `<g class="hand-fix" data-by="${escapeHtml(fix.by)}" data-exit="${fix.exitCode}"><title>${escapeHtml(`${formatOffset(fix.at - scale.start)} → ${formatOffset(fix.finishedAt - scale.start)} by hand, ${fix.by}: ${fix.description} (exit ${fix.exitCode})`)}</title>`,
    `<line x1="${x}" y1="${top + 8}" x2="${x}" y2="${y + height - 4}" stroke="${COLOUR.person}" stroke-width="1.5"/>`,
    `<rect x="${round1(x - 4.5)}" y="${top}" width="9" height="9" rx="1.5" fill="${fix.exitCode === 0 ? COLOUR.person : '#ffffff'}" stroke="${COLOUR.person}" stroke-width="1.4"/>`,
    '</g>',
  ].join('\n');
}

function pageMarker(scale: Scale, page: GameDayPage, x: number, mid: number): string {
  const hollow = page.kind === 'resolution' || page.kind === 'breaker-closed';
  const dashed = page.kind === 'runbook-dry-run';
  const known = [
    'proposal',
    'escalation',
    'resolution',
    'breaker-opened',
    'breaker-grew',
    'breaker-closed',
    'runbook-dry-run',
  ].includes(page.kind);
  const colour = known ? COLOUR.page : COLOUR.muted;
  return [
    `<g class="page page-${token(page.kind)}" data-about="${escapeHtml(page.about)}"><title>${escapeHtml(`${formatOffset(page.at - scale.start)} page (${page.kind}): ${page.subject}\nabout ${page.about}`)}</title>`,
    `<path d="M${x} ${mid - 7} L${x + 7} ${mid} L${x} ${mid + 7} L${x - 7} ${mid} Z" fill="${hollow || dashed ? '#ffffff' : colour}" stroke="${colour}" stroke-width="2"${dashed ? ' stroke-dasharray="2 2"' : ''}/>`,
    '</g>',
  ].join('\n');
}
