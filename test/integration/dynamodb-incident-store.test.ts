import { randomUUID } from 'node:crypto';
import { GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoDbIncidentStore, partitionOf } from '../../functions/adapters/aws/dynamodb-incident-store.ts';
import { HEAD, incidentToItem } from '../../functions/adapters/aws/incident-item.ts';
import { CLOSED_RETENTION_DAYS } from '../../functions/adapters/aws/table-schema.ts';
import type { Incident } from '../../functions/core/incident.ts';
import type { DecisionInput } from '../../functions/core/inputs.ts';
import { IncidentConflictError } from '../../functions/core/ports.ts';
import { createIncidentTable, localDynamoDbClient } from '../../local/dynamodb-local.ts';
import { alarmInput, keyFor, onInstance, Scenario, T0 } from '../support/fixtures.ts';

const client = localDynamoDbClient(inject('dynamoDbEndpoint'));
const tableName = `store-${randomUUID()}`;
const store = new DynamoDbIncidentStore(client, tableName);

/** An incident opened by the decider, so the store sees real records. */
function opened(): Incident {
  const s = new Scenario();
  s.apply(alarmInput('ALARM', T0));
  return s.incident as Incident;
}

describe('DynamoDbIncidentStore on DynamoDB Local', () => {
  beforeAll(() => createIncidentTable(client, tableName, { timeToLive: false }));

  it('writes a new incident and reads back exactly what it wrote', async () => {
    const incident = { ...opened(), key: keyFor('disk-full', 'i-00000000000000001') };

    await store.save(incident, undefined);

    expect(await store.load(incident.key)).toEqual(incident);
  });

  it('refuses a second first write for the same key with a conflict that carries the winner', async () => {
    const incident = { ...opened(), key: keyFor('disk-full', 'i-00000000000000002') };
    await store.save(incident, undefined);

    const error = await store.save({ ...incident, id: 'other' }, undefined).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(IncidentConflictError);
    expect((error as IncidentConflictError).winner?.id).toBe(incident.id);
  });

  it('writes only over the version it read', async () => {
    const s = new Scenario();
    s.apply(alarmInput('ALARM', T0));
    const v1 = { ...(s.incident as Incident), key: keyFor('disk-full', 'i-00000000000000003') };
    await store.save(v1, undefined);
    const v2 = { ...v1, version: 2, status: 'backing-off' as const };
    await store.save(v2, v1);

    const stale = await store.save({ ...v1, version: 2 }, v1).catch((e: unknown) => e);

    expect(stale).toBeInstanceOf(IncidentConflictError);
    expect(((await store.load(v1.key)) as Incident | undefined)?.status).toBe('backing-off');
  });

  it('reads a record an earlier version wrote with its command id plain, and writes it back without', async () => {
    const s = new Scenario();
    s.apply(alarmInput('ALARM', T0));
    s.incident = {
      ...(s.incident as Incident),
      key: keyFor('disk-full', 'i-00000000000000004'),
    };
    s.apply({ kind: 'command-sent', attempt: 1, commandId: 'cmd-earlier-4' });
    const running = s.incident as Incident;
    // Earlier versions kept the command in flight plain, as the key of a command index.
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: marshall({ ...incidentToItem(running, HEAD), commandId: 'cmd-earlier-4' }),
      }),
    );

    const loaded = await store.load(running.key);
    s.apply({
      kind: 'command-finished',
      commandId: 'cmd-earlier-4',
      result: { status: 'Failed', responseCode: 1 },
    });
    await store.save(s.incident as Incident, running);
    const { Item } = await client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: marshall({ pk: partitionOf(running.key), sk: HEAD }),
        ConsistentRead: true,
      }),
    );

    expect(loaded).toEqual(running);
    expect(Item?.commandId).toBeUndefined();
    expect(await store.load(running.key)).toEqual(s.incident);
  });

  it('archives the closed episode when a new one opens, with a TTL on closed records', async () => {
    const instance = onInstance('i-00000000000000005');
    const s = new Scenario();
    const step = async (input: DecisionInput) => {
      const before = s.incident;
      if (s.apply(input).changed) await store.save(s.incident as Incident, before);
    };
    await step(alarmInput('ALARM', T0, instance));
    await step({ kind: 'command-sent', attempt: 1, commandId: 'cmd-5' });
    await step({
      kind: 'command-finished',
      commandId: 'cmd-5',
      result: { status: 'Success', responseCode: 0 },
    });
    await step(alarmInput('OK', T0 + 60_000, instance));
    const closed = s.incident as Incident;
    s.after(3600);
    await step(alarmInput('ALARM', T0 + 3_600_000, instance));

    const { Items = [] } = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: partitionOf(closed.key) } },
      }),
    );

    expect(closed.status).toBe('resolved');
    expect(Items.map((i) => i.sk?.S)).toEqual([
      `EPISODE#${new Date(closed.openedAt).toISOString()}#${closed.id}`,
      'HEAD',
    ]);
    const archived = Items[0];
    expect(Number(archived?.expiresAt?.N)).toBe(
      Math.floor((closed.closedAt as number) / 1000) + CLOSED_RETENTION_DAYS * 86_400,
    );
    expect(Items[1]?.expiresAt).toBeUndefined();
    expect(((await store.load(closed.key)) as Incident | undefined)?.id).not.toBe(closed.id);
  });
});
