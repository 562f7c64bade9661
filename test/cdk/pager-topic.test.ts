import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../functions/handlers/config.ts';
import { type CfnResource, resourceOf, statementsOf, synthesize } from './synthesize.ts';

const OWN_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:oncall';
const EMAILS = ['oncall@example.com', 'platform@example.com'];

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
});
