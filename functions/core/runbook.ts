import type { AttemptStatus } from './incident.ts';
import { type ResolvedAlarm, type RunbookAlarm, resolveAlarm } from './runbook-alarm.ts';
import { validateRunbook } from './runbook-validation.ts';

/**
 * A runbook as its author writes it: which alarms it answers, the shell scripts an operator would
 * run by hand (files beside the definition), and how hard to try. `defineRunbook` validates it and
 * returns the {@link Runbook} the system uses.
 */
export interface RunbookDefinition {
  /** Unique, lower-case kebab-case, at most 40 characters: it names the SSM document and the incident. */
  readonly name: string;
  /** One sentence for humans: what the runbook fixes. */
  readonly description: string;
  /** Team or person that owns the runbook; shown in escalations. */
  readonly owner: string;
  /**
   * How a person reaches the owner at 3 a.m.: a chat channel, a pager schedule, an address. Shown on
   * every page beside the owner.
   */
  readonly contact?: string;
  /** Which alarms this runbook answers. At least one name pattern or metric is required. */
  readonly match: RunbookMatch;
  /**
   * The runbooks this one answers before, when both could answer the same alarm (a precise runbook
   * over a broad one), and why. Two runbooks that can answer one alarm are otherwise an error: the
   * order of folders must never decide what runs.
   * @default - none
   */
  readonly precedence?: { readonly over: readonly string[]; readonly reason: string };
  /**
   * The production alarm this runbook answers: the stack provisions it for the fleet (one fleet
   * alarm, or one per instance), the proof and the game day evaluate it. A runbook with an alarm
   * also answers the alarms named `<name>-*` (the names the stack gives them).
   * @default - none: bring your own alarms (the construct's alarm mode `none`)
   */
  readonly alarm?: RunbookAlarm;
  /** The remediation script (a `.sh` file in the runbook's folder), for a runbook with one action. */
  readonly remediate?: string;
  /**
   * An escalation ladder: actions tried in order, one per attempt; the last repeats if attempts
   * remain. Give `remediate` or `actions`, not both.
   */
  readonly actions?: readonly RunbookAction[];
  /** A script that gathers evidence (read-only) before the first remediation. */
  readonly diagnose?: string;
  /**
   * Values a script may read, each as the environment variable `SSM_<name>`, never as script text.
   * Every value is checked against its `allowedPattern` before a command is sent, and again by SSM.
   */
  readonly parameters?: Readonly<Record<string, RunbookParameter>>;
  /**
   * Picks the action (and parameters) of the next attempt from the alarm and the incident's history;
   * without it, the ladder decides. Pure: it runs inside the decider, with no I/O.
   */
  readonly choose?: (context: ChooseContext) => Choice;
  /** Attempts before a human is paged, 1 to 10. */
  readonly maxAttempts: number;
  /** Exponential backoff with full jitter between attempts. */
  readonly backoff: BackoffPolicy;
  /** How long the same alarm has to return to OK after a successful command, in seconds. */
  readonly verifyWindowSeconds: number;
  /**
   * How the remedy's work is checked on the instance, at once: the probe (read-only and fast: it
   * prints the alarm's metric on its last line) runs right after a remedy that succeeded, in the same
   * command, and the decider reads its value against the alarm's condition. "Still broken" fails the
   * attempt at once; "healthy" marks it fixed, and the alarm's OK confirms. Required in enforce mode.
   * @default - the proof's probe, run at once and given 20 seconds
   */
  readonly verify?: RunbookVerify;
  /**
   * The most automation may delay a human: an incident neither fixed nor paged this long after its
   * alarm pages, whatever attempt it is on; `runbooks validate` refuses settings whose worst case
   * (attempts, timeouts, windows, backoff) exceeds it. Raise it only with a reason.
   * @default - 900 seconds ({@link DEFAULT_PAGE_WITHIN_SECONDS})
   */
  readonly pageWithin?: { readonly seconds: number; readonly reason: string };
  /** SSM `executionTimeout` for the script, in seconds (30 to 3,600). */
  readonly executionTimeoutSeconds: number;
  /** SSM `TimeoutSeconds`: how long the command may wait to be delivered to the agent (30 to 3,600). */
  readonly deliveryTimeoutSeconds: number;
  /** The same alarm again within this many seconds after a remediation counts as flapping. @default 1800 */
  readonly cooldownSeconds?: number;
  /** Limits across the fleet. @default { maxInFlight: 10, maxPerHour: 60, maxWaitSeconds: 900 } */
  readonly concurrency?: ConcurrencyLimits;
  /**
   * The fleet circuit breaker: when too many instances raise this runbook's alarms at once, the cause
   * is shared (a bad deploy, a full shared volume) and per-instance remedies would only add load.
   * `false` turns it off, for runbooks whose alarms are expected fleet-wide.
   * @default { maxInstances: 5, maxPercent: 50, windowSeconds: 600, quietSeconds: 1800 }
   */
  readonly breaker?: BreakerPolicy | false;
  /**
   * Switches the runbook to dry-run, and pages, when too few of its recent runs were verified.
   * `false` turns it off. @default { lastRuns: 10, minSuccessRate: 0.5 }
   */
  readonly autoDisable?: AutoDisablePolicy | false;
  /**
   * `enforce`: act. `approve`: decide with every gate, then page a proposal (the exact action,
   * parameters and instance) that runs only when a person approves it, once, before it expires.
   * `dry-run`: decide and record everything, run nothing. @default 'enforce'
   */
  readonly mode?: RunbookMode;
  /** How long a proposal of approve mode waits for an answer before it expires and pages. @default 1800 */
  readonly approveWithinSeconds?: number;
  /** What a human should look at when the runbook could not fix it; travels with every escalation. */
  readonly notes?: string;
  /** A link for humans (wiki page, dashboard). */
  readonly link?: string;
  /** How the runbook proves, on a sandboxed instance, that it fixes what its alarm describes. */
  readonly proof?: RunbookProof;
}

