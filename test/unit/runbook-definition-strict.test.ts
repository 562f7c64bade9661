import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defineRunbook, type RunbookDefinition } from '../../functions/core/runbook.ts';
import { RUNBOOK_SHAPE, unknownFields } from '../../functions/core/runbook-fields.ts';
import { validateRunbook } from '../../functions/core/runbook-validation.ts';

/** A valid definition that uses every field a runbook may have, at every level. */
const everyField: RunbookDefinition = {
  name: 'app-unhealthy',
  description: 'Restarts an HTTP service that is alive but answers 5xx.',
  owner: 'platform-team',
  contact: '#platform-oncall',
  match: {
    alarmNames: ['app-unhealthy-*'],
    metrics: [{ namespace: 'App', metricName: 'http_5xx', dimensions: { stage: 'prod' } }],
    alarmTags: { team: 'web' },
  },
  alarm: {
    metric: { namespace: 'App', name: 'http_5xx' },
    groupBy: ['service'],
    dimensions: { stage: 'prod' },
    statistic: 'Sum',
    periodSeconds: 60,
    comparison: 'GreaterThanThreshold',
    threshold: 10,
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
    treatMissingData: 'notBreaching',
    seriesPerInstance: 2,
  },
  precedence: { over: ['service-down'], reason: 'a 5xx service is up: restart it gracefully first' },
  actions: [
    { name: 'graceful', script: 'graceful.sh', parameters: { signal: 'HUP' } },
    { name: 'hard', script: 'hard.sh' },
  ],
  diagnose: 'diagnose.sh',
  parameters: {
    service: {
      description: 'The unit.',
      allowedPattern: '^[a-z0-9][a-z0-9._-]{0,63}$',
      default: 'app',
      fromAlarm: { dimension: 'service' },
      allowedValues: ['app', 'api'],
      list: false,
      refuse: () => undefined,
    },
    signal: { description: 'The signal.', allowedPattern: '^[A-Z]{1,8}$', default: 'TERM' },
  },
  choose: ({ attempt }) => ({ action: attempt === 1 ? 'graceful' : 'hard' }),
  maxAttempts: 3,
  backoff: { baseSeconds: 30, capSeconds: 120 },
  verifyWindowSeconds: 300,
  verify: { probe: 'probe.sh', settleSeconds: 5, timeoutSeconds: 20 },
  pageWithin: { seconds: 3600, reason: 'the fixture tries every field, not a budget' },
  executionTimeoutSeconds: 120,
  deliveryTimeoutSeconds: 60,
  cooldownSeconds: 1800,
  concurrency: { maxInFlight: 5, maxPerHour: 30, maxWaitSeconds: 600 },
  breaker: { maxInstances: 5, maxPercent: 50, windowSeconds: 600, quietSeconds: 1800 },
  autoDisable: { lastRuns: 10, minSuccessRate: 0.5 },
  mode: 'approve',
  approveWithinSeconds: 1800,
  notes: 'Read the diagnose output first.',
  link: 'https://wiki.example.com/app-unhealthy',
  proof: {
    fault: 'fault.sh',
    probe: 'probe.sh',
    sandboxThreshold: { value: 5, reason: 'the sandbox serves fewer requests' },
    parameters: { service: 'app' },
    instanceTags: { 'AutoRemediation:services': 'app' },
    alarmValues: { dimensions: { service: 'app' }, tags: { team: 'web' } },
    timeoutSeconds: 120,
  },
};

/** Every field path of a definition (`match.alarmNames`, `parameters.service.allowedPattern`). */
function fieldPaths(value: unknown, prefix = ''): { path: string[] }[] {
  if (value === null || typeof value !== 'object') return [];
  const paths: { path: string[] }[] = [];
  for (const [key, item] of Object.entries(value)) {
    const path = prefix ? [...prefix.split('\u0000'), key] : [key];
    // Keys of records (parameter names, tag keys, dimension names) are the author's own, not fields.
    paths.push({ path });
    if (Array.isArray(item))
      for (const [i, element] of item.entries())
        paths.push(...prefixed(fieldPaths(element), [...path, String(i)]));
    else paths.push(...prefixed(fieldPaths(item), path));
  }
  return paths;
}
function prefixed(paths: { path: string[] }[], prefix: string[]): { path: string[] }[] {
  return paths.map(({ path }) => ({ path: [...prefix, ...path] }));
}

/** The definition with the key at `path` renamed. */
function renamed(definition: RunbookDefinition, path: readonly string[], to: string): unknown {
  const copy = structuredCloneWithFunctions(definition) as Record<string, unknown>;
  let node: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = path.at(-1) as string;
  const value = node[last];
  delete node[last];
  node[to] = value;
  return copy;
}
function structuredCloneWithFunctions(value: unknown): unknown {
  if (typeof value === 'function' || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(structuredCloneWithFunctions);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, structuredCloneWithFunctions(v)]));
}

