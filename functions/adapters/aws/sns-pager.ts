import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { PageEffect } from '../../core/effects.ts';
import type { Notice } from '../../core/fleet-messages.ts';
import { pageMessage } from '../../core/page-message.ts';
import type { Pager } from '../../core/ports.ts';
import type { Runbook } from '../../core/runbook.ts';

/** Pages through an SNS topic (email, PagerDuty, chat subscribe to it). */
export class SnsPager implements Pager {
  private readonly sns: SNSClient;
  private readonly topicArn: string;

  constructor(sns: SNSClient, topicArn: string) {
    this.sns = sns;
    this.topicArn = topicArn;
  }

  async page(effect: PageEffect, runbook: Runbook | undefined): Promise<string> {
    const { subject, body } = pageMessage(effect, runbook);
    const { MessageId } = await this.sns.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: subject,
        Message: body,
        MessageAttributes: {
          incident_id: { DataType: 'String', StringValue: effect.incident.id },
          page: { DataType: 'String', StringValue: effect.page },
        },
      }),
    );
    return MessageId ?? 'unknown';
  }

  async notify(notice: Notice): Promise<string> {
    const { MessageId } = await this.sns.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: notice.subject,
        Message: notice.body,
        MessageAttributes: {
          notice_key: { DataType: 'String', StringValue: notice.key },
          page: { DataType: 'String', StringValue: notice.kind },
          runbook: { DataType: 'String', StringValue: notice.runbook },
        },
      }),
    );
    return MessageId ?? 'unknown';
  }
}
