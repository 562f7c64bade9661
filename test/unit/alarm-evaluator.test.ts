import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AlarmStateValue } from '../../functions/core/alarm.ts';
import type { ComparisonOperator } from '../../functions/core/runbook.ts';
import {
  type AlarmRule,
  type Datapoint,
  defaultEvaluationRange,
  type EvaluateOptions,
  evaluateAlarm,
  javaDouble,
  type TreatMissingData,
  timestamp,
  validateAlarmRule,
} from '../../local/gameday/alarm-evaluator.ts';

const MINUTE = 60_000;
/** 2026-01-02T03:04:00Z: the end of the most recent period in most tests. */
const NOW = Date.UTC(2026, 0, 2, 3, 4, 0);
const STATES: readonly AlarmStateValue[] = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];
const TREATMENTS: readonly TreatMissingData[] = ['missing', 'ignore', 'breaching', 'notBreaching'];

function rule(over: Partial<AlarmRule> = {}): AlarmRule {
  return {
    comparison: 'GreaterThanThreshold',
    threshold: 50,
    periodSeconds: 60,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    treatMissingData: 'missing',
    ...over,
  };
}

/** One-minute periods ending at NOW, oldest first. */
function endsFor(length: number, last = NOW, periodMs = MINUTE): number[] {
  return Array.from({ length }, (_, i) => last - (length - 1 - i) * periodMs);
}

/**
 * The docs' notation, oldest first (most recent on the right): `0` a datapoint within the threshold
 * (10), `X` a breaching one (90), `-` a missing one.
 */
function points(notation: string): Datapoint[] {
  return notation
    .trim()
    .split(/\s+/)
    .map((token) => {
      if (token === '0') return 10;
      if (token === 'X') return 90;
      if (token === '-') return undefined;
      throw new Error(`unknown token ${token}`);
    });
}

function run(
  notation: string,
  over: Partial<AlarmRule> = {},
  current: AlarmStateValue = 'OK',
  options?: EvaluateOptions,
) {
  const history = points(notation);
  return evaluateAlarm(rule(over), history, current, endsFor(history.length), options);
}

type Cell = AlarmStateValue | 'RETAIN';

interface Row {
  readonly data: string;
  readonly missing: Cell;
  readonly ignore: Cell;
  readonly breaching: Cell;
  readonly notBreaching: Cell;
}

/** Asserts one table row for every treatment; "Retain current state" is checked from every state. */
function expectRow(row: Row, over: Partial<AlarmRule>): void {
  for (const treatMissingData of TREATMENTS) {
    const cell = row[treatMissingData];
    for (const current of STATES) {
      const got = run(row.data, { ...over, treatMissingData }, current).state;
      expect(got, `${row.data} treated as ${treatMissingData}, from ${current}`).toBe(
        cell === 'RETAIN' ? current : cell,
      );
    }
  }
}

// Amazon CloudWatch User Guide, "Configuring how CloudWatch alarms treat missing data", section "How
// alarm state is evaluated when data is missing", first table: Datapoints to Alarm and Evaluation
// Periods both 3, evaluation range 5.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html
describe('the documented missing-data table, 3 out of 3 (evaluation range 5)', () => {
  const rows: Row[] = [
    { data: '0 - X - X', missing: 'OK', ignore: 'OK', breaching: 'OK', notBreaching: 'OK' },
    { data: '0 - - - -', missing: 'OK', ignore: 'OK', breaching: 'OK', notBreaching: 'OK' },
    {
      data: '- - - - -',
      missing: 'INSUFFICIENT_DATA',
      ignore: 'RETAIN',
      breaching: 'ALARM',
      notBreaching: 'OK',
    },
    { data: '0 X X - X', missing: 'ALARM', ignore: 'ALARM', breaching: 'ALARM', notBreaching: 'ALARM' },
    { data: '- - X - -', missing: 'ALARM', ignore: 'RETAIN', breaching: 'ALARM', notBreaching: 'OK' },
  ];
  for (const row of rows) {
    it(`row ${row.data}`, () => expectRow(row, { evaluationPeriods: 3, datapointsToAlarm: 3 }));
  }

  it('row 0 - - - - goes to ALARM as breaching once the non-breaching datapoint leaves the range', () => {
    // "The next time this alarm is evaluated, if the data is still missing it will go to ALARM, as that
    // non-breaching data point will no longer be in the evaluation range."
    const over = { treatMissingData: 'breaching' as const };
    expect(run('0 - - - -', over).state).toBe('OK');
    expect(run('0 - - - - -', over).state).toBe('ALARM');
  });
});

