import type { BreakerRecord, InstanceFacts } from './fleet.ts';
import { sharedAttributes } from './fleet.ts';
import type { ModeOverride } from './gates.ts';
import { MAX_BODY_CHARS, subjectLine } from './page-message.ts';
import type { Runbook } from './runbook.ts';

/** A page about a runbook rather than one incident: its breaker opened or closed, or it went to dry-run. */
export interface Notice {
  readonly kind: 'breaker-opened' | 'breaker-grew' | 'breaker-closed' | 'runbook-dry-run';
  readonly runbook: string;
  /** Ties the opening and closing messages of one breaker together (the pager's dedup key). */
  readonly key: string;
  readonly subject: string;
  readonly body: string;
  /**
   * The condition of this key's episode ended (a mode cleared, a pause resumed): pagers that track
   * episodes resolve the key. `breaker-closed` always ends its episode.
   */
  readonly ends?: true;
}

/** Instances listed by name in a group page; the rest are counted. */
const LISTED_INSTANCES = 50;

/** The key of one breaker episode. */
export function breakerKey(runbook: string, openedAt: number): string {
  return `breaker/${runbook}/${new Date(openedAt).toISOString()}`;
}

/**
 * The one page for a fleet event: which instances, what they share, what automation stopped doing,
 * and how to close the breaker. `described` is what EC2 said of the instances, or why it could not.
 */
export function breakerOpenedNotice(
  runbook: Runbook,
  record: BreakerRecord,
  described: readonly InstanceFacts[] | { readonly error: string },
): Notice {
  const instances = [...record.instances].sort();
  const lines = [
    `The fleet breaker of runbook ${runbook.name} opened: ${record.reason}.`,
    'Many instances failing at once points at a shared cause; running the remedy on each would add load and hide it.',
    'Automation runs nothing for this runbook while the breaker is open, and pages no instance one by one.',
    '',
    `Runbook:  ${runbook.name} (owner ${runbook.owner})`,
    `Opened:   ${iso(record.openedAt)}`,
    `Closes:   after ${quietMinutes(runbook)} min without a new alarm, or by`,
    `          npx remediate breaker close --runbook ${runbook.name} --reason "..."`,
    '',
    `Instances (${instances.length}):`,
    ...instances.slice(0, LISTED_INSTANCES).map((id) => `  ${id}`),
    ...(instances.length > LISTED_INSTANCES ? [`  ... and ${instances.length - LISTED_INSTANCES} more`] : []),
    '',
    'What they share:',
    ...sharedLines(described, instances.length),
    '',
    'What to look at next:',
    `  ${runbook.notes ?? 'The runbook has no notes; start from what the instances share.'}`,
    ...(runbook.link ? [`  ${runbook.link}`] : []),
  ];
  return {
    kind: 'breaker-opened',
    runbook: runbook.name,
    key: breakerKey(runbook.name, record.openedAt),
    subject: subjectLine(
      `ALARM: ${runbook.name} breaker open - ${instances.length} instances, shared cause?`,
    ),
    body: clip(lines.join('\n')),
  };
}

/**
 * The breaker is still open and more instances were suppressed under it than its pages named so far:
 * the same group page (same key: the pager folds it into the open alert) names them, so that every
 * instance automation stood down on is known to a human. `added` are the instances named here.
 */
export function breakerGrewNotice(runbook: Runbook, record: BreakerRecord, added: readonly string[]): Notice {
  const named = [...added].sort();
  const total = record.instances.length;
  return {
    kind: 'breaker-grew',
    runbook: runbook.name,
    key: breakerKey(runbook.name, record.openedAt),
    subject: subjectLine(
      `ALARM: ${runbook.name} breaker still open - ${named.length} more instance(s), ${total} in all`,
    ),
    body: clip(
      [
        `The fleet breaker of runbook ${runbook.name} is still open, and holds back ${named.length} more instance(s)`,
        'in ALARM since the last group page: automation runs nothing on them either.',
        '',
        `Runbook:  ${runbook.name} (owner ${runbook.owner})`,
        `Opened:   ${iso(record.openedAt)} (${record.reason})`,
        `Closes:   after ${quietMinutes(runbook)} min without a new alarm, or by`,
        `          npx remediate breaker close --runbook ${runbook.name} --reason "..."`,
        '',
        `Newly suppressed (${named.length}):`,
        ...named.slice(0, LISTED_INSTANCES).map((id) => `  ${id}`),
        ...(named.length > LISTED_INSTANCES ? [`  ... and ${named.length - LISTED_INSTANCES} more`] : []),
        '',
        `Instances under the breaker in all: ${total} (npx remediate status; npx remediate incidents list)`,
      ].join('\n'),
    ),
  };
}

