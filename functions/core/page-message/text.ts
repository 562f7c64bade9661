import { quoteUntrusted } from '../untrusted-text.ts';

/** Small text helpers of the text page. */

export function oneLine(text: string, max = Number.POSITIVE_INFINITY): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  const flat = text.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, max - 3)}...`;
}

export function iso(epochMs: number | undefined): string {
  return epochMs === undefined ? 'unknown' : new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function hhmm(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(11, 16)}Z`;
}

/** A value as it is when it is plainly a name, else quoted and escaped (it comes from an alarm or a tag). */
export function plainOrQuoted(value: string, max = 60): string {
  return /^[A-Za-z0-9_.:@/-]{1,60}$/.test(value) && value.length <= max ? value : quoteUntrusted(value, max);
}

/**
 * Who a person is, as a page names them: the session name of an assumed role (`sam (OnCall)`), the
 * user name of an IAM user, else what was recorded, on one line.
 */
export function who(by: string, max = 80): string {
  const role = /^arn:aws[\w-]*:sts::\d{12}:assumed-role\/([^/\s]+)\/([^/\s]+)$/.exec(by);
  if (role?.[1] && role[2]) return oneLine(`${role[2]} (${role[1]})`, max);
  const user = /^arn:aws[\w-]*:iam::\d{12}:user\/(?:[^\s]*\/)?([^/\s]+)$/.exec(by);
  if (user?.[1]) return oneLine(user[1], max);
  return oneLine(by, max);
}
