import type { Runbook } from '../../functions/core/runbook.ts';
import type { ScenarioDefinition } from './scenario.ts';

/**
 * A game day for one runbook, as its author plays it before the pull request
 * (`npx remediate gameday --runbook <name>`): two instances tagged as the proof's, the runbook's
 * declared alarm on both, its proof fault on the first at minute 1 and the second left healthy, and
 * the fix expected as the runbook's mode allows it. In enforce mode, automation must fix it alone;
 * in approve mode (and dry-run, which would run nothing), an on-call engineer approves the proposal
 * and the approved run must fix it. The game day lasts long enough for every attempt to have run.
 */
export function scenarioForRunbook(runbook: Runbook): ScenarioDefinition | { readonly error: string } {
  if (!runbook.alarm)
    return {
      error:
        `runbook ${runbook.name} declares no alarm, and the game day plays the alarms runbooks declare ` +
        `(alarm: { metric, periodSeconds, comparison, threshold, evaluationPeriods }): prove it with ` +
        `npx remediate runbooks test ${runbook.name}`,
    };
  if (!runbook.proof)
    return {
      error: `runbook ${runbook.name} has no proof: the game day breaks an instance with its proof fault`,
    };
  const alarm = runbook.alarm;
  const toAlarm = Math.ceil((alarm.periodSeconds * (alarm.evaluationPeriods + 1)) / 60) + 1;
  const perAttempt =
    (runbook.executionTimeoutSeconds + runbook.backoff.capSeconds + runbook.verifyWindowSeconds) / 60;
  const approved = runbook.mode !== 'enforce';
  const minutes =
    Math.ceil(1 + toAlarm + (approved ? 3 : 0) + Math.min(runbook.maxAttempts, 3) * perAttempt) + 3;
  return {
    name: `runbook-${runbook.name}`,
    description:
      `Runbook ${runbook.name} on its own: its proof fault on web-1, web-2 healthy; ` +
      (approved
        ? `fixed once the on-call engineer approves the proposal (the runbook is in ${runbook.mode} mode${runbook.mode === 'dry-run' ? ', played in approve mode' : ''}).`
        : 'fixed by automation.'),
    instances: 2,
    // As the short scenario: quick, and commands still run within their timeouts on the game day's clock.
    speed: 120,
    instanceTags: { AutoRemediation: 'enabled', ...runbook.proof.instanceTags },
    alarms: [runbook.name],
    ...(runbook.mode === 'dry-run' ? { modes: { [runbook.name]: 'approve' as const } } : {}),
    faults: [
      {
        atMinutes: 1,
        instances: [1],
        runbook: runbook.name,
        description: `its proof fault (${runbook.proof.fault})`,
        expect: approved ? 'fixed-after-approval' : 'fixed',
      },
    ],
    ...(approved
      ? {
          responders: [
            {
              by: 'on call',
              instance: 1,
              runbook: runbook.name,
              waitsFor: 'proposal' as const,
              withinMinutes: minutes - 2,
              readingMinutes: 1,
              verb: 'approve' as const,
            },
          ],
        }
      : {}),
    endsAtMinutes: Math.min(minutes, 240),
  };
}