/**
 * A runbook's proof: break a sandbox the way the alarm describes, measure the alarm's metric there,
 * remediate, measure again. The proof holds when the fault breaches the condition of the runbook's
 * declared `alarm` and the remediation brings the metric back.
 */
export interface RunbookProof {
  /** Breaks the sandbox (a `.sh` file in the runbook's folder). */
  readonly fault: string;
  /** Measures the alarm's metric: the last line of its output is one number. */
  readonly probe: string;
  /**
   * The threshold the sandbox is judged by, when it cannot be the production one (the proof shares
   * CPU cores with other work, say); the comparison is always the runbook's `alarm`'s. Say why.
   * @default - the runbook's alarm threshold
   */
  readonly sandboxThreshold?: { readonly value: number; readonly reason: string };
  /**
   * The condition, for a runbook that declares no `alarm` (its alarms are the team's own, say metric
   * math over two metrics). A runbook with an `alarm` is judged by it, one source.
   */
  readonly alarm?: { readonly comparison: ComparisonOperator; readonly threshold: number };
  /** Parameter values the alarm would supply in the proof run. */
  readonly parameters?: Readonly<Record<string, string>>;
  /** Tags of the proof's sandboxed instance: the allow-lists its parameters need (`allowedByInstanceTag`). */
  readonly instanceTags?: Readonly<Record<string, string>>;
  /**
   * The dimensions and tags the proof's alarm carries: what `choose` sees of the alarm before each
   * attempt, as it would see a real one. The InstanceId dimension is the proof instance's unless given
   * here; the alarm's name is the one the stack gives the runbook's alarm on that instance.
   * @default - no tags, and no dimension but InstanceId
   */
  readonly alarmValues?: {
    readonly dimensions?: Readonly<Record<string, string>>;
    readonly tags?: Readonly<Record<string, string>>;
  };
  /**
   * The whole proof's budget in the sandbox, in seconds (a whole number from 10 to 3,600): the fault,
   * every probe, the diagnosis and every attempt. When it runs out, the running step is stopped and
   * the proof does not hold.
   * @default 300 ({@link DEFAULT_PROOF_TIMEOUT_SECONDS})
   */
  readonly timeoutSeconds?: number;
}

/** How a remedy's work is checked right after it, in the same command: see {@link RunbookDefinition.verify}. */
export interface RunbookVerify {
  /** The probe, a `.sh` file in the runbook's folder. @default - the proof's probe */
  readonly probe?: string;
  /** Seconds to wait after the remedy before probing (a service that starts, then dies), 0 to 300. @default 0 */
  readonly settleSeconds?: number;
  /** The most the probe may run, in seconds (1 to 120); past it the reading is unreadable. @default 20 */
  readonly timeoutSeconds?: number;
}

/** The verification a runbook runs, every default applied. */
export interface ResolvedVerify {
  readonly probe: string;
  readonly settleSeconds: number;
  readonly timeoutSeconds: number;
}