function sharedLines(
  described: readonly InstanceFacts[] | { readonly error: string },
  total: number,
): string[] {
  if ('error' in described) return [`  (EC2 could not describe the instances: ${described.error})`];
  if (described.length === 0) return ['  (EC2 described none of the instances)'];
  const attributes = sharedAttributes(described);
  if (attributes.length === 0) return ['  (no attributes known)'];
  const scope = described.length === total ? '' : ` (of the ${described.length} instances EC2 described)`;
  return [
    ...(scope ? [`  counted${scope}`] : []),
    ...attributes.map((a) => {
      const shown = a.values
        .slice(0, 4)
        .map((v) => `${v.value} x${v.count}`)
        .join(', ');
      const more = a.values.length > 4 ? `, ${a.values.length - 4} more values` : '';
      return `  ${a.sharedByAll ? 'ALL   ' : '      '}${a.name}: ${shown}${more}`;
    }),
  ];
}

/** What the resync found when a breaker closed: the runbook's alarms still in ALARM, each with its incident. */
export interface Reexamination {
  readonly stillInAlarm: readonly {
    readonly alarmName: string;
    readonly instanceId?: string;
    readonly incidentId?: string;
    readonly status?: string;
  }[];
  /** Set when the resync could not run: nobody has looked again yet. */
  readonly failed?: string;
}

/**
 * The breaker closed: the group page can close. It says "automation acts again" only when the resync
 * looked again at the instances still in ALARM, and names them with what each incident now does.
 */
export function breakerClosedNotice(runbook: Runbook, record: BreakerRecord, seen?: Reexamination): Notice {
  const how = record.closedBy
    ? `closed by ${record.closedBy}${record.closeReason ? `: ${record.closeReason}` : ''}`
    : `closed after ${quietMinutes(runbook)} min without a new alarm`;
  const looked = seen !== undefined && seen.failed === undefined;
  const still = seen?.stillInAlarm ?? [];
  const headline = !looked
    ? `${runbook.name} breaker closed - not yet looked again at alarms still in ALARM`
    : still.length === 0
      ? `${runbook.name} breaker closed - automation acts again; no alarm left in ALARM`
      : `${runbook.name} breaker closed - automation acts again on ${still.length} still in ALARM`;
  const lines = !looked
    ? [
        `The alarms still in ALARM were not looked at again${seen?.failed ? ` (${seen.failed})` : ''}: the`,
        'scheduled resync does it within minutes, and each is then remediated or paged on its own.',
      ]
    : still.length === 0
      ? ['Every instance that alarmed while it was open has returned to OK.']
      : [
          'Still in ALARM, each now remediated or paged on its own:',
          ...still
            .slice(0, 30)
            .map(
              (s) =>
                `  ${s.instanceId ?? '(no instance)'}  ${s.alarmName}  ${s.status ?? 'no incident'}${s.incidentId ? `  ${s.incidentId}` : ''}`,
            ),
          ...(still.length > 30
            ? [`  ... and ${still.length - 30} more (npx remediate incidents list)`]
            : []),
        ];
  return {
    kind: 'breaker-closed',
    runbook: runbook.name,
    key: breakerKey(runbook.name, record.openedAt),
    subject: subjectLine(`OK: ${headline}`),
    body: clip(
      [
        `The fleet breaker of runbook ${runbook.name} is ${how}; the group page can close.`,
        '',
        `Opened:   ${iso(record.openedAt)} (${record.reason})`,
        `Closed:   ${iso(record.closedAt)}`,
        `Instances that alarmed while it was open: ${record.instances.length}`,
        '',
        ...lines,
      ].join('\n'),
    ),
  };
}

/** The runbook switched itself to dry-run: humans take its alarms until someone re-enables it. */
export function dryRunNotice(runbook: Runbook, override: ModeOverride): Notice {
  return {
    kind: 'runbook-dry-run',
    runbook: runbook.name,
    key: `dry-run/${runbook.name}/${new Date(override.since).toISOString()}`,
    subject: subjectLine(`ALARM: runbook ${runbook.name} switched to dry-run - too few fixes verified`),
    body: clip(
      [
        `Runbook ${runbook.name} was switched to dry-run by ${override.by}: ${override.reason}.`,
        'It keeps deciding and recording what it would run, runs nothing, and pages for each alarm.',
        '',
        `Runbook:  ${runbook.name} (owner ${runbook.owner})`,
        `Since:    ${iso(override.since)}`,
        '',
        'To let it act again, once its script is fixed or the cause is understood:',
        `  npx remediate runbooks enforce ${runbook.name}`,
      ].join('\n'),
    ),
  };
}

function clip(body: string): string {
  return body.length <= MAX_BODY_CHARS ? body : `${body.slice(0, MAX_BODY_CHARS - 40)}\n[message cut]`;
}

function iso(epochMs: number | undefined): string {
  return epochMs === undefined ? 'unknown' : new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function quietMinutes(runbook: Runbook): number {
  return runbook.breaker ? Math.round(runbook.breaker.quietSeconds / 60) : 0;
}
