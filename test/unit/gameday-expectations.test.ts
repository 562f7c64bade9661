import { describe, expect, it } from 'vitest';
import type { Incident } from '../../functions/core/incident.ts';
import { judge, type Observed } from '../../local/gameday/expectations.ts';
import type { ScenarioDefinition, ScenarioFault } from '../../local/gameday/scenario.ts';
import type { RecordedPage } from '../../local/local-ports.ts';

const T0 = Date.parse('2026-11-21T03:00:00Z');
const ID = 'i-0da00000000000001';

const fault = (over: Partial<ScenarioFault> = {}): ScenarioFault => ({
  atMinutes: 1,
  instances: [1],
  runbook: 'service-down',
  description: 'app crashes',
  expect: 'fixed',
  ...over,
});

function incident(over: Partial<Incident> = {}): Incident {
  return {
    id: 'service-down.i-0da00000000000001.20261121T030200000Z',
    key: { runbook: 'service-down', alarm: '00000000000000a1', target: ID },
    instanceId: ID,
    alarm: { name: 'service-down-web-1', arn: 'arn', account: '1', region: 'us-east-1', reason: 'r' },
    status: 'resolved',
    alarmState: 'OK',
    alarmStateAt: T0 + 180_000,
    openedAt: T0 + 120_000,
    updatedAt: T0 + 180_000,
    closedAt: T0 + 180_000,
    resolution: { at: T0 + 180_000, how: 'verified' },
    attempts: [
      {
        number: 1,
        requestedAt: T0 + 120_000,
        status: 'succeeded',
        verification: 'passed',
        result: { status: 'Success', responseCode: 0, stdout: 'restarted app' },
      },
    ],
    history: [],
    version: 4,
    ...over,
  };
}

function observe(
  f: ScenarioFault,
  incidents: Incident[],
  pages: RecordedPage[] = [],
  extra: Partial<Observed> = {},
): Observed {
  const scenario: ScenarioDefinition = {
    name: 't',
    description: 't',
    alarms: ['service-down'],
    faults: [f],
    endsAtMinutes: 10,
  };
  return {
    scenario,
    plan: [{ fault: f, instanceIds: [ID] }],
    faults: [{ at: T0 + 60_000, instanceId: ID, fault: 'x', description: f.description, injected: true }],
    incidents,
    pages,
    failures: [],
    ...extra,
  };
}

const page = (over: Partial<RecordedPage>): RecordedPage => ({
  messageId: 'm',
  at: new Date(T0).toISOString(),
  page: 'escalation',
  incidentId: incident().id,
  subject: 'ALARM: x',
  body: '',
  ...over,
});

const verdict = (observed: Observed) => judge(observed)[0];

describe('judging a game day', () => {
  it('holds "fixed" only for an incident resolved by a verified remediation, with no page', () => {
    expect(verdict(observe(fault(), [incident()]))?.held).toBe(true);
    expect(verdict(observe(fault(), [incident({ resolution: { at: T0, how: 'cleared' } })]))?.held).toBe(
      false,
    );
    expect(verdict(observe(fault(), [incident()], [page({})]))?.held).toBe(false);
  });

  it('holds "escalated" for exactly one page that carries what the last attempt printed', () => {
    const escalated = incident({
      status: 'escalated',
      attempts: [
        {
          number: 1,
          requestedAt: T0,
          status: 'failed',
          result: { status: 'Failed', responseCode: 1, stderr: 'FAILED: app did not stay up' },
        },
      ],
    });
    const f = fault({ expect: 'escalated' });
    expect(
      verdict(observe(f, [escalated], [page({ body: '... FAILED: app did not stay up ...' })]))?.held,
    ).toBe(true);
    expect(verdict(observe(f, [escalated], [page({ body: 'no output here' })]))?.held).toBe(false);
    expect(
      verdict(
        observe(
          f,
          [escalated],
          [page({ body: 'FAILED: app did not stay up' }), page({ body: 'FAILED: app did not stay up' })],
        ),
      )?.held,
    ).toBe(false);
  });

  it('requires the gate the scenario names', () => {
    const flapping = incident({
      status: 'escalated',
      attempts: [],
      refusals: [{ gate: 'cooldown', reason: 'flapping', at: T0 }],
    });
    expect(
      verdict(observe(fault({ expect: 'escalated', gate: 'cooldown' }), [flapping], [page({})]))?.held,
    ).toBe(true);
    expect(
      verdict(observe(fault({ expect: 'escalated', gate: 'breaker' }), [flapping], [page({})]))?.held,
    ).toBe(false);
  });

  it('fails a fault that never ran, and an incident opened before the fault', () => {
    expect(verdict(observe(fault(), [incident()], [], { faults: [] }))?.detail).toBe('the fault never ran');
    expect(verdict(observe(fault(), [incident({ openedAt: T0 })]))?.detail).toBe(
      'no service-down incident opened after the fault',
    );
  });

  it('fails the game day when an incident is left mid-flight, a breaker paged the wrong number of times, or anything failed', () => {
    const observed = observe(fault(), [incident(), incident({ id: 'other', status: 'waiting' })], [], {
      failures: ['bus rule alarm: boom'],
    });
    const withBreaker = {
      ...observed,
      scenario: { ...observed.scenario, breakers: [{ runbook: 'disk-full', groupPages: 1 }] },
    };
    const results = judge(withBreaker);
    expect(results.find((r) => r.description.startsWith('the disk-full fleet breaker'))).toMatchObject({
      held: false,
      detail: '0 group page(s)',
    });
    expect(results.find((r) => r.description.startsWith('every incident ended'))).toMatchObject({
      held: false,
      detail: 'other is waiting',
    });
    expect(results.find((r) => r.description.startsWith('no handler'))).toMatchObject({
      held: false,
      detail: 'bus rule alarm: boom',
    });
  });

  it('passes a host of a fleet fault that ends fixed, or covered by an open breaker, and fails one left suppressed after the breaker closed', () => {
    const storm = fault({ runbook: 'disk-full', expect: 'fixed-or-suppressed' });
    const refusal = { gate: 'breaker' as const, reason: 'open', at: T0 + 120_000 };
    const suppressed = incident({
      key: { runbook: 'disk-full', alarm: '00000000000000a1', target: ID },
      status: 'suppressed',
      closedAt: undefined,
      resolution: undefined,
      refusals: [refusal],
    });
    const fixedAfter = incident({ key: suppressed.key, refusals: [refusal] });
    const open = [{ runbook: 'disk-full', instances: [ID], paged: true }];
    expect(verdict(observe(storm, [fixedAfter]))?.held).toBe(true);
    expect(verdict(observe(storm, [suppressed], [], { breakers: open }))?.held).toBe(true);
    expect(verdict(observe(storm, [suppressed], [], { breakers: [] }))).toMatchObject({
      held: false,
      detail: expect.stringMatching(/suppressed/),
    });
  });
});
