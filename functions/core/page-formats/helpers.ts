import type { PageEffect } from '../effects.ts';
import type { Attempt, CommandResult } from '../incident.ts';
import { CHAT_LIMITS } from './limits.ts';

/** Helpers shared by the forms. */

export function outcome(a: Attempt): string {
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

export function regionName(region: string): string {
  return REGION_NAMES[region] ?? region;
}

export function consoleBase(region: string): string {
  if (region.startsWith('cn-')) return `https://${region}.console.amazonaws.cn`;
  if (region.startsWith('us-gov-')) return 'https://console.amazonaws-us-gov.com';
  return `https://${region}.console.aws.amazon.com`;
}

export function arnPartition(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** RFC 3986 strict: everything but unreserved characters is percent-encoded (also `!'()*`). */
export function encode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Untrusted text in chat markdown: no mentions, no links, no HTML-ish tags. */
export function md(text: string): string {
  return text
    .replace(/</g, '‹')
    .replace(/>/g, '›')
    .replace(/@(here|channel|everyone)\b/gi, '@\u200b$1');
}

export function context(values: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([k, v]) => [k, clipChars(oneLine(v), CHAT_LIMITS.contextValue)]),
  );
}

export function oneLine(text: string, max = Number.POSITIVE_INFINITY): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return clipChars(flat, max);
}

/** At most `max` UTF-16 units, cut on a code point boundary, with `...` when cut. */
export function clipChars(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 3);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1; // do not split a surrogate pair
  return `${text.slice(0, end)}...`;
}

export function keyTime(key: string): number | undefined {
  const match = /(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z)$/.exec(key);
  return match?.[1] ? Date.parse(match[1]) : undefined;
}

export function iso(epochMs: number | undefined): string {
  return epochMs === undefined ? 'unknown' : new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** CloudWatch's notification timestamps: `2015-06-03T17:43:27.123+0000`. */
export function cloudWatchTime(epochMs: number | undefined): string {
  return new Date(epochMs ?? 0).toISOString().replace(/Z$/, '+0000');
}

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

/**
 * The diagnose step of an attempt, when the incident records one: read by shape, so that these forms
 * trim and link the diagnose output like the attempts' whether or not `Attempt` declares it.
 */
export function diagnosisOf(
  attempt: Attempt,
): { readonly commandId?: string; readonly result?: CommandResult } | undefined {
  return (
    attempt as { readonly diagnosis?: { readonly commandId?: string; readonly result?: CommandResult } }
  ).diagnosis;
}
