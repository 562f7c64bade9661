import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Hold, Incident, IncidentKey } from '../../core/incident.ts';
import { ClaimConflictError, IncidentConflictError, type IncidentStore } from '../../core/ports.ts';
import { CLAIM_NAMES, claimItems } from './fleet-items.ts';
import { HEAD, incidentFromItem, incidentToItem, partitionOf } from './incident-item.ts';
import { TABLE } from './table-schema.ts';

export { partitionOf };

const { partitionKey: PK, sortKey: SK } = TABLE;

/**
 * Incidents in the single table. The current episode of a key is its `HEAD` item; when a new
 * episode opens, the closed one is archived beside it (`EPISODE#<opened>#<id>`) in the same
 * transaction; when an attempt starts, its lease, slot and budget are taken in the transaction
 * that records it, so that a command is never recorded without them, nor they without it. Every write is conditional on the version the decision read, so concurrent
 * handlers cannot both win: the loser gets an {@link IncidentConflictError} and decides again.
 */
export class DynamoDbIncidentStore implements IncidentStore {
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(client: DynamoDBClient, tableName: string) {
    this.tableName = tableName;
    this.documents = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  async load(key: IncidentKey): Promise<Incident | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [PK]: partitionOf(key), [SK]: HEAD },
        ConsistentRead: true,
      }),
    );
    return Item ? incidentFromItem(Item) : undefined;
  }

  async save(next: Incident, previous: Incident | undefined): Promise<void> {
    const head = { TableName: this.tableName, Item: incidentToItem(next, HEAD), ...guard(previous) };
    const archive =
      previous && previous.id !== next.id
        ? [
            {
              Put: {
                TableName: this.tableName,
                Item: incidentToItem(previous, `EPISODE#${iso(previous.openedAt)}#${previous.id}`),
              },
            },
          ]
        : [];
    const claim = newHold(next, previous);
    const claims = claim ? claimItems(this.tableName, next, claim, next.updatedAt) : [];
    try {
      if (archive.length === 0 && claims.length === 0) {
        await this.documents.send(
          new PutCommand({ ...head, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
        );
        return;
      }
      await this.documents.send(
        new TransactWriteCommand({
          TransactItems: [
            ...archive,
            { Put: { ...head, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } },
            ...claims,
          ],
        }),
      );
    } catch (error) {
      throw conflictOrOriginal(error, next.key, archive.length, claims.length > 0);
    }
  }
}

function guard(previous: Incident | undefined) {
  return previous
    ? {
        ConditionExpression: '#version = :version',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':version': previous.version },
      }
    : { ConditionExpression: `attribute_not_exists(${PK})` };
}

/** The hold `next` takes that `previous` did not have: a new attempt's lease, slot and budget. */
function newHold(next: Incident, previous: Incident | undefined): Hold | undefined {
  if (!next.hold) return undefined;
  const before = previous?.id === next.id ? previous.hold : undefined;
  return before?.attempt === next.hold.attempt ? undefined : next.hold;
}

/**
 * Maps DynamoDB's refusals: the incident's own condition is a conflict on the incident (reload and
 * decide again); a claim's condition, or a concurrent transaction, a conflict on the shared limits
 * (read them again and decide again). `TransactionCanceledException` lists one reason per entry, in
 * the order sent: archive (when present), head, then lease, slot, budget.
 */
function conflictOrOriginal(error: unknown, key: IncidentKey, headIndex: number, claiming: boolean): unknown {
  if (error instanceof ConditionalCheckFailedException) {
    return new IncidentConflictError(key, error.Item ? incidentFromItem(unmarshall(error.Item)) : undefined);
  }
  if (error instanceof TransactionCanceledException) {
    const reasons = error.CancellationReasons ?? [];
    const headReason = reasons[headIndex];
    if (headReason?.Code === 'ConditionalCheckFailed') {
      return new IncidentConflictError(
        key,
        headReason.Item ? incidentFromItem(unmarshall(headReason.Item)) : undefined,
      );
    }
    const failedClaims = CLAIM_NAMES.filter(
      (_, i) => reasons[headIndex + 1 + i]?.Code === 'ConditionalCheckFailed',
    );
    if (failedClaims.length > 0) return new ClaimConflictError(key, failedClaims);
    if (reasons.some((r) => r.Code === 'TransactionConflict')) {
      return claiming ? new ClaimConflictError(key, ['busy']) : new IncidentConflictError(key);
    }
  }
  return error;
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
