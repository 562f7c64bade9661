import type { Incident } from '../functions/core/incident.ts';
import type { AwsEvent } from './aws-shapes.ts';
import type { RecordedPage } from './local-ports.ts';
import type { Expectation } from './walkthrough-scenario.ts';

/** One incident at the end of the run, with what the scenario expected of it. */
export interface SummaryRow {
  readonly name: string;
  readonly incident: Incident | undefined;
  readonly pages: number;
  readonly expect: Expectation;
  readonly faultAt: number;
}

/** The walkthrough's terminal output: one line per transition, pages, and a summary table. */
export class WalkthroughOutput {
  private readonly colour: boolean;

  constructor(colour: boolean) {
    this.colour = colour;
  }

  intro(): void {
    this.line(this.bold('EC2 auto-remediation: the control loop on this machine'));
    this.line("DynamoDB Local holds the state; AWS-shaped events are routed by the stack's own patterns to");
    this.line('the real handlers and decider. SSM is simulated here: outcomes are scripted, no script runs.');
    this.line('Time is virtual: hours of backoff and verification take a few seconds.\n');
  }

  story(name: string, atSeconds: number, story: string): void {
    this.line(`  ${pad(name, 6)} fault at +${clock(atSeconds * 1000)}: ${story}`);
  }

  begin(): void {
    this.line(`\n${this.bold('Transitions')}`);
  }

  transition(elapsedMs: number, name: string, event: AwsEvent): void {
    const detail = event.detail as { attempt?: number; reason?: string; status: string; alarmName: string };
    const what = describe(event['detail-type'], detail);
    const colour = event['detail-type'].endsWith('Escalated')
      ? 31
      : event['detail-type'].endsWith('Resolved')
        ? 32
        : 0;
    this.line(`  +${clock(elapsedMs)}  ${pad(name, 6)} ${this.paint(colour, what)}`);
  }

  note(elapsedMs: number, name: string, text: string): void {
    this.line(`  +${clock(elapsedMs)}  ${pad(name, 6)} ${this.dim(text)}`);
  }

  page(elapsedMs: number, page: RecordedPage): void {
    this.line(`  +${clock(elapsedMs)}  ${this.paint(33, `PAGE  ${page.subject}`)}`);
    const body = page.body.split('\n').slice(0, page.page === 'escalation' ? 14 : 3);
    for (const line of body) this.line(this.dim(`              | ${line}`));
  }

  /** Prints the table and returns whether every expectation held. */
  summary(rows: readonly SummaryRow[]): boolean {
    this.line(`\n${this.bold('Summary')}`);
    this.line(
      `  ${pad('', 2)}${pad('name', 7)}${pad('instance', 21)}${pad('runbook', 11)}${pad('attempts', 10)}${pad('outcome', 32)}fault -> closed`,
    );
    let held = true;
    for (const row of rows) {
      const incident = row.incident;
      const ok = matches(incident, row.pages, row.expect);
      held &&= ok;
      const outcome = incident
        ? `${incident.status}${incident.resolution ? ` (${incident.resolution.how})` : ''}, ${row.pages} page(s)`
        : 'missing';
      const closed = incident?.closedAt ? clock(incident.closedAt - row.faultAt) : 'open';
      this.line(
        `  ${ok ? this.paint(32, '✓') : this.paint(31, '✗')} ${pad(row.name, 7)}${pad(incident?.instanceId ?? '-', 21)}` +
          `${pad(incident?.key.runbook ?? '-', 11)}${pad(String(incident?.attempts.length ?? 0), 10)}${pad(outcome, 32)}${closed}`,
      );
      if (!ok) this.line(`      expected ${JSON.stringify(row.expect)}`);
    }
    return held;
  }

  closing(passed: boolean, failures: readonly string[], outDir: string): void {
    for (const failure of failures) this.line(this.paint(31, `  problem: ${failure}`));
    this.line(`\nPages were also written to ${outDir}/pages.jsonl.`);
    this.line(
      passed
        ? this.paint(32, 'Every incident ended as the scenario expects.')
        : this.paint(31, 'Some expectations did not hold.'),
    );
  }

  private line(text: string): void {
    process.stdout.write(`${text}\n`);
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

function matches(incident: Incident | undefined, pages: number, expect: Expectation): boolean {
  return (
    incident !== undefined &&
    incident.status === expect.status &&
    incident.attempts.length === expect.attempts &&
    pages === expect.pages &&
    (expect.how === undefined || incident.resolution?.how === expect.how)
  );
}

function describe(
  detailType: string,
  detail: { attempt?: number; reason?: string; alarmName: string },
): string {
  switch (detailType) {
    case 'Remediation Incident Opened':
      return `incident opened by alarm ${detail.alarmName}`;
    case 'Remediation Attempt Started':
      return `attempt ${detail.attempt}: sending the runbook with SSM Run Command`;
    case 'Remediation Attempt Finished':
      return `attempt ${detail.attempt} finished: ${detail.reason}`;
    case 'Remediation Incident Verifying':
      return 'verifying: waiting for the same alarm to return to OK';
    case 'Remediation Incident Backing Off':
      return 'backing off before the next attempt';
    case 'Remediation Incident Escalated':
      return `escalated: ${detail.reason}`;
    case 'Remediation Incident Resolved':
      return `resolved (${detail.reason})`;
    default:
      return detailType;
  }
}

function clock(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

function pad(text: string, width: number): string {
  return text.length >= width ? `${text} ` : text.padEnd(width);
}
