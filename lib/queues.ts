import { Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/**
 * A queue that holds what could not be delivered or processed, for a human to inspect and redrive:
 * kept 14 days (the SQS maximum), encrypted with SQS managed keys, TLS only.
 */
export class DeadLetterQueue extends sqs.Queue {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
  }

  /**
   * Records that this queue is the dead-letter queue of something other than an SQS queue (an
   * EventBridge target, a Lambda destination), which cdk-nag's SQS3 cannot see.
   */
  deadLetterQueueOf(what: string): this {
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `This queue is itself the dead-letter queue of ${what}; SQS3 only recognises dead-letter queues named in another queue's redrive policy.`,
    });
    return this;
  }
}

/** Options of the timer queue. */
export interface TimerQueueProps {
  /** The timeout of the function that consumes the queue; the visibility timeout is six times it. */
  readonly consumerTimeout: Duration;
  /**
   * Receives before a timer message moves to the dead-letter queue.
   * @default 5
   */
  readonly maxReceiveCount?: number;
}

/**
 * The timers of the system (backoff, verify deadlines, reconciliation): SQS messages with
 * `DelaySeconds`, consumed by the timer function, with a dead-letter queue for poison messages.
 *
 * Encryption: SQS managed keys (SSE-SQS). Timer messages carry incident keys, not secrets, and
 * SSE-SQS needs no key policy for Lambda or EventBridge to use the queues.
 */
export class TimerQueue extends Construct {
  /** The queue the handlers send timers to. */
  readonly queue: sqs.Queue;
  /** Where timer messages go after `maxReceiveCount` failed receives. */
  readonly deadLetterQueue: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: TimerQueueProps) {
    super(scope, id);
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetterQueue');
    this.queue = new sqs.Queue(this, 'Queue', {
      // AWS guidance for Lambda event sources: at least six times the function timeout.
      visibilityTimeout: Duration.seconds(props.consumerTimeout.toSeconds() * 6),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 5 },
    });
  }
}
