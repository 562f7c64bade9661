import type { BreakerRecord, InstanceFacts } from './fleet.ts';
import { sharedAttributes } from './fleet.ts';
import type { ModeOverride, Pause } from './gates.ts';
import { type NextStep, type PageContext, remediateCommand } from './page-formats/next-steps.ts';
import { MAX_BODY_CHARS, subjectLine } from './page-message.ts';
import type { Runbook } from './runbook.ts';

/** The notices that open something on the pager: each is closed by the kind {@link CLOSED_BY} names. */
export type OpeningNoticeKind = 'breaker-opened' | 'breaker-grew' | 'runbook-dry-run' | 'paused';
/** The notices that close what an opening one opened (the OK of its key). */
export type ClosingNoticeKind = 'breaker-closed' | 'runbook-mode-cleared' | 'resumed';
export type NoticeKind = OpeningNoticeKind | ClosingNoticeKind;

/**
 * Every opening notice's OK: the breaker's group page (and its updates) closes with the breaker, the
 * dry-run switch with `runbooks enforce`, a pause with its resume. The closing notice carries the same
 * key, so that each pager resolves what the opening one opened.
 */
export const CLOSED_BY: Readonly<Record<OpeningNoticeKind, ClosingNoticeKind>> = {
  'breaker-opened': 'breaker-closed',
  'breaker-grew': 'breaker-closed',
  'runbook-dry-run': 'runbook-mode-cleared',
  paused: 'resumed',
};

/** The `runbook` of a notice about every runbook (a pause of all of them). */
export const ALL_RUNBOOKS = '*';

/**
 * A page about a runbook (or every runbook) rather than one incident: its breaker opened or closed,
 * it went to dry-run or was let act again, automation was paused or resumed.
 */
export interface Notice {
  readonly kind: NoticeKind;
  /** The runbook, or {@link ALL_RUNBOOKS} for a pause of every runbook. */
  readonly runbook: string;
  /**
   * The notice's identity, the same in its opening and its closing notice: the pager's dedup key
   * (PagerDuty Events v2 `dedup_key`), the alarm name of the CloudWatch-shaped form, the chat thread.
   */
  readonly key: string;
  readonly subject: string;
  readonly body: string;
  /**
   * The condition of this key's episode ended (a breaker closed, a mode cleared, a pause resumed):
   * pagers that track episodes resolve the key. Set on every closing kind.
   */
  readonly ends?: true;
  /** When the state it tells of changed (epoch ms). */
  readonly at?: number;
  /** The resources it concerns (instance ids, alarm names), for the chat form's related resources. */
  readonly resources?: readonly string[];
  /** What a person does next, with the exact command when there is one. */
  readonly steps?: readonly NextStep[];
}

/** Whether a notice closes its key's episode (its OK). */
export function noticeEnds(notice: Pick<Notice, 'kind' | 'ends'>): boolean {
  return notice.ends === true || Object.values(CLOSED_BY).includes(notice.kind as ClosingNoticeKind);
}

/** Instances listed by name in a group page; the rest are counted. */
const LISTED_INSTANCES = 50;
/** Ours: resources a chat notice lists (instances, alarms); the body names the rest. */
export const NOTICE_RESOURCES = 20;

/** The key of one breaker episode. */
export function breakerKey(runbook: string, openedAt: number): string {
  return `breaker/${runbook}/${new Date(openedAt).toISOString()}`;
}

/**
 * The key of a runbook's runtime mode switch. One per runbook, not per switch: `runbooks enforce`
 * closes whichever switch is in force (auto-disable's, or an operator's that replaced it).
 */
export function modeKey(runbook: string): string {
  return `mode/${runbook}`;
}

/** The key of a pause: of one runbook, or of every runbook. A resume closes the pause in force. */
export function pauseKey(runbook: string | undefined): string {
  return `pause/${runbook ?? ALL_RUNBOOKS}`;
}

/** `npx remediate breaker close --runbook NAME --reason "..." [--table T]`. */
function breakerCloseCommand(runbook: Runbook, context: PageContext): string {
  return `${remediateCommand('breaker close', ['--runbook', runbook.name], context)} --reason "..."`;
}

/**
 * The one page for a fleet event: which instances, what they share, what automation stopped doing,
 * and how to close the breaker. `described` is what EC2 said of the instances, or why it could not.
 */
