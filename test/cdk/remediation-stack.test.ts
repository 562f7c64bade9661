import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { alarmStateChangePattern, commandInvocationPattern } from '../../functions/core/event-patterns.ts';
import { type Runbook, runbookScripts } from '../../functions/core/runbook.ts';
import { ENV } from '../../functions/handlers/config.ts';
import { RUNBOOKS_DIRECTORY } from '../../lib/project-paths.ts';
import { contentTag } from '../../lib/runbook-documents.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../local/aws-shapes.ts';
import { handlerRoutes } from '../../local/routing.ts';
import { runbooks } from '../../runbooks/index.ts';
import { runbookDocumentContent } from '../../runbooks/ssm-document.ts';
import { type CfnResource, resourceOf, synthesize } from './synthesize.ts';

/** A runbook's scripts as they are on disk. */
const scriptsOf = (runbook: Runbook) =>
  Object.fromEntries(
    runbookScripts(runbook).map((file) => [
      file,
      readFileSync(join(RUNBOOKS_DIRECTORY, runbook.name, file), 'utf8'),
    ]),
  );
/** `<stack>-<engine>-<runbook>-<content tag>`: a changed runbook is a new document. */
const documentName = (name: string) => {
  const runbook = runbooks.find((r) => r.name === name) as Runbook;
  return `Ec2AutoRemediation-Remediation-${name}-${contentTag(runbookDocumentContent(runbook, scriptsOf(runbook)))}`;
};
/** The stack's account and Region, as an environment-agnostic template names them. */
const ORIGIN = { accounts: [{ Ref: 'AWS::AccountId' }], regions: [{ Ref: 'AWS::Region' }] } as unknown as {
  accounts: string[];
  regions: string[];
};
const FOURTEEN_DAYS = 14 * 24 * 3600;

