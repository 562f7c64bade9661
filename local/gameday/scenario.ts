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
}

/** How an incident must end. `fixed-or-suppressed`: acted on before a fleet breaker opened, or suppressed by it. */
export type ScenarioOutcome = 'fixed' | 'escalated' | 'suppressed' | 'fixed-or-suppressed';

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
}

/** Declares a scenario; checked when the game day loads it. */
export function defineScenario(definition: ScenarioDefinition): ScenarioDefinition {
  return Object.freeze(definition);
}
