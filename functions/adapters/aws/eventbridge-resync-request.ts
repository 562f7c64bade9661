import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { OPERATOR_EVENT_SOURCE, RESYNC_REQUESTED } from '../../core/event-patterns.ts';

/** What an operator's resume or breaker close asks the resync function to look at again. */
export interface ResyncRequest {
  readonly cause: 'resumed' | 'breaker-closed';
  readonly runbook?: string;
  /** Who asked (at most 128 characters, as the resync function accepts). */
  readonly by: string;
}

/** Asks for a resync now; resolves to a line for the person who asked. */
export type RequestResync = (request: ResyncRequest) => Promise<string>;

/** What the person is told when no resync could be asked for: the schedule does it anyway. */
export const SCHEDULED_RESYNC =
  'the scheduled resync looks again at every alarm still in ALARM within 5 minutes';

/**
 * Asks the resync function to run now: a `Remediation Resync Requested` event on the default bus,
 * which the stack's `ResyncRequest` rule routes to it (the same event `npx remediate resume` puts).
 * Never throws: when EventBridge refuses, the scheduled resync does the same within minutes.
 */
export function eventBridgeResyncRequest(client: Pick<EventBridgeClient, 'send'>): RequestResync {
  return async (request) => {
    try {
      const { FailedEntryCount, Entries } = await client.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: OPERATOR_EVENT_SOURCE,
              DetailType: RESYNC_REQUESTED,
              Detail: JSON.stringify({ ...request, by: request.by.slice(0, 128) }),
            },
          ],
        }),
      );
      if (FailedEntryCount)
        throw new Error(
          Entries?.find((e) => e.ErrorMessage)?.ErrorMessage ?? 'EventBridge refused the event',
        );
      return 'a resync was requested: automation looks again at every alarm still in ALARM within a minute';
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return `could not request a resync now (${why.slice(0, 200)}): ${SCHEDULED_RESYNC}`;
    }
  };
}
