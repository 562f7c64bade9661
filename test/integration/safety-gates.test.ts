import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PublishCommand } from '@aws-sdk/client-sns';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { SendCommandCommand } from '@aws-sdk/client-ssm';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { DynamoDbFleetGuard } from '../../functions/adapters/aws/dynamodb-fleet-guard.ts';
import { DynamoDbKillSwitch } from '../../functions/adapters/aws/dynamodb-kill-switch.ts';
import { createAlarmHandler } from '../../functions/handlers/alarm-handler.ts';
import type { HandlerConfig } from '../../functions/handlers/config.ts';
import type { Runtime } from '../../functions/handlers/runtime.ts';
import { createTimerHandler } from '../../functions/handlers/timer-handler.ts';
import { sqsEvent } from '../../local/aws-shapes.ts';
import {
  describeInstances,
  lambdaContext,
  loadIncident,
  mocks,
  resetMocks,
  sampleEvent,
  TestClock,
  testRuntime,
} from '../support/aws-runtime.ts';
import { keyFor, testRunbook } from '../support/fixtures.ts';

const cpu = {
  ...testRunbook,
  name: 'cpu-high',
  match: { metrics: [{ namespace: 'AWS/EC2', metricName: 'CPUUtilization' }] },
};
const root = fileURLToPath(new URL('../..', import.meta.url));
/** The published sample's alarm, which every event of these tests is (on an instance of its own). */
const SAMPLE_ARN = 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh';
/** What the CLI says instead of asking the deployed resync to look again, against a local table. */
const NO_RESYNC =
  'no resync requested against a local table (--endpoint): the scheduled resync looks again at every alarm still in ALARM within 5 minutes\n';

