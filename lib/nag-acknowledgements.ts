import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/**
 * Records, on the role of a grantee, why a wildcard that cdk-nag's AwsSolutions-IAM5 reports is
 * intended. The acknowledgement names one finding (`Action::…` or `Resource::…`), never the whole rule.
 */
export function acknowledgeWildcard(
  grantee: iam.IGrantable,
  finding: string,
  reason: readonly string[],
): void {
  const role = grantee.grantPrincipal;
  if (!(role instanceof iam.Role)) return;
  Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason: reason.join(' ') });
}

/** The IAM5 finding for a wildcard resource, spelled as cdk-nag spells it (`<Ref>`, `<Id.Attr>`). */
export function wildcardResource(scope: IConstruct, arn: string): string {
  return `Resource::${flatten(Stack.of(scope).resolve(arn))}`;
}

function flatten(node: unknown): string {
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const value = node as Record<string, unknown>;
  if ('Fn::Join' in value) {
    const [separator, parts] = value['Fn::Join'] as [string, unknown[]];
    return parts.map(flatten).join(separator);
  }
  if ('Fn::GetAtt' in value) return `<${(value['Fn::GetAtt'] as unknown[]).map(flatten).join('.')}>`;
  if ('Ref' in value) return `<${flatten(value.Ref)}>`;
  return JSON.stringify(node);
}
