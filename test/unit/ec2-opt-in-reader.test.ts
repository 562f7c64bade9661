import { DescribeTagsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { Ec2OptInReader, OPT_IN_CACHE_MS } from '../../functions/adapters/aws/ec2-opt-in-reader.ts';

const ec2 = mockClient(EC2Client);

describe('Ec2OptInReader', () => {
  let now = 0;
  const reader = () =>
    new Ec2OptInReader(
      new EC2Client({ region: 'us-east-1' }),
      { key: 'AutoRemediation', value: 'enabled' },
      () => now,
    );
  beforeEach(() => {
    ec2.reset();
    now = 0;
  });

  it('asks EC2 for the one tag of the one instance, and requires the exact value', async () => {
    ec2
      .on(DescribeTagsCommand)
      .resolves({ Tags: [{ Key: 'AutoRemediation', Value: 'disabled', ResourceId: 'i-0123456789abcdef0' }] });

    const optIn = await reader().optIn('i-0123456789abcdef0');

    expect(optIn).toEqual({
      instanceId: 'i-0123456789abcdef0',
      tagKey: 'AutoRemediation',
      tagValue: 'enabled',
      tagged: false,
      tags: {},
    });
    expect(ec2).toHaveReceivedCommandWith(DescribeTagsCommand, {
      Filters: [
        { Name: 'resource-id', Values: ['i-0123456789abcdef0'] },
        { Name: 'key', Values: ['AutoRemediation'] },
      ],
    });
  });

  it('reads the allow-list tags the runbooks name in the same call, and only those of this instance', async () => {
    // Prepare
    ec2.on(DescribeTagsCommand).resolves({
      Tags: [
        { Key: 'AutoRemediation', Value: 'enabled', ResourceId: 'i-0123456789abcdef0' },
        { Key: 'AutoRemediation:services', Value: 'nginx:php-fpm', ResourceId: 'i-0123456789abcdef0' },
        { Key: 'AutoRemediation:processes', Value: 'worker', ResourceId: 'i-0fedcba9876543210' },
      ],
    });
    const withLists = new Ec2OptInReader(new EC2Client({ region: 'us-east-1' }), {
      key: 'AutoRemediation',
      value: 'enabled',
      allowLists: ['AutoRemediation:services', 'AutoRemediation:processes', 'AutoRemediation:services'],
    });

    // Act
    const optIn = await withLists.optIn('i-0123456789abcdef0');

    // Assess
    expect(optIn).toMatchObject({ tagged: true, tags: { 'AutoRemediation:services': 'nginx:php-fpm' } });
    expect(ec2).toHaveReceivedCommandTimes(DescribeTagsCommand, 1);
    expect(ec2).toHaveReceivedCommandWith(DescribeTagsCommand, {
      Filters: [
        { Name: 'resource-id', Values: ['i-0123456789abcdef0'] },
        { Name: 'key', Values: ['AutoRemediation', 'AutoRemediation:services', 'AutoRemediation:processes'] },
      ],
    });
  });

  it('remembers an answer for a minute, so an alarm storm asks once per instance', async () => {
    ec2.on(DescribeTagsCommand).resolves({ Tags: [{ Key: 'AutoRemediation', Value: 'enabled' }] });
    const cached = reader();

    await cached.optIn('i-0123456789abcdef0');
    now += OPT_IN_CACHE_MS - 1;
    await cached.optIn('i-0123456789abcdef0');
    now += 2;
    const later = await cached.optIn('i-0123456789abcdef0');

    expect(ec2).toHaveReceivedCommandTimes(DescribeTagsCommand, 2);
    expect(later.tagged).toBe(true);
  });
});