describe('RemediationStack', () => {
  let template: Template;

  beforeAll(() => {
    ({ template } = synthesize());
  });

  describe('incident table', () => {
    it('is on demand, with point-in-time recovery, TTL on expiresAt and KMS encryption', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        SSESpecification: { SSEEnabled: true },
      });
    });

    it('has one index: open incidents, sparse and keys only, so that an incident pays for it only as it opens and closes', () => {
      const tables = Object.values(template.findResources('AWS::DynamoDB::Table'));
      expect(tables).toHaveLength(1);
      expect(tables[0]?.Properties.GlobalSecondaryIndexes).toEqual([
        {
          IndexName: 'open-incidents',
          KeySchema: [{ AttributeName: 'openShard', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ]);
      expect(tables[0]?.Properties.LocalSecondaryIndexes).toBeUndefined();
    });

    it('is retained when the stack is deleted', () => {
      template.hasResource('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    });
  });

  describe('pager topic', () => {
    it('is encrypted with a customer managed key that rotates', () => {
      // Prepare
      const [keyId] = resourceOf(template, 'AWS::KMS::Key', 'RemediationPagerKey');
      // Assess
      template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
      template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    });

    it('lets CloudWatch alarm actions use the key', () => {
      template.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            }),
          ]),
        },
      });
    });

    it('refuses publishing without TLS', () => {
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });

    it('has no subscriptions unless emails are given', () => {
      template.resourceCountIs('AWS::SNS::Subscription', 0);
    });
  });

  describe('queues', () => {
    it('keeps timers invisible for six times the timer timeout and dead-letters them after 5 receives', () => {
      // Prepare
      const [dlqId] = resourceOf(template, 'AWS::SQS::Queue', 'RemediationTimersDeadLetterQueue');
      // Assess
      template.hasResourceProperties('AWS::SQS::Queue', {
        VisibilityTimeout: 6 * 60,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 5 },
      });
    });

    it('has a dead-letter queue for timers, for rule targets and for failed invocations, each kept 14 days', () => {
      for (const prefix of [
        'RemediationTimersDeadLetterQueue',
        'RemediationUndeliveredEvents',
        'RemediationFailedInvocations',
      ]) {
        const [, queue] = resourceOf(template, 'AWS::SQS::Queue', prefix);
        expect(queue.Properties.MessageRetentionPeriod, prefix).toBe(FOURTEEN_DAYS);
      }
    });

    it('encrypts every queue and refuses requests without TLS', () => {
      // Prepare
      const queues = template.findResources('AWS::SQS::Queue') as Record<string, CfnResource>;
      const policies = Object.values(
        template.findResources('AWS::SQS::QueuePolicy') as Record<string, CfnResource>,
      );
      // Assess
      expect(Object.keys(queues)).toHaveLength(4);
      for (const [id, queue] of Object.entries(queues)) {
        expect(queue.Properties.SqsManagedSseEnabled, id).toBe(true);
        const policy = policies.find((p) =>
          (p.Properties.Queues as Array<{ Ref: string }>).some((q) => q.Ref === id),
        );
        expect(JSON.stringify(policy?.Properties.PolicyDocument), id).toContain(
          '"aws:SecureTransport":"false"',
        );
      }
    });
  });

  describe('functions', () => {
    const functions = [
      ['RemediationFunctionsAlarm', 30],
      ['RemediationFunctionsCommandStatus', 30],
      ['RemediationFunctionsTimer', 60],
      ['RemediationFunctionsResync', 180],
    ] as const;

    it.each(functions)('%s runs Node.js 22 on arm64 with 256 MB and a %i s timeout', (prefix, timeout) => {
      // Act
      const [, fn] = resourceOf(template, 'AWS::Lambda::Function', `${prefix}`);
      // Assess
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        MemorySize: 256,
        Timeout: timeout,
        Handler: 'index.handler',
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.stringMatching(`^${prefix}Logs`) } },
      });
      expect(fn.Properties).not.toHaveProperty('ReservedConcurrentExecutions');
    });

    it.each(functions)('%s gets the whole configuration contract of the handlers', (prefix) => {
      // Act
      const [, fn] = resourceOf(template, 'AWS::Lambda::Function', `${prefix}`);
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      // Assess
      // The chat topic is optional: its variable is set only when a chat topic is given.
      // The chat topic is optional: its variable is set only when a chat topic is given.
      const { chatTopicArn: _optional, ...required } = ENV;
      expect(Object.keys(variables)).toEqual(expect.arrayContaining(Object.values(required)));
      expect(variables).not.toHaveProperty(ENV.chatTopicArn);
      expect(variables).toMatchObject({
        [ENV.tableName]: { Ref: expect.stringMatching(/^RemediationIncidents/) },
        [ENV.timerQueueUrl]: { Ref: expect.stringMatching(/^RemediationTimersQueue/) },
        [ENV.pagerTopicArn]: { Ref: expect.stringMatching(/^RemediationPagerTopic/) },
        [ENV.eventBusName]: 'default',
        [ENV.events]: 'lifecycle',
        [ENV.checkSeconds]: '3600',
        [ENV.futureToleranceSeconds]: '300',
        [ENV.eventAccounts]: { Ref: 'AWS::AccountId' },
        [ENV.eventRegions]: { Ref: 'AWS::Region' },
        POWERTOOLS_SERVICE_NAME: 'ec2-auto-remediation',
        NODE_OPTIONS: '--enable-source-maps',
      });
      expect(JSON.parse(variables[ENV.runbookDocuments] as string)).toEqual(
        Object.fromEntries(runbooks.map((runbook) => [runbook.name, documentName(runbook.name)])),
      );
    });

    it('publishes the events the deployment asks for, and refuses a level it does not know', () => {
      const { template: chatty } = synthesize({ events: 'all' });
      const functions = Object.values(
        chatty.findResources('AWS::Lambda::Function') as Record<string, CfnResource>,
      ).filter(
        (fn) =>
          (fn.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.[
            ENV.tableName
          ],
      );
      expect(functions.length).toBe(5);
      for (const fn of functions) {
        expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject(
          {
            [ENV.events]: 'all',
          },
        );
      }
      expect(() => synthesize({ events: 'verbose' as 'all' })).toThrow(
        'events must be one of lifecycle, all, none, not "verbose"',
      );
    });

    it('leaves alarms on instances without the opt-in tag alone, unless asked to page for them', () => {
      const variablesOf = (t: typeof template) =>
        Object.values(t.findResources('AWS::Lambda::Function') as Record<string, CfnResource>)
          .map(
            (fn) =>
              (fn.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables,
          )
          .filter((variables) => variables?.[ENV.tableName]);
      const { template: paging } = synthesize({ pageUnmanagedInstances: true });

      expect(variablesOf(template).map((v) => v?.[ENV.pageUnmanagedInstances])).toEqual(
        Array(5).fill('false'),
      );
      expect(variablesOf(paging).map((v) => v?.[ENV.pageUnmanagedInstances])).toEqual(Array(5).fill('true'));
    });

    it('keeps logs for 90 days', () => {
      const groups = Object.values(
        template.findResources('AWS::Logs::LogGroup') as Record<string, CfnResource>,
      );
      expect(groups.map((group) => group.Properties.RetentionInDays)).toEqual([90, 90, 90, 90, 90]);
    });

    it('retries failed EventBridge invocations twice, then keeps the event in a queue', () => {
      // Prepare
      const [failedId] = resourceOf(template, 'AWS::SQS::Queue', 'RemediationFailedInvocations');
      // Assess
      for (const prefix of ['RemediationFunctionsAlarm', 'RemediationFunctionsCommandStatus']) {
        const [, config] = resourceOf(template, 'AWS::Lambda::EventInvokeConfig', prefix);
        expect(config.Properties).toMatchObject({
          MaximumRetryAttempts: 2,
          DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [failedId, 'Arn'] } } },
        });
      }
      // The resync's schedule comes back, and the operator function is invoked synchronously: Lambda
      // retries neither.
      for (const prefix of ['RemediationFunctionsResync', 'RemediationFunctionsOperator']) {
        const [, config] = resourceOf(template, 'AWS::Lambda::EventInvokeConfig', prefix);
        expect(config.Properties, prefix).toMatchObject({ MaximumRetryAttempts: 0 });
      }
      template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 4);
    });

    it('feeds the timer function from the timer queue, ten at a time, reporting failed items', () => {
      // Prepare
      const [queueId] = resourceOf(template, 'AWS::SQS::Queue', 'RemediationTimersQueue');
      const [timerId] = resourceOf(template, 'AWS::Lambda::Function', 'RemediationFunctionsTimer');
      // Assess
      template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
        FunctionName: { Ref: timerId },
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });
  });

  describe('the resync', () => {
    it('runs every five minutes, and when an operator asks (resume, breaker close)', () => {
      // Prepare
      const [resyncId] = resourceOf(template, 'AWS::Lambda::Function', 'RemediationFunctionsResync');
      const [, schedule] = resourceOf(template, 'AWS::Events::Rule', 'RemediationRulesResyncSchedule');
      const [, request] = resourceOf(template, 'AWS::Events::Rule', 'RemediationRulesResyncRequest');
      // Assess
      expect(schedule.Properties).toMatchObject({
        ScheduleExpression: 'rate(5 minutes)',
        Targets: [expect.objectContaining({ Arn: { 'Fn::GetAtt': [resyncId, 'Arn'] } })],
      });
      expect(request.Properties).toMatchObject({
        EventPattern: {
          source: ['ec2.auto-remediation.operator'],
          'detail-type': ['Remediation Resync Requested'],
        },
        Targets: [expect.objectContaining({ Arn: { 'Fn::GetAtt': [resyncId, 'Arn'] } })],
      });
    });

    it('refuses a schedule or a slow check finer than a minute, saying what to set', () => {
      expect(() => synthesize({ resyncInterval: Duration.seconds(30) })).toThrow(
        'resyncInterval must be at least one minute, not 30 seconds: set Duration.minutes(1) or more',
      );
      expect(() => synthesize({ slowCheckInterval: Duration.seconds(10) })).toThrow(
        /slowCheckInterval must be at least one minute/,
      );
    });
  });

  describe('EventBridge rules', () => {
    it('are the rules the local bus of the game day and the walkthrough routes with', () => {
      // Prepare
      const local = handlerRoutes(Object.fromEntries(runbooks.map((r) => [r.name, documentName(r.name)])));
      // The local world is one account in one Region: the stack deployed there.
      const { template: there } = synthesize({ env: { account: LOCAL_ACCOUNT, region: LOCAL_REGION } });
      const [, alarmRule] = resourceOf(there, 'AWS::Events::Rule', 'RemediationRulesAlarmStateChange');
      const [, statusRule] = resourceOf(
        there,
        'AWS::Events::Rule',
        'RemediationRulesCommandInvocationStatus',
      );
      // Assess
      expect(local.map((r) => [r.name, r.pattern])).toEqual([
        ['alarm', alarmRule.Properties.EventPattern],
        ['command-status', statusRule.Properties.EventPattern],
      ]);
    });

    it.each([
      ['RemediationRulesAlarmStateChange', 'RemediationFunctionsAlarm', alarmStateChangePattern(ORIGIN)],
      [
        'RemediationRulesCommandInvocationStatus',
        'RemediationFunctionsCommandStatus',
        commandInvocationPattern(
          runbooks.map((runbook) => documentName(runbook.name)),
          ORIGIN,
        ),
      ],
    ])(
      '%s uses the shared pattern and retries into a dead-letter queue',
      (rulePrefix, functionPrefix, pattern) => {
        // Prepare
        const [, rule] = resourceOf(template, 'AWS::Events::Rule', rulePrefix);
        const [functionId] = resourceOf(template, 'AWS::Lambda::Function', functionPrefix);
        const [dlqId] = resourceOf(template, 'AWS::SQS::Queue', 'RemediationUndeliveredEvents');
        // Assess
        expect(rule.Properties).not.toHaveProperty('EventBusName');
        expect(rule.Properties.EventPattern).toEqual(pattern);
        expect(rule.Properties.Targets).toEqual([
          {
            Id: 'Target0',
            Arn: { 'Fn::GetAtt': [functionId, 'Arn'] },
            RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 2 * 3600 },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlqId, 'Arn'] } },
          },
        ]);
      },
    );
  });

  it('outputs the incident table name, which the pause, resume and status commands take', () => {
    template.hasOutput('IncidentTableName', {
      Value: { Ref: Match.stringLikeRegexp('^RemediationIncidents') },
    });
  });

  describe('runbook documents', () => {
    it('creates one SSM Command document per runbook', () => {
      template.resourceCountIs('AWS::SSM::Document', runbooks.length);
    });

    it.each(runbooks.map((runbook) => [runbook.name, runbook] as const))(
      '%s runs its script with aws:runShellScript, schema 2.2, in a document named after its content',
      (_, runbook) => {
        // Prepare
        const scripts = scriptsOf(runbook);
        // Assess
        template.hasResourceProperties('AWS::SSM::Document', {
          Name: documentName(runbook.name),
          DocumentType: 'Command',
          UpdateMethod: Match.absent(),
          Content: {
            schemaVersion: '2.2',
            parameters: {
              executionTimeout: { type: 'String', default: String(runbook.executionTimeoutSeconds) },
            },
            mainSteps: [
              {
                action: 'aws:runShellScript',
                precondition: { StringEquals: ['platformType', 'Linux'] },
                inputs: {
                  runCommand: runbookDocumentContent(runbook, scripts).mainSteps[0].inputs.runCommand,
                  timeoutSeconds: '{{ executionTimeout }}',
                },
              },
            ],
          },
        });
      },
    );

    it('puts an allowedPattern on every parameter of every document', () => {
      const documents = Object.values(
        template.findResources('AWS::SSM::Document') as Record<string, CfnResource>,
      );
      for (const document of documents) {
        const { parameters } = document.Properties.Content as {
          parameters: Record<string, { allowedPattern?: string }>;
        };
        for (const [name, parameter] of Object.entries(parameters)) {
          expect(parameter.allowedPattern, `${document.Properties.Name} ${name}`).toMatch(/^\^.*\$$/);
        }
      }
    });
  });
});
