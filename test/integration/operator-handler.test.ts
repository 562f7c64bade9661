import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand } from '@aws-sdk/client-sns';
import { SendCommandCommand } from '@aws-sdk/client-ssm';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { eventBridgeResyncRequest } from '../../functions/adapters/aws/eventbridge-resync-request.ts';
import { OPERATOR_EVENT_SOURCE, RESYNC_REQUESTED } from '../../functions/core/event-patterns.ts';
import type { Incident, IncidentKey } from '../../functions/core/incident.ts';
import { defineRunbook, type Runbook } from '../../functions/core/runbook.ts';
import { Announcements } from '../../functions/handlers/announcements.ts';
import {
  createOperatorHandler,
  createOperatorLambda,
  parseDuration,
  recordedBy,
} from '../../functions/handlers/operator-handler.ts';
import { closest, parseOperatorRequest } from '../../functions/handlers/operator-schema.ts';
import type { Runtime } from '../../functions/handlers/runtime.ts';
import {
  lambdaContext,
  loadIncident,
  mocks,
  resetMocks,
  TestClock,
  testRuntime,
} from '../support/aws-runtime.ts';
import { alarmInput, keyFor, onInstance, testRunbook } from '../support/fixtures.ts';

/**
 * The operator function on DynamoDB Local, the AWS SDK mocked: a person's request reaches the
 * decider through the same processor as an alarm, is recorded on the incident with who, and runs at
 * most what it asked for, once, through every gate.
 */

const T0 = Date.parse('2030-11-21T03:00:00Z');
const restart = {
  remediate: undefined,
  actions: [{ name: 'restart', script: 'restart.sh' }],
  parameters: {
    service: {
      description: 'the unit to restart',
      allowedPattern: '^[a-z0-9][a-z0-9-]{0,31}$',
      default: 'app',
    },
  },
};
// Both answer the fixture's alarms: cpu-high answers them, svc-down is there for its diagnose action.
const approving: Runbook = defineRunbook({
  ...testRunbook,
  ...restart,
  name: 'cpu-high',
  mode: 'approve',
  precedence: { over: ['svc-down'], reason: 'the alarms of these tests are cpu-high’s' },
});
const diagnosing: Runbook = defineRunbook({
  ...testRunbook,
  ...restart,
  name: 'svc-down',
  mode: 'approve',
  diagnose: 'diagnose.sh',
});

const I1 = 'i-0123456789abcdef0';
const I2 = 'i-0fedcba9876543210';
const I3 = 'i-0aaaabbbbccccdddd';

interface Stack {
  runtime: Runtime;
  clock: TestClock;
  operator: ReturnType<typeof createOperatorHandler>;
  /** Opens an incident (a proposal, as the runbooks are in approve mode) on an instance. */
  open(instanceId: string, runbook?: Runbook, alarmArn?: string): Promise<Incident>;
  load(key: IncidentKey): Promise<Incident>;
}

async function stack(): Promise<Stack> {
  const clock = new TestClock(T0);
  const { runtime } = await testRuntime({ runbooks: [approving, diagnosing], clock });
  resetMocks();
  const operator = createOperatorHandler(runtime, {
    requestResync: eventBridgeResyncRequest(new EventBridgeClient({ region: 'us-east-1' })),
    announcements: new Announcements(runtime),
  });
  const load = async (key: IncidentKey) => {
    const incident = await loadIncident(runtime, key);
    if (!incident) throw new Error('no incident');
    return incident;
  };
  return {
    runtime,
    clock,
    operator,
    load,
    async open(instanceId, runbook = approving, alarmArn) {
      const overrides = { ...onInstance(instanceId), ...(alarmArn ? { alarmArn } : {}) };
      const key = keyFor(runbook.name, instanceId, alarmArn);
      await runtime.processor.process(key, runbook, alarmInput('ALARM', T0 - 1000, overrides));
      return load(key);
    },
  };
}

const sent = () => mocks.ssm.commandCalls(SendCommandCommand).map((c) => c.args[0].input);
const resyncRequests = () =>
  mocks.eventbridge
    .commandCalls(PutEventsCommand)
    .flatMap((c) => c.args[0].input.Entries ?? [])
    .filter((e) => e.Source === OPERATOR_EVENT_SOURCE && e.DetailType === RESYNC_REQUESTED)
    .map((e) => JSON.parse(e.Detail ?? '{}'));
