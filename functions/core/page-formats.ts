/**
 * The forms an escalation takes so that the tools on-call people use accept it: readable text for
 * email (and the SNS `default`), the CloudWatch alarm notification that PagerDuty's Amazon CloudWatch
 * integration turns into an incident, and the custom notification that AWS's chat app (AWS Chatbot,
 * now "Amazon Q Developer in chat applications") renders and threads. Pure functions of a
 * {@link PageEffect} (or a fleet {@link Notice}), so that each form is tested from fixed incidents.
 *
 * Sources (read when this was written; the formats are the vendors', not ours):
 *
 * - Amazon SNS `Publish`, "PublishRequest / messageStructure", "message" and "subject",
 *   https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/sns/aws.sdk.kotlin.services.sns.model/-publish-request/message-structure.html
 *   (and .../message.html, .../subject.html): with `MessageStructure: 'json'` the Message must be a
 *   valid JSON object with at least a top-level `default` string; other top-level keys name a
 *   protocol (`email`, `email-json`, `http`, `https`, `sqs`, `lambda`, `sms`, ...) and must have
 *   simple string values (non-string values are ignored, unknown keys are ignored); messages are
 *   UTF-8 and at most 256 KB (262,144 bytes, not characters) with the JSON structure included;
 *   SMS at most 1,600 characters per publish. Subject: no line breaks or control characters, fewer
 *   than 100 characters (older SDK docs: ASCII); we keep it ASCII, which satisfies both.
 * - The CloudWatch alarm notification CloudWatch publishes to SNS: AWS's own test fixture
 *   `events/testdata/cloudwatch-alarm-sns-payload-single-metric.json` in aws/aws-lambda-go
 *   (https://github.com/aws/aws-lambda-go, fork seen at
 *   https://github.com/paritosh16/aws-lambda-go/blob/master/events/testdata/cloudwatch-alarm-sns-payload-single-metric.json):
 *   `AlarmName`, `AlarmDescription`, `AWSAccountId`, `NewStateValue`, `NewStateReason`,
 *   `StateChangeTime` ("2015-06-03T17:43:27.123+0000"), `Region` (the region's display name, e.g.
 *   "US East (N. Virginia)", not its code), `AlarmArn`, `OldStateValue`, `Trigger` {MetricName,
 *   Namespace, StatisticType, Statistic, Unit, Dimensions [{value, name}], Period, EvaluationPeriods,
 *   ComparisonOperator, Threshold, TreatMissingData, EvaluateLowSampleCountPercentile}; later
 *   notifications add `AlarmConfigurationUpdatedTimestamp`, `OKActions`, `AlarmActions`,
 *   `InsufficientDataActions` (gists https://gist.github.com/dacc/2166108,
 *   https://gist.github.com/totegamma/9dd1393d1b71d45ea39994e30afa10ea). SetAlarmState docs: alarm
 *   names are at most 255 characters.
 * - PagerDuty, "Amazon CloudWatch Integration Guide"
 *   (https://www.pagerduty.com/docs/guides/aws-cloudwatch-integration-guide/, Japanese translation
 *   read at https://pagerduty.dxable.com/docs/guides/aws-cloudwatch-integration-guide): an SNS HTTPS
 *   subscription to https://events.pagerduty.com/integration/<key>/enqueue, auto-confirmed; CloudWatch
 *   alarm notifications open incidents (alarms on custom metrics do, without metric details).
 *   PagerDuty support, quoted in justeattakeaway/AwsWatchman issue #3 "Alarms do not auto-reset"
 *   (https://github.com/justeattakeaway/AwsWatchman/issues/3): send the OK notification of the same
 *   alarm and "the corresponding PagerDuty alert will be resolved"; INSUFFICIENT_DATA cannot resolve.
 *   The integration has an incident identifier setting, "Default" or "Alarm Name"
 *   (ministryofjustice/analytical-platform issue #348,
 *   https://github.com/ministryofjustice/analytical-platform/issues/348); which fields "Default"
 *   keys on is not published, so the ALARM and OK forms here differ only in state, reason and time:
 *   AlarmName, AlarmArn, AWSAccountId, Region, AlarmDescription and Trigger are identical. Other
 *   tools key on the same shape: Rootly "uses the alarm ARN as the external identifier" and resolves
 *   on OK (quoted in mitodl/ol-infrastructure PR #5259); incident.io resolves on OK (Uniswap/
 *   uniswapx-service PR #705). Public code forges this shape for PagerDuty the same way.
 * - "Custom notifications using Amazon Q Developer in chat applications",
 *   https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html: `version` "1.0" and
 *   `source` "custom" are required; `content` {textType "client-markdown" (the only one), title,
 *   description, nextSteps[], keywords[]}; `metadata` {threadId (notifications with the same one are
 *   threaded, if the channel's preferences allow), summary, eventType, relatedResources[],
 *   additionalContext{string: string}, enableCustomActions}; delivered by publishing to an SNS topic
 *   that the chat channel configuration subscribes to (its HTTPS endpoint is
 *   https://global.sns-api.chatbot.amazonaws.com). Field limits, as a public client quoting that page
 *   states them (the stored copy of the page cut off before its table): title at most 250
 *   characters, description at most 8,000, each next step at most 350, each keyword at most 75.
 *   Public code notes that messages not in this schema are dropped silently.
 * - Console links, as public code builds them: CloudWatch alarm
 *   `https://<region>.console.aws.amazon.com/cloudwatch/home?region=<region>#alarmsV2:alarm/<encoded name>`,
 *   EC2 instance `.../ec2/home?region=<region>#InstanceDetails:instanceId=<id>`, Run Command
 *   `.../systems-manager/run-command/<command id>/<instance id>?region=<region>`.
 *
 * Delivery, recommended: one paging topic, published with {@link snsMessage} (MessageStructure
 * json: `default` and `email` the text, `sms` the subject, `https` the PagerDuty form), and a
 * separate chat topic that only the chat channel configuration subscribes to, published with
 * {@link chatSnsMessage}. Why not one topic: SNS picks the value by protocol, not by subscriber, and
 * the chat app subscribes over HTTPS too, so on one topic it would get the `https` value meant for
 * PagerDuty (a CloudWatch alarm JSON, which it may render as an alarm, without threads or attempts);
 * publishing both forms to one topic with a message attribute and subscription filter policies
 * works only if every subscription carries a filter (an email subscriber without one gets every
 * form, a page twice), and the chat app's subscription is created by the chat service, outside our
 * templates. Two topics cost nothing and fail safe. If PagerDuty is not the only HTTPS subscriber of
 * the paging topic, the others get the same CloudWatch-alarm JSON, which most incident tools accept.
 */
