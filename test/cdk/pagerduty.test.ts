import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Annotations as CdkAnnotations, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REMEDIATION_EVENT_SOURCE } from '../../functions/core/effects.ts';
import { PAGE_DETAIL_TYPE } from '../../functions/core/page-formats.ts';
import { PAGERDUTY_ENQUEUE_URL } from '../../lib/pagerduty-delivery.ts';
import { RemediationEngine } from '../../lib/remediation-engine.ts';
import { RemediationStack } from '../../lib/remediation-stack.ts';
import { ALARM_WARNINGS } from '../../lib/runbook-alarms.ts';
import { cfnLint, describeFindings, templatesIn } from './cfn-lint.ts';
import { type CfnResource, render, resourceOf, statementsOf, testApp } from './synthesize.ts';

const SECRET_NAME = 'oncall/pagerduty';
const FUNCTIONS = [
  'RemediationFunctionsAlarm',
  'RemediationFunctionsCommandStatus',
  'RemediationFunctionsTimer',
  'RemediationFunctionsResync',
];
const SLOW = 120_000;

function envOf(template: Template, prefix: string): Record<string, unknown> {
  const [, fn] = resourceOf(template, 'AWS::Lambda::Function', prefix);
  return (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
}

describe('PagerDuty Events v2 delivery', () => {
  let directory: string;
  let stack: RemediationStack;
  let template: Template;
  let plain: Template;

  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'pagerduty-'));
    const app = testApp({ outdir: directory });
    stack = new RemediationStack(app, 'WithPagerDuty', {
      pagerDuty: { routingKey: { secret: SECRET_NAME, field: 'routingKey' } },
    });
    CdkAnnotations.of(stack).acknowledgeWarning(ALARM_WARNINGS.resourceTagsOnTelemetry);
    template = Template.fromStack(stack);
    plain = Template.fromStack(new RemediationStack(testApp(), 'Without', {}));
    app.synth();
  }, SLOW);

  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('adds the routing key to the body from Secrets Manager, as a secret: the template holds only a reference', () => {
    const [, connection] = resourceOf(template, 'AWS::Events::Connection', 'RemediationPagerDutyConnection');
    const parameters = connection.Properties.AuthParameters as {
      ApiKeyAuthParameters: { ApiKeyName: string; ApiKeyValue: unknown };
      InvocationHttpParameters: { BodyParameters: { Key: string; Value: unknown; IsValueSecret: boolean }[] };
    };
    expect(connection.Properties.AuthorizationType).toBe('API_KEY');
    expect(parameters.ApiKeyAuthParameters.ApiKeyName).toBe('X-Remediation-Client');
    const [body, ...more] = parameters.InvocationHttpParameters.BodyParameters;
    expect(more).toEqual([]);
    expect(body?.Key).toBe('routing_key');
    expect(body?.IsValueSecret).toBe(true);
    expect(render(body?.Value)).toBe(
      `{{resolve:secretsmanager:arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${SECRET_NAME}:SecretString:routingKey::}}`,
    );
    // The only place the key is named: a dynamic reference CloudFormation resolves at deploy.
    expect(JSON.stringify(template.toJSON()).match(/resolve:secretsmanager/g)).toHaveLength(1);
  });

  it('names an existing connection instead, creating none', () => {
    const own = Template.fromStack(
      new RemediationStack(testApp(), 'OwnConnection', {
        pagerDuty: {
          connectionArn:
            'arn:aws:events:eu-west-1:123456789012:connection/pagerduty/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab',
        },
      }),
    );
    own.resourceCountIs('AWS::Events::Connection', 0);
    own.hasResourceProperties('AWS::Events::ApiDestination', {
      ConnectionArn:
        'arn:aws:events:eu-west-1:123456789012:connection/pagerduty/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab',
    });
  });

  it('reads the key from a secret given as a construct, whole or by field', () => {
    const stackWithSecret = new Stack(testApp(), 'Engine');
    const secret = new secretsmanager.Secret(stackWithSecret, 'Key');
    new RemediationEngine(stackWithSecret, 'Remediation', {
      observability: false,
      pagerDuty: { routingKey: { secret } },
    });
    const [, connection] = resourceOf(
      Template.fromStack(stackWithSecret),
      'AWS::Events::Connection',
      'RemediationPagerDutyConnection',
    );
    expect(JSON.stringify(connection.Properties)).toMatch(
      /"Value":\{"Fn::Join":\["",\["\{\{resolve:secretsmanager:",\{"Ref":"Key[0-9A-F]+"\},":SecretString:::\}\}"\]\]\}/,
    );
  });

  it("posts to PagerDuty's enqueue endpoint, rate limited", () => {
    template.hasResourceProperties('AWS::Events::ApiDestination', {
      InvocationEndpoint: PAGERDUTY_ENQUEUE_URL,
      HttpMethod: 'POST',
      InvocationRateLimitPerSecond: 10,
      ConnectionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RemediationPagerDutyConnection'), 'Arn'] },
    });
  });

  it('sends the detail.pagerDuty of page events on the default bus, with retries and a dead-letter queue', () => {
    const [, rule] = resourceOf(template, 'AWS::Events::Rule', 'RemediationPagerDutyPages');
    expect(rule.Properties.EventBusName).toBe('default');
    expect(rule.Properties.EventPattern).toEqual({
      source: [REMEDIATION_EVENT_SOURCE],
      'detail-type': [PAGE_DETAIL_TYPE],
      account: [{ Ref: 'AWS::AccountId' }],
    });
    const [target, ...more] = rule.Properties.Targets as Record<string, unknown>[];
    expect(more).toEqual([]);
    expect(target).toMatchObject({
      Arn: { 'Fn::GetAtt': [expect.stringMatching(/^RemediationPagerDutyDestination/), 'Arn'] },
      InputPath: '$.detail.pagerDuty',
      RetryPolicy: { MaximumRetryAttempts: 50, MaximumEventAgeInSeconds: 3600 },
      DeadLetterConfig: {
        Arn: { 'Fn::GetAtt': [expect.stringMatching(/^RemediationPagerDutyUndelivered/), 'Arn'] },
      },
    });
    const role = (target?.RoleArn as { 'Fn::GetAtt': [string, string] } | undefined)?.['Fn::GetAtt'][0] ?? '';
    expect(statementsOf(template, role)).toEqual([
      expect.objectContaining({
        actions: ['events:InvokeApiDestination'],
        resources: [expect.stringMatching(/^<RemediationPagerDutyDestination\w+\.Arn>$/)],
      }),
    ]);
  });

  it('switches the functions to publish page events, and only when PagerDuty is configured', () => {
    for (const fn of FUNCTIONS) {
      expect(envOf(template, fn), fn).toHaveProperty('PAGERDUTY_EVENTS', 'on');
      expect(envOf(plain, fn), fn).not.toHaveProperty('PAGERDUTY_EVENTS');
    }
    plain.resourceCountIs('AWS::Events::Connection', 0);
    plain.resourceCountIs('AWS::Events::ApiDestination', 0);
  });

  it('alarms on pages left undelivered, as on the other dead-letter queues', () => {
    const alarms = Object.values(
      template.findResources('AWS::CloudWatch::Alarm') as Record<string, CfnResource>,
    );
    expect(
      alarms.some((alarm) => JSON.stringify(alarm.Properties).includes('RemediationPagerDutyUndelivered')),
    ).toBe(true);
  });

  it('passes cdk-nag with no new acknowledgement but the dead-letter queue, and leaves no CDK warning', () => {
    const findings = new AwsSolutionsChecks(stack)
      .validateScope(stack)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
    expect(findings).toEqual([]);
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
    expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
  });

  it(
    'passes cfn-lint',
    () => {
      const templates = templatesIn(directory);
      expect(templates).toHaveLength(1);
      const report = cfnLint(templates);
      expect(describeFindings(report.errors)).toEqual([]);
      expect(describeFindings(report.warnings)).toEqual([]);
    },
    SLOW,
  );
});
