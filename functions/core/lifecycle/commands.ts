import type { Attempt, Incident } from '../incident.ts';
import { latestAttempt } from '../incident.ts';
import type {
  CommandFinishedInput,
  CommandNotSentInput,
  CommandObservation,
  CommandSentInput,
  TimerInput,
} from '../inputs.ts';
import {
  commentFor,
  type DecisionContext,
  diagnoseCommentFor,
  failLatest,
  finishAttempt,
  finishDiagnosis,
  markDiagnosing,
  markRunning,
  note,
  RECONCILE_MARGIN_SECONDS,
  RECONCILE_POLL_SECONDS,
  type Step,
  withTimer,
} from '../transitions.ts';

/**
 * The command sub-lifecycle of a `remediating` incident, one for both of an attempt's commands: the
 * diagnose command (first attempt only) and the remedy. Each is `dispatching` until SSM accepts it,
 * `running` until its result is known, and then finished, refused or lost; what follows a diagnose
 * command (the remedy is sent) and a remedy (verify, back off or page) differs, nothing else does.
 * A string is the reason an input was absorbed.
 */
export type Outcome = Step | string;

/** Which of the attempt's commands an input or a check is about, and what happens when it ends. */
interface Phase {
  readonly name: 'diagnose' | 'remedy';
  readonly status: 'dispatching' | 'running' | 'finished';
  readonly commandId: string | undefined;
  readonly requestedAt: number;
  accepted(commandId: string, sentNow: boolean): Step;
  finished(commandId: string, result: NonNullable<CommandFinishedInput['result']>): Step;
  /** The command has no result and never will (refused, or lost): `lost` when SSM may have run it. */
  ended(failure: string, lost: boolean): Step;
}

/** The phase of the latest attempt that is in flight, if any. */
function phaseOf(incident: Incident, ctx: DecisionContext): Phase | undefined {
  const attempt = latestAttempt(incident);
  if (!attempt) return undefined;
  if (attempt.status === 'diagnosing' && attempt.diagnosis) {
    const diagnosis = attempt.diagnosis;
    if (diagnosis.status !== 'dispatching' && diagnosis.status !== 'running') return undefined;
    return {
      name: 'diagnose',
      status: diagnosis.status,
      commandId: diagnosis.commandId,
      requestedAt: diagnosis.requestedAt,
      accepted: (id, sentNow) => markDiagnosing(incident, attempt, id, ctx, sentNow),
      finished: (id, result) => finishDiagnosis(incident, attempt, { commandId: id, result }, ctx),
      ended: (failure) => finishDiagnosis(incident, attempt, { failure }, ctx),
    };
  }
  if (attempt.status !== 'dispatching' && attempt.status !== 'running') return undefined;
  return {
    name: 'remedy',
    status: attempt.status,
    commandId: attempt.commandId,
    requestedAt: attempt.requestedAt,
    accepted: (id, sentNow) => markRunning(incident, attempt, id, ctx, sentNow),
    finished: (id, result) => finishAttempt(incident, attempt, id, result, ctx),
    ended: (failure, lost) => failLatest(incident, failure, ctx, lost),
  };
}

/** SSM accepted the attempt's command (or its diagnose command). */
export function onCommandSent(incident: Incident, input: CommandSentInput, ctx: DecisionContext): Outcome {
  const phase = phaseOf(incident, ctx);
  const wanted = input.phase === 'diagnose' ? 'diagnose' : 'remedy';
  if (
    latestAttempt(incident)?.number !== input.attempt ||
    phase?.name !== wanted ||
    phase.status !== 'dispatching'
  )
    return `the ${wanted === 'diagnose' ? 'diagnose command' : 'command'} of this attempt is already recorded`;
  return phase.accepted(input.commandId, true);
}

/** SSM refused the attempt's command (or its diagnose command): the remedy follows a diagnosis anyway. */
export function onCommandNotSent(
  incident: Incident,
  input: CommandNotSentInput,
  ctx: DecisionContext,
): Outcome {
  const phase = phaseOf(incident, ctx);
  const wanted = input.phase === 'diagnose' ? 'diagnose' : 'remedy';
  if (
    latestAttempt(incident)?.number !== input.attempt ||
    phase?.name !== wanted ||
    phase.status !== 'dispatching'
  )
    return `the ${wanted === 'diagnose' ? 'diagnose command' : 'attempt'} is no longer waiting to be sent`;
  const what = wanted === 'diagnose' ? 'the diagnose command' : 'the command';
  return phase.ended(`SSM did not accept ${what}: ${input.error}`, false);
}

/** A command reached a final status: it belongs to the phase in flight by its id, or by its Comment before `command-sent`. */
export function onCommandFinished(
  incident: Incident,
  input: CommandFinishedInput,
  ctx: DecisionContext,
): Outcome {
  const phase = phaseOf(incident, ctx);
  const attempt = latestAttempt(incident) as Attempt | undefined;
  if (phase && attempt && belongs(incident, attempt, phase, input.commandId, input.result.comment))
    return phase.finished(input.commandId, input.result);
  if (
    !incident.attempts.some(
      (a) => a.commandId === input.commandId || a.diagnosis?.commandId === input.commandId,
    )
  )
    return `command ${input.commandId} belongs to no attempt of this incident`;
  return `the result of command ${input.commandId} is already recorded`;
}

function belongs(
  incident: Incident,
  attempt: Attempt,
  phase: Phase,
  commandId: string,
  comment: string | undefined,
): boolean {
  if (phase.commandId === commandId) return true;
  const expected =
    phase.name === 'diagnose'
      ? diagnoseCommentFor(incident, attempt.number)
      : commentFor(incident, attempt.number);
  return phase.status === 'dispatching' && comment === expected;
}

const DISPATCH_WORDS = '(the send was interrupted or refused)';

/**
 * The check on a command in flight: adopt its result, adopt its id, wait for it until its deadline
 * (the delivery and execution timeouts and a margin), or declare it lost.
 */
export function reconcileCommand(incident: Incident, input: TimerInput, ctx: DecisionContext): Outcome {
  const phase = phaseOf(incident, ctx);
  if (!phase) return 'no command is waiting for a result';
  const seen: CommandObservation | undefined = input.observation?.command;
  const command = phase.name === 'diagnose' ? 'diagnose command' : 'command';
  if (seen?.kind === 'finished') return phase.finished(seen.commandId, seen.result);
  if (phase.status === 'dispatching') {
    if (seen?.kind === 'in-progress') return phase.accepted(seen.commandId, false);
    return phase.ended(`SSM has no ${command} for this attempt ${DISPATCH_WORDS}`, true);
  }
  if (seen?.kind === 'not-found')
    return phase.ended(`SSM has no invocation of ${command} ${phase.commandId}`, true);
  const { executionTimeoutSeconds, deliveryTimeoutSeconds } = ctx.runbook;
  const deadline =
    phase.requestedAt + (executionTimeoutSeconds + deliveryTimeoutSeconds + RECONCILE_MARGIN_SECONDS) * 1000;
  if (ctx.now >= deadline) {
    const which = phase.name === 'diagnose' ? 'the diagnose command' : `command ${phase.commandId}`;
    return phase.ended(`no result from SSM for ${which} by its deadline`, true);
  }
  // In progress, or nothing observed: a running command is waited for until its deadline.
  const next = note(
    incident,
    ctx.now,
    `${command} ${phase.commandId} still in progress; asking SSM again later`,
  );
  return withTimer(
    { incident: next, effects: [] },
    'reconcile',
    Math.min(ctx.now + RECONCILE_POLL_SECONDS * 1000, deadline),
  );
}
