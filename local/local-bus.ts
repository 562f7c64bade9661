import type { EventPattern } from '../functions/core/event-patterns.ts';
import type { Scheduler } from './agenda.ts';
import type { AwsEvent } from './aws-shapes.ts';
import { matchesPattern } from './event-pattern.ts';

/** A rule on the local bus: the same pattern the stack deploys, and what it invokes. */
export interface BusRule {
  readonly name: string;
  readonly pattern: EventPattern;
  readonly target: (event: AwsEvent) => Promise<unknown>;
  /** Deliver at once, inside `put`, instead of a moment later (for observers such as a progress printer). */
  readonly immediate?: boolean;
}

/**
 * EventBridge on this machine: routes each event to every rule whose pattern matches, a moment
 * later, as the default bus would. A target that throws is recorded, since on AWS it would be
 * retried and then land in the dead-letter queue.
 */
export class LocalBus {
  readonly failures: Array<{ rule: string; error: unknown }> = [];
  private readonly agenda: Scheduler;
  private readonly rules: BusRule[] = [];
  private readonly deliveryDelayMs: number;

  constructor(agenda: Scheduler, deliveryDelayMs = 1000) {
    this.agenda = agenda;
    this.deliveryDelayMs = deliveryDelayMs;
  }

  addRule(rule: BusRule): void {
    this.rules.push(rule);
  }

  put(event: AwsEvent): void {
    for (const rule of this.rules) {
      if (!matchesPattern(rule.pattern, event)) continue;
      const deliver = async () => {
        try {
          await rule.target(event);
        } catch (error) {
          this.failures.push({ rule: rule.name, error });
        }
      };
      if (rule.immediate) void deliver();
      else
        this.agenda.at(
          this.agenda.now() + this.deliveryDelayMs,
          `${rule.name} <- ${event['detail-type']}`,
          deliver,
        );
    }
  }
}
