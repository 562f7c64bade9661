import { quoteUntrusted } from './untrusted-text.ts';

/**
 * What the core knows of a CloudWatch alarm state change, whichever shape AWS sent (single metric,
 * metric math, composite). The handler's schema turns the raw event into this; the core never sees
 * the raw event.
 */
export interface AlarmChange {
  readonly alarmName: string;
  readonly alarmArn: string;
  readonly account: string;
  readonly region: string;
  readonly state: AlarmStateValue;
  readonly previousState: AlarmStateValue | undefined;
  /** When the alarm entered `state`, as epoch milliseconds: the order of alarm inputs. */
  readonly stateAt: number;
  /** CloudWatch's own sentence for the change, for humans. */
  readonly reason: string;
  /** The alarm's description, as its owners wrote it (often their runbook link): untrusted text. */
  readonly description?: string;
  /** The metrics the alarm reads directly (metric math expressions are not metrics). */
  readonly metrics: readonly AlarmMetric[];
  /** True when the alarm evaluates a metric math or anomaly detection expression. */
  readonly usesExpression: boolean;
  /** True for a composite alarm, which watches other alarms and names no metric. */
  readonly composite: boolean;
  /** Tags propagated onto the event (only present when the account enables tag propagation). */
  readonly tags: Readonly<Record<string, string>>;
  /** The alarm mute rule in force, when CloudWatch muted the alarm's actions (`detail.muteDetail`). */
  readonly mutedBy?: string;
  /**
   * For one series of a multi-time-series (Metrics Insights `GROUP BY`) alarm: which one. Each
   * contributor has its own state (ALARM or OK) and its own incident.
   */
  readonly contributor?: AlarmContributor;
  /**
   * Set on a multi-time-series alarm's own state change, which only counts its contributors ("6 out
   * of 6 time series evaluated to ALARM"): the contributors' own events carry the instances.
   */
  readonly seriesCount?: string;
}

/**
 * The counts in a fleet alarm's own state reason: "6 out of 6 time series evaluated to ALARM" (above
 * 100, CloudWatch writes "100+"); undefined when the reason says no such thing.
 */
export function seriesOutOf(
  reason: string,
): { readonly inAlarm: number; readonly total: number } | undefined {
  const match = /(\d{1,7})\+? out of (\d{1,7})\+? time series/.exec(reason);
  return match ? { inAlarm: Number(match[1]), total: Number(match[2]) } : undefined;
}

/** One series of a multi-time-series alarm: its id (at most 16 characters) and its GROUP BY values. */
export interface AlarmContributor {
  readonly id: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/**
 * What identifies an alarm's episode stream: the alarm, and for a multi-time-series alarm the
 * contributor (each one goes to ALARM and OK on its own).
 */
export function alarmIdentity(alarm: {
  readonly alarmArn: string;
  readonly contributor?: { readonly id: string };
}): string {
  return alarm.contributor ? `${alarm.alarmArn}#contributor/${alarm.contributor.id}` : alarm.alarmArn;
}

/** CloudWatch's three alarm states. */
export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** A metric an alarm reads. */
export interface AlarmMetric {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

/** An EC2 instance id (`i-` and 8 or 17 hex digits). Anything else is not a target. */
export const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

/** The instance an alarm is about, or why it names none the system may act on. */
export type AlarmTarget =
  | { readonly kind: 'instance'; readonly instanceId: string }
  | { readonly kind: 'none'; readonly reason: string };

/**
 * Finds the single instance an alarm is about, from the `InstanceId` dimension of the metrics it
 * reads. Metric math or anomaly detection over one instance's metrics names that instance. The
 * system never guesses: several instances, a metric of no instance, a composite alarm or a malformed
 * id all mean there is no target, with the reason stated for the human who gets paged.
 */
export function alarmTarget(alarm: AlarmChange): AlarmTarget {
  if (alarm.contributor) return contributorTarget(alarm.contributor);
  if (alarm.composite) {
    return { kind: 'none', reason: 'composite alarm: it watches other alarms and names no single instance' };
  }
  const ids = new Set(
    alarm.metrics.map((m) => m.dimensions.InstanceId).filter((id): id is string => id !== undefined),
  );
  if (ids.size === 0) {
    return { kind: 'none', reason: 'the alarm has no InstanceId dimension, so it names no instance' };
  }
  if (ids.size > 1) {
    return {
      kind: 'none',
      reason: `the alarm reads metrics of ${ids.size} instances (${[...ids].slice(0, 5).join(', ')}); the system never picks one`,
    };
  }
  if (alarm.metrics.some((m) => m.dimensions.InstanceId === undefined)) {
    return {
      kind: 'none',
      reason:
        'the alarm mixes metrics of an instance with metrics of no instance, so it is not about one instance alone',
    };
  }
  const [instanceId] = [...ids] as [string];
  if (!INSTANCE_ID.test(instanceId)) {
    return {
      kind: 'none',
      reason: `the InstanceId dimension ${quoteUntrusted(instanceId, 40)} is not an EC2 instance id`,
    };
  }
  return { kind: 'instance', instanceId };
}

/** A contributor's instance: its `InstanceId` attribute (the alarm's query groups by it). */
function contributorTarget(contributor: AlarmContributor): AlarmTarget {
  const instanceId = contributor.attributes.InstanceId;
  if (instanceId === undefined) {
    const keys = Object.keys(contributor.attributes)
      .slice(0, 5)
      .map((k) => quoteUntrusted(k, 40));
    return {
      kind: 'none',
      reason: `the fleet alarm's series is grouped by ${keys.join(', ') || 'nothing'}, not InstanceId, so it names no instance`,
    };
  }
  if (!INSTANCE_ID.test(instanceId)) {
    return {
      kind: 'none',
      reason: `the series' InstanceId ${quoteUntrusted(instanceId, 40)} is not an EC2 instance id`,
    };
  }
  return { kind: 'instance', instanceId };
}
