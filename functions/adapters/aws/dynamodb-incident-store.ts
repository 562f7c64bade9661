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
import { fnv1a64 } from '../../core/identity.ts';
import type { AlarmMemory, Hold, Incident, IncidentKey, KeyRecord } from '../../core/incident.ts';
import { isIncident } from '../../core/incident.ts';
import { ClaimConflictError, IncidentConflictError, type IncidentStore } from '../../core/ports.ts';
import { CLAIM_NAMES, claimItems } from './fleet-items.ts';
import {
  HEAD,
  incidentFromItem,
  incidentToItem,
  keyOfPartition,
  legacyPartitionOf,
  memoryToItem,
  openShardsOf,
  partitionOf,
  recordFromItem,
} from './incident-item.ts';
import { TABLE } from './table-schema.ts';

export { partitionOf };

const { partitionKey: PK, sortKey: SK } = TABLE;
/** How many previous-layout partitions a store remembers as empty before it starts afresh. */
const MAX_REMEMBERED_ABSENT = 10_000;

/**
 * Incidents in the single table. The current episode of a key (an alarm and its target) is its `HEAD`
 * item; when a new episode opens, the closed one is archived beside it (`EPISODE#<opened>#<id>`) in the
 * same transaction; when an attempt starts, its lease, slot and budget are taken in the transaction
 * that records it, so that a command is never recorded without them, nor they without it. A key with
 * no incident may hold the alarm's remembered state at `HEAD`. Every write is conditional on the version
 * the decision read, so concurrent handlers cannot both win: the loser gets an
 * {@link IncidentConflictError} and decides again.
 *
 * Records of the previous layout (one partition per runbook and target) are read when a key's own
 * partition is empty, and moved into it by the first write that follows, in one transaction.
 */
export class DynamoDbIncidentStore implements IncidentStore {
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;
  /** Records as loaded from the previous layout (by identity), with the partition they came from. */
  private readonly legacy = new WeakMap<object, string>();
  /**
   * Previous-layout partitions found to hold nothing of the key's alarm: nothing writes that layout
   * any more, so each is read once per container, not on every load (a storm loads a key many times).
   */
  private readonly noLegacy = new Set<string>();

  constructor(client: DynamoDBClient, tableName: string) {
    this.tableName = tableName;
    this.documents = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  async load(key: IncidentKey): Promise<KeyRecord | undefined> {
    // Both layouts at once: a key's first read costs one round trip, not two, on the hot path.
    const [item, legacy] = await Promise.all([this.head(partitionOf(key)), this.loadLegacy(key)]);
    if (item) return recordFromItem(item);
    return legacy;
  }

  async save(next: Incident, previous: KeyRecord | undefined, closed?: Incident): Promise<void> {
    const from = previous ? this.legacy.get(previous) : undefined;
    const head = {
      TableName: this.tableName,
      Item: incidentToItem(next, HEAD),
      ...(from ? guard(undefined) : guard(previous)),
    };
    const episode = isIncident(previous) && previous.id !== next.id ? (closed ?? previous) : undefined;
    const archive = episode
      ? [
          {
            Put: {
              TableName: this.tableName,
              Item: incidentToItem(episode, `EPISODE#${iso(episode.openedAt)}#${episode.id}`),
            },
          },
        ]
      : [];
    // A record of the previous layout moves: its old HEAD goes, on the version it was read at.
    const moved =
      from && previous
        ? [
            {
              Delete: {
                TableName: this.tableName,
                Key: { [PK]: from, [SK]: HEAD },
                ...guard(previous),
              },
            },
          ]
        : [];
    const claim = newHold(next, isIncident(previous) ? previous : undefined);
    const claims = claim ? claimItems(this.tableName, next, claim, next.updatedAt) : [];
    const headIndex = archive.length;
    try {
      if (archive.length === 0 && claims.length === 0 && moved.length === 0) {
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
            ...moved,
          ],
        }),
      );
    } catch (error) {
      const failedMove =
        moved.length > 0 &&
        error instanceof TransactionCanceledException &&
        error.CancellationReasons?.at(-1)?.Code === 'ConditionalCheckFailed';
      if (failedMove) throw new IncidentConflictError(next.key);
      throw conflictOrOriginal(error, next.key, headIndex, claims.length > 0);
    }
  }

  async remember(memory: AlarmMemory, previous: KeyRecord | undefined): Promise<void> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: memoryToItem(memory),
          ...guard(previous && !this.legacy.has(previous) ? previous : undefined),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new IncidentConflictError(memory.key);
      throw error;
    }
  }

  async openKeys(runbook: string): Promise<IncidentKey[]> {
    const { name, partitionKey } = TABLE.openIndex;
    const shards = await Promise.all(
      openShardsOf(runbook).map(async (shard) => {
        const keys: IncidentKey[] = [];
        let start: Record<string, unknown> | undefined;
        do {
          const page = await this.documents.send(
            new QueryCommand({
              TableName: this.tableName,
              IndexName: name,
              KeyConditionExpression: '#shard = :shard',
              ExpressionAttributeNames: { '#shard': partitionKey },
              ExpressionAttributeValues: { ':shard': shard },
              ...(start ? { ExclusiveStartKey: start } : {}),
            }),
          );
          for (const item of page.Items ?? []) {
            const key = keyOfPartition(String(item[PK]), runbook);
            if (key) keys.push(key);
          }
          start = page.LastEvaluatedKey;
        } while (start);
        return keys;
      }),
    );
    return shards.flat();
  }

  private async head(partition: string): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [PK]: partition, [SK]: HEAD },
        ConsistentRead: true,
      }),
    );
    return Item;
  }

  /** The key's incident as the previous layout kept it, if it is this alarm's. */
  private async loadLegacy(key: IncidentKey): Promise<Incident | undefined> {
    if (!key.runbook || !key.target) return undefined;
    const partition = legacyPartitionOf(key);
    if (this.noLegacy.has(`${partition}|${key.alarm}`)) return undefined;
    const item = await this.head(partition);
    const stored = item ? incidentFromItem(item) : undefined;
    if (!stored || fnv1a64(stored.alarm.arn) !== key.alarm) {
      if (this.noLegacy.size >= MAX_REMEMBERED_ABSENT) this.noLegacy.clear();
      this.noLegacy.add(`${partition}|${key.alarm}`);
      return undefined;
    }
    const adopted: Incident = { ...stored, key };
    this.legacy.set(adopted, partition);
    return adopted;
  }
}

function guard(previous: KeyRecord | undefined) {
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
    return new IncidentConflictError(
      key,
      error.Item ? incidentOrUndefined(unmarshall(error.Item)) : undefined,
    );
  }
  if (error instanceof TransactionCanceledException) {
    const reasons = error.CancellationReasons ?? [];
    const headReason = reasons[headIndex];
    if (headReason?.Code === 'ConditionalCheckFailed') {
      return new IncidentConflictError(
        key,
        headReason.Item ? incidentOrUndefined(unmarshall(headReason.Item)) : undefined,
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

function incidentOrUndefined(item: Record<string, unknown>): Incident | undefined {
  const record = recordFromItem(item);
  return isIncident(record) ? record : undefined;
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
