import { describe, expect, it } from 'vitest';
import {
  autoDisableTrips,
  type BreakerRecord,
  breakerHolds,
  breakerTrips,
  judgedRuns,
  needsSeenCount,
  type RunOutcome,
  runVerdict,
  sharedAttributes,
} from '../../functions/core/fleet.ts';
import {
  breakerClosedNotice,
  breakerOpenedNotice,
  dryRunNotice,
} from '../../functions/core/fleet-messages.ts';
import type { Attempt } from '../../functions/core/incident.ts';
import { type BreakerPolicy, defineRunbook } from '../../functions/core/runbook.ts';
import { alarmInput, Scenario, T0, testRunbook } from '../support/fixtures.ts';

const policy: BreakerPolicy = { maxInstances: 5, maxPercent: 50, windowSeconds: 600, quietSeconds: 1800 };
const alarming = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ instanceId: `i-${String(i).padStart(17, '0')}`, at: T0 + i }));

describe('the breaker rule', () => {
  it('opens for more than maxInstances instances within the window, not at maxInstances', () => {
    expect(breakerTrips({ alarming: alarming(5), seen: 1000 }, policy)).toBeUndefined();
    expect(breakerTrips({ alarming: alarming(6), seen: 1000 }, policy)).toBe(
      '6 instances alarmed within 10 min (more than 5)',
    );
  });

  it('opens for more than maxPercent of the instances seen, once at least three alarmed', () => {
    expect(breakerTrips({ alarming: alarming(2), seen: 2 }, policy)).toBeUndefined();
    expect(breakerTrips({ alarming: alarming(3), seen: 6 }, policy)).toBeUndefined();
    expect(breakerTrips({ alarming: alarming(3), seen: 5 }, policy)).toBe(
      '3 of the 5 instances seen (60%) alarmed within 10 min (more than 50%)',
    );
    expect(
      breakerTrips({ alarming: alarming(3), seen: 5 }, { ...policy, maxPercent: undefined }),
    ).toBeUndefined();
  });

  it('reads the count of instances seen only when the percentage could decide', () => {
    expect(needsSeenCount(2, policy)).toBe(false);
    expect(needsSeenCount(3, policy)).toBe(true);
    expect(needsSeenCount(6, policy)).toBe(false);
    expect(needsSeenCount(4, { ...policy, maxPercent: undefined })).toBe(false);
  });

  it('holds until the quiet period after the last alarm has passed, and never when turned off', () => {
    const record: BreakerRecord = {
      state: 'open',
      openedAt: T0,
      reason: 'r',
      instances: ['i-1'],
      lastAlarmAt: T0 + 60_000,
      page: { status: 'sent' },
    };
    expect(breakerHolds(record, policy, T0 + 60_000 + 1_799_999)).toBe(true);
    expect(breakerHolds(record, policy, T0 + 60_000 + 1_800_000)).toBe(false);
    expect(breakerHolds({ ...record, state: 'closed' }, policy, T0 + 61_000)).toBe(false);
    expect(breakerHolds(record, false, T0 + 61_000)).toBe(false);
  });
});

describe('runs and auto-disable', () => {
  const attempt = (over: Partial<Attempt>): Attempt => ({
    number: 1,
    requestedAt: T0,
    status: 'running',
    ...over,
  });

  it('counts what the runbook did, not what SSM could not deliver', () => {
    expect(runVerdict(attempt({ status: 'succeeded', verification: 'passed' }))).toBe(true);
    expect(runVerdict(attempt({ status: 'succeeded', verification: 'failed' }))).toBe(false);
    expect(runVerdict(attempt({ status: 'failed', result: { status: 'Failed', responseCode: 1 } }))).toBe(
      false,
    );
    expect(runVerdict(attempt({ status: 'failed', result: { status: 'TimedOut', responseCode: 137 } }))).toBe(
      false,
    );
    expect(
      runVerdict(
        attempt({
          status: 'failed',
          result: { status: 'Failed', statusDetails: 'Undeliverable', responseCode: -1 },
        }),
      ),
    ).toBeUndefined();
    expect(
      runVerdict(attempt({ status: 'failed', failure: 'SSM did not accept the command' })),
    ).toBeUndefined();
    expect(runVerdict(attempt({ status: 'lost' }))).toBeUndefined();
    expect(runVerdict(attempt({ status: 'not-run' }))).toBeUndefined();
    expect(runVerdict(attempt({ status: 'succeeded', verification: 'pending' }))).toBeUndefined();
  });

  it('reports each run once, on the transition that judged it', () => {
    const s = new Scenario();
    s.apply(alarmInput('ALARM', T0));
    s.apply({ kind: 'command-sent', attempt: 1, commandId: 'cmd-1' });
    const before = s.incident;
    s.apply({ kind: 'command-finished', commandId: 'cmd-1', result: { status: 'Failed', responseCode: 2 } });
    const failed = s.incident;
    expect(judgedRuns(before, failed as NonNullable<typeof failed>, T0)).toEqual([
      { incidentId: failed?.id, attempt: 1, at: T0, verified: false },
    ]);
    s.fireTimer();
    expect(judgedRuns(failed, s.incident as NonNullable<typeof failed>, T0)).toEqual([]);
  });

  const runs = (verdicts: boolean[]): RunOutcome[] =>
    verdicts.map((verified, i) => ({ incidentId: `x/${i}`, attempt: 1, at: T0 + i, verified }));

  it('switches off below the threshold over the last K runs only', () => {
    const policy = { lastRuns: 4, minSuccessRate: 0.5 };
    expect(autoDisableTrips(runs([false, false, false]), policy)).toBeUndefined();
    expect(autoDisableTrips(runs([false, false, true, true]), policy)).toBeUndefined();
    expect(autoDisableTrips(runs([true, true, false, false, false]), policy)).toBe(
      '1 of its last 4 runs were verified (25%, below 50%)',
    );
    expect(autoDisableTrips(runs([false, false, false, false]), false)).toBeUndefined();
  });
});

