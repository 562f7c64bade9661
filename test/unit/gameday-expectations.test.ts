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

describe('judging what people did', () => {
  const ALICE = 'alice (on call)';
  const approvedIncident = (over: Partial<Incident> = {}): Incident =>
    incident({
      proposal: {
        id: `${incident().id}/p1`,
        attempt: 1,
        action: 'restart',
        parameters: { service: 'app' },
        instanceId: ID,
        proposedAt: T0 + 120_000,
        expiresAt: T0 + 1_920_000,
        page: { status: 'sent', dueSince: T0 + 120_000 },
        answer: { kind: 'approved', at: T0 + 150_000, by: ALICE },
      },
      attempts: [
        {
          number: 1,
          by: ALICE,
          action: 'restart',
          requestedAt: T0 + 150_000,
          status: 'succeeded',
          verification: 'passed',
          result: { status: 'Success', responseCode: 0, stdout: 'restarted app' },
        },
      ],
      responders: [
        { at: T0 + 150_000, by: ALICE, verb: 'approve', request: 'r1', detail: 'p1', outcome: 'done' },
      ],
      ...over,
    });
  const command = (action: string, at = T0 + 151_000) => ({
    instanceId: ID,
    runbook: 'service-down',
    action,
    requestedAt: at,
    exitCode: 0,
  });
  const proposalPages = [
    page({ page: 'proposal', at: new Date(T0 + 121_000).toISOString() }),
    page({ page: 'resolution', at: new Date(T0 + 181_000).toISOString() }),
  ];
  const approval = fault({ expect: 'fixed-after-approval' });

  it('holds "fixed-after-approval" for one approved proposal, one command of its action (a diagnosis aside), verified, with its OK page', () => {
    const commands = [command('diagnose', T0 + 150_500), command('restart')];
    expect(verdict(observe(approval, [approvedIncident()], proposalPages, { commands }))).toMatchObject({
      held: true,
      detail: expect.stringContaining(`approved by ${ALICE}; 1 restart command(s) ran`),
    });
  });

  it('fails "fixed-after-approval" when the action ran twice, the proposal was denied, or the OK page is missing', () => {
    const twice = [command('restart'), command('restart', T0 + 160_000)];
    expect(
      verdict(observe(approval, [approvedIncident()], proposalPages, { commands: twice })),
    ).toMatchObject({
      held: false,
      detail: expect.stringContaining('2 restart command(s) ran'),
    });
    const denied = approvedIncident({
      proposal: {
        ...(approvedIncident().proposal as NonNullable<Incident['proposal']>),
        answer: { kind: 'denied', at: T0, by: ALICE },
      },
    });
    expect(
      verdict(observe(approval, [denied], proposalPages, { commands: [command('restart')] })),
    ).toMatchObject({
      held: false,
      detail: expect.stringContaining('was denied'),
    });
    const noOk = [proposalPages[0] as RecordedPage];
    expect(
      verdict(observe(approval, [approvedIncident()], noOk, { commands: [command('restart')] })),
    ).toMatchObject({
      held: false,
      detail: expect.stringContaining('OK page missing'),
    });
    // Fixed by automation alone (no proposal) is not a fix after approval.
    expect(verdict(observe(approval, [incident()], [], { commands: [command('restart')] }))?.held).toBe(
      false,
    );
  });

  const BOB = 'bob (on call)';
  const taken = (over: Partial<Incident> = {}): Incident =>
    incident({
      status: 'resolved',
      resolution: { at: T0 + 600_000, how: 'cleared' },
      escalation: {
        at: T0 + 300_000,
        reason: 'all 3 attempt(s) failed',
        page: { status: 'sent', dueSince: T0 + 300_000 },
        takenBy: BOB,
      },
      owner: { by: BOB, since: T0 + 420_000 },
      responders: [{ at: T0 + 420_000, by: BOB, verb: 'take', request: 'r2', outcome: 'done' }],
      ...over,
    });
  const escalationPages = [
    page({ page: 'escalation', at: new Date(T0 + 301_000).toISOString() }),
    page({ page: 'resolution', at: new Date(T0 + 601_000).toISOString() }),
  ];
  const byHand = fault({ expect: 'fixed-by-hand' });

  it('holds "fixed-by-hand" for an incident escalated once, taken, and closed by the alarm\'s OK with its OK page', () => {
    expect(verdict(observe(byHand, [taken()], escalationPages))).toMatchObject({
      held: true,
      detail: expect.stringContaining(
        `taken by ${BOB}, owned by ${BOB}; 0 attempt(s) after the take; OK page sent`,
      ),
    });
  });

  it('fails "fixed-by-hand" when nobody took it, automation fixed it, or no OK page followed', () => {
    expect(
      verdict(observe(byHand, [taken({ responders: [], owner: undefined })], escalationPages)),
    ).toMatchObject({
      held: false,
      detail: expect.stringContaining('nobody took it'),
    });
    expect(
      verdict(
        observe(byHand, [taken({ resolution: { at: T0 + 600_000, how: 'verified' } })], escalationPages),
      )?.held,
    ).toBe(false);
    expect(verdict(observe(byHand, [taken()], [escalationPages[0] as RecordedPage]))?.held).toBe(false);
  });

  const watching = {
    by: BOB,
    instanceId: ID,
    runbook: 'service-down',
    waitsFor: 'escalation' as const,
    verb: 'take',
    watchFrom: T0,
    watchUntil: T0 + 900_000,
  };
  const responderVerdict = (responders: Observed['responders']) =>
    judge(observe(fault(), [incident()], [], { responders })).find((r) => r.description.startsWith(BOB));

  it("fails a person's expectation clearly when their page never came, or their request was refused", () => {
    expect(responderVerdict([{ ...watching, gaveUpAt: T0 + 900_000 }])).toEqual({
      description: `${BOB} gets the escalation page about service-down on ${ID}, and takes its incident`,
      held: false,
      detail: `no escalation page about service-down on ${ID} came within 15 min of watching`,
    });
    const refused = {
      ...watching,
      pageAt: T0 + 300_000,
      incidentId: incident().id,
      actedAt: T0 + 420_000,
      asked: '00000000000000a1.i-0da00000000000001',
      answer: { ok: false, message: 'take refused: attempt 3 is in flight' },
    };
    expect(responderVerdict([refused])).toMatchObject({
      held: false,
      detail: expect.stringContaining('refused'),
    });
    expect(responderVerdict([{ ...refused, answer: { ok: true, message: 'take done' } }])?.held).toBe(true);
    const failedFix = {
      ...refused,
      answer: { ok: true, message: 'take done' },
      handFix: {
        at: T0 + 430_000,
        finishedAt: T0 + 440_000,
        description: 'rolls back',
        exitCode: 1,
        output: '',
      },
    };
    expect(responderVerdict([failedFix])).toMatchObject({
      held: false,
      detail: expect.stringContaining('exit 1'),
    });
  });
});
