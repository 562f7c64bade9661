import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { OPERATOR_EVENT_SOURCE, RESYNC_REQUESTED } from '../../functions/core/event-patterns.ts';
import type { TableOptions } from './kill-switch.ts';

/** What an operator's command asks the deployed resync to look at again. */
export interface ResyncRequest {
  readonly cause: 'resumed' | 'breaker-closed';
  readonly runbook?: string;
  readonly by: string;
}

/**
 * Asks the deployed stack's resync function to run now (an event on the default bus, which the stack's
 * `ResyncRequest` rule routes to it), so that alarms still in ALARM are remediated or paged without
 * waiting for the schedule. Returns the line to print: the scheduled resync does the same within
 * minutes when the request cannot be sent.
 */
export async function requestResync(
  request: ResyncRequest,
  options: TableOptions,
  client: Pick<EventBridgeClient, 'send'> = new EventBridgeClient(
    options.region ? { region: options.region } : {},
  ),
): Promise<string> {
  const later = 'the scheduled resync looks again at every alarm still in ALARM within 5 minutes';
  if (options.endpoint) return `no resync requested against a local table (--endpoint): ${later}`;
  try {
    const { FailedEntryCount, Entries } = await client.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: OPERATOR_EVENT_SOURCE,
            DetailType: RESYNC_REQUESTED,
            Detail: JSON.stringify(request),
          },
        ],
      }),
    );
    if (FailedEntryCount) throw new Error(Entries?.[0]?.ErrorMessage ?? 'EventBridge refused the event');
    return 'a resync was requested: automation looks again at every alarm still in ALARM within a minute';
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return `could not request a resync now (${why}): ${later}`;
  }
}
