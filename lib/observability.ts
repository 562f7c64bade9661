import { Annotations, ArnFormat, Duration, Names, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MAX_DELAY_SECONDS } from '../functions/adapters/aws/sqs-timer-queue.ts';
import { METRIC, METRICS_NAMESPACE, METRICS_SERVICE } from '../functions/core/metrics.ts';
import { uniqueNamePrefix } from './physical-names.ts';

/** Above this age (seconds) the oldest timer is late: a timer waits at most 900 s per hop, plus 5 minutes. */
export const TIMER_AGE_THRESHOLD_SECONDS = MAX_DELAY_SECONDS + 300;
/** Above this share of incidents escalated in an hour, automation is failing broadly. */
export const ESCALATION_RATE_THRESHOLD = 0.5;
/** The escalation rate is only judged from this many incidents opened in the hour. */
export const ESCALATION_RATE_MIN_INCIDENTS = 4;

const FIVE_MINUTES = Duration.minutes(5);
const ONE_HOUR = Duration.hours(1);

/**
 * What feeds a dead-letter queue, which decides what a message in it is and how to recover it:
 * - `eventbridge-target`: an event an EventBridge rule could not deliver to its target;
 * - `lambda-on-failure`: an asynchronous invocation that failed after Lambda's retries;
 * - `sqs-redrive`: a message another SQS queue gave up on after `maxReceiveCount` receives.
 */
export type DeadLetterSource = 'eventbridge-target' | 'lambda-on-failure' | 'sqs-redrive';

/** A dead-letter queue to alarm on and chart. */
export interface WatchedDeadLetterQueue {
  /** Short kebab-case name, used in the alarm name and the chart, e.g. `undelivered-events`. */
  readonly name: string;
  readonly queue: sqs.IQueue;
  readonly source: DeadLetterSource;
  /** Whose dead-letter queue it is, e.g. "the alarm and command-status rules". */
  readonly of: string;
}

/** Options of the remediator's own monitoring. */
export interface RemediationObservabilityProps {
  /** The functions to watch, by short kebab-case name (used in alarm names and chart titles). */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /** The queue the timer function consumes. */
  readonly timerQueue: sqs.IQueue;
  /** Every dead-letter queue of the system: a message in any of them is work lost to automation. */
  readonly deadLetterQueues: readonly WatchedDeadLetterQueue[];
  /** Where the alarms page, on ALARM and on OK. */
  readonly pagerTopic: sns.ITopic;
  /**
   * Prefix of the alarm names and the dashboard name: at most 128 of `A-Za-z0-9_-`, and unique in the
   * account and Region (alarm names are; dashboard names are unique in the account, so the Region is
   * appended to the dashboard's).
   * @default - the stack name and this construct's path, e.g. `MyStack-Observability` (uniqueNamePrefix)
   */
  readonly namePrefix?: string;
}

/**
 * The remediator watches itself: a dashboard of what it did (incidents opened, fixed, escalated,
 * suppressed, refusals by gate, attempts, time to remediate) and of its plumbing (functions, queues),
 * and alarms that page through the same topic as incidents when automation itself is blind or failing.
 *
 * The alarms need CloudWatch to be allowed to publish to the topic (and to use its KMS key, if any).
 * A topic created by this stack gets a topic policy statement here (the key policy is granted in
 * PagerTopic); a topic brought from elsewhere must allow `cloudwatch.amazonaws.com` by its owner.
 */
export class RemediationObservability extends Construct {
  /** One page for operators: outcomes first, then the functions and queues. */
  readonly dashboard: cloudwatch.Dashboard;
  /** Errors of each function, by the name it was given. */
  readonly functionErrorAlarms: Readonly<Record<string, cloudwatch.Alarm>>;
  /** Visible messages in each dead-letter queue, by the name it was given. */
  readonly deadLetterAlarms: Readonly<Record<string, cloudwatch.Alarm>>;
  /** The oldest timer is older than any timer should be: the timer function is not consuming. */
  readonly timerAgeAlarm: cloudwatch.Alarm;
  /** Most incidents of the last hour escalated: automation is failing broadly. */
  readonly escalationRateAlarm: cloudwatch.Alarm;
  /** Every alarm above. */
  readonly alarms: readonly cloudwatch.Alarm[];

