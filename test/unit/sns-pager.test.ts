import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { SnsPager } from '../../functions/adapters/aws/sns-pager.ts';
import type { PageEffect } from '../../functions/core/effects.ts';
import { breakerOpenedNotice } from '../../functions/core/fleet-messages.ts';
import { alarmInput, Scenario, T0, testRunbook } from '../support/fixtures.ts';

const sns = mockClient(SNSClient);
const PAGER = 'arn:aws:sns:eu-west-1:123456789012:oncall';
const CHAT = 'arn:aws:sns:eu-west-1:123456789012:oncall-chat';

/** An escalation after one failed attempt. */
function escalation(): PageEffect {
  const s = new Scenario({ ...testRunbook, maxAttempts: 1 });
  s.apply(alarmInput('ALARM', T0));
  s.apply({ kind: 'command-sent', attempt: 1, commandId: 'cmd-1' });
  s.apply({
    kind: 'command-finished',
    commandId: 'cmd-1',
    result: { status: 'Failed', responseCode: 1, stderr: 'no space left' },
  });
  return s.effectsOf('page')[0] as PageEffect;
}

describe('the SNS pager', () => {
  beforeEach(() => {
    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  });

  it('publishes one MessageStructure json message: text for email, PagerDuty form for https', async () => {
    const pager = new SnsPager(new SNSClient({ region: 'eu-west-1' }), PAGER);

    const id = await pager.page(escalation(), testRunbook);

    expect(id).toBe('m-1');
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ TopicArn: PAGER, MessageStructure: 'json' });
    expect(input?.Subject).toMatch(/^ALARM: disk-full-web-1 on i-0123456789abcdef0 - /);
    const message = JSON.parse(input?.Message as string);
    expect(message.default).toContain('Automation tried 1 time and could not fix this alarm');
    expect(message.email).toBe(message.default);
    expect(JSON.parse(message.https)).toMatchObject({ AlarmName: 'disk-full-web-1', NewStateValue: 'ALARM' });
    expect(input?.MessageAttributes?.page).toEqual({ DataType: 'String', StringValue: 'escalation' });
  });

  it('also posts to the chat topic, and a failed chat post neither fails nor repeats the page', async () => {
    const chatErrors: unknown[] = [];
    sns.on(PublishCommand, { TopicArn: CHAT }).rejects(new Error('AuthorizationError'));
    const pager = new SnsPager(new SNSClient({ region: 'eu-west-1' }), PAGER, {
      chatTopicArn: CHAT,
      onChatError: (e) => chatErrors.push(e),
    });

    await expect(pager.page(escalation(), testRunbook)).resolves.toBe('m-1');

    const calls = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.TopicArn)).toEqual([PAGER, CHAT]);
    expect(JSON.parse(calls[1]?.Message as string)).toMatchObject({ version: '1.0', source: 'custom' });
    expect(calls[1]?.MessageStructure).toBeUndefined();
    expect(chatErrors).toHaveLength(1);
  });

  it('pages a fleet notice with the account and Region of the topic', async () => {
    const pager = new SnsPager(new SNSClient({ region: 'eu-west-1' }), PAGER);
    const notice = breakerOpenedNotice(
      { ...testRunbook, breaker: { maxInstances: 5, windowSeconds: 600, quietSeconds: 1800 } },
      {
        state: 'open',
        openedAt: T0,
        reason: '6 instances',
        instances: ['i-1'],
        lastAlarmAt: T0,
        page: { status: 'due' },
      },
      [],
    );

    await pager.notify(notice);

    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.Subject).toBe(notice.subject);
    const https = JSON.parse(JSON.parse(input?.Message as string).https);
    expect(https).toMatchObject({ AWSAccountId: '123456789012', NewStateValue: 'ALARM' });
    expect(https.AlarmArn).toMatch(/^arn:aws:cloudwatch:eu-west-1:123456789012:alarm:/);
  });
});
