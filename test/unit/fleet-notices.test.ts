import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import type { BreakerRecord } from '../../functions/core/fleet.ts';
import {
  ALL_RUNBOOKS,
  breakerClosedNotice,
  breakerGrewNotice,
  breakerOpenedNotice,
  CLOSED_BY,
  dryRunNotice,
  modeClearedNotice,
  type Notice,
  type NoticeKind,
  noticeEnds,
  type OpeningNoticeKind,
  pausedNotice,
  resumedNotice,
} from '../../functions/core/fleet-messages.ts';
import type { ModeOverride, Pause } from '../../functions/core/gates.ts';
import { CHAT_LIMITS } from '../../functions/core/page-formats/limits.ts';
import { noticeForms, pagerDutyNoticeEvent } from '../../functions/core/page-formats.ts';
import { defineRunbook } from '../../functions/core/runbook.ts';
import { T0, testRunbook } from '../support/fixtures.ts';
import { asSent, pagerDutyEventSchema } from '../support/pagerduty-events-schema.ts';

/** Fleet notices: every one that opens something on a pager has its OK, with the same identity. */

const runbook = defineRunbook({
  ...testRunbook,
  link: 'https://wiki.example.com/runbooks/disk-full',
  breaker: { maxInstances: 5, windowSeconds: 600, quietSeconds: 1800 },
});
const ORIGIN = { account: '123456789012', region: 'us-east-1' };
const TABLE = { tableName: 'Ec2AutoRemediation-Incidents' };
const instances = Array.from({ length: 6 }, (_, i) => `i-${String(i).padStart(17, '0')}`);
const open: BreakerRecord = {
  state: 'open',
  openedAt: T0,
  reason: '6 instances alarmed within 10 min (more than 5)',
  instances,
  lastAlarmAt: T0 + 60_000,
  page: { status: 'sent' },
};
const closed: BreakerRecord = {
  ...open,
  state: 'closed',
  closedAt: T0 + 3_600_000,
  closedBy: 'alice',
  closeReason: 'bad AMI rolled back',
};
const override: ModeOverride = {
  mode: 'dry-run',
  reason: '0 of its last 10 runs were verified',
  by: 'auto-disable',
  since: T0,
};
const pause: Pause = { scope: 'this runbook', reason: 'database failover', by: 'bob', since: T0 };

/**
 * Each opening kind with its notice and the notice that closes it, as the product builds them. The
 * type makes a new opening kind without an entry here a compile error; the test below makes one
 * without an entry in CLOSED_BY a failure.
 */
const PAIRS: Readonly<Record<OpeningNoticeKind, () => readonly [Notice, Notice]>> = {
  'breaker-opened': () => [
    breakerOpenedNotice(runbook, open, [], TABLE),
    breakerClosedNotice(runbook, closed, { stillInAlarm: [] }, TABLE),
  ],
  'breaker-grew': () => [
    breakerGrewNotice(runbook, open, ['i-00000000000000009'], TABLE),
    breakerClosedNotice(runbook, { ...closed, closedBy: undefined }, undefined, TABLE),
  ],
  'runbook-dry-run': () => [
    dryRunNotice(runbook, override, TABLE),
    modeClearedNotice(runbook, { by: 'cli:carol', at: T0 + 7_200_000, previous: override }, TABLE),
  ],
  paused: () => [
    pausedNotice(runbook, pause, TABLE),
    resumedNotice(runbook, { by: 'cli:bob', at: T0 + 600_000 }, TABLE),
  ],
};

/** Every kind a notice can have: the type makes a kind left out of here a compile error. */
const KINDS: Readonly<Record<NoticeKind, true>> = {
  'breaker-opened': true,
  'breaker-grew': true,
  'breaker-closed': true,
  'runbook-dry-run': true,
  'runbook-mode-cleared': true,
  paused: true,
  resumed: true,
};

