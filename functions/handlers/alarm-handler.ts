import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { alarmTarget, seriesOutOf } from '../core/alarm.ts';
import { incidentKeyFor } from '../core/identity.ts';
import { matchRunbook } from '../core/matching.ts';
import { acceptOrigin } from './middleware/accept-origin.ts';
import { flushMetrics } from './middleware/flush-metrics.ts';
import { parseEvent } from './middleware/parse-event.ts';
import type { Runtime } from './runtime.ts';
import { type AnyAlarmEvent, anyAlarmEvent, toAlarmChange } from './schemas.ts';

/** How far ahead of this clock an alarm's state time may lie (clocks differ a little): five minutes. */
export const FUTURE_TOLERANCE_SECONDS = 300;

/** What the alarm handler did with an event (also logged). */
export interface HandlerResult {
  readonly outcome: 'processed' | 'absorbed' | 'ignored' | 'rejected';
  readonly reason?: string;
  readonly incidentId?: string;
}

/**
 * Handles "CloudWatch Alarm State Change" and, for a fleet (multi-time-series) alarm, "CloudWatch
 * Alarm Contributor State Change": picks the runbook, finds the instance, decides.
 */
export async function handleAlarm(event: AnyAlarmEvent, runtime: Runtime): Promise<HandlerResult> {
  const { logger } = runtime;
  const alarm = toAlarmChange(event);
  const ahead = alarm.stateAt - runtime.clock.now();
  const tolerance = (runtime.futureToleranceSeconds ?? FUTURE_TOLERANCE_SECONDS) * 1000;
  if (ahead > tolerance) {
    // A state stamped ahead would outrank every real state of the alarm until then: never recorded.
    const reason = `the alarm's state time ${event.detail.state.timestamp} lies ${Math.round(ahead / 1000)}s in the future (more than ${tolerance / 1000}s)`;
    logger.error('event rejected', { reason, alarmName: alarm.alarmName });
    return { outcome: 'rejected', reason };
  }
  if (alarm.seriesCount !== undefined) {
    // A fleet alarm's own change only counts its series; each series' own event names its instance.
    // Its count of series evaluated tells the breaker how large the runbook's fleet is: healthy
    // series send no event of their own.
    const counted = seriesOutOf(alarm.seriesCount);
    const owner = matchRunbook(alarm, runtime.runbooks.all)?.runbook;
    if (owner && counted && Number.isFinite(alarm.stateAt))
      await runtime.gates.recordFleetSeries(owner, alarm.alarmName, counted.total, alarm.stateAt);
    logger.info('fleet alarm state change; its contributors are handled one by one', {
      alarmName: alarm.alarmName,
      state: alarm.state,
      seriesCount: alarm.seriesCount,
      ...(owner ? { runbook: owner.name } : {}),
    });
    return {
      outcome: 'ignored',
      reason: `a fleet alarm's own state change (${alarm.seriesCount.slice(0, 80)}): each series has its own event`,
    };
  }
  const match = matchRunbook(alarm, runtime.runbooks.all);
  if (!match) {
    logger.info('no runbook answers this alarm; ignored', { alarmName: alarm.alarmName, state: alarm.state });
    return { outcome: 'ignored', reason: 'no runbook answers this alarm' };
  }
  if (alarm.mutedBy && alarm.state === 'ALARM') {
    // A mute rule (a maintenance window, a planned change) silences CloudWatch's own actions; automation stands down too.
    logger.info('alarm muted; no remediation and no page', {
      alarmName: alarm.alarmName,
      ...(alarm.contributor ? { contributor: alarm.contributor.id } : {}),
      mutedBy: alarm.mutedBy,
    });
    return { outcome: 'ignored', reason: `the alarm is muted by ${alarm.mutedBy}` };
  }
  const target = alarmTarget(alarm);
  const key = incidentKeyFor(match.runbook.name, alarm, target);
  logger.appendKeys({ runbook: key.runbook, target: key.target, alarmName: alarm.alarmName });
  logger.info('runbook matched', { matchedBy: match.matchedBy, state: alarm.state, targetKind: target.kind });
  const outcome = await runtime.processor.process(key, match.runbook, { kind: 'alarm', alarm, target });
  // An instance without the opt-in tag is not this deployment's: ignored (logged and counted), not paged.
  if (outcome.unmanaged) return { outcome: 'ignored', reason: outcome.reason ?? 'instance not opted in' };
  return {
    outcome: outcome.changed ? 'processed' : 'absorbed',
    ...(outcome.reason ? { reason: outcome.reason } : {}),
    ...(outcome.incident ? { incidentId: outcome.incident.id } : {}),
  };
}

/** The Lambda handler, built once per container around a runtime. */
export function createAlarmHandler(runtime: Runtime) {
  return middy<unknown, HandlerResult>()
    .use(injectLambdaContext(runtime.logger, { resetKeys: true }))
    .use(flushMetrics(runtime.metrics))
    .use(parseEvent(anyAlarmEvent, runtime.logger))
    .use(acceptOrigin(runtime.origin, runtime.logger, runtime.metrics))
    .handler((event) => handleAlarm(event as AnyAlarmEvent, runtime));
}
