import { closest } from './edit-distance.ts';

/**
 * The fields a runbook definition may have, at every level. A definition is read by people and
 * loaded without a type checker (`runbooks validate`, the game day, `tsx`), so a misspelled field
 * (`verifyWindowSecond`, `diagnoze`, `match.alarmName`) would otherwise be silently ignored and its
 * default, or nothing, used instead: every field not listed here is an error naming the closest one.
 */
type Shape =
  | { readonly kind: 'value' }
  | { readonly kind: 'object'; readonly fields: Readonly<Record<string, Shape>> }
  | { readonly kind: 'list'; readonly of: Shape }
  /** Any keys (parameter names, tag keys, dimension names), each value of the shape. */
  | { readonly kind: 'record'; readonly of: Shape };

const value: Shape = { kind: 'value' };
const object = (fields: Record<string, Shape>): Shape => ({ kind: 'object', fields });
const list = (of: Shape): Shape => ({ kind: 'list', of });
const record = (of: Shape): Shape => ({ kind: 'record', of });

const METRIC_MATCH = object({ namespace: value, metricName: value, dimensions: record(value) });

const ALARM = object({
  metric: object({ namespace: value, name: value }),
  query: value,
  groupBy: list(value),
  dimensions: record(value),
  statistic: value,
  periodSeconds: value,
  comparison: value,
  threshold: value,
  evaluationPeriods: value,
  datapointsToAlarm: value,
  treatMissingData: value,
  seriesPerInstance: value,
});

const PARAMETER = object({
  description: value,
  allowedPattern: value,
  default: value,
  fromAlarm: object({ dimension: value, tag: value }),
  allowedValues: list(value),
  allowedByInstanceTag: value,
  list: value,
  refuse: value,
});

const PROOF = object({
  fault: value,
  probe: value,
  sandboxThreshold: object({ value: value, reason: value }),
  alarm: object({ comparison: value, threshold: value }),
  parameters: record(value),
  instanceTags: record(value),
  alarmValues: object({ dimensions: record(value), tags: record(value) }),
  timeoutSeconds: value,
});

/** Every field of {@link RunbookDefinition}, nested. */
export const RUNBOOK_SHAPE: Shape = object({
  name: value,
  description: value,
  owner: value,
  contact: value,
  match: object({ alarmNames: list(value), metrics: list(METRIC_MATCH), alarmTags: record(value) }),
  alarm: ALARM,
  precedence: object({ over: list(value), reason: value }),
  remediate: value,
  actions: list(object({ name: value, script: value, parameters: record(value) })),
  diagnose: value,
  parameters: record(PARAMETER),
  choose: value,
  maxAttempts: value,
  backoff: object({ baseSeconds: value, capSeconds: value }),
  verifyWindowSeconds: value,
  verify: object({ probe: value, settleSeconds: value, timeoutSeconds: value }),
  pageWithin: object({ seconds: value, reason: value }),
  executionTimeoutSeconds: value,
  deliveryTimeoutSeconds: value,
  cooldownSeconds: value,
  concurrency: object({ maxInFlight: value, maxPerHour: value, maxWaitSeconds: value }),
  breaker: object({ maxInstances: value, maxPercent: value, windowSeconds: value, quietSeconds: value }),
  autoDisable: object({ lastRuns: value, minSuccessRate: value }),
  mode: value,
  approveWithinSeconds: value,
  notes: value,
  link: value,
  proof: PROOF,
});

/** A field that is not where it was written, and the one the author most likely meant. */
export interface UnknownField {
  /** Where it was written, as a path (`match.alarmName`, `parameters.service.allowedPatern`). */
  readonly path: string;
  /** The closest valid field at that level, as a path, when one is near. */
  readonly meant?: string;
  /** The valid fields at that level. */
  readonly valid: readonly string[];
}

/** Every field of `definition` that its shape does not have, outermost first. */
export function unknownFields(definition: unknown, shape: Shape = RUNBOOK_SHAPE): UnknownField[] {
  const found: UnknownField[] = [];
  walk(definition, shape, '', found);
  return found;
}

function walk(node: unknown, shape: Shape, path: string, found: UnknownField[]): void {
  const at = (key: string) => (path ? `${path}.${key}` : key);
  if (shape.kind === 'value' || node === null || typeof node !== 'object') return;
  if (shape.kind === 'list') {
    if (Array.isArray(node))
      for (const [i, item] of node.entries()) walk(item, shape.of, `${path}[${i}]`, found);
    return;
  }
  if (Array.isArray(node)) return;
  if (shape.kind === 'record') {
    for (const [key, item] of Object.entries(node)) walk(item, shape.of, at(key), found);
    return;
  }
  const valid = Object.keys(shape.fields);
  for (const [key, item] of Object.entries(node)) {
    const known = shape.fields[key];
    if (known) {
      walk(item, known, at(key), found);
      continue;
    }
    const meant = closest(key, valid);
    found.push({ path: at(key), ...(meant ? { meant: at(meant) } : {}), valid });
  }
}

/** The message for an unknown field: where, and what to write instead. */
export function unknownFieldProblem(field: UnknownField): string {
  const name = field.path.split('.').at(-1) as string;
  return field.meant
    ? `${field.path}: no such field; did you mean ${field.meant}?`
    : `${field.path}: no such field ("${name.replace(/\[\d+\]$/, '')}"); the fields here are ${field.valid.join(', ')}`;
}
