import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../functions/core/incident.ts';
import { ACTION_CONTEXT_KEYS, chatForm } from '../../functions/core/page-formats/chat.ts';
import { noticeForms } from '../../functions/core/page-formats/notices.ts';
import { defineRunbook } from '../../functions/core/runbook.ts';
import { parseOperatorRequest } from '../../functions/handlers/operator-schema.ts';
import { CHAT_BUTTONS } from '../../lib/chat-actions.ts';
import { RemediationEngine } from '../../lib/remediation-engine.ts';
import { OPERATOR_CONCURRENCY } from '../../lib/remediation-functions.ts';
import { RemediationStack } from '../../lib/remediation-stack.ts';
import { runbooks } from '../../runbooks/index.ts';
import { alarmInput, Scenario, T0, testRunbook } from '../support/fixtures.ts';
import { type CfnResource, render, resourceOf, type Statement, statementsOf, testApp } from './synthesize.ts';

const CHAT_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:chat';
const CHAT_ROLE = 'arn:aws:iam::123456789012:role/chat-channel';
const OPERATOR_ROLE = 'RemediationFunctionsOperatorRole';
const ANY_INSTANCE = 'arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*';
const DEFAULT_BUS = 'arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:event-bus/default';

/** A custom action as the template holds it. */
interface CustomAction {
  readonly ActionName: unknown;
  readonly Definition: { CommandText: unknown };
  readonly Attachments: ReadonlyArray<{
    NotificationType: string;
    ButtonText: string;
    Variables: Record<string, string>;
    Criteria: ReadonlyArray<{ Operator: 'HAS_VALUE' | 'EQUALS'; VariableName: string; Value?: string }>;
  }>;
}

function customActions(template: Template): CustomAction[] {
  return Object.values(
    template.findResources('AWS::Chatbot::CustomAction') as Record<string, CfnResource>,
  ).map((r) => r.Properties as unknown as CustomAction);
}

/** What the chat app does with a notification's additionalContext: the buttons it shows, and their commands. */
function buttonsShown(
  actions: readonly CustomAction[],
  context: Readonly<Record<string, string>>,
): Array<{ text: string; command: string }> {
  const shown: Array<{ text: string; command: string }> = [];
  for (const action of actions) {
    for (const attachment of action.Attachments) {
      const values = Object.fromEntries(
        Object.entries(attachment.Variables).map(([name, path]) => {
          const key = path.replace(/^event\.metadata\.additionalContext\./, '');
          return [name, context[key]];
        }),
      );
      const holds = attachment.Criteria.every((c) =>
        c.Operator === 'HAS_VALUE' ? Boolean(values[c.VariableName]) : values[c.VariableName] === c.Value,
      );
      if (!holds) continue;
      const command = render(action.Definition.CommandText).replace(
        /\$([A-Za-z0-9_-]+)/g,
        (_, name: string) => {
          const value = values[name];
          if (value === undefined) throw new Error(`${attachment.ButtonText}: $${name} is not a variable`);
          return value;
        },
      );
      shown.push({ text: attachment.ButtonText, command });
    }
  }
  return shown;
}

/** The JSON payload of a `lambda invoke … --payload {…} --region …` command. */
function payloadOf(command: string): unknown {
  const match = /--payload (\{\S*\})(?: |$)/.exec(command);
  if (!match?.[1]) throw new Error(`no payload in ${command}`);
  return JSON.parse(match[1]);
}

