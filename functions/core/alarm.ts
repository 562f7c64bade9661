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