export const DEFAULT_PROBE_TIMEOUT_SECONDS = 20;

/** The default budget of time to a human: fifteen minutes from the alarm to a page, at worst. */
export const DEFAULT_PAGE_WITHIN_SECONDS = 900;

/** How long a proof may take in its sandbox when it does not say: five minutes. */
export const DEFAULT_PROOF_TIMEOUT_SECONDS = 300;

/** CloudWatch's threshold comparisons. */
export type ComparisonOperator =
  | 'GreaterThanThreshold'
  | 'GreaterThanOrEqualToThreshold'
  | 'LessThanThreshold'
  | 'LessThanOrEqualToThreshold';

/** Whether a value breaches a threshold under a CloudWatch comparison. */
export function breaches(value: number, comparison: ComparisonOperator, threshold: number): boolean {
  switch (comparison) {
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
  }
}

/** A validated runbook: every default applied, the ladder always explicit. */
export interface Runbook
  extends Omit<
    RunbookDefinition,
    | 'remediate'
    | 'actions'
    | 'cooldownSeconds'
    | 'concurrency'
    | 'mode'
    | 'breaker'
    | 'autoDisable'
    | 'alarm'
    | 'verify'
  > {
  /** The probe run right after a remedy, when the runbook has one (its own or its proof's). */
  readonly verify?: ResolvedVerify;
  /**
   * The budget of time to a human, in seconds (see {@link RunbookDefinition.pageWithin}). Derived
   * from `pageWithin`, and not enumerable: a runbook spread into a new definition stays a valid one.
   */
  readonly pageWithinSeconds: number;
  /** Why the budget is not the default, when it is not (derived, like `pageWithinSeconds`). */
  readonly pageWithinReason?: string;
  /** The declared production alarm, every default applied. */
  readonly alarm?: ResolvedAlarm;
  readonly actions: readonly RunbookAction[];
  readonly parameters: Readonly<Record<string, RunbookParameter>>;
  readonly cooldownSeconds: number;
  readonly concurrency: Required<ConcurrencyLimits>;
  readonly breaker: BreakerPolicy | false;
  readonly autoDisable: AutoDisablePolicy | false;
  readonly mode: RunbookMode;
  readonly approveWithinSeconds: number;
}

/** How far a runbook acts on its own: see {@link RunbookDefinition.mode}. */
export type RunbookMode = 'enforce' | 'approve' | 'dry-run';

export const RUNBOOK_MODES: readonly RunbookMode[] = ['enforce', 'approve', 'dry-run'];

/** A proposal's default lifetime: 30 minutes. */
export const DEFAULT_APPROVE_WITHIN_SECONDS = 1800;

/** One rung of the ladder. */
export interface RunbookAction {
  /** Lower-case kebab-case, unique in the runbook (`diagnose` is reserved). */
  readonly name: string;
  /** The script, a `.sh` file in the runbook's folder. */
  readonly script: string;
  /** Fixed parameter values for this action, over the runbook's. */
  readonly parameters?: Readonly<Record<string, string>>;
}

/**
 * A document parameter. Whoever can create an alarm, or set one to ALARM, chooses what the alarm
 * carries: a value from the alarm is checked against every restriction declared here before any
 * command is sent, and a value one of them refuses pages a human and runs nothing.
 */
export interface RunbookParameter {
  readonly description: string;
  /** An anchored regular expression (`^…$`) that every value must match; it must refuse shell metacharacters. */
  readonly allowedPattern: string;
  readonly default?: string;
  /** Take the value from the alarm: a dimension of the metric it reads, or one of its tags. */
  readonly fromAlarm?: { readonly dimension: string } | { readonly tag: string };
  /**
   * The only values the parameter may take, declared by the runbook (compared exactly). For a `list`
   * parameter, every item must be one of them.
   * @default - any value the other restrictions allow
   */
  readonly allowedValues?: readonly string[];
  /**
   * The key of an instance tag that lists, separated by `:` or `,`, the values automation may use on
   * that instance (for example `AutoRemediation:services` = `nginx:php-fpm`), compared exactly. An
   * instance without the tag allows none. For a `list` parameter, every item must be listed, and when
   * neither the alarm nor a default gives a value, the parameter takes the instance's whole list.
   * @default - no instance allow-list
   */
  readonly allowedByInstanceTag?: string;
  /**
   * The value is a list of items separated by `:`; `allowedValues` and `allowedByInstanceTag` check
   * each item, so that the alarm can narrow what is allowed but never widen it.
   * @default false
   */
  readonly list?: boolean;
  /**
   * A check of the runbook's own, after the pattern: returns why a value (for a `list`, an item) is
   * refused, or undefined when it is not. Pure and quick, like `choose` (the restart runbooks refuse
   * systemd's special units and the services the instance cannot do without).
   */
  readonly refuse?: (value: string) => string | undefined;
}