// Same page, second table: Datapoints to Alarm 2, Evaluation Periods 3 (a 2 out of 3 alarm), range 5.
describe('the documented missing-data table, 2 out of 3 (evaluation range 5)', () => {
  const rows: Row[] = [
    { data: '0 - X - X', missing: 'ALARM', ignore: 'ALARM', breaching: 'ALARM', notBreaching: 'ALARM' },
    { data: '0 0 X 0 X', missing: 'ALARM', ignore: 'ALARM', breaching: 'ALARM', notBreaching: 'ALARM' },
    { data: '0 - X - -', missing: 'OK', ignore: 'OK', breaching: 'ALARM', notBreaching: 'OK' },
    { data: '- - - - 0', missing: 'OK', ignore: 'OK', breaching: 'ALARM', notBreaching: 'OK' },
    { data: '- - - X -', missing: 'ALARM', ignore: 'RETAIN', breaching: 'ALARM', notBreaching: 'OK' },
  ];
  for (const row of rows) {
    it(`row ${row.data}`, () => expectRow(row, { evaluationPeriods: 3, datapointsToAlarm: 2 }));
  }
});

// Rows that earlier revisions of the same page ("How Alarm State is Evaluated When Data is Missing", in
// awsdocs/amazon-cloudwatch-user-guide, doc_source/AlarmThatSendsEmail.md) had in the same two tables.
describe('rows of earlier revisions of the documented table', () => {
  it('3 out of 3, row - - - - X', () => {
    expectRow(
      {
        data: '- - - - X',
        missing: 'INSUFFICIENT_DATA',
        ignore: 'RETAIN',
        breaching: 'ALARM',
        notBreaching: 'OK',
      },
      { datapointsToAlarm: 3 },
    );
  });

  it('3 out of 3, row X - - - -', () => {
    // "the alarm goes to ALARM state even if missing data is treated as missing, because the oldest
    // evaluated data point is breaching and there aren't any non-breaching data points."
    expectRow(
      { data: 'X - - - -', missing: 'ALARM', ignore: 'RETAIN', breaching: 'ALARM', notBreaching: 'OK' },
      { datapointsToAlarm: 3 },
    );
  });

  it('2 out of 3, row - - - - X', () => {
    expectRow(
      {
        data: '- - - - X',
        missing: 'INSUFFICIENT_DATA',
        ignore: 'RETAIN',
        breaching: 'ALARM',
        notBreaching: 'OK',
      },
      { datapointsToAlarm: 2 },
    );
  });
});

// Same page, "Avoiding premature transitions to alarm state".
describe('avoiding premature transitions to alarm state (treatMissingData missing)', () => {
  it('does not alarm on - - - - X or - - - X - with Datapoints to Alarm 3', () => {
    expect(run('- - - - X').state).toBe('INSUFFICIENT_DATA');
    expect(run('- - - X -').state).toBe('INSUFFICIENT_DATA');
  });

  it('goes OK when the next datapoint is non-breaching: - - - X 0 and - - X - 0', () => {
    expect(run('- - - X 0').state).toBe('OK');
    expect(run('- - X - 0').state).toBe('OK');
  });

  it('alarms on - - X - - although fewer than M datapoints exist', () => {
    const result = run('- - X - -', {}, 'OK');
    expect(result.state).toBe('ALARM');
    expect(result.recentDatapoints).toEqual([90]);
  });

  it('counts the age of the oldest breaching datapoint against M, with breaching ones after it', () => {
    // 3 out of 4: the oldest breaching datapoint is 3 periods old and the newer ones breach or are missing.
    expect(run('- - - X X -', { evaluationPeriods: 4, datapointsToAlarm: 3 }).state).toBe('ALARM');
    // Only 2 periods old: too early.
    expect(run('- - - - X X', { evaluationPeriods: 4, datapointsToAlarm: 3 }).state).toBe(
      'INSUFFICIENT_DATA',
    );
  });
});

