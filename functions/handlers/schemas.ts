import type { AlarmChange, AlarmMetric } from '../core/alarm.ts';
import { TIMER_KINDS } from '../core/incident.ts';
import type { BreakerTimerMessage, TimerMessage } from '../core/inputs.ts';
import { isMultiTimeSeriesQuery, seriesMetrics } from '../core/runbook-alarm.ts';
import * as z from './zod-locale.ts';

/**
 * Schemas of what the handlers accept, from AWS's published event shapes. They check what the
 * system relies on and let the rest through, so a field AWS adds tomorrow does not reject events.
 * Everything a schema lets in is still data: nothing from an event ever becomes shell text.
 */

const timestamp = z.string().check(
  z.maxLength(64),
  z.refine((value) => Number.isFinite(parseAwsTimestamp(value)), 'not a timestamp'),
);

const alarmState = z.object({
  value: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']),
  reason: z._default(z.string().check(z.maxLength(4096)), ''),
  timestamp,
});

const metricStat = z.looseObject({
  metric: z.looseObject({
    namespace: z.string().check(z.maxLength(512)),
    name: z.string().check(z.maxLength(512)),
    dimensions: z.optional(
      z.record(z.string().check(z.minLength(1), z.maxLength(1024)), z.string().check(z.maxLength(1024))),
    ),
  }),
});

const alarmMetric = z.looseObject({
  id: z.optional(z.string().check(z.maxLength(512))),
  metricStat: z.optional(metricStat),
  expression: z.optional(z.string().check(z.maxLength(4096))),
});

/** What every CloudWatch event carries around its detail: where it comes from. */
const cloudWatchEnvelope = {
  source: z.literal('aws.cloudwatch'),
  account: z.string().check(z.regex(/^\d{12}$/, 'account must be 12 digits')),
  region: z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'not an AWS region')),
  time: z.string().check(z.maxLength(64)),
  resources: z.array(z.string().check(z.maxLength(2048))).check(z.minLength(1)),
};

/** What both alarm events may add to their detail: propagated tags, and the mute rule in force. */
const alarmExtras = {
  alarmTags: z.optional(
    z.record(z.string().check(z.minLength(1), z.maxLength(128)), z.string().check(z.maxLength(256))),
  ),
  muteDetail: z.optional(z.looseObject({ mutedByArn: z.optional(z.string().check(z.maxLength(2048))) })),
};

/** EventBridge "CloudWatch Alarm State Change" (single metric, metric math, anomaly detection, composite). */
export const alarmStateChangeEvent = z.looseObject({
  id: z.string().check(z.maxLength(128)),
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  ...cloudWatchEnvelope,
  detail: z.looseObject({
    alarmName: z.string().check(z.minLength(1), z.maxLength(255)),
    state: alarmState,
    previousState: z.optional(z.partial(alarmState)),
    configuration: z.optional(
      z.looseObject({
        metrics: z.optional(z.array(alarmMetric).check(z.maxLength(100))),
        alarmRule: z.optional(z.string().check(z.maxLength(10_240))),
        // Where teams keep their runbook links; up to 1024 characters (PutMetricAlarm's limit).
        description: z.catch(z.optional(z.string().check(z.maxLength(1024))), undefined),
      }),
    ),
    ...alarmExtras,
  }),
});

/** The parsed alarm event. */
export type AlarmStateChangeEvent = z.infer<typeof alarmStateChangeEvent>;

/**
 * EventBridge "CloudWatch Alarm Contributor State Change": one series (contributor) of a Metrics
 * Insights multi-time-series alarm, from AWS's published sample. It carries no previous state, no
 * reasonData and no metric dimensions: the contributor's attributes are its GROUP BY values, and
 * its state is only ever ALARM or OK.
 */
export const alarmContributorStateChangeEvent = z.looseObject({
  id: z.string().check(z.maxLength(128)),
  'detail-type': z.literal('CloudWatch Alarm Contributor State Change'),
  ...cloudWatchEnvelope,
  detail: z.looseObject({
    alarmName: z.string().check(z.minLength(1), z.maxLength(255)),
    alarmContributor: z.looseObject({
      id: z.string().check(z.minLength(1), z.maxLength(64)),
      attributes: z
        .record(z.string().check(z.minLength(1), z.maxLength(255)), z.string().check(z.maxLength(1024)))
        .check(z.refine((attributes) => Object.keys(attributes).length <= 30, 'at most 30 attributes')),
    }),
    state: z.object({
      value: z.enum(['OK', 'ALARM']),
      reason: z._default(z.string().check(z.maxLength(4096)), ''),
      timestamp,
    }),
    configuration: z.optional(
      z.looseObject({ metrics: z.optional(z.array(alarmMetric).check(z.maxLength(100))) }),
    ),
    ...alarmExtras,
  }),
});

/** The parsed contributor event. */
export type AlarmContributorStateChangeEvent = z.infer<typeof alarmContributorStateChangeEvent>;

/** Either alarm event the alarm function takes. */
export const anyAlarmEvent = z.discriminatedUnion('detail-type', [
  alarmStateChangeEvent,
  alarmContributorStateChangeEvent,
]);
export type AnyAlarmEvent = z.infer<typeof anyAlarmEvent>;

/** EventBridge "EC2 Command Invocation Status-change Notification" (per instance). */
export const commandInvocationEvent = z.looseObject({
  id: z.string().check(z.maxLength(128)),
  'detail-type': z.literal('EC2 Command Invocation Status-change Notification'),
  source: z.literal('aws.ssm'),
  account: z.string().check(z.regex(/^\d{12}$/)),
  region: z.string().check(z.maxLength(32)),
  detail: z.looseObject({
    'command-id': z.string().check(z.regex(/^[0-9a-f-]{36}$/i, 'not an SSM command id')),
    'document-name': z.string().check(z.minLength(1), z.maxLength(256)),
    'instance-id': z.string().check(z.minLength(1), z.maxLength(64)),
    status: z.string().check(z.minLength(1), z.maxLength(32)),
  }),
});

