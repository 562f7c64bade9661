import type { AlarmStateValue } from '../../functions/core/alarm.ts';

/**
 * Everything a game day produced, in virtual time (epoch ms): the input of the summary table and of
 * the HTML report. Plain data, so that a report can be rendered (and tested) from a fixed record.
 */
export interface GameDayRecord {
  readonly scenario: {
    readonly name: string;
    readonly description: string;
    /** Virtual seconds per real second. */
    readonly speed: number;
    /** How the game day provisioned the runbooks' alarms (`fleet`: one per runbook, each instance a contributor). */
    readonly alarmMode?: 'fleet' | 'per-instance';
  };
  readonly startedAt: number;
  readonly endedAt: number;
  /** Real milliseconds the game day took. */
  readonly wallMs: number;
  readonly instances: readonly GameDayInstance[];
  /** Faults injected, in order. */
  readonly faults: readonly GameDayFault[];
  /**
   * Every series state change the local CloudWatch made: a per-instance alarm's, or a fleet alarm's
   * contributor's (with `contributor`).
   */
  readonly alarmChanges: readonly GameDayAlarmChange[];
  /** Every fleet alarm's own state change ("N out of M time series evaluated to ALARM"). */
  readonly fleetAlarmChanges?: readonly GameDayFleetAlarmChange[];
  /** Every incident the handlers recorded (current episodes and archived ones). */
  readonly incidents: readonly GameDayIncident[];
  /** Every page the local pager received. */
  readonly pages: readonly GameDayPage[];
  /** The scenario's expectations and whether each held. */
  readonly expectations: readonly GameDayExpectation[];
  /** The alarms still in ALARM at the end, each with its incident and who knows of it. */
  readonly audit: readonly GameDayAuditEntry[];
  /** How many times the resync ran (every five virtual minutes, and when a breaker closed). */
  readonly resyncs?: number;
  /** Runbooks the scenario switched to another mode for the game day (`approve`, `dry-run`). */
  readonly modes?: Readonly<Record<string, string>>;
  /** The scripted people on call: the page each waited for, what they asked, and what they did by hand. */
  readonly responders?: readonly GameDayResponder[];
}

/** One scripted person on call, and what they saw and did. */
export interface GameDayResponder {
  readonly by: string;
  readonly instanceId: string;
  readonly runbook: string;
  /** The page they waited for. */
  readonly waitsFor: 'proposal' | 'escalation';
  readonly verb: string;
  /** From when to when they watched the pager. */
  readonly watchFrom: number;
  readonly watchUntil: number;
  /** When the page came, and the incident it was about; absent when it never came. */
  readonly pageAt?: number;
  readonly incidentId?: string;
  /** When they stopped waiting because no page came. */
  readonly gaveUpAt?: number;
  /** When they asked, with the id prefix they gave, and what the operator function answered. */
  readonly actedAt?: number;
  readonly asked?: string;
  readonly answeredAt?: number;
  readonly answer?: { readonly ok: boolean; readonly message: string; readonly status?: string };
  /** What they did on the instance by hand afterwards. */
  readonly handFix?: {
    readonly at: number;
    readonly finishedAt: number;
    readonly description: string;
    readonly exitCode: number;
    /** The script's last lines. */
    readonly output: string;
  };
}

/** One alarm still in ALARM at the end of a game day: being fixed, paged, or silent. */
export interface GameDayAuditEntry {
  readonly alarmName: string;
  /** The contributor of a fleet alarm that is in ALARM. */
  readonly contributorId?: string;
  readonly instanceId: string;
  readonly runbook: string;
  readonly incidentId?: string;
  readonly status?: string;
  readonly verdict: 'being fixed' | 'paged' | 'silent';
  readonly detail: string;
}

export interface GameDayInstance {
  readonly name: string;
  readonly instanceId: string;
  readonly availabilityZone: string;
  readonly instanceType: string;
  readonly imageId: string;
}

export interface GameDayFault {
  readonly at: number;
  /** When its script ended: the fault is in place (absent in records from before it was kept). */
  readonly endedAt?: number;
  readonly instanceId: string;
  /** The fault's name (a runbook's proof fault, or a scenario script). */
  readonly fault: string;
  readonly description: string;
  /** Whether the fault script succeeded in the sandbox. */
  readonly injected: boolean;
}

export interface GameDayAlarmChange {
  readonly at: number;
  readonly alarmName: string;
  readonly instanceId: string;
  readonly from: AlarmStateValue;
  readonly to: AlarmStateValue;
  /** CloudWatch's sentence for the change. */
  readonly reason: string;
  /**
   * The contributor's id, for a fleet alarm's series. A contributor is ALARM or OK only; its `from`
   * is INSUFFICIENT_DATA before its first state.
   */
  readonly contributor?: string;
  /** True for a contributor's first OK, for which CloudWatch puts no event. */
  readonly silent?: boolean;
}

/** A fleet alarm's own state change: ALARM while at least one contributor is. */
export interface GameDayFleetAlarmChange {
  readonly at: number;
  readonly alarmName: string;
  readonly from: AlarmStateValue;
  readonly to: AlarmStateValue;
  readonly reason: string;
}

export interface GameDayIncident {
  readonly id: string;
  readonly runbook: string;
  readonly instanceId?: string;
  readonly alarmName: string;
  /** Final status: resolved, escalated, suppressed, waiting, ... */
  readonly status: string;
  readonly openedAt: number;
  readonly closedAt?: number;
  /** `verified` (automation fixed it) or `cleared`, when resolved. */
  readonly resolution?: 'verified' | 'cleared';
  readonly attempts: readonly {
    readonly number: number;
    readonly action?: string;
    /** The person who started it (approve, retry, run); absent when automation did. */
    readonly by?: string;
    readonly requestedAt: number;
    readonly status: string;
    readonly exitCode?: number;
    readonly finishedAt?: number;
    readonly verification?: 'pending' | 'passed' | 'failed';
  }[];
  readonly refusals: readonly { readonly gate: string; readonly reason: string; readonly at: number }[];
  readonly escalation?: { readonly at: number; readonly reason: string };
  /** When the fault behind it was injected, if the game day knows. */
  readonly faultAt?: number;
  /** Approve mode's proposal, and its answer. */
  readonly proposal?: {
    readonly id: string;
    readonly action: string;
    readonly proposedAt: number;
    readonly answer?: { readonly kind: string; readonly at: number; readonly by?: string };
  };
  /** The person who took the incident over. */
  readonly owner?: { readonly by: string; readonly since: number };
  /** Every person's request about it, done or refused, with who and when. */
  readonly responders?: readonly GameDayHumanAction[];
}

/** A person's request about an incident, as the incident records it. */
export interface GameDayHumanAction {
  readonly at: number;
  readonly by: string;
  readonly verb: string;
  /** The proposal answered, the action run, the snooze's length. */
  readonly detail?: string;
  readonly outcome: 'done' | 'refused';
  readonly reason?: string;
}

export interface GameDayPage {
  readonly at: number;
  /** proposal, escalation, resolution, breaker-opened, breaker-grew, breaker-closed, runbook-dry-run */
  readonly kind: string;
  readonly subject: string;
  /** The incident id, or the notice key for pages about a runbook. */
  readonly about: string;
}

export interface GameDayExpectation {
  readonly description: string;
  readonly held: boolean;
  /** What was seen, in words. */
  readonly detail: string;
}
