import { closest as nearest } from '../core/edit-distance.ts';
import type { OperatorRequest } from '../core/operator-request.ts';
import * as z from './zod-locale.ts';

/**
 * What the operator function accepts. A request comes from a person's terminal or a chat button, so
 * every field is checked for what it can be: ids, names and verbs from their own alphabets, free text
 * (who, why) without control characters and of bounded length. Nothing here ever becomes shell text:
 * an action is a name the runbook must have, never a command.
 */

/** The verbs about one incident. */
export const INCIDENT_VERBS = ['approve', 'deny', 'retry', 'run', 'snooze', 'take'] as const;
/** The verbs about the kill switch, a runbook's breaker or its mode. */
export const FLEET_VERBS = ['pause', 'resume', 'breaker-close', 'set-mode'] as const;
export const OPERATOR_VERBS: readonly string[] = [...INCIDENT_VERBS, ...FLEET_VERBS];

/**
 * The longest `by`: an STS assumed-role ARN (role and session names of up to 64 characters each)
 * fits, and so does a chat user; `<channel>:` is added in front.
 */
export const MAX_BY = 256;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

const text = (max: number, what: string) =>
  z.string().check(
    z.trim(),
    z.minLength(1, `${what} is empty`),
    z.maxLength(max, `${what} is longer than ${max} characters`),
    z.refine((value) => !CONTROL.test(value), `${what} holds control characters`),
  );

const by = z.optional(text(MAX_BY, 'by'));
const channel = z.optional(z.enum(['cli', 'chat']));
const reason = text(500, 'reason');
const runbook = z
  .string()
  .check(
    z.maxLength(40, 'a runbook name has at most 40 characters'),
    z.regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'a runbook name: lower-case letters, digits and hyphens'),
  );
const incident = z
  .string()
  .check(
    z.trim(),
    z.minLength(1, 'name the incident by its id or a prefix of it'),
    z.maxLength(80, 'an incident id has at most 56 characters'),
    z.regex(/^[0-9A-Za-z.-]+$/, 'an incident id: letters, digits, dots and hyphens'),
  );
const request = z.optional(
  z
    .string()
    .check(
      z.trim(),
      z.minLength(1),
      z.maxLength(100),
      z.regex(/^[A-Za-z0-9._:-]+$/, 'a request id: letters, digits and . _ : -'),
    ),
);

const aboutIncident = { incident, by, channel, request };

const incidentRequest = z.discriminatedUnion('verb', [
  z.object({
    verb: z.enum(['approve', 'deny']),
    ...aboutIncident,
    proposal: z.optional(
      z
        .string()
        .check(
          z.trim(),
          z.maxLength(100),
          z.regex(/^[0-9A-Za-z.-]+\/p\d{1,4}$/, 'a proposal id: <incident id>/p<attempt>'),
        ),
    ),
  }),
  z.object({ verb: z.literal('retry'), ...aboutIncident }),
  z.object({ verb: z.literal('take'), ...aboutIncident }),
  z.object({
    verb: z.literal('run'),
    ...aboutIncident,
    action: z
      .string({ error: 'run needs the name of an action of the runbook' })
      .check(z.regex(/^[a-z][a-z0-9-]{0,62}$/, 'an action name: lower-case letters, digits and hyphens')),
  }),
  z.object({
    verb: z.literal('snooze'),
    ...aboutIncident,
    duration: z.pipe(
      z.union(
        [
          z.string().check(z.trim(), z.minLength(1), z.maxLength(20)),
          z.int().check(z.positive(), z.maximum(10_000_000)),
        ],
        { error: 'snooze needs a duration: 30m, 1h, 2h30m or seconds' },
      ),
      z.transform(String),
    ),
  }),
]);

const fleetRequest = z.discriminatedUnion('verb', [
  z.object({ verb: z.literal('pause'), runbook: z.optional(runbook), reason, by, channel }),
  z.object({ verb: z.literal('resume'), runbook: z.optional(runbook), by, channel }),
  z.object({ verb: z.literal('breaker-close'), runbook, reason, by, channel }),
  z.object({
    verb: z.literal('set-mode'),
    runbook,
    mode: z.enum(['enforce', 'approve', 'dry-run']),
    reason: z.optional(reason),
    by,
    channel,
  }),
]);

/** Every request the operator function takes. */
export const operatorRequest = z.union([incidentRequest, fleetRequest]);

/** A request as parsed, or one line that says what is wrong with it (naming the closest verb). */
export function parseOperatorRequest(event: unknown): OperatorRequest | string {
  if (typeof event !== 'object' || event === null || Array.isArray(event))
    return `the request is not a JSON object; it names a verb (${OPERATOR_VERBS.join(', ')})`;
  const verb = (event as { verb?: unknown }).verb;
  if (verb === undefined) return `the request names no verb (${OPERATOR_VERBS.join(', ')})`;
  if (typeof verb !== 'string' || !OPERATOR_VERBS.includes(verb)) {
    const shown = typeof verb === 'string' ? JSON.stringify(verb.slice(0, 40)) : typeof verb;
    const guess = typeof verb === 'string' ? closest(verb.trim().toLowerCase(), OPERATOR_VERBS) : undefined;
    return `unknown verb ${shown}${guess ? `; did you mean ${guess}?` : ''} (verbs: ${OPERATOR_VERBS.join(', ')})`;
  }
  const schema = (INCIDENT_VERBS as readonly string[]).includes(verb) ? incidentRequest : fleetRequest;
  const parsed = schema.safeParse(event);
  if (parsed.success) return parsed.data as OperatorRequest;
  const issue = parsed.error.issues[0];
  const field = issue?.path.join('.');
  return `${verb}: ${field ? `${field}: ` : ''}${issue?.message ?? 'the request is malformed'}`;
}

/** The closest of `names` to `word` (for "did you mean"), when one is close enough to be a typo. */
export function closest(word: string, names: readonly string[]): string | undefined {
  if (word.length === 0 || word.length > 40) return undefined;
  return nearest(word, names, (name) => Math.max(1, Math.min(3, Math.floor(name.length / 3))));
}
