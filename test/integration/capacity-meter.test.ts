import { randomUUID } from 'node:crypto';
import { type AttributeValue, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { itemBytes } from '../../bench/capacity.ts';
import { createIncidentTable, localDynamoDbClient } from '../../local/dynamodb-local.ts';

const client = localDynamoDbClient(inject('dynamoDbEndpoint'));
const tableName = `capacity-${randomUUID()}`;

/**
 * The cost benchmark prices writes from item sizes it works out itself. Here its arithmetic meets
 * the real engine: an item of exactly 1 KB (or 2 KB) takes one unit fewer than one byte more.
 */
describe('item sizes as DynamoDB counts them (the cost benchmark)', () => {
  beforeAll(() => createIncidentTable(client, tableName));

  const shapes: Record<string, Record<string, AttributeValue>> = {
    strings: {},
    numbers: {
      at: { N: '1795309428294' },
      round: { N: '1795309428000' },
      small: { N: '-0.0012500' },
      mixed: { N: '12345.678' },
      negative: { N: '-12345' },
      zero: { N: '0' },
    },
    'maps and lists': {
      m: { M: { a: { S: 'x' }, b: { L: [{ N: '12' }, { BOOL: true }, { NULL: true }] } } },
    },
    binary: { body: { B: new Uint8Array(300) } },
  };

  for (const [shape, attributes] of Object.entries(shapes)) {
    it(`agrees with DynamoDB Local on ${shape} at the 1 KB and 2 KB boundaries`, async () => {
      for (const [bytes, units] of [
        [1024, 1],
        [1025, 2],
        [2048, 2],
        [2049, 3],
      ] as const) {
        const item: Record<string, AttributeValue> = {
          pk: { S: `SIZE#${shape}#${bytes}` },
          sk: { S: 'X' },
          ...attributes,
          pad: { S: '' },
        };
        item.pad = { S: 'a'.repeat(bytes - itemBytes(item)) };
        expect(itemBytes(item)).toBe(bytes);

        const { ConsumedCapacity } = await client.send(
          new PutItemCommand({ TableName: tableName, Item: item, ReturnConsumedCapacity: 'TOTAL' }),
        );

        expect({ bytes, units: ConsumedCapacity?.CapacityUnits }).toEqual({ bytes, units });
      }
    });
  }
});