describe('the kill switch and the opt-in gate, on DynamoDB Local', () => {
  const clock = new TestClock(Date.parse('2019-10-02T17:05:00Z'));
  let runtime: Runtime;
  let config: HandlerConfig;
  let killSwitch: DynamoDbKillSwitch;
  let dynamodbClient: ConstructorParameters<typeof DynamoDbKillSwitch>[0];
  let handler: ReturnType<typeof createAlarmHandler>;
  let sample: any;

  beforeAll(async () => {
    let dynamodb: ConstructorParameters<typeof DynamoDbKillSwitch>[0];
    ({ runtime, config, dynamodb } = await testRuntime({ runbooks: [cpu], clock }));
    killSwitch = new DynamoDbKillSwitch(dynamodb, config.tableName);
    dynamodbClient = dynamodb;
    handler = createAlarmHandler(runtime);
    sample = await sampleEvent('cloudwatch-alarm-state-change.single-metric.json');
  });
  beforeEach(async () => {
    resetMocks();
    await killSwitch.resume(undefined);
    await killSwitch.resume('cpu-high');
  });

  const on = (instanceId: string) => {
    const event = structuredClone(sample);
    event.detail.configuration.metrics[0].metricStat.metric.dimensions.InstanceId = instanceId;
    return event;
  };

  /** npx remediate against this test's table on DynamoDB Local. */
  const cli = (...args: string[]) =>
    promisify(execFile)(
      'bin/remediate.ts',
      [...args, '--table', config.tableName, '--endpoint', inject('dynamoDbEndpoint')],
      {
        cwd: root,
        timeout: 60_000,
      },
    );

  it('finds the pause for every runbook first, else the runbook’s own, and lifts them', async () => {
    await killSwitch.pause('cpu-high', { reason: 'noisy', by: 'bob', since: 1 });
    expect(await killSwitch.pauseFor('cpu-high')).toEqual({
      scope: 'this runbook',
      reason: 'noisy',
      by: 'bob',
      since: 1,
    });
    expect(await killSwitch.pauseFor('disk-full')).toBeUndefined();

    await killSwitch.pause(undefined, { reason: 'failover', since: 2 });
    expect(await killSwitch.pauseFor('disk-full')).toEqual({
      scope: 'all runbooks',
      reason: 'failover',
      since: 2,
    });

    expect(await killSwitch.resume(undefined)).toBe(true);
    expect(await killSwitch.resume(undefined)).toBe(false);
    expect((await killSwitch.list()).map((p) => p.runbook)).toEqual(['cpu-high']);
  });

  it('while paused, records and pages the alarm as "automation paused" and sends no command', async () => {
    await killSwitch.pause(undefined, { reason: 'database failover', by: 'alice', since: clock.now() });

    await handler(on('i-0000000000000d001'), lambdaContext);

    expect(mocks.ssm).not.toHaveReceivedCommand(SendCommandCommand);
    expect(mocks.sns.commandCalls(PublishCommand)[0]?.args[0].input.Subject).toMatch(
      /automation paused, nothing run$/,
    );
    const incident = await loadIncident(runtime, keyFor('cpu-high', 'i-0000000000000d001', SAMPLE_ARN));
    expect(incident?.refusals?.[0]).toMatchObject({
      gate: 'kill-switch',
      reason: expect.stringContaining('database failover'),
    });
  });

  it('acts again once resumed', async () => {
    await killSwitch.pause('cpu-high', { reason: 'noisy', since: clock.now() });
    await killSwitch.resume('cpu-high');

    await handler(on('i-0000000000000d002'), lambdaContext);

    expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, 1);
  });

  it('never touches an instance without the opt-in tag (the second check, besides IAM), nor pages for it', async () => {
    describeInstances(() => ({ Tags: [] }));

    const result = await handler(on('i-0000000000000d003'), lambdaContext);

    expect(result).toEqual({
      outcome: 'ignored',
      reason:
        'instance i-0000000000000d003 does not carry the opt-in tag AutoRemediation=enabled: not managed by this deployment, so no incident is opened and nobody is paged',
    });
    expect(mocks.ssm).not.toHaveReceivedCommand(SendCommandCommand);
    expect(mocks.sns).not.toHaveReceivedCommand(PublishCommand);
    expect(await runtime.store.load(keyFor('cpu-high', 'i-0000000000000d003', SAMPLE_ARN))).toBeUndefined();
  });

  it('shows refused incidents, with the gate and the reason, through npx remediate incidents', async () => {
    await killSwitch.pause(undefined, { reason: 'change freeze', since: clock.now() });
    await handler(on('i-0000000000000d004'), lambdaContext);
    const incident = await loadIncident(runtime, keyFor('cpu-high', 'i-0000000000000d004', SAMPLE_ARN));

    const list = await cli('incidents', 'list');
    const show = await cli('incidents', 'show', incident?.id as string);

    expect(list.stdout).toMatch(
      new RegExp(
        `escalated\\s+cpu-high\\s+i-0000000000000d004\\s+attempts 0\\s+${incident?.id}  refused by kill-switch`,
      ),
    );
    expect(show.stdout).toContain(`Incident ${incident?.id}: escalated`);
    expect(show.stdout).toMatch(
      /refused {3}by the kill-switch gate at .*: automation paused for all runbooks since .*: change freeze/,
    );
  });

  it('is flipped with npx remediate pause, status and resume', async () => {
    const paused = await cli(
      'pause',
      '--runbook',
      'cpu-high',
      '--reason',
      'investigating a bad deploy',
      '--by',
      'carol',
    );
    const status = await cli('status');
    const pause = await killSwitch.pauseFor('cpu-high');
    const resumed = await cli('resume', '--runbook', 'cpu-high');

    expect(paused.stdout).toBe('paused runbook cpu-high: investigating a bad deploy\n');
    expect(status.stdout).toMatch(
      /^paused: runbook cpu-high since .* by carol: investigating a bad deploy\n/,
    );
    expect(pause).toMatchObject({ scope: 'this runbook', by: 'carol' });
    // A resume asks the resync to look again at once; a local table has none, and the CLI says so.
    expect(resumed.stdout).toBe(`resumed runbook cpu-high\n${NO_RESYNC}`);
    expect((await cli('status')).stdout).toMatch(/^automation is running: nothing is paused\n/);
  });

  it('npx remediate status shows each runbook: mode, breaker, commands in flight and the hour budget', async () => {
    const status = await cli('status');
    expect(status.stdout).toContain(
      'disk-full: enforce; breaker closed; 0/10 in flight, 0/60 commands this hour\n',
    );
  });

  it('switches a runbook to dry-run and back with npx remediate runbooks dry-run | enforce', async () => {
    const switched = await cli(
      'runbooks',
      'dry-run',
      'cpu-high',
      '--reason',
      'new script under review',
      '--by',
      'dave',
    );
    await handler(on('i-0000000000000d005'), lambdaContext);

    expect(switched.stdout).toBe('runbook cpu-high is in dry-run\n');
    expect(mocks.ssm).not.toHaveReceivedCommand(SendCommandCommand);
    const shadow = await loadIncident(runtime, keyFor('cpu-high', 'i-0000000000000d005', SAMPLE_ARN));
    expect(shadow?.attempts.map((a) => a.status)).toEqual(['not-run']);
    expect(shadow?.refusals?.[0]?.reason).toContain('switched to dry-run by dave');

    expect((await cli('runbooks', 'enforce', 'cpu-high')).stdout).toBe('runbook cpu-high acts again\n');
    expect((await cli('runbooks', 'enforce', 'cpu-high')).stdout).toBe(
      'runbook cpu-high was not switched to dry-run\n',
    );
    await handler(on('i-0000000000000d006'), lambdaContext);
    expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, 1);
  });

  it('gives the weekly review of the table with npx remediate report, as text and as a page with charts', async () => {
    const html = join(mkdtempSync(join(tmpdir(), 'review-')), 'review.html');
    await killSwitch.pause(undefined, { reason: 'change freeze', since: clock.now() });
    await handler(on('i-0000000000000d009'), lambdaContext);

    const review = await cli('report', '--since', '2019-10-01', '--html', html);
    const wrong = await cli('report', '--since', 'last tuesday').catch(
      (e: { code: number; stderr: string }) => e,
    );

    expect(review.stdout).toMatch(/^Weekly review: 2019-10-01 00:00:00Z to /);
    expect(review.stdout).toMatch(
      /\d+ incidents?: \d+ fixed automatically \(verified\), \d+ escalated \(paged\)/,
    );
    expect(review.stdout).toContain('kill-switch');
    expect(review.stdout).toContain(`HTML report: ${html}`);
    expect(readFileSync(html, 'utf8')).toMatch(/<svg/);
    expect(wrong).toMatchObject({ code: 1, stderr: expect.stringContaining('--since') });
  });

  it('closes an open fleet breaker with npx remediate breaker close', async () => {
    const fleet = new DynamoDbFleetGuard(dynamodbClient, config.tableName);
    await fleet.openBreaker(
      'cpu-high',
      {
        state: 'open',
        openedAt: Date.now(),
        reason: '6 instances alarmed within 10 min (more than 5)',
        instances: ['i-0000000000000e001'],
        lastAlarmAt: Date.now(),
        page: { status: 'sent' },
      },
      1800,
    );

    const refused = await cli('breaker', 'close', '--runbook', 'cpu-high').catch(
      (e: { code: number; stderr: string }) => e,
    );
    const closed = await cli(
      'breaker',
      'close',
      '--runbook',
      'cpu-high',
      '--reason',
      'bad AMI rolled back',
      '--by',
      'erin',
    );
    const again = await cli('breaker', 'close', '--runbook', 'cpu-high', '--reason', 'twice');

    expect(refused).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('breaker close needs --reason'),
    });
    expect(closed.stdout).toMatch(/^closed the breaker of runbook cpu-high \(open since .*, 1 instances\)\n/);
    expect(closed.stdout.split('\n').slice(1).join('\n')).toBe(NO_RESYNC);
    expect(again.stdout).toBe('the breaker of runbook cpu-high was not open\n');
    expect((await fleet.read(cpu, undefined, Date.now())).breaker).toMatchObject({
      state: 'closed',
      closedBy: 'erin',
      closeReason: 'bad AMI rolled back',
    });
  });
});

