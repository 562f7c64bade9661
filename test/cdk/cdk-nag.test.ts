import { type App, Annotations as CdkAnnotations, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { RemediationStack } from '../../lib/remediation-stack.ts';
import { ALARM_WARNINGS } from '../../lib/runbook-alarms.ts';
import { testApp } from './synthesize.ts';

// cdk-nag 3 is a policy-validation plugin: it reports violations to the validation report at synth
// (and fails the synth), not as annotations. `validateScope` runs the same checks directly, and
// leaves out what was acknowledged with `Validations.of(scope).acknowledge()`.
const describeViolations = (app: App) =>
  new AwsSolutionsChecks(app)
    .validateScope(app)
    .violations.flatMap((violation) =>
      violation.violatingResources.map(
        (resource) => `${violation.severity} ${violation.ruleName} at ${resource.constructPath}`,
      ),
    );

function acknowledgementsIn(scope: IConstruct): Array<{ id: string; reason: string; path: string }> {
  return scope.node.findAll().flatMap((node) =>
    node.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          id,
          reason,
          path: node.node.path,
        })),
      ),
  );
}

describe('cdk-nag AwsSolutions checks', () => {
  let app: App;
  let stacks: RemediationStack[];

  beforeAll(() => {
    app = testApp();
    stacks = [
      new RemediationStack(app, 'Ec2AutoRemediation', { pagerEmails: ['oncall@example.com'] }),
      new RemediationStack(app, 'OwnTopic', {
        pagerTopicArn: 'arn:aws:sns:eu-west-1:123456789012:oncall',
        // With the chat buttons: custom actions, and the channel's role allowed to invoke the operator function.
        chatTopicArn: 'arn:aws:sns:eu-west-1:123456789012:chat',
        chatRoleArn: 'arn:aws:iam::123456789012:role/chat-channel',
      }),
      // With a concrete environment, ARNs in findings are literal: the acknowledgements must follow.
      new RemediationStack(app, 'Pinned', { env: { account: '123456789012', region: 'eu-west-1' } }),
    ];
    // By default runaway-cpu's fleet alarm reads AWS/EC2, and the engine warns that the account's
    // resource tags on telemetry must be on (test/cdk/runbook-alarms.test.ts asserts it): intended.
    for (const stack of stacks)
      CdkAnnotations.of(stack).acknowledgeWarning(ALARM_WARNINGS.resourceTagsOnTelemetry);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  });

  it('report no unacknowledged error or warning: created or existing topic, any or a pinned environment', () => {
    expect(describeViolations(app)).toEqual([]);
  });

  it('let the app synthesize (a finding would fail it)', () => {
    expect(() => app.synth()).not.toThrow();
  });

  it('leave no CDK warning or error annotations', () => {
    for (const stack of stacks) {
      expect(Annotations.fromStack(stack).findError('*', Match.anyValue()), stack.stackName).toEqual([]);
      expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue()), stack.stackName).toEqual([]);
    }
  });

  it('are acknowledged only on the resources concerned, each with a reason', () => {
    // Act
    const acknowledgements = acknowledgementsIn(stacks[0] as RemediationStack);
    // Assess
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const { id, reason, path } of acknowledgements) {
      expect(path, id).not.toBe('Ec2AutoRemediation');
      expect(path, id).not.toBe('Ec2AutoRemediation/Remediation');
      expect(reason.length, `${id} at ${path}`).toBeGreaterThan(40);
    }
  });

  it('still catch a problem, and fail the synth for it', () => {
    // Prepare
    const scratch = testApp();
    new sqs.Queue(new Stack(scratch, 'Scratch'), 'PlainQueue', {
      encryption: sqs.QueueEncryption.UNENCRYPTED,
    });
    Validations.of(scratch).addPlugins(new AwsSolutionsChecks(scratch));
    // Act
    const findings = describeViolations(scratch);
    // Assess
    expect(findings).toEqual(
      expect.arrayContaining([
        'error AwsSolutions-SQS2 at Scratch/PlainQueue/Resource',
        'error AwsSolutions-SQS4 at Scratch/PlainQueue/Resource',
      ]),
    );
    expect(() => scratch.synth()).toThrow(/AwsSolutions-SQS4/);
  });
});
