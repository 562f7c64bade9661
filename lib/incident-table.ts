import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { TABLE } from '../functions/adapters/aws/table-schema.ts';

/** Options of the incident table. */
export interface IncidentTableProps {
  /**
   * What CloudFormation does with the table when it leaves the stack.
   * @default RemovalPolicy.RETAIN - incidents are the audit trail of what the system did to the fleet
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The single table of incidents, attempts, leases, budgets and settings, in the shape the store
 * expects (functions/adapters/aws/table-schema.ts).
 *
 * Encryption: the AWS managed key (aws/dynamodb). The records stay in this account and are read only
 * by this stack's functions, so a customer managed key would add a key policy to maintain and a
 * monthly cost without narrowing who can read them; the managed key still logs every use to CloudTrail.
 */
export class IncidentTable extends dynamodb.Table {
  constructor(scope: Construct, id: string, props: IncidentTableProps = {}) {
    super(scope, id, {
      partitionKey: { name: TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TABLE.ttlAttribute,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    // Sparse: only open incidents carry the key, so the resync lists them without a scan.
    this.addGlobalSecondaryIndex({
      indexName: TABLE.openIndex.name,
      partitionKey: { name: TABLE.openIndex.partitionKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });
  }
}
