import { CfnOutput, type Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { EventLevel } from '../functions/core/effects.ts';
import type { Runbook } from '../functions/core/runbook.ts';
import { RemediationEngine } from './remediation-engine.ts';

/** Options of the remediation stack. */
export interface RemediationStackProps extends StackProps {
  /**
   * The tag an instance must carry for runbooks to run on it.
   * @default 'AutoRemediation'
   */
  readonly optInTagKey?: string;
  /**
   * The value the opt-in tag must have.
   * @default 'enabled'
   */
  readonly optInTagValue?: string;
  /**
   * Email addresses subscribed to the pager topic.
   * @default - no subscriptions
   */
  readonly pagerEmails?: readonly string[];
  /**
   * The ARN of an existing standard SNS topic to page through, instead of creating one.
   * @default - a new KMS-encrypted topic
   */
  readonly pagerTopicArn?: string;
  /**
   * The ARN of the SNS topic a chat channel (Amazon Q Developer in chat applications) subscribes to.
   * @default - no chat notifications
   */
  readonly chatTopicArn?: string;
  /**
   * The runbooks to deploy.
   * @default - every runbook in the registry
   */
  readonly runbooks?: readonly Runbook[];
  /**
   * Bundle the AWS SDK into the functions instead of using the Lambda runtime's copy.
   * @default false
   */
  readonly bundleAwsSdk?: boolean;
  /**
   * Which remediation events to publish: `lifecycle`, `all` or `none` (see the engine's `events`).
   * @default 'lifecycle'
   */
  readonly events?: EventLevel;
  /**
   * How often the resync reconciles the alarms in ALARM with the open incidents (see the engine).
   * @default Duration.minutes(5)
   */
  readonly resyncInterval?: Duration;
  /**
   * How often escalated and suppressed incidents ask CloudWatch for their alarm (see the engine).
   * @default Duration.hours(1)
   */
  readonly slowCheckInterval?: Duration;
}

const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

/** One deployable unit: the remediation engine and nothing else. */
export class RemediationStack extends Stack {
  /** The engine, for tests and for stacks that extend this one. */
  readonly engine: RemediationEngine;

  constructor(scope: Construct, id: string, props: RemediationStackProps = {}) {
    super(scope, id, props);
    this.engine = new RemediationEngine(this, 'Remediation', {
      optInTagKey: props.optInTagKey,
      optInTagValue: props.optInTagValue,
      pagerEmails: props.pagerEmails,
      runbooks: props.runbooks,
      bundleAwsSdk: props.bundleAwsSdk,
      events: props.events,
      resyncInterval: props.resyncInterval,
      slowCheckInterval: props.slowCheckInterval,
      pagerTopic:
        props.pagerTopicArn === undefined
          ? undefined
          : this.existingTopic('PagerTopic', 'pagerTopicArn', props.pagerTopicArn),
      chatTopic:
        props.chatTopicArn === undefined
          ? undefined
          : this.existingTopic('ChatTopic', 'chatTopicArn', props.chatTopicArn),
    });
    new CfnOutput(this, 'IncidentTableName', {
      value: this.engine.table.tableName,
      description: 'The incident table: npx remediate pause|resume|status --table <this>',
    });
  }

  private existingTopic(id: string, option: string, arn: string): sns.ITopic {
    if (!TOPIC_ARN.test(arn)) {
      throw new Error(
        `${option} "${arn}" is not the ARN of a standard SNS topic; pass one like ` +
          'arn:aws:sns:eu-west-1:123456789012:oncall (FIFO topics are not supported)',
      );
    }
    return sns.Topic.fromTopicArn(this, id, arn);
  }
}