const notices = () =>
  mocks.sns
    .commandCalls(PublishCommand)
    .map((c) => `${c.args[0].input.Subject ?? ''} ${c.args[0].input.Message ?? ''}`);
const who = (incident: Incident) => incident.responders?.map((r) => [r.verb, r.by, r.outcome]);

describe('the operator function: approvals', () => {
  let s: Stack;
  beforeEach(async () => {
    s = await stack();
  });

  it('an approval runs exactly the proposal, once; a second approval of it runs nothing', async () => {
    const incident = await s.open(I1);
    expect(incident.status).toBe('awaiting-approval');
    const proposal = incident.proposal;
    expect(proposal).toMatchObject({ action: 'restart', parameters: { service: 'app' }, instanceId: I1 });

    const first = await s.operator({
      verb: 'approve',
      incident: incident.id.slice(0, 12),
      by: 'arn:aws:iam::123456789012:user/ana',
      channel: 'cli',
    });
    const second = await s.operator({ verb: 'approve', incident: incident.id, by: 'bob', channel: 'chat' });

    expect(first).toMatchObject({ ok: true, status: 'remediating', incident: incident.id });
    expect(first.message).toContain(`approved ${proposal?.id}`);
    expect(second.ok).toBe(false);
    expect(second.message).toContain('already approved by cli:arn:aws:iam::123456789012:user/ana');
    expect(sent()).toEqual([
      expect.objectContaining({
        InstanceIds: [proposal?.instanceId],
        Parameters: { action: ['restart'], executionTimeout: ['120'], service: ['app'] },
      }),
    ]);
    const after = await s.load(incident.key);
    expect(who(after)).toEqual([
      ['approve', 'cli:arn:aws:iam::123456789012:user/ana', 'done'],
      ['approve', 'chat:bob', 'refused'],
    ]);
    expect(after.attempts.at(-1)?.by).toBe('cli:arn:aws:iam::123456789012:user/ana');
  });

  it('the same request delivered twice is done once, and answered as it was', async () => {
    const incident = await s.open(I1);
    const request = { verb: 'approve', incident: incident.id, by: 'ana', request: 'req-1' };
    const first = await s.operator(request);
    const again = await s.operator(request);
    expect(first.ok).toBe(true);
    expect(again).toMatchObject({ ok: true, message: expect.stringContaining('answered before') });
    expect(sent()).toHaveLength(1);
    expect((await s.load(incident.key)).responders).toHaveLength(1);
  });

  it('an expired proposal runs nothing when approved', async () => {
    const incident = await s.open(I1);
    s.clock.advance(approving.approveWithinSeconds + 1);
    const late = await s.operator({ verb: 'approve', incident: incident.id, by: 'erin' });
    expect(late).toMatchObject({ ok: false, message: expect.stringContaining('expired') });
    expect(sent()).toHaveLength(0);
    expect(who(await s.load(incident.key))).toEqual([['approve', 'erin', 'refused']]);
  });

  it('a denied proposal runs nothing, and the denier holds the incident', async () => {
    const incident = await s.open(I1);
    const denied = await s.operator({ verb: 'deny', incident: incident.id, by: 'carol', channel: 'chat' });
    const approved = await s.operator({ verb: 'approve', incident: incident.id, by: 'dan' });
    expect(denied).toMatchObject({ ok: true, status: 'escalated' });
    expect(approved).toMatchObject({
      ok: false,
      message: expect.stringContaining('already denied by chat:carol'),
    });
    expect(sent()).toHaveLength(0);
    const after = await s.load(incident.key);
    expect(after.owner?.by).toBe('chat:carol');
    expect(who(after)).toEqual([
      ['deny', 'chat:carol', 'done'],
      ['approve', 'dan', 'refused'],
    ]);
  });

  it('an approval while the kill switch is on runs nothing, and says why', async () => {
    const incident = await s.open(I1);
    expect(await s.operator({ verb: 'pause', reason: 'database failover', by: 'ana' })).toMatchObject({
      ok: true,
    });
    const approved = await s.operator({ verb: 'approve', incident: incident.id, by: 'bob' });
    expect(approved).toMatchObject({ ok: false, status: 'awaiting-approval' });
    expect(approved.message).toContain('kill-switch');
    expect(sent()).toHaveLength(0);
    expect(who(await s.load(incident.key))).toEqual([['approve', 'bob', 'refused']]);
  });

  it('an approval naming another proposal runs nothing', async () => {
    const incident = await s.open(I1);
    const wrong = await s.operator({
      verb: 'approve',
      incident: incident.id,
      proposal: `${incident.id}/p7`,
      by: 'ana',
    });
    expect(wrong).toMatchObject({ ok: false, message: expect.stringContaining('is not the incident') });
    expect(sent()).toHaveLength(0);
  });
});

