import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj, Request } from '@middy/core';
import { describeIssues } from '../schemas.ts';
import type * as z from '../zod-locale.ts';

/** What a handler answers for an event it did not act on. */
export interface Rejected {
  readonly outcome: 'rejected';
  readonly reason: string;
}

/**
 * Validates the event against a schema before the handler runs. A malformed or hostile event is
 * logged with its reason and answered, not thrown: throwing would make Lambda and EventBridge retry
 * an event that can never succeed. The handler receives the parsed event.
 */
export function parseEvent<S extends z.ZodMiniType>(
  schema: S,
  logger: Logger,
): MiddlewareObj<unknown, unknown> {
  return {
    before: (request: Request<unknown, unknown>): Rejected | undefined => {
      const parsed = schema.safeParse(request.event);
      if (parsed.success) {
        request.event = parsed.data;
        return undefined;
      }
      const reason = describeIssues(parsed.error);
      logger.error('event rejected: it does not have the shape AWS documents', {
        reason,
        event: summarize(request.event),
      });
      return { outcome: 'rejected', reason };
    },
  };
}

/** Enough of an event to find it again, without echoing a hostile payload in full. */
function summarize(event: unknown): unknown {
  if (typeof event !== 'object' || event === null) return { type: typeof event };
  const { id, source } = event as Record<string, unknown>;
  const detailType = (event as Record<string, unknown>)['detail-type'];
  return { id: clip(id), source: clip(source), detailType: clip(detailType) };
}

function clip(value: unknown): unknown {
  return typeof value === 'string' ? value.slice(0, 200) : value === undefined ? undefined : typeof value;
}
