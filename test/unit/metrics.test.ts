import { describe, expect, it } from 'vitest';
import { METRIC, transitionMetrics } from '../../functions/core/metrics.ts';
import { alarmInput, Scenario, T0 } from '../support/fixtures.ts';

/** The metrics of each decision of a scenario, in order. */
function metricsOf(s: Scenario, step: () => void): string[] {
  const before = s.incident;
  step();
  return transitionMetrics(before, s.incident as NonNullable<typeof s.incident>).map(
    (p) => `${p.name}${p.dimensions ? `{${Object.values(p.dimensions).join(',')}}` : ''}=${p.value}`,
  );
}

describe('the metrics of a transition', () => {
  it('count each thing once, on the transition that did it', () => {
    const s = new Scenario();
    expect(metricsOf(s, () => s.apply(alarmInput('ALARM', T0)))).toEqual([
      `${METRIC.incidentsOpened}=1`,
      `${METRIC.attempts}=1`,
    ]);
    expect(metricsOf(s, () => s.apply({ kind: 'command-sent', attempt: 1, commandId: 'c1' }))).toEqual([]);
    expect(
      metricsOf(s, () =>
        s.after(30).apply({
          kind: 'command-finished',
          commandId: 'c1',
          result: { status: 'Success', responseCode: 0 },
        }),
      ),
    ).toEqual([]);
    expect(metricsOf(s, () => s.after(30).apply(alarmInput('OK', T0 + 60_000)))).toEqual([
      `${METRIC.fixedAutomatically}=1`,
      `${METRIC.timeToRemediate}=60000`,
    ]);
  });

  it('count a gate that keeps saying wait once, and the breaker as suppressed', () => {
    const s = new Scenario();
    s.safety = { fleet: { slotsInUse: 10, freeSlots: [] } };
    expect(metricsOf(s, () => s.apply(alarmInput('ALARM', T0)))).toEqual([
      `${METRIC.incidentsOpened}=1`,
      `${METRIC.refused}=1`,
      `${METRIC.refused}{concurrency}=1`,
    ]);
    expect(metricsOf(s, () => s.fireTimer())).toEqual([]);
    s.safety = {
      fleet: { slotsInUse: 0, freeSlots: [0] },
      breaker: { openedAt: T0, reason: 'r', instances: 6 },
    };
    expect(metricsOf(s, () => s.fireTimer())).toEqual([
      `${METRIC.suppressed}=1`,
      `${METRIC.refused}=1`,
      `${METRIC.refused}{breaker}=1`,
    ]);
  });
});
