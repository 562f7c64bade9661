import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { type PublishEventEffect, REMEDIATION_EVENT_SOURCE } from '../../core/effects.ts';
import type { EventPublisher } from '../../core/ports.ts';

/** PutEvents takes at most 10 entries per call. */
const BATCH = 10;

/** Publishes remediation events to an EventBridge bus. */
export class EventBridgePublisher implements EventPublisher {
  private readonly client: EventBridgeClient;
  private readonly eventBusName: string;

  constructor(client: EventBridgeClient, eventBusName: string) {
    this.client = client;
    this.eventBusName = eventBusName;
  }

  /** @throws Error naming the failed entries, so the caller can log them; nothing is retried here. */
  async publish(events: readonly PublishEventEffect[]): Promise<void> {
    const failures: string[] = [];
    for (let i = 0; i < events.length; i += BATCH) {
      const batch = events.slice(i, i + BATCH);
      const output = await this.client.send(
        new PutEventsCommand({
          Entries: batch.map((event) => ({
            EventBusName: this.eventBusName,
            Source: REMEDIATION_EVENT_SOURCE,
            DetailType: event.detailType,
            Detail: JSON.stringify(event.detail),
            Resources: [event.detail.alarmArn],
          })),
        }),
      );
      output.Entries?.forEach((entry, index) => {
        if (entry.ErrorCode)
          failures.push(`${batch[index]?.detailType}: ${entry.ErrorCode} ${entry.ErrorMessage ?? ''}`);
      });
    }
    if (failures.length > 0)
      throw new Error(`PutEvents rejected ${failures.length} event(s): ${failures.join('; ')}`);
  }
}
