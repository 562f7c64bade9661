import { PublishCommand } from '@aws-sdk/client-sns';
import { GetCommandInvocationCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import type { SQSEvent } from 'aws-lambda';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Incident } from '../../functions/core/incident.ts';
import type { TimerMessage } from '../../functions/core/inputs.ts';
import { defineRunbook } from '../../functions/core/runbook.ts';
import { RunbookCatalog } from '../../functions/handlers/runbook-catalog.ts';
import type { Runtime } from '../../functions/handlers/runtime.ts';
import { createTimerHandler } from '../../functions/handlers/timer-handler.ts';
import { sqsEvent as localSqsEvent } from '../../local/aws-shapes.ts';
import {
  lambdaContext,
  loadIncident,
  mocks,
  resetMocks,
  TestClock,
  testRuntime,
} from '../support/aws-runtime.ts';
import { alarmInput, keyFor, onInstance, T0, testRunbook } from '../support/fixtures.ts';

// A deploy renames or removes a runbook while its incidents are open: their timers come to functions
// that no longer know it. Each such incident must reach a human once, with that reason, and nothing
// more may run for it.

const other = defineRunbook({ ...testRunbook, name: 'inode-exhaustion', match: { alarmNames: ['inode-*'] } });
const sqsEvent = (...bodies: string[]): SQSEvent => localSqsEvent(bodies);

function timerOf(incident: Incident | undefined): TimerMessage {
  if (!incident?.timer) throw new Error('no timer on the incident');
  return { key: incident.key, incidentId: incident.id, ...incident.timer };
}

describe('an open incident whose runbook is no longer deployed', () => {
  const clock = new TestClock(T0);
  let before: Runtime;
  let after: Runtime;

  beforeAll(async () => {
    ({ runtime: before } = await testRuntime({ runbooks: [testRunbook, other], clock }));
    // The next deploy: same table, and the runbook `disk-full` is gone.
    after = { ...before, runbooks: new RunbookCatalog([other], { [other.name]: 'Doc-inode-exhaustion' }) };
  });
  beforeEach(() => {
    resetMocks();
    clock.value = T0;
  });

  async function fire(runtime: Runtime, timer: TimerMessage) {
    clock.value = Math.max(clock.value, timer.dueAt);
    return createTimerHandler(runtime)(sqsEvent(JSON.stringify(timer)), lambdaContext);
  }
  const pages = () => mocks.sns.commandCalls(PublishCommand).map((call) => call.args[0].input);

  it('is paged once, saying its runbook is gone, and nothing more runs', async () => {
    // Prepare: an attempt of disk-full is running when the deploy lands
    const key = keyFor(testRunbook.name, 'i-0000000000000e001');
    await before.processor.process(key, testRunbook, alarmInput('ALARM', T0, onInstance(key.target)));
    expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, 1);
    mocks.ssm.on(GetCommandInvocationCommand).resolves({ Status: 'Failed', ResponseCode: 1 });
    // Act: its timers reach the new deployment
    await fire(after, timerOf(await loadIncident(after, key)));
    const retry = timerOf(await loadIncident(after, key));
    await fire(after, retry);
    // Assess
    const incident = await loadIncident(after, key);
    expect(incident?.status).toBe('escalated');
    expect(incident?.escalation?.reason).toMatch(/runbook disk-full is no longer deployed/);
    expect(pages()).toHaveLength(1);
    expect(pages()[0]?.Message).toMatch(/no longer deployed/);
    expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, 1);
    // A duplicate delivery of the same timer pages no one again
    await fire(after, retry);
    expect(pages()).toHaveLength(1);
  });

  it('waiting out a backoff, its retry pages instead of running the gone runbook', async () => {
    // Prepare: disk-full failed once and backs off
    const key = keyFor(testRunbook.name, 'i-0000000000000e002');
    await before.processor.process(key, testRunbook, alarmInput('ALARM', T0, onInstance(key.target)));
    mocks.ssm.on(GetCommandInvocationCommand).resolves({ Status: 'Failed', ResponseCode: 1 });
    await fire(before, timerOf(await loadIncident(before, key)));
    expect((await loadIncident(before, key))?.status).toBe('backing-off');
    // Act
    await fire(after, timerOf(await loadIncident(after, key)));
    // Assess
    expect((await loadIncident(after, key))?.status).toBe('escalated');
    expect(pages()).toHaveLength(1);
    expect(mocks.ssm).toHaveReceivedCommandTimes(SendCommandCommand, 1);
  });
});
