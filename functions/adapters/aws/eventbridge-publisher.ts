import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  type EventLevel,
  type PublishEventEffect,
  publishedAt,
  REMEDIATION_EVENT_SOURCE,
} from '../../core/effects.ts';
import { PAGE_DETAIL_TYPE, type RemediationPageDetail } from '../../core/page-formats/pagerduty-events.ts';
import type { EventPublisher } from '../../core/ports.ts';

/** PutEvents takes at most 10 entries per call. */
const BATCH = 10;

/** Publishes remediation events to an EventBridge bus: those the deployment's {@link EventLevel} asks for. */
export class EventBridgePublisher implements EventPublisher {
  private readonly client: EventBridgeClient;
  private readonly eventBusName: string;
  private readonly level: EventLevel;

  constructor(client: EventBridgeClient, eventBusName: string, level: EventLevel = 'lifecycle') {
    this.client = client;
    this.eventBusName = eventBusName;
    this.level = level;
  }

  /** @throws Error naming the failed entries, so the caller can log them; nothing is retried here. */
  async publish(all: readonly PublishEventEffect[]): Promise<void> {
    const events = all.filter((event) => publishedAt(this.level, event.detailType));
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

  /**
   * Puts one page on the bus as a {@link PAGE_DETAIL_TYPE} event (whatever the event level: the
   * deployment asked for it by delivering pages this way), for the PagerDuty rule to deliver.
   * @throws Error when PutEvents refuses it.
   */
  async publishPage(detail: RemediationPageDetail): Promise<void> {
    const output = await this.client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.eventBusName,
            Source: REMEDIATION_EVENT_SOURCE,
            DetailType: PAGE_DETAIL_TYPE,
            Detail: JSON.stringify(detail),
            Resources: detail.alarmArn ? [detail.alarmArn] : [],
          },
        ],
      }),
    );
    const failed = output.Entries?.find((entry) => entry.ErrorCode);
    if (failed || (output.FailedEntryCount ?? 0) > 0)
      throw new Error(
        `PutEvents rejected the page event: ${failed?.ErrorCode ?? ''} ${failed?.ErrorMessage ?? ''}`,
      );
  }
}