describe('the settle time, on DynamoDB Local', () => {
  // The sample's alarm entered ALARM at 17:04:40.989Z; the handler sees it two seconds later.
  const alarmAt = Date.parse('2019-10-02T17:04:40.989Z');
  const clock = new TestClock(alarmAt + 2000);
  /** Launched a minute before the alarm is handled; the engine's default settle time, 300 s. */
  const launchedAt = alarmAt + 2000 - 60_000;
  let runtime: Runtime;
  let handler: ReturnType<typeof createAlarmHandler>;
  let sample: any;

  beforeAll(async () => {
    ({ runtime } = await testRuntime({ runbooks: [cpu], clock }));
    handler = createAlarmHandler(runtime);
    sample = await sampleEvent('cloudwatch-alarm-state-change.single-metric.json');
  });
  beforeEach(() => {
    resetMocks();
    clock.value = alarmAt + 2000;
    describeInstances(() => ({
      LaunchTime: new Date(launchedAt),
      Tags: [{ Key: 'AutoRemediation', Value: 'enabled' }],
    }));
  });

  const on = (instanceId: string, state: 'ALARM' | 'OK' = 'ALARM', at = alarmAt) => {
    const event = structuredClone(sample);
    event.detail.configuration.metrics[0].metricStat.metric.dimensions.InstanceId = instanceId;
    event.detail.state = { ...event.detail.state, value: state, timestamp: new Date(at).toISOString() };
    return event;
  };
  const timerOf = (incident: Awaited<ReturnType<typeof loadIncident>>) => {
    if (!incident?.timer) throw new Error(`no timer on ${incident?.id}`);
    return { key: incident.key, incidentId: incident.id, ...incident.timer };
  };

  it('waits on an instance launched 60 s ago (settle 300 s), then sends the command when its timer fires after the settle time', async () => {
    // Act: the ALARM on a new instance.
    await handler(on('i-0000000000000e001'), lambdaContext);

    // Assess: no command, no page; a refusal of the settle gate, and a retry due when the settle time ends.
    const key = keyFor('cpu-high', 'i-0000000000000e001', SAMPLE_ARN);
    const waiting = await loadIncident(runtime, key);
    expect(mocks.ssm).not.toHaveReceivedCommand(SendCommandCommand);
    expect(mocks.sns).not.toHaveReceivedCommand(PublishCommand);
    expect(waiting).toMatchObject({ status: 'waiting', attempts: [] });
    expect(waiting?.refusals).toEqual([
      { gate: 'settle', reason: 'instance launched 60s ago, settle time 300s', at: clock.now() },
    ]);
    expect(waiting?.timer?.kind).toBe('retry');
    const dueAt = waiting?.timer?.dueAt ?? 0;
    expect(dueAt).toBeGreaterThanOrEqual(launchedAt + 300_000);
    expect(dueAt).toBeLessThanOrEqual(launchedAt + 310_000);
    expect(mocks.sqs).toHaveReceivedCommandTimes(SendMessageCommand, 1);

    // Act: the retry fires once the settle time is over.
    clock.value = dueAt;
    await createTimerHandler(runtime)(sqsEvent([JSON.stringify(timerOf(waiting))]), lambdaContext);

    // Assess: the attempt started normally, its command sent.
    expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, 1);
    expect(mocks.ssm).toHaveReceivedCommandWith(SendCommandCommand, { InstanceIds: ['i-0000000000000e001'] });
    const started = await loadIncident(runtime, key);
    expect(started?.status).toBe('remediating');
    expect(started?.attempts).toHaveLength(1);
    expect(started?.waitingSince).toBeUndefined();
  });

  it('resolves an incident whose alarm clears during the settle wait, with nothing run', async () => {
    await handler(on('i-0000000000000e002'), lambdaContext);
    const key = keyFor('cpu-high', 'i-0000000000000e002', SAMPLE_ARN);
    const waiting = await loadIncident(runtime, key);
    expect(waiting?.refusals?.at(-1)?.gate).toBe('settle');

    // Act: the boot warmed up and the alarm cleared by itself, two minutes later.
    clock.advance(120);
    await handler(on('i-0000000000000e002', 'OK', alarmAt + 120_000), lambdaContext);

    // Assess: resolved (cleared), no command, no page; the settle timer is now stale.
    const resolved = await loadIncident(runtime, key);
    expect(resolved).toMatchObject({ status: 'resolved', resolution: { how: 'cleared' }, attempts: [] });
    expect(mocks.ssm).not.toHaveReceivedCommand(SendCommandCommand);
    expect(mocks.sns).not.toHaveReceivedCommand(PublishCommand);
    clock.value = waiting?.timer?.dueAt ?? 0;
    await createTimerHandler(runtime)(sqsEvent([JSON.stringify(timerOf(waiting))]), lambdaContext);
    expect(mocks.ssm).not.toHaveReceivedCommand(SendCommandCommand);
    expect((await loadIncident(runtime, key))?.status).toBe('resolved');
  });
});
