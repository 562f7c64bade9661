import { backoffSeconds } from './backoff.ts';
import { UNREADABLE_RETRIES, UNREADABLE_RETRY_SECONDS } from './lifecycle/table.ts';
import { DEFAULT_PAGE_WITHIN_SECONDS, type Runbook } from './runbook.ts';
import { DISPATCH_CHECK_SECONDS, RECONCILE_MARGIN_SECONDS } from './transitions.ts';

/** The settings of a runbook that decide how long automation can keep a fault from a human. */
export type TimeToPageSettings = Pick<
  Runbook,
  | 'maxAttempts'
  | 'backoff'
  | 'verifyWindowSeconds'
  | 'executionTimeoutSeconds'
  | 'deliveryTimeoutSeconds'
  | 'diagnose'
>;

/** One part of the worst case, in the order the decider goes through them. */
export interface TimeToPageTerm {
  readonly what: string;
  readonly seconds: number;
}

/** The worst case, and what it is made of: `seconds` is the sum of the terms' seconds. */
export interface TimeToPage {
  readonly seconds: number;
  readonly terms: readonly TimeToPageTerm[];
}

/**
 * The longest the decider can take, by its own rules, from an incident's opening (the alarm) to the
 * page, when every attempt fails in the slowest way: each command ends only at the last moment the
 * decider would wait for it, each remedy that succeeded leaves the alarm in ALARM to the end of its
 * verify window, and each backoff draws its longest wait. Pure: the runbook's settings and the
 * decider's constants, nothing else.
 *
 * - A command is declared lost `deliveryTimeoutSeconds + executionTimeoutSeconds +
 *   RECONCILE_MARGIN_SECONDS` after its request (`reconcileCommand`), and a result that comes at that
 *   check is still taken. A command whose acceptance was never recorded (the `command-sent` input
 *   lost) is found by the dispatch check, `DISPATCH_CHECK_SECONDS` after the request, and checked
 *   again execution + margin after that (`checkCommandLater`): with a delivery timeout shorter than
 *   the dispatch check, the dispatch check sets the command's wait. So a remedy's command takes up
 *   to max(delivery, dispatch check) + execution + margin.
 * - The first attempt's diagnose command (a runbook with `diagnose`) comes before its remedy. The
 *   attempt's hold on the instance was sized for a diagnosis that ends by delivery + execution +
 *   margin (`holdSeconds`): one that ends later withdraws the remedy (`finishDiagnosis`), and the
 *   attempt fails sooner than by running it. So the diagnosis adds delivery + execution + margin (the
 *   handlers read the fleet's facts before every decision that can start a command, so the hold is
 *   always taken).
 * - A remedy that succeeded is then verified: the verify window (`verifyDeadline`), after which an
 *   alarm still in ALARM fails the attempt (a probe that reads "still broken" fails it at once, which
 *   is faster, and is not the worst case).
 * - Before attempt n (n >= 2), the backoff waits at most min(cap, base * 2^(n - 2)) (`backoffSeconds`).
 * - The page follows the last attempt's failure at once (`afterFailure`).
 *
 * Left out, each on purpose:
 * - Waits at the gates (the instance's lease and the runbook's slots, up to
 *   `concurrency.maxWaitSeconds`; an instance's settle time) and approve mode's proposals: they are
 *   not the runbook's own work but other incidents', or a person's. The incident's page-by deadline
 *   caps them: every incident neither fixed nor paged pages `pageWithinSeconds` after it opened,
 *   whatever attempt it is on.
 * - The retries of an alarm state that cannot be read at the end of a verify window
 *   (UNREADABLE_RETRIES more looks, UNREADABLE_RETRY_SECONDS apart: up to
 *   {@link unreadableRetryAllowanceSeconds} per attempt). They are not always a page of their own:
 *   an alarm that reads ALARM on a retry fails the attempt and the next one follows, and on the last
 *   attempt they delay the page itself. But they happen only when CloudWatch cannot say the alarm's
 *   state (DescribeAlarms fails, or the alarm has no data), which no setting of the runbook causes or
 *   shortens, and counting them for every attempt would spend a fifth of the default budget on an
 *   outage; the page-by deadline bounds them instead (except after a probe that read healthy, when
 *   the fault is taken as fixed and only the alarm's confirmation is awaited).
 * - Timers that fire late and looks at SSM that fail (the timer queue retries them): the page-by
 *   deadline bounds them too.
 * - The page's own delivery (SNS, and sending again a page SNS did not confirm).
 */