describe('the operator function: responder actions', () => {
  let s: Stack;
  beforeEach(async () => {
    s = await stack();
  });

  it('retry starts an attempt now, started by the person', async () => {
    const incident = await s.open(I1);
    await s.operator({ verb: 'deny', incident: incident.id, by: 'ana' });
    // As the CLI names its caller: an assumed role's session, well over a hundred characters.
    const caller = `arn:aws:sts::123456789012:assumed-role/${'OnCallResponders'.repeat(4)}/${'ana'.repeat(20)}`;
    const retried = await s.operator({ verb: 'retry', incident: incident.id, by: caller, channel: 'cli' });
    expect(retried).toMatchObject({ ok: true, status: 'remediating' });
    expect(retried.message).toContain('attempt 1 (restart) sent as command');
    expect(sent()).toEqual([
      expect.objectContaining({
        InstanceIds: [I1],
        Parameters: expect.objectContaining({ action: ['restart'] }),
      }),
    ]);
    const after = await s.load(incident.key);
    expect(after.attempts).toHaveLength(1);
    expect(after.attempts[0]?.by).toBe(`cli:${caller}`);
  });

  it('run diagnose sends the diagnose action', async () => {
    const incident = await s.open(I1, diagnosing);
    await s.operator({ verb: 'deny', incident: incident.id, by: 'ana' });
    const ran = await s.operator({ verb: 'run', incident: incident.id, action: 'diagnose', by: 'ana' });
    expect(ran).toMatchObject({ ok: true });
    expect(sent()).toHaveLength(1);
    expect(sent()[0]?.Parameters?.action).toEqual(['diagnose']);
    expect(who(await s.load(incident.key))).toEqual([
      ['deny', 'ana', 'done'],
      ['run', 'ana', 'done'],
    ]);
  });

  it('run of an action the runbook does not have runs nothing, and is recorded as refused', async () => {
    const incident = await s.open(I1);
    await s.operator({ verb: 'deny', incident: incident.id, by: 'ana' });
    const ran = await s.operator({ verb: 'run', incident: incident.id, action: 'reboot-now', by: 'ana' });
    expect(ran).toMatchObject({ ok: false, message: expect.stringContaining('has no action') });
    expect(sent()).toHaveLength(0);
    expect(who(await s.load(incident.key))?.at(-1)).toEqual(['run', 'ana', 'refused']);
  });

  it('snooze and take are recorded with who', async () => {
    const a = await s.open(I1);
    const b = await s.open(I2);
    await s.operator({ verb: 'deny', incident: a.id, by: 'ana' });
    const snoozed = await s.operator({ verb: 'snooze', incident: a.id, duration: '2h30m', by: 'bob' });
    expect(snoozed).toMatchObject({ ok: true, status: 'snoozed' });
    expect((await s.load(a.key)).snoozedUntil).toBe(T0 + 9000 * 1000);

    await s.operator({ verb: 'deny', incident: b.id, by: 'ana' });
    const taken = await s.operator({ verb: 'take', incident: b.id, by: 'carol', channel: 'chat' });
    expect(taken).toMatchObject({ ok: true, status: 'escalated' });
    const after = await s.load(b.key);
    expect(after.owner?.by).toBe('chat:carol');
    expect(who(await s.load(a.key))).toEqual([
      ['deny', 'ana', 'done'],
      ['snooze', 'bob', 'done'],
    ]);
    expect(who(after)).toEqual([
      ['deny', 'ana', 'done'],
      ['take', 'chat:carol', 'done'],
    ]);
    expect(sent()).toHaveLength(0);
  });

  it('a snooze shorter than 5 minutes or longer than a day is refused before anything is asked', async () => {
    const incident = await s.open(I1);
    await s.operator({ verb: 'deny', incident: incident.id, by: 'ana' });
    for (const duration of ['4m', '25h', '3d', 'soon', '0'])
      expect(await s.operator({ verb: 'snooze', incident: incident.id, duration, by: 'bob' })).toMatchObject({
        ok: false,
        message: expect.stringContaining('snooze for 5m to 24h'),
      });
    expect((await s.load(incident.key)).status).toBe('escalated');
  });
});

