import { Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { fleetKeys } from '../functions/adapters/aws/fleet-items.ts';
import { OPERATOR_EVENT_SOURCE, RESYNC_REQUESTED } from '../functions/core/event-patterns.ts';

/**
 * What the operator CLI (`npx remediate`) reads of the incident table: `status` queries the pauses and
 * each runbook's partition; `report` and `incidents list|show` scan it.
 */
export const OPERATOR_READ_ACTIONS = ['dynamodb:Query', 'dynamodb:Scan'] as const;

/**
 * What it writes: `pause` puts a pause and `resume` deletes it; `breaker close` updates the breaker;
 * `runbooks dry-run` puts a mode, `runbooks enforce` deletes it and puts a forget marker.
 */
export const OPERATOR_WRITE_ACTIONS = [
  'dynamodb:DeleteItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
] as const;

/**
 * The partitions those writes touch (`dynamodb:LeadingKeys`): the pauses, each runbook's breaker and
 * mode, and each runbook's record of verified runs. Incidents and leases stay the functions' alone.
 */
export const OPERATOR_WRITTEN_PARTITIONS = [
  'SETTINGS',
  fleetKeys.runbookPartition('*'),
  fleetKeys.runsPartition('*'),
] as const;

/**
 * Lets an operator run `npx remediate` against one engine: read its incident table, write only the
 * pauses, breakers and modes, and ask its resync to run now (`resume` and `breaker close` put a
 * `Remediation Resync Requested` event on the default bus, where the engine's rule listens). No index,
 * no stream, no other table, no other event source. With the engine's operator function, also
 * `lambda:InvokeFunction` on it: the responder commands (`approve`, `deny`, `retry`, `run`, `snooze`,
 * `take`) and the announced `pause`, `resume`, `breaker close` and `runbooks …` go through it.
 */
export function grantOperate(
  grantee: iam.IGrantable,
  table: dynamodb.ITable,
  operatorFunction?: lambda.IFunction,
): iam.Grant {
  const reads = iam.Grant.addToPrincipal({
    grantee,
    actions: [...OPERATOR_READ_ACTIONS],
    resourceArns: [table.tableArn],
  });
  const writes = iam.Grant.addToPrincipal({
    grantee,
    actions: [...OPERATOR_WRITE_ACTIONS],
    resourceArns: [table.tableArn],
    conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...OPERATOR_WRITTEN_PARTITIONS] } },
  });
  const granted = reads.combine(writes).combine(grantResyncRequest(grantee, table));
  return operatorFunction ? granted.combine(grantInvokeOperator(grantee, operatorFunction)) : granted;
}

/**
 * `events:PutEvents` of the `Remediation Resync Requested` event only, on the default bus of the
 * stack's account and Region: what `resume` and `breaker close` send, from the CLI or from the
 * operator function.
 */
export function grantResyncRequest(grantee: iam.IGrantable, scope: IConstruct): iam.Grant {
  const { partition, region, account } = Stack.of(scope);
  return iam.Grant.addToPrincipal({
    grantee,
    actions: ['events:PutEvents'],
    resourceArns: [`arn:${partition}:events:${region}:${account}:event-bus/default`],
    conditions: {
      StringEquals: { 'events:source': OPERATOR_EVENT_SOURCE, 'events:detail-type': RESYNC_REQUESTED },
    },
  });
}

/**
 * `lambda:InvokeFunction` on the operator function itself (its unqualified ARN, which is what the CLI
 * and the chat buttons invoke), and no version or alias of it.
 */
export function grantInvokeOperator(grantee: iam.IGrantable, operatorFunction: lambda.IFunction): iam.Grant {
  return iam.Grant.addToPrincipal({
    grantee,
    actions: ['lambda:InvokeFunction'],
    resourceArns: [operatorFunction.functionArn],
  });
}
