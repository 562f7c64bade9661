import type { Incident, Proposal } from '../incident.ts';
import type { PageKind } from '../inputs.ts';
import { OPERATOR_COMMANDS } from '../operator-request.ts';
import { DIAGNOSE_ACTION, type Runbook } from '../runbook.ts';
import { quoteUntrusted } from '../untrusted-text.ts';
import { clipChars, iso } from './helpers.ts';
import { CHAT_LIMITS } from './limits.ts';

/**
 * A page's next steps: the runbook's notes as short steps with the incident's values filled in, and
 * the exact commands a person runs to act (approve or deny a proposal, retry, diagnose, snooze, take,
 * or run the runbook's SSM document by hand).
 */

/**
 * What a page may say beyond the incident: the table the operator commands name (`--table`), and the
 * runbook's SSM document, so that a person can run the runbook by hand. Each is optional: a page
 * without them leaves the flag or the command out.
 */
export interface PageContext {
  readonly tableName?: string;
  /**
   * The operator function (the stack output OperatorFunctionName): the commands that act (approve,
   * retry, pause…) name it with `--function`, since they exist only through it; the commands that
   * read (status, incidents) name the table.
   */
  readonly operatorFunction?: string;
  readonly documentName?: string;
  readonly documentVersion?: string;
}

/**
 * Ours, not documented: how many next steps a page sends. The chat app documents each step's length
 * (350), not their number; twelve keeps a list that is read at a glance.
 */
export const PAGE_NEXT_STEPS = 12;
/** Ours: a step of the runbook's notes aims at this length, so that the list reads as steps, not a paragraph. */
const NOTE_STEP_TARGET = 240;

/** The step that stands for the notes that did not fit in the list (they are on the page). */
export const MORE_NOTES = "More of the runbook's notes are on the page, under What to look at next.";

/** One next step: words, and the exact command that does it, when there is one. */
export interface NextStep {
  readonly text: string;
  readonly command?: string;
}

/** `restart (service="app")`: the action and its exact parameters. */
export function proposed(p: {
  readonly action: string;
  readonly parameters: Readonly<Record<string, string>>;
}): string {
  const shown = Object.entries(p.parameters)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ');
  return shown ? `${p.action} (${shown})` : p.action;
}

/** The values a runbook's notes may name as `<placeholder>`: the parameters, the instance, the alarm. */
export function noteValues(
  incident: Incident,
  proposal: Proposal | undefined,
): Readonly<Record<string, string>> {
  const last = incident.attempts.at(-1);
  const parameters = {
    ...(incident.parameters ?? {}),
    ...(last?.parameters ?? {}),
    ...(proposal?.parameters ?? {}),
  };
  const instance = incident.instanceId;
  return {
    // The alarm's dimensions (`exe`, `path`), below the parameters, which may read the same names.
    ...(incident.alarm.dimensions ?? {}),
    ...(instance ? { instance, 'instance-id': instance, instanceId: instance, instance_id: instance } : {}),
    ...(incident.instance?.name ? { 'instance-name': incident.instance.name } : {}),
    alarm: incident.alarm.name,
    'alarm-name': incident.alarm.name,
    region: incident.alarm.region,
    account: incident.alarm.account,
    incident: incident.id,
    'incident-id': incident.id,
    runbook: incident.key.runbook,
    ...parameters,
  };
}

/**
 * A runbook's notes as short steps: split into sentences, each `<placeholder>` or `{{placeholder}}`
 * the incident knows filled in (a parameter, an alarm dimension, the instance, the alarm; quoted
 * when not plain), short sentences of a line packed together (a line break always starts a step),
 * long ones split at `;`, `:`, `,` or spaces; no step longer than the chat allows, nothing left out.
 */
