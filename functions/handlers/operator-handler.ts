import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { type Incident, isIncident, isOpen } from '../core/incident.ts';
import type { ResponderInput } from '../core/inputs.ts';
import { SNOOZE_MAX_SECONDS, SNOOZE_MIN_SECONDS } from '../core/lifecycle/responders.ts';
import type { OperatorResponse } from '../core/operator-request.ts';
import type { Runtime } from './runtime.ts';

/**
 * A person's request about one incident (approve, deny, retry, run, snooze, take), from the CLI or a
 * chat button. Whoever may invoke the function may act: authentication is IAM (lambda:InvokeFunction
 * on it). `by` is recorded as the caller gives it (the CLI sends its STS caller identity).
 */

const INCIDENT_VERBS = ['approve', 'deny', 'retry', 'run', 'snooze', 'take'] as const;

const text = (max: number) => z.string().trim().min(1).max(max);

const incidentRequest = z.discriminatedUnion('verb', [
  z.object({
    verb: z.enum(['approve', 'deny']),
    incident: text(200),
    by: text(300),
    request: text(100).optional(),
    proposal: text(220).optional(),
  }),
  z.object({ verb: z.literal('retry'), incident: text(200), by: text(300), request: text(100).optional() }),
  z.object({ verb: z.literal('take'), incident: text(200), by: text(300), request: text(100).optional() }),
  z.object({
    verb: z.literal('run'),
    incident: text(200),
    by: text(300),
    request: text(100).optional(),
    action: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,62}$/, 'an action name: lower-case letters, digits and hyphens'),
  }),
  z.object({
    verb: z.literal('snooze'),
    incident: text(200),
    by: text(300),
    request: text(100).optional(),
    duration: text(20),
  }),
]);

/** The shortest prefix of an incident id a person may give. */
export const MIN_PREFIX = 6;

/** `30m`, `1h`, `2h30m`, `90s`, or bare seconds, as seconds; undefined when it is none of those. */
export function parseDuration(value: string): number | undefined {
  if (/^\d+$/.test(value)) return Number(value);
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(value);
  if (!match || value === '') return undefined;
  const [, h = '0', m = '0', s = '0'] = match;
  return Number(h) * 3600 + Number(m) * 60 + Number(s);
}

/** The closest of `names` to `word` (for "did you mean"), when one is close. */
function closest(word: string, names: readonly string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let previous = row[0] as number;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const current = row[j] as number;
        row[j] = Math.min(
          current + 1,
          (row[j - 1] as number) + 1,
          previous + (a[i - 1] === b[j - 1] ? 0 : 1),
        );
        previous = current;
      }
    }
    return row[b.length] as number;
  };
  const best = names.map((n) => ({ n, d: distance(word, n) })).sort((a, b) => a.d - b.d)[0];
  return best && best.d <= 2 ? best.n : undefined;
}

/** The open incident a person named by its id or a unique prefix of it. */
async function findIncident(runtime: Runtime, named: string): Promise<Incident | string> {
  if (named.length < MIN_PREFIX) return `give at least ${MIN_PREFIX} characters of the incident id`;
  const found: Incident[] = [];
  for (const runbook of runtime.runbooks.all) {
    for (const key of await runtime.store.openKeys(runbook.name)) {
      const record = await runtime.store.load(key);
      if (isIncident(record) && isOpen(record) && record.id.startsWith(named)) found.push(record);
    }
  }
  const exact = found.find((i) => i.id === named);
  if (exact) return exact;
  if (found.length === 1) return found[0] as Incident;
  if (found.length === 0) return `no open incident has an id starting ${JSON.stringify(named)}`;
  return `${found.length} open incidents start with ${JSON.stringify(named)}: ${found
    .slice(0, 5)
    .map((i) => i.id)
    .join(', ')}${found.length > 5 ? ', ...' : ''}; give more of the id`;
}

/** The operator function: one request in, one answer out; never throws for what a caller sent. */
export function createOperatorHandler(runtime: Runtime): (event: unknown) => Promise<OperatorResponse> {
  const { logger } = runtime;
  return async (event) => {
    const verb = (event as { verb?: unknown } | null)?.verb;
    if (typeof verb === 'string' && !(INCIDENT_VERBS as readonly string[]).includes(verb)) {
      const guess = closest(verb, INCIDENT_VERBS);
      const message = `unknown verb ${JSON.stringify(verb.slice(0, 40))}${guess ? `; did you mean ${guess}?` : ''} (${INCIDENT_VERBS.join(', ')})`;
      logger.warn('operator request refused', { reason: message });
      return { ok: false, message };
    }
    const parsed = incidentRequest.safeParse(event);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const message = `the request is not valid: ${issue?.path.join('.') || 'request'}: ${issue?.message ?? 'malformed'}`;
      logger.warn('operator request refused', { reason: message });
      return { ok: false, message };
    }
    const request = parsed.data;
    const incident = await findIncident(runtime, request.incident);
    if (typeof incident === 'string') return { ok: false, message: incident };
    const found = runtime.runbooks.forIncident(incident.key.runbook);
    if (!found) return { ok: false, message: `runbook ${incident.key.runbook} is not known here` };
    const base = { kind: 'responder' as const, by: request.by, request: request.request ?? randomUUID() };
    let input: ResponderInput;
    switch (request.verb) {
      case 'approve':
      case 'deny': {
        const proposal = request.proposal ?? incident.proposal?.id;
        if (!proposal)
          return {
            ok: false,
            message: `incident ${incident.id} has no proposal`,
            incident: incident.id,
            status: incident.status,
          };
        input = { ...base, verb: request.verb, proposal };
        break;
      }
      case 'snooze': {
        const seconds = parseDuration(request.duration);
        if (seconds === undefined || seconds < SNOOZE_MIN_SECONDS || seconds > SNOOZE_MAX_SECONDS)
          return {
            ok: false,
            message: `snooze for 1m to 24h, as 30m, 1h or 2h30m (not ${JSON.stringify(request.duration)})`,
          };
        input = { ...base, verb: 'snooze', seconds };
        break;
      }
      case 'run':
        input = { ...base, verb: 'run', action: request.action };
        break;
      default:
        input = { ...base, verb: request.verb };
    }
    const outcome = await runtime.processor.process(incident.key, found.runbook, input);
    const after = outcome.incident;
    const mine = after?.responders?.find((r) => r.request === input.request);
    const ok = mine?.outcome === 'done';
    const message = mine
      ? `${request.verb} ${ok ? 'done' : `refused: ${mine.reason}`}; incident ${after?.id} is ${after?.status}`
      : `${request.verb} not taken: ${outcome.reason ?? 'nothing changed'}`;
    logger.info('operator request answered', {
      verb: request.verb,
      ok,
      incidentId: incident.id,
      by: request.by,
    });
    return { ok, message, incident: incident.id, ...(after ? { status: after.status } : {}) };
  };
}
