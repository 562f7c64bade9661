/**
 * Amazon EventBridge event-pattern matching, for the local bus: the same patterns the stack deploys
 * route the game day's events. It follows "Amazon EventBridge event patterns" and "Content filtering
 * in Amazon EventBridge event patterns" (EventBridge User Guide):
 *
 * - a pattern has the structure of the events it matches; fields are ANDed, and every field the
 *   pattern names must match (fields it does not name are ignored);
 * - a leaf is an array of allowed values, ORed: exact strings, numbers, `true`/`false` and `null`
 *   (type-sensitive), or filters: `prefix`, `suffix` (each optionally with `equals-ignore-case`),
 *   `anything-but` (a value, a list, or `prefix`/`suffix`/`equals-ignore-case`/`wildcard`),
 *   `numeric` (one comparison or a range), `exists`, `equals-ignore-case` and `wildcard`;
 * - when the event's value is an array, the leaf matches if any element matches; when the event has
 *   an array of objects where the pattern has an object, one element must match it all;
 * - `exists` applies to leaves: `exists: false` matches a missing field (or an empty array), and a
 *   field that holds an object is not a leaf;
 * - `$or` takes a list of patterns, at least one of which must match, alongside the other fields.
 *
 * Not implemented: `cidr`. A pattern this matcher does not understand is an error, never a silent
 * non-match.
 */

/** An event pattern as EventBridge takes it (parsed JSON). */
export type EventPatternInput = { readonly [field: string]: unknown };

/** A pattern EventBridge would reject, or one this matcher does not implement. */
export class InvalidEventPatternError extends Error {
  override readonly name = 'InvalidEventPatternError';
}

/** Does the event match the pattern? Throws {@link InvalidEventPatternError} for a malformed pattern. */
export function matchesPattern(pattern: EventPatternInput, event: unknown): boolean {
  if (!isObject(pattern)) throw new InvalidEventPatternError('an event pattern must be a JSON object');
  return matchObject(pattern, event, '');
}

type Leaf = string | number | boolean | null;

function matchObject(pattern: EventPatternInput, node: unknown, path: string): boolean {
  // An array of objects matches when one element matches the whole sub-pattern; an empty one is absent.
  if (Array.isArray(node) && node.length > 0)
    return node.some((element) => matchObject(pattern, element, path));
  const fields = isObject(node) ? node : {};
  for (const [field, expected] of Object.entries(pattern)) {
    const where = path ? `${path}.${field}` : field;
    if (field === '$or') {
      if (!matchAny(expected, node, where)) return false;
    } else if (Array.isArray(expected)) {
      if (!matchLeaf(expected, leavesOf(fields[field]), where)) return false;
    } else if (isObject(expected)) {
      if (!matchObject(expected, fields[field], where)) return false;
    } else {
      throw new InvalidEventPatternError(
        `${where}: expected an array of values or an object, got ${json(expected)}`,
      );
    }
  }
  return true;
}

function matchAny(alternatives: unknown, node: unknown, where: string): boolean {
  if (!Array.isArray(alternatives) || alternatives.length === 0 || !alternatives.every(isObject)) {
    throw new InvalidEventPatternError(`${where}: $or takes a non-empty array of patterns`);
  }
  return alternatives.some((alternative) => matchObject(alternative, node, where));
}

/** The leaf values at a field: none when it is missing or holds an object, all elements of an array. */
function leavesOf(value: unknown): Leaf[] {
  if (value === undefined || isObject(value)) return [];
  if (Array.isArray(value)) return value.flatMap(leavesOf);
  return [value as Leaf];
}

function matchLeaf(allowed: readonly unknown[], values: readonly Leaf[], where: string): boolean {
  if (allowed.length === 0) throw new InvalidEventPatternError(`${where}: an empty array matches nothing`);
  return allowed.some((condition) => {
    if (!isObject(condition)) {
      if (!isLeaf(condition))
        throw new InvalidEventPatternError(`${where}: ${json(condition)} is not a value`);
      return values.some((value) => value === condition);
    }
    const [operator, operand] = singleEntry(condition, where);
    if (operator === 'exists') {
      if (typeof operand !== 'boolean')
        throw new InvalidEventPatternError(`${where}: exists takes true or false`);
      return operand === values.length > 0;
    }
    const test = filterFor(operator, operand, where);
    return values.some(test);
  });
}

type Test = (value: Leaf) => boolean;

function filterFor(operator: string, operand: unknown, where: string): Test {
  switch (operator) {
    case 'prefix':
      return textFilter(operand, where, operator, (value, text) => value.startsWith(text));
    case 'suffix':
      return textFilter(operand, where, operator, (value, text) => value.endsWith(text));
    case 'equals-ignore-case': {
      const text = stringOperand(operand, where, operator).toLowerCase();
      return (value) => typeof value === 'string' && value.toLowerCase() === text;
    }
    case 'wildcard': {
      const regex = wildcardRegex(stringOperand(operand, where, operator), where);
      return (value) => typeof value === 'string' && regex.test(value);
    }
    case 'numeric':
      return numericFilter(operand, where);
    case 'anything-but':
      return anythingBut(operand, where);
    default:
      throw new InvalidEventPatternError(`${where}: unsupported filter "${operator}"`);
  }
}