describe('the operator function', () => {
  let template: Template;
  let statements: Statement[];

  beforeAll(() => {
    template = Template.fromStack(new RemediationStack(testApp(), 'Ec2AutoRemediation'));
    statements = statementsOf(template, OPERATOR_ROLE);
  });

  it('is deployed like the other handlers, with a small reserved concurrency and no async retry', () => {
    const [id, fn] = resourceOf(template, 'AWS::Lambda::Function', 'RemediationFunctionsOperator');
    expect(fn.Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Timeout: 30,
      ReservedConcurrentExecutions: OPERATOR_CONCURRENCY,
    });
    expect(OPERATOR_CONCURRENCY).toBeLessThanOrEqual(5);
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: id },
      MaximumRetryAttempts: 0,
    });
  });

  it('names itself in the stack output OperatorFunctionName', () => {
    const [id] = resourceOf(template, 'AWS::Lambda::Function', 'RemediationFunctionsOperator');
    template.hasOutput('OperatorFunctionName', { Value: { Ref: id } });
  });

  it('is named to the functions that page, so that the commands a page prints reach it', () => {
    const [id] = resourceOf(template, 'AWS::Lambda::Function', 'RemediationFunctionsOperator');
    for (const name of ['Alarm', 'CommandStatus', 'Timer', 'Resync']) {
      const [, fn] = resourceOf(template, 'AWS::Lambda::Function', `RemediationFunctions${name}`);
      const env = (fn.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment
        .Variables;
      expect(env.OPERATOR_FUNCTION_NAME, name).toEqual({ Ref: id });
    }
  });

  it('reserves no concurrency when told not to, and refuses a reservation that makes no sense', () => {
    const unreserved = Template.fromStack(
      new (class extends Stack {
        constructor() {
          super(testApp(), 'Unreserved');
          new RemediationEngine(this, 'Remediation', { operatorConcurrency: false });
        }
      })(),
    );
    const [, fn] = resourceOf(unreserved, 'AWS::Lambda::Function', 'RemediationFunctionsOperator');
    expect(fn.Properties).not.toHaveProperty('ReservedConcurrentExecutions');
    for (const bad of [0, 1.5, 1000]) {
      const stack = new Stack(testApp(), 'Bad');
      expect(
        () => new RemediationEngine(stack, 'Remediation', { operatorConcurrency: bad }),
        String(bad),
      ).toThrow(/operatorConcurrency must be a whole number from 1 to 100/);
    }
  });

  it('may do what the processor does for a person, and nothing else', () => {
    const table = expect.stringMatching(/^<RemediationIncidents\w+\.Arn>$/);
    const documents = runbooks.map((r) =>
      expect.stringMatching(
        new RegExp(
          `^arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:document/Ec2AutoRemediation-Remediation-${r.name}-[0-9a-f]{10}$`,
        ),
      ),
    );
    expect(statements).toEqual(
      expect.arrayContaining([
        {
          actions: [
            'dynamodb:DeleteItem',
            'dynamodb:GetItem',
            'dynamodb:PutItem',
            'dynamodb:Query',
            'dynamodb:UpdateItem',
          ],
          resources: [table],
        },
        {
          actions: ['dynamodb:Query'],
          resources: [expect.stringMatching(/^<RemediationIncidents\w+\.Arn>\/index\/open-incidents$/)],
        },
        {
          actions: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
          resources: [expect.stringMatching(/^<RemediationTimersQueue\w+\.Arn>$/)],
        },
        { actions: ['sns:Publish'], resources: [expect.stringMatching(/^<RemediationPagerTopic\w+>$/)] },
        { actions: ['ssm:SendCommand'], resources: documents },
        {
          actions: ['ssm:SendCommand'],
          resources: [ANY_INSTANCE],
          condition: { StringEquals: { 'ssm:resourceTag/AutoRemediation': 'enabled' } },
        },
        { actions: ['cloudwatch:DescribeAlarms', 'ec2:DescribeInstances'], resources: ['*'] },
        {
          actions: ['events:PutEvents'],
          resources: [DEFAULT_BUS],
          condition: { StringEquals: { 'events:source': 'ec2.auto-remediation' } },
        },
        {
          actions: ['events:PutEvents'],
          resources: [DEFAULT_BUS],
          condition: {
            StringEquals: {
              'events:source': 'ec2.auto-remediation.operator',
              'events:detail-type': 'Remediation Resync Requested',
            },
          },
        },
      ]),
    );
    const granted = [...new Set(statements.flatMap((s) => s.actions))].sort();
    expect(granted).toEqual([
      'cloudwatch:DescribeAlarmContributors',
      'cloudwatch:DescribeAlarms',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'ec2:DescribeInstances',
      'events:PutEvents',
      'kms:Decrypt',
      'kms:GenerateDataKey*',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sns:Publish',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
      'ssm:SendCommand',
    ]);
    // SendCommand on an instance is never granted without the opt-in tag.
    for (const s of statements.filter((s) => s.actions.includes('ssm:SendCommand'))) {
      if (s.resources.includes(ANY_INSTANCE)) expect(s.condition).toBeDefined();
    }
    expect(statements.some((s) => s.actions.includes('lambda:InvokeFunction'))).toBe(false);
  });

  it('lets grantOperate invoke it, and only it', () => {
    const stack = new RemediationStack(testApp(), 'Ec2AutoRemediation');
    const operators = new iam.Role(stack, 'Operators', { assumedBy: new iam.AccountRootPrincipal() });
    stack.engine.grantOperate(operators);
    const grants = statementsOf(Template.fromStack(stack), 'Operators').filter((s) =>
      s.actions.some((a) => a.startsWith('lambda:')),
    );
    expect(grants).toEqual([
      {
        actions: ['lambda:InvokeFunction'],
        resources: [expect.stringMatching(/^<RemediationFunctionsOperator\w+\.Arn>$/)],
      },
    ]);
  });
});