import { Buffer } from 'node:buffer';
import type { PageEffect } from './effects.ts';
import type { Notice } from './fleet-messages.ts';
import type { Attempt, CommandResult, Incident } from './incident.ts';
import { pageMessage, subjectLine } from './page-message.ts';
import type { Runbook } from './runbook.ts';

/** SNS: a message is at most 256 KB, UTF-8 bytes, JSON structure included. */
export const SNS_MAX_MESSAGE_BYTES = 262_144;
/**
 * What the Message itself may take: the rest of the 256 KB is left for what the publisher adds
 * beside it (the subject, under 100 bytes, and a few message attributes).
 */
export const MESSAGE_BUDGET_BYTES = 256_000;

/** The chat app's documented field limits, in characters. */
export const CHAT_LIMITS = {
  title: 250,
  description: 8_000,
  nextStep: 350,
  keyword: 75,
  /** Ours, not documented: how many next steps and keywords to send, and how long a summary is. */
  nextSteps: 5,
  keywords: 6,
  summary: 250,
  contextValue: 256,
} as const;

/** Ours: how long PagerDuty's `NewStateReason` (the short story) and `AlarmDescription` get. */
export const PAGERDUTY_REASON_CHARS = 1_000;
const ALARM_DESCRIPTION_CHARS = 1_024;

/** The console pages a human opens from a page. */
export interface ConsoleLinks {
  readonly alarm: string;
  readonly instance?: string;
  /** One per attempt whose command SSM accepted, oldest first. */
  readonly commands: readonly {
    readonly attempt: number;
    readonly commandId: string;
    readonly url: string;
  }[];
  /** The diagnose script's command, when one ran before the first attempt. */
  readonly diagnosis?: { readonly commandId: string; readonly url: string };
}

