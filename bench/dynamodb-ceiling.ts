import { performance } from 'node:perf_hooks';
import {
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { TABLE } from '../functions/adapters/aws/table-schema.ts';
import { createIncidentTable } from '../local/dynamodb-local.ts';
import { round } from './machine.ts';

const { partitionKey: PK, sortKey: SK } = TABLE;

/** Bare calls per second of each kind the storm makes, at the storm's parallelism. */
export type CallRates = Readonly<Record<'GetItem' | 'PutItem' | 'Query' | 'TransactWriteItems', number>>;

/**
 * The engine's own speed on this machine: each kind of call the storm makes, bare (no handler, no
 * decision), `parallelism` at a time, on a table of its own in the same DynamoDB Local. Items and
 * queries are shaped as the product's (a 2 KB incident, a partition of 50 slot items, a claim of
 * four items).
 */
export async function measureCallRates(
  client: DynamoDBClient,
  parallelism: number,
  count = 4_000,
): Promise<CallRates> {
  const table = 'ceiling';
  await createIncidentTable(client, table);
  const body = 'x'.repeat(2_000);
  const item = (pk: string, sk: string) => ({ [PK]: { S: pk }, [SK]: { S: sk }, body: { S: body } });
  for (let i = 0; i < 50; i++)
    await client.send(new PutItemCommand({ TableName: table, Item: item('RUNBOOK#r', `SLOT#${i}`) }));
  const rate = async (op: (i: number) => Promise<unknown>, n: number): Promise<number> => {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: parallelism }, async () => {
        for (let i = next++; i < n; i = next++) await op(i);
      }),
    );
    return round(n / ((performance.now() - started) / 1000), 0);
  };
  const PutItem = await rate(
    (i) => client.send(new PutItemCommand({ TableName: table, Item: item(`INCIDENT#${i}`, 'HEAD') })),
    count,
  );
  const GetItem = await rate(
    (i) =>
      client.send(
        new GetItemCommand({
          TableName: table,
          Key: { [PK]: { S: `INCIDENT#${i % count}` }, [SK]: { S: 'HEAD' } },
          ConsistentRead: true,
        }),
      ),
    count,
  );
  const Query = await rate(
    () =>
      client.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': PK },
          ExpressionAttributeValues: { ':pk': { S: 'RUNBOOK#r' } },
          ConsistentRead: true,
        }),
      ),
    count / 4,
  );
  const TransactWriteItems = await rate(
    (i) =>
      client.send(
        new TransactWriteItemsCommand({
          TransactItems: [0, 1, 2, 3].map((k) => ({
            Put: { TableName: table, Item: item(`CLAIM#${i}`, `PART#${k}`) },
          })),
        }),
      ),
    count / 4,
  );
  return { GetItem, PutItem, Query, TransactWriteItems };
}

/**
 * The most events a second the storm could reach on this engine: its events over the time its
 * DynamoDB calls alone would take at the bare rates (as if the handlers, the decider and the SDK
 * cost nothing, and the calls overlapped as well as the bare ones did).
 */
export function ceilingEventsPerSecond(
  events: number,
  calls: Readonly<Record<string, number>>,
  rates: CallRates,
): number {
  const seconds = (Object.keys(rates) as (keyof CallRates)[]).reduce(
    (sum, op) => sum + (calls[`dynamodb:${op}`] ?? 0) / rates[op],
    0,
  );
  return seconds > 0 ? round(events / seconds, 1) : Number.POSITIVE_INFINITY;
}