describe('M out of N, period after period', () => {
  /** Feeds one datapoint per period, as the game day does, and returns the state after each. */
  function replay(over: Partial<AlarmRule>, values: readonly Datapoint[]): AlarmStateValue[] {
    let state: AlarmStateValue = 'INSUFFICIENT_DATA';
    const states: AlarmStateValue[] = [];
    for (let i = 1; i <= values.length; i++) {
      const history = values.slice(0, i);
      state = evaluateAlarm(rule(over), history, state, endsFor(i)).state;
      states.push(state);
    }
    return states;
  }

  it('2 out of 3 goes to ALARM on the second breach, stays, and returns to OK', () => {
    const states = replay({ datapointsToAlarm: 2 }, [10, 90, 20, 95, 96, 30, 20, 10]);
    expect(states).toEqual([
      'OK', // [10]: one datapoint within the threshold and fewer than 2 breaching.
      'OK', // [10, 90]
      'OK', // [10, 90, 20]: 1 of 3 breaching.
      'ALARM', // [90, 20, 95]: 2 of 3.
      'ALARM', // [20, 95, 96]
      'ALARM', // [95, 96, 30]: still 2 of 3.
      'OK', // [96, 30, 20]: 1 of 3.
      'OK', // [30, 20, 10]
    ]);
  });

  it('3 out of 5 goes to ALARM on the third breach within five periods and back to OK', () => {
    const values = [90, 10, 90, 10, 10, 90, 90, 90, 10, 10, 10, 10];
    const states = replay({ evaluationPeriods: 5, datapointsToAlarm: 3 }, values);
    expect(states).toEqual([
      'INSUFFICIENT_DATA', // [90]: breaching, but fewer than 3 and only 1 period old.
      'OK', // [90, 10]
      'OK', // [90, 10, 90]
      'OK', // [90, 10, 90, 10]
      'OK', // [90, 10, 90, 10, 10]: 2 of 5.
      'OK', // [10, 90, 10, 10, 90]: 2 of 5.
      'ALARM', // [90, 10, 10, 90, 90]: 3 of 5, not consecutive.
      'ALARM', // [10, 10, 90, 90, 90]
      'ALARM', // [10, 90, 90, 90, 10]
      'ALARM', // [90, 90, 90, 10, 10]
      'OK', // [90, 90, 10, 10, 10]: 2 of 5.
      'OK', // [90, 10, 10, 10, 10]
    ]);
  });

  it('3 out of 5 counts non-consecutive breaches within the last five only', () => {
    const over = { evaluationPeriods: 5, datapointsToAlarm: 3 };
    expect(run('X 0 X 0 X', over).state).toBe('ALARM');
    expect(run('X 0 X 0 0', over).state).toBe('OK');
    // The oldest X is six periods back: outside the last 5 real datapoints.
    expect(run('X 0 X 0 0 X', over).state).toBe('OK');
  });

  it('evaluates the N most recent real datapoints, reaching back past missing periods', () => {
    // 3 out of 3 with four real datapoints in the range: the missing period is skipped.
    const result = run('0 X X - X');
    expect(result.state).toBe('ALARM');
    expect(result.recentDatapoints).toEqual([90, 90, 90]);
  });
});

