import { randomUUID } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { RequestResync } from '../adapters/aws/eventbridge-resync-request.ts';
import { SCHEDULED_RESYNC } from '../adapters/aws/eventbridge-resync-request.ts';
import type { BreakerRecord } from '../core/fleet.ts';
import type { ModeOverride, Pause } from '../core/gates.ts';
import { keyOfIncidentId } from '../core/identity.ts';
import { type Incident, isIncident, isOpen, latestAttempt } from '../core/incident.ts';
import type { ResponderInput } from '../core/inputs.ts';
import { SNOOZE_MAX_SECONDS } from '../core/lifecycle/responders.ts';
import type {
  FleetRequest,
  IncidentRequest,
  OperatorChannel,
  OperatorResponse,
} from '../core/operator-request.ts';
import type { Runbook } from '../core/runbook.ts';
import { flushMetrics } from './middleware/flush-metrics.ts';
import { parseOperatorRequest } from './operator-schema.ts';
import type { Runtime } from './runtime.ts';

/**
 * The operator function: a person's request, from the CLI or a chat button, about one incident
 * (approve, deny, retry, run, snooze, take) or about the fleet (pause, resume, breaker-close,
 * set-mode). One request in, one answer out; it never throws for what a caller sent.
 *
 * Who may act is decided by IAM: whoever may call `lambda:InvokeFunction` on this function (an
 * operator's credentials through the CLI, a chat channel's role through its custom actions) may ask
 * anything of it. Lambda does not pass the caller's identity on Invoke, so `by` is recorded as the
 * caller gives it (the CLI sends its STS caller identity; a chat button has no user to send, and is
 * recorded as `chat:an unnamed caller`), prefixed with the channel the request says it came from
 * (`cli:`, `chat:`). An incident request is
 * an input to the decider like any other: every gate is asked, and it is recorded on the incident,
 * done or refused, with who and when.
 */

/** The shortest prefix of an incident id a person may give. */
export const MIN_PREFIX = 6;
/** The shortest and longest snooze a person may ask for. */
export const SNOOZE_FLOOR_SECONDS = 5 * 60;
export const SNOOZE_CEILING_SECONDS = SNOOZE_MAX_SECONDS;
/** How many candidates an ambiguous prefix lists. */
const SHOWN_CANDIDATES = 5;

/**
 * The fleet notices a change by an operator sends (the pager's, as the breaker's own are): a pause
 * once for all it holds, its end, a breaker closed and a mode lifted, each with their OK where a page
 * was open. Best effort: a notice that fails is logged, and the change stands.
 */
export interface OperatorAnnouncements {
  announcePause(runbook: Runbook | undefined, pause: Pause): Promise<unknown>;
  /** `pause` is the pause lifted, when it was read before. */
  announceResume(runbook: Runbook | undefined, by: string, pause?: Pause): Promise<unknown>;
  announceBreakerClosed(runbook: Runbook, closed: BreakerRecord): Promise<unknown>;
  /** `previous` is the switch lifted, when it was read before. */
  announceModeCleared(
    runbook: Runbook,
    cleared: { readonly by: string; readonly at: number; readonly previous?: ModeOverride },
  ): Promise<unknown>;
}

/** What the operator function uses beyond the runtime (the Lambda entry passes the AWS ones). */
export interface OperatorOptions {
  /** Asks the resync function to look again now; without it, the scheduled resync does. */
  readonly requestResync?: RequestResync;
  readonly announcements?: OperatorAnnouncements;
  /** Request ids for requests that carry none. */
  readonly newRequestId?: () => string;
}

/** `30m`, `1h`, `2h30m`, `90s`, or bare seconds, as seconds; undefined when it is none of those. */
export function parseDuration(value: string): number | undefined {
  const text = value.trim().toLowerCase();
  if (/^\d{1,9}$/.test(text)) return Number(text);
  const match = /^(?:(\d{1,4})h)?(?:(\d{1,6})m)?(?:(\d{1,9})s)?$/.exec(text);
  if (!match || text === '') return undefined;
  const [, h = '0', m = '0', s = '0'] = match;
  return Number(h) * 3600 + Number(m) * 60 + Number(s);
}