/** Console links for the alarm, the instance and each attempt's command (ids URL-encoded). */
export function links(effect: PageEffect): ConsoleLinks {
  const { incident } = effect;
  const region = incident.alarm.region;
  const base = consoleBase(region);
  const q = `?region=${encode(region)}`;
  const instance = incident.instanceId;
  const command = (id: string) =>
    `${base}/systems-manager/run-command/${encode(id)}${instance ? `/${encode(instance)}` : ''}${q}`;
  const diagnose = incident.attempts.map(diagnosisOf).find((d) => d?.commandId)?.commandId;
  return {
    alarm: `${base}/cloudwatch/home${q}#alarmsV2:alarm/${encode(incident.alarm.name)}`,
    ...(instance ? { instance: `${base}/ec2/home${q}#InstanceDetails:instanceId=${encode(instance)}` } : {}),
    commands: incident.attempts
      .filter((a): a is Attempt & { commandId: string } => a.commandId !== undefined)
      .map((a) => ({
        attempt: a.number,
        commandId: a.commandId,
        url: command(a.commandId),
      })),
    ...(diagnose ? { diagnosis: { commandId: diagnose, url: command(diagnose) } } : {}),
  };
}

/** The readable text for email and SNS's `default`: today's page, with console links. */
export function humanText(effect: PageEffect, runbook: Runbook | undefined): string {
  return join(humanParts(effect, runbook, 'full'));
}

// ---------------------------------------------------------------------------------------------
// PagerDuty: the CloudWatch alarm notification

/** The JSON CloudWatch publishes to SNS when an alarm changes state (what PagerDuty's integration reads). */
export interface CloudWatchAlarmNotification {
  readonly AlarmName: string;
  readonly AlarmDescription: string | null;
  readonly AWSAccountId: string;
  readonly AlarmConfigurationUpdatedTimestamp: string;
  readonly NewStateValue: 'ALARM' | 'OK';
  readonly NewStateReason: string;
  readonly StateChangeTime: string;
  /** The region's display name, as CloudWatch writes it ("US East (N. Virginia)"). */
  readonly Region: string;
  readonly AlarmArn: string;
  readonly OldStateValue: 'ALARM' | 'OK';
  readonly OKActions: readonly string[];
  readonly AlarmActions: readonly string[];
  readonly InsufficientDataActions: readonly string[];
  readonly Trigger: CloudWatchTrigger;
}

/** The `Trigger` of a single-metric alarm notification. */
export interface CloudWatchTrigger {
  readonly MetricName: string;
  readonly Namespace: string;
  readonly StatisticType: 'Statistic';
  readonly Statistic: 'MAXIMUM';
  readonly Unit: null;
  readonly Dimensions: readonly { readonly value: string; readonly name: string }[];
  readonly Period: number;
  readonly EvaluationPeriods: number;
  readonly ComparisonOperator: 'GreaterThanOrEqualToThreshold';
  readonly Threshold: number;
  readonly TreatMissingData: string;
  readonly EvaluateLowSampleCountPercentile: string;
}

/** The namespace of the virtual metric the synthesized notifications name ("escalated: 1"). */
export const PAGE_NAMESPACE = 'EC2AutoRemediation';

/**
 * The notification PagerDuty's Amazon CloudWatch integration accepts: the escalation is the alarm
 * going OK -> ALARM (an incident opens), the resolution the same alarm going ALARM -> OK (the same
 * incident resolves). It names the real alarm (name and ARN), so that PagerDuty keys both on the
 * alarm whichever identifier the integration is set to, and a direct CloudWatch -> PagerDuty wiring
 * of the same alarm, if there is one, lands in the same incident.
 */
export function pagerDutyForm(effect: PageEffect): CloudWatchAlarmNotification {
  const { incident } = effect;
  const escalated = effect.page === 'escalation';
  const at = escalated
    ? (incident.escalation?.at ?? incident.updatedAt)
    : (incident.resolution?.at ?? incident.closedAt ?? incident.updatedAt);
  const where = incident.instanceId ?? 'no single instance';
  return cloudWatchNotification({
    name: incident.alarm.name,
    arn: incident.alarm.arn,
    account: incident.alarm.account,
    region: incident.alarm.region,
    description: clipChars(
      oneLine(
        `Paged by EC2 auto-remediation: runbook ${incident.key.runbook} on ${where}, incident ${incident.id}. ` +
          'The alarm went to automation first; this page means automation could not fix it.',
      ),
      ALARM_DESCRIPTION_CHARS,
    ),
    state: escalated ? 'ALARM' : 'OK',
    reason: escalated ? escalationStory(incident) : resolutionStory(incident),
    at,
    configuredAt: incident.openedAt,
    metric: 'Escalated',
    dimensions: [
      ...(incident.instanceId ? [{ name: 'InstanceId', value: incident.instanceId }] : []),
      { name: 'Runbook', value: incident.key.runbook },
    ],
  });
}

