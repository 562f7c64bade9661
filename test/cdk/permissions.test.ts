import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { REMEDIATION_EVENT_SOURCE } from '../../functions/core/effects.ts';
import { PROJECT_ROOT } from '../../lib/project-paths.ts';
import { runbooks } from '../../runbooks/index.ts';
import { type CfnResource, render, type Statement, statementsOf, synthesize } from './synthesize.ts';

const ROLES = {
  alarm: 'RemediationFunctionsAlarmRole',
  commandStatus: 'RemediationFunctionsCommandStatusRole',
  timer: 'RemediationFunctionsTimerRole',
  resync: 'RemediationFunctionsResyncRole',
} as const;
/** This stack's documents: `<stack>-<engine>-<runbook>-<content tag>`, one per runbook. */
const ourDocumentArns = runbooks.map((runbook) =>
  expect.stringMatching(
    new RegExp(
      `^arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:document/Ec2AutoRemediation-Remediation-${runbook.name}-[0-9a-f]{10}$`,
    ),
  ),
);
const anyInstance = 'arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*';

const granting = (statements: readonly Statement[], action: string) =>
  statements.filter((statement) => statement.actions.includes(action));

/** The IAM action each DynamoDB call of the adapters needs (a transaction: one per item kind, below). */
const DYNAMODB_ACTION_OF_COMMAND: Readonly<Record<string, string | undefined>> = {
  Get: 'dynamodb:GetItem',
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  Query: 'dynamodb:Query',
  Scan: 'dynamodb:Scan',
  BatchGet: 'dynamodb:BatchGetItem',
  BatchWrite: 'dynamodb:BatchWriteItem',
  TransactGet: undefined,
  TransactWrite: undefined,
};
/** IAM authorizes each item of a transaction as its own action (DynamoDB guide, "Using IAM with transactions"). */
const DYNAMODB_ACTION_OF_TRANSACTION_ITEM: Readonly<Record<string, string>> = {
  Get: 'dynamodb:GetItem',
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
};

/**
 * The DynamoDB actions the functions' adapters call, read from their source: every `new <X>Command(`
 * and every transaction item (`Put: {`, `Update: {`, …) of the files that name a table. A command
 * this list does not know fails the test, so that a new call is granted on purpose.
 */
