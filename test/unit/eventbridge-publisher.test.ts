import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBridgePublisher } from '../../functions/adapters/aws/eventbridge-publisher.ts';
import {
  type EventLevel,
  type PublishEventEffect,
  REMEDIATION_DETAIL_TYPES,
  REMEDIATION_EVENT_SOURCE,
} from '../../functions/core/effects.ts';

const eventbridge = mockClient(EventBridgeClient);

/** One event of every detail-type, as the decider emits them. */
const everyKind: PublishEventEffect[] = REMEDIATION_DETAIL_TYPES.map((detailType) => ({
  kind: 'publish-event',
  detailType,
  detail: {
    incidentId: 'disk-full.i-0123456789abcdef0.20261121T030000000Z',
    runbook: 'disk-full',
    target: 'i-0123456789abcdef0',
    alarmName: 'disk-full-i-0123456789abcdef0',
    alarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:disk-full-i-0123456789abcdef0',
    status: 'remediating',
    at: '2026-11-21T03:00:00.000Z',
  },
}));

async function published(level?: EventLevel): Promise<string[]> {
  await new EventBridgePublisher(new EventBridgeClient({ region: 'us-east-1' }), 'default', level).publish(
    everyKind,
  );
  return eventbridge.commandCalls(PutEventsCommand).flatMap((call) =>
    (call.args[0].input.Entries ?? []).map((entry) => {
      expect(entry).toMatchObject({ Source: REMEDIATION_EVENT_SOURCE, EventBusName: 'default' });
      return entry.DetailType as string;
    }),
  );
}

describe('EventBridgePublisher', () => {
  beforeEach(() => {
    eventbridge.reset();
    eventbridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
  });

  it("publishes an incident's lifecycle by default, not each attempt's progress", async () => {
    expect(await published()).toEqual([
      'Remediation Incident Opened',
      'Remediation Incident Waiting',
      'Remediation Incident Suppressed',
      'Remediation Proposal Awaiting Approval',
      'Remediation Incident Snoozed',
      'Remediation Incident Escalated',
      'Remediation Incident Resolved',
    ]);
  });

  it('publishes every kind at level all, in the order they were emitted', async () => {
    expect(await published('all')).toEqual([...REMEDIATION_DETAIL_TYPES]);
  });

  it('makes no call at all at level none, nor when nothing is left to publish', async () => {
    expect(await published('none')).toEqual([]);
    await new EventBridgePublisher(new EventBridgeClient({ region: 'us-east-1' }), 'default').publish(
      everyKind.filter((e) => e.detailType === 'Remediation Attempt Started'),
    );
    expect(eventbridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });
});
