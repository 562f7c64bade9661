import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { globMatches, matchRunbook } from '../../functions/core/matching.ts';
import { defineRunbook, type RunbookDefinition } from '../../functions/core/runbook.ts';
import { globIntersection, runbookSetProblems } from '../../functions/core/runbook-overlap.ts';
import { RunbookCatalog } from '../../functions/handlers/runbook-catalog.ts';
import { runbooks as registered } from '../../runbooks/index.ts';
import { alarmChange } from '../support/fixtures.ts';

const base = {
  description: 'test',
  owner: 'platform-team',
  remediate: 'fix.sh',
  maxAttempts: 1,
  backoff: { baseSeconds: 10, capSeconds: 60 },
  verifyWindowSeconds: 300,
  executionTimeoutSeconds: 60,
  deliveryTimeoutSeconds: 60,
} as const;
const runbook = (name: string, match: RunbookDefinition['match'], extra: Partial<RunbookDefinition> = {}) =>
  defineRunbook({ ...base, name, match, ...extra });

const DISK = { namespace: 'CWAgent', metricName: 'disk_used_percent' };

describe('two runbooks that can answer one alarm equally are refused unless one declares precedence', () => {
  it('two runbooks on the same metric: refused, naming both, an alarm they share and the fix', () => {
    const a = runbook('disk-clean', { metrics: [DISK] });
    const b = runbook('disk-grow', { metrics: [{ ...DISK, dimensions: { path: '/' } }] });
    const [problem, ...rest] = runbookSetProblems([a, b]);
    expect(rest).toEqual([]);
    expect(problem).toMatch(
      /^runbook disk-clean: it and runbook disk-grow can both answer an alarm on the metric CWAgent\/disk_used_percent \(path=\/\).*precedence: \{ over: \['disk-grow'\]/,
    );
    // The functions refuse the set as synth does, whatever order the folders come in.
    expect(() => new RunbookCatalog([b, a], {})).toThrow(/cannot be deployed together/);
  });

  it('the same name pattern twice, or two equally specific patterns that meet: refused', () => {
    const a = runbook('app-a', { alarmNames: ['app-*'] });
    const b = runbook('app-b', { alarmNames: ['app-*'] });
    expect(runbookSetProblems([a, b])[0]).toMatch(/an alarm named "app-" with equal claims/);
    const c = runbook('c', { alarmNames: ['web-*-high'] });
    const d = runbook('d', { alarmNames: ['*-cpu-high'] });
    expect(runbookSetProblems([c, d])[0]).toMatch(/an alarm named "web-cpu-high"/);
  });

  it('no problem where the matching rule already orders them, or where they cannot meet', () => {
    expect(
      runbookSetProblems([
        runbook('app', { alarmNames: ['app-*'] }),
        runbook('app-unhealthy', { alarmNames: ['app-unhealthy-*'] }), // more literal characters
        runbook('exact', { alarmNames: ['app-web-1'] }), // an exact name
        runbook('cpu', { alarmNames: ['cpu-*'] }), // disjoint
        runbook('mem', { metrics: [{ namespace: 'CWAgent', metricName: 'mem_used_percent' }] }),
        runbook('disk-data', { metrics: [{ ...DISK, dimensions: { path: '/data' } }] }),
        runbook('disk-root', { metrics: [{ ...DISK, dimensions: { path: '/' } }] }), // contradicting values
      ]),
    ).toEqual([]);
    expect(
      runbookSetProblems([
        runbook('tagged', { metrics: [DISK], alarmTags: { team: 'a' } }),
        runbook('other-team', { metrics: [DISK], alarmTags: { team: 'b' } }), // tags that exclude each other
      ]),
    ).toEqual([]);
  });

  it('precedence resolves it, and the matching follows it whatever the order', () => {
    const broad = runbook('disk-clean', { metrics: [DISK] });
    const precise = runbook(
      'disk-grow',
      { metrics: [DISK] },
      {
        precedence: { over: ['disk-clean'], reason: 'the data volume grows instead' },
      },
    );
    expect(runbookSetProblems([broad, precise])).toEqual([]);
    const alarm = alarmChange('ALARM', 0, { alarmName: 'some-disk-alarm' });
    expect(matchRunbook(alarm, [broad, precise])?.runbook.name).toBe('disk-grow');
    expect(matchRunbook(alarm, [precise, broad])?.runbook.name).toBe('disk-grow');
    // Both declaring it over the other is refused.
    const loop = runbook(
      'disk-clean',
      { metrics: [DISK] },
      { precedence: { over: ['disk-grow'], reason: 'x' } },
    );
    expect(runbookSetProblems([loop, precise])[0]).toMatch(/each declare precedence over the other/);
  });

  it('the registered runbooks are a valid set', () => {
    expect(runbookSetProblems(registered)).toEqual([]);
  });

  it('property: a set without problems answers every alarm the same whatever the order of its runbooks', () => {
    const names = [
      'disk-*',
      '*-high',
      'disk-*-high',
      'app-*',
      'app-web-1',
      'disk-full-*',
      '*-root-volume-full',
    ];
    const candidate = fc.record({
      patterns: fc.subarray(names, { minLength: 1, maxLength: 2 }),
      metric: fc.option(fc.constantFrom('disk_used_percent', 'mem_used_percent'), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.array(candidate, { minLength: 2, maxLength: 4 }),
        fc.constantFrom(
          'disk-full-web-1',
          'disk-web-high',
          'app-web-1',
          'app-x',
          'x-root-volume-full',
          'disk-',
        ),
        (specs, alarmName) => {
          const set = specs.map((spec, i) =>
            runbook(`r${i}`, {
              alarmNames: spec.patterns,
              ...(spec.metric ? { metrics: [{ namespace: 'CWAgent', metricName: spec.metric }] } : {}),
            }),
          );
          if (runbookSetProblems(set).length > 0) return;
          const alarm = alarmChange('ALARM', 0, { alarmName });
          const forward = matchRunbook(alarm, set)?.runbook.name;
          expect(matchRunbook(alarm, [...set].reverse())?.runbook.name).toBe(forward);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('globIntersection', () => {
  it('finds a name both patterns match, or proves there is none', () => {
    const pattern = fc.stringMatching(/^[ab*-]{0,6}$/);
    fc.assert(
      fc.property(
        pattern,
        pattern,
        fc.array(fc.stringMatching(/^[ab-]{0,8}$/), { maxLength: 30 }),
        (p, q, names) => {
          const shared = globIntersection(p, q);
          if (shared !== undefined) {
            expect(globMatches(p, shared)).toBe(true);
            expect(globMatches(q, shared)).toBe(true);
          } else {
            for (const name of names) expect(globMatches(p, name) && globMatches(q, name)).toBe(false);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
