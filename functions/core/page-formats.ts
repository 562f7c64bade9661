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
 * - PagerDuty Events API v2 (https://github.com/PagerDuty/api-schema, reference/events-v2/openapiv3.json,
 *   and https://developer.pagerduty.com/docs/events-api-v2/trigger-events/): see
 *   {@link pagerDutyEvent}, delivered through an EventBridge API destination rather than SNS.
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
export { type ChatNotification, chatForm } from './page-formats/chat.ts';
export { humanText } from './page-formats/fit.ts';
export { type ConsoleLinks, links } from './page-formats/helpers.ts';
export {
  CHAT_LIMITS,
  MESSAGE_BUDGET_BYTES,
  PAGERDUTY_REASON_CHARS,
  SNS_MAX_MESSAGE_BYTES,
} from './page-formats/limits.ts';
export { type NoticeForms, type NoticeOrigin, noticeForms } from './page-formats/notices.ts';
export {
  type CloudWatchAlarmNotification,
  type CloudWatchTrigger,
  PAGE_NAMESPACE,
  pagerDutyForm,
} from './page-formats/pagerduty.ts';
export {
  dedupKey,
  noticeEventDetail,
  PAGE_DETAIL_TYPE,
  PAGERDUTY_CLIENT,
  PAGERDUTY_EVENT_BYTES,
  PAGERDUTY_EVENT_LIMITS,
  type PagerDutyEvent,
  type PagerDutyLink,
  type PagerDutyPayload,
  type PagerDutySeverity,
  pageEventDetail,
  pagerDutyEvent,
  pagerDutyNoticeEvent,
  type RemediationPageDetail,
  reasonClass,
} from './page-formats/pagerduty-events.ts';
export { type ChatPublication, chatSnsMessage, type SnsPublication, snsMessage } from './page-formats/sns.ts';