/** What `choose` sees. Everything from the alarm is untrusted data. */
export interface ChooseContext {
  /** The attempt about to start (1-based). */
  readonly attempt: number;
  readonly alarm: {
    readonly name: string;
    readonly dimensions: Readonly<Record<string, string>>;
    readonly tags: Readonly<Record<string, string>>;
  };
  /** The parameter values resolved from the alarm and the defaults. */
  readonly parameters: Readonly<Record<string, string>>;
  /** The attempts so far, oldest first. */
  readonly history: readonly {
    readonly action: string;
    readonly status: AttemptStatus;
    readonly exitCode?: number;
    readonly verification?: 'pending' | 'passed' | 'failed';
  }[];
}

/** `choose`'s answer: run an action, or hand over to a human now. */
export type Choice =
  | { readonly action: string; readonly parameters?: Readonly<Record<string, string>> }
  | { readonly escalate: string };

/**
 * Alarm matchers; an alarm is answered when a name pattern or a metric matches, every listed tag does,
 * and no metric it reads contradicts the dimension values a metric matcher requires.
 */
export interface RunbookMatch {
  /** Alarm names, exact or with `*` as a wildcard (`disk-full-*`, `*-root-volume`). */
  readonly alarmNames?: readonly string[];
  /** Metrics the alarm watches, by namespace and metric name (for example `CWAgent` / `disk_used_percent`). */
  readonly metrics?: readonly MetricMatch[];
  /** Tags the alarm must carry, with these values (requires alarm tag propagation to EventBridge). */
  readonly alarmTags?: Readonly<Record<string, string>>;
}

/** A metric by namespace and name, and optionally the values of some of its dimensions. */
export interface MetricMatch {
  readonly namespace: string;
  readonly metricName: string;
  /**
   * Dimension values the metric must carry (for example `{ path: '/' }`). They also restrict the name
   * patterns: an alarm that reads this metric with other values for them is not answered, whatever its name.
   * @default - any dimensions
   */
  readonly dimensions?: Readonly<Record<string, string>>;
}

/** Exponential backoff with full jitter: the n-th wait is uniform in [0, min(cap, base * 2^(n-1))]. */
export interface BackoffPolicy {
  readonly baseSeconds: number;
  readonly capSeconds: number;
}

/** Fleet-wide limits of one runbook. */
export interface ConcurrencyLimits {
  /** Commands of this runbook in flight at once, across the fleet. */
  readonly maxInFlight: number;
  /** Commands of this runbook started per clock hour (UTC), across the fleet. */
  readonly maxPerHour: number;
  /**
   * How long an incident may wait for a free slot or for another remediation's lease on its
   * instance before a human is paged instead. @default 900
   */
  readonly maxWaitSeconds?: number;
}

/** When the fleet breaker of a runbook opens and closes. */
export interface BreakerPolicy {
  /** Opens when more than this many instances raised the runbook's alarms within the window. */
  readonly maxInstances: number;
  /**
   * Opens when more than this percentage of the instances seen by the runbook (in the last thirty
   * days) alarmed within the window, once at least three did. Omit to count instances only.
   */
  readonly maxPercent?: number;
  readonly windowSeconds: number;
  /** Closes after this long without a new alarm (or by `npx remediate breaker close`). */
  readonly quietSeconds: number;
}

/** When a runbook switches itself to dry-run. */
export interface AutoDisablePolicy {
  /** How many of the runbook's latest runs (commands that ran and were judged) count. */
  readonly lastRuns: number;
  /** Below this share of verified runs among them, the runbook goes to dry-run. */
  readonly minSuccessRate: number;
}

/** The defaults of the fleet limits. */
export const DEFAULT_CONCURRENCY: Required<ConcurrencyLimits> = {
  maxInFlight: 10,
  maxPerHour: 60,
  maxWaitSeconds: 900,
};
export const DEFAULT_BREAKER: BreakerPolicy = {
  maxInstances: 5,
  maxPercent: 50,
  windowSeconds: 600,
  quietSeconds: 1800,
};
export const DEFAULT_AUTO_DISABLE: AutoDisablePolicy = { lastRuns: 10, minSuccessRate: 0.5 };