/** `by` as recorded: what the caller says, behind the channel it came through. */
export function recordedBy(by: string | undefined, channel: OperatorChannel | undefined): string {
  const who = by ?? 'an unnamed caller';
  return channel && !who.startsWith(`${channel}:`) ? `${channel}:${who}` : who;
}

/** The operator function's handler around a runtime. */
export function createOperatorHandler(
  runtime: Runtime,
  options: OperatorOptions = {},
): (event: unknown) => Promise<OperatorResponse> {
  const { logger } = runtime;
  return async (event) => {
    const request = parseOperatorRequest(event);
    if (typeof request === 'string') {
      logger.warn('operator request refused', { reason: request });
      return { ok: false, message: request };
    }
    const by = recordedBy(request.by, request.channel);
    try {
      const answer =
        'incident' in request
          ? await answerIncident(runtime, options, request, by)
          : await answerFleet(runtime, options, request, by);
      logger.info('operator request answered', {
        verb: request.verb,
        by,
        ok: answer.ok,
        message: answer.message,
        ...(answer.incident ? { incidentId: answer.incident } : {}),
      });
      return answer;
    } catch (error) {
      // DynamoDB or the processor failed: say so, as nothing may have been done.
      logger.error('operator request failed', { verb: request.verb, by, error });
      const why = error instanceof Error ? error.message : String(error);
      return {
        ok: false,
        message: `${request.verb} failed: ${why.slice(0, 300)}; it may not have been done (look with incidents show, then ask again)`,
      };
    }
  };
}

/** The Lambda handler, built once per container around a runtime. */
export function createOperatorLambda(runtime: Runtime, options: OperatorOptions = {}) {
  const operator = createOperatorHandler(runtime, options);
  return middy<unknown, OperatorResponse>()
    .use(injectLambdaContext(runtime.logger, { resetKeys: true }))
    .use(flushMetrics(runtime.metrics))
    .handler((event) => operator(event));
}

/** Finds the incident, asks the decider, and says what became of the request. */
async function answerIncident(
  runtime: Runtime,
  options: OperatorOptions,
  request: IncidentRequest,
  by: string,
): Promise<OperatorResponse> {
  const found = await findIncident(runtime, request.incident);
  if (typeof found === 'string') return { ok: false, message: found };
  const incident = found;
  const runbook = runtime.runbooks.forIncident(incident.key.runbook)?.runbook;
  if (!runbook)
    return {
      ok: false,
      message: `incident ${incident.id}'s runbook ${incident.key.runbook} is not one this deployment knows`,
      incident: incident.id,
      status: incident.status,
    };
  const base = {
    kind: 'responder' as const,
    by,
    request: request.request ?? (options.newRequestId ?? randomUUID)(),
  };
  let input: ResponderInput;
  switch (request.verb) {
    case 'approve':
    case 'deny':
      // Without a proposal named, the incident's current one (the decider refuses if there is none).
      input = { ...base, verb: request.verb, proposal: request.proposal ?? incident.proposal?.id ?? '' };
      break;
    case 'snooze': {
      const seconds = parseDuration(request.duration);
      if (seconds === undefined || seconds < SNOOZE_FLOOR_SECONDS || seconds > SNOOZE_CEILING_SECONDS)
        return {
          ok: false,
          message: `snooze for 5m to 24h, as 30m, 1h, 2h30m or seconds (not ${JSON.stringify(request.duration.slice(0, 20))})`,
          incident: incident.id,
          status: incident.status,
        };
      input = { ...base, verb: 'snooze', seconds };
      break;
    }
    case 'run':
      input = { ...base, verb: 'run', action: request.action };
      break;
    case 'retry':
    case 'take':
      input = { ...base, verb: request.verb };
      break;
  }
  const outcome = await runtime.processor.process(incident.key, runbook, input);
  // As it stands after the decision's own follow-ups (the command SSM accepted, the page SNS took).
  const reread = outcome.changed ? await runtime.store.load(incident.key) : undefined;
  const after = isIncident(reread) && reread.id === incident.id ? reread : outcome.incident;
  const mine = after?.responders?.find((r) => r.request === input.request);
  if (!mine || !after)
    return {
      ok: false,
      message: `${request.verb} not taken: ${outcome.reason ?? 'the incident did not change'}`,
      incident: incident.id,
      ...(after ? { status: after.status } : {}),
    };
  const again = outcome.changed ? '' : `request ${input.request} was answered before: `;
  const ok = mine.outcome === 'done';
  const message = ok
    ? `${again}${doneLine(request.verb, after, mine.by)}`
    : `${again}${request.verb} refused: ${mine.reason ?? 'no reason given'}; incident ${after.id} is ${after.status}`;
  return { ok, message, incident: after.id, status: after.status };
}

