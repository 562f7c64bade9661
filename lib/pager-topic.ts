import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

/** Options of the pager topic. */
export interface PagerTopicProps {
  /**
   * What happens to the topic's KMS key when it leaves the stack. A deleted key cannot decrypt what
   * it encrypted, so production keeps it.
   * @default RemovalPolicy.RETAIN
   */
  readonly keyRemovalPolicy?: RemovalPolicy;
}

/**
 * The SNS topic that pages humans, encrypted with a customer managed KMS key with yearly rotation,
 * publish over TLS only.
 *
 * Why a customer managed key and not alias/aws/sns: the AWS managed key's policy cannot be changed,
 * so no other AWS service principal can use it. With our own key, CloudWatch alarm actions (a
 * natural second publisher to a pager topic) can be allowed to publish; the functions get
 * `kms:GenerateDataKey*` and `kms:Decrypt` through `grantPublish`.
 */
export class PagerTopic extends Construct {
  /** The topic escalations and resolutions are published to. */
  readonly topic: sns.Topic;
  /** The key the topic's messages are encrypted with. */
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: PagerTopicProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts the auto-remediation pager topic',
      enableKeyRotation: true,
      removalPolicy: props.keyRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    // As documented for CloudWatch alarm actions on an encrypted topic, limited to the alarms of this
    // account and Region (the global condition keys guard against a confused deputy).
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'EC2 auto-remediation pages',
      masterKey: this.key,
      enforceSSL: true,
    });
  }
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Subscribes each address to the topic; SNS sends each one a confirmation mail first. */
export function subscribeEmails(topic: sns.ITopic, emails: readonly string[]): void {
  for (const email of emails) {
    if (!EMAIL.test(email)) {
      throw new Error(
        `pager email "${email}" is not an email address; pass addresses like oncall@example.com`,
      );
    }
    topic.addSubscription(new subscriptions.EmailSubscription(email));
  }
}
