import { Buffer } from 'node:buffer';
import type { PageEffect } from '../effects.ts';
import { pageMessage } from '../page-message.ts';
import type { Runbook } from '../runbook.ts';
import { chatForm } from './chat.ts';
import { fitPublication, humanParts, OUTPUT_TIERS } from './fit.ts';
import type { PageContext } from './next-steps.ts';
import { pagerDutyForm } from './pagerduty.ts';

/** SNS: one publication per topic, each form under its protocol's key. */

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
export function snsMessage(
  effect: PageEffect,
  runbook: Runbook | undefined,
  context: PageContext = {},
): SnsPublication {
  const { subject } = pageMessage(effect, runbook, context);
  const https = JSON.stringify(pagerDutyForm(effect));
  return fitPublication(
    subject,
    OUTPUT_TIERS.map((tier) => () => humanParts(effect, runbook, tier, context)),
    https,
  );
}

/** What to publish to the chat topic for a page. */
export function chatSnsMessage(
  effect: PageEffect,
  runbook: Runbook | undefined,
  context: PageContext = {},
): ChatPublication {
  const Message = JSON.stringify(chatForm(effect, runbook, context));
  return { Message, size: Buffer.byteLength(Message) };
}
