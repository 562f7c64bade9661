import { SendCommandCommand } from '@aws-sdk/client-ssm';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeAll, describe, expect, it } from 'vitest';
import { defineRunbook, type Runbook } from '../../functions/core/runbook.ts';
import { createAlarmHandler } from '../../functions/handlers/alarm-handler.ts';
import { createOperatorHandler, parseDuration } from '../../functions/handlers/operator-handler.ts';
import type { Runtime } from '../../functions/handlers/runtime.ts';
import {
  lambdaContext,
  loadIncident,
  mocks,
  resetMocks,
  sampleEvent,
  TestClock,
  testRuntime,
} from '../support/aws-runtime.ts';
import { keyFor, testRunbook } from '../support/fixtures.ts';

/**
 * The operator function on DynamoDB Local, the AWS SDK mocked: a person's request reaches the
 * decider through the same processor as an alarm, and runs at most what it approved.
 */

const T0 = Date.parse('2030-11-21T03:00:00Z');
const approving: Runbook = defineRunbook({
  ...testRunbook,
  name: 'cpu-high',
  match: { metrics: [{ namespace: 'AWS/EC2', metricName: 'CPUUtilization' }] },
  mode: 'approve',
  breaker: false,
});
const arn = (id: string) => `arn:aws:cloudwatch:us-east-1:123456789012:alarm:cpu-high-${id}`;

let sample: any;
beforeAll(async () => {
  sample = await sampleEvent('cloudwatch-alarm-state-change.single-metric.json');
});

function alarmEvent(instanceId: string, at: number): any {
  const event = structuredClone(sample);
  event.detail.alarmName = `cpu-high-${instanceId}`;
  event.resources = [arn(instanceId)];
  event.detail.configuration.metrics[0].metricStat.metric.dimensions.InstanceId = instanceId;
  event.detail.state.value = 'ALARM';
  event.detail.state.timestamp = new Date(at).toISOString().replace('Z', '+0000');
  return event;
}

/** A stack whose runbook is in approve mode, with a proposal open on each of `ids`. */
async function proposals(ids: readonly string[]) {
  const clock = new TestClock(T0);
  const { runtime } = await testRuntime({ runbooks: [approving], clock });
  resetMocks();
  const alarm = createAlarmHandler(runtime);
  for (const id of ids) await alarm(alarmEvent(id, T0 - 1000), lambdaContext);
  const incidents = await Promise.all(
    ids.map((id) => loadIncident(runtime, keyFor('cpu-high', id, arn(id)))),
  );
  return { runtime, clock, operator: createOperatorHandler(runtime), incidents };
}

const sent = () => mocks.ssm.commandCalls(SendCommandCommand).map((c) => c.args[0].input);
const ID = 'i-0123456789abcdef0';

describe('the operator function', () => {
  it('an approval runs exactly the proposal, once; a second approval runs nothing', async () => {
    const { operator, incidents } = await proposals([ID]);
    const incident = incidents[0];
    expect(incident?.status).toBe('awaiting-approval');

    const first = await operator({
      verb: 'approve',
      incident: incident?.id.slice(0, 12),
      by: 'cli:arn:aws:iam::123456789012:user/ana',
    });
    const second = await operator({ verb: 'approve', incident: incident?.id, by: 'cli:bob' });

    expect(first).toMatchObject({ ok: true, status: 'remediating' });
    expect(second.ok).toBe(false);
    expect(second.message).toContain('already approved by cli:arn:aws:iam::123456789012:user/ana');
    expect(sent()).toHaveLength(1);
    expect(sent()[0]).toMatchObject({
      InstanceIds: [ID],
      Parameters: expect.objectContaining({ action: ['remediate'] }),
    });
  });

  it('an expired proposal, or a denied one, runs nothing', async () => {
    const other = 'i-0fedcba9876543210';
    const { operator, incidents, clock } = await proposals([ID, other]);
    const denied = await operator({ verb: 'deny', incident: incidents[1]?.id, by: 'carol' });
    expect(denied).toMatchObject({ ok: true, status: 'escalated' });
    expect((await operator({ verb: 'approve', incident: incidents[1]?.id, by: 'dan' })).ok).toBe(false);
    clock.advance(1801);
    const late = await operator({ verb: 'approve', incident: incidents[0]?.id, by: 'erin' });
    expect(late.ok).toBe(false);
    expect(late.message).toContain('expired');
    expect(sent()).toHaveLength(0);
  });

  it('answers a bad request with the reason and runs nothing', async () => {
    const { operator, incidents } = await proposals([ID]);
    expect(await operator({ verb: 'aprove', incident: incidents[0]?.id, by: 'ana' })).toMatchObject({
      ok: false,
      message: expect.stringContaining('did you mean approve?'),
    });
    expect((await operator({ verb: 'approve', by: 'ana' })).ok).toBe(false);
    expect((await operator(null)).ok).toBe(false);
    expect(
      (await operator({ verb: 'run', incident: incidents[0]?.id, by: 'ana', action: '$(reboot)' })).ok,
    ).toBe(false);
    expect((await operator({ verb: 'approve', incident: 'abc', by: 'ana' })).message).toContain('at least 6');
    expect((await operator({ verb: 'approve', incident: 'ffffffffffff', by: 'ana' })).message).toContain(
      'no open incident',
    );
    expect(
      (await operator({ verb: 'snooze', incident: incidents[0]?.id, by: 'ana', duration: '3d' })).ok,
    ).toBe(false);
    expect(sent()).toHaveLength(0);
  });

  it('records who snoozed and who took an incident', async () => {
    const { operator, incidents, runtime } = await proposals([ID]);
    await operator({ verb: 'deny', incident: incidents[0]?.id, by: 'ana' });
    const snoozed = await operator({ verb: 'snooze', incident: incidents[0]?.id, by: 'bob', duration: '1h' });
    expect(snoozed).toMatchObject({ ok: true, status: 'snoozed' });
    const after = await loadIncident(
      runtime as Runtime,
      incidents[0]?.key as NonNullable<(typeof incidents)[0]>['key'],
    );
    expect(after?.responders?.map((r) => [r.verb, r.by, r.outcome])).toEqual([
      ['deny', 'ana', 'done'],
      ['snooze', 'bob', 'done'],
    ]);
  });
});

describe('parseDuration', () => {
  it('reads 30m, 1h, 2h30m, 90s and bare seconds', () => {
    expect([
      parseDuration('30m'),
      parseDuration('1h'),
      parseDuration('2h30m'),
      parseDuration('90s'),
      parseDuration('600'),
    ]).toEqual([1800, 3600, 9000, 90, 600]);
    expect(parseDuration('3d')).toBeUndefined();
    expect(parseDuration('')).toBeUndefined();
  });
});
