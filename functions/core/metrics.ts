import type { Incident } from './incident.ts';

/**
 * The metrics the remediator publishes about itself (CloudWatch embedded metric format, namespace
 * {@link METRICS_NAMESPACE}, dimension `service`), shared by the handlers that emit them and the
 * stack's dashboard and alarms that read them, so that the names cannot drift apart.
 */
export const METRICS_NAMESPACE = 'EC2AutoRemediation';
export const METRICS_SERVICE = 'ec2-auto-remediation';

export const METRIC = {
  /** An incident opened (a new episode). */
  incidentsOpened: 'IncidentsOpened',
  /** An incident resolved by a verified remediation. */
  fixedAutomatically: 'FixedAutomatically',
  /** An incident escalated to a human (one per incident). */
  escalated: 'Escalated',
  /** An incident suppressed by its runbook's fleet breaker. */
  suppressed: 'Suppressed',
  /** A gate refused or deferred an attempt; also published per gate (dimension `Gate`). */
  refused: 'Refused',
  /** A remediation attempt started (its command sent, or its diagnosis first). */
  attempts: 'Attempts',
  /** From the incident opening to its verified fix, in milliseconds. */
  timeToRemediate: 'TimeToRemediate',
  /** An event from an account or Region this deployment does not act for, ignored. */
  foreignEvents: 'ForeignEventsIgnored',
  /**
   * An alarm a runbook answers went to ALARM on an instance without the opt-in tag: not this
   * deployment's, so no incident and no page (unless `pageUnmanagedInstances`). One per state change event.
   */
  unmanagedAlarms: 'UnmanagedInstanceAlarmsIgnored',
  /**
   * A page reached the pager but its remediation event for PagerDuty Events v2 could not be put on
   * the bus (best effort: the page itself was sent).
   */
  pageEventsFailed: 'PageEventsFailed',
} as const;

/** One data point to publish. */
export interface MetricPoint {
  readonly name: (typeof METRIC)[keyof typeof METRIC];
  readonly unit: 'Count' | 'Milliseconds';
  readonly value: number;
  /** Extra dimensions (besides `service`), published as a metric of their own. */
  readonly dimensions?: Readonly<Record<string, string>>;
}

/**
 * What one recorded transition means for the metrics, derived from the incident before and after
 * (like the remediation events), so that no transition can forget to count itself.
 */
export function transitionMetrics(before: Incident | undefined, after: Incident): MetricPoint[] {
  const same = before?.id === after.id ? before : undefined;
  const points: MetricPoint[] = [];
  if (!same) points.push({ name: METRIC.incidentsOpened, unit: 'Count', value: 1 });
  const started = after.attempts.length - (same?.attempts.length ?? 0);
  if (started > 0) points.push({ name: METRIC.attempts, unit: 'Count', value: started });
  const entered = (status: string) => after.status === status && same?.status !== status;
  if (entered('resolved') && after.resolution?.how === 'verified') {
    points.push({ name: METRIC.fixedAutomatically, unit: 'Count', value: 1 });
    points.push({
      name: METRIC.timeToRemediate,
      unit: 'Milliseconds',
      value: Math.max(0, (after.closedAt ?? after.updatedAt) - after.openedAt),
    });
  }
  if (entered('escalated')) points.push({ name: METRIC.escalated, unit: 'Count', value: 1 });
  if (entered('suppressed')) points.push({ name: METRIC.suppressed, unit: 'Count', value: 1 });
  const refusals = after.refusals ?? [];
  const known = same?.refusals ?? [];
  for (const refusal of refusals) {
    if (known.some((k) => k.gate === refusal.gate && k.at === refusal.at)) continue;
    points.push({ name: METRIC.refused, unit: 'Count', value: 1 });
    points.push({ name: METRIC.refused, unit: 'Count', value: 1, dimensions: { Gate: refusal.gate } });
  }
  return points;
}
