import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj, Request } from '@middy/core';
import { METRIC } from '../../core/metrics.ts';
import type { MetricsSink } from '../../core/ports.ts';
import type { Rejected } from './parse-event.ts';

/** The accounts and Regions whose events this deployment acts on. */
export interface EventOrigin {
  readonly accounts: readonly string[];
  readonly regions: readonly string[];
}

/**
 * Why an event from outside this deployment's accounts and Regions is refused, or undefined when it
 * comes from inside them (or when no origin is configured, as in tests of a single handler). The
 * stack's rules already match only these; this is the second check, for a bus that other accounts
 * may put events on.
 */
export function foreignOrigin(event: unknown, origin: EventOrigin | undefined): string | undefined {
  if (!origin) return undefined;
  const { account, region } = (typeof event === 'object' && event !== null ? event : {}) as Record<
    string,
    unknown
  >;
  const shown = (value: unknown) => (typeof value === 'string' ? JSON.stringify(value.slice(0, 32)) : 'none');
  if (typeof account !== 'string' || !origin.accounts.includes(account)) {
    return `the event comes from account ${shown(account)}, not one this deployment acts for (${origin.accounts.join(', ')})`;
  }
  if (typeof region !== 'string' || !origin.regions.includes(region)) {
    return `the event comes from Region ${shown(region)}, not one this deployment acts in (${origin.regions.join(', ')})`;
  }
  return undefined;
}

/** Logs, counts and answers an event from another account or Region; the handler never sees it. */
export function acceptOrigin(
  origin: EventOrigin | undefined,
  logger: Logger,
  metrics: MetricsSink,
): MiddlewareObj<unknown, unknown> {
  return {
    before: (request: Request<unknown, unknown>): Rejected | undefined => {
      const reason = foreignOrigin(request.event, origin);
      if (!reason) return undefined;
      refuseForeign(reason, logger, metrics);
      return { outcome: 'rejected', reason };
    },
  };
}

/** What every handler does with a foreign event: a warning with the reason, and a count. */
export function refuseForeign(reason: string, logger: Logger, metrics: MetricsSink): void {
  logger.warn('event ignored: it is not from this deployment', { reason });
  metrics.record({ name: METRIC.foreignEvents, unit: 'Count', value: 1 });
  // An early answer skips the handler's own flush (middy runs no `after` for it): write it now.
  metrics.flush();
}
