import './definition-errors.ts';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { EventLevel } from '../functions/core/effects.ts';
import type { PagerDutyProps } from '../lib/pagerduty-delivery.ts';
import { RemediationStack } from '../lib/remediation-stack.ts';

/**
 * The CDK app. Optional context (`cdk synth -c key=value`):
 * - optInTagKey: the tag that opts instances in (default AutoRemediation, value "enabled");
 * - pagerEmail: comma-separated email addresses to subscribe to the pager topic;
 * - pagerTopicArn: an existing SNS topic to page through instead of a new one, in the Region you deploy to;
 * - pagerTopicKeyArn: the customer managed KMS key that topic is encrypted with (a key ARN, not an alias);
 * - chatTopicArn: the SNS topic a chat channel (Amazon Q Developer in chat applications) subscribes to;
 * - chatTopicKeyArn: the customer managed KMS key that topic is encrypted with;
 * - chatRoleArn: the IAM role that chat channel runs commands with: adds the chat buttons, which invoke
 *   the operator function with it (list them on the channel: the ChatActionArns output);
 * - bundleAwsSdk=true: bundle the AWS SDK into the functions instead of using the runtime's copy;
 * - events=lifecycle|all|none: which remediation events to publish (default lifecycle).
 * - pagerDutySecret: the Secrets Manager secret (name or ARN) holding a PagerDuty Events API v2
 *   routing key, to page through PagerDuty's Events API v2 too; pagerDutySecretField: its JSON field.
 * No account or region is set: the template is environment-agnostic and synthesizes offline.
 */
const app = new App();

const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
};

new RemediationStack(app, 'Ec2AutoRemediation', {
  description:
    'Event-driven auto-remediation for EC2: CloudWatch alarms, SSM runbooks, one page per incident',
  optInTagKey: context('optInTagKey'),
  pagerEmails: context('pagerEmail')
    ?.split(',')
    .map((email) => email.trim())
    .filter((email) => email !== ''),
  pagerTopicArn: context('pagerTopicArn'),
  pagerTopicKeyArn: context('pagerTopicKeyArn'),
  chatTopicArn: context('chatTopicArn'),
  chatTopicKeyArn: context('chatTopicKeyArn'),
  chatRoleArn: context('chatRoleArn'),
  bundleAwsSdk: context('bundleAwsSdk') === 'true',
  // Checked by the engine, which names the values it accepts.
  events: context('events') as EventLevel | undefined,
  pagerDuty: pagerDutyFromContext(),
});

function pagerDutyFromContext(): PagerDutyProps | undefined {
  const secret = context('pagerDutySecret');
  if (!secret) return undefined;
  const field = context('pagerDutySecretField');
  return { routingKey: { secret, ...(field ? { field } : {}) } };
}

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
