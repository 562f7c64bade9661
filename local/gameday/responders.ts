import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PageEffect } from '../../functions/core/effects.ts';
import type { Notice } from '../../functions/core/fleet-messages.ts';
import type { IncidentRequest, OperatorResponse } from '../../functions/core/operator-request.ts';
import type { Pager } from '../../functions/core/ports.ts';
import type { Runbook } from '../../functions/core/runbook.ts';
import type { FleetInstance } from './fleet.ts';
import type { GameDayResponder } from './record.ts';
import type { ScenarioDefinition, ScenarioResponder } from './scenario.ts';

/** What the scripted people need of the game day. */
export interface RespondersWorld {
  readonly scriptsDir: string;
  readonly fleet: readonly FleetInstance[];
  readonly scheduler: {
    now(): number;
    at(at: number, label: string, run: () => Promise<void>): void;
    hold(): () => void;
  };
  /** The game day's start (virtual epoch ms). */
  readonly start: number;
  /** The operator function, as the CLI and the chat buttons invoke it. */
  readonly operator: (request: IncidentRequest) => Promise<OperatorResponse>;
  /** A line on the game day's output, for each thing a person does. */
  readonly say: (elapsedMs: number, instance: string, text: string) => void;
}

/** The verbs that answer a proposal: they need its page. */
const ANSWERS = new Set(['approve', 'deny']);

/** The responders of a scenario, checked against its fleet and alarms before anything starts. */
export function planResponders(scenario: ScenarioDefinition, size: number, scriptsDir: string): void {
  const alarmed = new Set(scenario.alarms);
  for (const r of scenario.responders ?? []) {
    const who = `responder ${r.by}`;
    if (!alarmed.has(r.runbook))
      throw new Error(`${who}: no alarm of runbook ${r.runbook} in the scenario's alarms`);
    if (!Number.isInteger(r.instance) || r.instance < 1 || r.instance > size)
      throw new Error(`${who} names instance ${r.instance}; the fleet has ${size} (use --instances)`);
    if (!(r.withinMinutes > 0)) throw new Error(`${who}: withinMinutes must be above 0`);
    if (ANSWERS.has(r.verb) && r.waitsFor !== 'proposal')
      throw new Error(`${who}: ${r.verb} answers a proposal; wait for the proposal page`);
    if (r.verb === 'run' && !r.action) throw new Error(`${who}: run needs an action`);
    if (r.verb === 'snooze' && !r.duration) throw new Error(`${who}: snooze needs a duration`);
    if (r.byHand && !existsSync(join(scriptsDir, r.byHand.script)))
      throw new Error(`${who}: no script scenarios/scripts/${r.byHand.script}`);
  }
  for (const [runbook, mode] of Object.entries(scenario.modes ?? {})) {
    if (!alarmed.has(runbook))
      throw new Error(`modes: no alarm of runbook ${runbook} in the scenario's alarms`);
    if (mode !== 'approve' && mode !== 'dry-run')
      throw new Error(`modes: ${runbook}: approve or dry-run, not ${mode}`);
  }
}

/**
 * A prefix of an incident id, as a person types it from a page: the alarm and the instance, without
 * the time stamp (one open incident per alarm and instance makes it unique among open incidents).
 */
export function incidentPrefix(id: string): string {
  const [alarm, target] = id.split('.');
  return alarm && target ? `${alarm}.${target}` : id;
}

interface Watching {
  readonly plan: ScenarioResponder;
  readonly instance: FleetInstance;
  readonly entry: {
    -readonly [K in keyof GameDayResponder]: GameDayResponder[K];
  };
}

/**
 * People on call, scripted: each watches the pager for the page a scenario names, reads it, and acts
 * on its incident through the operator function, then (if the scenario says so) fixes the instance
 * by hand. They react to what the system did: no page, no action, and the log says it never came.
 */
export class ScriptedResponders {
  private readonly world: RespondersWorld;
  private readonly watching: Watching[];
  private readonly scripts = new Map<string, string>();

  constructor(responders: readonly ScenarioResponder[], world: RespondersWorld) {
    this.world = world;
    this.watching = responders.map((plan) => {
      const instance = world.fleet[plan.instance - 1] as FleetInstance;
      return {
        plan,
        instance,
        entry: {
          by: plan.by,
          instanceId: instance.instanceId,
          runbook: plan.runbook,
          waitsFor: plan.waitsFor,
          verb: plan.verb,
          watchFrom: world.start + (plan.atMinutes ?? 0) * 60_000,
          watchUntil: world.start + ((plan.atMinutes ?? 0) + plan.withinMinutes) * 60_000,
        },
      };
    });
    for (const { plan } of this.watching)
      if (plan.byHand)
        this.scripts.set(
          plan.byHand.script,
          readFileSync(join(world.scriptsDir, plan.byHand.script), 'utf8'),
        );
  }