/** What a request that was done did, in one line. */
function doneLine(verb: IncidentRequest['verb'], incident: Incident, by: string): string {
  const attempt = latestAttempt(incident);
  const started = attempt
    ? `attempt ${attempt.number} (${attempt.action ?? 'the runbook'}) ${attempt.commandId ? `sent as command ${attempt.commandId}` : attempt.status} on ${incident.instanceId ?? 'the instance'}`
    : 'an attempt';
  switch (verb) {
    case 'approve':
      return `approved ${incident.proposal?.id}: ${started}; incident ${incident.id} is ${incident.status}`;
    case 'deny':
      return `denied ${incident.proposal?.id}: nothing runs, and ${by} holds incident ${incident.id} (${incident.status})`;
    case 'retry':
    case 'run':
      return `${started}; incident ${incident.id} is ${incident.status}`;
    case 'snooze':
      return `incident ${incident.id} is snoozed until ${iso(incident.snoozedUntil)}: automation stands down; if the alarm is still in ALARM then, it pages again`;
    case 'take':
      return `${by} holds incident ${incident.id} (${incident.status}): automation stands down; the alarm's OK still closes it`;
  }
}

/**
 * The incident a person named, by its full id or a prefix of at least {@link MIN_PREFIX} characters
 * of an open one; otherwise why not, in a line. A full id is read straight from its key (the id
 * names it: alarm, target, time); a prefix is matched against the keys in the open-incidents index
 * (a Query per shard of each runbook, keys only; an id starts with its key's alarm and target), and
 * only the keys it could be are read.
 */
async function findIncident(runtime: Runtime, named: string): Promise<Incident | string> {
  // A full id names its key; the runbook matters only to a record of the previous layout, kept per
  // runbook: each is tried until one holds it.
  let current: Incident | undefined;
  let namesKey = false;
  for (const runbook of runtime.runbooks.all) {
    const key = keyOfIncidentId(named, runbook.name);
    if (!key) break;
    namesKey = true;
    const record = await runtime.store.load(key);
    if (isIncident(record)) {
      current = record;
      break;
    }
  }
  if (namesKey) {
    if (current?.id === named) {
      if (isOpen(current)) return current;
      return `incident ${named} is closed (${current.resolution?.how ?? 'resolved'} at ${iso(current.closedAt ?? current.updatedAt)}); nothing to do`;
    }
    if (current)
      return `incident ${named} is closed; its alarm's incident now is ${current.id} (${current.status})`;
    // Not under its key as this version stores it: an incident of the previous layout is found below.
  }
  if (named.length < MIN_PREFIX) return `give at least ${MIN_PREFIX} characters of the incident id`;
  const keys = (await Promise.all(runtime.runbooks.all.map((r) => runtime.store.openKeys(r.name)))).flat();
  const possible = keys.filter((k) => {
    const stem = `${k.alarm}.${k.target}.`;
    return stem.startsWith(named) || named.startsWith(stem);
  });
  const loaded = await Promise.all(possible.map((k) => runtime.store.load(k)));
  const found = loaded.filter((r): r is Incident => isIncident(r) && isOpen(r) && r.id.startsWith(named));
  if (found.length === 1) return found[0] as Incident;
  if (found.length === 0)
    return `no open incident has an id starting ${JSON.stringify(named)} (one opened a moment ago may not be listed yet: give its full id)`;
  const shown = found
    .sort((a, b) => b.openedAt - a.openedAt)
    .slice(0, SHOWN_CANDIDATES)
    .map((i) => `${i.id} (${i.status}, ${i.key.runbook} on ${i.instanceId ?? i.key.target})`);
  const more = found.length > SHOWN_CANDIDATES ? `, and ${found.length - SHOWN_CANDIDATES} more` : '';
  return `${found.length} open incidents start with ${JSON.stringify(named)}: ${shown.join('; ')}${more}; give more of the id`;
}

