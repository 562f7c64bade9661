import { PublishCommand } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, inject, it } from 'vitest';
import { DynamoDbIncidentStore } from '../../functions/adapters/aws/dynamodb-incident-store.ts';
import {
  HEAD,
  incidentToItem,
  legacyPartitionOf,
  partitionOf,
} from '../../functions/adapters/aws/incident-item.ts';
import { alarmTarget } from '../../functions/core/alarm.ts';
import { incidentKeyFor } from '../../functions/core/identity.ts';
import { type Incident, isIncident } from '../../functions/core/incident.ts';
import { createAlarmHandler } from '../../functions/handlers/alarm-handler.ts';
import { alarmArn, alarmStateChange } from '../../local/aws-shapes.ts';
import { createIncidentTable, localDynamoDbClient } from '../../local/dynamodb-local.ts';
import { lambdaContext, mocks, resetMocks, TestClock, testRuntime } from '../support/aws-runtime.ts';
import { alarmChange, testRunbook } from '../support/fixtures.ts';

const T = Date.parse('2030-11-21T03:00:00.000Z');
const ID = 'i-0000000000000f001';

/** An escalated incident as the previous version wrote it: keyed by runbook and instance, paged. */
function legacyIncident(alarmName: string): { incident: Incident; item: Record<string, unknown> } {
  const alarm = alarmChange('ALARM', T, {
    alarmName,
    alarmArn: alarmArn(alarmName),
    metrics: [
      { namespace: 'CWAgent', metricName: 'disk_used_percent', dimensions: { InstanceId: ID, path: '/' } },
    ],
  });
  const key = incidentKeyFor(testRunbook.name, alarm, alarmTarget(alarm));
  const incident: Incident = {
    id: `disk-full.${ID}.20301121T030000000Z`,
    key,
    instanceId: ID,
    alarm: {
      name: alarmName,
      arn: alarm.alarmArn,
      account: alarm.account,
      region: alarm.region,
      reason: 'r',
    },
    status: 'escalated',
    alarmState: 'ALARM',
    alarmStateAt: T,
    openedAt: T,
    updatedAt: T,
    attempts: [],
    escalation: {
      at: T,
      reason: 'all attempts failed',
      page: { status: 'sent', dueSince: T, messageId: 'm-1' },
    },
    history: [],
    version: 4,
  };
  const item = { ...incidentToItem(incident, HEAD), pk: legacyPartitionOf(key) };
  return { incident, item };
}

describe('records of the previous layout (one incident per runbook and instance)', () => {
  beforeEach(() => resetMocks());

  it('are read when the key has nothing of its own, and moved by the next write, in one transaction', async () => {
    // Prepare: a table holding an escalated incident where the previous version kept it.
    const clock = new TestClock(T + 600_000);
    const { runtime, config } = await testRuntime({ runbooks: [testRunbook], clock });
    const documents = DynamoDBDocumentClient.from(localDynamoDbClient(inject('dynamoDbEndpoint')), {
      marshallOptions: { removeUndefinedValues: true },
    });
    const { incident, item } = legacyIncident('disk-full-web-9');
    await documents.send(new PutCommand({ TableName: config.tableName, Item: item }));
    // Act: its alarm's OK arrives after the upgrade.
    const handler = createAlarmHandler(runtime);
    const result = await handler(
      alarmStateChange(
        {
          name: 'disk-full-web-9',
          namespace: 'CWAgent',
          metricName: 'disk_used_percent',
          dimensions: { InstanceId: ID, path: '/' },
          threshold: 90,
          periodSeconds: 60,
        },
        { from: 'ALARM', to: 'OK', at: T + 540_000, previousAt: T, value: 40 },
      ),
      lambdaContext,
    );
    // Assess: the escalated incident closed, the human was told, and the record moved.
    expect(result).toMatchObject({ outcome: 'processed', incidentId: incident.id });
    expect(mocks.sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    const moved = await runtime.store.load(incident.key);
    expect(isIncident(moved) && moved.status).toBe('resolved');
    const head = await documents.send(
      new GetCommand({ TableName: config.tableName, Key: { pk: partitionOf(incident.key), sk: HEAD } }),
    );
    const old = await documents.send(
      new GetCommand({ TableName: config.tableName, Key: { pk: legacyPartitionOf(incident.key), sk: HEAD } }),
    );
    expect(head.Item?.status).toBe('resolved');
    expect(old.Item).toBeUndefined();
  });

  it("are not another alarm's: a runbook's old incident on the instance is left to its own alarm", async () => {
    // Prepare
    const client = localDynamoDbClient(inject('dynamoDbEndpoint'));
    const table = `incidents-legacy-${Date.now()}`;
    await createIncidentTable(client, table);
    const documents = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    const { item } = legacyIncident('disk-full-web-9');
    await documents.send(new PutCommand({ TableName: table, Item: item }));
    const store = new DynamoDbIncidentStore(client, table);
    // Act: another alarm of the same runbook on the same instance.
    const other = alarmChange('ALARM', T, {
      alarmName: 'disk-full-data-web-9',
      alarmArn: alarmArn('disk-full-data-web-9'),
      metrics: [
        {
          namespace: 'CWAgent',
          metricName: 'disk_used_percent',
          dimensions: { InstanceId: ID, path: '/data' },
        },
      ],
    });
    const record = await store.load(incidentKeyFor(testRunbook.name, other, alarmTarget(other)));
    // Assess
    expect(record).toBeUndefined();
  });
});
