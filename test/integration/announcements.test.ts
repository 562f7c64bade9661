import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { PublishCommand } from '@aws-sdk/client-sns';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbKillSwitch } from '../../functions/adapters/aws/dynamodb-kill-switch.ts';
import { OPERATOR_EVENT_SOURCE, RESYNC_REQUESTED } from '../../functions/core/event-patterns.ts';
import type { BreakerRecord } from '../../functions/core/fleet.ts';
import { breakerOpenedNotice, dryRunNotice } from '../../functions/core/fleet-messages.ts';
import type { ModeOverride, Pause } from '../../functions/core/gates.ts';
import { defineRunbook } from '../../functions/core/runbook.ts';
import { Announcements } from '../../functions/handlers/announcements.ts';
import type { OperatorAnnouncements } from '../../functions/handlers/operator-handler.ts';
import { handleResync } from '../../functions/handlers/resync-handler.ts';
import type { Runtime } from '../../functions/handlers/runtime.ts';
import { mocks, resetMocks, TestClock, testRuntime } from '../support/aws-runtime.ts';
import { testRunbook } from '../support/fixtures.ts';

/**
 * The operator's announcements through the real SNS pager (its client mocked) and the kill switch and
 * fleet guard on DynamoDB Local: one notice per pause, recorded on the pause; an OK for each of the
 * pause, the breaker closed by hand and the mode lifted, with the identity of what it closes.
 */

const T0 = Date.parse('2030-11-21T03:00:00Z');
const PAGER = 'arn:aws:sns:us-east-1:123456789012:pager';
const runbook = defineRunbook({
  ...testRunbook,
  name: 'cpu-high',
  breaker: { maxInstances: 5, windowSeconds: 600, quietSeconds: 1800 },
});

interface Published {
  readonly topic: string | undefined;
  readonly subject: string | undefined;
  readonly page: string | undefined;
  readonly key: string | undefined;
  readonly runbook: string | undefined;
  readonly text: string;
  readonly pagerDuty: Record<string, unknown>;
}

/** Every message published, with its text and its PagerDuty (HTTPS) form. */
function published(): Published[] {
  return mocks.sns.commandCalls(PublishCommand).map((call) => {
    const input = call.args[0].input;
    const message = JSON.parse(input.Message as string) as Record<string, string>;
    return {
      topic: input.TopicArn,
      subject: input.Subject,
      page: input.MessageAttributes?.page?.StringValue,
      key: input.MessageAttributes?.notice_key?.StringValue,
      runbook: input.MessageAttributes?.runbook?.StringValue,
      text: message.default ?? '',
      pagerDuty: JSON.parse(message.https ?? '{}'),
    };
  });
}

let runtime: Runtime;
let dynamodb: Awaited<ReturnType<typeof testRuntime>>['dynamodb'];
let tableName: string;
let clock: TestClock;
let announcements: Announcements;

beforeEach(async () => {
  clock = new TestClock(T0);
  const made = await testRuntime({ runbooks: [runbook], clock });
  runtime = made.runtime;
  dynamodb = made.dynamodb;
  tableName = made.config.tableName;
  resetMocks();
  mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });
  announcements = new Announcements(runtime);
});

it('is what the operator function calls', () => {
  const used: OperatorAnnouncements = announcements;
  expect(typeof used.announcePause).toBe('function');
});