describe('what a group of instances shares', () => {
  it('puts the attributes every instance shares first, and counts the rest', () => {
    const shared = sharedAttributes([
      {
        instanceId: 'i-1',
        availabilityZone: 'us-east-1a',
        instanceType: 'm6i.large',
        imageId: 'ami-1',
        tags: { Name: 'a', Service: 'web' },
      },
      {
        instanceId: 'i-2',
        availabilityZone: 'us-east-1a',
        instanceType: 'm6i.large',
        imageId: 'ami-2',
        tags: { Name: 'b', Service: 'web' },
      },
      {
        instanceId: 'i-3',
        availabilityZone: 'us-east-1a',
        instanceType: 'c6i.large',
        imageId: 'ami-2',
        tags: { Name: 'c', Service: 'web' },
      },
    ]);
    expect(shared.filter((a) => a.sharedByAll).map((a) => a.name)).toEqual([
      'availability zone',
      'tag Service',
    ]);
    expect(shared.find((a) => a.name === 'AMI')?.values).toEqual([
      { value: 'ami-2', count: 2 },
      { value: 'ami-1', count: 1 },
    ]);
    expect(shared.some((a) => a.name === 'tag Name')).toBe(false);
  });
});

describe('the notices', () => {
  const runbook = defineRunbook({ ...testRunbook, breaker: policy });
  const record: BreakerRecord = {
    state: 'open',
    openedAt: T0,
    reason: '6 instances alarmed within 10 min (more than 5)',
    instances: alarming(60).map((a) => a.instanceId),
    lastAlarmAt: T0,
    page: { status: 'due' },
  };

  it('pages the group once with the instances and what they share, under the subject rules', () => {
    const notice = breakerOpenedNotice(runbook, record, [
      { instanceId: 'i-00000000000000000', availabilityZone: 'us-east-1b', imageId: 'ami-9' },
      { instanceId: 'i-00000000000000001', availabilityZone: 'us-east-1b', imageId: 'ami-9' },
    ]);
    expect(notice.subject).toBe('ALARM: disk-full breaker open - 60 instances, shared cause?');
    expect(notice.subject.length).toBeLessThan(100);
    expect(notice.body).toContain('Instances (60):');
    expect(notice.body).toContain('  i-00000000000000049');
    expect(notice.body).toContain('  ... and 10 more');
    expect(notice.body).toMatch(/ALL {3}availability zone: us-east-1b x2/);
    expect(notice.body).toContain('counted (of the 2 instances EC2 described)');
    expect(notice.body).toContain('npx remediate breaker close --runbook disk-full');
  });

  it('still pages when EC2 cannot describe the instances', () => {
    const notice = breakerOpenedNotice(runbook, record, { error: 'UnauthorizedOperation' });
    expect(notice.body).toContain('(EC2 could not describe the instances: UnauthorizedOperation)');
  });

  it('closes the group page with OK and the same key', () => {
    const closed = breakerClosedNotice(runbook, {
      ...record,
      state: 'closed',
      closedAt: T0 + 1,
      closedBy: 'alice',
      closeReason: 'fixed the AMI',
    });
    expect(closed.subject).toMatch(/^OK: disk-full breaker closed/);
    expect(closed.key).toBe(breakerOpenedNotice(runbook, record, []).key);
    expect(closed.body).toContain('closed by alice: fixed the AMI');
  });

  it('says how to let a runbook switched to dry-run act again', () => {
    const notice = dryRunNotice(runbook, {
      mode: 'dry-run',
      reason: '0 of its last 10 runs were verified',
      by: 'auto-disable',
      since: T0,
    });
    expect(notice.subject).toMatch(/^ALARM: runbook disk-full switched to dry-run/);
    expect(notice.body).toContain('npx remediate runbooks enforce disk-full');
  });
});
