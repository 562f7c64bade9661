import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PageEffect } from '../../functions/core/effects.ts';
import type { Incident } from '../../functions/core/incident.ts';
import type { IncidentRequest, OperatorResponse } from '../../functions/core/operator-request.ts';
import type { FleetInstance } from '../../local/gameday/fleet.ts';
import { incidentPrefix, planResponders, ScriptedResponders } from '../../local/gameday/responders.ts';
import type { ScenarioDefinition, ScenarioResponder } from '../../local/gameday/scenario.ts';

const T0 = Date.parse('2026-11-21T03:00:00Z');
const MIN = 60_000;
const WEB_1 = 'i-0da00000000000001';
const WEB_2 = 'i-0da00000000000002';
const ID = `00000000000000a1.${WEB_1}.20261121T030200000Z`;

/** A clock that moves only when told, running what falls due in order. */
class ManualClock {
  private current = T0;
  private readonly due: { at: number; run: () => Promise<void> }[] = [];
  holds = 0;
  now(): number {
    return this.current;
  }
  at(at: number, _label: string, run: () => Promise<void>): void {
    this.due.push({ at, run });
  }
  hold(): () => void {
    this.holds += 1;
    return () => {
      this.holds -= 1;
    };
  }
  async advance(to: number): Promise<void> {
    for (;;) {
      this.due.sort((a, b) => a.at - b.at);
      const next = this.due[0];
      if (!next || next.at > to) break;
      this.due.shift();
      this.current = Math.max(this.current, next.at);
      await next.run();
    }
    this.current = to;
  }
}

function world(responders: ScenarioResponder[], answer: OperatorResponse = { ok: true, message: 'done' }) {
  const clock = new ManualClock();
  const asked: IncidentRequest[] = [];
  const ran: string[] = [];
  const said: string[] = [];
  const scriptsDir = mkdtempSync(join(tmpdir(), 'responder-scripts-'));
  writeFileSync(join(scriptsDir, 'fix.sh'), 'echo fixed\n');
  const instance = (n: number, instanceId: string): FleetInstance => ({
    name: `web-${n}`,
    instanceId,
    availabilityZone: 'us-east-1a',
    instanceType: 'm6i.large',
    imageId: 'ami-1',
    tags: {},
    sandbox: {
      id: `sbx-${n}`,
      name: `web-${n}`,
      root: '/nowhere',
      initPid: 1,
      run: async (script) => {
        ran.push(`${instanceId}: ${script.trim()}`);
        return { exitCode: 0, stdout: 'fixed\n', stderr: '', timedOut: false } as never;
      },
      destroy: async () => {},
    },
  });
  const people = new ScriptedResponders(responders, {
    scriptsDir,
    fleet: [instance(1, WEB_1), instance(2, WEB_2)],
    scheduler: clock,
    start: T0,
    operator: async (request) => {
      asked.push(request);
      return answer;
    },
    say: (elapsed, name, text) => said.push(`${elapsed / MIN} ${name} ${text}`),
  });
  const pages: string[] = [];
  const pager = people.watch({
    page: async (effect) => {
      pages.push(effect.page);
      return `m-${pages.length}`;
    },
    notify: async () => 'n',
  });
  people.start();
  return { clock, asked, ran, said, people, pager };
}

const effect = (page: PageEffect['page'], over: Partial<Incident> = {}): PageEffect => ({
  kind: 'page',
  page,
  incident: {
    id: ID,
    key: { runbook: 'disk-full', alarm: '00000000000000a1', target: WEB_1 },
    instanceId: WEB_1,
    proposal: { id: `${ID}/p1` },
    ...over,
  } as Incident,
});

const alice: ScenarioResponder = {
  by: 'alice (on call)',
  instance: 1,
  runbook: 'disk-full',
  waitsFor: 'proposal',
  withinMinutes: 10,
  readingMinutes: 1,
  verb: 'approve',
};

