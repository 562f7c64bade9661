import { describe, expect, it } from 'vitest';
import { configFromEnv, ENV } from '../../functions/handlers/config.ts';

const complete = {
  [ENV.tableName]: 'incidents',
  [ENV.timerQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/timers',
  [ENV.pagerTopicArn]: 'arn:aws:sns:us-east-1:123456789012:pager',
  [ENV.eventBusName]: 'default',
  [ENV.runbookDocuments]: '{"disk-full":"Remediation-Stack-disk-full"}',
  [ENV.optInTagKey]: 'AutoRemediation',
  [ENV.optInTagValue]: 'enabled',
  [ENV.eventAccounts]: '123456789012',
  [ENV.eventRegions]: 'us-east-1',
};

describe('configFromEnv', () => {
  it('reads what the stack sets', () => {
    expect(configFromEnv(complete)).toEqual({
      tableName: 'incidents',
      timerQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/timers',
      pagerTopicArn: 'arn:aws:sns:us-east-1:123456789012:pager',
      eventBusName: 'default',
      runbookDocuments: { 'disk-full': 'Remediation-Stack-disk-full' },
      optInTag: { key: 'AutoRemediation', value: 'enabled' },
      origin: { accounts: ['123456789012'], regions: ['us-east-1'] },
      settleSeconds: 300,
    });
  });

  it('reads the settle time: 300 s when unset, a whole number from 0 to 3600 otherwise', () => {
    expect(configFromEnv({ ...complete, [ENV.settleSeconds]: '' }).settleSeconds).toBe(300);
    expect(configFromEnv({ ...complete, [ENV.settleSeconds]: '0' }).settleSeconds).toBe(0);
    expect(configFromEnv({ ...complete, [ENV.settleSeconds]: '3600' }).settleSeconds).toBe(3600);
    for (const wrong of ['3601', '-1', '90.5', '5m']) {
      expect(() => configFromEnv({ ...complete, [ENV.settleSeconds]: wrong })).toThrow(
        `SETTLE_SECONDS must be a whole number of seconds, at least 0 and at most 3600, not "${wrong}"`,
      );
    }
  });

  it('names the missing variable and what to do', () => {
    const { [ENV.timerQueueUrl]: _missing, ...rest } = complete;
    expect(() => configFromEnv(rest)).toThrow(
      'environment variable TIMER_QUEUE_URL is not set; the stack sets it, so redeploy',
    );
  });

  it('reads which events to publish, and refuses a level it does not know', () => {
    expect(configFromEnv(complete).events).toBeUndefined();
    expect(configFromEnv({ ...complete, [ENV.events]: 'all' }).events).toBe('all');
    expect(() => configFromEnv({ ...complete, [ENV.events]: 'verbose' })).toThrow(
      'REMEDIATION_EVENTS must be one of lifecycle, all, none, not "verbose"',
    );
  });

  it('reads the slow check interval and the clock skew tolerance, and refuses ones that are not whole seconds', () => {
    expect(
      configFromEnv({ ...complete, [ENV.checkSeconds]: '1800', [ENV.futureToleranceSeconds]: '0' }),
    ).toMatchObject({ checkSeconds: 1800, futureToleranceSeconds: 0 });
    expect(configFromEnv(complete)).not.toHaveProperty('checkSeconds');
    expect(() => configFromEnv({ ...complete, [ENV.checkSeconds]: '30' })).toThrow(
      'CHECK_SECONDS must be a whole number of seconds, at least 60, not "30"',
    );
    expect(() => configFromEnv({ ...complete, [ENV.futureToleranceSeconds]: '5m' })).toThrow(
      /FUTURE_TOLERANCE_SECONDS must be a whole number of seconds/,
    );
  });

  it('pages for alarms on instances without the opt-in tag only when the stack says true', () => {
    const env = {
      ...complete,
      [ENV.eventAccounts]: '123456789012',
      [ENV.eventRegions]: 'us-east-1',
    };
    expect(configFromEnv(env)).not.toHaveProperty('pageUnmanagedInstances');
    expect(configFromEnv({ ...env, [ENV.pageUnmanagedInstances]: 'false' })).not.toHaveProperty(
      'pageUnmanagedInstances',
    );
    expect(configFromEnv({ ...env, [ENV.pageUnmanagedInstances]: 'true' }).pageUnmanagedInstances).toBe(true);
    expect(() => configFromEnv({ ...env, [ENV.pageUnmanagedInstances]: 'yes' })).toThrow(
      'PAGE_UNMANAGED_INSTANCES must be true or false, not "yes"',
    );
  });

  it('refuses a document map that is not an object', () => {
    expect(() => configFromEnv({ ...complete, [ENV.runbookDocuments]: '["disk-full"]' })).toThrow(
      /must be a JSON object/,
    );
  });
});
