import { type MessageAttributeValue, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { PageEffect } from '../../core/effects.ts';
import type { Notice } from '../../core/fleet-messages.ts';
import { chatSnsMessage, noticeForms, snsMessage } from '../../core/page-formats.ts';
import type { Pager } from '../../core/ports.ts';
import type { Runbook } from '../../core/runbook.ts';
import { DEPLOYED_DOCUMENT_VERSION } from './ssm-command-runner.ts';

/**
 * Pages through the SNS pager topic, one `Publish` with `MessageStructure: json`: readable text for
 * email (and `default`), the subject for SMS, and for HTTPS subscribers the CloudWatch alarm
 * notification PagerDuty's CloudWatch integration reads (an escalation opens a PagerDuty incident,
 * the resolution resolves the same one). When a chat topic is configured, the chat app's custom
 * notification goes there too (the chat app subscribes over HTTPS, so it cannot share the paging
 * topic's `https` form). The chat copy is best effort: its failure never fails, or repeats, a page.
 */
export class SnsPager implements Pager {
  private readonly sns: SNSClient;
  private readonly topicArn: string;
  private readonly chatTopicArn: string | undefined;
  private readonly onChatError: (error: unknown) => void;
  private readonly tableName: string | undefined;
  private readonly operatorFunction: string | undefined;
  private readonly documents: Readonly<Record<string, string>>;

  constructor(
    sns: SNSClient,
    topicArn: string,
    options: {
      chatTopicArn?: string;
      onChatError?: (error: unknown) => void;
      /** The incident table, named in the commands a page prints (`--table`). */
      tableName?: string;
      /** The operator function, named in the commands that act (`--function`). */
      operatorFunction?: string;
      /** Each runbook's SSM document, so that a page says how to run it by hand. */
      documents?: Readonly<Record<string, string>>;
    } = {},
  ) {
    this.sns = sns;
    this.topicArn = topicArn;
    this.chatTopicArn = options.chatTopicArn;
    this.onChatError = options.onChatError ?? (() => {});
    this.tableName = options.tableName;
    this.operatorFunction = options.operatorFunction;
    this.documents = options.documents ?? {};
  }

  async page(effect: PageEffect, runbook: Runbook | undefined): Promise<string> {
    const documentName = this.documents[effect.incident.key.runbook];
    const context = {
      ...(this.tableName ? { tableName: this.tableName } : {}),
      ...(this.operatorFunction ? { operatorFunction: this.operatorFunction } : {}),
      ...(documentName ? { documentName, documentVersion: DEPLOYED_DOCUMENT_VERSION } : {}),
    };
    const publication = snsMessage(effect, runbook, context);
    const messageId = await this.publish(publication.Subject, publication.Message, {
      incident_id: effect.incident.id,
      page: effect.page,
    });
    await this.chat(chatSnsMessage(effect, runbook, context).Message);
    return messageId;
  }

  async notify(notice: Notice): Promise<string> {
    const [, , , region = '', account = ''] = this.topicArn.split(':');
    const forms = noticeForms(notice, { account, region });
    const messageId = await this.publish(forms.sns.Subject, forms.sns.Message, {
      notice_key: notice.key,
      page: notice.kind,
      runbook: notice.runbook,
    });
    await this.chat(forms.chatSns.Message);
    return messageId;
  }

  private async publish(
    subject: string,
    message: string,
    attributes: Record<string, string>,
  ): Promise<string> {
    const { MessageId } = await this.sns.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: subject,
        Message: message,
        MessageStructure: 'json',
        MessageAttributes: Object.fromEntries(
          Object.entries(attributes).map(([name, value]): [string, MessageAttributeValue] => [
            name,
            { DataType: 'String', StringValue: value },
          ]),
        ),
      }),
    );
    return MessageId ?? 'unknown';
  }

  private async chat(message: string): Promise<void> {
    if (!this.chatTopicArn) return;
    try {
      await this.sns.send(new PublishCommand({ TopicArn: this.chatTopicArn, Message: message }));
    } catch (error) {
      this.onChatError(error);
    }
  }
}