describe('scripted people on call', () => {
  it('act only once their page comes, after reading it, naming the incident by a prefix and the proposal by its id', async () => {
    const { clock, asked, pager, people } = world([alice]);
    await clock.advance(T0 + 3 * MIN);
    expect(asked).toEqual([]);
    // Another instance's page, and an escalation, are not the page alice waits for.
    await pager.page(
      effect('proposal', {
        instanceId: WEB_2,
        key: { runbook: 'disk-full', alarm: '00000000000000a1', target: WEB_2 },
      }),
      undefined,
    );
    await pager.page(effect('escalation'), undefined);
    await clock.advance(T0 + 5 * MIN);
    expect(asked).toEqual([]);
    await pager.page(effect('proposal'), undefined);
    await clock.advance(T0 + 5 * MIN + 59_000);
    expect(asked).toEqual([]);
    await clock.advance(T0 + 6 * MIN);
    expect(asked).toEqual([
      { verb: 'approve', incident: `00000000000000a1.${WEB_1}`, by: 'alice (on call)', proposal: `${ID}/p1` },
    ]);
    expect(people.log[0]).toMatchObject({
      pageAt: T0 + 5 * MIN,
      actedAt: T0 + 6 * MIN,
      incidentId: ID,
      answer: { ok: true, message: 'done' },
    });
    // A second page of the same kind does not make her act again.
    await pager.page(effect('proposal'), undefined);
    await clock.advance(T0 + 9 * MIN);
    expect(asked).toHaveLength(1);
  });

  it('say so, and do nothing, when the page never comes within the window', async () => {
    const { clock, asked, said, people, pager } = world([alice]);
    await clock.advance(T0 + 11 * MIN);
    await pager.page(effect('proposal'), undefined);
    await clock.advance(T0 + 15 * MIN);
    expect(asked).toEqual([]);
    expect(people.log[0]).toMatchObject({ gaveUpAt: T0 + 10 * MIN });
    expect(people.log[0]?.pageAt).toBeUndefined();
    expect(said).toEqual([
      '10 web-1 PERSON alice (on call): no proposal page about disk-full came in 10 min; nothing to approve',
    ]);
  });

  it('fix the instance by hand after their request is done, and not when it was refused', async () => {
    const bob: ScenarioResponder = {
      ...alice,
      by: 'bob (on call)',
      waitsFor: 'escalation',
      verb: 'take',
      byHand: { script: 'fix.sh', description: 'rolls back' },
    };
    const done = world([bob]);
    await done.pager.page(effect('escalation'), undefined);
    await done.clock.advance(T0 + 2 * MIN);
    expect(done.asked).toEqual([
      { verb: 'take', incident: `00000000000000a1.${WEB_1}`, by: 'bob (on call)' },
    ]);
    expect(done.ran).toEqual([`${WEB_1}: echo fixed`]);
    expect(done.people.log[0]?.handFix).toMatchObject({
      exitCode: 0,
      description: 'rolls back',
      output: 'fixed',
    });
    expect(done.clock.holds).toBe(0);

    const refused = world([bob], { ok: false, message: 'take refused: a command is in flight' });
    await refused.pager.page(effect('escalation'), undefined);
    await refused.clock.advance(T0 + 2 * MIN);
    expect(refused.asked).toHaveLength(1);
    expect(refused.ran).toEqual([]);
  });
});

describe('planResponders', () => {
  const scenario = (over: Partial<ScenarioDefinition>): ScenarioDefinition => ({
    name: 't',
    description: 't',
    alarms: ['disk-full'],
    faults: [],
    endsAtMinutes: 10,
    ...over,
  });
  const dir = mkdtempSync(join(tmpdir(), 'responder-plan-'));

  it('refuses, before anything starts, a person on an instance the fleet lacks, an answer without a proposal, a runbook without alarms, a missing script, and an unknown mode', () => {
    expect(() => planResponders(scenario({ responders: [{ ...alice, instance: 3 }] }), 2, dir)).toThrow(
      'names instance 3; the fleet has 2',
    );
    expect(() =>
      planResponders(scenario({ responders: [{ ...alice, waitsFor: 'escalation' }] }), 2, dir),
    ).toThrow('approve answers a proposal');
    expect(() =>
      planResponders(scenario({ responders: [{ ...alice, runbook: 'service-down' }] }), 2, dir),
    ).toThrow('no alarm of runbook service-down');
    expect(() =>
      planResponders(
        scenario({ responders: [{ ...alice, byHand: { script: 'nope.sh', description: 'x' } }] }),
        2,
        dir,
      ),
    ).toThrow('no script scenarios/scripts/nope.sh');
    expect(() => planResponders(scenario({ modes: { 'service-down': 'approve' } }), 2, dir)).toThrow(
      'modes: no alarm of runbook service-down',
    );
    expect(() =>
      planResponders(scenario({ responders: [alice], modes: { 'disk-full': 'approve' } }), 2, dir),
    ).not.toThrow();
  });

  it('gives the incident id without its time stamp as the prefix a person types', () => {
    expect(incidentPrefix(ID)).toBe(`00000000000000a1.${WEB_1}`);
    expect(incidentPrefix('odd')).toBe('odd');
  });
});