describe('a pause', () => {
  const pause = (since: number): Pause => ({
    scope: 'all runbooks',
    reason: 'database failover',
    by: 'cli:bob',
    since,
  });

  it('pages once for the whole pause, and records on the pause that it was announced', async () => {
    await runtime.killSwitch.pause(undefined, pause(T0));
    clock.advance(2);

    const result = await announcements.announcePause(undefined, pause(T0));

    expect(result).toEqual({ sent: true, announced: true });
    const sent = published();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      topic: PAGER,
      subject: 'ALARM: automation paused for all runbooks - alarms held, nothing runs',
      page: 'paused',
      key: 'pause/*',
      runbook: '*',
    });
    expect(sent[0]?.text).toContain('Automation is paused for all runbooks by cli:bob: database failover.');
    expect(sent[0]?.text).toContain(`  npx remediate resume --table ${tableName}`);
    expect(sent[0]?.pagerDuty).toMatchObject({
      AlarmName: 'ec2-auto-remediation/pause/*',
      NewStateValue: 'ALARM',
      StateChangeTime: '2030-11-21T03:00:00.000+0000',
    });
    expect(await runtime.killSwitch.pauseFor('cpu-high')).toEqual({
      scope: 'all runbooks',
      reason: 'database failover',
      by: 'cli:bob',
      since: T0,
      announcedAt: T0 + 2000,
    });
  });

  it('is not recorded as announced when the notice failed: each alarm it holds pages', async () => {
    await runtime.killSwitch.pause('cpu-high', { reason: 'database failover', by: 'cli:bob', since: T0 });
    mocks.sns.on(PublishCommand).rejects(new Error('SNS throttled'));

    const result = await announcements.announcePause(runbook, { ...pause(T0), scope: 'this runbook' });

    expect(result).toEqual({ sent: false, announced: false });
    expect((await runtime.killSwitch.pauseFor('cpu-high'))?.announcedAt).toBeUndefined();
  });

  it('resumes with the OK of the same alarm, chat thread and dedup key', async () => {
    await runtime.killSwitch.pause('cpu-high', { reason: 'database failover', by: 'cli:bob', since: T0 });
    await announcements.announcePause(runbook, { ...pause(T0), scope: 'this runbook' });
    clock.advance(600);
    expect(await runtime.killSwitch.resume('cpu-high')).toBe(true);

    expect(await announcements.announceResume(runbook, 'cli:bob', pause(T0))).toBe(true);

    const [opening, ok] = published();
    expect(ok).toMatchObject({
      subject: 'OK: automation resumed for runbook cpu-high - alarms still in ALARM are looked at again',
      page: 'resumed',
      key: 'pause/cpu-high',
    });
    expect(opening?.key).toBe('pause/cpu-high');
    expect(ok?.pagerDuty.NewStateValue).toBe('OK');
    expect(ok?.pagerDuty.AlarmName).toBe(opening?.pagerDuty.AlarmName);
    expect(ok?.pagerDuty.AlarmArn).toBe(opening?.pagerDuty.AlarmArn);
    expect(ok?.text).toContain('resumed for runbook cpu-high by cli:bob at 2030-11-21T03:10:00Z');
  });
});

describe('the kill switch on DynamoDB Local', () => {
  it('marks announced only the pause set at that time, still in force', async () => {
    const killSwitch = new DynamoDbKillSwitch(dynamodb, tableName);
    await killSwitch.pause('cpu-high', { reason: 'first', by: 'a', since: T0 });
    await killSwitch.pause('cpu-high', { reason: 'second', by: 'b', since: T0 + 1000 });

    // The first pause was replaced: its notice covers nothing now.
    expect(await killSwitch.markAnnounced('cpu-high', T0, T0 + 5)).toBe(false);
    expect((await killSwitch.pauseFor('cpu-high'))?.announcedAt).toBeUndefined();
    expect(await killSwitch.markAnnounced('cpu-high', T0 + 1000, T0 + 1005)).toBe(true);
    expect((await killSwitch.pauseFor('cpu-high'))?.announcedAt).toBe(T0 + 1005);
    expect(await killSwitch.list()).toEqual([
      {
        runbook: 'cpu-high',
        scope: 'this runbook',
        reason: 'second',
        by: 'b',
        since: T0 + 1000,
        announcedAt: T0 + 1005,
      },
    ]);

    // A new pause starts unannounced, even when given a time of announcement.
    await killSwitch.pause('cpu-high', { reason: 'third', since: T0 + 2000, announcedAt: T0 + 2000 });
    expect((await killSwitch.pauseFor('cpu-high'))?.announcedAt).toBeUndefined();

    // A lifted pause is not brought back by a late mark.
    expect(await killSwitch.resume('cpu-high')).toBe(true);
    expect(await killSwitch.markAnnounced('cpu-high', T0 + 2000, T0 + 3000)).toBe(false);
    expect(await killSwitch.list()).toEqual([]);
    expect(await killSwitch.markAnnounced(undefined, T0, T0)).toBe(false);
  });
});

