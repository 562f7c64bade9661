import type { PublishEventEffect, RemediationDetailType } from './effects.ts';
import type { Incident, IncidentStatus } from './incident.ts';

/** Attempt statuses before a result. */
const IN_FLIGHT: ReadonlySet<string> = new Set(['diagnosing', 'dispatching', 'running']);

const STATUS_EVENTS: Partial<Record<IncidentStatus, RemediationDetailType>> = {
  verifying: 'Remediation Incident Verifying',
  'backing-off': 'Remediation Incident Backing Off',
  waiting: 'Remediation Incident Waiting',
  suppressed: 'Remediation Incident Suppressed',
  'awaiting-approval': 'Remediation Proposal Awaiting Approval',
  snoozed: 'Remediation Incident Snoozed',
  escalated: 'Remediation Incident Escalated',
  resolved: 'Remediation Incident Resolved',
};

/**
 * The events that announce a transition, derived from the incident before and after, so that no
 * transition can forget to announce itself: opened, each attempt started and finished, and each
 * change of status (entering `remediating` is announced as an attempt starting).
 */
export function remediationEvents(
  before: Incident | undefined,
  after: Incident,
  now: number,
): PublishEventEffect[] {
  const sameEpisode = before?.id === after.id ? before : undefined;
  const events: PublishEventEffect[] = [];
  const emit = (detailType: RemediationDetailType, extra: Record<string, unknown> = {}) =>
    events.push({
      kind: 'publish-event',
      detailType,
      detail: {
        incidentId: after.id,
        runbook: after.key.runbook,
        target: after.key.target,
        ...(after.instanceId ? { instanceId: after.instanceId } : {}),
        alarmName: after.alarm.name,
        alarmArn: after.alarm.arn,
        status: after.status,
        ...(sameEpisode ? { previousStatus: sameEpisode.status } : {}),
        at: new Date(now).toISOString(),
        ...extra,
      },
    });

  if (!sameEpisode) emit('Remediation Incident Opened');
  for (const attempt of after.attempts) {
    const earlier = sameEpisode?.attempts.find((a) => a.number === attempt.number);
    if (!earlier) emit('Remediation Attempt Started', { attempt: attempt.number });
    const finished = !IN_FLIGHT.has(attempt.status);
    const wasFinished = earlier && !IN_FLIGHT.has(earlier.status);
    if (finished && !wasFinished) {
      emit('Remediation Attempt Finished', {
        attempt: attempt.number,
        ...(attempt.commandId ? { commandId: attempt.commandId } : {}),
        reason: attempt.failure ?? attempt.result?.status ?? attempt.status,
      });
    }
  }
  const statusEvent = STATUS_EVENTS[after.status];
  if (statusEvent && sameEpisode?.status !== after.status) {
    const gate = after.refusals?.[after.refusals.length - 1];
    const reason =
      after.status === 'escalated'
        ? after.escalation?.reason
        : after.status === 'awaiting-approval'
          ? after.proposal?.id
          : after.status === 'snoozed'
            ? after.snoozedUntil !== undefined
              ? `until ${new Date(after.snoozedUntil).toISOString()}`
              : undefined
            : after.status === 'waiting' || after.status === 'suppressed'
              ? gate?.reason
              : after.resolution?.how;
    emit(statusEvent, reason ? { reason } : {});
  }
  return events;
}