function escalationStory(incident: Incident): string {
  const attempts = incident.attempts.map((a) => `#${a.number} ${outcome(a)}`).join('; ');
  const refusals = (incident.refusals ?? []).map((r) => `${r.gate} gate: ${r.reason}`).join('; ');
  return story([
    `Automation could not fix this alarm: ${incident.escalation?.reason ?? 'automation stopped'}.`,
    attempts ? `Attempts: ${attempts}.` : 'Nothing was run.',
    refusals ? `Refused: ${refusals}.` : '',
    `Alarm: ${incident.alarm.reason}`,
    `Incident ${incident.id}.`,
  ]);
}

function resolutionStory(incident: Incident): string {
  const how =
    incident.resolution?.how === 'verified' ? 'after remediation' : 'without a successful remediation';
  const n = incident.attempts.length;
  return story([
    `The alarm is OK again (${how}) at ${iso(incident.resolution?.at ?? incident.closedAt)}.`,
    `Automation made ${n} attempt${n === 1 ? '' : 's'}; incident ${incident.id} is closed.`,
  ]);
}

function story(parts: readonly string[]): string {
  return clipChars(oneLine(parts.filter(Boolean).join(' ')), PAGERDUTY_REASON_CHARS);
}

// ---------------------------------------------------------------------------------------------
// Chat: the custom notification

/** A custom notification of AWS's chat app (AWS Chatbot / Amazon Q Developer in chat applications). */
export interface ChatNotification {
  readonly version: '1.0';
  readonly source: 'custom';
  readonly id: string;
  readonly content: {
    readonly textType: 'client-markdown';
    readonly title: string;
    readonly description: string;
    readonly nextSteps: readonly string[];
    readonly keywords: readonly string[];
  };
  readonly metadata: {
    readonly threadId: string;
    readonly summary: string;
    readonly eventType: string;
    readonly relatedResources: readonly string[];
    readonly additionalContext: Readonly<Record<string, string>>;
    readonly enableCustomActions: boolean;
  };
}

/**
 * The chat form: title `ALARM: ...` or `OK: ...`, a markdown description (what, where, since,
 * attempts, gates, links), next steps from the runbook's notes, and the incident id as the thread,
 * so that the resolution lands under its escalation. Untrusted text (alarm, outputs) cannot mention
 * or link: `<`, `>` and `@here`-style words are neutralised.
 */