/** The parsed command status event. */
export type CommandInvocationEvent = z.infer<typeof commandInvocationEvent>;

/** The body of a timer message, as the timer queue adapter wrote it. */
const name64 = () => z.string().check(z.minLength(1), z.maxLength(64));
const text128 = () => z.string().check(z.minLength(1), z.maxLength(128));
const epochMs = () => z.int().check(z.nonnegative());

export const timerMessage = z.object({
  key: z.object({
    runbook: name64(),
    alarm: z.string().check(z.regex(/^[0-9a-f]{16}$/, 'not an alarm key')),
    target: name64(),
  }),
  incidentId: text128(),
  // Every kind the decider schedules: a kind left out here would be dropped as malformed.
  kind: z.enum(TIMER_KINDS),
  token: text128(),
  dueAt: epochMs(),
  redelivery: z.optional(z.object({ at: epochMs(), count: epochMs() })),
  wake: z.optional(z.object({ list: text128(), slot: z.optional(z.int().check(z.nonnegative())) })),
}) satisfies z.ZodMiniType<TimerMessage>;

/** The body of a breaker timer message. */
export const breakerTimerMessage = z.object({
  kind: z.literal('breaker'),
  runbook: name64(),
  openedAt: epochMs(),
  dueAt: epochMs(),
  purpose: z.optional(z.literal('update')),
}) satisfies z.ZodMiniType<BreakerTimerMessage>;

/** Any timer message on the queue. */
export const queuedTimer = z.union([breakerTimerMessage, timerMessage]);

const AWS_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})$/;

/**
 * Parses AWS's alarm timestamps strictly: NaN unless the text is a real instant. CloudWatch writes
 * `2019-10-02T17:04:40.989+0000`, which is not ISO 8601 as JavaScript reads it (the offset lacks its
 * colon); and JavaScript reads 2026-02-30 as March 2nd, which is no date at all.
 */
export function parseAwsTimestamp(value: string): number {
  const parts = AWS_TIMESTAMP.exec(value);
  if (!parts) return Number.NaN;
  const [, year, month, day, hour, minute, second] = parts.map(Number) as number[];
  const calendar = new Date(Date.UTC(year as number, (month as number) - 1, day as number));
  const realDay =
    calendar.getUTCFullYear() === year &&
    calendar.getUTCMonth() === (month as number) - 1 &&
    calendar.getUTCDate() === day;
  if (!realDay || (hour as number) > 23 || (minute as number) > 59 || (second as number) > 59)
    return Number.NaN;
  return Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
}

/** What the core needs to know of an alarm event. */
export function toAlarmChange(event: AnyAlarmEvent): AlarmChange {
  if ('alarmContributor' in event.detail)
    return toContributorChange(event as AlarmContributorStateChangeEvent);
  const { detail } = event as AlarmStateChangeEvent;
  const entries = detail.configuration?.metrics ?? [];
  const multi = entries.some(
    (entry) => entry.expression !== undefined && isMultiTimeSeriesQuery(entry.expression),
  );
  const metrics: AlarmMetric[] = entries.flatMap((entry) =>
    entry.metricStat
      ? [
          {
            namespace: entry.metricStat.metric.namespace,
            metricName: entry.metricStat.metric.name,
            dimensions: entry.metricStat.metric.dimensions ?? {},
          },
        ]
      : [],
  );
  return {
    alarmName: detail.alarmName,
    alarmArn: event.resources[0] as string,
    account: event.account,
    region: event.region,
    state: detail.state.value,
    previousState: detail.previousState?.value,
    stateAt: parseAwsTimestamp(detail.state.timestamp),
    reason: detail.state.reason,
    metrics,
    usesExpression: entries.some((entry) => entry.expression !== undefined),
    composite: detail.configuration?.alarmRule !== undefined || entries.length === 0,
    tags: detail.alarmTags ?? {},
    ...(detail.configuration?.description ? { description: detail.configuration.description } : {}),
    ...(detail.muteDetail ? { mutedBy: detail.muteDetail.mutedByArn ?? 'an alarm mute rule' } : {}),
    ...(multi ? { seriesCount: detail.state.reason } : {}),
  };
}

/**
 * A contributor's change: the metric its alarm's query reads, with the query's dimension equalities
 * and the contributor's GROUP BY values as dimensions, so that runbook matching and `fromAlarm`
 * parameters read it as they read a single-metric alarm.
 */
function toContributorChange(event: AlarmContributorStateChangeEvent): AlarmChange {
  const { detail } = event;
  const attributes = detail.alarmContributor.attributes;
  return {
    alarmName: detail.alarmName,
    alarmArn: event.resources[0] as string,
    account: event.account,
    region: event.region,
    state: detail.state.value,
    previousState: undefined,
    stateAt: parseAwsTimestamp(detail.state.timestamp),
    reason: detail.state.reason,
    metrics: seriesMetrics(
      (detail.configuration?.metrics ?? []).map((entry) => entry.expression),
      attributes,
    ),
    usesExpression: true,
    composite: false,
    tags: detail.alarmTags ?? {},
    ...(detail.muteDetail ? { mutedBy: detail.muteDetail.mutedByArn ?? 'an alarm mute rule' } : {}),
    contributor: { id: detail.alarmContributor.id, attributes: { ...attributes } },
  };
}

/** A schema failure as one line a human can read in the logs. */
export function describeIssues(error: {
  readonly issues: readonly { readonly path: readonly PropertyKey[]; readonly message: string }[];
}): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`)
    .join('; ');
}