describe('every fleet notice that opens something has its OK', () => {
  it('names a closing kind for every opening kind, and every other kind closes one', () => {
    const opening = Object.keys(CLOSED_BY).sort();
    const closing = new Set(Object.values(CLOSED_BY));
    expect(Object.keys(PAIRS).sort()).toEqual(opening);
    for (const kind of Object.keys(KINDS) as NoticeKind[])
      expect(opening.includes(kind) || closing.has(kind as never), kind).toBe(true);
    for (const kind of closing) expect(opening).not.toContain(kind);
  });

  for (const [kind, pair] of Object.entries(PAIRS) as [
    OpeningNoticeKind,
    () => readonly [Notice, Notice],
  ][]) {
    it(`${kind}: closed by ${CLOSED_BY[kind]} with the same identity in every form`, () => {
      const [opening, closing] = pair();
      expect(opening.kind).toBe(kind);
      expect(closing.kind).toBe(CLOSED_BY[kind]);
      expect(noticeEnds(opening)).toBe(false);
      expect(noticeEnds(closing)).toBe(true);
      expect(closing.ends).toBe(true);
      expect(closing.key).toBe(opening.key);
      expect(closing.runbook).toBe(opening.runbook);

      const o = noticeForms(opening, ORIGIN);
      const c = noticeForms(closing, ORIGIN);
      // The CloudWatch-shaped form: the same alarm, ALARM then OK, so PagerDuty resolves it.
      expect(o.pagerDuty.NewStateValue).toBe('ALARM');
      expect(c.pagerDuty.NewStateValue).toBe('OK');
      expect(c.pagerDuty.OldStateValue).toBe('ALARM');
      expect(c.pagerDuty.AlarmName).toBe(o.pagerDuty.AlarmName);
      expect(c.pagerDuty.AlarmArn).toBe(o.pagerDuty.AlarmArn);
      expect(c.pagerDuty.AlarmArn).toBe(
        `arn:aws:cloudwatch:us-east-1:123456789012:alarm:ec2-auto-remediation/${opening.key}`,
      );
      expect(c.pagerDuty.Trigger).toEqual(o.pagerDuty.Trigger);
      expect(c.pagerDuty.AlarmDescription).toBe(o.pagerDuty.AlarmDescription);
      // Chat: the same thread, and the same event type.
      expect(c.chat.metadata.threadId).toBe(o.chat.metadata.threadId);
      expect(c.chat.metadata.eventType).toBe(o.chat.metadata.eventType);
      expect(c.chat.id).not.toBe(o.chat.id);
      expect(o.chat.content.keywords[0]).toBe('ALARM');
      expect(c.chat.content.keywords[0]).toBe('OK');
      // Text: ALARM: then OK:.
      expect(o.sns.Subject).toMatch(/^ALARM: /);
      expect(c.sns.Subject).toMatch(/^OK: /);
      // PagerDuty Events v2: trigger, then resolve of the same dedup_key.
      const trigger = pagerDutyNoticeEvent(opening, T0);
      const resolve = pagerDutyNoticeEvent(closing, T0);
      expect(trigger.event_action).toBe('trigger');
      expect(resolve).toEqual({ event_action: 'resolve', dedup_key: trigger.dedup_key });
      expect(trigger.dedup_key).toBe(opening.key);
      for (const event of [trigger, resolve])
        expect(pagerDutyEventSchema.safeParse(asSent(event)).error?.issues ?? []).toEqual([]);
    });
  }

  it('keeps the key of a pause and of a mode switch whatever its time, so that any OK closes the one in force', () => {
    const later = pausedNotice(runbook, { ...pause, since: T0 + 86_400_000 });
    expect(later.key).toBe(pausedNotice(runbook, pause).key);
    expect(resumedNotice(runbook, { by: 'x', at: T0 }).key).toBe('pause/disk-full');
    expect(pausedNotice(undefined, { ...pause, scope: 'all runbooks' }).key).toBe(`pause/${ALL_RUNBOOKS}`);
    expect(dryRunNotice(runbook, { ...override, since: T0 + 1 }).key).toBe('mode/disk-full');
    expect(modeClearedNotice(runbook, { by: 'x', at: T0 }).key).toBe('mode/disk-full');
  });
});

describe('the pause notice', () => {
  it('says which runbooks, who, why, since when, what happens to alarms, and how to resume', () => {
    const notice = pausedNotice(runbook, pause, TABLE);

    expect(notice.subject).toBe('ALARM: automation paused for runbook disk-full - alarms held, nothing runs');
    expect(notice.body.split('\n')).toEqual([
      'Automation is paused for runbook disk-full by bob: database failover.',
      'While it is paused nothing runs. Each alarm that fires is recorded and held under this one notice,',
      'not paged on its own. On resume, automation looks again at every alarm still in ALARM: each is',
      'then remediated, or paged on its own.',
      '',
      'Paused:   runbook disk-full (owner platform-team)',
      'By:       bob',
      'Since:    2026-11-21T03:00:00Z',
      'Reason:   database failover',
      '',
      'To resume:',
      '  npx remediate resume --runbook disk-full --table Ec2AutoRemediation-Incidents',
    ]);
    expect(notice.at).toBe(T0);
  });

  it('pauses every runbook under one notice, resumed without --runbook', () => {
    const notice = pausedNotice(undefined, { ...pause, scope: 'all runbooks' }, TABLE);

    expect(notice.runbook).toBe(ALL_RUNBOOKS);
    expect(notice.subject).toBe('ALARM: automation paused for all runbooks - alarms held, nothing runs');
    expect(notice.body).toContain('  npx remediate resume --table Ec2AutoRemediation-Incidents');
    expect(noticeForms(notice, ORIGIN).chat.content.nextSteps).toEqual([
      'What the pause holds now: `npx remediate incidents list --table Ec2AutoRemediation-Incidents`',
      'Resume once the reason for the pause is over: `npx remediate resume --table Ec2AutoRemediation-Incidents`',
    ]);
  });

  it('is resumed with an OK that says who resumed it, and what the pause was when known', () => {
    const notice = resumedNotice(runbook, { by: 'cli:bob', at: T0 + 600_000, pause }, TABLE);

    expect(notice.subject).toBe(
      'OK: automation resumed for runbook disk-full - alarms still in ALARM are looked at again',
    );
    expect(notice.body).toContain('resumed for runbook disk-full by cli:bob at 2026-11-21T03:10:00Z');
    expect(notice.body).toContain('It was paused since 2026-11-21T03:00:00Z by bob: database failover.');
    expect(resumedNotice(runbook, { by: 'cli:bob', at: T0 }).body).not.toContain('It was paused');
  });
});

