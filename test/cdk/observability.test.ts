import { Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_DELAY_SECONDS } from '../../functions/adapters/aws/sqs-timer-queue.ts';
import { METRIC, METRICS_NAMESPACE, METRICS_SERVICE } from '../../functions/core/metrics.ts';
import {
  ESCALATION_RATE_MIN_INCIDENTS,
  ESCALATION_RATE_THRESHOLD,
  TIMER_AGE_THRESHOLD_SECONDS,
} from '../../lib/observability.ts';
import { RemediationEngine } from '../../lib/remediation-engine.ts';
import { RemediationStack } from '../../lib/remediation-stack.ts';
import { MANAGED_BY_TAG } from '../../lib/runbook-alarms.ts';
import { type CfnResource, render, resourceOf, synthesize, testApp } from './synthesize.ts';

const STACK_NAME = 'Ec2AutoRemediation';
/** The stack's name and the engine's id: what the alarm and dashboard names start with. */
const PREFIX = `${STACK_NAME}-Remediation`;
const OWN_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:oncall';

type Alarm = [string, CfnResource];

/** The alarms on the remediator itself: not the runbooks' (tagged managed-by; runbook-alarms.test.ts). */
const alarmsOf = (template: Template): Alarm[] =>
  Object.entries(template.findResources('AWS::CloudWatch::Alarm') as Record<string, CfnResource>).filter(
    ([, alarm]) =>
      !((alarm.Properties.Tags ?? []) as Array<{ Key: string }>).some((tag) => tag.Key === MANAGED_BY_TAG),
  );

const ids = (template: Template, type: string): string[] => Object.keys(template.findResources(type));

/** The alarms watching one metric of one resource (its `Ref` or `Fn::GetAtt … QueueName`). */
function alarmsOn(
  alarms: readonly Alarm[],
  namespace: string,
  metricName: string,
  resourceId: string,
): Alarm[] {
  return alarms.filter(
    ([, { Properties: p }]) =>
      p.Namespace === namespace &&
      p.MetricName === metricName &&
      (p.Dimensions as Array<{ Value: unknown }>).some((d) => render(d.Value).startsWith(`<${resourceId}`)),
  );
}

/** Every queue the template uses as a dead-letter queue, however it is wired. */
function deadLetterQueueIds(template: Template): string[] {
  const arnsOf = (type: string, pick: (properties: Record<string, unknown>) => unknown[]) =>
    Object.values(template.findResources(type) as Record<string, CfnResource>).flatMap((r) =>
      pick(r.Properties).map(render),
    );
  const arns = [
    // Another queue's redrive policy.
    ...arnsOf('AWS::SQS::Queue', (p) =>
      p.RedrivePolicy ? [(p.RedrivePolicy as { deadLetterTargetArn: unknown }).deadLetterTargetArn] : [],
    ),
    // An EventBridge target's dead-letter queue.
    ...arnsOf('AWS::Events::Rule', (p) =>
      (p.Targets as Array<{ DeadLetterConfig?: { Arn: unknown } }>).flatMap((t) =>
        t.DeadLetterConfig ? [t.DeadLetterConfig.Arn] : [],
      ),
    ),
    // A Lambda on-failure destination.
    ...arnsOf('AWS::Lambda::EventInvokeConfig', (p) => {
      const destination = (p.DestinationConfig as { OnFailure?: { Destination: unknown } } | undefined)
        ?.OnFailure?.Destination;
      return destination ? [destination] : [];
    }),
  ];
  return [...new Set(arns.map((arn) => /^<([^.>]+)\.Arn>$/.exec(arn)?.[1] ?? arn))].sort();
}