  /** What each person saw and did, for the record. */
  get log(): GameDayResponder[] {
    return this.watching.map((w) => ({ ...w.entry }));
  }

  /** The game day's pager, as the people read it: every page is also looked at by whoever waits for it. */
  watch(inner: Pager): Pager {
    return {
      page: async (effect: PageEffect, runbook: Runbook | undefined) => {
        const id = await inner.page(effect, runbook);
        this.read(effect);
        return id;
      },
      notify: (notice: Notice) => inner.notify(notice),
    };
  }

  /** Each person gives up waiting at the end of their window, if the page never came. */
  start(): void {
    for (const w of this.watching) {
      this.world.scheduler.at(w.entry.watchUntil, `${w.plan.by} stops waiting`, async () => {
        if (w.entry.pageAt !== undefined) return;
        w.entry.gaveUpAt = this.world.scheduler.now();
        this.world.say(
          w.entry.gaveUpAt - this.world.start,
          w.instance.name,
          `PERSON ${w.plan.by}: no ${w.plan.waitsFor} page about ${w.plan.runbook} came in ${w.plan.withinMinutes} min; nothing to ${w.plan.verb}`,
        );
      });
    }
  }

  private read(effect: PageEffect): void {
    const now = this.world.scheduler.now();
    for (const w of this.watching) {
      const { entry, plan } = w;
      if (entry.pageAt !== undefined || entry.gaveUpAt !== undefined) continue;
      if (now < entry.watchFrom || now > entry.watchUntil) continue;
      if (effect.page !== plan.waitsFor) continue;
      if (effect.incident.instanceId !== entry.instanceId || effect.incident.key.runbook !== plan.runbook)
        continue;
      entry.pageAt = now;
      entry.incidentId = effect.incident.id;
      const proposal = effect.page === 'proposal' ? effect.incident.proposal?.id : undefined;
      const actAt = now + (plan.readingMinutes ?? 1) * 60_000;
      this.world.scheduler.at(actAt, `${plan.by} ${plan.verb}s`, () =>
        this.act(w, effect.incident.id, proposal),
      );
    }
  }

  private async act(w: Watching, incidentId: string, proposal: string | undefined): Promise<void> {
    const { plan, entry, instance } = w;
    const base = { incident: incidentPrefix(incidentId), by: plan.by };
    const request: IncidentRequest =
      plan.verb === 'approve' || plan.verb === 'deny'
        ? { ...base, verb: plan.verb, ...(proposal ? { proposal } : {}) }
        : plan.verb === 'run'
          ? { ...base, verb: 'run', action: plan.action as string }
          : plan.verb === 'snooze'
            ? { ...base, verb: 'snooze', duration: plan.duration as string }
            : { ...base, verb: plan.verb };
    entry.actedAt = this.world.scheduler.now();
    entry.asked = base.incident;
    // The clock slows while the person waits for the answer, as it does while a command runs: the
    // request's round trips to the table take real time.
    const waiting = this.world.scheduler.hold();
    const answer = await this.world.operator(request).finally(waiting);
    entry.answeredAt = this.world.scheduler.now();
    entry.answer = {
      ok: answer.ok,
      message: answer.message,
      ...(answer.status ? { status: answer.status } : {}),
    };
    this.world.say(
      entry.answeredAt - this.world.start,
      instance.name,
      `PERSON ${plan.by}: ${plan.verb} ${base.incident}: ${answer.message}`,
    );
    if (!answer.ok || !plan.byHand) return;
    const script = this.scripts.get(plan.byHand.script) as string;
    // The clock slows while a person's command runs, as it does for automation's.
    const release = this.world.scheduler.hold();
    const startedAt = this.world.scheduler.now();
    this.world.say(
      startedAt - this.world.start,
      instance.name,
      `PERSON ${plan.by} by hand: ${plan.byHand.description}`,
    );
    try {
      const run = await instance.sandbox.run(script, { timeoutSeconds: 120 });
      entry.handFix = {
        at: startedAt,
        finishedAt: this.world.scheduler.now(),
        description: plan.byHand.description,
        exitCode: run.exitCode,
        output: `${run.stdout}${run.stderr}`.trim().split('\n').slice(-3).join('\n'),
      };
    } finally {
      release();
    }
    this.world.say(
      entry.handFix.finishedAt - this.world.start,
      instance.name,
      `PERSON ${plan.by} by hand: exit ${entry.handFix.exitCode}${entry.handFix.output ? `: ${entry.handFix.output.split('\n').at(-1)}` : ''}`,
    );
  }
}