export function chatForm(effect: PageEffect, runbook: Runbook | undefined): ChatNotification {
  const { incident } = effect;
  const escalated = effect.page === 'escalation';
  const { subject } = pageMessage(effect, runbook);
  const l = links(effect);
  const where = incident.instanceId ?? 'no single instance';
  const head = [
    escalated
      ? `*What:* alarm ${md(incident.alarm.name)} is in ALARM: ${md(oneLine(incident.alarm.reason, 300))}`
      : `*What:* alarm ${md(incident.alarm.name)} is OK again`,
    `*Where:* ${md(where)} (account ${md(incident.alarm.account)}, ${md(incident.alarm.region)})`,
    `*Since:* ${iso(incident.openedAt)}${escalated ? '' : `, resolved ${iso(incident.resolution?.at)} (${incident.resolution?.how === 'verified' ? 'after remediation' : 'cleared without a successful remediation'})`}`,
    `*Runbook:* ${md(incident.key.runbook)}${runbook ? ` (owner ${md(runbook.owner)}): ${md(runbook.description)}` : ''}`,
    ...(escalated
      ? [`*Why paged:* ${md(oneLine(incident.escalation?.reason ?? 'automation stopped', 500))}`]
      : []),
    `*Gates:* ${
      (incident.refusals ?? []).length === 0
        ? 'none refused'
        : (incident.refusals ?? [])
            .map((r) => `${r.gate} at ${iso(r.at)}: ${md(oneLine(r.reason, 300))}`)
            .join('; ')
    }`,
  ];
  // The resolution only says what was tried; the output was in the escalation, in the same thread.
  const attemptsWith = chatAttempts(incident.attempts, escalated);
  const attemptsWithout = chatAttempts(incident.attempts, false);
  const tail = [
    '*Links:*',
    `• Alarm: ${l.alarm}`,
    ...(l.instance ? [`• Instance: ${l.instance}`] : []),
    ...(l.diagnosis ? [`• Diagnose in Run Command: ${l.diagnosis.url}`] : []),
    ...l.commands.map((c) => `• Attempt #${c.attempt} in Run Command: ${c.url}`),
  ].join('\n');
  const description = fitDescription(
    [[...head, ...attemptsWith].join('\n'), [...head, ...attemptsWithout].join('\n')],
    tail,
  );
  const notes = escalated
    ? [
        ...noteSteps(
          runbook?.notes ?? 'The runbook has no notes; start from the alarm and the attempts above.',
        ),
        ...(runbook?.link ? [runbook.link] : []),
        `Incident ${incident.id} stays open until the alarm returns to OK; the OK lands in this thread.`,
      ]
    : ['Close the page for this incident if your pager has not closed it already.'];
  return {
    version: '1.0',
    source: 'custom',
    id: `${incident.id}:${effect.page}`,
    content: {
      textType: 'client-markdown',
      title: clipChars(subject, CHAT_LIMITS.title),
      description,
      nextSteps: notes.slice(0, CHAT_LIMITS.nextSteps).map((s) => clipChars(s, CHAT_LIMITS.nextStep)),
      keywords: [
        escalated ? 'ALARM' : 'OK',
        incident.key.runbook,
        ...(incident.instanceId ? [incident.instanceId] : []),
        incident.alarm.region,
      ]
        .slice(0, CHAT_LIMITS.keywords)
        .map((k) => clipChars(oneLine(k), CHAT_LIMITS.keyword)),
    },
    metadata: {
      threadId: incident.id,
      summary: clipChars(subject, CHAT_LIMITS.summary),
      eventType: escalated ? 'RemediationEscalation' : 'RemediationResolution',
      relatedResources: [...(incident.instanceId ? [incident.instanceId] : []), incident.alarm.arn],
      additionalContext: context({
        incidentId: incident.id,
        runbook: incident.key.runbook,
        alarmName: incident.alarm.name,
        account: incident.alarm.account,
        region: incident.alarm.region,
      }),
      // Lets an operator attach their own buttons (matched on eventType); none exist by default.
      enableCustomActions: true,
    },
  };
}

function chatAttempts(attempts: readonly Attempt[], withOutput: boolean): string[] {
  if (attempts.length === 0) return ['*Attempts:* none (nothing was run)'];
  const lines = [`*Attempts (${attempts.length}):*`];
  for (const a of attempts) {
    lines.push(
      `• #${a.number} at ${iso(a.requestedAt)}: ${md(outcome(a))}${a.commandId ? ` (command ${md(a.commandId)})` : ''}`,
    );
    if (!withOutput) continue;
    for (const [label, text] of [
      ['stdout', a.result?.stdout],
      ['stderr', a.result?.stderr],
    ] as const) {
      if (!text?.trim()) continue;
      const tail = text.replace(/\r/g, '').trimEnd().split('\n').slice(-5);
      lines.push(
        `${label}, last lines:`,
        '```',
        ...tail.map((t) => md(oneLine(t, 120)).replace(/```/g, "'''")),
        '```',
      );
    }
  }
  return lines;
}

/** Plain text as a markdown code block of at most `max` characters, fence included. */
function fence(text: string, max: number): string {
  return `\`\`\`\n${clipChars(text.replace(/```/g, "'''"), max - 8)}\n\`\`\``;
}

function noteSteps(notes: string): string[] {
  return notes
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}

/** The first candidate that fits with the tail kept whole; else the last one, cut. */
function fitDescription(candidates: readonly string[], tail: string): string {
  const max = CHAT_LIMITS.description;
  for (const c of candidates) {
    const text = `${c}\n${tail}`;
    if (text.length <= max) return text;
  }
  const mark = '\n[cut to fit the chat]\n';
  const room = max - tail.length - mark.length;
  if (room <= 0) return clipChars(tail, max);
  return `${clipChars(candidates.at(-1) ?? '', room)}${mark}${tail}`;
}