describe('the evaluation range', () => {
  it('defaults to N + 2 periods, as in the docs (N 3, range 5)', () => {
    expect(defaultEvaluationRange(rule({ evaluationPeriods: 3 }))).toBe(5);
    expect(defaultEvaluationRange(rule({ evaluationPeriods: 1, datapointsToAlarm: 1 }))).toBe(3);
  });

  it('ignores history older than the range', () => {
    // Breaching datapoints 6 and 7 periods back are outside a range of 5: the range is all missing.
    expect(run('X X - - - - -').state).toBe('INSUFFICIENT_DATA');
    expect(run('X X - - - - -', { treatMissingData: 'notBreaching' }).state).toBe('OK');
  });

  it('can be widened by the caller', () => {
    expect(run('X X - - - - -', {}, 'OK', { evaluationRange: 7 }).state).toBe('ALARM');
  });

  it('rejects a range shorter than N', () => {
    expect(() => run('X X X', {}, 'OK', { evaluationRange: 2 })).toThrow(RangeError);
  });

  it('treats periods before the history begins as missing', () => {
    expect(run('X').state).toBe('INSUFFICIENT_DATA');
    expect(run('X', { treatMissingData: 'breaching' }).state).toBe('ALARM');
    expect(run('0', { treatMissingData: 'breaching' }).state).toBe('OK');
  });
});

describe('all datapoints of the range missing', () => {
  it('is INSUFFICIENT_DATA when missing data is treated as missing, from any state', () => {
    for (const current of STATES) {
      const result = run('- - - - -', {}, current);
      expect(result.state).toBe('INSUFFICIENT_DATA');
      expect(result.reason).toBe('Insufficient Data: 3 datapoints were unknown.');
      expect(result.recentDatapoints).toEqual([]);
    }
  });

  it('keeps the current state when missing data is ignored', () => {
    expect(run('- - - - -', { treatMissingData: 'ignore' }, 'ALARM').state).toBe('ALARM');
    expect(run('- - - - -', { treatMissingData: 'ignore' }, 'OK').state).toBe('OK');
    expect(run('- - - - -', { treatMissingData: 'ignore' }, 'INSUFFICIENT_DATA').state).toBe(
      'INSUFFICIENT_DATA',
    );
    expect(evaluateAlarm(rule({ treatMissingData: 'ignore' }), [], 'ALARM', []).state).toBe('ALARM');
  });

  it('is INSUFFICIENT_DATA for an empty history', () => {
    const result = evaluateAlarm(rule(), [], 'OK', []);
    expect(result.state).toBe('INSUFFICIENT_DATA');
  });

  it('treats NaN as missing', () => {
    const history = [Number.NaN, Number.NaN, Number.NaN];
    expect(evaluateAlarm(rule(), history, 'OK', endsFor(3)).state).toBe('INSUFFICIENT_DATA');
  });
});

// PutMetricAlarm, ComparisonOperator: "The specified statistic value is used as the first operand."
describe('comparison operators', () => {
  const cases: ReadonlyArray<[ComparisonOperator, number, AlarmStateValue]> = [
    ['GreaterThanThreshold', 51, 'ALARM'],
    ['GreaterThanThreshold', 50, 'OK'],
    ['GreaterThanThreshold', 49, 'OK'],
    ['GreaterThanOrEqualToThreshold', 51, 'ALARM'],
    ['GreaterThanOrEqualToThreshold', 50, 'ALARM'],
    ['GreaterThanOrEqualToThreshold', 49, 'OK'],
    ['LessThanThreshold', 49, 'ALARM'],
    ['LessThanThreshold', 50, 'OK'],
    ['LessThanThreshold', 51, 'OK'],
    ['LessThanOrEqualToThreshold', 49, 'ALARM'],
    ['LessThanOrEqualToThreshold', 50, 'ALARM'],
    ['LessThanOrEqualToThreshold', 51, 'OK'],
  ];
  for (const [comparison, value, expected] of cases) {
    it(`${value} ${comparison} 50 is ${expected}`, () => {
      const r = rule({ comparison, evaluationPeriods: 1, datapointsToAlarm: 1 });
      expect(evaluateAlarm(r, [value], 'INSUFFICIENT_DATA', [NOW]).state).toBe(expected);
    });
  }
});

