import type { PublishCommandInput } from '@aws-sdk/client-sns';
import type { SendCommandCommandInput } from '@aws-sdk/client-ssm';
import fc from 'fast-check';
import { expect } from 'vitest';
import { INSTANCE_ID } from '../../functions/core/alarm.ts';
import { DIAGNOSE_ACTION, type Runbook } from '../../functions/core/runbook.ts';

/**
 * Inputs for fuzzing the handlers, and the checks every fuzzed invocation must pass. Events are JSON
 * (EventBridge and SQS deliver nothing else), so every generated value is a JSON value.
 */

/** Marks every hostile value, in upper case so that no runbook's allowedPattern admits it. */
export const MARK = 'PWNED';

/** Shell metacharacters, substitutions, SSM parameter references, control and bidi characters. */
export const HOSTILE: readonly string[] = [
  `$(touch /tmp/${MARK})`,
  `\`touch /tmp/${MARK}\``,
  `app; rm -rf / #${MARK}`,
  `app && reboot ${MARK}`,
  `app\nreboot\n${MARK}`,
  `app\r\n${MARK}`,
  `app\u0000${MARK}`,
  `{{ssm:/secret/${MARK}}}`,
  `{{resolve:ssm:${MARK}}}`,
  `\u202e${MARK}\u202c.exe`,
  `${MARK}'; DROP TABLE incidents; --`,
  `\${IFS}reboot\${IFS}${MARK}`,
  `app | tee /tmp/${MARK}`,
  `../../etc/passwd/${MARK}`,
  `%s%n%x ${MARK}`,
  `<script>${MARK}</script>`,
  `\u001b[31m${MARK}`,
  `${MARK}${'\u0301'.repeat(50)}`,
  `𝕻𝖂𝕹𝕰𝕯 ${MARK} 🧨`,
];

/** Strings past every limit: 10 k, 64 KiB and 1 MiB. */
export const OVERSIZED: readonly string[] = [
  'a'.repeat(10_000),
  `${MARK}-`.repeat(11_000),
  'x'.repeat(1 << 20),
];

/** A hostile, oversized or arbitrary (any code point, no lone surrogates) string. */
export const fuzzString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...HOSTILE), weight: 4 },
  { arbitrary: fc.constantFrom(...OVERSIZED), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 300 }), weight: 3 },
  { arbitrary: fc.string({ maxLength: 20 }), weight: 2 },
  {
    arbitrary: fc.constantFrom(
      '',
      ' ',
      'ALARM',
      'OK',
      'Success',
      'null',
      '0',
      '2019-10-02T17:04:40.989+0000',
    ),
    weight: 2,
  },
);

/** Removes empty keys, which CloudWatch never sends (see the defect test on them in handler-fuzzing). */
function withoutEmptyKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmptyKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== '')
        .map(([key, v]) => [key, withoutEmptyKeys(v)]),
    );
  }
  return value;
}

/** Any JSON value: wrong types, nested shapes, hostile and oversized strings. */
export const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fuzzString, weight: 4 },
  {
    arbitrary: fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2),
    weight: 2,
  },
  { arbitrary: fc.integer(), weight: 1 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }).map(withoutEmptyKeys), weight: 2 },
  { arbitrary: fc.array(fuzzString, { maxLength: 3 }), weight: 1 },
  {
    arbitrary: fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fuzzString, { maxKeys: 4 }),
    weight: 1,
  },
);

/** A valid EC2 instance id (17 hex digits), so that fuzzed events open incidents of their own. */
export const instanceId: fc.Arbitrary<string> = fc
  .array(fc.constantFrom(...'0123456789abcdef'), { minLength: 17, maxLength: 17 })
  .map((digits) => `i-${digits.join('')}`);

/** One change to a JSON document. */
export type Mutation =
  | { readonly op: 'delete'; readonly at: number }
  | { readonly op: 'replace'; readonly at: number; readonly value: unknown }
  | { readonly op: 'truncate'; readonly at: number; readonly keep: number }
  | { readonly op: 'set'; readonly path: readonly (string | number)[]; readonly value: unknown };

/** Mutations anywhere in a document, and `set`s at the paths a handler reads. */
export function mutations(targets: readonly (readonly (string | number)[])[], values = weirdValue) {
  return fc.array(
    fc.oneof(
      fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
      fc.record({ op: fc.constant('replace' as const), at: fc.nat(), value: values }),
      fc.record({ op: fc.constant('truncate' as const), at: fc.nat(), keep: fc.nat({ max: 40 }) }),
      fc.record({ op: fc.constant('set' as const), path: fc.constantFrom(...targets), value: values }),
    ),
    { minLength: 1, maxLength: 4 },
  );
}

type Path = (string | number)[];

