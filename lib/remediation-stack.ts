import { CfnOutput, type Duration, Fn, type RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { EventLevel } from '../functions/core/effects.ts';
import type { Runbook } from '../functions/core/runbook.ts';
import type { PagerDutyProps } from './pagerduty-delivery.ts';
import { RemediationEngine } from './remediation-engine.ts';
import type { AlarmProvisioningProps } from './runbook-alarms.ts';

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
   * Page for alarms on instances without the opt-in tag (see the engine's `pageUnmanagedInstances`).
   * @default false
   */
  readonly pageUnmanagedInstances?: boolean;
  /**
   * Email addresses subscribed to the pager topic.
   * @default - no subscriptions
   */
  readonly pagerEmails?: readonly string[];
  /**
   * The ARN of an existing standard SNS topic to page through, instead of creating one. It must be in
   * the Region the stack deploys to (see the engine's `pagerTopic`).
   * @default - a new KMS-encrypted topic
   */
  readonly pagerTopicArn?: string;
  /**
   * The ARN of the customer managed KMS key the `pagerTopicArn` topic is encrypted with
   * (`arn:aws:kms:<region>:<account>:key/<key id>`, not an alias): the functions may then use it.
   * @default - the topic is taken as not encrypted with a customer managed key
   */
  readonly pagerTopicKeyArn?: string;
  /**
   * The ARN of the SNS topic a chat channel (Amazon Q Developer in chat applications) subscribes to.
   * @default - no chat notifications
   */
  readonly chatTopicArn?: string;
  /**
   * The ARN of the customer managed KMS key the `chatTopicArn` topic is encrypted with.
   * @default - the topic is taken as not encrypted with a customer managed key
   */
  readonly chatTopicKeyArn?: string;
  /**
   * The ARN of the IAM role the chat channel (subscribed to `chatTopicArn`) runs commands with: the
   * stack creates the chat buttons (custom actions: Approve, Deny, Retry, Diagnose, Snooze 1 h, Take,
   * Pause runbook, Close breaker) and lets this role invoke the operator function. List the buttons
   * on the channel (the `ChatActionArns` output) with `aws chatbot associate-to-configuration`.
   * @default - no chat buttons
   */
  readonly chatRoleArn?: string;
  /**
   * Also page through PagerDuty's Events API v2, with the routing key from a Secrets Manager secret
   * (its name or ARN, and the JSON field if the key is one field of it), or through an EventBridge
   * connection made outside the stack. See the engine's `pagerDuty`.
   * @default - no PagerDuty Events v2 delivery
   */
  readonly pagerDuty?: PagerDutyProps;
  /**
   * What happens to the created pager topic's KMS key when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly keyRemovalPolicy?: RemovalPolicy;
  /**
   * What happens to the functions' log groups when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
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
   * Accounts besides this stack's own whose events are acted on (see the engine).
   * @default - this stack's account only
   */
  readonly trustedEventAccounts?: readonly string[];
  /**
   * How often escalated and suppressed incidents ask CloudWatch for their alarm (see the engine).
   * @default Duration.hours(1)
   */
  readonly slowCheckInterval?: Duration;
  /**
   * How the alarms the runbooks declare are provisioned: fleet, per-instance or none (see the engine).
   * @default - a fleet alarm per runbook that declares one, sized for 500 instances
   */
  readonly alarms?: AlarmProvisioningProps;
}

const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]{1,128}$/;

/** One deployable unit: the remediation engine and nothing else. */
export class RemediationStack extends Stack {
  /** The engine, for tests and for stacks that extend this one. */
  readonly engine: RemediationEngine;

  constructor(scope: Construct, id: string, props: RemediationStackProps = {}) {
    super(scope, id, props);
    this.engine = new RemediationEngine(this, 'Remediation', {
      optInTagKey: props.optInTagKey,
      optInTagValue: props.optInTagValue,
      pageUnmanagedInstances: props.pageUnmanagedInstances,
      pagerEmails: props.pagerEmails,
      runbooks: props.runbooks,
      bundleAwsSdk: props.bundleAwsSdk,
      events: props.events,
      resyncInterval: props.resyncInterval,
      slowCheckInterval: props.slowCheckInterval,
      trustedEventAccounts: props.trustedEventAccounts,
      alarms: props.alarms,
      pagerDuty: props.pagerDuty,
      pagerTopic:
        props.pagerTopicArn === undefined
          ? undefined
          : this.existingTopic('PagerTopic', 'pagerTopicArn', props.pagerTopicArn),
      chatTopic:
        props.chatTopicArn === undefined
          ? undefined
          : this.existingTopic('ChatTopic', 'chatTopicArn', props.chatTopicArn),
      pagerTopicKey: this.existingKey('PagerTopicKey', 'pagerTopicKeyArn', props.pagerTopicKeyArn, {
        topicOption: 'pagerTopicArn',
        topicArn: props.pagerTopicArn,
      }),
      chatTopicKey: this.existingKey('ChatTopicKey', 'chatTopicKeyArn', props.chatTopicKeyArn, {
        topicOption: 'chatTopicArn',
        topicArn: props.chatTopicArn,
      }),
      keyRemovalPolicy: props.keyRemovalPolicy,
      logRemovalPolicy: props.logRemovalPolicy,
      chatActions: this.chatActions(props),
    });
    new CfnOutput(this, 'IncidentTableName', {
      value: this.engine.table.tableName,
      description: 'The incident table: npx remediate pause|resume|status --table <this>',
    });
    new CfnOutput(this, 'OperatorFunctionName', {
      value: this.engine.operatorFunction.functionName,
      description:
        'The operator function: npx remediate approve|deny|retry|run|snooze|take --function <this> (or REMEDIATION_OPERATOR_FUNCTION)',
    });
    if (this.engine.chatActions) {
      new CfnOutput(this, 'ChatActionArns', {
        value: Fn.join(',', [...this.engine.chatActions.actionArns]),
        description:
          'The chat buttons: aws chatbot associate-to-configuration --chat-configuration <channel ARN> --resource <each>',
      });
    }
  }

  private chatActions(props: RemediationStackProps): { role: iam.IRole } | undefined {
    if (props.chatRoleArn === undefined) return undefined;
    if (props.chatTopicArn === undefined) {
      throw new Error(
        'chatRoleArn is given without chatTopicArn: the buttons attach to the chat pages; pass the ARN of the topic the channel subscribes to',
      );
    }
    if (!ROLE_ARN.test(props.chatRoleArn)) {
      throw new Error(
        `chatRoleArn "${props.chatRoleArn}" is not the ARN of an IAM role; pass one like arn:aws:iam::123456789012:role/chat-channel`,
      );
    }
    return { role: iam.Role.fromRoleArn(this, 'ChatRole', props.chatRoleArn) };
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

  private existingKey(
    id: string,
    option: string,
    arn: string | undefined,
    of: { topicOption: string; topicArn: string | undefined },
  ): kms.IKey | undefined {
    if (arn === undefined) return undefined;
    if (of.topicArn === undefined) {
      throw new Error(
        `${option} is given without ${of.topicOption}: pass the ARN of the topic it encrypts too`,
      );
    }
    if (!KEY_ARN.test(arn)) {
      throw new Error(
        `${option} "${arn}" is not the ARN of a KMS key; pass one like ` +
          'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab (IAM grants on a key ' +
          'name its key ARN, not an alias)',
      );
    }
    return kms.Key.fromKeyArn(this, id, arn);
  }
}
