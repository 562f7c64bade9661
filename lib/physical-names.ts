import { createHash } from 'node:crypto';
import { Stack, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** The characters every name this helper makes may hold (CloudWatch dashboard names are the strictest). */
const NAME_CHARACTER = /^[A-Za-z0-9_-]$/;

/**
 * A readable name prefix that no other construct in the account and Region gets: the name of the
 * construct's (top-level) stack, then the construct's path below that stack, joined by `-`; for
 * example `Ec2AutoRemediation-Remediation` for the engine of the app's stack. Stack names are unique
 * in an account and Region, and paths are unique in a stack, so two engines in one stack, or in two
 * stacks, get different prefixes. When an id holds characters outside `A-Za-z0-9_-`, or the prefix is
 * longer than `maxLength`, a hash of the full path is appended so that it stays unique.
 */
export function uniqueNamePrefix(scope: IConstruct, maxLength = 128): string {
  let stack = Stack.of(scope);
  // A nested stack's name is only known at deploy time: name from the stack that holds it.
  while (stack.nestedStackParent) stack = stack.nestedStackParent;
  if (Token.isUnresolved(stack.stackName)) {
    throw new Error(`${scope.node.path}: the stack name must be known at synth to derive unique names`);
  }
  const scopes = scope.node.scopes;
  const parts = [stack.stackName, ...scopes.slice(scopes.indexOf(stack) + 1).map((c) => c.node.id)];
  const cleaned = parts.map((part) => [...part].filter((c) => NAME_CHARACTER.test(c)).join(''));
  const readable = cleaned.filter((part) => part !== '').join('-');
  const exact = cleaned.every((part, i) => part === parts[i]);
  if (exact && readable.length <= maxLength) return readable;
  const hash = createHash('sha256').update(parts.join('/')).digest('hex').slice(0, 8).toUpperCase();
  return `${readable.slice(0, maxLength - hash.length - 1)}-${hash}`;
}