/** Pause, resume, breaker close and the runbook's mode: the same changes as the CLI's, announced. */
async function answerFleet(
  runtime: Runtime,
  options: OperatorOptions,
  request: FleetRequest,
  by: string,
): Promise<OperatorResponse> {
  const now = runtime.clock.now();
  const named = request.runbook;
  const runbook = named ? runtime.runbooks.byName(named) : undefined;
  if (named && !runbook)
    return {
      ok: false,
      message: `runbook ${named} is not one of this deployment's (${runtime.runbooks.all.map((r) => r.name).join(', ')})`,
    };
  const what = runbook ? `runbook ${runbook.name}` : 'all runbooks';
  const announce = async (notice: string, send: (a: OperatorAnnouncements) => Promise<unknown>) => {
    if (!options.announcements) return;
    try {
      await send(options.announcements);
    } catch (error) {
      runtime.logger.warn('operator notice not sent; the change stands', { notice, error });
    }
  };
  const resync = async (cause: 'resumed' | 'breaker-closed') =>
    options.requestResync
      ? options.requestResync({ cause, by, ...(runbook ? { runbook: runbook.name } : {}) })
      : SCHEDULED_RESYNC;
  switch (request.verb) {
    case 'pause': {
      const pause = { reason: request.reason, by, since: now };
      await runtime.killSwitch.pause(runbook?.name, pause);
      await announce('pause', (a) =>
        a.announcePause(runbook, { ...pause, scope: runbook ? 'this runbook' : 'all runbooks' }),
      );
      return { ok: true, message: `paused ${what}: ${request.reason}` };
    }
    case 'resume': {
      // The pause being lifted, for the words of its OK.
      const record = (await runtime.killSwitch.list()).find((p) => p.runbook === runbook?.name);
      const lifted = await runtime.killSwitch.resume(runbook?.name);
      if (!lifted) return { ok: true, message: `${what} ${runbook ? 'was' : 'were'} not paused` };
      const pause = record ? (({ runbook: _runbook, ...rest }) => rest)(record) : undefined;
      await announce('resume', (a) => a.announceResume(runbook, by, pause));
      return { ok: true, message: `resumed ${what}; ${await resync('resumed')}` };
    }
    case 'breaker-close': {
      const target = runbook as Runbook;
      const closed = await runtime.fleet.closeBreaker(target.name, { at: now, by, reason: request.reason });
      if (!closed) return { ok: true, message: `the breaker of runbook ${target.name} was not open` };
      await announce('breaker closed', (a) => a.announceBreakerClosed(target, closed));
      return {
        ok: true,
        message: `closed the breaker of runbook ${target.name} (open since ${iso(closed.openedAt)}, ${closed.instances.length} instances); ${await resync('breaker-closed')}`,
      };
    }
    case 'set-mode': {
      const target = runbook as Runbook;
      if (request.mode === 'enforce') {
        const { mode: previous } = await runtime.fleet.read(target, undefined, now);
        const cleared = await runtime.fleet.clearMode(target.name, now);
        if (!cleared)
          return {
            ok: true,
            message: `runbook ${target.name} was not switched; it runs as deployed (${target.mode})`,
          };
        await announce('mode cleared', (a) =>
          a.announceModeCleared(target, { by, at: now, ...(previous ? { previous } : {}) }),
        );
        return { ok: true, message: `runbook ${target.name} runs as deployed again (${target.mode})` };
      }
      if (!request.reason)
        return {
          ok: false,
          message: `set-mode ${request.mode} needs a reason: the record and the pages say why`,
        };
      const override: ModeOverride = { mode: request.mode, reason: request.reason, by, since: now };
      const set = await runtime.fleet.setMode(target.name, override);
      return {
        ok: true,
        message: set
          ? `runbook ${target.name} is in ${request.mode} mode: ${request.reason}`
          : `runbook ${target.name} was already in ${request.mode} mode`,
      };
    }
  }
}

function iso(at: number | undefined): string {
  return at === undefined ? 'an unknown time' : new Date(at).toISOString();
}