/** The action name the diagnose script runs under. */
export const DIAGNOSE_ACTION = 'diagnose';

/** A runbook definition that failed validation; the message names the runbook, the field and the fix. */
export class RunbookDefinitionError extends Error {
  override readonly name = 'RunbookDefinitionError';
}

/**
 * Declares a runbook and validates it at load time, so a mistake fails the build and the tests, not
 * a remediation at 3 a.m.
 */
export function defineRunbook(definition: RunbookDefinition): Runbook {
  let problems: string[];
  try {
    problems = validateRunbook(definition);
  } catch (error) {
    // A value of a shape no check foresaw: still a definition error, never a crash with a stack trace.
    problems = [
      `the definition could not be checked (${error instanceof Error ? error.message : String(error)}): compare it with docs/writing-a-runbook.md`,
    ];
  }
  if (problems.length > 0) {
    throw new RunbookDefinitionError(
      `runbook "${typeof definition?.name === 'string' ? definition.name : '(no name)'}" is invalid:\n  - ${problems.join('\n  - ')}`,
    );
  }
  const { remediate, actions, alarm, verify, ...rest } = definition;
  const probe = verify?.probe ?? definition.proof?.probe;
  const resolved = {
    ...rest,
    ...(probe
      ? {
          verify: {
            probe,
            settleSeconds: verify?.settleSeconds ?? 0,
            timeoutSeconds: verify?.timeoutSeconds ?? DEFAULT_PROBE_TIMEOUT_SECONDS,
          },
        }
      : {}),

    ...(alarm ? { alarm: resolveAlarm(alarm) } : {}),
    actions: actions ?? [{ name: 'remediate', script: remediate as string }],
    parameters: definition.parameters ?? {},
    cooldownSeconds: definition.cooldownSeconds ?? 1800,
    concurrency: { ...DEFAULT_CONCURRENCY, ...definition.concurrency },
    breaker: definition.breaker ?? DEFAULT_BREAKER,
    autoDisable: definition.autoDisable ?? DEFAULT_AUTO_DISABLE,
    mode: definition.mode ?? 'enforce',
    approveWithinSeconds: definition.approveWithinSeconds ?? DEFAULT_APPROVE_WITHIN_SECONDS,
  };
  Object.defineProperties(resolved, {
    pageWithinSeconds: { value: definition.pageWithin?.seconds ?? DEFAULT_PAGE_WITHIN_SECONDS },
    ...(definition.pageWithin ? { pageWithinReason: { value: definition.pageWithin.reason } } : {}),
  });
  return Object.freeze(resolved) as Runbook;
}

/**
 * A runbook's budget of time to a human, in seconds. Read through here: a runbook spread into a new
 * object (`{ ...runbook, mode }`) keeps its `pageWithin` but not the derived `pageWithinSeconds`.
 */
export function pageWithinSecondsOf(runbook: Pick<Runbook, 'pageWithin' | 'pageWithinSeconds'>): number {
  return runbook.pageWithinSeconds ?? runbook.pageWithin?.seconds ?? DEFAULT_PAGE_WITHIN_SECONDS;
}

/** The condition a proof judges the sandbox by: the runbook's declared alarm, or the proof's own. */
export function proofCondition(
  runbook: Pick<Runbook, 'alarm' | 'proof'>,
): { readonly comparison: ComparisonOperator; readonly threshold: number } | undefined {
  const proof = runbook.proof;
  if (!proof) return undefined;
  if (runbook.alarm)
    return {
      comparison: runbook.alarm.comparison,
      threshold: proof.sandboxThreshold?.value ?? runbook.alarm.threshold,
    };
  return proof.alarm;
}

/** Every script file a runbook runs on an instance: its actions', its diagnose script and its verify probe. */
export function runbookScripts(runbook: Runbook): string[] {
  return [
    ...new Set([
      ...runbook.actions.map((a) => a.script),
      ...(runbook.diagnose ? [runbook.diagnose] : []),
      ...(runbook.verify ? [runbook.verify.probe] : []),
    ]),
  ];
}

/** The instance tags the runbooks' parameters read (`allowedByInstanceTag`), each once. */
export function instanceTagKeys(runbooks: readonly Runbook[]): string[] {
  const keys = runbooks.flatMap((runbook) =>
    Object.values(runbook.parameters).flatMap((p) =>
      p.allowedByInstanceTag ? [p.allowedByInstanceTag] : [],
    ),
  );
  return [...new Set(keys)];
}
