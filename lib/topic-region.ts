import { Annotations, Aws, CfnRule, Fn, type IResource, Stack, Token } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/** A topic or key brought to the engine, with the ARN it is known by. */
export interface BroughtResource {
  /** The prop it was given as, e.g. `pagerTopic`, named in errors. */
  readonly prop: string;
  readonly resource: IResource;
  readonly arn: string;
}

/**
 * Refuses a topic or key that lives in another Region than the stack: the functions publish with
 * the SNS client of their own Region and CloudWatch alarm actions reach topics of the alarm's Region
 * only, so every page would fail. Checked at synth when both Regions are known; for an
 * environment-agnostic stack, a CloudFormation rule fails the deploy before any resource is created.
 *
 * Another account is allowed (SNS and KMS both support it, through the topic's and the key's
 * policies, which this stack cannot write): an info annotation says what the owner must allow.
 */
export function requireStackRegion(scope: Construct, id: string, brought: BroughtResource): void {
  const { prop, resource, arn } = brought;
  const stack = Stack.of(scope);
  const region = resource.env.region;
  if (Token.isUnresolved(region)) return;
  if (!Token.isUnresolved(stack.region)) {
    if (region !== stack.region) {
      throw new Error(
        `${prop} ${arn} is in ${region}, but the stack deploys to ${stack.region}: the functions and the ` +
          `alarms publish in the stack's Region only. Pass a topic and key of ${stack.region}, or deploy ` +
          `the stack to ${region} (env: { region: '${region}' }).`,
      );
    }
  } else {
    new CfnRule(scope, id, {
      assertions: [
        {
          assert: Fn.conditionEquals(region, Aws.REGION),
          assertDescription:
            `${prop} ${arn} is in ${region}, but this stack is being deployed to another Region: the ` +
            `functions and the alarms publish in the stack's Region only. Deploy the stack to ${region}, ` +
            'or pass a topic and key of the Region you deploy to.',
        },
      ],
    });
  }
  const account = resource.env.account;
  if (!Token.isUnresolved(account) && !Token.isUnresolved(stack.account) && account !== stack.account) {
    Annotations.of(scope).addInfo(
      `${prop} ${arn} belongs to account ${account}: its owner must allow this stack's function roles ` +
        'in its policy (sns:Publish on a topic; kms:GenerateDataKey* and kms:Decrypt on a key).',
    );
  }
}
