import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { TimerMessage } from '../../core/inputs.ts';
import type { WaitEntry } from '../../core/ports.ts';
import type { WaitListName } from '../../core/wait-lists.ts';
import {
  fleetKeys,
  WAIT_ENTRY_END,
  WAIT_ENTRY_TTL_GRACE_SECONDS,
  WAIT_LIST_PREFIX,
  waitEntryStart,
} from './fleet-items.ts';
import { TABLE } from './table-schema.ts';

const { partitionKey: PK, sortKey: SK, ttlAttribute: TTL } = TABLE;

/** How many times a taker reads the line again when the entries it read were taken by others first. */
const TAKE_ROUNDS = 5;
/**
 * How far into the line a taker reads beyond what it wants: when many give back at once (a storm's
 * commands finishing together), those that lose the race for the first entry spread over the next
 * ones at random instead of all racing for each entry in turn.
 */
const TAKE_SPREAD = 32;

/**
 * The wait lists in the incident table (layout in `fleet-items.ts`): one item per waiting incident,
 * in line by its wait's deadline. Taking an entry is a conditional delete, so that two callers that
 * give back a slot at once never wake the same waiter: each wakes its own.
 */
export class DynamoDbWaitLists {
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(documents: DynamoDBDocumentClient, tableName: string) {
    this.documents = documents;
    this.tableName = tableName;
  }

  async join(entry: WaitEntry): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...fleetKeys.waitEntry(entry.list, entry.until, entry.incidentId),
          incidentId: entry.incidentId,
          until: entry.until,
          wake: entry.wake,
          [TTL]: Math.ceil(entry.until / 1000) + WAIT_ENTRY_TTL_GRACE_SECONDS,
        },
      }),
    );
  }

  async has(list: WaitListName, until: number, incidentId: string): Promise<boolean> {
    const { Item } = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: fleetKeys.waitEntry(list, until, incidentId),
        ConsistentRead: true,
        ProjectionExpression: '#pk',
        ExpressionAttributeNames: { '#pk': PK },
      }),
    );
    return Item !== undefined;
  }

  async leave(list: WaitListName, until: number, incidentId: string): Promise<void> {
    await this.documents.send(
      new DeleteCommand({ TableName: this.tableName, Key: fleetKeys.waitEntry(list, until, incidentId) }),
    );
  }

  async take(list: WaitListName, count: number, now: number): Promise<WaitEntry[]> {
    const taken: WaitEntry[] = [];
    for (let round = 0; round < TAKE_ROUNDS && taken.length < count; round++) {
      const { Items = [] } = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
          ExpressionAttributeValues: {
            ':pk': fleetKeys.waitListPartition(list),
            // Only entries whose wait has not reached its deadline are still in line.
            ':from': waitEntryStart(now + 1),
            ':to': WAIT_ENTRY_END,
          },
          ConsistentRead: true,
          // More than wanted: others taking from the same line at once take some first.
          Limit: count + TAKE_SPREAD,
        }),
      );
      if (Items.length === 0) break;
      const lost = await this.takeInTurn(Items, count, taken);
      // Nothing was lost to another taker: what was read is all the line has left for this call.
      if (lost === 0) break;
    }
    return taken;
  }

  /**
   * Takes entries from those read, first come first served; once a race for one was lost (someone
   * else gives back at the same time), the rest are tried in a random order, so that concurrent
   * takers spread over the head of the line. Resolves to the number of races lost.
   */
  private async takeInTurn(
    items: readonly Record<string, unknown>[],
    count: number,
    taken: WaitEntry[],
  ): Promise<number> {
    const order = [...items];
    let lost = 0;
    for (let i = 0; i < order.length && taken.length < count; i++) {
      const item = order[i] as Record<string, unknown>;
      const entry = toEntry(item);
      if (!entry) continue;
      if (await this.takeOne(item)) {
        taken.push(entry);
        continue;
      }
      lost += 1;
      if (lost === 1) shuffleFrom(order, i + 1);
    }
    return lost;
  }

  /** Deletes an entry if it is still there; true when this call took it. */
  private async takeOne(item: Record<string, unknown>): Promise<boolean> {
    try {
      await this.documents.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { [PK]: item[PK], [SK]: item[SK] },
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

/** Shuffles `items` in place from index `from` on (Fisher-Yates). */
function shuffleFrom<T>(items: T[], from: number): void {
  for (let i = items.length - 1; i > from; i--) {
    const j = from + Math.floor(Math.random() * (i - from + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
}

function toEntry(item: Record<string, unknown>): WaitEntry | undefined {
  const pk = String(item[PK] ?? '');
  const wake = item.wake as TimerMessage | undefined;
  if (!pk.startsWith(WAIT_LIST_PREFIX) || !wake || typeof wake.token !== 'string') return undefined;
  return {
    list: pk.slice(WAIT_LIST_PREFIX.length) as WaitListName,
    until: Number(item.until),
    incidentId: String(item.incidentId),
    wake,
  };
}