  private readonly prefix: string;
  private readonly action: cloudwatchActions.SnsAction;

  constructor(scope: Construct, id: string, props: RemediationObservabilityProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.prefix = namePrefix(props.namePrefix ?? uniqueNamePrefix(this));
    this.action = new cloudwatchActions.SnsAction(props.pagerTopic);
    this.allowAlarmsToPublish(props.pagerTopic);

    this.functionErrorAlarms = Object.fromEntries(
      Object.entries(props.functions).map(([name, fn]) => [name, this.functionErrorAlarm(name, fn)]),
    );
    this.deadLetterAlarms = Object.fromEntries(
      props.deadLetterQueues.map((dlq) => [dlq.name, this.deadLetterAlarm(dlq)]),
    );
    this.timerAgeAlarm = this.alarm('TimerQueueAge', {
      alarmName: `${this.prefix}-timer-queue-age`,
      alarmDescription: [
        `The oldest timer in ${props.timerQueue.queueName} is older than ${TIMER_AGE_THRESHOLD_SECONDS} s.`,
        `A timer waits in SQS at most ${MAX_DELAY_SECONDS} s per hop, so the timer function is not`,
        'consuming (disabled event source mapping, throttling, or errors on every receive): retries,',
        'verify deadlines and reconciliation are late, and incidents stay where they are.',
        'What to do: check the timer function (Errors, Throttles, its log group) and that its SQS event',
        'source mapping is enabled; once it consumes again the queue drains by itself.',
      ].join(' '),
      metric: props.timerQueue.metricApproximateAgeOfOldestMessage({
        statistic: cloudwatch.Stats.MAXIMUM,
        period: FIVE_MINUTES,
      }),
      threshold: TIMER_AGE_THRESHOLD_SECONDS,
    });
    this.escalationRateAlarm = this.alarm('EscalationRate', {
      alarmName: `${this.prefix}-escalation-rate`,
      alarmDescription: [
        `More than ${ESCALATION_RATE_THRESHOLD * 100}% of the incidents of the last hour were escalated to`,
        `a human (judged from ${ESCALATION_RATE_MIN_INCIDENTS} incidents opened in the hour): automation is`,
        'failing broadly, not one instance. What to do: open the dashboard (refusals by gate, attempts)',
        'and the escalation pages to find the runbook or gate concerned (a broken runbook, a fleet-wide',
        'outage, an exhausted budget); while you look, pause it (`npx remediate pause --runbook NAME',
        '--reason TEXT`) or, without --runbook, every runbook.',
      ].join(' '),
      metric: this.escalationRate(),
      threshold: ESCALATION_RATE_THRESHOLD,
    });
    this.alarms = [
      ...Object.values(this.functionErrorAlarms),
      ...Object.values(this.deadLetterAlarms),
      this.timerAgeAlarm,
      this.escalationRateAlarm,
    ];

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      // Dashboards are global to the account: the region keeps one prefix in two regions apart.
      dashboardName: `${this.prefix}-${stack.region}`,
      defaultInterval: Duration.hours(24),
    });
    this.addWidgets(props);
  }

  private functionErrorAlarm(name: string, fn: lambda.IFunction): cloudwatch.Alarm {
    return this.alarm(`${pascal(name)}FunctionErrors`, {
      alarmName: `${this.prefix}-${name}-function-errors`,
      alarmDescription: [
        `The ${name} function (${fn.functionName}) failed at least one invocation in 5 minutes.`,
        'Failed work is retried (Lambda async retries, or SQS redelivery for timers) and ends in a',
        'dead-letter queue if it keeps failing, which raises its own alarm. What to do: read the',
        "function's log group for level ERROR (Logs Insights: filter level = 'ERROR'), fix the cause",
        '(permissions, a throttled or missing dependency, a bad deploy), then redrive what reached a',
        'dead-letter queue.',
      ].join(' '),
      metric: fn.metricErrors({ statistic: cloudwatch.Stats.SUM, period: FIVE_MINUTES }),
      threshold: 0,
    });
  }

  private deadLetterAlarm(dlq: WatchedDeadLetterQueue): cloudwatch.Alarm {
    return this.alarm(`${pascal(dlq.name)}DeadLetters`, {
      alarmName: `${this.prefix}-dlq-${dlq.name}`,
      alarmDescription: [
        `Messages are waiting in the dead-letter queue ${dlq.queue.queueName}, of ${dlq.of}.`,
        DEAD_LETTER_MEANING[dlq.source],
        'The alarm returns to OK when the queue is empty.',
      ].join(' '),
      metric: dlq.queue.metricApproximateNumberOfMessagesVisible({
        statistic: cloudwatch.Stats.MAXIMUM,
        period: FIVE_MINUTES,
      }),
      threshold: 0,
    });
  }

  /**
   * Every alarm here: above the threshold for one period pages, and no data is not a breach (a
   * function that was not invoked, a queue that stayed empty, an hour without incidents).
   */
  private alarm(
    id: string,
    options: Pick<cloudwatch.AlarmProps, 'alarmName' | 'alarmDescription' | 'metric' | 'threshold'>,
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      ...options,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    return alarm;
  }

  /**
   * The topic policy CDK writes for a topic replaces the default one, so CloudWatch may not publish
   * until allowed; limited to these alarms (by name prefix) in this account and region.
   */
  private allowAlarmsToPublish(topic: sns.ITopic): void {
    const stack = Stack.of(this);
    const { statementAdded } = topic.addToResourcePolicy(
      new iam.PolicyStatement({
        // One statement per engine sharing the topic: statement ids must differ within a policy.
        sid: `AllowRemediatorAlarmsToPublish${Names.uniqueId(this)}`,
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: `${this.prefix}-*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
          StringEquals: { 'aws:SourceAccount': stack.account },
        },
      }),
    );
    if (!statementAdded) {
      Annotations.of(this).addInfo(
        `The pager topic is not managed by this stack: for the ${this.prefix}-* alarms to page, its ` +
          'policy (and its KMS key policy, if encrypted) must allow cloudwatch.amazonaws.com to publish.',
      );
    }
  }

  /** Escalated / IncidentsOpened over an hour, 0 below the minimum volume. */
  private escalationRate(): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: `IF(opened >= ${ESCALATION_RATE_MIN_INCIDENTS}, FILL(escalated, 0) / opened, 0)`,
      usingMetrics: {
        opened: emf(METRIC.incidentsOpened, { period: ONE_HOUR }),
        escalated: emf(METRIC.escalated, { period: ONE_HOUR }),
      },
      period: ONE_HOUR,
      label: 'Escalated / opened (1 h)',
    });
  }

  private addWidgets(props: RemediationObservabilityProps): void {
    const graph = (options: cloudwatch.GraphWidgetProps) =>
      new cloudwatch.GraphWidget({ width: 8, height: 6, ...options });
    const counts = (names: ReadonlyArray<[string, string]>) =>
      names.map(([metricName, label]) => emf(metricName, { label }));

    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({ markdown: whatToLookAtFirst(this.prefix), width: 12, height: 8 }),
      new cloudwatch.AlarmStatusWidget({
        title: 'The remediator itself',
        alarms: [...this.alarms],
        width: 12,
        height: 8,
      }),
    );
    this.dashboard.addWidgets(
      graph({
        title: 'Incidents (per 5 min)',
        width: 12,
        left: counts([
          [METRIC.incidentsOpened, 'Opened'],
          [METRIC.fixedAutomatically, 'Fixed automatically'],
          [METRIC.escalated, 'Escalated'],
          [METRIC.suppressed, 'Suppressed (fleet breaker)'],
        ]),
      }),
      graph({
        title: 'Escalation rate (per hour)',
        width: 12,
        left: [this.escalationRate()],
        leftYAxis: { min: 0, max: 1, showUnits: false },
        leftAnnotations: [{ value: ESCALATION_RATE_THRESHOLD, label: 'Alarm' }],
      }),
    );
    this.dashboard.addWidgets(
      graph({
        title: 'Refusals by gate (per 5 min)',
        left: [
          new cloudwatch.MathExpression({
            // Every gate that refused, whatever gates exist: the `Gate` dimension is the gate's name.
            expression: `SEARCH('{${METRICS_NAMESPACE},Gate,service} MetricName="${METRIC.refused}" service="${METRICS_SERVICE}"', 'Sum', 300)`,
            usingMetrics: {},
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudWatch dynamic label, not JavaScript.
            label: "${PROP('Dim.Gate')}",
            period: FIVE_MINUTES,
          }),
        ],
        stacked: true,
      }),
      graph({
        title: 'Attempts and refusals (per 5 min)',
        left: counts([
          [METRIC.attempts, 'Attempts'],
          [METRIC.refused, 'Refused (all gates)'],
        ]),
        // Not ours, so not remediated: events from other accounts or Regions, alarms on instances
        // without the opt-in tag; and pages whose PagerDuty Events v2 copy was not put on the bus.
        right: counts([
          [METRIC.foreignEvents, 'Foreign events ignored'],
          [METRIC.unmanagedAlarms, 'Alarms on instances not opted in'],
          [METRIC.pageEventsFailed, 'Page events for PagerDuty not put'],
        ]),
      }),
      graph({
        title: 'Time to remediate (minutes, per hour)',
        left: (['p50', 'p90'] as const).map(
          (percentile) =>
            new cloudwatch.MathExpression({
              expression: `${percentile} / 60000`,
              usingMetrics: {
                [percentile]: emf(METRIC.timeToRemediate, { statistic: percentile, period: ONE_HOUR }),
              },
              label: percentile,
              period: ONE_HOUR,
            }),
        ),
        leftYAxis: { min: 0, showUnits: false },
      }),
    );
    this.dashboard.addWidgets(
      ...Object.entries(props.functions).map(([name, fn]) =>
        graph({
          title: `${name} function`,
          left: [
            fn.metricInvocations({ statistic: cloudwatch.Stats.SUM, period: FIVE_MINUTES }),
            fn.metricErrors({ statistic: cloudwatch.Stats.SUM, period: FIVE_MINUTES }),
            fn.metricThrottles({ statistic: cloudwatch.Stats.SUM, period: FIVE_MINUTES }),
          ],
          right: [fn.metricDuration({ statistic: 'p99', period: FIVE_MINUTES, label: 'Duration p99' })],
          rightAnnotations:
            fn instanceof lambda.Function && fn.timeout
              ? [{ value: fn.timeout.toMilliseconds(), label: 'Timeout' }]
              : [],
        }),
      ),
    );
    this.dashboard.addWidgets(
      graph({
        title: 'Dead-letter queues: messages (should be 0)',
        left: props.deadLetterQueues.map((dlq) =>
          dlq.queue.metricApproximateNumberOfMessagesVisible({
            statistic: cloudwatch.Stats.MAXIMUM,
            period: FIVE_MINUTES,
            label: dlq.name,
          }),
        ),
        leftYAxis: { min: 0 },
      }),
      graph({
        title: 'Timer queue: age of oldest message (s)',
        left: [
          props.timerQueue.metricApproximateAgeOfOldestMessage({
            statistic: cloudwatch.Stats.MAXIMUM,
            period: FIVE_MINUTES,
          }),
        ],
        leftYAxis: { min: 0 },
        leftAnnotations: [
          { value: MAX_DELAY_SECONDS, label: 'Longest delay', color: cloudwatch.Color.GREY },
          { value: TIMER_AGE_THRESHOLD_SECONDS, label: 'Alarm' },
        ],
      }),
      graph({
        title: 'Timer queue: depth',
        left: [
          props.timerQueue.metricApproximateNumberOfMessagesDelayed({
            statistic: cloudwatch.Stats.MAXIMUM,
            period: FIVE_MINUTES,
            label: 'Waiting (delayed)',
          }),
          props.timerQueue.metricApproximateNumberOfMessagesVisible({
            statistic: cloudwatch.Stats.MAXIMUM,
            period: FIVE_MINUTES,
            label: 'Due (visible)',
          }),
          props.timerQueue.metricApproximateNumberOfMessagesNotVisible({
            statistic: cloudwatch.Stats.MAXIMUM,
            period: FIVE_MINUTES,
            label: 'Being processed (in flight)',
          }),
        ],
        stacked: true,
      }),
    );
  }
}

/** A metric the handlers publish in EMF, with the `service` dimension; a sum per 5 minutes by default. */
export function emf(metricName: string, options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: METRICS_SERVICE },
    statistic: cloudwatch.Stats.SUM,
    period: FIVE_MINUTES,
    ...options,
  });
}

const DEAD_LETTER_MEANING: Readonly<Record<DeadLetterSource, string>> = {
  'eventbridge-target': [
    'Each is an event EventBridge could not deliver to its function after its retries: an alarm state',
    'change or command status the remediator never saw. What to do: read the message attributes',
    'ERROR_CODE and ERROR_MESSAGE and fix the cause (function permission, throttling); handle the alarm',
    'or command named in the event by hand; then delete the message.',
  ].join(' '),
  'lambda-on-failure': [
    "Each is an event whose function failed after Lambda's retries: requestPayload is the event,",
    'responsePayload the error. What to do: fix the cause from the error and the function logs; invoke',
    'the function again with the requestPayload (or handle the incident by hand); then delete the message.',
  ].join(' '),
  'sqs-redrive': [
    'Each is a timer (retry, verify deadline or reconciliation) that failed every receive: its incident',
    'is stuck where it was. What to do: fix the cause from the timer function logs and its Errors alarm,',
    'then start a dead-letter queue redrive back to the source queue (SQS console, or',
    '`aws sqs start-message-move-task`); the incidents resume.',
  ].join(' '),
};

function whatToLookAtFirst(prefix: string): string {
  return [
    '# Is the remediator healthy?',
    `Look first at **the alarms** (right, all named \`${prefix}-…\`): each pages the same topic as incidents.`,
    '1. **dlq-…** in ALARM: an event or a timer was **lost to automation**. The alarm description says what',
    '   the message is and how to recover it. Fix first, then redrive.',
    '2. **…-function-errors**: open the function log group, filter `level = ERROR`.',
    `3. **timer-queue-age** (oldest timer over ${TIMER_AGE_THRESHOLD_SECONDS / 60} min): the timer function is not`,
    '   consuming; retries and verify deadlines are late.',
    '4. **escalation-rate** (most incidents escalated): automation is failing broadly; consider',
    '   `npx remediate pause --runbook NAME --reason TEXT` while you look.',
    '',
    'Then the outcomes: incidents **opened** vs **fixed automatically** vs **escalated**; **refusals by gate**',
    'say why automation held back (kill-switch, opt-in, breaker, budget, lease, concurrency…).',
  ].join('\n');
}

/** Checks a given prefix at synth: one with other characters would fail the deploy. */
function namePrefix(prefix: string): string {
  if (!Token.isUnresolved(prefix) && !/^[A-Za-z0-9_-]{1,128}$/.test(prefix)) {
    throw new Error(
      `namePrefix "${prefix}" cannot name alarms and a dashboard: use 1 to 128 letters, digits, '-' or '_', ` +
        'unique in the account and Region (or leave it out for one derived from the stack and construct path)',
    );
  }
  return prefix;
}

function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part !== '')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