/** The field paths of {@link everyField} that the runbook's shape names (not record keys). */
const FIELD_PATHS = fieldPaths(everyField)
  .map(({ path }) => path)
  .filter((path) => {
    // A path is a field when every key on it that is not a list index is known to the shape.
    const probe = renamed(everyField, path, `${path.at(-1)}Zz`);
    return unknownFields(probe).length > 0;
  });

describe('a runbook definition is strict: a misspelled field fails at load, never falls back to a default', () => {
  it('the fixture uses every field, and is valid', () => {
    expect(validateRunbook(everyField)).toEqual([]);
    // Every top-level field of the shape is exercised by the property below (remediate is the
    // one-action form of actions: a definition gives one or the other).
    const top = new Set(FIELD_PATHS.filter((p) => p.length === 1).map((p) => p[0]));
    expect([...top, 'remediate'].sort()).toEqual(
      Object.keys((RUNBOOK_SHAPE as { fields: object }).fields).sort(),
    );
    expect(FIELD_PATHS.length).toBeGreaterThan(60);
  });

  it.each([
    ['verifyWindowSecond', 'verifyWindowSeconds'],
    ['maxAttempt', 'maxAttempts'],
    ['executionTimeoutSecond', 'executionTimeoutSeconds'],
    ['diagnoze', 'diagnose'],
  ])('%s is refused, naming %s', (typo, meant) => {
    const definition = renamed(everyField, [meant], typo) as RunbookDefinition;
    expect(() => defineRunbook(definition)).toThrow(
      `runbook "app-unhealthy" is invalid:\n  - ${typo}: no such field; did you mean ${meant}?`,
    );
  });

  it('match.alarmName (singular) is refused, naming match.alarmNames, without a second message about match', () => {
    const definition = renamed(everyField, ['match', 'alarmNames'], 'alarmName') as RunbookDefinition;
    expect(validateRunbook(definition)).toEqual([
      'match.alarmName: no such field; did you mean match.alarmNames?',
    ]);
  });

  it('a misspelled allowedPattern gets the field name, not advice about anchors', () => {
    const definition = renamed(everyField, ['parameters', 'signal', 'allowedPattern'], 'allowedPatern');
    const problems = validateRunbook(definition as RunbookDefinition);
    expect(problems).toEqual([
      'parameters.signal.allowedPatern: no such field; did you mean parameters.signal.allowedPattern?',
    ]);
    expect(problems.join('\n')).not.toMatch(/anchor/);
  });

  it('a required field left out is named, with its range', () => {
    const { verifyWindowSeconds: _, ...rest } = everyField;
    expect(validateRunbook(rest as RunbookDefinition)).toEqual([
      'verifyWindowSeconds: required; give a whole number from 60 to 86400',
    ]);
  });

  it('values of the wrong type are refused, never crash the check', () => {
    const wrong = [
      { ...everyField, maxAttempts: '3' },
      { ...everyField, backoff: 30 },
      { ...everyField, breaker: true },
      { ...everyField, actions: 'restart.sh' },
      { ...everyField, match: { alarmNames: 'app-*' } },
      { ...everyField, parameters: { service: 'app' } },
      { ...everyField, link: 'wiki page' },
      { ...everyField, precedence: { over: 'service-down', reason: '' } },
    ];
    for (const definition of wrong) {
      expect(() => defineRunbook(definition as never)).toThrow(/runbook "app-unhealthy" is invalid/);
    }
    expect(() => defineRunbook(null as never)).toThrow(/defineRunbook takes one object/);
  });

  it('property: any field, at any level, misspelled by one edit, is refused naming the field meant', () => {
    const edits = fc.constantFrom<(name: string) => string>(
      (name) => name.slice(0, -1), // one letter short
      (name) => `${name}s`, // one too many
      (name) => name.slice(0, 1) + name.slice(2), // one dropped inside
      (name) => `${name.slice(0, -2)}${name.at(-1)}${name.at(-2)}`, // two swapped
    );
    fc.assert(
      fc.property(fc.constantFrom(...FIELD_PATHS), edits, (path, edit) => {
        const name = path.at(-1) as string;
        const typo = edit(name);
        if (typo === name || typo.length < 2) return;
        const problems = validateRunbook(renamed(everyField, path, typo) as RunbookDefinition);
        const where = [...path.slice(0, -1), typo].join('.').replace(/\.(\d+)(?=\.|$)/g, '[$1]');
        const problem = problems.find((p) => p.startsWith(`${where}: no such field`));
        expect(problem, `${where} in ${JSON.stringify(problems)}`).toBeDefined();
        // The suggestion is the field meant, unless the typo is nearer another field of that level.
        if (problem?.includes('did you mean')) expect(problem).toMatch(/did you mean [\w.[\]]+\?$/);
      }),
      { numRuns: 400 },
    );
  });
});
