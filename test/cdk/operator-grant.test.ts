import { EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeFleet, fleetGuardFor } from '../../cli/fleet.ts';
import { readIncidents } from '../../cli/incidents.ts';
import { describePauses, killSwitchFor } from '../../cli/kill-switch.ts';
import { invokeOperator } from '../../cli/operator-client.ts';
import { requestResync } from '../../cli/resync-request.ts';
import { TABLE } from '../../functions/adapters/aws/table-schema.ts';
import { OPERATOR_EVENT_SOURCE, RESYNC_REQUESTED } from '../../functions/core/event-patterns.ts';
import { OPERATOR_WRITTEN_PARTITIONS } from '../../lib/operator-grant.ts';
import { RemediationStack } from '../../lib/remediation-stack.ts';
import { runbooks } from '../../runbooks/index.ts';
import { type Statement, statementsOf, testApp } from './synthesize.ts';

const OPTIONS = { table: 'incidents', region: 'eu-west-1' };
/** The IAM action of each document-client command. */
const DOCUMENT_COMMAND_ACTIONS: Readonly<Record<string, string>> = {
  GetCommand: 'dynamodb:GetItem',
  PutCommand: 'dynamodb:PutItem',
  UpdateCommand: 'dynamodb:UpdateItem',
  DeleteCommand: 'dynamodb:DeleteItem',
  QueryCommand: 'dynamodb:Query',
  ScanCommand: 'dynamodb:Scan',
};
const DEFAULT_BUS = 'arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:event-bus/default';
const RUNBOOK = runbooks[0]?.name as string;

/** One AWS call of the operator CLI, as IAM sees it. */
interface Call {
  readonly action: string;
  /** The partition key of the item written, for a write. */
  readonly partition?: string;
  /** The entries put, for PutEvents. */
  readonly entries?: readonly PutEventsRequestEntry[];
}

/**
 * Runs what each `npx remediate` command does against the table and the bus (bin/remediate.ts), with
 * the SDK clients mocked, and returns every call made.
 */
async function operatorCalls(): Promise<Call[]> {
  const dynamodb = mockClient(DynamoDBDocumentClient);
  const eventbridge = mockClient(EventBridgeClient);
  const lambda = mockClient(LambdaClient);
  dynamodb.onAnyCommand().resolves({});
  lambda.onAnyCommand().resolves({
    StatusCode: 200,
    Payload: new TextEncoder().encode('{"ok":true,"message":"done"}') as never,
  });
  eventbridge.onAnyCommand().resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
  try {
    const now = Date.parse('2026-11-21T03:00:00Z');
    const pause = { reason: 'failover', by: 'oncall', since: now };
    // pause, pause --runbook, resume --runbook (and its resync request)
    await killSwitchFor(OPTIONS).pause(undefined, pause);
    await killSwitchFor(OPTIONS).pause(RUNBOOK, pause);
    await killSwitchFor(OPTIONS).resume(RUNBOOK);
    await requestResync({ cause: 'resumed', by: 'oncall', runbook: RUNBOOK }, OPTIONS);
    // status
    await describePauses(killSwitchFor(OPTIONS));
    await describeFleet(fleetGuardFor(OPTIONS), runbooks, now);
    // breaker close (and its resync request)
    await fleetGuardFor(OPTIONS).closeBreaker(RUNBOOK, { at: now, by: 'oncall', reason: 'fixed' });
    await requestResync({ cause: 'breaker-closed', by: 'oncall', runbook: RUNBOOK }, OPTIONS);
    // runbooks dry-run, runbooks enforce
    await fleetGuardFor(OPTIONS).setMode(RUNBOOK, {
      mode: 'dry-run',
      reason: 'flaky',
      by: 'oncall',
      since: now,
    });
    await fleetGuardFor(OPTIONS).clearMode(RUNBOOK, now);
    // report, incidents list, incidents show
    await readIncidents(OPTIONS);
    await readIncidents({ ...OPTIONS, all: true });
    // approve, deny, retry, run, snooze, take, and the announced fleet commands: the operator function
    await invokeOperator(
      'operator',
      { verb: 'retry', incident: 'abcdef', by: 'oncall' },
      new LambdaClient({}),
    );

    const tableCalls = dynamodb.calls().map((call) => {
      const command = call.args[0] as { constructor: { name: string }; input: Record<string, any> };
      const key = command.input.Item ?? command.input.Key;
      return {
        action: DOCUMENT_COMMAND_ACTIONS[command.constructor.name] ?? `unknown ${command.constructor.name}`,
        ...(key ? { partition: String(key[TABLE.partitionKey]) } : {}),
      };
    });
    const busCalls = eventbridge.calls().map((call) => {
      const command = call.args[0] as {
        constructor: { name: string };
        input: { Entries: PutEventsRequestEntry[] };
      };
      return {
        action: `events:${command.constructor.name.replace(/Command$/, '')}`,
        entries: command.input.Entries,
      };
    });
    const functionCalls = lambda.calls().map((call) => {
      const command = call.args[0] as { constructor: { name: string } };
      return { action: `lambda:${command.constructor.name.replace(/Command$/, 'Function')}` };
    });
    return [...tableCalls, ...busCalls, ...functionCalls];
  } finally {
    dynamodb.restore();
    eventbridge.restore();
    lambda.restore();
  }
}

