import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../functions/handlers/config.ts';
import { RemediationEngine } from '../../lib/remediation-engine.ts';
import { RemediationStack, type RemediationStackProps } from '../../lib/remediation-stack.ts';
import { type CfnResource, resourceOf, statementsOf, synthesize, testApp } from './synthesize.ts';

const OWN_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:oncall';
const OWN_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const EMAILS = ['oncall@example.com', 'platform@example.com'];
const FUNCTIONS = [
  'RemediationFunctionsAlarm',
  'RemediationFunctionsCommandStatus',
  'RemediationFunctionsTimer',
  'RemediationFunctionsResync',
];
/** The statements of a function's role that use KMS. */
const kmsStatements = (template: Template, fn: string) =>
  statementsOf(template, `${fn}Role`).filter((s) => s.actions.some((action) => action.startsWith('kms:')));
/** The rules of a template that assert something about the Region it is deployed to. */
const regionRules = (template: Template) =>
  Object.values((template.toJSON().Rules ?? {}) as Record<string, { Assertions: unknown[] }>).filter((rule) =>
    JSON.stringify(rule).includes('AWS::Region'),
  );
/** The stack in a pinned environment, synthesized. */
const pinned = (region: string, props: RemediationStackProps, account = '123456789012') => {
  const stack = new RemediationStack(testApp(), 'Pinned', { env: { account, region }, ...props });
  return { stack, template: Template.fromStack(stack) };
};

