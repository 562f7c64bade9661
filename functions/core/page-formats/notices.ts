import { Buffer } from 'node:buffer';
import { NOTICE_RESOURCES, type Notice, noticeEnds } from '../fleet-messages.ts';
import { subjectLine } from '../page-message.ts';
import { type ChatNotification, chatStep, fence } from './chat.ts';
import { fitPublication } from './fit.ts';
import { arnPartition, clipChars, context, keyTime, oneLine } from './helpers.ts';
import { ALARM_DESCRIPTION_CHARS, CHAT_LIMITS } from './limits.ts';
import type { NextStep } from './next-steps.ts';
import { type CloudWatchAlarmNotification, cloudWatchNotification, story } from './pagerduty.ts';
import type { ChatPublication, SnsPublication } from './sns.ts';

/** Fleet notices (breaker, runtime mode, pause) in every form. */

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

/** What a notice's kind is about: its breaker, its runtime mode, or a pause. */
function family(notice: Notice): 'breaker' | 'mode' | 'pause' {
  if (notice.kind.startsWith('breaker')) return 'breaker';
  return notice.kind === 'paused' || notice.kind === 'resumed' ? 'pause' : 'mode';
}

/** The made-up metric of the CloudWatch-shaped form, the same for a notice and its OK. */
const METRIC = { breaker: 'BreakerOpen', mode: 'RunbookDryRun', pause: 'AutomationPaused' } as const;
/** The chat event type, the same for a notice and its OK. */
const EVENT_TYPE = {
  breaker: 'RemediationBreaker',
  mode: 'RemediationRunbookDryRun',
  pause: 'RemediationPause',
} as const;

/**
 * A fleet notice in every form. PagerDuty: an opening notice (breaker opened or grew, runbook switched
 * to dry-run, automation paused) is an ALARM, and its closing notice (breaker closed, `runbooks
 * enforce`, resume) an OK of the same alarm name and ARN, derived from the notice key, so that the
 * close resolves the open. Chat: one thread per notice key, the notice's resources, and its next
 * steps as a list with their commands.
 */
export function noticeForms(notice: Notice, origin: NoticeOrigin = { account: '', region: '' }): NoticeForms {
  const alarming = !noticeEnds(notice);
  const name = `ec2-auto-remediation/${notice.key}`;
  const partition = arnPartition(origin.region);
  const at = origin.at ?? notice.at ?? keyTime(notice.key);
  const kind = family(notice);
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
    configuredAt: keyTime(notice.key) ?? at,
    metric: METRIC[kind],
    dimensions: [{ name: 'Runbook', value: notice.runbook }],
  });
  const steps: readonly NextStep[] =
    notice.steps ??
    notice.body
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.startsWith('npx remediate'))
      .map((command) => ({ text: 'Run', command }));
  const chat: ChatNotification = {
    version: '1.0',
    source: 'custom',
    id: `${notice.key}:${notice.kind}`,
    content: {
      textType: 'client-markdown',
      title: clipChars(notice.subject, CHAT_LIMITS.title),
      description: fence(notice.body, CHAT_LIMITS.description),
      nextSteps: steps
        .flatMap((s) => {
          const line = chatStep(s);
          return line === undefined ? [] : [line];
        })
        .slice(0, CHAT_LIMITS.nextSteps),
      keywords: [alarming ? 'ALARM' : 'OK', notice.runbook, notice.kind].map((k) =>
        clipChars(k, CHAT_LIMITS.keyword),
      ),
    },
    metadata: {
      threadId: notice.key,
      summary: clipChars(notice.subject, CHAT_LIMITS.summary),
      eventType: EVENT_TYPE[kind],
      relatedResources: (notice.resources ?? []).slice(0, NOTICE_RESOURCES).map((r) => oneLine(r, 256)),
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