describe('the mode notices', () => {
  it('lifts the dry-run switch with an OK naming who and what was lifted', () => {
    const notice = modeClearedNotice(runbook, { by: 'cli:carol', at: T0 + 7_200_000, previous: override });

    expect(notice.subject).toBe('OK: runbook disk-full runs as deployed again (enforce)');
    expect(notice.body).toContain('set by cli:carol at 2026-11-21T05:00:00Z');
    expect(notice.body).toContain(
      'It was in dry-run mode since 2026-11-21T03:00:00Z, switched by auto-disable: 0 of its last 10 runs were verified.',
    );
    expect(noticeForms(notice, ORIGIN).pagerDuty.StateChangeTime).toBe('2026-11-21T05:00:00.000+0000');
  });

  it('prints the enforce command with the table', () => {
    expect(dryRunNotice(runbook, override, TABLE).body).toContain(
      '  npx remediate runbooks enforce disk-full --table Ec2AutoRemediation-Incidents',
    );
  });
});

describe('the breaker notices', () => {
  it('print the close command with --table when the table is known, and without it otherwise', () => {
    const withTable = breakerOpenedNotice(runbook, open, [], TABLE);
    const without = breakerOpenedNotice(runbook, open, []);

    expect(withTable.body).toContain(
      '          npx remediate breaker close --runbook disk-full --table Ec2AutoRemediation-Incidents --reason "..."',
    );
    expect(without.body).toContain(
      '          npx remediate breaker close --runbook disk-full --reason "..."',
    );
    expect(breakerGrewNotice(runbook, open, ['i-9'], TABLE).body).toContain(
      'npx remediate breaker close --runbook disk-full --table Ec2AutoRemediation-Incidents --reason "..."',
    );
  });

  it('list their instances as related resources and their next steps as a list, in chat', () => {
    const chat = noticeForms(breakerOpenedNotice(runbook, open, [], TABLE), ORIGIN).chat;

    expect(chat.metadata.relatedResources).toEqual(instances);
    expect(chat.content.nextSteps).toEqual([
      'Look for the shared cause first: what the instances share is on the page',
      'Runbook: https://wiki.example.com/runbooks/disk-full',
      'Once it is dealt with, close the breaker: `npx remediate breaker close --runbook disk-full --table Ec2AutoRemediation-Incidents --reason "..."`',
      'The instances under the breaker: `npx remediate incidents list --table Ec2AutoRemediation-Incidents`',
    ]);
    const grew = noticeForms(breakerGrewNotice(runbook, open, ['i-00000000000000009']), ORIGIN).chat;
    expect(grew.metadata.relatedResources).toEqual(['i-00000000000000009']);
  });

  it('name in the close the instances and alarms still in ALARM, and when it closed', () => {
    const notice = breakerClosedNotice(runbook, closed, {
      stillInAlarm: [
        { alarmName: 'disk-full-web-1', instanceId: 'i-00000000000000001', status: 'remediating' },
        { alarmName: 'disk-full-fleet', instanceId: 'i-00000000000000002', status: 'escalated' },
      ],
    });
    const forms = noticeForms(notice, ORIGIN);

    expect(forms.chat.metadata.relatedResources).toEqual([
      'i-00000000000000001',
      'disk-full-web-1',
      'i-00000000000000002',
      'disk-full-fleet',
    ]);
    expect(forms.pagerDuty.StateChangeTime).toBe('2026-11-21T04:00:00.000+0000');
    expect(forms.chat.content.nextSteps[0]).toBe('Close the group page if your pager has not.');
  });

  it('keep the chat lists within their limits with a huge breaker', () => {
    const many = Array.from({ length: 5_000 }, (_, i) => `i-${String(i).padStart(17, '0')}`);
    const forms = noticeForms(breakerOpenedNotice(runbook, { ...open, instances: many }, [], TABLE), ORIGIN);

    expect(forms.chat.metadata.relatedResources.length).toBeLessThanOrEqual(20);
    expect(forms.chat.content.nextSteps.length).toBeLessThanOrEqual(CHAT_LIMITS.nextSteps);
    for (const step of forms.chat.content.nextSteps)
      expect(step.length).toBeLessThanOrEqual(CHAT_LIMITS.nextStep);
    expect(forms.chatSns.size).toBe(Buffer.byteLength(forms.chatSns.Message));
  });
});
