import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Hold, Incident, IncidentKey } from '../../core/incident.ts';
import { latestAttempt } from '../../core/incident.ts';
import { ClaimConflictError, IncidentConflictError, type IncidentStore } from '../../core/ports.ts';
import { CLAIM_NAMES, claimItems } from './fleet-items.ts';
import { CLOSED_RETENTION_DAYS, TABLE } from './table-schema.ts';

const HEAD = 'HEAD';
const { partitionKey: PK, sortKey: SK, ttlAttribute: TTL } = TABLE;
const COMMAND_ID = TABLE.commandIndex.partitionKey;

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
    return Item ? toIncident(Item) : undefined;
  }

  async save(next: Incident, previous: Incident | undefined): Promise<void> {
    const head = { TableName: this.tableName, Item: toItem(next, HEAD), ...guard(previous) };
    const archive =
      previous && previous.id !== next.id
        ? [
            {
              Put: {
                TableName: this.tableName,
                Item: toItem(previous, `EPISODE#${iso(previous.openedAt)}#${previous.id}`),
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

  async findByCommandId(commandId: string): Promise<IncidentKey | undefined> {
    const { Items } = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: TABLE.commandIndex.name,
        KeyConditionExpression: '#command = :command',
        ExpressionAttributeNames: { '#command': COMMAND_ID },
        ExpressionAttributeValues: { ':command': commandId },
        Limit: 1,
      }),
    );
    const item = Items?.[0];
    return item ? (item.key as IncidentKey) : undefined;
  }
}

/** The partition of an incident key. Names are validated (runbook) or derived (target): no `#` inside. */
export function partitionOf(key: IncidentKey): string {
  return `INCIDENT#${key.runbook}#${key.target}`;
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

function toItem(incident: Incident, sortKey: string): Record<string, unknown> {
  const latest = latestAttempt(incident);
  const inFlight =
    (latest?.status === 'running' && latest.commandId) ||
    (latest?.status === 'diagnosing' && latest.diagnosis?.status === 'running' && latest.diagnosis.commandId);
  const expires = incident.closedAt
    ? Math.floor(incident.closedAt / 1000) + CLOSED_RETENTION_DAYS * 86_400
    : undefined;
  return {
    ...incident,
    [PK]: partitionOf(incident.key),
    [SK]: sortKey,
    // Only the head's command in flight is indexed: the index stays small and points at live work.
    ...(inFlight && sortKey === HEAD ? { [COMMAND_ID]: inFlight } : {}),
    ...(expires ? { [TTL]: expires } : {}),
  };
}

function toIncident(item: Record<string, unknown>): Incident {
  const { [PK]: _pk, [SK]: _sk, [COMMAND_ID]: _command, [TTL]: _ttl, ...incident } = item;
  return incident as unknown as Incident;
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
    return new IncidentConflictError(key, error.Item ? toIncident(unmarshall(error.Item)) : undefined);
  }
  if (error instanceof TransactionCanceledException) {
    const reasons = error.CancellationReasons ?? [];
    const headReason = reasons[headIndex];
    if (headReason?.Code === 'ConditionalCheckFailed') {
      return new IncidentConflictError(
        key,
        headReason.Item ? toIncident(unmarshall(headReason.Item)) : undefined,
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