export function worstCaseTimeToPage(runbook: TimeToPageSettings): TimeToPage {
  const terms: TimeToPageTerm[] = [];
  if (runbook.diagnose !== undefined) {
    terms.push({
      what: `attempt 1: diagnose command (delivery ${runbook.deliveryTimeoutSeconds}s + execution ${runbook.executionTimeoutSeconds}s + margin ${RECONCILE_MARGIN_SECONDS}s)`,
      seconds: diagnoseSeconds(runbook),
    });
  }
  for (let attempt = 1; attempt <= runbook.maxAttempts; attempt++) {
    if (attempt >= 2)
      terms.push({
        what: `backoff before attempt ${attempt} (its longest draw)`,
        seconds: longestBackoffSeconds(runbook, attempt),
      });
    const delivery =
      runbook.deliveryTimeoutSeconds >= DISPATCH_CHECK_SECONDS
        ? `delivery ${runbook.deliveryTimeoutSeconds}s`
        : `dispatch check ${DISPATCH_CHECK_SECONDS}s`;
    terms.push({
      what: `attempt ${attempt}: command (${delivery} + execution ${runbook.executionTimeoutSeconds}s + margin ${RECONCILE_MARGIN_SECONDS}s)`,
      seconds: remedyCommandSeconds(runbook),
    });
    terms.push({
      what: `attempt ${attempt}: verify window (the remedy succeeded, the alarm stays in ALARM)`,
      seconds: runbook.verifyWindowSeconds,
    });
  }
  return { seconds: terms.reduce((sum, term) => sum + term.seconds, 0), terms };
}

/**
 * What the unreadable-state retries could add to an attempt at most, were CloudWatch unable to say
 * the alarm's state: left out of {@link worstCaseTimeToPage}, which says why.
 */
export function unreadableRetryAllowanceSeconds(): number {
  // A function, not a constant: this module and the lifecycle table import each other through the
  // runbook's validation, and a constant would read the table's before it is initialised.
  return UNREADABLE_RETRIES * UNREADABLE_RETRY_SECONDS;
}

/** A remedy's command, from its request to its result or its loss, at worst. */
export function remedyCommandSeconds(
  runbook: Pick<TimeToPageSettings, 'deliveryTimeoutSeconds' | 'executionTimeoutSeconds'>,
): number {
  return (
    Math.max(runbook.deliveryTimeoutSeconds, DISPATCH_CHECK_SECONDS) +
    runbook.executionTimeoutSeconds +
    RECONCILE_MARGIN_SECONDS
  );
}

/** The first attempt's diagnose command, at worst, when a remedy still follows it. */
function diagnoseSeconds(
  runbook: Pick<TimeToPageSettings, 'deliveryTimeoutSeconds' | 'executionTimeoutSeconds'>,
): number {
  return runbook.deliveryTimeoutSeconds + runbook.executionTimeoutSeconds + RECONCILE_MARGIN_SECONDS;
}

/** The longest wait the backoff can draw before `attempt` (2, 3, ...): the decider's own function, at its top. */
function longestBackoffSeconds(runbook: Pick<TimeToPageSettings, 'backoff'>, attempt: number): number {
  return backoffSeconds(runbook.backoff, attempt, 1);
}

/** The range of `pageWithin.seconds`: a minute to an hour. */
export const PAGE_WITHIN_MIN_SECONDS = 60;
export const PAGE_WITHIN_MAX_SECONDS = 3600;

/**
 * Why a runbook's settings do not fit its budget of time to a human, for the person who wrote them:
 * the worst case against the budget, its parts largest first (grouped by the setting each comes
 * from), and what to change. Undefined when the worst case fits.
 */