// ---------------------------------------------------------------------------------------------
// SNS

/** One `Publish` to the paging topic. */
export interface SnsPublication {
  readonly Subject: string;
  /** The MessageStructure json object, serialised. */
  readonly Message: string;
  readonly MessageStructure: 'json';
  /** `Buffer.byteLength(Message)`: at most {@link MESSAGE_BUDGET_BYTES}. */
  readonly size: number;
}

/** One `Publish` to the chat topic: the custom notification as the plain message. */
export interface ChatPublication {
  readonly Message: string;
  readonly size: number;
}

/**
 * The page as one SNS `Publish` with `MessageStructure: 'json'`: `default` and `email` the text,
 * `sms` the subject, `https` the PagerDuty form (a JSON string, as SNS requires). Stays within
 * {@link MESSAGE_BUDGET_BYTES} whatever the outputs were: attempt output is shortened, then left
 * out, then the text is cut (its console links kept); the message is always serialised from an
 * object, so it is always valid JSON.
 */
export function snsMessage(effect: PageEffect, runbook: Runbook | undefined): SnsPublication {
  const { subject } = pageMessage(effect, runbook);
  const https = JSON.stringify(pagerDutyForm(effect));
  return fitPublication(
    subject,
    OUTPUT_TIERS.map((tier) => () => humanParts(effect, runbook, tier)),
    https,
  );
}

/** What to publish to the chat topic for a page. */
export function chatSnsMessage(effect: PageEffect, runbook: Runbook | undefined): ChatPublication {
  const Message = JSON.stringify(chatForm(effect, runbook));
  return { Message, size: Buffer.byteLength(Message) };
}

// ---------------------------------------------------------------------------------------------
// Fleet notices

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

// ---------------------------------------------------------------------------------------------
// Fitting within SNS's size

type OutputTier = 'full' | 'short' | 'none';
const OUTPUT_TIERS: readonly OutputTier[] = ['full', 'short', 'none'];

/** The text in two parts: the body, which may be cut, and a tail of links, which is kept. */
interface HumanParts {
  readonly body: string;
  readonly tail: string;
}

function humanParts(effect: PageEffect, runbook: Runbook | undefined, tier: OutputTier): HumanParts {
  const incident = tier === 'full' ? effect.incident : withOutput(effect.incident, tier);
  const { body } = pageMessage({ ...effect, incident }, runbook);
  const l = links(effect);
  const tail = [
    'Links:',
    `  Alarm:    ${l.alarm}`,
    ...(l.instance ? [`  Instance: ${l.instance}`] : []),
    ...(l.diagnosis ? [`  Diagnose ${l.diagnosis.commandId}: ${l.diagnosis.url}`] : []),
    ...l.commands.map((c) => `  #${c.attempt} ${c.commandId}: ${c.url}`),
    ...(tier === 'full' ? [] : ['(attempt output shortened to fit the page; Run Command has all of it)']),
  ].join('\n');
  return { body, tail };
}

/** The incident with each attempt's output cut to its last few short lines, or left out. */
function withOutput(incident: Incident, tier: 'short' | 'none'): Incident {
  const cut = (text: string | undefined): string | undefined => {
    if (tier === 'none' || text === undefined) return undefined;
    return text
      .replace(/\r/g, '')
      .trimEnd()
      .split('\n')
      .slice(-3)
      .map((line) => (line.length <= 80 ? line : `${line.slice(0, 77)}...`))
      .join('\n');
  };
  const cutResult = (r: CommandResult): CommandResult => ({
    ...r,
    stdout: cut(r.stdout),
    stderr: cut(r.stderr),
  });
  return {
    ...incident,
    attempts: incident.attempts.map((a) => {
      const diagnosis = diagnosisOf(a);
      // The diagnosis keeps every field it had; only its output changes (hence the assertion).
      return {
        ...a,
        ...(a.result ? { result: cutResult(a.result) } : {}),
        ...(diagnosis?.result ? { diagnosis: { ...diagnosis, result: cutResult(diagnosis.result) } } : {}),
      } as Attempt;
    }),
  };
}

