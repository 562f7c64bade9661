import {
  alarmStateChangePattern,
  commandInvocationPattern,
  type EventPattern,
} from '../functions/core/event-patterns.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './aws-shapes.ts';

/** The local world is one account in one Region, as a deployed stack is. */
const LOCAL_ORIGIN = { accounts: [LOCAL_ACCOUNT], regions: [LOCAL_REGION] };

/** Which handler a local rule invokes. */
export type RoutedHandler = 'alarm' | 'command-status';

/**
 * The rules the local bus routes with: the very patterns the CDK stack deploys as EventBridge rules
 * (both come from functions/core/event-patterns.ts), for the runbooks' documents as named locally.
 */
export function handlerRoutes(
  documents: Readonly<Record<string, string>>,
): { readonly name: RoutedHandler; readonly pattern: EventPattern }[] {
  return [
    { name: 'alarm', pattern: alarmStateChangePattern(LOCAL_ORIGIN) },
    { name: 'command-status', pattern: commandInvocationPattern(Object.values(documents), LOCAL_ORIGIN) },
  ];
}
