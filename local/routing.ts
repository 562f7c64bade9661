import {
  alarmStateChangePattern,
  commandInvocationPattern,
  type EventPattern,
} from '../functions/core/event-patterns.ts';

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
    { name: 'alarm', pattern: alarmStateChangePattern() },
    { name: 'command-status', pattern: commandInvocationPattern(Object.values(documents)) },
  ];
}
