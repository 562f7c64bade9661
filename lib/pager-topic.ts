import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

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

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts the auto-remediation pager topic',
      enableKeyRotation: true,
    });
    // As documented for CloudWatch alarm actions on an encrypted topic.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
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
