import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Pause } from '../../core/gates.ts';
import type { KillSwitch, PauseRecord } from '../../core/ports.ts';
import { TABLE } from './table-schema.ts';

const PARTITION = 'SETTINGS';
const PREFIX = 'PAUSE#';
/** The sort key of the pause that covers every runbook. */
const ALL = `${PREFIX}*`;

/**
 * The kill switch in the incident table: one item per pause (`PAUSE#*` for every runbook,
 * `PAUSE#<runbook>` for one), read with strong consistency so that a pause holds from the next
 * decision on. A new pause replaces the item whole, so that its notice is announced afresh.
 */
export class DynamoDbKillSwitch implements KillSwitch {
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(client: DynamoDBClient, tableName: string) {
    this.documents = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.tableName = tableName;
  }

  async pauseFor(runbook: string): Promise<Pause | undefined> {
    const pauses = await this.list();
    const all = pauses.find((p) => p.runbook === undefined);
    const own = pauses.find((p) => p.runbook === runbook);
    const chosen = all ?? own;
    if (!chosen) return undefined;
    const { runbook: _runbook, ...pause } = chosen;
    return pause;
  }

  async pause(runbook: string | undefined, pause: Omit<Pause, 'scope'>): Promise<void> {
    // A pause starts unannounced: its notice is sent, and recorded, after it is in force.
    const { announcedAt: _announcedAt, ...fields } = pause;
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          [TABLE.partitionKey]: PARTITION,
          [TABLE.sortKey]: runbook ? `${PREFIX}${runbook}` : ALL,
          ...fields,
        },
      }),
    );
  }

  async resume(runbook: string | undefined): Promise<boolean> {
    const { Attributes } = await this.documents.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { [TABLE.partitionKey]: PARTITION, [TABLE.sortKey]: runbook ? `${PREFIX}${runbook}` : ALL },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return Attributes !== undefined;
  }

  async markAnnounced(runbook: string | undefined, since: number, at: number): Promise<boolean> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [TABLE.partitionKey]: PARTITION, [TABLE.sortKey]: runbook ? `${PREFIX}${runbook}` : ALL },
          UpdateExpression: 'SET announcedAt = :at',
          // The same pause, still in force: a resumed pause is not recreated, a newer one not covered.
          ConditionExpression: 'attribute_exists(#pk) AND since = :since',
          ExpressionAttributeNames: { '#pk': TABLE.partitionKey },
          ExpressionAttributeValues: { ':at': at, ':since': since },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async list(): Promise<PauseRecord[]> {
    const { Items = [] } = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': TABLE.partitionKey, '#sk': TABLE.sortKey },
        ExpressionAttributeValues: { ':pk': PARTITION, ':prefix': PREFIX },
        ConsistentRead: true,
      }),
    );
    return Items.map((item) => {
      const target = String(item[TABLE.sortKey]).slice(PREFIX.length);
      return {
        ...(target === '*' ? {} : { runbook: target }),
        scope: target === '*' ? 'all runbooks' : 'this runbook',
        reason: String(item.reason),
        ...(item.by ? { by: String(item.by) } : {}),
        since: Number(item.since),
        ...(item.announcedAt === undefined ? {} : { announcedAt: Number(item.announcedAt) }),
      };
    });
  }
}