describe('the operator function: naming the incident', () => {
  let s: Stack;
  beforeEach(async () => {
    s = await stack();
  });

  it('finds an open incident by a unique prefix, lists the candidates of an ambiguous one, and says when none', async () => {
    // One alarm on two instances: the ids share the alarm's hash; another alarm's do not.
    const a = await s.open(I1);
    const b = await s.open(I2);
    const other = await s.open(I3, approving, 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:another');
    const alarmPart = a.id.split('.')[0] as string;

    const unique = await s.operator({ verb: 'take', incident: other.id.slice(0, 8), by: 'ana' });
    expect(unique).toMatchObject({ incident: other.id });

    const ambiguous = await s.operator({ verb: 'approve', incident: alarmPart, by: 'ana' });
    expect(ambiguous.ok).toBe(false);
    expect(ambiguous.message).toContain('2 open incidents start with');
    expect(ambiguous.message).toContain(a.id);
    expect(ambiguous.message).toContain(b.id);

    const byTarget = await s.operator({ verb: 'approve', incident: `${alarmPart}.${I2}`, by: 'ana' });
    expect(byTarget).toMatchObject({ ok: true, incident: b.id });

    const none = await s.operator({ verb: 'approve', incident: 'ffffffffffff', by: 'ana' });
    expect(none).toMatchObject({ ok: false, message: expect.stringContaining('no open incident') });
    const short = await s.operator({ verb: 'approve', incident: alarmPart.slice(0, 5), by: 'ana' });
    expect(short).toMatchObject({ ok: false, message: expect.stringContaining('at least 6') });

    expect(sent()).toHaveLength(1);
    expect((await s.load(a.key)).responders).toBeUndefined();
  });

  it('says a closed incident is closed, named by its full id', async () => {
    const incident = await s.open(I1);
    await s.runtime.processor.process(incident.key, approving, alarmInput('OK', T0 + 60_000, onInstance(I1)));
    const answer = await s.operator({ verb: 'retry', incident: incident.id, by: 'ana' });
    expect(answer).toMatchObject({ ok: false, message: expect.stringContaining('is closed') });
    expect(sent()).toHaveLength(0);
  });
});

describe('the operator function: bad requests', () => {
  let s: Stack;
  beforeEach(async () => {
    s = await stack();
  });

  it('answers every malformed or hostile request with the reason, and runs and records nothing', async () => {
    const incident = await s.open(I1);
    const id = incident.id;
    const bad: [unknown, string][] = [
      [null, 'not a JSON object'],
      [[{ verb: 'approve' }], 'not a JSON object'],
      ['approve', 'not a JSON object'],
      [{ incident: id, by: 'ana' }, 'names no verb'],
      [{ verb: 'aprove', incident: id, by: 'ana' }, 'did you mean approve?'],
      [{ verb: 'Approve', incident: id }, 'did you mean approve?'],
      [{ verb: 'snoze', incident: id, duration: '1h' }, 'did you mean snooze?'],
      [{ verb: 'breaker-clsoe', runbook: 'cpu-high', reason: 'x' }, 'did you mean breaker-close?'],
      [{ verb: 'reboot', incident: id }, 'unknown verb "reboot"'],
      [{ verb: 42, incident: id }, 'unknown verb number'],
      [{ verb: 'approve', by: 'ana' }, 'incident'],
      [{ verb: 'approve', incident: `${id}; rm -rf /`, by: 'ana' }, 'letters, digits, dots and hyphens'],
      [{ verb: 'approve', incident: '$(reboot)', by: 'ana' }, 'letters, digits, dots and hyphens'],
      [{ verb: 'approve', incident: 'a'.repeat(100_000), by: 'ana' }, 'at most'],
      [{ verb: 'approve', incident: id, proposal: '../../etc/passwd', by: 'ana' }, 'a proposal id'],
      [{ verb: 'approve', incident: id, by: 'ana\nsecond line' }, 'control characters'],
      [{ verb: 'approve', incident: id, by: 'x'.repeat(500) }, 'longer than'],
      [{ verb: 'approve', incident: id, by: 'ana', channel: 'email' }, 'channel'],
      [{ verb: 'approve', incident: id, by: 'ana', request: 'a b' }, 'a request id'],
      [{ verb: 'run', incident: id, by: 'ana' }, 'run needs the name of an action'],
      [{ verb: 'run', incident: id, by: 'ana', action: '$(reboot)' }, 'an action name'],
      [{ verb: 'snooze', incident: id, by: 'ana' }, 'snooze needs a duration'],
      [{ verb: 'pause', by: 'ana' }, 'reason'],
      [{ verb: 'pause', runbook: '../x', reason: 'r' }, 'a runbook name'],
      [{ verb: 'pause', runbook: 'no-such-runbook', reason: 'r' }, 'not one of this deployment'],
      [{ verb: 'set-mode', runbook: 'cpu-high', mode: 'yolo' }, 'mode'],
      [{ verb: 'set-mode', runbook: 'cpu-high', mode: 'approve' }, 'needs a reason'],
      [{ verb: 'breaker-close', reason: 'fixed' }, 'runbook'],
    ];
    for (const [event, reason] of bad) {
      const answer = await s.operator(event);
      expect(answer, JSON.stringify(event).slice(0, 80)).toMatchObject({ ok: false });
      expect(answer.message, JSON.stringify(event).slice(0, 80)).toContain(reason);
      expect(answer.message.length).toBeLessThan(1000);
    }
    expect(sent()).toHaveLength(0);
    expect(resyncRequests()).toHaveLength(0);
    const after = await s.load(incident.key);
    expect(after.responders).toBeUndefined();
    expect(after.status).toBe('awaiting-approval');
    expect(await s.runtime.killSwitch.list()).toEqual([]);
  });

  it('the Lambda entry answers a bad request too, rather than throwing', async () => {
    const lambda = createOperatorLambda(s.runtime);
    expect(await lambda({ verb: 'nope' }, lambdaContext)).toMatchObject({ ok: false });
  });
});

describe('the operator function: the fleet', () => {
  let s: Stack;
  beforeEach(async () => {
    s = await stack();
  });

  it('pause and resume flip the kill switch with who, and a resume asks for a resync', async () => {
    const paused = await s.operator({
      verb: 'pause',
      runbook: 'cpu-high',
      reason: 'deploy in progress',
      by: 'ana',
      channel: 'chat',
    });
    expect(paused).toMatchObject({ ok: true, message: 'paused runbook cpu-high: deploy in progress' });
    expect(await s.runtime.killSwitch.pauseFor('cpu-high')).toMatchObject({
      reason: 'deploy in progress',
      by: 'chat:ana',
      since: T0,
    });
    expect(await s.runtime.killSwitch.pauseFor('svc-down')).toBeUndefined();
    // Announced once, for every alarm it holds.
    expect(notices()).toHaveLength(1);
    expect(notices()[0]).toContain('deploy in progress');
    expect((await s.runtime.killSwitch.pauseFor('cpu-high'))?.announcedAt).toBe(T0);

    const resumed = await s.operator({ verb: 'resume', runbook: 'cpu-high', by: 'bob', channel: 'cli' });
    expect(resumed).toMatchObject({ ok: true, message: expect.stringContaining('a resync was requested') });
    expect(await s.runtime.killSwitch.pauseFor('cpu-high')).toBeUndefined();
    expect(resyncRequests()).toEqual([{ cause: 'resumed', runbook: 'cpu-high', by: 'cli:bob' }]);
    expect(notices()).toHaveLength(2);

    const again = await s.operator({ verb: 'resume', runbook: 'cpu-high', by: 'bob' });
    expect(again).toMatchObject({ ok: true, message: 'runbook cpu-high was not paused' });
    expect(resyncRequests()).toHaveLength(1);
    expect(notices()).toHaveLength(2);
  });

  it('breaker-close closes an open breaker with who, and asks the resync to look again', async () => {
    await s.runtime.fleet.openBreaker(
      'cpu-high',
      {
        state: 'open',
        openedAt: T0 - 60_000,
        reason: '5 instances alarmed within 5 minutes',
        instances: [I1, I2],
        lastAlarmAt: T0 - 60_000,
        page: { status: 'sent', messageId: 'page-1' },
      },
      900,
    );
    const closed = await s.operator({
      verb: 'breaker-close',
      runbook: 'cpu-high',
      reason: 'the bad deploy is rolled back',
      by: 'ana',
      channel: 'cli',
    });
    expect(closed).toMatchObject({ ok: true, message: expect.stringContaining('closed the breaker') });
    const { breaker } = await s.runtime.fleet.read(approving, undefined, T0);
    expect(breaker).toMatchObject({
      state: 'closed',
      closedBy: 'cli:ana',
      closeReason: 'the bad deploy is rolled back',
    });
    expect(resyncRequests()).toEqual([{ cause: 'breaker-closed', runbook: 'cpu-high', by: 'cli:ana' }]);
    // The close is announced now (the resync, asked to look again, does not announce it twice).
    expect(notices()).toHaveLength(1);
    expect(breaker?.closeAnnouncedAt).toBe(T0);

    const notOpen = await s.operator({
      verb: 'breaker-close',
      runbook: 'cpu-high',
      reason: 'again',
      by: 'ana',
    });
    expect(notOpen).toMatchObject({ ok: true, message: 'the breaker of runbook cpu-high was not open' });
    expect(resyncRequests()).toHaveLength(1);
  });

  it('set-mode switches a runbook to approve or dry-run with who, and enforce lifts the switch', async () => {
    const set = await s.operator({
      verb: 'set-mode',
      runbook: 'svc-down',
      mode: 'dry-run',
      reason: 'flaky',
      by: 'ana',
      channel: 'chat',
    });
    expect(set).toMatchObject({ ok: true, message: 'runbook svc-down is in dry-run mode: flaky' });
    expect((await s.runtime.fleet.read(diagnosing, undefined, T0)).mode).toMatchObject({
      mode: 'dry-run',
      by: 'chat:ana',
      reason: 'flaky',
    });
    const lifted = await s.operator({ verb: 'set-mode', runbook: 'svc-down', mode: 'enforce', by: 'bob' });
    expect(lifted).toMatchObject({ ok: true, message: expect.stringContaining('runs as deployed again') });
    expect(notices()).toHaveLength(1);
    expect((await s.runtime.fleet.read(diagnosing, undefined, T0)).mode).toBeUndefined();
  });

  it('a pause that cannot be announced still stands', async () => {
    const operator = createOperatorHandler(s.runtime, {
      announcements: {
        announcePause: async () => {
          throw new Error('SNS is down');
        },
        announceResume: async () => undefined,
        announceBreakerClosed: async () => undefined,
        announceModeCleared: async () => undefined,
      },
    });
    expect(await operator({ verb: 'pause', reason: 'incident', by: 'ana' })).toMatchObject({ ok: true });
    expect(await s.runtime.killSwitch.pauseFor('cpu-high')).toMatchObject({ by: 'ana' });
  });
});

describe('the operator function: its parts', () => {
  it('reads 30m, 1h, 2h30m, 90s and bare seconds', () => {
    expect(['30m', '1h', '2h30m', '90s', '600', ' 1H '].map(parseDuration)).toEqual([
      1800, 3600, 9000, 90, 600, 3600,
    ]);
    for (const wrong of ['3d', '', 'h', '1.5h', '-5m', '1h 30m'])
      expect(parseDuration(wrong)).toBeUndefined();
  });

  it('records who behind the channel, once', () => {
    expect(recordedBy('ana', 'cli')).toBe('cli:ana');
    expect(recordedBy('chat:ana', 'chat')).toBe('chat:ana');
    expect(recordedBy('ana', undefined)).toBe('ana');
    expect(recordedBy(undefined, 'chat')).toBe('chat:an unnamed caller');
  });

  it('suggests a verb only for what looks like a typo of one', () => {
    expect(closest('aprove', ['approve', 'deny'])).toBe('approve');
    expect(closest('aprpove', ['approve', 'deny'])).toBe('approve');
    expect(closest('xyz', ['approve', 'deny', 'take'])).toBeUndefined();
    expect(parseOperatorRequest({ verb: 'tkae', incident: 'abcdef' })).toContain('did you mean take?');
  });
});
