import { RESPONDER_VERBS, type ResponderVerb } from './incident.ts';

/**
 * What the operator function is asked to do, by the CLI (with the operator's AWS credentials) or by a
 * chat button (a custom action of Amazon Q Developer in chat applications, with the channel's role).
 * Incident actions become a {@link ResponderInput} for the decider, gated and recorded like any
 * other; runbook and fleet actions change the kill switch, the runbook's mode or its breaker.
 */
export type OperatorRequest = IncidentRequest | FleetRequest;

/**
 * The `remediate` CLI's commands that act through the operator function (the incident verbs, then
 * the fleet's): the commands a page prints name the function for these, and the table for the rest.
 */
export const OPERATOR_COMMANDS = [
  ...RESPONDER_VERBS,
  'pause',
  'resume',
  'breaker close',
  'runbooks approve-mode',
  'runbooks dry-run',
  'runbooks enforce',
] as const;
export type OperatorCommand = ResponderVerb | (typeof OPERATOR_COMMANDS)[number];

/** Where a request comes from: the function records `by` as `<channel>:<by>`. */
export type OperatorChannel = 'cli' | 'chat';

/** A change to the kill switch, a runbook's breaker or its mode. */
export type FleetRequest = { readonly by?: string; readonly channel?: OperatorChannel } & (
  | { readonly verb: 'pause'; readonly runbook?: string; readonly reason: string }
  | { readonly verb: 'resume'; readonly runbook?: string }
  | { readonly verb: 'breaker-close'; readonly runbook: string; readonly reason: string }
  | {
      readonly verb: 'set-mode';
      readonly runbook: string;
      /** `enforce` lifts a runtime switch; `approve` and `dry-run` set one (they need a reason). */
      readonly mode: 'enforce' | 'approve' | 'dry-run';
      readonly reason?: string;
    }
);

/** An action on one incident, named by its id or a unique prefix of it. */
export type IncidentRequest = {
  readonly incident: string;
  /** Who, as the caller says; the function records it beside the identity it can establish. */
  readonly by?: string;
  readonly channel?: OperatorChannel;
  /** Makes a redelivered request a no-op; the function makes one up when absent. */
  readonly request?: string;
} & (
  | { readonly verb: 'approve' | 'deny'; readonly proposal?: string }
  | { readonly verb: 'retry' }
  | { readonly verb: 'run'; readonly action: string }
  /** `30m`, `1h`, `2h30m`, or seconds. */
  | { readonly verb: 'snooze'; readonly duration: string }
  | { readonly verb: 'take' }
);

/** What the operator function answers: one line for a person, and where the incident stands. */
export interface OperatorResponse {
  readonly ok: boolean;
  readonly message: string;
  readonly incident?: string;
  readonly status?: string;
}