export function noteSteps(notes: string, values: Readonly<Record<string, string>> = {}): string[] {
  const max = CHAT_LIMITS.nextStep;
  const filled = notes.replace(
    /<([A-Za-z][A-Za-z0-9_-]{0,40})>|\{\{\s*([A-Za-z][A-Za-z0-9_-]{0,40})\s*\}\}/g,
    (whole, angled: string | undefined, braced: string | undefined) => {
      const name = angled ?? braced ?? '';
      const value = Object.hasOwn(values, name) ? values[name] : undefined;
      return value === undefined ? whole : noteValue(value);
    },
  );
  // A line break is the author's own step boundary: sentences are packed within a line, never across.
  const paragraphs = filled
    .split(/\n+/)
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter(Boolean);
  const steps: string[] = [];
  for (const paragraph of paragraphs) {
    const sentences = paragraph.split(/(?<=[.!?])\s+(?=[A-Z(`"'])/).flatMap((s) => splitLong(s, max));
    let first = true;
    for (const sentence of sentences) {
      const last = steps.at(-1);
      if (!first && last !== undefined && last.length + 1 + sentence.length <= NOTE_STEP_TARGET) {
        steps[steps.length - 1] = `${last} ${sentence}`;
      } else {
        steps.push(sentence);
      }
      first = false;
    }
  }
  return steps;
}

/** A value in a note: as it is when it is plainly a word or a path, else quoted (it may come from an alarm). */
function noteValue(value: string): string {
  return /^[A-Za-z0-9_.:@/+=,-]{1,100}$/.test(value) ? value : quoteUntrusted(value, 100);
}

/**
 * A sentence longer than `max`, split at `; ` boundaries, then `: `, then `, `, then spaces, each
 * piece as long as it can be; nothing is lost, and only a single word longer than `max` is cut.
 */
function splitLong(
  sentence: string,
  max: number,
  marks: readonly string[] = ['; ', ': ', ', ', ' '],
): string[] {
  if (sentence.length <= max) return [sentence];
  const [mark, ...finer] = marks;
  if (mark === undefined) return [clipChars(sentence, max)];
  const clauses = sentence.split(mark);
  if (clauses.length < 2) return splitLong(sentence, max, finer);
  const out: string[] = [];
  for (const [i, clause] of clauses.entries()) {
    const piece = i < clauses.length - 1 ? `${clause}${mark.trimEnd()}` : clause;
    for (const part of splitLong(piece, max, finer)) {
      const last = out.at(-1);
      if (last !== undefined && last.length + 1 + part.length <= max) out[out.length - 1] = `${last} ${part}`;
      else out.push(part);
    }
  }
  return out;
}

/**
 * The steps, most urgent first. A proposal: approve or deny it, then the notes, then when it expires.
 * An escalation: the notes, then the commands (retry, diagnose, snooze an hour, take it over, run the
 * document by hand), then that the OK comes to the thread. The notes take what room the commands
 * leave; those that do not fit are returned as `moreNotes`.
 */
export function nextSteps(
  kind: PageKind,
  incident: Incident,
  runbook: Runbook | undefined,
  proposal: Proposal | undefined,
  notes: readonly string[],
  pageContext: PageContext,
): { steps: NextStep[]; moreNotes: string[] } {
  if (kind === 'resolution')
    return {
      steps: [{ text: 'Close the page for this incident if your pager has not closed it already.' }],
      moreNotes: [],
    };
  const id = incident.id;
  const cli = (verb: string, ...args: string[]) => remediateCommand(verb, args, pageContext);
  const before: NextStep[] = proposal
    ? [
        {
          text: `Approve: runs ${proposed(proposal)} on ${proposal.instanceId} once, if the gates still allow it`,
          command: cli('approve', id, '--proposal', proposal.id),
        },
        {
          text: 'Deny: nothing runs, and you hold the incident',
          command: cli('deny', id, '--proposal', proposal.id),
        },
      ]
    : [];
  const after: NextStep[] = proposal
    ? [
        {
          text: `Unanswered by ${iso(proposal.expiresAt)}, the proposal expires: nothing runs, and a human is paged. The OK lands in this thread.`,
        },
      ]
    : [
        // Paged at the page-by deadline while a command runs: nothing else can run until it ends.
        ...(incident.status === 'remediating'
          ? []
          : [
              { text: 'Retry now, through the gates', command: cli('retry', id) },
              ...(runbook?.diagnose
                ? [{ text: 'Diagnose again', command: cli('run', id, DIAGNOSE_ACTION) }]
                : []),
            ]),
        {
          text: 'Snooze automation for an hour (it pages again if still in ALARM)',
          command: cli('snooze', id, '1h'),
        },
        { text: 'Take it over (automation stands down; the OK still closes it)', command: cli('take', id) },
        ...byHand(incident, runbook, pageContext),
        {
          text: `Incident ${id} stays open until the alarm returns to OK; the OK lands in this thread.`,
        },
      ];
  const room = Math.max(0, PAGE_NEXT_STEPS - before.length - after.length);
  const fits = notes.length <= room;
  const shown = fits ? notes : notes.slice(0, Math.max(0, room - 1));
  const fromNotes: NextStep[] = [...shown.map((text) => ({ text })), ...(fits ? [] : [{ text: MORE_NOTES }])];
  return {
    steps: [...before, ...fromNotes, ...after].slice(0, PAGE_NEXT_STEPS),
    moreNotes: fits ? [] : notes.slice(shown.length),
  };
}

/** The CLI's commands that act through the operator function (cli/operator-client.ts). */
export const OPERATOR_VERBS: ReadonlySet<string> = new Set(OPERATOR_COMMANDS);

/**
 * `npx remediate <verb> <args> --function <operator function>` for a command that acts, `… --table
 * <table>` for one that reads (or when the function is not known), each word quoted for a POSIX shell
 * when it needs it: the command works as printed.
 */
export function remediateCommand(
  verb: string,
  args: readonly string[],
  pageContext: PageContext = {},
): string {
  const target =
    OPERATOR_VERBS.has(verb) && pageContext.operatorFunction
      ? ['--function', shellWord(pageContext.operatorFunction)]
      : pageContext.tableName
        ? ['--table', shellWord(pageContext.tableName)]
        : [];
  return ['npx remediate', verb, ...args.map(shellWord), ...target].join(' ');
}

/**
 * The runbook's SSM document, run by hand on the instance with the action and parameters automation
 * would use (the proposal's, or the last attempt's): `aws ssm send-command ...`. Only when the page
 * knows the document and the instance.
 */
function byHand(incident: Incident, runbook: Runbook | undefined, pageContext: PageContext): NextStep[] {
  const document = pageContext.documentName;
  const instance = incident.instanceId;
  if (!document || !instance) return [];
  const last = incident.attempts.filter((a) => a.action && a.action !== DIAGNOSE_ACTION).at(-1);
  const action = last?.action ?? runbook?.actions[0]?.name;
  if (!action) return [];
  const parameters = { action, ...(incident.parameters ?? {}), ...(last?.parameters ?? {}) };
  const json = JSON.stringify(Object.fromEntries(Object.entries(parameters).map(([k, v]) => [k, [v]])));
  const command = [
    'aws ssm send-command',
    '--document-name',
    shellWord(document),
    ...(pageContext.documentVersion ? ['--document-version', shellWord(pageContext.documentVersion)] : []),
    '--instance-ids',
    shellWord(instance),
    '--parameters',
    shellWord(json),
    '--region',
    shellWord(incident.alarm.region),
  ].join(' ');
  return [{ text: `Or run ${action} by hand with the runbook's document`, command }];
}

/** A word for a POSIX shell: as it is when it is plainly a word, else in single quotes. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9._:/@%+=,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