/**
 * The diagnose step of an attempt, when the incident records one: read by shape, so that these forms
 * trim and link the diagnose output like the attempts' whether or not `Attempt` declares it.
 */
function diagnosisOf(
  attempt: Attempt,
): { readonly commandId?: string; readonly result?: CommandResult } | undefined {
  return (
    attempt as { readonly diagnosis?: { readonly commandId?: string; readonly result?: CommandResult } }
  ).diagnosis;
}

function fitPublication(
  subject: string,
  tiers: readonly (() => HumanParts)[],
  https: string,
): SnsPublication {
  let parts: HumanParts = { body: '', tail: '' };
  for (const tier of tiers) {
    parts = tier();
    const publication = assemble(subject, join(parts), https);
    if (publication.size <= MESSAGE_BUDGET_BYTES) return publication;
  }
  // Cut the body to what is left once the tail, the subject and the PagerDuty form are in. The text
  // goes twice (default and email), so each copy gets half of it.
  const mark = '\n[message cut to fit the pager]';
  const fixed = assemble(subject, join({ body: mark, tail: parts.tail }), https).size;
  let room = Math.floor((MESSAGE_BUDGET_BYTES - fixed) / 2);
  while (room > 0) {
    const text = join({ body: `${cutToJsonBytes(parts.body, room)}${mark}`, tail: parts.tail });
    const publication = assemble(subject, text, https);
    if (publication.size <= MESSAGE_BUDGET_BYTES) return publication;
    room = Math.floor(room * 0.9) - 1;
  }
  // Only an absurd tail or form gets here: send the subject alone, still valid JSON.
  const bare = assemble(subject, subject, undefined);
  return bare;
}

function join(parts: HumanParts): string {
  return parts.tail ? `${parts.body}\n\n${parts.tail}` : parts.body;
}

function assemble(subject: string, text: string, https: string | undefined): SnsPublication {
  const Message = JSON.stringify({
    default: text,
    email: text,
    sms: subject,
    ...(https === undefined ? {} : { https }),
  });
  return { Subject: subject, Message, MessageStructure: 'json', size: Buffer.byteLength(Message) };
}

/** The longest prefix of `text` (whole code points) whose JSON string escape takes at most `max` bytes. */
function cutToJsonBytes(text: string, max: number): string {
  let used = 0;
  let end = 0;
  for (const ch of text) {
    used += jsonBytes(ch);
    if (used > max) break;
    end += ch.length;
  }
  return text.slice(0, end);
}

function jsonBytes(ch: string): number {
  const code = ch.codePointAt(0) ?? 0;
  if (ch === '"' || ch === '\\') return 2;
  if (code < 0x20) return ch === '\n' || ch === '\r' || ch === '\t' || ch === '\b' || ch === '\f' ? 2 : 6;
  if (code >= 0xd800 && code <= 0xdfff) return 6; // a lone surrogate, escaped as \udxxx
  return Buffer.byteLength(ch);
}

// ---------------------------------------------------------------------------------------------
// Helpers

interface NotificationFields {
  readonly name: string;
  readonly arn: string;
  readonly account: string;
  readonly region: string;
  readonly description: string;
  readonly state: 'ALARM' | 'OK';
  readonly reason: string;
  readonly at: number | undefined;
  readonly configuredAt: number | undefined;
  readonly metric: string;
  readonly dimensions: readonly { readonly name: string; readonly value: string }[];
}

function cloudWatchNotification(f: NotificationFields): CloudWatchAlarmNotification {
  return {
    AlarmName: f.name,
    AlarmDescription: f.description,
    AWSAccountId: f.account,
    AlarmConfigurationUpdatedTimestamp: cloudWatchTime(f.configuredAt),
    NewStateValue: f.state,
    NewStateReason: f.reason,
    StateChangeTime: cloudWatchTime(f.at),
    Region: regionName(f.region),
    AlarmArn: f.arn,
    OldStateValue: f.state === 'ALARM' ? 'OK' : 'ALARM',
    OKActions: [],
    AlarmActions: [],
    InsufficientDataActions: [],
    Trigger: {
      MetricName: f.metric,
      Namespace: PAGE_NAMESPACE,
      StatisticType: 'Statistic',
      Statistic: 'MAXIMUM',
      Unit: null,
      Dimensions: f.dimensions.slice(0, 10).map((d) => ({ value: clipChars(d.value, 255), name: d.name })),
      Period: 60,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      TreatMissingData: 'missing',
      EvaluateLowSampleCountPercentile: '',
    },
  };
}