export function budgetRefusal(runbook: TimeToPageSettings, budgetSeconds: number): string | undefined {
  const worst = worstCaseTimeToPage(runbook).seconds;
  if (worst <= budgetSeconds) return undefined;
  const attempts = runbook.maxAttempts;
  const { deliveryTimeoutSeconds: delivery, executionTimeoutSeconds: execution } = runbook;
  const command = remedyCommandSeconds(runbook);
  const commandParts =
    delivery >= DISPATCH_CHECK_SECONDS
      ? `deliveryTimeoutSeconds ${delivery} + executionTimeoutSeconds ${execution} + ${RECONCILE_MARGIN_SECONDS}s margin`
      : `the ${DISPATCH_CHECK_SECONDS}s dispatch check, which deliveryTimeoutSeconds ${delivery} does not shorten, + executionTimeoutSeconds ${execution} + ${RECONCILE_MARGIN_SECONDS}s margin`;
  let backoff = 0;
  for (let attempt = 2; attempt <= attempts; attempt++) backoff += longestBackoffSeconds(runbook, attempt);
  const parts: TimeToPageTerm[] = [
    {
      what: `${attempts === 1 ? 'the command' : `${attempts} commands`} of ${minutesAndSeconds(command)}${attempts === 1 ? '' : ' each'} (${commandParts})`,
      seconds: attempts * command,
    },
    {
      what: `${attempts === 1 ? 'the verify window' : `${attempts} verify windows of ${minutesAndSeconds(runbook.verifyWindowSeconds)}`} (verifyWindowSeconds ${runbook.verifyWindowSeconds})`,
      seconds: attempts * runbook.verifyWindowSeconds,
    },
    ...(runbook.diagnose === undefined
      ? []
      : [
          {
            what: `the diagnose command (deliveryTimeoutSeconds ${delivery} + executionTimeoutSeconds ${execution} + ${RECONCILE_MARGIN_SECONDS}s margin)`,
            seconds: diagnoseSeconds(runbook),
          },
        ]),
    ...(attempts === 1
      ? []
      : [
          {
            what: `the longest backoff before attempt${attempts === 2 ? ' 2' : `s 2 to ${attempts}`} (backoff: baseSeconds ${runbook.backoff.baseSeconds}, capSeconds ${runbook.backoff.capSeconds})`,
            seconds: backoff,
          },
        ]),
  ].sort((a, b) => b.seconds - a.seconds);
  const width = Math.max(...parts.map((part) => minutesAndSeconds(part.seconds).length));
  const lines = parts.map((part) => `      ${minutesAndSeconds(part.seconds).padStart(width)}  ${part.what}`);
  const budget =
    budgetSeconds === DEFAULT_PAGE_WITHIN_SECONDS ? 'the default' : `pageWithin.seconds ${budgetSeconds}`;
  return [
    `time to a human: ${minutesAndSeconds(worst)} at worst from the alarm to the page, over its budget of ${minutesAndSeconds(budgetSeconds)} (${budget}).`,
    '    Every attempt failing the slowest way, the largest parts first:',
    ...lines,
    ...wrapped(lowerAdvice(runbook, budgetSeconds), '    '),
    worst > PAGE_WITHIN_MAX_SECONDS
      ? `    No budget holds ${minutesAndSeconds(worst)}: pageWithin.seconds is at most ${PAGE_WITHIN_MAX_SECONDS}.`
      : `    Or, if a human may wait that long, say why: pageWithin: { seconds: ${worst}, reason: '…' }.`,
  ].join('\n');
}

/** What to lower: the settings whose lowering shortens the worst case, with what bounds them. */
function lowerAdvice(runbook: TimeToPageSettings, budgetSeconds: number): string {
  const settings: string[] = [];
  if (runbook.verifyWindowSeconds > 60)
    settings.push(`verifyWindowSeconds (it must still cover the alarm's return to OK)`);
  if (runbook.executionTimeoutSeconds > 30)
    settings.push(`executionTimeoutSeconds (it must still cover the scripts)`);
  if (
    runbook.deliveryTimeoutSeconds > 30 &&
    (runbook.deliveryTimeoutSeconds > DISPATCH_CHECK_SECONDS || runbook.diagnose !== undefined)
  )
    settings.push('deliveryTimeoutSeconds');
  if (runbook.maxAttempts > 1) {
    let fits = 0;
    for (let attempts = runbook.maxAttempts - 1; attempts >= 1 && fits === 0; attempts--)
      if (worstCaseTimeToPage({ ...runbook, maxAttempts: attempts }).seconds <= budgetSeconds)
        fits = attempts;
    settings.push(
      fits > 0
        ? `maxAttempts (${fits} fit${fits === 1 ? 's' : ''} with these timeouts)`
        : 'maxAttempts (even one attempt does not fit these timeouts)',
    );
  }
  let backoff = 0;
  for (let attempt = 2; attempt <= runbook.maxAttempts; attempt++)
    backoff += longestBackoffSeconds(runbook, attempt);
  if (backoff > runbook.maxAttempts - 1) settings.push('backoff.capSeconds');
  if (settings.length === 0) return 'Every setting that counts is at its least.';
  return `Lower ${settings.length === 1 ? settings[0] : `${settings.slice(0, -1).join(', ')} or ${settings.at(-1)}`}.`;
}

/** A paragraph as lines of at most 100 characters, each after `indent`, for a terminal. */
function wrapped(text: string, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && indent.length + line.length + 1 + word.length > 100) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines;
}

/** A duration as a person reads it: `12m 40s`, `15m`, `45s`. */
export function minutesAndSeconds(seconds: number): string {
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  const rest = whole % 60;
  if (minutes === 0) return `${rest}s`;
  return rest === 0 ? `${minutes}m` : `${minutes}m ${rest}s`;
}