describe('the reason sentence', () => {
  it('matches the sample event of "Alarm events and EventBridge", both states', () => {
    const event = JSON.parse(
      readFileSync(
        new URL('../events/cloudwatch-alarm-state-change.single-metric.json', import.meta.url),
        'utf8',
      ),
    );
    const r = rule({ threshold: 50, periodSeconds: 300, evaluationPeriods: 1, datapointsToAlarm: 1 });

    // The datapoint of 16:59:00 is the five-minute period that ended at 17:04:00 (the event is at 17:04:40).
    const alarm = evaluateAlarm(r, [99.50160229693434], 'OK', [Date.UTC(2019, 9, 2, 17, 4, 0)]);
    expect(alarm.state).toBe(event.detail.state.value);
    expect(alarm.reason).toBe(event.detail.state.reason);
    expect(alarm.recentDatapoints).toEqual(JSON.parse(event.detail.state.reasonData).recentDatapoints);

    const ok = evaluateAlarm(r, [0.0666851903306472], 'ALARM', [Date.UTC(2019, 9, 1, 13, 51, 0)]);
    expect(ok.state).toBe(event.detail.previousState.value);
    expect(ok.reason).toBe(event.detail.previousState.reason);
  });

  it('lists the breaching datapoints, most recent first, for an M out of N ALARM', () => {
    const r = rule({ threshold: 90, datapointsToAlarm: 2 });
    const ends = endsFor(3, Date.UTC(2026, 10, 21, 3, 5, 0));
    const result = evaluateAlarm(r, [40, 93, 95.1], 'OK', ends);
    expect(result.reason).toBe(
      'Threshold Crossed: 2 out of the last 3 datapoints [95.1 (21/11/26 03:04:00), 93.0 (21/11/26 03:03:00)] ' +
        'were greater than the threshold (90.0) (minimum 2 datapoints for OK -> ALARM transition).',
    );
    expect(result.recentDatapoints).toEqual([95.1, 93, 40]);
  });

  it('lists the non-breaching datapoints and N - M + 1 for an OK (a real 3 out of 5 reason)', () => {
    // "Threshold Crossed: 3 out of the last 5 datapoints [0.0 (21/12/21 06:45:00), 0.0 (21/12/21 06:44:00),
    // 0.0 (21/12/21 06:42:00)] were not greater than the threshold (0.0) (minimum 3 datapoints for ALARM ->
    // OK transition)." (a CloudWatch notification quoted in a public repository)
    const r = rule({ threshold: 0, evaluationPeriods: 5, datapointsToAlarm: 3 });
    const ends = endsFor(5, Date.UTC(2021, 11, 21, 6, 46, 0));
    const result = evaluateAlarm(r, [1, 0, 1, 0, 0], 'ALARM', ends);
    expect(result.state).toBe('OK');
    expect(result.reason).toBe(
      'Threshold Crossed: 3 out of the last 5 datapoints [0.0 (21/12/21 06:45:00), 0.0 (21/12/21 06:44:00), ' +
        '0.0 (21/12/21 06:42:00)] were not greater than the threshold (0.0) (minimum 3 datapoints for ALARM -> OK transition).',
    );
  });

  it('needs N - M + 1 datapoints within the threshold for ALARM -> OK (4 out of 5 needs 2)', () => {
    const result = run('X X X 0 0', {
      evaluationPeriods: 5,
      datapointsToAlarm: 4,
    });
    expect(result.state).toBe('OK');
    expect(result.reason).toBe(
      'Threshold Crossed: 2 out of the last 5 datapoints [10.0 (02/01/26 03:03:00), 10.0 (02/01/26 03:02:00)] ' +
        'were not greater than the threshold (50.0) (minimum 2 datapoints for ALARM -> OK transition).',
    );
  });

  it('words each comparison as CloudWatch does', () => {
    const words: ReadonlyArray<[ComparisonOperator, number, string]> = [
      ['GreaterThanOrEqualToThreshold', 50, 'was greater than or equal to the threshold (50.0)'],
      ['LessThanThreshold', 40, 'was less than the threshold (50.0)'],
      ['LessThanOrEqualToThreshold', 60, 'was not less than or equal to the threshold (50.0)'],
    ];
    for (const [comparison, value, phrase] of words) {
      const r = rule({ comparison, evaluationPeriods: 1, datapointsToAlarm: 1 });
      expect(evaluateAlarm(r, [value], 'OK', [NOW]).reason).toContain(phrase);
    }
  });

  it('says how many missing datapoints were filled in, and with what', () => {
    // "Threshold Crossed: 1 out of the last 20 datapoints [613.0 (16/03/24 12:15:00)] was greater than or
    // equal to the threshold (1.0) and 19 missing datapoints were treated as [NonBreaching] (minimum 1
    // datapoint for OK -> ALARM transition)." (a CloudWatch notification quoted in a public repository)
    const history: Datapoint[] = [...Array<undefined>(19).fill(undefined), 613];
    const alarm = evaluateAlarm(
      rule({
        comparison: 'GreaterThanOrEqualToThreshold',
        threshold: 1,
        evaluationPeriods: 20,
        datapointsToAlarm: 1,
        treatMissingData: 'notBreaching',
      }),
      history,
      'OK',
      endsFor(20, Date.UTC(2024, 2, 16, 12, 16, 0)),
    );
    expect(alarm.state).toBe('ALARM');
    expect(alarm.reason).toBe(
      'Threshold Crossed: 1 out of the last 20 datapoints [613.0 (16/03/24 12:15:00)] was greater than or equal to ' +
        'the threshold (1.0) and 19 missing datapoints were treated as [NonBreaching] (minimum 1 datapoint for ' +
        'OK -> ALARM transition).',
    );
    expect(alarm.recentDatapoints).toEqual([613]);

    const notBreaching = run('- - - - X', { datapointsToAlarm: 1, treatMissingData: 'notBreaching' });
    expect(notBreaching.reason).toBe(
      'Threshold Crossed: 1 out of the last 3 datapoints [90.0 (02/01/26 03:03:00)] was greater than the ' +
        'threshold (50.0) and 2 missing datapoints were treated as [NonBreaching] (minimum 1 datapoint for ' +
        'OK -> ALARM transition).',
    );
  });

  it('says what was received when only filled-in datapoints decide', () => {
    expect(run('- - - - -', { treatMissingData: 'breaching' }).reason).toBe(
      'Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [Breaching].',
    );
    expect(run('- - - - -', { treatMissingData: 'notBreaching' }).reason).toBe(
      'Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [NonBreaching].',
    );
    expect(
      run('-', { evaluationPeriods: 1, datapointsToAlarm: 1, treatMissingData: 'notBreaching' }, 'ALARM')
        .reason,
    ).toBe(
      'Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching].',
    );
    expect(run('- - - - 0', { datapointsToAlarm: 2, treatMissingData: 'breaching' }).reason).toBe(
      'Threshold Crossed: 1 datapoint was received for 3 periods and 2 missing datapoints were treated as [Breaching].',
    );
  });

  it('counts the unknown datapoints for INSUFFICIENT_DATA', () => {
    expect(run('- - - - X').reason).toBe('Insufficient Data: 2 datapoints were unknown.');
    expect(run('-', { evaluationPeriods: 1, datapointsToAlarm: 1 }).reason).toBe(
      'Insufficient Data: 1 datapoint was unknown.',
    );
  });

  it('says why an ignored gap kept the state', () => {
    expect(run('- - - - -', { treatMissingData: 'ignore' }, 'ALARM').reason).toBe(
      'Missing data ignored: no datapoints were received for 3 periods, so the alarm stays ALARM.',
    );
  });

  it('prints numbers as CloudWatch (Java) does', () => {
    expect(javaDouble(50)).toBe('50.0');
    expect(javaDouble(0)).toBe('0.0');
    expect(javaDouble(45628)).toBe('45628.0');
    expect(javaDouble(0.0666851903306472)).toBe('0.0666851903306472');
    expect(javaDouble(-2.5)).toBe('-2.5');
    expect(javaDouble(1e7)).toBe('1.0E7');
    expect(javaDouble(12345678.9)).toBe('1.23456789E7');
    expect(javaDouble(0.0001)).toBe('1.0E-4');
  });

  it('stamps a datapoint with the start of its period, in UTC', () => {
    expect(timestamp(Date.UTC(2019, 9, 2, 17, 4, 0), 300)).toBe('02/10/19 16:59:00');
    expect(timestamp(Date.UTC(2026, 0, 1, 0, 0, 10), 10)).toBe('01/01/26 00:00:00');
  });
});