function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => [[...prefix, i], ...pathsOf(v, [...prefix, i])]);
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...pathsOf(v, [...prefix, k])]);
  return [];
}

function parentOf(doc: any, path: Path): any {
  return path.slice(0, -1).reduce((node, key) => node?.[key], doc);
}

/** Applies mutations to a deep copy of `base`. */
export function mutate(base: unknown, changes: readonly Mutation[]): unknown {
  const doc: any = structuredClone(base);
  for (const change of changes) {
    if (change.op === 'set') {
      let node = doc;
      for (const key of change.path.slice(0, -1)) {
        if (node[key] === null || typeof node[key] !== 'object')
          node[key] = typeof key === 'number' ? [] : {};
        node = node[key];
      }
      node[change.path[change.path.length - 1] as string | number] = structuredClone(change.value);
      continue;
    }
    const all = pathsOf(doc);
    const candidates =
      change.op === 'truncate'
        ? all.filter((p) => typeof parentOf(doc, p)?.[p[p.length - 1] as never] === 'string')
        : all;
    const path = candidates[change.at % Math.max(1, candidates.length)];
    if (!path) continue;
    const parent = parentOf(doc, path);
    const key = path[path.length - 1] as string | number;
    if (change.op === 'delete') {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
    } else if (change.op === 'replace') {
      parent[key] = structuredClone(change.value);
    } else {
      parent[key] = String(parent[key]).slice(0, change.keep);
    }
  }
  return doc;
}

/** Points every `InstanceId` dimension of an alarm event at `instance`. */
export function retarget(event: any, instance: string): any {
  for (const metric of event?.detail?.configuration?.metrics ?? []) {
    const dimensions = metric?.metricStat?.metric?.dimensions;
    if (dimensions && typeof dimensions === 'object' && 'InstanceId' in dimensions)
      dimensions.InstanceId = instance;
  }
  return event;
}

/**
 * What reaches SSM: the runbook's own document, one valid instance id, the runbook's action and
 * timeout, and only the runbook's declared parameters, each matching its allowedPattern. Nothing
 * else, and nothing hostile, anywhere in the input.
 */
export function expectSafeSendCommands(
  inputs: readonly SendCommandCommandInput[],
  runbooks: readonly Runbook[],
  documents: Readonly<Record<string, string>>,
): void {
  for (const input of inputs) {
    const runbook = runbooks.find((r) => documents[r.name] === input.DocumentName);
    expect(runbook, `document ${input.DocumentName}`).toBeDefined();
    if (!runbook) continue;
    expect(Object.keys(input).sort()).toEqual(
      ['Comment', 'DocumentName', 'DocumentVersion', 'InstanceIds', 'Parameters', 'TimeoutSeconds'].sort(),
    );
    expect(input.DocumentVersion).toBe('1');
    expect(input.TimeoutSeconds).toBe(runbook.deliveryTimeoutSeconds);
    expect(input.InstanceIds).toHaveLength(1);
    expect(input.InstanceIds?.[0]).toMatch(INSTANCE_ID);
    expect(input.Comment?.length).toBeLessThanOrEqual(100);
    expect(input.Comment).toMatch(/^[a-z0-9-]+\.i-[0-9a-f]{8,17}\.[-+0-9TZ]+ attempt \d+( diagnose)?$/);
    const parameters = input.Parameters ?? {};
    expect(
      Object.keys(parameters).every(
        (name) => ['action', 'executionTimeout'].includes(name) || name in runbook.parameters,
      ),
    ).toBe(true);
    expect([...runbook.actions.map((a) => a.name), DIAGNOSE_ACTION]).toContain(parameters.action?.[0]);
    expect(parameters.action).toHaveLength(1);
    expect(parameters.executionTimeout).toEqual([String(runbook.executionTimeoutSeconds)]);
    for (const [name, spec] of Object.entries(runbook.parameters)) {
      expect(parameters[name], name).toHaveLength(1);
      expect(parameters[name]?.[0], name).toMatch(new RegExp(spec.allowedPattern, 'u'));
    }
    expect(JSON.stringify(input)).not.toContain(MARK);
  }
}

/** SNS's limits on a page: an ASCII subject under 100 characters, a message of at most 256 KiB. */
export function expectPagesWithinSnsLimits(inputs: readonly PublishCommandInput[]): void {
  for (const input of inputs) {
    if (input.Subject !== undefined) expect(input.Subject).toMatch(/^[\x20-\x7e]{1,99}$/);
    expect(Buffer.byteLength(input.Message ?? '')).toBeLessThanOrEqual(262_144);
    if (input.MessageStructure === 'json')
      expect(typeof JSON.parse(input.Message ?? '').default).toBe('string');
  }
}
