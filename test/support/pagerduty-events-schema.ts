import { Buffer } from 'node:buffer';
import { z } from 'zod';

/**
 * The PagerDuty Events API v2 request (POST https://events.pagerduty.com/v2/enqueue), as a strict
 * zod schema, from PagerDuty's OpenAPI description (`reference/events-v2/openapiv3.json` in
 * https://github.com/PagerDuty/api-schema) and the limits of "Send an Alert Event"
 * (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/): `routing_key` and
 * `event_action` required; `dedup_key` at most 255 characters (required unless `trigger`); a
 * trigger's `payload` requires `summary` (at most 1,024 characters), `source` and `severity`;
 * `timestamp` a date-time; `custom_details` an object; `links` [{href (required, a URL), text}];
 * `images` [{src (required, HTTPS), href, alt}]; the whole event at most 512 KB. Unknown fields
 * are refused, so that a misspelt field fails here rather than being dropped by PagerDuty.
 */

const url = z.url({ protocol: /^https?$/ });

export const pagerDutyPayloadSchema = z.strictObject({
  summary: z.string().min(1).max(1_024),
  source: z.string().min(1),
  severity: z.enum(['critical', 'warning', 'error', 'info']),
  timestamp: z.iso.datetime({ offset: true }).optional(),
  component: z.string().optional(),
  group: z.string().optional(),
  class: z.string().optional(),
  custom_details: z.record(z.string(), z.unknown()).optional(),
});

export const pagerDutyEventSchema = z
  .strictObject({
    routing_key: z.string().min(1),
    event_action: z.enum(['trigger', 'acknowledge', 'resolve']),
    dedup_key: z.string().min(1).max(255).optional(),
    payload: pagerDutyPayloadSchema.optional(),
    client: z.string().optional(),
    client_url: url.optional(),
    links: z.array(z.strictObject({ href: url, text: z.string().optional() })).optional(),
    images: z
      .array(
        z.strictObject({
          src: z.url({ protocol: /^https$/ }),
          href: url.optional(),
          alt: z.string().optional(),
        }),
      )
      .optional(),
  })
  .refine((e) => e.event_action !== 'trigger' || e.payload !== undefined, {
    message: 'a trigger needs a payload',
  })
  .refine((e) => e.event_action === 'trigger' || e.dedup_key !== undefined, {
    message: 'acknowledge and resolve need a dedup_key',
  })
  .refine((e) => Buffer.byteLength(JSON.stringify(e)) <= 512 * 1024, {
    message: 'an event is at most 512 KB',
  });

/** The body PagerDuty receives: ours with the connection's `routing_key` merged in. */
export function asSent(event: object, routingKey = 'R0123456789ABCDEF0123456789ABCDE'): unknown {
  return { ...event, routing_key: routingKey };
}
