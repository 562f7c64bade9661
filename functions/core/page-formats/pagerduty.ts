import type { PageEffect } from '../effects.ts';
import type { Incident } from '../incident.ts';
import { clipChars, cloudWatchTime, iso, oneLine, outcome, regionName } from './helpers.ts';
import { ALARM_DESCRIPTION_CHARS, PAGERDUTY_REASON_CHARS } from './limits.ts';

/** PagerDuty: the CloudWatch alarm notification its Amazon CloudWatch integration turns into an incident. */

/** The JSON CloudWatch publishes to SNS when an alarm changes state (what PagerDuty's integration reads). */
export interface CloudWatchAlarmNotification {
  readonly AlarmName: string;
  readonly AlarmDescription: string | null;
  readonly AWSAccountId: string;
  readonly AlarmConfigurationUpdatedTimestamp: string;
  readonly NewStateValue: 'ALARM' | 'OK';
  readonly NewStateReason: string;
  readonly StateChangeTime: string;
  /** The region's display name, as CloudWatch writes it ("US East (N. Virginia)"). */
  readonly Region: string;
  readonly AlarmArn: string;
  readonly OldStateValue: 'ALARM' | 'OK';
  readonly OKActions: readonly string[];
  readonly AlarmActions: readonly string[];
  readonly InsufficientDataActions: readonly string[];
  readonly Trigger: CloudWatchTrigger;
}

/** The `Trigger` of a single-metric alarm notification. */
export interface CloudWatchTrigger {
  readonly MetricName: string;
  readonly Namespace: string;
  readonly StatisticType: 'Statistic';
  readonly Statistic: 'MAXIMUM';
  readonly Unit: null;
  readonly Dimensions: readonly { readonly value: string; readonly name: string }[];
  readonly Period: number;
  readonly EvaluationPeriods: number;
  readonly ComparisonOperator: 'GreaterThanOrEqualToThreshold';
  readonly Threshold: number;
  readonly TreatMissingData: string;
  readonly EvaluateLowSampleCountPercentile: string;
}

/** The namespace of the virtual metric the synthesized notifications name ("escalated: 1"). */
export const PAGE_NAMESPACE = 'EC2AutoRemediation';

/**
 * The notification PagerDuty's Amazon CloudWatch integration accepts: the escalation is the alarm
 * going OK -> ALARM (an incident opens), the resolution the same alarm going ALARM -> OK (the same
 * incident resolves). It names the real alarm (name and ARN), so that PagerDuty keys both on the
 * alarm whichever identifier the integration is set to, and a direct CloudWatch -> PagerDuty wiring
 * of the same alarm, if there is one, lands in the same incident.
 */
export function pagerDutyForm(effect: PageEffect): CloudWatchAlarmNotification {
  const { incident } = effect;
  const escalated = effect.page === 'escalation';
  const at = escalated
    ? (incident.escalation?.at ?? incident.updatedAt)
    : (incident.resolution?.at ?? incident.closedAt ?? incident.updatedAt);
  return cloudWatchNotification({
    name: incident.alarm.name,
    arn: incident.alarm.arn,
    account: incident.alarm.account,
    region: incident.alarm.region,
    description: alarmDescription(incident),
    state: escalated ? 'ALARM' : 'OK',
    reason: escalated ? escalationStory(incident) : resolutionStory(incident),
    at,
    configuredAt: incident.openedAt,
    // Made up: no CloudWatch metric is named `EC2AutoRemediation/Escalated`. The notification's shape
    // needs a metric; the real alarm's name, ARN and description are what PagerDuty shows and keys on.
    metric: 'Escalated',
    dimensions: [
      ...(incident.instanceId ? [{ name: 'InstanceId', value: incident.instanceId }] : []),
      { name: 'Runbook', value: incident.key.runbook },
    ],
  });
}

