import type { AwsEvent } from '../aws-shapes.ts';
import type { RecordedPage } from '../local-ports.ts';
import type { GameDayIncident, GameDayRecord } from './record.ts';
import type { ScenarioDefinition } from './scenario.ts';

/**
 * What a game day prints: one line per transition as it happens (colour on a terminal, plain text
 * otherwise), then the summary table and the verdict.
 */
export class GameDayOutput {
  private readonly colour: boolean;
  private readonly write: (line: string) => void;

  constructor(options: { colour: boolean; write?: (line: string) => void }) {
    this.colour = options.colour;
    this.write = options.write ?? ((line) => process.stdout.write(`${line}\n`));
  }

  intro(scenario: ScenarioDefinition, instances: number, speed: number): void {
    this.write(this.bold(`Game day: ${scenario.name}`));
    this.write(`  ${scenario.description}`);
    this.write(
      this.dim(
        `  ${instances} instances, ${scenario.faults.length} faults, ${scenario.endsAtMinutes} virtual minutes at ${speed}x ` +
          `(${Math.round((scenario.endsAtMinutes * 60) / speed)} s, plus the real time that commands and measurements take).`,
      ),
    );
  }

  note(text: string): void {
    this.write(this.dim(`  ${text}`));
  }

  begin(): void {
    this.write(this.dim('  time    instance  what happened'));
  }

  fault(elapsedMs: number, instance: string, description: string): void {
    this.line(elapsedMs, instance, this.paint(35, `FAULT ${description}`));
  }

  /** An alarm's change; `instance` for a fleet alarm's contributor, `note` for what CloudWatch said. */
  alarm(
    elapsedMs: number,
    alarmName: string,
    from: string,
    to: string,
    about: { readonly instance?: string; readonly note?: string } = {},
  ): void {
    const note = about.note ? ` (${about.note})` : '';
    this.line(
      elapsedMs,
      about.instance ?? '',
      this.paint(to === 'ALARM' ? 31 : 32, `alarm ${alarmName}: ${from} -> ${to}${note}`),
    );
  }

  transition(elapsedMs: number, instance: string, event: AwsEvent): void {
    const detail = event.detail as { runbook: string; attempt?: number; reason?: string; status: string };
    const type = event['detail-type'].replace(/^Remediation /, '');
    const colour = /Escalated/.test(type)
      ? 31
      : /Resolved/.test(type)
        ? 32
        : /Suppressed|Waiting/.test(type)
          ? 33
          : 0;
    const attempt = detail.attempt ? ` ${detail.attempt}` : '';
    const reason = detail.reason && !/Started/.test(type) ? `: ${oneLine(detail.reason, 110)}` : '';
    this.line(
      elapsedMs,
      instance,
      this.paint(colour, `${detail.runbook} ${type.toLowerCase()}${attempt}${reason}`),
    );
  }

  /** What a person on call did: an answer to a page, or a fix by hand. */
  person(elapsedMs: number, instance: string, text: string): void {
    this.line(elapsedMs, instance, this.paint(36, text));
  }

  page(elapsedMs: number, page: RecordedPage): void {
    this.line(elapsedMs, 'PAGE', this.paint(33, page.subject));
  }

  summary(record: GameDayRecord, names: ReadonlyMap<string, string>): void {
    this.write(`\n${this.bold('Incidents')}`);
    const rows = record.incidents.map((i) => [
      i.id.length > 44 ? `...${i.id.slice(-41)}` : i.id,
      names.get(i.instanceId ?? '') ?? '-',
      i.runbook,
      String(i.attempts.length),
      outcomeOf(i),
      timeToFix(i),
    ]);
    const header = ['incident', 'instance', 'runbook', 'attempts', 'outcome', 'fault -> fixed'];
    const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] as string).length)));
    const format = (cells: readonly string[]) =>
      `  ${cells.map((cell, c) => cell.padEnd(widths[c] as number)).join('  ')}`;
    this.write(this.dim(format(header)));
    for (const row of rows) this.write(format(row));
    this.write(`\n${this.bold('Alarms still in ALARM at the end')}`);
    if (record.audit.length === 0) this.write(this.dim('  none: every alarm is OK'));
    for (const a of record.audit) {
      const mark = a.verdict === 'silent' ? this.paint(31, 'SILENT') : this.paint(32, a.verdict);
      this.write(
        `  ${(a.contributorId ? `${a.alarmName} [${names.get(a.instanceId) ?? a.instanceId}]` : a.alarmName).padEnd(24)} ${mark}  ${a.incidentId ? `${a.incidentId} (${a.status})` : 'no incident'}: ${a.detail}`,
      );
    }
    this.write(`\n${this.bold('Expectations')}`);
    for (const e of record.expectations) {
      this.write(`  ${e.held ? this.paint(32, '✓') : this.paint(31, '✗')} ${e.description}`);
      if (!e.held) this.write(this.dim(`      saw ${e.detail}`));
    }
  }

  closing(record: GameDayRecord, reportPath: string, pagesPath: string): void {
    const held = record.expectations.every((e) => e.held);
    this.write('');
    this.write(
      held
        ? this.paint(
            32,
            `Every expectation held (${record.expectations.length}), in ${(record.wallMs / 1000).toFixed(0)} s.`,
          )
        : this.paint(31, `${record.expectations.filter((e) => !e.held).length} expectation(s) did not hold.`),
    );
    this.write(`Report: ${reportPath} (open it in a browser; it needs no network)`);
    this.write(`Pages:  ${pagesPath}`);
  }

  private line(elapsedMs: number, instance: string, text: string): void {
    this.write(`  +${clock(elapsedMs)}  ${instance.padEnd(8)}  ${text}`);
  }

  private paint(code: number, text: string): string {
    return this.colour && code ? `\u001b[${code}m${text}\u001b[0m` : text;
  }

  private bold(text: string): string {
    return this.colour ? `\u001b[1m${text}\u001b[0m` : text;
  }

  private dim(text: string): string {
    return this.colour ? `\u001b[2m${text}\u001b[0m` : text;
  }
}

/** The outcome of an incident in a few words. */
export function outcomeOf(incident: GameDayIncident): string {
  const gate = incident.refusals.at(-1)?.gate;
  const approvedBy = incident.proposal?.answer?.kind === 'approved' ? incident.proposal.answer.by : undefined;
  if (incident.status === 'resolved' && incident.resolution === 'verified' && approvedBy)
    return `fixed (verified, approved by ${approvedBy})`;
  if (incident.status === 'resolved' && incident.owner) return `fixed by hand (${incident.owner.by})`;
  if (incident.status === 'resolved')
    return `fixed (${incident.resolution === 'verified' ? 'verified' : 'cleared'})`;
  if (incident.status === 'escalated') return `escalated${gate ? ` (${gate})` : ''}`;
  return incident.status;
}

/** From the fault to the verified fix, in virtual mm:ss; `-` when automation did not fix it. */
export function timeToFix(incident: GameDayIncident): string {
  if (incident.resolution !== 'verified' || incident.closedAt === undefined) return '-';
  return clock(incident.closedAt - (incident.faultAt ?? incident.openedAt));
}

function clock(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, max - 3)}...`;
}
