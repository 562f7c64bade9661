import type { AlarmContributor } from '../../functions/core/alarm.ts';
import type { Incident } from '../../functions/core/incident.ts';
import type { RecordedPage } from '../local-ports.ts';
import type { GameDayAuditEntry, GameDayExpectation } from './record.ts';
import { formatOffset } from './report/outcomes.ts';

/**
 * An alarm still in ALARM when the game day ends, and who holds it: a per-instance alarm, or one
 * contributor (series) of a fleet alarm, which has its own incident.
 */
export interface AlarmAtEnd {
  readonly alarmName: string;
  readonly instanceId: string;
  readonly runbook: string;
  readonly contributor?: AlarmContributor;
}

/** What the audit needs to know of the fleet's breakers at the end. */
export interface OpenBreakerAtEnd {
  readonly runbook: string;
  /** Instances its group page named. */
  readonly instances: readonly string[];
  readonly paged: boolean;
}

/** Statuses in which automation is still working on an incident (a command or a timer pending). */
const PROGRESSING = new Set(['remediating', 'verifying', 'backing-off', 'waiting']);

/**
 * The no-silent-alarm audit: every alarm still in ALARM at the end (for a fleet alarm, every
 * contributor in ALARM) is listed with its incident and its page. An alarm is being fixed (its incident is progressing), or a human knows (its incident's
 * escalation page was sent, or it is suppressed by a breaker still open whose group page named the
 * instance); anything else is silent.
 */
export function auditAlarms(
  inAlarm: readonly AlarmAtEnd[],
  incidents: readonly Incident[],
  pages: readonly RecordedPage[],
  breakers: readonly OpenBreakerAtEnd[],
  startedAt: number,
): GameDayAuditEntry[] {
  return inAlarm.map((alarm) => {
    const incident = incidents
      .filter(
        (i) =>
          i.alarm.name === alarm.alarmName &&
          (alarm.contributor === undefined || i.alarm.contributor?.id === alarm.contributor.id) &&
          i.status !== 'resolved',
      )
      .sort((a, b) => b.openedAt - a.openedAt)[0];
    const base = {
      alarmName: alarm.alarmName,
      ...(alarm.contributor ? { contributorId: alarm.contributor.id } : {}),
      instanceId: alarm.instanceId,
      runbook: alarm.runbook,
    };
    if (!incident) return { ...base, verdict: 'silent', detail: 'no open incident' };
    const about = { ...base, incidentId: incident.id, status: incident.status };
    if (PROGRESSING.has(incident.status))
      return {
        ...about,
        verdict: 'being fixed',
        detail: `${incident.status}, attempt ${incident.attempts.length}`,
      };
    const page = pages.find((p) => p.incidentId === incident.id && p.page === 'escalation');
    if (incident.status === 'escalated' && page)
      return {
        ...about,
        verdict: 'paged',
        detail: `paged at ${formatOffset(Date.parse(page.at) - startedAt)}: ${page.subject}`,
      };
    const breaker = breakers.find((b) => b.runbook === incident.key.runbook);
    if (incident.status === 'suppressed' && breaker?.paged && breaker.instances.includes(alarm.instanceId))
      return { ...about, verdict: 'paged', detail: `covered by the ${breaker.runbook} breaker's group page` };
    const why =
      incident.status === 'suppressed'
        ? breaker
          ? "suppressed, and the breaker's group page does not name it"
          : 'suppressed by a breaker that has closed, and nobody looked again'
        : 'escalated, but no page was sent';
    return { ...about, verdict: 'silent', detail: why };
  });
}

/** The standing expectation every game day judges: no alarm in ALARM is left silent. */
export function noSilentAlarm(audit: readonly GameDayAuditEntry[]): GameDayExpectation {
  const silent = audit.filter((a) => a.verdict === 'silent');
  return {
    description: 'no silent alarm: every alarm still in ALARM is being fixed or a human was told',
    held: silent.length === 0,
    detail:
      silent.length === 0
        ? audit.length === 0
          ? 'no alarm is in ALARM at the end'
          : `${audit.length} alarm(s) still in ALARM, each being fixed or paged`
        : silent
            .map(
              (a) =>
                `${a.alarmName}${a.contributorId ? ` (contributor ${a.contributorId}, ${a.instanceId})` : ''}: ${a.detail}`,
            )
            .join('; '),
  };
}
