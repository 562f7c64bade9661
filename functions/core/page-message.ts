import type { PageEffect } from './effects.ts';
import type { GateName } from './gates.ts';
import type { Attempt, Incident } from './incident.ts';
import type { Runbook } from './runbook.ts';
import { quoteUntrusted } from './untrusted-text.ts';

/** A page as a subject line and a plain-text body. */
export interface PageMessage {
  /** ASCII, no line breaks, under 100 characters, `ALARM:` or `OK:` first (SNS rules, pager conventions). */
  readonly subject: string;
  readonly body: string;
}

/** Body limit, well under SNS's 256 KB, whatever the outputs were. */
export const MAX_BODY_CHARS = 200_000;
const OUTPUT_LINES = 15;
const LINE_CHARS = 200;

/**
 * The text a human reads at 3 a.m.: what fired, where, what automation tried and what each attempt
 * printed, why it stopped, and what to look at next. Pure, so that it is tested from fixed incidents.
 */
export function pageMessage(effect: PageEffect, runbook: Runbook | undefined): PageMessage {
  const { incident } = effect;
  const where = incident.instanceId ?? 'no single instance';
  if (effect.page === 'resolution') {
    return {
      subject: subjectLine(`OK: ${incident.alarm.name} on ${where} - alarm cleared after escalation`),
      body: clip(
        [
          `The alarm ${incident.alarm.name} is OK again; the page for this incident can close.`,
          '',
          ...facts(incident, runbook),
          `Resolved: ${iso(incident.resolution?.at)} (${incident.resolution?.how === 'verified' ? 'after remediation' : 'cleared without a successful remediation'})`,
          '',
          ...attemptLines(incident.attempts),
        ].join('\n'),
      ),
    };
  }
  const reason = incident.escalation?.reason ?? 'automation stopped';
  return {
    subject: subjectLine(`ALARM: ${incident.alarm.name} on ${where} - ${shortReason(incident)}`),
    body: clip(
      [
        'Automation could not fix this alarm; a human is needed.',
        '',
        ...facts(incident, runbook),
        `Why paged: ${reason}`,
        ...(incident.refusals ?? []).map(
          (r) => `Refused:   ${r.gate} gate at ${iso(r.at)}: ${oneLine(r.reason, 300)}`,
        ),
        '',
        ...diagnosisLines(incident, runbook),
        ...attemptLines(incident.attempts),
        'What to look at next:',
        `  ${runbook?.notes ?? 'The runbook has no notes; start from the alarm and the attempts above.'}`,
        ...(runbook?.link ? [`  ${runbook.link}`] : []),
        '',
        `Incident ${incident.id} stays open until the alarm returns to OK; you will get an OK message then.`,
      ].join('\n'),
    ),
  };
}

function facts(incident: Incident, runbook: Runbook | undefined): string[] {
  return [
    `Alarm:    ${incident.alarm.name} (ALARM since ${iso(incident.openedAt)})`,
    `          ${oneLine(incident.alarm.reason, 300)}`,
    `Instance: ${incident.instanceId ?? 'none: the alarm names no single instance'}`,
    ...seriesLine(incident),
    `Account:  ${incident.alarm.account}, ${incident.alarm.region}`,
    `Runbook:  ${incident.key.runbook}${runbook ? ` (owner ${runbook.owner}): ${runbook.description}` : ''}`,
    `Incident: ${incident.id}`,
  ];
}

/**
 * Which series of a fleet alarm this is (`exe=nginx`): the fleet alarm's name says which runbook, the
 * instance which host, and this what on it. Its values come from the alarm: quoted, cut.
 */
function seriesLine(incident: Incident): string[] {
  const attributes = incident.alarm.contributor?.attributes;
  if (!attributes) return [];
  const values = Object.entries(attributes)
    .filter(([name]) => name !== 'InstanceId')
    .slice(0, 5)
    .map(([name, value]) => `${plainOrQuoted(name)}=${plainOrQuoted(value)}`);
  return [
    `Series:   ${values.length > 0 ? `${values.join(', ')} (of the fleet alarm)` : 'the instance (of the fleet alarm)'}`,
  ];
}

/** A value as it is when it is plainly a name, else quoted and escaped. */
function plainOrQuoted(value: string): string {
  return /^[A-Za-z0-9_.:@/-]{1,60}$/.test(value) ? value : quoteUntrusted(value, 60);
}