function outcome(a: Attempt): string {
  const result = a.result;
  const code = result?.responseCode === undefined ? '' : `, exit ${result.responseCode}`;
  return result ? `${result.statusDetails ?? result.status}${code}` : a.status;
}

/** Region display names as CloudWatch writes them in notifications; the code for any other. */
const REGION_NAMES: Readonly<Record<string, string>> = {
  'us-east-1': 'US East (N. Virginia)',
  'us-east-2': 'US East (Ohio)',
  'us-west-1': 'US West (N. California)',
  'us-west-2': 'US West (Oregon)',
  'af-south-1': 'Africa (Cape Town)',
  'ap-east-1': 'Asia Pacific (Hong Kong)',
  'ap-south-1': 'Asia Pacific (Mumbai)',
  'ap-south-2': 'Asia Pacific (Hyderabad)',
  'ap-southeast-1': 'Asia Pacific (Singapore)',
  'ap-southeast-2': 'Asia Pacific (Sydney)',
  'ap-southeast-3': 'Asia Pacific (Jakarta)',
  'ap-southeast-4': 'Asia Pacific (Melbourne)',
  'ap-northeast-1': 'Asia Pacific (Tokyo)',
  'ap-northeast-2': 'Asia Pacific (Seoul)',
  'ap-northeast-3': 'Asia Pacific (Osaka)',
  'ca-central-1': 'Canada (Central)',
  'ca-west-1': 'Canada West (Calgary)',
  'eu-central-1': 'EU (Frankfurt)',
  'eu-central-2': 'EU (Zurich)',
  'eu-west-1': 'EU (Ireland)',
  'eu-west-2': 'EU (London)',
  'eu-west-3': 'EU (Paris)',
  'eu-north-1': 'EU (Stockholm)',
  'eu-south-1': 'EU (Milan)',
  'eu-south-2': 'EU (Spain)',
  'il-central-1': 'Israel (Tel Aviv)',
  'me-south-1': 'Middle East (Bahrain)',
  'me-central-1': 'Middle East (UAE)',
  'sa-east-1': 'South America (Sao Paulo)',
  'us-gov-west-1': 'AWS GovCloud (US-West)',
  'us-gov-east-1': 'AWS GovCloud (US-East)',
};

function regionName(region: string): string {
  return REGION_NAMES[region] ?? region;
}

function consoleBase(region: string): string {
  if (region.startsWith('cn-')) return `https://${region}.console.amazonaws.cn`;
  if (region.startsWith('us-gov-')) return 'https://console.amazonaws-us-gov.com';
  return `https://${region}.console.aws.amazon.com`;
}

function arnPartition(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** RFC 3986 strict: everything but unreserved characters is percent-encoded (also `!'()*`). */
function encode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Untrusted text in chat markdown: no mentions, no links, no HTML-ish tags. */
function md(text: string): string {
  return text
    .replace(/</g, '‹')
    .replace(/>/g, '›')
    .replace(/@(here|channel|everyone)\b/gi, '@\u200b$1');
}

function context(values: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([k, v]) => [k, clipChars(oneLine(v), CHAT_LIMITS.contextValue)]),
  );
}

function oneLine(text: string, max = Number.POSITIVE_INFINITY): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return clipChars(flat, max);
}

/** At most `max` UTF-16 units, cut on a code point boundary, with `...` when cut. */
function clipChars(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 3);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1; // do not split a surrogate pair
  return `${text.slice(0, end)}...`;
}

function keyTime(key: string): number | undefined {
  const match = /(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z)$/.exec(key);
  return match?.[1] ? Date.parse(match[1]) : undefined;
}

function iso(epochMs: number | undefined): string {
  return epochMs === undefined ? 'unknown' : new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** CloudWatch's notification timestamps: `2015-06-03T17:43:27.123+0000`. */
function cloudWatchTime(epochMs: number | undefined): string {
  return new Date(epochMs ?? 0).toISOString().replace(/Z$/, '+0000');
}
