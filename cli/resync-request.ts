import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  eventBridgeResyncRequest,
  type ResyncRequest,
  SCHEDULED_RESYNC,
} from '../functions/adapters/aws/eventbridge-resync-request.ts';
import type { TableOptions } from './kill-switch.ts';

export type { ResyncRequest };

/**
 * Asks the deployed stack's resync function to run now (an event on the default bus, which the stack's
 * `ResyncRequest` rule routes to it; the same request the operator function makes), so that alarms
 * still in ALARM are remediated or paged without waiting for the schedule. Returns the line to print:
 * the scheduled resync does the same within minutes when the request cannot be sent.
 */
export async function requestResync(
  request: ResyncRequest,
  options: TableOptions,
  client: Pick<EventBridgeClient, 'send'> = new EventBridgeClient(
    options.region ? { region: options.region } : {},
  ),
): Promise<string> {
  if (options.endpoint) return `no resync requested against a local table (--endpoint): ${SCHEDULED_RESYNC}`;
  return eventBridgeResyncRequest(client)(request);
}
