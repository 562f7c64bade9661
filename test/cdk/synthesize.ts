import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { PROJECT_ROOT } from '../../lib/project-paths.ts';
import { RemediationStack, type RemediationStackProps } from '../../lib/remediation-stack.ts';

/**
 * The app as `cdk synth` builds it (cdk.json's context), without esbuild bundling (TOOLCHAIN.md).
 * `outdir` is where `app.synth()` writes the cloud assembly (default: a new temporary folder).
 */
export function testApp(options: { outdir?: string } = {}): App {
  return new App({ outdir: options.outdir, context: testContext() });
}

/** cdk.json's context, with esbuild bundling turned off (the functions' code is not built). */
export function testContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context?: object };
  return { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] };
}

/** Synthesizes the stack once; call it in `beforeAll`. */
export function synthesize(props: RemediationStackProps = {}): {
  stack: RemediationStack;
  template: Template;
} {
  const stack = new RemediationStack(testApp(), 'Ec2AutoRemediation', props);
  return { stack, template: Template.fromStack(stack) };
}

/** A CloudFormation resource as the template holds it. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DeletionPolicy?: string;
}

/** The only resource of a type whose logical id starts with the given prefix. */
export function resourceOf(template: Template, type: string, logicalIdPrefix: string): [string, CfnResource] {
  const found = Object.entries(template.findResources(type) as Record<string, CfnResource>).filter(([id]) =>
    id.startsWith(logicalIdPrefix),
  );
  if (found.length !== 1)
    throw new Error(`expected one ${type} named ${logicalIdPrefix}*, found ${found.length}`);
  return found[0] as [string, CfnResource];
}

/** An IAM statement, with Action and Resource always lists and references rendered as `<Id>` text. */
export interface Statement {
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly condition?: Record<string, Record<string, string>>;
}

/** The statements of a role's inline policies. */
export function statementsOf(template: Template, roleLogicalIdPrefix: string): Statement[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy') as Record<string, CfnResource>);
  return policies
    .filter((policy) =>
      // A role of this stack is a `Ref`; an imported one, its name.
      (policy.Properties.Roles as Array<{ Ref: string } | string>).some((role) =>
        (typeof role === 'string' ? role : role.Ref).startsWith(roleLogicalIdPrefix),
      ),
    )
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: unknown[] }).Statement)
    .map((statement) => {
      const { Action, Resource, Condition } = statement as {
        Action: unknown;
        Resource: unknown;
        Condition?: never;
      };
      return {
        actions: [Action].flat() as string[],
        resources: [Resource].flat().map(render),
        ...(Condition ? { condition: Condition } : {}),
      };
    });
}

/** Renders `Ref`, `Fn::GetAtt` and `Fn::Join` as text, e.g. `arn:<AWS::Partition>:ssm:...` (as cdk-nag does). */
export function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, unknown>;
  if ('Ref' in node) return `<${node.Ref}>`;
  if ('Fn::GetAtt' in node) return `<${(node['Fn::GetAtt'] as string[]).join('.')}>`;
  if ('Fn::Join' in node) {
    const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map(render).join(separator);
  }
  return JSON.stringify(value);
}
