import { Buffer } from 'node:buffer';
import type { Notice } from '../fleet-messages.ts';
import { subjectLine } from '../page-message.ts';
import { type ChatNotification, fence } from './chat.ts';
import { fitPublication } from './fit.ts';
import { arnPartition, clipChars, context, keyTime, oneLine } from './helpers.ts';
import { ALARM_DESCRIPTION_CHARS, CHAT_LIMITS } from './limits.ts';
import { type CloudWatchAlarmNotification, cloudWatchNotification, story } from './pagerduty.ts';
import type { ChatPublication, SnsPublication } from './sns.ts';

/** Fleet notices (breaker, auto-disable) in every form. */

/** Where a notice comes from (the notice itself names no account, region or time). */
export interface NoticeOrigin {
  readonly account: string;
  readonly region: string;
  /** When the notice's state changed (epoch ms); the time in the notice's key when absent. */
  readonly at?: number;
}

/** The forms of a fleet notice. */
export interface NoticeForms {
  readonly pagerDuty: CloudWatchAlarmNotification;
  readonly chat: ChatNotification;
  readonly sns: SnsPublication;
  readonly chatSns: ChatPublication;
}

/**
 * A fleet notice in every form. PagerDuty: breaker opened (and runbook switched to dry-run) is an
 * ALARM, breaker closed an OK of the same alarm name, derived from the notice key, so the close
 * resolves the open; a dry-run switch has no closing notice and stays open until a human resolves
 * it. Chat: one thread per notice key.
 */
export function noticeForms(notice: Notice, origin: NoticeOrigin = { account: '', region: '' }): NoticeForms {
  const alarming = notice.kind !== 'breaker-closed';
  const name = `ec2-auto-remediation/${notice.key}`;
  const partition = arnPartition(origin.region);
  const at = origin.at ?? keyTime(notice.key);
  const pagerDuty = cloudWatchNotification({
    name,
    arn: `arn:${partition}:cloudwatch:${origin.region}:${origin.account}:alarm:${name}`,
    account: origin.account,
    region: origin.region,
    description: clipChars(
      oneLine(`Fleet notice of EC2 auto-remediation for runbook ${notice.runbook} (${notice.key}).`),
      ALARM_DESCRIPTION_CHARS,
    ),
    state: alarming ? 'ALARM' : 'OK',
    reason: story([notice.body.split('\n')[0] ?? notice.subject]),
    at,
    configuredAt: keyTime(notice.key),
    metric: notice.kind.startsWith('breaker') ? 'BreakerOpen' : 'RunbookDryRun',
    dimensions: [{ name: 'Runbook', value: notice.runbook }],
  });
  const commands = notice.body
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('npx remediate'));
  const chat: ChatNotification = {
    version: '1.0',
    source: 'custom',
    id: `${notice.key}:${notice.kind}`,
    content: {
      textType: 'client-markdown',
      title: clipChars(notice.subject, CHAT_LIMITS.title),
      description: fence(notice.body, CHAT_LIMITS.description),
      nextSteps: (alarming
        ? commands.map((c) => `Run: ${c}`)
        : ['Close the group page if your pager has not.']
      )
        .slice(0, CHAT_LIMITS.nextSteps)
        .map((s) => clipChars(s, CHAT_LIMITS.nextStep)),
      keywords: [alarming ? 'ALARM' : 'OK', notice.runbook, notice.kind].map((k) =>
        clipChars(k, CHAT_LIMITS.keyword),
      ),
    },
    metadata: {
      threadId: notice.key,
      summary: clipChars(notice.subject, CHAT_LIMITS.summary),
      eventType: notice.kind === 'runbook-dry-run' ? 'RemediationRunbookDryRun' : 'RemediationBreaker',
      relatedResources: [],
      additionalContext: context({ runbook: notice.runbook, noticeKey: notice.key, kind: notice.kind }),
      enableCustomActions: true,
    },
  };
  const chatMessage = JSON.stringify(chat);
  return {
    pagerDuty,
    chat,
    sns: fitPublication(
      subjectLine(notice.subject),
      [() => ({ body: notice.body, tail: '' })],
      JSON.stringify(pagerDuty),
    ),
    chatSns: { Message: chatMessage, size: Buffer.byteLength(chatMessage) },
  };
}