describe('the remediator watches itself', () => {
  let stack: RemediationStack;
  let template: Template;
  let alarms: Alarm[];
  let topicId: string;

  beforeAll(() => {
    ({ stack, template } = synthesize());
    alarms = alarmsOf(template);
    [topicId] = resourceOf(template, 'AWS::SNS::Topic', 'RemediationPagerTopic');
  });

  describe('dashboard', () => {
    let body: string;

    beforeAll(() => {
      const [, dashboard] = resourceOf(template, 'AWS::CloudWatch::Dashboard', 'RemediationObservability');
      body = render(dashboard.Properties.DashboardBody);
    });

    it('is named after the stack, the engine and its region, with no account or region written in', () => {
      // Prepare
      const [, dashboard] = resourceOf(template, 'AWS::CloudWatch::Dashboard', 'RemediationObservability');
      // Assess
      expect(render(dashboard.Properties.DashboardName)).toBe(`${PREFIX}-<AWS::Region>`);
      expect(body).not.toMatch(/\d{12}|[a-z]{2}-[a-z]+-\d/);
    });

    it('charts every metric the handlers publish, in their namespace and service', () => {
      for (const name of Object.values(METRIC)) {
        expect(body, name).toContain(`"${METRICS_NAMESPACE}","${name}","service","${METRICS_SERVICE}"`);
      }
    });

    it('charts refusals by gate with a search on the Gate dimension', () => {
      expect(body).toContain(
        `SEARCH('{${METRICS_NAMESPACE},Gate,service} MetricName=\\"${METRIC.refused}\\" service=\\"${METRICS_SERVICE}\\"', 'Sum', 300)`,
      );
    });

    it('charts time to remediate at p50 and p90', () => {
      for (const stat of ['p50', 'p90']) {
        expect(body).toContain(`"${METRIC.timeToRemediate}","service","${METRICS_SERVICE}",{"id":"${stat}"`);
      }
    });

    it("charts each function's invocations, errors, throttles and p99 duration", () => {
      // Prepare
      const functions = ids(template, 'AWS::Lambda::Function');
      // Assess
      expect(functions).toHaveLength(5);
      for (const id of functions) {
        for (const metric of ['Invocations', 'Errors', 'Throttles', 'Duration']) {
          expect(body, `${metric} of ${id}`).toContain(`"AWS/Lambda","${metric}","FunctionName","<${id}>"`);
        }
      }
      expect(body.match(/"stat":"p99"/g)).toHaveLength(functions.length);
    });

    it("charts every dead-letter queue, and the timer queue's age and depth", () => {
      // Prepare
      const [timerQueueId] = resourceOf(template, 'AWS::SQS::Queue', 'RemediationTimersQueue');
      // Assess
      for (const id of deadLetterQueueIds(template)) {
        expect(body, id).toContain(`"ApproximateNumberOfMessagesVisible","QueueName","<${id}.QueueName>"`);
      }
      for (const metric of [
        'ApproximateAgeOfOldestMessage',
        'ApproximateNumberOfMessagesDelayed',
        'ApproximateNumberOfMessagesVisible',
        'ApproximateNumberOfMessagesNotVisible',
      ]) {
        expect(body, metric).toContain(`"${metric}","QueueName","<${timerQueueId}.QueueName>"`);
      }
    });

    it('says what to look at first, and shows the state of every alarm', () => {
      expect(body).toContain('"type":"text"');
      expect(body).toContain('Look first at **the alarms**');
      for (const [id] of alarms) expect(body, id).toContain(`<${id}.Arn>`);
    });
  });

  describe('alarms', () => {
    it('watch the errors of each function: any in 5 minutes, no invocation is not a breach', () => {
      for (const fnId of ids(template, 'AWS::Lambda::Function')) {
        // Act
        const found = alarmsOn(alarms, 'AWS/Lambda', 'Errors', fnId);
        // Assess
        expect(found, fnId).toHaveLength(1);
        expect(found[0]?.[1].Properties).toMatchObject({
          Statistic: 'Sum',
          Period: 300,
          EvaluationPeriods: 1,
          DatapointsToAlarm: 1,
          ComparisonOperator: 'GreaterThanThreshold',
          Threshold: 0,
          TreatMissingData: 'notBreaching',
        });
      }
    });

    it('watch every dead-letter queue: any visible message pages', () => {
      // Prepare
      const dlqs = deadLetterQueueIds(template);
      const [timerQueueId] = resourceOf(template, 'AWS::SQS::Queue', 'RemediationTimersQueue');
      // Assess: every queue but the timer queue is a dead-letter queue, and each has its alarm.
      expect(dlqs).toEqual(
        ids(template, 'AWS::SQS::Queue')
          .filter((id) => id !== timerQueueId)
          .sort(),
      );
      expect(dlqs).toHaveLength(3);
      for (const id of dlqs) {
        const found = alarmsOn(alarms, 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', id);
        expect(found, id).toHaveLength(1);
        expect(found[0]?.[1].Properties).toMatchObject({
          Statistic: 'Maximum',
          Period: 300,
          EvaluationPeriods: 1,
          ComparisonOperator: 'GreaterThanThreshold',
          Threshold: 0,
          TreatMissingData: 'notBreaching',
        });
      }
    });

    it('say what a message in each dead-letter queue is and how to recover it', () => {
      const descriptions = deadLetterQueueIds(template).map((id) =>
        render(
          alarmsOn(alarms, 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', id)[0]?.[1].Properties
            .AlarmDescription,
        ),
      );
      expect(descriptions.find((d) => d.includes('UndeliveredEvents'))).toMatch(
        /EventBridge could not deliver/,
      );
      expect(descriptions.find((d) => d.includes('FailedInvocations'))).toMatch(/requestPayload/);
      expect(descriptions.find((d) => d.includes('TimersDeadLetterQueue'))).toMatch(
        /redrive back to the source/,
      );
    });

    it('watch the age of the oldest timer: over 1200 s the timer function is not consuming', () => {
      // Prepare
      const [timerQueueId] = resourceOf(template, 'AWS::SQS::Queue', 'RemediationTimersQueue');
      // Act
      const found = alarmsOn(alarms, 'AWS/SQS', 'ApproximateAgeOfOldestMessage', timerQueueId);
      // Assess
      expect(TIMER_AGE_THRESHOLD_SECONDS).toBe(1200);
      expect(TIMER_AGE_THRESHOLD_SECONDS).toBeGreaterThan(MAX_DELAY_SECONDS);
      expect(found).toHaveLength(1);
      expect(found[0]?.[1].Properties).toMatchObject({
        Statistic: 'Maximum',
        Period: 300,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 1200,
        TreatMissingData: 'notBreaching',
      });
    });

    it('watch the escalation rate over an hour, from a minimum number of incidents', () => {
      // Prepare
      const hourly = (metricName: string) => ({
        MetricStat: {
          Metric: {
            Namespace: METRICS_NAMESPACE,
            MetricName: metricName,
            Dimensions: [{ Name: 'service', Value: METRICS_SERVICE }],
          },
          Period: 3600,
          Stat: 'Sum',
        },
        ReturnData: false,
      });
      // Assess
      expect(ESCALATION_RATE_MIN_INCIDENTS).toBe(4);
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `${PREFIX}-escalation-rate`,
        Metrics: Match.arrayWith([
          Match.objectLike({
            Expression: 'IF(opened >= 4, FILL(escalated, 0) / opened, 0)',
            ReturnData: true,
          }),
          Match.objectLike({ Id: 'opened', ...hourly(METRIC.incidentsOpened) }),
          Match.objectLike({ Id: 'escalated', ...hourly(METRIC.escalated) }),
        ]),
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: ESCALATION_RATE_THRESHOLD,
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
      expect(ESCALATION_RATE_THRESHOLD).toBe(0.5);
    });

    it('are these ten and no others', () => {
      expect(alarms.map(([, a]) => a.Properties.AlarmName).sort()).toEqual(
        [
          'alarm-function-errors',
          'command-status-function-errors',
          'timer-function-errors',
          'resync-function-errors',
          'operator-function-errors',
          'dlq-undelivered-events',
          'dlq-failed-invocations',
          'dlq-timers',
          'timer-queue-age',
          'escalation-rate',
        ]
          .map((name) => `${PREFIX}-${name}`)
          .sort(),
      );
    });

    it('page the pager topic on ALARM and on OK', () => {
      for (const [id, { Properties: p }] of alarms) {
        expect(p.AlarmActions, id).toEqual([{ Ref: topicId }]);
        expect(p.OKActions, id).toEqual([{ Ref: topicId }]);
      }
    });

    it('are named after the stack and the engine, so that operators recognise them and two stacks do not collide', () => {
      // Prepare
      const other = Template.fromStack(new RemediationStack(testApp(), 'Staging'));
      // Assess
      for (const [, { Properties: p }] of alarms) expect(p.AlarmName).toMatch(new RegExp(`^${PREFIX}-`));
      const otherNames = alarmsOf(other).map(([, a]) => a.Properties.AlarmName as string);
      expect(otherNames).toHaveLength(alarms.length);
      for (const name of otherNames) expect(name).toMatch(/^Staging-Remediation-/);
    });

    it('each say what they mean and what to do, within the 1024 characters allowed', () => {
      for (const [id, { Properties: p }] of alarms) {
        const description = render(p.AlarmDescription);
        expect(description, id).toMatch(/What to do: /);
        // Each reference renders as a few dozen characters in the template, and as a name once deployed.
        expect(description.length, id).toBeLessThan(900);
      }
    });

    it('may publish to the topic: allowed by the topic policy for this stack alarms only, and by the key', () => {
      // Assess
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: 'sns:Publish',
              Resource: { Ref: topicId },
              Condition: {
                ArnLike: {
                  'aws:SourceArn': {
                    'Fn::Join': [
                      '',
                      [
                        'arn:',
                        { Ref: 'AWS::Partition' },
                        ':cloudwatch:',
                        { Ref: 'AWS::Region' },
                        ':',
                        { Ref: 'AWS::AccountId' },
                        `:alarm:${PREFIX}-*`,
                      ],
                    ],
                  },
                },
                StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              },
            }),
          ]),
        },
      });
      template.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' } }),
          ]),
        },
      });
    });
  });

  describe('with a topic brought by the platform team', () => {
    it("page that topic, and say that its owner must allow CloudWatch's alarms", () => {
      // Prepare
      const own = new RemediationStack(testApp(), STACK_NAME, { pagerTopicArn: OWN_TOPIC });
      const ownTemplate = Template.fromStack(own);
      // Assess
      ownTemplate.resourceCountIs('AWS::SNS::TopicPolicy', 0);
      for (const [id, { Properties: p }] of alarmsOf(ownTemplate)) {
        expect(p.AlarmActions, id).toEqual([OWN_TOPIC]);
        expect(p.OKActions, id).toEqual([OWN_TOPIC]);
      }
      expect(
        Annotations.fromStack(own).findInfo(
          '*',
          Match.stringLikeRegexp('must allow cloudwatch.amazonaws.com'),
        ),
      ).toHaveLength(1);
    });
  });

  it('can be left out', () => {
    // Prepare
    const bare = new Stack(testApp(), 'Bare');
    const engine = new RemediationEngine(bare, 'Remediation', {
      observability: false,
      alarms: { mode: 'none' },
    });
    const bareTemplate = Template.fromStack(bare);
    // Assess
    expect(engine.observability).toBeUndefined();
    bareTemplate.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    bareTemplate.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
  });

  it('is exposed by the engine, with every alarm', () => {
    const observability = stack.engine.observability;
    expect(observability?.alarms).toHaveLength(alarms.length);
    expect(Object.keys(observability?.functionErrorAlarms ?? {})).toEqual([
      'alarm',
      'command-status',
      'timer',
      'resync',
      'operator',
    ]);
    expect(Object.keys(observability?.deadLetterAlarms ?? {})).toEqual([
      'undelivered-events',
      'failed-invocations',
      'timers',
    ]);
    expect(observability?.dashboard).toBeDefined();
  });

  it('brings no cdk-nag finding and needs no acknowledgement', () => {
    // Prepare
    const app = testApp();
    new RemediationStack(app, STACK_NAME);
    const observed = app.node.findAll().filter((node) => node.node.path.includes('/Observability'));
    // Act
    const findings = new AwsSolutionsChecks(app)
      .validateScope(app)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
    // Assess
    expect(observed.length).toBeGreaterThan(0);
    expect(findings).toEqual([]);
    for (const node of observed) {
      expect(
        node.node.metadata.filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY),
        node.node.path,
      ).toEqual([]);
    }
  });
});
