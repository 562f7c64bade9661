/** The size limits each form is cut to. */

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
export const ALARM_DESCRIPTION_CHARS = 1_024;
