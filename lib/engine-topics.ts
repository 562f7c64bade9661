import type { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { acknowledgeWildcard } from './nag-acknowledgements.ts';
import { PagerTopic } from './pager-topic.ts';
import { requireStackRegion } from './topic-region.ts';

/** What the engine's props say about its topics (see RemediationEngineProps). */
export interface TopicOptions {
  readonly pagerTopic?: sns.ITopic;
  readonly pagerTopicKey?: kms.IKey;
  readonly chatTopic?: sns.ITopic;
  readonly chatTopicKey?: kms.IKey;
  readonly keyRemovalPolicy?: RemovalPolicy;
}

/** The topics the engine pages through, each with the key its functions must be allowed to use. */
export interface EngineTopics {
  readonly pagerTopic: sns.ITopic;
  readonly pagerTopicKey: kms.IKey | undefined;
  readonly chatTopic: sns.ITopic | undefined;
  readonly chatTopicKey: kms.IKey | undefined;
}

/**
 * The engine's topics: the pager topic given, or a new encrypted one; the chat topic, if given; and
 * for each, the key given beside it or the one it knows. Options that contradict each other are
 * refused with what to pass instead, and what was brought must be in the stack's Region.
 */
export function engineTopics(scope: Construct, options: TopicOptions): EngineTopics {
  checkTopicOptions(options);
  const pagerTopic =
    options.pagerTopic ??
    new PagerTopic(scope, 'Pager', { keyRemovalPolicy: options.keyRemovalPolicy }).topic;
  const topics: EngineTopics = {
    pagerTopic,
    pagerTopicKey: topicKey('pagerTopic', pagerTopic, options.pagerTopicKey),
    chatTopic: options.chatTopic,
    chatTopicKey: options.chatTopic && topicKey('chatTopic', options.chatTopic, options.chatTopicKey),
  };
  const { pagerTopicKey, chatTopic, chatTopicKey } = topics;
  const brought = [
    options.pagerTopic && {
      id: 'PagerTopicRegion',
      prop: 'pagerTopic',
      resource: pagerTopic,
      arn: pagerTopic.topicArn,
    },
    options.pagerTopic &&
      pagerTopicKey && {
        id: 'PagerTopicKeyRegion',
        prop: 'pagerTopicKey',
        resource: pagerTopicKey,
        arn: pagerTopicKey.keyArn,
      },
    chatTopic && { id: 'ChatTopicRegion', prop: 'chatTopic', resource: chatTopic, arn: chatTopic.topicArn },
    chatTopicKey && {
      id: 'ChatTopicKeyRegion',
      prop: 'chatTopicKey',
      resource: chatTopicKey,
      arn: chatTopicKey.keyArn,
    },
  ];
  for (const resource of brought) if (resource) requireStackRegion(scope, resource.id, resource);
  return topics;
}

/**
 * Lets a function publish to the topics: `sns:Publish`, and on each topic's key what publishing to a
 * topic encrypted with it needs, `kms:GenerateDataKey*` and `kms:Decrypt` (SNS developer guide, "Key
 * management"). `grantPublish` covers a key the topic knows; a key given beside the topic is granted here.
 */
export function grantPublishToTopics(grantee: iam.IGrantable, topics: EngineTopics): void {
  const pairs = [
    [topics.pagerTopic, topics.pagerTopicKey],
    [topics.chatTopic, topics.chatTopicKey],
  ] as const;
  for (const [topic, key] of pairs) {
    if (!topic) continue;
    topic.grantPublish(grantee);
    if (key && !topic.masterKey) {
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resourceArns: [key.keyArn],
      });
    }
  }
  if (topics.pagerTopicKey || topics.chatTopicKey) {
    acknowledgeWildcard(grantee, 'Action::kms:GenerateDataKey*', [
      'SNS publishing to a KMS-encrypted topic needs kms:GenerateDataKey* (SNS key management); it is',
      "limited to the pager and chat topics' own keys.",
    ]);
  }
}

/** Topic options that contradict each other, refused with what to pass instead. */
function checkTopicOptions(options: TopicOptions): void {
  if (options.pagerTopic && options.keyRemovalPolicy !== undefined) {
    throw new Error(
      'keyRemovalPolicy applies to the key of the pager topic the engine creates; with your own ' +
        "pagerTopic, its key's lifecycle is yours: leave keyRemovalPolicy out",
    );
  }
  if (options.pagerTopicKey && !options.pagerTopic) {
    throw new Error(
      'pagerTopicKey is given without pagerTopic: the topic the engine creates has its own key; pass ' +
        'your pagerTopic with it, or leave pagerTopicKey out',
    );
  }
  if (options.chatTopicKey && !options.chatTopic) {
    throw new Error(
      'chatTopicKey is given without chatTopic: pass the chat topic it encrypts, or leave it out',
    );
  }
}

/** The key the functions must be allowed to use to publish to a topic: the one given, or the topic's own. */
function topicKey(prop: string, topic: sns.ITopic, given: kms.IKey | undefined): kms.IKey | undefined {
  if (given && topic.masterKey) {
    throw new Error(
      `${prop}Key is given, but ${prop} already names its key (masterKey, as Topic.fromTopicAttributes ` +
        `with keyArn does): give the key once, and leave ${prop}Key out`,
    );
  }
  return given ?? topic.masterKey;
}
