import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBridgePublisher } from '../../functions/adapters/aws/eventbridge-publisher.ts';
import { PagerWithEvents, pageEventsEnabled } from '../../functions/adapters/pager-events.ts';
import type { PageEffect } from '../../functions/core/effects.ts';
import { REMEDIATION_EVENT_SOURCE } from '../../functions/core/effects.ts';
import type { BreakerRecord } from '../../functions/core/fleet.ts';
import { breakerOpenedNotice, type Notice } from '../../functions/core/fleet-messages.ts';
import type { Incident } from '../../functions/core/incident.ts';
import type { MetricPoint } from '../../functions/core/metrics.ts';
import { PAGE_DETAIL_TYPE, type RemediationPageDetail } from '../../functions/core/page-formats.ts';
import type { Pager } from '../../functions/core/ports.ts';
import { defineRunbook } from '../../functions/core/runbook.ts';
import { alarmInput, Scenario, T0, testRunbook } from '../support/fixtures.ts';
import { asSent, pagerDutyEventSchema } from '../support/pagerduty-events-schema.ts';

const eventbridge = mockClient(EventBridgeClient);

class FakePager implements Pager {
  readonly sent: string[] = [];
  failWith: Error | undefined;
  async page(effect: PageEffect): Promise<string> {
    if (this.failWith) throw this.failWith;
    this.sent.push(effect.page);
    return `m-${this.sent.length}`;
  }
  async notify(notice: Notice): Promise<string> {
    if (this.failWith) throw this.failWith;
    this.sent.push(notice.kind);
    return `m-${this.sent.length}`;
  }
}

function escalated(): PageEffect {
  const s = new Scenario();
  s.safety = { paused: { scope: 'all runbooks', reason: 'failover', by: 'alice', since: T0 - 60_000 } };
  s.apply(alarmInput('ALARM', T0));
  return { kind: 'page', page: 'escalation', incident: s.incident as Incident };
}

function setup() {
  const inner = new FakePager();
  const warnings: unknown[][] = [];
  const points: MetricPoint[] = [];
  const pager = new PagerWithEvents(
    inner,
    new EventBridgePublisher(new EventBridgeClient({ region: 'us-east-1' }), 'default'),
    {
      logger: { warn: (...args: unknown[]) => warnings.push(args) },
      metrics: { record: (p) => points.push(p), flush: () => {} },
      clock: { now: () => T0 + 1_000 },
      tableName: 'remediation-table',
      documents: { [testRunbook.name]: 'Remediate-DiskFull' },
    },
  );
  return { inner, pager, warnings, points };
}

function putDetails(): { detailType: string; detail: RemediationPageDetail; resources: string[] }[] {
  return eventbridge.commandCalls(PutEventsCommand).flatMap((call) =>
    (call.args[0].input.Entries ?? []).map((entry) => {
      expect(entry).toMatchObject({ Source: REMEDIATION_EVENT_SOURCE, EventBusName: 'default' });
      return {
        detailType: entry.DetailType as string,
        detail: JSON.parse(entry.Detail as string) as RemediationPageDetail,
        resources: entry.Resources ?? [],
      };
    }),
  );
}

describe('PagerWithEvents', () => {
  beforeEach(() => {
    eventbridge.reset();
    eventbridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  });

  it('puts the page on the bus as a Remediation Page event once the pager took it', async () => {
    const { inner, pager, points } = setup();
    const effect = escalated();

    await expect(pager.page(effect, testRunbook)).resolves.toBe('m-1');

    expect(inner.sent).toEqual(['escalation']);
    const [put, ...more] = putDetails();
    expect(more).toEqual([]);
    expect(put?.detailType).toBe(PAGE_DETAIL_TYPE);
    expect(put?.resources).toEqual([effect.incident.alarm.arn]);
    expect(put?.detail).toMatchObject({
      incidentId: effect.incident.id,
      runbook: testRunbook.name,
      page: 'escalation',
    });
    expect(pagerDutyEventSchema.safeParse(asSent(put?.detail.pagerDuty ?? {})).success).toBe(true);
    expect(JSON.stringify(put?.detail.pagerDuty)).toContain('--table remediation-table');
    expect(points).toEqual([]);
  });

  it('puts nothing when the pager failed, and fails as the pager did', async () => {
    const { inner, pager } = setup();
    inner.failWith = new Error('SNS throttled');

    await expect(pager.page(escalated(), testRunbook)).rejects.toThrow('SNS throttled');

    expect(putDetails()).toEqual([]);
  });

  it('keeps the page sent when the event cannot be put: logged and counted', async () => {
    const { pager, warnings, points } = setup();
    eventbridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try later' }],
    });

    await expect(pager.page(escalated(), testRunbook)).resolves.toBe('m-1');
    eventbridge.on(PutEventsCommand).rejects(new Error('network down'));
    await expect(pager.page(escalated(), testRunbook)).resolves.toBe('m-2');

    expect(points.map((p) => p.name)).toEqual(['PageEventsFailed', 'PageEventsFailed']);
    expect(warnings).toHaveLength(2);
    expect(String((warnings[0]?.[1] as { error: Error } | undefined)?.error)).toContain('InternalFailure');
  });

  it('puts fleet notices on the bus keyed by their episode', async () => {
    const { pager } = setup();
    const runbook = defineRunbook({
      ...testRunbook,
      breaker: { maxInstances: 5, maxPercent: 50, windowSeconds: 600, quietSeconds: 1800 },
    });
    const record: BreakerRecord = {
      state: 'open',
      openedAt: T0,
      reason: '6 instances',
      instances: ['i-00000000000000001'],
      lastAlarmAt: T0,
      page: { status: 'due' },
    };
    const notice = breakerOpenedNotice(runbook, record, []);

    await pager.notify(notice);

    const [put] = putDetails();
    expect(put?.resources).toEqual([]);
    expect(put?.detail).toMatchObject({ noticeKey: notice.key, page: 'breaker-opened' });
    expect(put?.detail.pagerDuty).toMatchObject({
      event_action: 'trigger',
      dedup_key: notice.key,
      payload: { timestamp: new Date(T0 + 1_000).toISOString() },
    });
  });

  it('is switched on by PAGERDUTY_EVENTS=on only', () => {
    expect(pageEventsEnabled({ PAGERDUTY_EVENTS: 'on' })).toBe(true);
    expect(pageEventsEnabled({ PAGERDUTY_EVENTS: 'off' })).toBe(false);
    expect(pageEventsEnabled({})).toBe(false);
  });
});