export function breakerOpenedNotice(
  runbook: Runbook,
  record: BreakerRecord,
  described: readonly InstanceFacts[] | { readonly error: string },
  context: PageContext = {},
): Notice {
  const instances = [...record.instances].sort();
  const close = breakerCloseCommand(runbook, context);
  const lines = [
    `The fleet breaker of runbook ${runbook.name} opened: ${record.reason}.`,
    'Many instances failing at once points at a shared cause; running the remedy on each would add load and hide it.',
    'Automation runs nothing for this runbook while the breaker is open, and pages no instance one by one.',
    '',
    `Runbook:  ${runbook.name} (owner ${runbook.owner})`,
    `Opened:   ${iso(record.openedAt)}`,
    `Closes:   after ${quietMinutes(runbook)} min without a new alarm, or by`,
    `          ${close}`,
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
    at: record.openedAt,
    resources: instances.slice(0, NOTICE_RESOURCES),
    steps: [
      { text: 'Look for the shared cause first: what the instances share is on the page' },
      ...(runbook.link ? [{ text: `Runbook: ${runbook.link}` }] : []),
      { text: 'Once it is dealt with, close the breaker', command: close },
      { text: 'The instances under the breaker', command: remediateCommand('incidents list', [], context) },
    ],
  };
}

/**
 * The breaker is still open and more instances were suppressed under it than its pages named so far:
 * the same group page (same key: the pager folds it into the open alert) names them, so that every
 * instance automation stood down on is known to a human. `added` are the instances named here.
 */
export function breakerGrewNotice(
  runbook: Runbook,
  record: BreakerRecord,
  added: readonly string[],
  context: PageContext = {},
): Notice {
  const named = [...added].sort();
  const total = record.instances.length;
  const close = breakerCloseCommand(runbook, context);
  const status = remediateCommand('status', [], context);
  const list = remediateCommand('incidents list', [], context);
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
        `          ${close}`,
        '',
        `Newly suppressed (${named.length}):`,
        ...named.slice(0, LISTED_INSTANCES).map((id) => `  ${id}`),
        ...(named.length > LISTED_INSTANCES ? [`  ... and ${named.length - LISTED_INSTANCES} more`] : []),
        '',
        `Instances under the breaker in all: ${total} (${status}; ${list})`,
      ].join('\n'),
    ),
    at: record.lastAlarmAt,
    resources: named.slice(0, NOTICE_RESOURCES),
    steps: [
      { text: 'Once the shared cause is dealt with, close the breaker', command: close },
      { text: 'The instances under the breaker', command: list },
    ],
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
export function breakerClosedNotice(
  runbook: Runbook,
  record: BreakerRecord,
  seen?: Reexamination,
  context: PageContext = {},
): Notice {
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
        `The alarms still in ALARM were not looked at again yet${seen?.failed ? ` (${seen.failed})` : ''}: the`,
        'resync does it within minutes, and each is then remediated or paged on its own.',
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
  const resources = [
    ...new Set(still.flatMap((s) => [...(s.instanceId ? [s.instanceId] : []), s.alarmName])),
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
    ends: true,
    ...(record.closedAt === undefined ? {} : { at: record.closedAt }),
    resources: resources.slice(0, NOTICE_RESOURCES),
    steps: [
      { text: 'Close the group page if your pager has not.' },
      ...(still.length > 0 || !looked
        ? [
            {
              text: 'What each alarm still in ALARM does now',
              command: remediateCommand('incidents list', [], context),
            },
          ]
        : []),
    ],
  };
}

/** The runbook switched itself to dry-run: humans take its alarms until someone re-enables it. */
export function dryRunNotice(runbook: Runbook, override: ModeOverride, context: PageContext = {}): Notice {
  const enforce = remediateCommand('runbooks enforce', [runbook.name], context);
  return {
    kind: 'runbook-dry-run',
    runbook: runbook.name,
    key: modeKey(runbook.name),
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
        `  ${enforce}`,
      ].join('\n'),
    ),
    at: override.since,
    steps: [
      { text: "Find why its fixes were not verified: each alarm's page has the attempts' output" },
      ...(runbook.link ? [{ text: `Runbook: ${runbook.link}` }] : []),
      { text: 'Once its script is fixed or the cause is understood, let it act again', command: enforce },
    ],
  };
}

/**
 * `runbooks enforce`: the runtime switch (auto-disable's dry-run, or an operator's dry-run or approve
 * mode) was lifted, and the runbook runs as deployed again. The OK of the dry-run notice.
 */