function dynamodbActionsInCode(): string[] {
  const folder = join(PROJECT_ROOT, 'functions/adapters/aws');
  const sources = readdirSync(folder)
    .filter((file) => file.endsWith('.ts'))
    .map((file) => readFileSync(join(folder, file), 'utf8'))
    .filter((source) => source.includes('TableName'));
  const actions = new Set<string>();
  for (const source of sources) {
    for (const [, command = ''] of source.matchAll(/new (\w+)Command\(/g)) {
      if (!(command in DYNAMODB_ACTION_OF_COMMAND))
        throw new Error(`unknown DynamoDB command ${command}Command`);
      const action = DYNAMODB_ACTION_OF_COMMAND[command];
      if (action) actions.add(action);
    }
    for (const [, item = ''] of source.matchAll(
      /(?:^|\{)\s*(Get|Put|Update|Delete|ConditionCheck):\s*\{/gm,
    )) {
      actions.add(DYNAMODB_ACTION_OF_TRANSACTION_ITEM[item] as string);
    }
  }
  return [...actions].sort();
}

describe('permissions', () => {
  let template: Template;
  let customTagAlarm: Statement[];
  const statements = {} as Record<keyof typeof ROLES, Statement[]>;

  beforeAll(() => {
    ({ template } = synthesize());
    for (const [fn, role] of Object.entries(ROLES))
      statements[fn as keyof typeof ROLES] = statementsOf(template, role);
    const custom = synthesize({ optInTagKey: 'team:remediation', optInTagValue: 'on' });
    customTagAlarm = statementsOf(custom.template, ROLES.alarm);
  });

  describe('ssm:SendCommand', () => {
    it.each(['alarm', 'timer', 'resync'] as const)(
      'lets the %s function run only this stack’s documents',
      (fn) => {
        // Act
        const onDocuments = granting(statements[fn], 'ssm:SendCommand').filter((s) => !s.condition);
        // Assess
        expect(onDocuments).toHaveLength(1);
        expect(onDocuments[0]?.resources).toEqual(ourDocumentArns);
      },
    );

    it.each(['alarm', 'timer', 'resync'] as const)(
      'lets the %s function target only instances carrying the opt-in tag',
      (fn) => {
        // Act
        const onInstances = granting(statements[fn], 'ssm:SendCommand').filter((s) => s.condition);
        // Assess
        expect(onInstances).toEqual([
          {
            actions: ['ssm:SendCommand'],
            resources: [anyInstance],
            condition: { StringEquals: { 'ssm:resourceTag/AutoRemediation': 'enabled' } },
          },
        ]);
      },
    );

    it('is never granted on "*" nor beside other actions', () => {
      for (const statement of Object.values(statements).flat()) {
        if (!statement.actions.includes('ssm:SendCommand')) continue;
        expect(statement.actions).toEqual(['ssm:SendCommand']);
        expect(statement.resources).not.toContain('*');
      }
    });

    it('is not granted to the command-status function, which never sends commands', () => {
      expect(granting(statements.commandStatus, 'ssm:SendCommand')).toEqual([]);
    });

    it('follows a custom opt-in tag', () => {
      // Act
      const [onInstances] = granting(customTagAlarm, 'ssm:SendCommand').filter((s) => s.condition);
      // Assess
      expect(onInstances?.condition).toEqual({ StringEquals: { 'ssm:resourceTag/team:remediation': 'on' } });
    });

    it('rejects an opt-in tag key EC2 would not accept, saying what is allowed', () => {
      expect(() => synthesize({ optInTagKey: 'aws:reserved' })).toThrow(
        /not a valid EC2 tag key.*not starting with "aws:"/,
      );
      expect(() => synthesize({ optInTagKey: 'has "quotes"' })).toThrow(/not a valid EC2 tag key/);
    });
  });

  describe('read-only actions without resource-level permissions', () => {
    it.each([
      ['ssm:GetCommandInvocation', ['commandStatus', 'timer']],
      ['ssm:ListCommands', ['timer']],
      ['cloudwatch:DescribeAlarms', ['timer', 'resync']],
      ['ec2:DescribeInstances', ['alarm', 'timer', 'resync']],
      ['cloudwatch:ListAlarmMuteRules', ['timer', 'resync']],
    ])('grants %s on "*" only to %j', (action, holders) => {
      for (const fn of Object.keys(ROLES) as Array<keyof typeof ROLES>) {
        const grants = granting(statements[fn], action);
        if (holders.includes(fn)) {
          expect(
            grants.flatMap((s) => s.resources),
            fn,
          ).toEqual(['*']);
        } else {
          expect(grants, fn).toEqual([]);
        }
      }
    });

    it('grants nothing else on "*"', () => {
      const readOnly = [
        'ssm:GetCommandInvocation',
        'ssm:ListCommands',
        'cloudwatch:DescribeAlarms',
        'ec2:DescribeInstances',
        'cloudwatch:ListAlarmMuteRules',
      ];
      for (const statement of Object.values(statements).flat()) {
        if (!statement.resources.includes('*')) continue;
        expect(readOnly).toEqual(expect.arrayContaining([...statement.actions]));
      }
    });
  });

  it.each(['resync', 'timer'] as const)(
    'lets the %s function (which resyncs) read the mute rules of its own account only',
    (fn) => {
      const rules = granting(statements[fn], 'cloudwatch:GetAlarmMuteRule').flatMap((s) => s.resources);
      expect(rules).toHaveLength(1);
      expect(JSON.stringify(rules[0])).toMatch(/alarm-mute-rule:\*/);
      expect(JSON.stringify(rules[0])).toMatch(/AWS::AccountId/);
    },
  );

  describe('shared grants', () => {
    it.each(Object.keys(ROLES) as Array<keyof typeof ROLES>)(
      'lets the %s function use the table (not its index), send timers, page and publish events',
      (fn) => {
        // Prepare
        const actions = statements[fn].flatMap((s) =>
          s.actions.map((action) => [action, s.resources] as const),
        );
        const resourcesOf = (action: string) => actions.filter(([a]) => a === action).flatMap(([, r]) => r);
        // Assess
        expect(resourcesOf('dynamodb:UpdateItem')).toEqual([
          expect.stringMatching(/^<RemediationIncidents\w+\.Arn>$/),
        ]);
        expect(resourcesOf('sqs:SendMessage')).toContainEqual(
          expect.stringMatching(/^<RemediationTimersQueue\w+\.Arn>$/),
        );
        expect(resourcesOf('sns:Publish')).toEqual([expect.stringMatching(/^<RemediationPagerTopic\w+>$/)]);
        expect(resourcesOf('kms:GenerateDataKey*')).toEqual([
          expect.stringMatching(/^<RemediationPagerKey\w+\.Arn>$/),
        ]);
        expect(resourcesOf('events:PutEvents')).toEqual([
          'arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:event-bus/default',
        ]);
      },
    );

    it('lets only the functions that run the resync query the open-incident index, and nothing else of it', () => {
      const onIndex = (fn: keyof typeof ROLES) =>
        statements[fn]
          .filter((s) => s.resources.some((r) => r.includes('/index/')))
          .map((s) => ({ actions: s.actions, resources: s.resources }));
      for (const fn of ['resync', 'timer'] as const) {
        expect(onIndex(fn)).toEqual([
          {
            actions: ['dynamodb:Query'],
            resources: [expect.stringMatching(/^<RemediationIncidents\w+\.Arn>\/index\/open-incidents$/)],
          },
        ]);
      }
      expect(onIndex('alarm')).toEqual([]);
      expect(onIndex('commandStatus')).toEqual([]);
    });

    it('lets only the timer function consume timers', () => {
      expect(granting(statements.timer, 'sqs:ReceiveMessage')).toHaveLength(1);
      expect(granting(statements.alarm, 'sqs:ReceiveMessage')).toEqual([]);
      expect(granting(statements.commandStatus, 'sqs:ReceiveMessage')).toEqual([]);
    });

    it('uses no managed policies: each role may write only to its own log group', () => {
      // Prepare
      const roles = Object.values(template.findResources('AWS::IAM::Role') as Record<string, CfnResource>);
      // Assess
      expect(roles).toHaveLength(5);
      for (const role of roles) expect(role.Properties).not.toHaveProperty('ManagedPolicyArns');
      for (const [fn, role] of Object.entries(ROLES)) {
        const logs = granting(statements[fn as keyof typeof ROLES], 'logs:PutLogEvents');
        expect(
          logs.flatMap((s) => s.resources),
          fn,
        ).toEqual([expect.stringMatching(new RegExp(`^<${role.replace('Role', 'Logs')}\\w+\\.Arn>$`))]);
      }
    });
  });

  describe('least privilege', () => {
    it.each(Object.keys(ROLES) as Array<keyof typeof ROLES>)(
      'lets the %s function do to the table items exactly what the adapters call, no scan, batch or stream',
      (fn) => {
        // Prepare
        const inCode = dynamodbActionsInCode();
        // Act
        const onTable = statements[fn]
          .filter((s) => s.resources.some((r) => /^<RemediationIncidents\w+\.Arn>$/.test(r)))
          .flatMap((s) => s.actions);
        // Assess
        expect(inCode).toEqual([
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'dynamodb:UpdateItem',
        ]);
        expect([...onTable].sort()).toEqual(inCode);
      },
    );

    it.each(Object.keys(ROLES) as Array<keyof typeof ROLES>)(
      'lets the %s function put on the bus only events of the source it publishes',
      (fn) => {
        expect(granting(statements[fn], 'events:PutEvents')).toEqual([
          {
            actions: ['events:PutEvents'],
            resources: ['arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:event-bus/default'],
            condition: { StringEquals: { 'events:source': REMEDIATION_EVENT_SOURCE } },
          },
        ]);
      },
    );

    it('grants no events:PutEvents when the functions publish no events', () => {
      // Act
      const { template: quiet } = synthesize({ events: 'none' });
      // Assess
      for (const role of Object.values(ROLES)) {
        expect(granting(statementsOf(quiet, role), 'events:PutEvents'), role).toEqual([]);
      }
    });

    it("lets CloudWatch use the pager key only for this account's alarms in this Region", () => {
      // Prepare
      const keys = Object.values(template.findResources('AWS::KMS::Key') as Record<string, CfnResource>);
      const statementsForCloudWatch = keys
        .flatMap((key) => (key.Properties.KeyPolicy as { Statement: Array<Record<string, any>> }).Statement)
        .filter((statement) => statement.Principal?.Service === 'cloudwatch.amazonaws.com');
      // Assess
      expect(statementsForCloudWatch).toHaveLength(1);
      const condition = statementsForCloudWatch[0]?.Condition;
      expect(condition.StringEquals).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
      expect(render(condition.ArnLike['aws:SourceArn'])).toBe(
        'arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:*',
      );
    });
  });
});