/**
 * `AlarmDescription`: the real alarm's description as its owners wrote it (teams keep their runbook
 * links there), as CloudWatch would send it, with our one-line summary after it only when both fit
 * within the limit (CloudWatch's own, 1024). Without a description, the summary alone. The same for
 * every form of the incident, so that PagerDuty shows the same text on open and resolve.
 */
export function alarmDescription(incident: Incident): string {
  const where = incident.instanceId ?? 'no single instance';
  const summary = oneLine(
    `Paged by EC2 auto-remediation: runbook ${incident.key.runbook} on ${where}, incident ${incident.id}. ` +
      (incident.proposal
        ? 'Automation proposed a fix for a person to approve.'
        : 'The alarm went to automation first; this page says why a human is needed.'),
  );
  const own = incident.alarm.description;
  if (!own) return clipChars(summary, ALARM_DESCRIPTION_CHARS);
  const both = `${own} | ${summary}`;
  return both.length <= ALARM_DESCRIPTION_CHARS ? both : clipChars(own, ALARM_DESCRIPTION_CHARS);
}

function escalationStory(incident: Incident): string {
  const attempts = incident.attempts.map((a) => `#${a.number} ${outcome(a)}`).join('; ');
  const refusals = (incident.refusals ?? []).map((r) => `${r.gate} gate: ${r.reason}`).join('; ');
  return story([
    `${incident.status === 'awaiting-approval' && incident.proposal ? `Proposal awaiting approval: ${incident.proposal.action} on ${incident.proposal.instanceId}, expires ${iso(incident.proposal.expiresAt)}` : `Paged: ${incident.escalation?.reason ?? 'automation stopped'}`}.`,
    attempts ? `Attempts: ${attempts}.` : 'Nothing was run.',
    refusals ? `Refused: ${refusals}.` : '',
    `Alarm: ${incident.alarm.reason}`,
    `Incident ${incident.id}.`,
  ]);
}

function resolutionStory(incident: Incident): string {
  const how =
    incident.resolution?.how === 'verified' ? 'after remediation' : 'without a successful remediation';
  const n = incident.attempts.length;
  return story([
    `The alarm is OK again (${how}) at ${iso(incident.resolution?.at ?? incident.closedAt)}.`,
    `Automation made ${n} attempt${n === 1 ? '' : 's'}; incident ${incident.id} is closed.`,
  ]);
}

export function story(parts: readonly string[]): string {
  return clipChars(oneLine(parts.filter(Boolean).join(' ')), PAGERDUTY_REASON_CHARS);
}

interface NotificationFields {
  readonly name: string;
  readonly arn: string;
  readonly account: string;
  readonly region: string;
  readonly description: string;
  readonly state: 'ALARM' | 'OK';
  readonly reason: string;
  readonly at: number | undefined;
  readonly configuredAt: number | undefined;
  readonly metric: string;
  readonly dimensions: readonly { readonly name: string; readonly value: string }[];
}

export function cloudWatchNotification(f: NotificationFields): CloudWatchAlarmNotification {
  return {
    AlarmName: f.name,
    AlarmDescription: f.description,
    AWSAccountId: f.account,
    AlarmConfigurationUpdatedTimestamp: cloudWatchTime(f.configuredAt),
    NewStateValue: f.state,
    NewStateReason: f.reason,
    StateChangeTime: cloudWatchTime(f.at),
    Region: regionName(f.region),
    AlarmArn: f.arn,
    OldStateValue: f.state === 'ALARM' ? 'OK' : 'ALARM',
    OKActions: [],
    AlarmActions: [],
    InsufficientDataActions: [],
    Trigger: {
      MetricName: f.metric,
      Namespace: PAGE_NAMESPACE,
      StatisticType: 'Statistic',
      Statistic: 'MAXIMUM',
      Unit: null,
      Dimensions: f.dimensions.slice(0, 10).map((d) => ({ value: clipChars(d.value, 255), name: d.name })),
      Period: 60,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      TreatMissingData: 'missing',
      EvaluateLowSampleCountPercentile: '',
    },
  };
}
