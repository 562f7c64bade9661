import { EVENT_LEVELS, type EventLevel } from '../core/effects.ts';
import type { EventOrigin } from './middleware/accept-origin.ts';

/**
 * The environment contract between the stack and the handlers: the stack sets these variables, the
 * handlers read them once per container.
 */
export const ENV = {
  tableName: 'TABLE_NAME',
  timerQueueUrl: 'TIMER_QUEUE_URL',
  pagerTopicArn: 'PAGER_TOPIC_ARN',
  /** Optional: the topic the chat app (Amazon Q Developer in chat applications) subscribes to. */
  chatTopicArn: 'CHAT_TOPIC_ARN',
  eventBusName: 'EVENT_BUS_NAME',
  /** Optional: which remediation events to publish, `lifecycle` (when unset), `all` or `none`. */
  events: 'REMEDIATION_EVENTS',
  /** JSON object: runbook name -> SSM document name. */
  runbookDocuments: 'RUNBOOK_DOCUMENTS',
  /** The tag an instance must carry, and its value, for any runbook to run on it. */
  optInTagKey: 'OPT_IN_TAG_KEY',
  optInTagValue: 'OPT_IN_TAG_VALUE',
  /** Optional, `true` or `false` (when unset): page for alarms on instances without the opt-in tag. */
  pageUnmanagedInstances: 'PAGE_UNMANAGED_INSTANCES',
  /** Optional: seconds between slow checks of escalated and suppressed incidents (hourly when unset). */
  checkSeconds: 'CHECK_SECONDS',
  /** Optional: how far in the future an alarm's state time may lie before the event is rejected (300 s when unset). */
  futureToleranceSeconds: 'FUTURE_TOLERANCE_SECONDS',
  /**
   * Optional: seconds after its launch an instance is left alone (its alarms wait), a whole number
   * from 0 (no settle time) to 3600; {@link DEFAULT_SETTLE_SECONDS} when unset.
   */
  settleSeconds: 'SETTLE_SECONDS',
  /** Comma-separated: the accounts whose events the handlers act on (the stack's own, and any allowed). */
  eventAccounts: 'EVENT_ACCOUNTS',
  /** Comma-separated: the Regions whose events the handlers act on (the stack's own). */
  eventRegions: 'EVENT_REGIONS',
  /**
   * Optional: the operator function's name, printed in the commands a page gives (`--function`). The
   * operator function itself reads its own name from Lambda's AWS_LAMBDA_FUNCTION_NAME.
   */
  operatorFunction: 'OPERATOR_FUNCTION_NAME',
} as const;

/** The settle time when the stack sets none: five minutes, time for a boot to warm up. */
export const DEFAULT_SETTLE_SECONDS = 300;
/** The longest settle time: a settle wait never pages, so it is kept short. */
export const MAX_SETTLE_SECONDS = 3600;

/** Settings every handler needs. */
export interface HandlerConfig {
  readonly tableName: string;
  /** The operator function, named in the commands pages print; absent outside a deployed engine. */
  readonly operatorFunction?: string;
  readonly timerQueueUrl: string;
  readonly pagerTopicArn: string;
  /** Where chat notifications go, when a chat channel is configured. */
  readonly chatTopicArn?: string;
  readonly eventBusName: string;
  /** Which remediation events to publish; `lifecycle` when unset. */
  readonly events?: EventLevel;
  readonly runbookDocuments: Readonly<Record<string, string>>;
  readonly optInTag: { readonly key: string; readonly value: string };
  /**
   * Page for an alarm that would open an incident on an instance without the opt-in tag, instead of
   * leaving it alone (logged and counted); false when unset.
   */
  readonly pageUnmanagedInstances?: boolean;
  /** Seconds between slow checks of escalated and suppressed incidents. */
  readonly checkSeconds?: number;
  /** How far in the future (seconds) an alarm's state time may lie before its event is rejected. */
  readonly futureToleranceSeconds?: number;
  /**
   * Seconds after its launch an instance is left alone (0: no settle time); read from the
   * environment, {@link DEFAULT_SETTLE_SECONDS} when unset.
   */
  readonly settleSeconds?: number;
  /** The accounts and Regions whose events are acted on; a deployed function always has them. */
  readonly origin?: EventOrigin;
}

/** Reads the configuration, failing with the name of the missing variable: a deploy error, not a runtime one. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): HandlerConfig {
  const required = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`environment variable ${name} is not set; the stack sets it, so redeploy`);
    return value;
  };
  const documents: unknown = JSON.parse(required(ENV.runbookDocuments));
  if (typeof documents !== 'object' || documents === null || Array.isArray(documents)) {
    throw new Error(`${ENV.runbookDocuments} must be a JSON object of runbook name to SSM document name`);
  }
  const events = env[ENV.events];
  if (events !== undefined && !EVENT_LEVELS.includes(events as EventLevel)) {
    throw new Error(`${ENV.events} must be one of ${EVENT_LEVELS.join(', ')}, not ${JSON.stringify(events)}`);
  }
  const pageUnmanaged = env[ENV.pageUnmanagedInstances];
  if (pageUnmanaged !== undefined && pageUnmanaged !== '' && !['true', 'false'].includes(pageUnmanaged)) {
    throw new Error(
      `${ENV.pageUnmanagedInstances} must be true or false, not ${JSON.stringify(pageUnmanaged)}`,
    );
  }
  return {
    tableName: required(ENV.tableName),
    ...(env[ENV.operatorFunction] ? { operatorFunction: env[ENV.operatorFunction] as string } : {}),
    timerQueueUrl: required(ENV.timerQueueUrl),
    pagerTopicArn: required(ENV.pagerTopicArn),
    ...(env[ENV.chatTopicArn] ? { chatTopicArn: env[ENV.chatTopicArn] as string } : {}),
    eventBusName: required(ENV.eventBusName),
    ...(events ? { events: events as EventLevel } : {}),
    runbookDocuments: documents as Record<string, string>,
    optInTag: { key: required(ENV.optInTagKey), value: required(ENV.optInTagValue) },
    ...(pageUnmanaged === 'true' ? { pageUnmanagedInstances: true } : {}),
    origin: { accounts: list(required(ENV.eventAccounts)), regions: list(required(ENV.eventRegions)) },
    ...seconds(env, ENV.checkSeconds, 'checkSeconds', 60),
    ...seconds(env, ENV.futureToleranceSeconds, 'futureToleranceSeconds', 0),
    settleSeconds: DEFAULT_SETTLE_SECONDS,
    ...seconds(env, ENV.settleSeconds, 'settleSeconds', 0, MAX_SETTLE_SECONDS),
  };
}

/** An optional whole number of seconds, at least `min` (and at most `max`, when given). */
function seconds<K extends string>(
  env: NodeJS.ProcessEnv,
  name: string,
  field: K,
  min: number,
  max = Number.POSITIVE_INFINITY,
): Partial<Record<K, number>> {
  const value = env[name];
  if (value === undefined || value === '') return {};
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max)
    throw new Error(
      `${name} must be a whole number of seconds, at least ${min}${Number.isFinite(max) ? ` and at most ${max}` : ''}, not ${JSON.stringify(value)}`,
    );
  return { [field]: parsed } as Partial<Record<K, number>>;
}

/** A comma-separated list, without blanks. */
function list(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