describe('a breaker closed by an operator', () => {
  const record: BreakerRecord = {
    state: 'open',
    openedAt: T0,
    reason: '6 instances alarmed within 10 min (more than 5)',
    instances: Array.from({ length: 6 }, (_, i) => `i-${String(i).padStart(17, '0')}`),
    lastAlarmAt: T0,
    page: { status: 'due' },
  };

  /** Opens the breaker and sends its group page, as the fleet gates do. */
  async function openBreaker(): Promise<void> {
    expect(await runtime.fleet.openBreaker('cpu-high', record, 1800)).toBe(true);
    await runtime.fleet.breakerPaged('cpu-high', T0, 'page-message', record.instances);
  }

  const resyncRequest = {
    source: OPERATOR_EVENT_SOURCE,
    'detail-type': RESYNC_REQUESTED,
    detail: { cause: 'breaker-closed', runbook: 'cpu-high', by: 'cli:alice' },
  };

  it('gets the OK of the group page at once, with the same alarm, and only once', async () => {
    await openBreaker();
    await runtime.gates.notify(breakerOpenedNotice(runbook, record, [], runtime.gates.pageContext));
    clock.advance(3600);
    const closed = await runtime.fleet.closeBreaker('cpu-high', {
      at: clock.now(),
      by: 'cli:alice',
      reason: 'bad AMI rolled back',
    });

    expect(await announcements.announceBreakerClosed(runbook, closed as BreakerRecord)).toBe(true);
    // The resync the operator function asks for looks again, but does not announce the close twice.
    expect(await handleResync(resyncRequest, runtime)).toMatchObject({ outcome: 'reconciled' });
    expect(await announcements.announceBreakerClosed(runbook, closed as BreakerRecord)).toBe(true);
    expect(await handleResync(resyncRequest, runtime)).toMatchObject({ outcome: 'reconciled' });

    const sent = published();
    expect(sent.map((p) => p.page)).toEqual(['breaker-opened', 'breaker-closed']);
    const [open, ok] = sent;
    expect(ok?.subject).toBe('OK: cpu-high breaker closed - not yet looked again at alarms still in ALARM');
    expect(ok?.text).toContain('is closed by cli:alice: bad AMI rolled back; the group page can close.');
    expect(ok?.key).toBe(open?.key);
    expect(ok?.pagerDuty).toMatchObject({
      AlarmName: open?.pagerDuty.AlarmName,
      AlarmArn: open?.pagerDuty.AlarmArn,
      NewStateValue: 'OK',
      StateChangeTime: '2030-11-21T04:00:00.000+0000',
    });
    expect((await runtime.fleet.read(runbook, undefined, clock.now())).breaker?.closeAnnouncedAt).toBe(
      clock.now(),
    );
  });

  it('is announced by the resync, with what it found, when nobody announced it', async () => {
    await openBreaker();
    await runtime.fleet.closeBreaker('cpu-high', { at: clock.now(), by: 'cli:alice', reason: 'fixed' });

    await handleResync(resyncRequest, runtime);
    await handleResync(resyncRequest, runtime);

    const closes = published().filter((p) => p.page === 'breaker-closed');
    expect(closes).toHaveLength(1);
    expect(closes[0]?.subject).toBe(
      'OK: cpu-high breaker closed - automation acts again; no alarm left in ALARM',
    );
  });

  it('gets its OK from the scheduled resync when the announcement at the close failed', async () => {
    await openBreaker();
    const closed = await runtime.fleet.closeBreaker('cpu-high', { at: clock.now(), by: 'cli:alice' });
    mocks.sns.on(PublishCommand).rejectsOnce(new Error('SNS throttled')).resolves({ MessageId: 'later' });
    expect(await announcements.announceBreakerClosed(runbook, closed as BreakerRecord)).toBe(false);
    const scheduled = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };

    clock.advance(300);
    await handleResync(scheduled, runtime);
    clock.advance(300);
    await handleResync(scheduled, runtime);

    const closes = published().filter((p) => p.page === 'breaker-closed');
    expect(closes).toHaveLength(2); // the one that failed, then the scheduled resync's
    expect(mocks.sns.commandCalls(PublishCommand)).toHaveLength(2);
  });

  it('is not announced again by a scheduled resync long after it closed', async () => {
    await openBreaker();
    await runtime.fleet.closeBreaker('cpu-high', { at: clock.now(), by: 'cli:alice' });
    clock.advance(2 * 3600);

    await handleResync({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }, runtime);

    expect(published()).toEqual([]);
  });
});

describe('runbooks enforce', () => {
  it('sends the OK of the dry-run notice, naming the switch it lifted', async () => {
    const override: ModeOverride = {
      mode: 'dry-run',
      reason: '0 of its last 3 runs were verified',
      by: 'auto-disable',
      since: T0,
    };
    expect(await runtime.fleet.setMode('cpu-high', override)).toBe(true);
    await runtime.gates.notify(dryRunNotice(runbook, override, runtime.gates.pageContext));
    clock.advance(3600);
    expect(await runtime.fleet.clearMode('cpu-high', clock.now())).toBe(true);

    expect(
      await announcements.announceModeCleared(runbook, {
        by: 'cli:carol',
        at: clock.now(),
        previous: override,
      }),
    ).toBe(true);

    const [opening, ok] = published();
    expect(opening?.text).toContain(`  npx remediate runbooks enforce cpu-high --table ${tableName}`);
    expect(ok).toMatchObject({
      subject: 'OK: runbook cpu-high runs as deployed again (enforce)',
      page: 'runbook-mode-cleared',
      key: 'mode/cpu-high',
    });
    expect(ok?.key).toBe(opening?.key);
    expect(ok?.pagerDuty).toMatchObject({
      AlarmName: opening?.pagerDuty.AlarmName,
      AlarmArn: opening?.pagerDuty.AlarmArn,
      NewStateValue: 'OK',
    });
    expect(ok?.text).toContain('switched by auto-disable: 0 of its last 3 runs were verified.');
  });
});
