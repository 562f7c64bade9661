import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { OPERATOR_EVENT_SOURCE, RESYNC_REQUESTED } from '../core/event-patterns.ts';
import type { ResyncReport } from './alarm-resync.ts';
import { foreignOrigin, refuseForeign } from './middleware/accept-origin.ts';
import { flushMetrics } from './middleware/flush-metrics.ts';
import type { Runtime } from './runtime.ts';
import { describeIssues } from './schemas.ts';
import * as z from './zod-locale.ts';

const scheduled = z.looseObject({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
});
const requested = z.looseObject({
  source: z.literal(OPERATOR_EVENT_SOURCE),
  'detail-type': z.literal(RESYNC_REQUESTED),
  detail: z.object({
    cause: z.enum(['resumed', 'breaker-closed']),
    runbook: z.optional(z.string().check(z.regex(/^[a-z0-9]+(-[a-z0-9]+)*$/), z.maxLength(40))),
    by: z.optional(z.string().check(z.maxLength(128))),
  }),
});

/** What the resync function did. */
export type ResyncResult =
  | ({ readonly outcome: 'reconciled' } & Pick<ResyncReport, 'cause' | 'inAlarm'> & {
        readonly answered: number;
      })
  | { readonly outcome: 'rejected' | 'failed'; readonly reason: string };

/**
 * The resync function: on its schedule, and when an operator's resume or breaker close asks for it,
 * reconciles the alarms in ALARM with the open incidents. A breaker closed by an operator is also
 * announced from here, with what the resync found, unless its close was announced already; on its
 * schedule, it sends the OK of a breaker that closed lately without one. It never throws: the
 * schedule comes back anyway.
 */
export async function handleResync(event: unknown, runtime: Runtime): Promise<ResyncResult> {
  const { logger } = runtime;
  const schedule = scheduled.safeParse(event);
  const request = requested.safeParse(event);
  if (!schedule.success && !request.success) {
    const reason = `neither a scheduled event nor a resync request: ${describeIssues(request.error)}`;
    logger.error('event rejected', { reason });
    return { outcome: 'rejected', reason };
  }
  const foreign = foreignOrigin(event, runtime.origin);
  if (foreign) {
    refuseForeign(foreign, logger, runtime.metrics);
    return { outcome: 'rejected', reason: foreign };
  }
  try {
    if (request.success) {
      const { cause, runbook: name, by } = request.data.detail;
      const runbook = name ? runtime.runbooks.byName(name) : undefined;
      if (name && !runbook) {
        const reason = `runbook ${name} is not one of this deployment's`;
        logger.error('event rejected', { reason });
        return { outcome: 'rejected', reason };
      }
      logger.info('resync requested', { cause, runbook: name, by });
      if (cause === 'breaker-closed' && runbook) {
        const { breaker } = await runtime.fleet.read(runbook, undefined, runtime.clock.now());
        // The close is announced with what the resync found (the announcement runs it), unless its
        // OK reached the pager already (the operator function announces the close it makes).
        if (
          breaker?.state === 'closed' &&
          (await runtime.gates.announceClosed(runbook, breaker)) !== 'announced before'
        )
          return { outcome: 'reconciled', cause, inAlarm: 0, answered: 0 };
      }
      const report = await runtime.resync.run(cause, runbook?.name);
      return { outcome: 'reconciled', cause, inAlarm: report.inAlarm, answered: report.answered.length };
    }
    const report = await runtime.resync.run('schedule');
    // A breaker closed without its OK reaching the pager (the notice failed) gets it now.
    await runtime.gates.announceMissedCloses(runtime.runbooks.all).catch((error: unknown) => {
      logger.error('closed breakers not announced; the next resync tries again', { error });
    });
    return {
      outcome: 'reconciled',
      cause: 'schedule',
      inAlarm: report.inAlarm,
      answered: report.answered.length,
    };
  } catch (error) {
    logger.error('resync failed; the next one tries again', { error });
    return { outcome: 'failed', reason: error instanceof Error ? error.message : String(error) };
  }
}

/** The Lambda handler, built once per container around a runtime. */
export function createResyncHandler(runtime: Runtime) {
  return middy<unknown, ResyncResult>()
    .use(injectLambdaContext(runtime.logger, { resetKeys: true }))
    .use(flushMetrics(runtime.metrics))
    .handler((event) => handleResync(event, runtime));
}
