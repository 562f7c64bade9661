import type { RunbookParameter } from './runbook.ts';
import { quoteUntrusted } from './untrusted-text.ts';

/**
 * The checks a parameter value passes before it may reach a script: its pattern, the runbook's own
 * check, the values the runbook allows, and the values the instance allows in its tags.
 */

/** An instance's tags as the parameters read them (undefined: not read, so nothing they guard is allowed). */
export type InstanceTags = Readonly<Record<string, string>> | undefined;

/** The values an instance allow-list tag lists: separated by `:` or `,` (spaces around them ignored). */
export function tagList(value: string | undefined): string[] {
  return (value ?? '')
    .split(/[:,]/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/**
 * Why `value` may not be used for the parameter, or undefined when it may: it must match the
 * `allowedPattern`, pass the runbook's own `refuse` check, be one of `allowedValues`, and be listed
 * by the instance's `allowedByInstanceTag` (for a `list`, every item). The value is quoted with
 * {@link quoteUntrusted}, since it may come from anyone who can create an alarm.
 */
export function refusedValue(
  name: string,
  spec: RunbookParameter,
  value: string,
  where: string,
  instanceTags: InstanceTags,
): string | undefined {
  const from = `parameter ${name} from ${where}`;
  if (!patternAccepts(spec.allowedPattern, value))
    return `${from} (${quoteUntrusted(value)}) does not match ${spec.allowedPattern}`;
  const items = spec.list ? value.split(':') : [value];
  for (const item of items) {
    const said = runbookRefusal(spec, item);
    if (said) return `${from}: ${quoteUntrusted(item)} is refused by the runbook: ${said}`;
  }
  const allowed = spec.allowedValues;
  const unlisted = allowed && items.find((item) => !allowed.includes(item));
  if (allowed && unlisted !== undefined)
    return `${from}: ${quoteUntrusted(unlisted)} is not one of the values the runbook allows (${allowed.join(', ')})`;
  const tag = spec.allowedByInstanceTag;
  if (tag === undefined) return undefined;
  if (!instanceTags)
    return `${from}: the instance's tag ${tag}, which lists the values allowed there, was not read`;
  const listed = tagList(instanceTags[tag]);
  if (listed.length === 0)
    return `${from} (${quoteUntrusted(value)}): the instance has no tag ${tag} listing the values automation may use there, so none is allowed`;
  const outside = items.find((item) => !listed.includes(item));
  if (outside !== undefined)
    return `${from}: ${quoteUntrusted(outside)} is not listed in the instance's tag ${tag} (${quoteUntrusted(instanceTags[tag] ?? '')})`;
  return undefined;
}

/** The runbook's own check; one that throws refuses, with what it threw. */
function runbookRefusal(spec: RunbookParameter, item: string): string | undefined {
  if (!spec.refuse) return undefined;
  try {
    return spec.refuse(item);
  } catch (error) {
    return `its check failed (${error instanceof Error ? error.message : String(error)})`;
  }
}

/** Whether a value matches an allowedPattern (false for a pattern that does not compile). */
export function patternAccepts(pattern: string, value: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(value);
  } catch {
    return false;
  }
}