/** The diagnosis run before the first remedy: what it printed, and where the full output is. */
function diagnosisLines(incident: Incident, runbook: Runbook | undefined): string[] {
  const diagnosis = incident.attempts.find((a) => a.diagnosis)?.diagnosis;
  if (!diagnosis) return [];
  const script = runbook?.diagnose ? ` (${runbook.diagnose})` : '';
  const result = diagnosis.result;
  const code = result?.responseCode === undefined ? '' : `, exit ${result.responseCode}`;
  const outcome = result
    ? `${result.statusDetails ?? result.status}${code}`
    : (diagnosis.failure ?? diagnosis.status);
  const lines = [`Diagnosis${script}, before the first remedy: ${oneLine(outcome, 300)}`];
  for (const [label, text] of [
    ['stdout', result?.stdout],
    ['stderr', result?.stderr],
  ] as const) {
    if (!text?.trim()) continue;
    lines.push(`  ${label}, last lines:`);
    for (const line of lastLines(text)) lines.push(`    ${line}`);
  }
  if (diagnosis.commandId && incident.instanceId) {
    lines.push(
      `  full output: ${commandConsoleUrl(incident.alarm.region, diagnosis.commandId, incident.instanceId)}`,
    );
  }
  lines.push('');
  return lines;
}

/** The Run Command console page of one instance's invocation of a command, with its full output. */
export function commandConsoleUrl(region: string, commandId: string, instanceId: string): string {
  const r = encodeURIComponent(region);
  return `https://${r}.console.aws.amazon.com/systems-manager/run-command/${encodeURIComponent(commandId)}/${encodeURIComponent(instanceId)}?region=${r}`;
}

function attemptLines(attempts: readonly Attempt[]): string[] {
  if (attempts.length === 0) return ['Attempts: none (nothing was run).', ''];
  const lines = [`Attempts (${attempts.length}):`];
  for (const a of attempts) {
    const result = a.result;
    const code = result?.responseCode === undefined ? '' : `, exit ${result.responseCode}`;
    const outcome = result ? `${result.statusDetails ?? result.status}${code}` : a.status;
    lines.push(
      `  #${a.number} at ${iso(a.requestedAt)}: ${outcome}${a.commandId ? ` (command ${a.commandId})` : ''}`,
    );
    if (a.failure) lines.push(`     ${oneLine(a.failure, 300)}`);
    for (const [label, text] of [
      ['stdout', result?.stdout],
      ['stderr', result?.stderr],
    ] as const) {
      if (!text?.trim()) continue;
      lines.push(`     ${label}, last lines:`);
      for (const line of lastLines(text)) lines.push(`       ${line}`);
    }
  }
  lines.push('');
  return lines;
}

function shortReason(incident: Incident): string {
  // A settle wait only delayed the attempt; it is never why a human is paged.
  const refusal = incident.refusals?.filter((r) => r.gate !== 'settle').at(-1);
  if (refusal) {
    const said: Record<GateName, string> = {
      'kill-switch': 'automation paused',
      cooldown: 'flapping',
      'opt-in': 'instance not opted in',
      settle: 'instance still settling after launch',
      parameter: 'no allowed parameter value',
      breaker: 'fleet breaker open',
      'auto-disable': 'runbook switched to dry-run',
      budget: 'hourly budget spent',
      lease: 'instance busy too long',
      concurrency: 'no free slot in time',
    };
    return `${said[refusal.gate]}, nothing run`;
  }
  const attempts = incident.attempts.length;
  if (attempts === 0) return 'not remediated: no single instance';
  return `automation gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}`;
}

/** SNS: ASCII, no control characters, fewer than 100 characters. */
export function subjectLine(text: string): string {
  const ascii = text
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/\s+/g, ' ')
    .trim();
  return ascii.length < 100 ? ascii : `${ascii.slice(0, 96)}...`;
}

function lastLines(text: string): string[] {
  return text
    .replace(/\r/g, '')
    .trimEnd()
    .split('\n')
    .slice(-OUTPUT_LINES)
    .map((line) => oneLine(line, LINE_CHARS));
}

function oneLine(text: string, max: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  const flat = text.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, max - 3)}...`;
}

function clip(body: string): string {
  return body.length <= MAX_BODY_CHARS
    ? body
    : `${body.slice(0, MAX_BODY_CHARS - 40)}\n[message cut to fit the pager]`;
}

function iso(epochMs: number | undefined): string {
  return epochMs === undefined ? 'unknown' : new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
