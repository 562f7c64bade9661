import type { GateName } from '../../functions/core/gates.ts';
import type { GameDayAlarmMode } from './declared-alarms.ts';

/**
 * A game day as a file: the fleet, the alarms on every instance, the faults injected and when, and
 * how each must end. `npx remediate gameday --scenario <name>` runs `scenarios/<name>.ts`.
 */
export interface ScenarioDefinition {
  readonly name: string;
  /** One or two sentences: what the game day shows. */
  readonly description: string;
  /** Instances in the fleet, unless `--instances` says otherwise. @default 8 */
  readonly instances?: number;
  /** Virtual seconds per real second, unless `--speed` says otherwise. @default 60 */
  readonly speed?: number;
  /**
   * The tags every instance carries: the opt-in tag and the allow-lists the runbooks read.
   * @default GAME_DAY_INSTANCE_TAGS (opted in; `app` may be restarted, `report-worker` ended)
   */
  readonly instanceTags?: Readonly<Record<string, string>>;
  /**
   * The runbooks whose declared alarms (`alarm` in their runbook.ts) the game day provisions over the
   * fleet, as the stack would; each must also have a `proof` (its probe measures the series).
   */
  readonly alarms: readonly string[];
  /**
   * How the alarms are provisioned, unless `--alarms` says otherwise: one fleet (Metrics Insights)
   * alarm per runbook, each instance a contributor, or one alarm per instance. @default 'fleet'
   */
  readonly alarmMode?: GameDayAlarmMode;
  readonly faults: readonly ScenarioFault[];
  /** The game day ends (and is judged) this many virtual minutes after the start. */
  readonly endsAtMinutes: number;
  /** Expectations on the runbooks' fleet breakers: how many group pages each must send. */
  readonly breakers?: readonly { readonly runbook: string; readonly groupPages: number }[];
  /**
   * Runbooks switched to another mode for this game day only, as an operator would at run time
   * (`npx remediate runbooks approve-mode <name>`): the fleet guard's mode override, before the
   * first fault. The shipped runbook is not changed.
   */
  readonly modes?: Readonly<Record<string, ScenarioMode>>;
  /** People on call: each waits for a page, reads it, acts through the operator function, and may fix by hand. */
  readonly responders?: readonly ScenarioResponder[];
}

/** A runbook's mode for a game day: see {@link ScenarioDefinition.modes}. */
export type ScenarioMode = 'approve' | 'dry-run';

/** What a scripted person asks of an incident, through the operator function (as the CLI would). */
export type ResponderVerb = 'approve' | 'deny' | 'retry' | 'run' | 'snooze' | 'take';

/**
 * A person on call, scripted. From `atMinutes` they watch the game day's pager for a page of kind
 * `waitsFor` about `runbook` on `instance`; when it comes they read it for `readingMinutes`, then
 * ask `verb` of its incident, named by a prefix of its id, through the operator function (the path a
 * CLI command or a chat button takes). With `byHand`, they then fix the instance by hand: a script in
 * `scenarios/scripts/` run in its sandbox, as a person at a shell would. A page that does not come
 * within `withinMinutes` fails the game day, saying so.
 */
export interface ScenarioResponder {
  /** Who, as the incident records it: `alice (on call)`. */
  readonly by: string;
  /** The 1-based instance and the runbook whose incident the page is about. */
  readonly instance: number;
  readonly runbook: string;
  /** `proposal` (approve mode asks for an answer) or `escalation` (automation handed over). */
  readonly waitsFor: 'proposal' | 'escalation';
  /** Virtual minutes from the start when the person starts watching. @default 0 */
  readonly atMinutes?: number;
  /** Virtual minutes the person waits for the page, from `atMinutes`. */
  readonly withinMinutes: number;
  /** Virtual minutes from the page to the action: the time it takes to read it. @default 1 */
  readonly readingMinutes?: number;
  readonly verb: ResponderVerb;
  /** The action of `run` (`diagnose`, or any action of the runbook). */
  readonly action?: string;
  /** The duration of `snooze`: `30m`, `1h`. */
  readonly duration?: string;
  /** What the person then does on the instance by hand. */
  readonly byHand?: { readonly script: string; readonly description: string };
}

/**
 * How an incident must end. `fixed-or-suppressed`: acted on before a fleet breaker opened, or
 * suppressed by it. `fixed-after-approval`: a proposal was paged, a person approved it, exactly the
 * proposed action ran once and its fix was verified. `fixed-by-hand`: escalated once, a person took
 * it, and the alarm's OK closed it with the OK page.
 */
export type ScenarioOutcome =
  | 'fixed'
  | 'escalated'
  | 'suppressed'
  | 'fixed-or-suppressed'
  | 'fixed-after-approval'
  | 'fixed-by-hand';

/** A fault injected into one or more instances at a moment, and how each incident it causes must end. */
export interface ScenarioFault {
  readonly atMinutes: number;
  /** 1-based instance numbers, or most of the fleet (every instance but those listed). */
  readonly instances: readonly number[] | { readonly mostOfFleetExcept: readonly number[] };
  /** The runbook whose alarm the fault must trip. */
  readonly runbook: string;
  /**
   * The script that breaks the instance: a file in `scenarios/faults/`, or (when absent) the
   * runbook's own proof fault.
   */
  readonly script?: string;
  readonly description: string;
  readonly expect: ScenarioOutcome;
  /** The gate the incident must name when it is refused (for example `cooldown` for a flapping alarm). */
  readonly gate?: GateName;
  /**
   * For a fault automation cannot fix: the on-call engineer must be paged within this many seconds
   * of the incident's opening (its alarm), and the page must say why (its `Why paged:` line).
   * `runbook`: the runbook's own budget, `pageWithinSeconds` (900 s unless it says otherwise).
   */
  readonly pageWithinSeconds?: number | 'runbook';
}

/** Declares a scenario; checked when the game day loads it. */
export function defineScenario(definition: ScenarioDefinition): ScenarioDefinition {
  return Object.freeze(definition);
}
