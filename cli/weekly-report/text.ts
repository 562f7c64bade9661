import {
  formatDuration,
  formatHours,
  formatNumber,
  isoSeconds,
  percent,
  plural,
  span,
  truncate,
} from './format.ts';
import { GATES, type GateCounts, MTTR_DEFINITION, type Review } from './model.ts';
import { GRADUATION_RULE, type ModeReview } from './modes.ts';

/** The weekly review as terminal lines. */

/** The weekly review as terminal lines. Names from alarms are untrusted: control characters are shown as `?`. */
export function reviewText(review: Review): string[] {
  const { totals } = review;
  const lines: string[] = [
    `Weekly review: ${isoSeconds(review.since)} to ${isoSeconds(review.now)} (${span(review.now - review.since)})`,
    '',
  ];
  if (totals.incidents === 0) {
    lines.push('No incidents opened in this period.');
    lines.push('', ...toilLines(review));
    return lines;
  }
  lines.push(
    `${totals.incidents} incident${plural(totals.incidents)}: ${totals.fixed} fixed automatically (verified), ` +
      `${totals.escalated} escalated (paged), ${totals.suppressed} suppressed (fleet breaker), ` +
      `${totals.cleared} cleared on their own, ${totals.open} still open`,
  );
  const refused = gateList(totals.refusedBy);
  lines.push(
    refused
      ? `Refused by gate (an incident counts once per gate): ${refused}`
      : 'No safety gate refused anything.',
  );

  lines.push('', 'Per runbook');
  const header = [
    'runbook',
    'incidents',
    'fixed',
    'escalated',
    'suppressed',
    'cleared',
    'open',
    'verified',
    'MTTR p50',
    'p90',
    'max',
  ];
  const rows = review.byRunbook.map((r) => [
    plain(r.runbook),
    String(r.incidents),
    String(r.fixed),
    String(r.escalated),
    String(r.suppressed),
    String(r.cleared),
    String(r.open),
    r.verifiedRate === undefined ? '-' : `${r.fixed}/${r.acted} ${percent(r.verifiedRate)}`,
    r.mttr ? formatDuration(r.mttr.p50Ms) : '-',
    r.mttr ? formatDuration(r.mttr.p90Ms) : '-',
    r.mttr ? formatDuration(r.mttr.maxMs) : '-',
  ]);
  lines.push(
    ...table([header, ...rows], [false, true, true, true, true, true, true, true, true, true, true]),
  );
  for (const r of review.byRunbook) {
    const gates = gateList(r.refusedBy);
    if (gates) lines.push(`  ${plain(r.runbook)} refused by: ${gates}`);
  }
  lines.push(
    '  verified: fixed / incidents in which it ran a command (dry-run records do not count), once closed or paged',
  );

  lines.push('', 'Incidents by alarm');
  lines.push(
    ...table(
      [
        ['alarm', 'incidents', 'fixed', 'escalated', 'runbook'],
        ...review.byAlarm.map((a) => [
          plain(truncate(a.alarm, 60)),
          String(a.incidents),
          String(a.fixed),
          String(a.escalated),
          plain(a.runbooks.join(', ')),
        ]),
      ],
      [false, true, true, true, false],
    ),
  );

  lines.push('', `MTTR: ${MTTR_DEFINITION}`);
  lines.push(
    review.mttr
      ? `  all runbooks: p50 ${formatDuration(review.mttr.p50Ms)}, p90 ${formatDuration(review.mttr.p90Ms)}, max ${formatDuration(review.mttr.maxMs)} over ${review.mttr.samples} verified fix${review.mttr.samples === 1 ? '' : 'es'}`
      : '  no verified fix in this period',
  );

  lines.push('', ...toilLines(review));

  lines.push('', 'Next runbook to write');
  if (review.candidates.length === 0) {
    lines.push(
      '  no candidate: every page had an attempt or a safety gate behind it, and no runbook keeps failing',
    );
  }
  for (const c of review.candidates) {
    const what =
      c.kind === 'unhandled-alarm'
        ? `alarm ${JSON.stringify(plain(c.name))} (no runbook acts on it)`
        : `runbook ${plain(c.name)} (keeps failing)`;
    lines.push(`  ${c.rank}. ${what}: ${plain(c.reason)}`);
  }

  lines.push('', ...modeLines(review.modes));
  return lines;
}

/** Each runbook's mode, what it did, and the next mode the evidence suggests. */
function modeLines(modes: readonly ModeReview[]): string[] {
  const lines = ['Modes: what each runbook did, and the next mode the evidence suggests'];
  lines.push(
    ...table(
      [
        ['runbook', 'mode', 'dry-run', 'approved', 'verified', 'denied', 'expired', 'acted alone', 'fixed'],
        ...modes.map((m) => [
          plain(m.runbook),
          m.modesSeen.length > 1
            ? `${m.mode} (was ${m.modesSeen.filter((x) => x !== m.mode).join(', ')})`
            : m.mode,
          String(m.dryRuns),
          String(m.approved),
          String(m.approvedVerified),
          String(m.denied),
          String(m.expired),
          String(m.autoRuns),
          String(m.autoVerified),
        ]),
      ],
      [false, false, true, true, true, true, true, true, true],
    ),
  );
  const advised = modes.filter((m) => m.recommendation);
  if (advised.length === 0) lines.push('  no change suggested');
  for (const m of advised) {
    const r = m.recommendation as NonNullable<ModeReview['recommendation']>;
    lines.push(
      `  ${plain(m.runbook)}: ${r.to}?${r.direction === 'demote' ? ' (a step back)' : ''} ${r.because}`,
    );
    lines.push(`    ${r.command}`);
  }
  lines.push(`  rule: ${GRADUATION_RULE}`);
  return lines;
}

function toilLines(review: Review): string[] {
  const t = review.toil;
  return [
    `Toil saved: ${formatHours(t.hours)} (${t.fixes} verified fix${t.fixes === 1 ? '' : 'es'} × ${formatNumber(t.minutesPerFix)} min)`,
    `  basis: ${t.basis}`,
  ];
}

/** Left- or right-aligned columns, two spaces apart, indented by two. */
export function table(rows: readonly string[][], right: readonly boolean[]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  return rows.map(
    (row) =>
      `  ${row
        .map((cell, i) => (right[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd()}`,
  );
}

export function gateList(counts: GateCounts): string {
  return GATES.filter((g) => counts[g] !== undefined)
    .map((g) => `${g} ${counts[g]}`)
    .join(', ');
}

/** Untrusted text for a terminal: control characters (escape sequences among them) become `?`. */
function plain(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}
