import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { deliveryTime, type QueuedTimer } from '../../core/inputs.ts';
import type { TimerQueue } from '../../core/ports.ts';

/** SQS allows a delay of at most 15 minutes; longer waits hop: the timer handler re-enqueues. */
export const MAX_DELAY_SECONDS = 900;

/** Timers as SQS messages with DelaySeconds (precise to the second). */
export class SqsTimerQueue implements TimerQueue {
  private readonly sqs: SQSClient;
  private readonly queueUrl: string;

  constructor(sqs: SQSClient, queueUrl: string) {
    this.sqs = sqs;
    this.queueUrl = queueUrl;
  }

  async schedule(timer: QueuedTimer, now: number): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(timer),
        DelaySeconds: delaySecondsUntil(deliveryTime(timer), now),
      }),
    );
  }
}

/** The SQS delay towards `dueAt`: whole seconds, rounded up, within 0 to 900. */
export function delaySecondsUntil(dueAt: number, now: number): number {
  return Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil((dueAt - now) / 1000)));
}