describe('the chat buttons', () => {
  let template: Template;
  let actions: CustomAction[];

  beforeAll(() => {
    template = Template.fromStack(
      new RemediationStack(testApp(), 'Ec2AutoRemediation', {
        chatTopicArn: CHAT_TOPIC,
        chatRoleArn: CHAT_ROLE,
      }),
    );
    actions = customActions(template);
  });

  it('are none without a chat channel', () => {
    const plain = Template.fromStack(
      new RemediationStack(testApp(), 'Ec2AutoRemediation', { chatTopicArn: CHAT_TOPIC }),
    );
    plain.resourceCountIs('AWS::Chatbot::CustomAction', 0);
    expect(Object.keys(plain.findOutputs('ChatActionArns'))).toEqual([]);
  });

  it('are Approve, Deny, Retry, Diagnose, Snooze 1 h, Take, Pause runbook and Close breaker, on custom notifications', () => {
    expect(actions.flatMap((a) => a.Attachments.map((t) => t.ButtonText))).toEqual([
      'Approve',
      'Deny',
      'Retry',
      'Diagnose',
      'Snooze 1 h',
      'Take',
      'Pause runbook',
      'Close breaker',
      'Close breaker',
    ]);
    for (const action of actions) {
      for (const attachment of action.Attachments) {
        expect(attachment.NotificationType).toBe('Custom');
        expect(attachment.ButtonText.length).toBeLessThanOrEqual(50);
        expect(Object.keys(attachment.Variables).length).toBeLessThanOrEqual(5);
        expect(attachment.Criteria.length).toBeGreaterThanOrEqual(1);
        expect(attachment.Criteria.length).toBeLessThanOrEqual(5);
        for (const c of attachment.Criteria)
          expect(Object.keys(attachment.Variables)).toContain(c.VariableName);
      }
    }
  });

  it('invoke the operator function, in the stack Region, with a one-word JSON payload', () => {
    for (const action of actions) {
      const command = render(action.Definition.CommandText);
      expect(command).toMatch(
        /^lambda invoke --function-name <RemediationFunctionsOperator\w+> --payload \{\S+\} --region <AWS::Region>$/,
      );
      // Deployed: a function name of at most 64 characters, a Region of at most 14.
      expect(command.replace(/<RemediationFunctionsOperator\w+>/, 'f'.repeat(64)).length).toBeLessThanOrEqual(
        256,
      );
    }
  });

  it('have names unique in the account: the engine, the Region and the button, within 64 characters', () => {
    const names = actions.map((a) => render(a.ActionName));
    expect(new Set(names).size).toBe(CHAT_BUTTONS.length);
    for (const name of names) {
      expect(name).toMatch(/^Ec2AutoRemediation-Remediation-<AWS::Region>-[a-z-]+$/);
      const deployed = name.replace('<AWS::Region>', 'ap-southeast-7');
      expect(deployed).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    }
  });

  it("let the channel's role invoke the operator function, and nothing else", () => {
    const policies = Object.values(
      template.findResources('AWS::IAM::Policy') as Record<string, CfnResource>,
    ).filter((p) => (p.Properties.Roles as unknown[]).includes('chat-channel'));
    expect(
      policies.flatMap((p) => (p.Properties.PolicyDocument as { Statement: unknown[] }).Statement),
    ).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^RemediationFunctionsOperator\w+$/), 'Arn'] },
      },
    ]);
  });

  it('list their ARNs in the ChatActionArns output, to associate with a channel configured elsewhere', () => {
    const output = Object.values(template.findOutputs('ChatActionArns'))[0] as { Value: unknown };
    expect(render(output.Value).split(',')).toHaveLength(CHAT_BUTTONS.length);
  });

  it('show Approve and Deny on a proposal page only, each answering that proposal, which the function accepts', () => {
    const approving = defineRunbook({
      ...testRunbook,
      mode: 'approve',
      parameters: { service: { description: 'The unit.', allowedPattern: '^[a-z]{1,20}$', default: 'app' } },
    });
    const s = new Scenario(approving);
    s.apply(alarmInput('ALARM', T0));
    const incident = s.incident as Incident;
    const form = chatForm({ kind: 'page', page: 'proposal', incident }, approving, {
      tableName: 'incidents',
    });

    const shown = buttonsShown(actions, form.metadata.additionalContext);

    expect(shown.map((b) => b.text)).toEqual(['Approve', 'Deny']);
    for (const button of shown) {
      expect(parseOperatorRequest(payloadOf(button.command))).toEqual({
        verb: button.text.toLowerCase(),
        incident: incident.id,
        proposal: incident.proposal?.id,
        channel: 'chat',
      });
    }
  });

  it('show Retry, Diagnose, Snooze 1 h, Take and Pause runbook on an escalation, none on its OK', () => {
    const s = new Scenario();
    s.apply(alarmInput('ALARM', T0));
    for (let n = 1; n <= testRunbook.maxAttempts; n++) {
      s.apply({ kind: 'command-sent', attempt: n, commandId: `cmd-${n}` });
      s.after(10).apply({
        kind: 'command-finished',
        commandId: `cmd-${n}`,
        result: { status: 'Failed', responseCode: 1, stdout: '', stderr: 'failed' },
      });
      if (n < testRunbook.maxAttempts) s.fireTimer();
    }
    const escalated = s.incident as Incident;
    const escalation = chatForm({ kind: 'page', page: 'escalation', incident: escalated }, testRunbook);
    s.apply({ kind: 'page-sent', page: 'escalation', messageId: 'm-1' });
    s.after(600).apply(alarmInput('OK', s.now));
    const ok = chatForm({ kind: 'page', page: 'resolution', incident: s.incident as Incident }, testRunbook);

    const shown = buttonsShown(actions, escalation.metadata.additionalContext);

    expect(shown.map((b) => b.text)).toEqual(['Retry', 'Diagnose', 'Snooze 1 h', 'Take', 'Pause runbook']);
    expect(shown.map((b) => parseOperatorRequest(payloadOf(b.command)))).toEqual([
      { verb: 'retry', incident: escalated.id, channel: 'chat' },
      { verb: 'run', incident: escalated.id, action: 'diagnose', channel: 'chat' },
      { verb: 'snooze', incident: escalated.id, duration: '1h', channel: 'chat' },
      { verb: 'take', incident: escalated.id, channel: 'chat' },
      { verb: 'pause', runbook: testRunbook.name, reason: 'paused-from-chat', channel: 'chat' },
    ]);
    expect(buttonsShown(actions, ok.metadata.additionalContext)).toEqual([]);
  });

  it("show Close breaker on a breaker's notice while it is open, not on its close", () => {
    const notice = (kind: 'breaker-opened' | 'breaker-grew' | 'breaker-closed') =>
      noticeForms({ kind, runbook: 'disk-full', key: 'breaker/disk-full/x', subject: 'ALARM: x', body: 'x' })
        .chat.metadata.additionalContext;

    for (const kind of ['breaker-opened', 'breaker-grew'] as const) {
      const shown = buttonsShown(actions, notice(kind));
      expect(
        shown.map((b) => b.text),
        kind,
      ).toEqual(['Close breaker']);
      expect(parseOperatorRequest(payloadOf(shown[0]?.command as string))).toEqual({
        verb: 'breaker-close',
        runbook: 'disk-full',
        reason: 'closed-from-chat',
        channel: 'chat',
      });
    }
    expect(buttonsShown(actions, notice('breaker-closed'))).toEqual([]);
  });

  it('read only keys the chat pages and notices carry', () => {
    const keys = new Set<string>([...ACTION_CONTEXT_KEYS, 'kind']);
    for (const action of actions)
      for (const attachment of action.Attachments)
        for (const path of Object.values(attachment.Variables))
          expect([...keys].map((k) => `event.metadata.additionalContext.${k}`)).toContain(path);
  });

  it('are listed on a channel configuration of the app, whose role may then invoke the function', () => {
    const stack = new Stack(testApp(), 'WithChannel');
    const channel = new chatbot.SlackChannelConfiguration(stack, 'Channel', {
      slackChannelConfigurationName: 'oncall',
      slackWorkspaceId: 'T0123',
      slackChannelId: 'C0123',
    });
    new RemediationEngine(stack, 'Remediation', {
      chatTopic: new sns.Topic(stack, 'Chat'),
      chatActions: { channel },
    });
    const withChannel = Template.fromStack(stack);
    const [, config] = resourceOf(withChannel, 'AWS::Chatbot::SlackChannelConfiguration', 'Channel');
    expect((config.Properties.CustomizationResourceArns as unknown[]).map(render)).toEqual(
      CHAT_BUTTONS.map((b) =>
        expect.stringMatching(
          new RegExp(
            `^<RemediationChatActions${b.suffix.replace('-', '').slice(0, 5)}\\w*\\.CustomActionArn>$`,
            'i',
          ),
        ),
      ),
    );
    expect(statementsOf(withChannel, 'ChannelConfigurationRole')).toContainEqual({
      actions: ['lambda:InvokeFunction'],
      resources: [expect.stringMatching(/^<RemediationFunctionsOperator\w+\.Arn>$/)],
    });
  });

  it('need the chat topic, and a role ARN that is one', () => {
    const stack = new Stack(testApp(), 'NoTopic');
    expect(() => new RemediationEngine(stack, 'Remediation', { chatActions: {} })).toThrow(
      /chatActions is given without chatTopic/,
    );
    expect(() => new RemediationStack(testApp(), 'A', { chatRoleArn: CHAT_ROLE })).toThrow(
      /chatRoleArn is given without chatTopicArn/,
    );
    expect(
      () => new RemediationStack(testApp(), 'B', { chatTopicArn: CHAT_TOPIC, chatRoleArn: 'chat-channel' }),
    ).toThrow(/is not the ARN of an IAM role/);
  });
});