export function modeClearedNotice(
  runbook: Runbook,
  cleared: { readonly by: string; readonly at: number; readonly previous?: ModeOverride },
  context: PageContext = {},
): Notice {
  const previous = cleared.previous;
  const was = previous
    ? `It was in ${previous.mode} mode since ${iso(previous.since)}, switched by ${previous.by}: ${previous.reason}.`
    : 'The switch it was under (dry-run or approve mode) no longer holds.';
  return {
    kind: 'runbook-mode-cleared',
    runbook: runbook.name,
    key: modeKey(runbook.name),
    subject: subjectLine(`OK: runbook ${runbook.name} runs as deployed again (${runbook.mode})`),
    body: clip(
      [
        `Runbook ${runbook.name} runs as deployed again (${runbook.mode}), set by ${cleared.by} at ${iso(cleared.at)}; the dry-run notice can close.`,
        was,
        'The runs that switched it off are forgotten: auto-disable judges it afresh from its next runs.',
        '',
        `Runbook:  ${runbook.name} (owner ${runbook.owner})`,
      ].join('\n'),
    ),
    ends: true,
    at: cleared.at,
    steps: [
      { text: 'Close the dry-run notice if your pager has not.' },
      { text: 'The runbook as it runs now', command: remediateCommand('status', [], context) },
    ],
  };
}

/** Which runbooks a pause holds, in words. */
function pausedWhat(runbook: Runbook | undefined): string {
  return runbook ? `runbook ${runbook.name}` : 'all runbooks';
}

/**
 * The one notice of a pause, for all it holds: which runbooks, who, why and since when, what happens
 * to the alarms meanwhile, and how to resume. Once it reached the pager, the alarms the pause holds
 * are not paged one by one (the pause records when it was announced); a pause whose notice failed
 * pages each alarm, as an unannounced pause does.
 */
export function pausedNotice(runbook: Runbook | undefined, pause: Pause, context: PageContext = {}): Notice {
  const what = pausedWhat(runbook);
  const resume = remediateCommand('resume', runbook ? ['--runbook', runbook.name] : [], context);
  const reason = oneLineText(pause.reason);
  return {
    kind: 'paused',
    runbook: runbook?.name ?? ALL_RUNBOOKS,
    key: pauseKey(runbook?.name),
    subject: subjectLine(`ALARM: automation paused for ${what} - alarms held, nothing runs`),
    body: clip(
      [
        `Automation is paused for ${what}${pause.by ? ` by ${pause.by}` : ''}: ${reason}.`,
        'While it is paused nothing runs. Each alarm that fires is recorded and held under this one notice,',
        'not paged on its own. On resume, automation looks again at every alarm still in ALARM: each is',
        'then remediated, or paged on its own.',
        '',
        `Paused:   ${what}${runbook ? ` (owner ${runbook.owner})` : ''}`,
        `By:       ${pause.by ?? 'unknown'}`,
        `Since:    ${iso(pause.since)}`,
        `Reason:   ${reason}`,
        '',
        'To resume:',
        `  ${resume}`,
      ].join('\n'),
    ),
    at: pause.since,
    steps: [
      { text: 'What the pause holds now', command: remediateCommand('incidents list', [], context) },
      { text: 'Resume once the reason for the pause is over', command: resume },
    ],
  };
}

/** The pause was lifted: the OK of its notice; the alarms it held are looked at again. */
export function resumedNotice(
  runbook: Runbook | undefined,
  resumed: { readonly by: string; readonly at: number; readonly pause?: Pause },
  context: PageContext = {},
): Notice {
  const what = pausedWhat(runbook);
  const pause = resumed.pause;
  return {
    kind: 'resumed',
    runbook: runbook?.name ?? ALL_RUNBOOKS,
    key: pauseKey(runbook?.name),
    subject: subjectLine(`OK: automation resumed for ${what} - alarms still in ALARM are looked at again`),
    body: clip(
      [
        `Automation was resumed for ${what} by ${resumed.by} at ${iso(resumed.at)}; the pause notice can close.`,
        ...(pause
          ? [
              `It was paused since ${iso(pause.since)}${pause.by ? ` by ${pause.by}` : ''}: ${oneLineText(pause.reason)}.`,
            ]
          : []),
        'Automation looks again at every alarm still in ALARM: each is then remediated, or paged on its own.',
      ].join('\n'),
    ),
    ends: true,
    at: resumed.at,
    steps: [
      { text: 'Close the pause notice if your pager has not.' },
      {
        text: 'What each alarm still in ALARM does now',
        command: remediateCommand('incidents list', [], context),
      },
    ],
  };
}

function oneLineText(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 500);
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