/** StringLike: `*` matches any run of characters. */
const like = (pattern: string, value: string) =>
  new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`).test(value);
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('grantOperate', () => {
  let statements: Statement[];
  let calls: Call[];

  beforeAll(async () => {
    const stack = new RemediationStack(testApp(), 'Ec2AutoRemediation');
    const operators = new iam.Role(stack, 'Operators', { assumedBy: new iam.AccountRootPrincipal() });
    stack.engine.grantOperate(operators);
    statements = statementsOf(Template.fromStack(stack), 'Operators');
    calls = await operatorCalls();
  });

  it("lets an operator read this engine's table, write only pauses, breakers and modes, request a resync, and invoke the operator function", () => {
    expect(statements).toEqual([
      {
        actions: ['dynamodb:Query', 'dynamodb:Scan'],
        resources: [expect.stringMatching(/^<RemediationIncidents\w+\.Arn>$/)],
      },
      {
        actions: ['dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: [expect.stringMatching(/^<RemediationIncidents\w+\.Arn>$/)],
        condition: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...OPERATOR_WRITTEN_PARTITIONS] },
        },
      },
      {
        actions: ['events:PutEvents'],
        resources: [DEFAULT_BUS],
        condition: {
          StringEquals: { 'events:source': OPERATOR_EVENT_SOURCE, 'events:detail-type': RESYNC_REQUESTED },
        },
      },
      {
        actions: ['lambda:InvokeFunction'],
        resources: [expect.stringMatching(/^<RemediationFunctionsOperator\w+\.Arn>$/)],
      },
    ]);
  });

  it('grants every action the CLI commands call, and none they do not', () => {
    const used = [...new Set(calls.map((call) => call.action))].sort();
    const granted = [...new Set(statements.flatMap((s) => s.actions))].sort();
    expect(granted).toEqual(used);
  });

  it('covers the partition of every item the CLI commands write', () => {
    // Prepare
    const written = calls.filter((call) => call.partition !== undefined);
    const patterns = statements.find((s) => s.actions.includes('dynamodb:PutItem'))?.condition?.[
      'ForAllValues:StringLike'
    ]?.['dynamodb:LeadingKeys'] as unknown as string[];
    // Assess
    expect(written.length).toBeGreaterThan(0);
    for (const { action, partition } of written) {
      expect(
        patterns.some((pattern) => like(pattern, partition as string)),
        `${action} ${partition}`,
      ).toBe(true);
    }
  });

  it('matches the events the CLI puts: on the default bus, with the granted source and detail type', () => {
    const entries = calls.flatMap((call) => call.entries ?? []);
    expect(entries).toHaveLength(2);
    for (const entry of entries) {
      expect(entry.EventBusName).toBeUndefined();
      expect(entry).toMatchObject({ Source: OPERATOR_EVENT_SOURCE, DetailType: RESYNC_REQUESTED });
    }
  });
});