describe('pager topic', () => {
  let ownTopic: Template;
  let createdTopic: Template;

  beforeAll(() => {
    ownTopic = synthesize({ pagerTopicArn: OWN_TOPIC, pagerEmails: EMAILS }).template;
    createdTopic = synthesize({ pagerEmails: EMAILS }).template;
  });

  describe('brought by the platform team', () => {
    it('creates no topic and no key', () => {
      ownTopic.resourceCountIs('AWS::SNS::Topic', 0);
      ownTopic.resourceCountIs('AWS::KMS::Key', 0);
    });

    it('is the topic every function pages through, and may publish to', () => {
      for (const prefix of [
        'RemediationFunctionsAlarm',
        'RemediationFunctionsCommandStatus',
        'RemediationFunctionsTimer',
      ]) {
        // Act
        const [, fn] = resourceOf(ownTopic, 'AWS::Lambda::Function', prefix);
        const statements = statementsOf(ownTopic, `${prefix}Role`);
        // Assess
        expect((fn.Properties.Environment as { Variables: object }).Variables).toHaveProperty(
          ENV.pagerTopicArn,
          OWN_TOPIC,
        );
        expect(statements.filter((s) => s.actions.includes('sns:Publish'))).toEqual([
          { actions: ['sns:Publish'], resources: [OWN_TOPIC] },
        ]);
        expect(statements.filter((s) => s.actions.some((action) => action.startsWith('kms:')))).toEqual([]);
      }
    });

    it('gets the email subscriptions', () => {
      const subscriptions = Object.values(
        ownTopic.findResources('AWS::SNS::Subscription') as Record<string, CfnResource>,
      );
      expect(subscriptions.map((s) => s.Properties)).toEqual(
        EMAILS.map((email) => ({ Protocol: 'email', Endpoint: email, TopicArn: OWN_TOPIC })),
      );
    });

    it('must be a standard topic ARN, and the error says what to pass', () => {
      expect(() => synthesize({ pagerTopicArn: 'oncall' })).toThrow(
        /not the ARN of a standard SNS topic; pass one like/,
      );
      expect(() => synthesize({ pagerTopicArn: `${OWN_TOPIC}.fifo` })).toThrow(
        /FIFO topics are not supported/,
      );
    });
  });

  describe('a chat channel', () => {
    const CHAT_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:oncall-chat';

    it('gets every page too: each function knows the chat topic and may publish to it, and only to it', () => {
      const { template } = synthesize({ pagerTopicArn: OWN_TOPIC, chatTopicArn: CHAT_TOPIC });
      for (const prefix of [
        'RemediationFunctionsAlarm',
        'RemediationFunctionsCommandStatus',
        'RemediationFunctionsTimer',
      ]) {
        const [, fn] = resourceOf(template, 'AWS::Lambda::Function', prefix);
        expect((fn.Properties.Environment as { Variables: object }).Variables).toHaveProperty(
          ENV.chatTopicArn,
          CHAT_TOPIC,
        );
        const publish = statementsOf(template, `${prefix}Role`).filter((s) =>
          s.actions.includes('sns:Publish'),
        );
        expect(publish.flatMap((s) => s.resources).sort()).toEqual([OWN_TOPIC, CHAT_TOPIC].sort());
      }
    });

    it('must be a standard topic ARN too', () => {
      expect(() => synthesize({ chatTopicArn: 'chat' })).toThrow(
        /chatTopicArn "chat" is not the ARN of a standard SNS topic/,
      );
    });
  });

  describe('created by the stack', () => {
    it('subscribes each email address', () => {
      // Prepare
      const [topicId] = resourceOf(createdTopic, 'AWS::SNS::Topic', 'RemediationPagerTopic');
      const subscriptions = Object.values(
        createdTopic.findResources('AWS::SNS::Subscription') as Record<string, CfnResource>,
      );
      // Assess
      expect(subscriptions.map((s) => s.Properties)).toEqual(
        EMAILS.map((email) => ({ Protocol: 'email', Endpoint: email, TopicArn: { Ref: topicId } })),
      );
    });

    it('rejects something that is not an email address', () => {
      expect(() => synthesize({ pagerEmails: ['oncall'] })).toThrow(/"oncall" is not an email address/);
    });
  });

  describe('brought with the KMS key it is encrypted with', () => {
    let template: Template;

    beforeAll(() => {
      ({ template } = synthesize({ pagerTopicArn: OWN_TOPIC, pagerTopicKeyArn: OWN_KEY }));
    });

    it.each(FUNCTIONS)(
      'lets %s use that key, with exactly what publishing to an encrypted topic needs',
      (fn) => {
        expect(kmsStatements(template, fn)).toEqual([
          { actions: ['kms:Decrypt', 'kms:GenerateDataKey*'], resources: [OWN_KEY] },
        ]);
      },
    );

    it('works the same for the engine given an sns.ITopic and a kms.IKey, for the chat topic too', () => {
      // Prepare
      const stack = new Stack(testApp(), 'Embedding');
      const chatKey = 'arn:aws:kms:eu-west-1:123456789012:key/abcd1234-12ab-34cd-56ef-1234567890ab';
      // Act
      new RemediationEngine(stack, 'Remediation', {
        pagerTopic: sns.Topic.fromTopicArn(stack, 'Pager', OWN_TOPIC),
        pagerTopicKey: kms.Key.fromKeyArn(stack, 'PagerKey', OWN_KEY),
        chatTopic: sns.Topic.fromTopicArn(stack, 'Chat', 'arn:aws:sns:eu-west-1:123456789012:chat'),
        chatTopicKey: kms.Key.fromKeyArn(stack, 'ChatKey', chatKey),
      });
      // Assess
      const granted = kmsStatements(Template.fromStack(stack), 'RemediationFunctionsAlarm');
      for (const statement of granted)
        expect(statement.actions).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
      expect(granted.flatMap((statement) => statement.resources).sort()).toEqual([OWN_KEY, chatKey].sort());
    });

    it('passes the AwsSolutions checks: the wildcard action the key needs is acknowledged', () => {
      // Prepare
      const app = testApp();
      const stack = new RemediationStack(app, 'OwnKey', {
        pagerTopicArn: OWN_TOPIC,
        pagerTopicKeyArn: OWN_KEY,
      });
      // Act
      const { violations } = new AwsSolutionsChecks(app).validateScope(app);
      // Assess
      expect(kmsStatements(Template.fromStack(stack), 'RemediationFunctionsAlarm')).not.toEqual([]);
      expect(violations.map((v) => v.ruleName)).toEqual([]);
    });

    it('refuses a key without its topic, an alias for a key, and a key given twice, saying what to pass', () => {
      expect(() => synthesize({ pagerTopicKeyArn: OWN_KEY })).toThrow(
        /pagerTopicKeyArn is given without pagerTopicArn: pass the ARN of the topic it encrypts/,
      );
      expect(() =>
        synthesize({
          pagerTopicArn: OWN_TOPIC,
          pagerTopicKeyArn: 'arn:aws:kms:eu-west-1:123456789012:alias/sns',
        }),
      ).toThrow(/not the ARN of a KMS key; pass one like arn:aws:kms:.*:key\//);
      const stack = new Stack(testApp(), 'Twice');
      expect(
        () =>
          new RemediationEngine(stack, 'Remediation', {
            pagerTopic: sns.Topic.fromTopicAttributes(stack, 'Pager', {
              topicArn: OWN_TOPIC,
              keyArn: OWN_KEY,
            }),
            pagerTopicKey: kms.Key.fromKeyArn(stack, 'Key', OWN_KEY),
          }),
      ).toThrow(/pagerTopicKey is given, but pagerTopic already names its key .* leave pagerTopicKey out/);
    });
  });

  describe('in another Region', () => {
    const US_TOPIC = 'arn:aws:sns:us-east-1:123456789012:oncall';

    it('is refused at synth when the stack has a Region, and the error says how to fix it', () => {
      expect(() => pinned('eu-west-1', { pagerTopicArn: US_TOPIC })).toThrow(
        /pagerTopic arn:aws:sns:us-east-1:123456789012:oncall is in us-east-1, but the stack deploys to eu-west-1: .*Pass a topic and key of eu-west-1, or deploy the stack to us-east-1/,
      );
      expect(() => pinned('us-east-1', { pagerTopicArn: US_TOPIC, pagerTopicKeyArn: OWN_KEY })).toThrow(
        /pagerTopicKey arn:aws:kms:eu-west-1:.* is in eu-west-1, but the stack deploys to us-east-1/,
      );
      expect(() => pinned('us-east-1', { chatTopicArn: OWN_TOPIC })).toThrow(/chatTopic .* is in eu-west-1/);
    });

    it('is refused at deploy by a CloudFormation rule when the stack is environment-agnostic, and only then', () => {
      // Act
      const { template } = synthesize({ pagerTopicArn: OWN_TOPIC, pagerTopicKeyArn: OWN_KEY });
      // Assess
      expect(regionRules(template)).toEqual([
        {
          Assertions: [
            {
              Assert: { 'Fn::Equals': ['eu-west-1', { Ref: 'AWS::Region' }] },
              AssertDescription: expect.stringMatching(
                new RegExp(
                  `^pagerTopic ${OWN_TOPIC} is in eu-west-1, but .* Deploy the stack to eu-west-1, or pass`,
                ),
              ),
            },
          ],
        },
        {
          Assertions: [
            {
              Assert: { 'Fn::Equals': ['eu-west-1', { Ref: 'AWS::Region' }] },
              AssertDescription: expect.stringMatching(/^pagerTopicKey arn:aws:kms:eu-west-1:/),
            },
          ],
        },
      ]);
      expect(regionRules(pinned('eu-west-1', { pagerTopicArn: OWN_TOPIC }).template)).toEqual([]);
      expect(regionRules(synthesize().template)).toEqual([]);
    });
  });

  describe('in another account', () => {
    it('is accepted, with a note that its owner must allow the functions to publish', () => {
      // Act
      const { stack } = pinned('eu-west-1', { pagerTopicArn: OWN_TOPIC }, '210987654321');
      // Assess
      const notes = Annotations.fromStack(stack).findInfo(
        '*',
        Match.stringLikeRegexp('belongs to account 123456789012: its owner must allow'),
      );
      expect(notes).toHaveLength(1);
    });
  });
});
