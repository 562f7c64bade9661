import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { acknowledgeWildcard, wildcardResource } from './nag-acknowledgements.ts';

/** A function, or anything else with a role that lives in a stack. */
export type Grantee = iam.IGrantable & IConstruct;

/** The instance tag that opts an instance in to remediation. */
export interface OptInTag {
  readonly key: string;
  readonly value: string;
}

const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256}$/u;

/** Checks the opt-in tag at synth: a typo here would silently deny every command. */
export function validateOptInTag(tag: OptInTag): OptInTag {
  if (!TAG_KEY.test(tag.key) || /^aws:/i.test(tag.key)) {
    throw new Error(
      `opt-in tag key "${tag.key}" is not a valid EC2 tag key: use 1 to 128 letters, digits, spaces or _ . : / = + - @, ` +
        'not starting with "aws:"',
    );
  }
  if (!TAG_VALUE.test(tag.value)) {
    throw new Error(
      `opt-in tag value "${tag.value}" is not a valid EC2 tag value: use 1 to 256 letters, digits, spaces or _ . : / = + - @`,
    );
  }
  return tag;
}

/**
 * `ssm:SendCommand` needs an allow on the document AND on the instance. Documents: only this stack's.
 * Instances: only those carrying the opt-in tag. The condition key is `ssm:resourceTag/<key>`, as in
 * "Restricting Run Command access based on tags" (AWS Systems Manager User Guide, Setting up Run
 * Command: https://docs.aws.amazon.com/systems-manager/latest/userguide/run-command-setting-up.html),
 * whose example allows SendCommand on `arn:aws:ec2:*:*:instance/*` with `ssm:resourceTag/Finance`.
 */
export function grantSendCommand(grantee: Grantee, documentArns: readonly string[], tag: OptInTag): void {
  const stack = Stack.of(grantee);
  iam.Grant.addToPrincipal({ grantee, actions: ['ssm:SendCommand'], resourceArns: [...documentArns] });
  const anyInstance = stack.formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' });
  iam.Grant.addToPrincipal({
    grantee,
    actions: ['ssm:SendCommand'],
    resourceArns: [anyInstance],
    conditions: { StringEquals: { [`ssm:resourceTag/${tag.key}`]: tag.value } },
  });
  acknowledgeWildcard(grantee, wildcardResource(grantee, anyInstance), [
    'SendCommand must name instances the alarms choose at run time; the statement is limited to instances',
    `carrying the opt-in tag ${tag.key}=${tag.value} (ssm:resourceTag condition), and a second allow on the`,
    "stack's own documents is required too.",
  ]);
}

/**
 * Reading command results. `ssm:GetCommandInvocation` and `ssm:ListCommands` have no resource types in
 * the Service Authorization Reference (Actions defined by AWS Systems Manager), so `*` is the only
 * resource they accept.
 */
export function grantCommandReads(grantee: Grantee, actions: readonly CommandReadAction[]): void {
  iam.Grant.addToPrincipal({ grantee, actions: [...actions], resourceArns: ['*'] });
  acknowledgeWildcard(grantee, 'Resource::*', [
    `${actions.join(' and ')} support no resource-level permissions (Service Authorization Reference,`,
    'AWS Systems Manager), so they can only be granted on "*"; they are read-only.',
  ]);
}

/** The read-only SSM actions the handlers use to observe commands. */
export type CommandReadAction = 'ssm:GetCommandInvocation' | 'ssm:ListCommands';

/**
 * ec2:DescribeInstances, to check the opt-in tag before acting (the second check, besides IAM's
 * condition) and read the instance's launch time (its settle time), and to say in the breaker's
 * group page what the alarming instances share.
 */
export function grantDescribeInstances(grantee: Grantee): void {
  iam.Grant.addToPrincipal({ grantee, actions: ['ec2:DescribeInstances'], resourceArns: ['*'] });
  acknowledgeWildcard(grantee, 'Resource::*', [
    'ec2:DescribeInstances supports no resource-level permissions (Service Authorization Reference, Amazon EC2);',
    'it is read-only and called once per instance per minute at most to read the opt-in tag, its allow-list tags and the launch time, and when a fleet breaker opens, to describe the instances in its page.',
  ]);
}

/**
 * Reading alarm state. DescribeAlarms supports the alarm resource type, but the API reference says it
 * returns composite alarms only when the permission is scoped to `*`, and runbooks may answer
 * composite alarms; it is read-only. DescribeAlarmContributors (the series of a fleet alarm in
 * ALARM) is scoped to the account's alarms.
 */
export function grantDescribeAlarms(grantee: Grantee): void {
  iam.Grant.addToPrincipal({ grantee, actions: ['cloudwatch:DescribeAlarms'], resourceArns: ['*'] });
  const { account, region, partition } = Stack.of(grantee);
  const alarms = `arn:${partition}:cloudwatch:${region}:${account}:alarm:*`;
  const statement = new iam.PolicyStatement({
    actions: ['cloudwatch:DescribeAlarmContributors'],
    resources: [alarms],
  });
  // A policy of its own, so that cfn-lint's pass over an action its list predates (W3037) is this
  // statement's alone: a misspelt action anywhere else still fails the lint.
  const role = grantee.grantPrincipal;
  if (role instanceof iam.Role) {
    const policy = new iam.Policy(grantee, 'DescribeAlarmContributors', { statements: [statement] });
    role.attachInlinePolicy(policy);
    (policy.node.defaultChild as iam.CfnPolicy).addMetadata('cfn-lint', {
      config: { ignore_checks: ['W3037'] },
    });
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[${wildcardResource(grantee, alarms)}]`,
      reason: CONTRIBUTORS_REASON,
    });
  } else {
    iam.Grant.addToPrincipal({ grantee, actions: statement.actions, resourceArns: statement.resources });
    acknowledgeWildcard(grantee, wildcardResource(grantee, alarms), [CONTRIBUTORS_REASON]);
  }
  acknowledgeWildcard(grantee, 'Resource::*', [
    'cloudwatch:DescribeAlarms returns composite alarms only when granted on "*" (CloudWatch API Reference,',
    'DescribeAlarms); it is read-only and called only to reconcile (verify deadlines, slow checks, the resync).',
  ]);
}

const CONTRIBUTORS_REASON =
  "cloudwatch:DescribeAlarmContributors is read-only and scoped to this account's alarms: a fleet alarm " +
  'may be any alarm a runbook answers, and its series in ALARM are read only to reconcile.';

/**
 * Reads which alarms an active mute rule targets (the resync leaves muted alarms alone, as the alarm
 * handler does their events). ListAlarmMuteRules has no resource-level permission; GetAlarmMuteRule is
 * scoped to the account's mute rules.
 */
export function grantReadMuteRules(grantee: Grantee): void {
  iam.Grant.addToPrincipal({ grantee, actions: ['cloudwatch:ListAlarmMuteRules'], resourceArns: ['*'] });
  const { account, region, partition } = Stack.of(grantee);
  const rules = `arn:${partition}:cloudwatch:${region}:${account}:alarm-mute-rule:*`;
  iam.Grant.addToPrincipal({ grantee, actions: ['cloudwatch:GetAlarmMuteRule'], resourceArns: [rules] });
  acknowledgeWildcard(grantee, 'Resource::*', [
    'cloudwatch:ListAlarmMuteRules has no resource-level permission; it is read-only, once per resync run.',
  ]);
  acknowledgeWildcard(grantee, wildcardResource(grantee, rules), [
    'cloudwatch:GetAlarmMuteRule reads each active mute rule of this account to learn which alarms it mutes.',
  ]);
}