/** `prefix`/`suffix` with a string, or with `{ "equals-ignore-case": string }`. */
function textFilter(
  operand: unknown,
  where: string,
  operator: string,
  test: (value: string, text: string) => boolean,
): Test {
  if (isObject(operand)) {
    const [inner, text] = singleEntry(operand, where);
    if (inner !== 'equals-ignore-case') {
      throw new InvalidEventPatternError(
        `${where}: ${operator} takes a string or { "equals-ignore-case": string }`,
      );
    }
    const lower = stringOperand(text, where, `${operator} equals-ignore-case`).toLowerCase();
    return (value) => typeof value === 'string' && test(value.toLowerCase(), lower);
  }
  const text = stringOperand(operand, where, operator);
  return (value) => typeof value === 'string' && test(value, text);
}

/** Matches when the field is present and its value is none of the excluded ones. */
function anythingBut(operand: unknown, where: string): Test {
  if (isObject(operand)) {
    const [inner, innerOperand] = singleEntry(operand, where);
    const operands = Array.isArray(innerOperand) ? innerOperand : [innerOperand];
    if (!['prefix', 'suffix', 'equals-ignore-case', 'wildcard'].includes(inner) || operands.length === 0) {
      throw new InvalidEventPatternError(`${where}: anything-but does not take "${inner}" here`);
    }
    if (operands.length > 1 && (inner === 'prefix' || inner === 'suffix')) {
      throw new InvalidEventPatternError(`${where}: anything-but ${inner} takes a single string`);
    }
    const excluded = operands.map((one) => filterFor(inner, one, where));
    return (value) => typeof value === 'string' && !excluded.some((test) => test(value));
  }
  const excluded: readonly unknown[] = Array.isArray(operand) ? operand : [operand];
  const kinds = new Set(excluded.map((one) => typeof one));
  if (kinds.size !== 1 || !(kinds.has('string') || kinds.has('number'))) {
    throw new InvalidEventPatternError(
      `${where}: anything-but takes a string, a number, or a list of only one of them`,
    );
  }
  return (value) => !excluded.includes(value);
}

const COMPARISONS: Readonly<Record<string, (a: number, b: number) => boolean>> = {
  '=': (a, b) => a === b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

/** `numeric: [op, n]` or `[op, n, op, n]`; only JSON numbers match. */
function numericFilter(operand: unknown, where: string): Test {
  if (!Array.isArray(operand) || (operand.length !== 2 && operand.length !== 4)) {
    throw new InvalidEventPatternError(
      `${where}: numeric takes [operator, number] or [operator, number, operator, number]`,
    );
  }
  const checks: Array<(value: number) => boolean> = [];
  for (let i = 0; i < operand.length; i += 2) {
    const compare = COMPARISONS[String(operand[i])];
    const bound = operand[i + 1];
    if (!compare || typeof bound !== 'number') {
      throw new InvalidEventPatternError(
        `${where}: numeric ${json(operand)}: use =, <, <=, >, >= followed by a number`,
      );
    }
    checks.push((value) => compare(value, bound));
  }
  return (value) => typeof value === 'number' && checks.every((check) => check(value));
}

/** `*` matches any run of characters; `\*` is a literal star and `\\` a literal backslash. */
function wildcardRegex(pattern: string, where: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    if (char === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') {
        throw new InvalidEventPatternError(`${where}: in a wildcard, a backslash escapes only * or \\`);
      }
      source += escapeRegex(next);
      i++;
    } else if (char === '*') {
      if (pattern[i + 1] === '*')
        throw new InvalidEventPatternError(`${where}: consecutive wildcards are not allowed`);
      source += '.*';
    } else {
      source += escapeRegex(char);
    }
  }
  return new RegExp(`^${source}$`, 's');
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function singleEntry(filter: { readonly [key: string]: unknown }, where: string): [string, unknown] {
  const entries = Object.entries(filter);
  if (entries.length !== 1) {
    throw new InvalidEventPatternError(`${where}: a filter has exactly one operator, got ${json(filter)}`);
  }
  return entries[0] as [string, unknown];
}

function stringOperand(operand: unknown, where: string, operator: string): string {
  if (typeof operand !== 'string') throw new InvalidEventPatternError(`${where}: ${operator} takes a string`);
  return operand;
}

function isObject(value: unknown): value is { readonly [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isLeaf(value: unknown): value is Leaf {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function json(value: unknown): string {
  return JSON.stringify(value);
}