describe('validateAlarmRule', () => {
  it('accepts a valid rule', () => {
    expect(validateAlarmRule(rule())).toEqual([]);
    expect(
      validateAlarmRule(rule({ periodSeconds: 10, evaluationPeriods: 5, datapointsToAlarm: 1 })),
    ).toEqual([]);
    expect(
      validateAlarmRule(rule({ periodSeconds: 3600, evaluationPeriods: 168, datapointsToAlarm: 1 })),
    ).toEqual([]);
  });

  it('rejects M outside 1..N', () => {
    expect(validateAlarmRule(rule({ datapointsToAlarm: 4 }))).toEqual([
      'datapointsToAlarm (M = 4) must not exceed evaluationPeriods (N = 3)',
    ]);
    expect(validateAlarmRule(rule({ datapointsToAlarm: 0 }))).toEqual([
      'datapointsToAlarm (M) must be a whole number of at least 1, not 0',
    ]);
    expect(validateAlarmRule(rule({ datapointsToAlarm: 1.5 }))).toHaveLength(1);
  });

  it('rejects N below 1', () => {
    expect(validateAlarmRule(rule({ evaluationPeriods: 0, datapointsToAlarm: 1 }))).toEqual([
      'evaluationPeriods (N) must be a whole number of at least 1, not 0',
    ]);
  });

  it('rejects periods CloudWatch does not accept', () => {
    expect(validateAlarmRule(rule({ periodSeconds: 0 }))).toEqual([
      'periodSeconds must be a positive whole number of seconds, not 0',
    ]);
    expect(validateAlarmRule(rule({ periodSeconds: -60 }))).toHaveLength(1);
    expect(validateAlarmRule(rule({ periodSeconds: 45 }))).toEqual([
      'periodSeconds must be 10, 20, 30 or a multiple of 60, not 45',
    ]);
  });

  it('rejects an evaluation longer than CloudWatch allows', () => {
    expect(
      validateAlarmRule(rule({ periodSeconds: 60, evaluationPeriods: 1441, datapointsToAlarm: 1 })),
    ).toEqual([
      'periodSeconds x evaluationPeriods is 86460 s, more than one day (86400 s) for a period under an hour',
    ]);
    expect(
      validateAlarmRule(rule({ periodSeconds: 3600, evaluationPeriods: 169, datapointsToAlarm: 1 })),
    ).toEqual(['periodSeconds x evaluationPeriods is 608400 s, more than 7 days (604800 s)']);
  });

  it('rejects an unknown comparison, treatment or a non-finite threshold', () => {
    const bad = {
      ...rule(),
      comparison: 'LessThanLowerThreshold' as ComparisonOperator,
      treatMissingData: 'zero' as TreatMissingData,
      threshold: Number.NaN,
    };
    expect(validateAlarmRule(bad)).toHaveLength(3);
  });

  it('makes evaluateAlarm throw for an invalid rule or mismatched period ends', () => {
    expect(() => evaluateAlarm(rule({ datapointsToAlarm: 4 }), [1], 'OK', [NOW])).toThrow(/must not exceed/);
    expect(() => evaluateAlarm(rule(), [1, 2], 'OK', [NOW])).toThrow(RangeError);
  });
});
