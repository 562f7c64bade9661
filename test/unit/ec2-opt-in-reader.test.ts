import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { Ec2OptInReader, OPT_IN_CACHE_MS } from '../../functions/adapters/aws/ec2-opt-in-reader.ts';

const ec2 = mockClient(EC2Client);
const ID = 'i-0123456789abcdef0';

/** DescribeInstances' answer for one instance. */
const described = (instance: Record<string, unknown>) => ({
  Reservations: [{ Instances: [{ InstanceId: ID, ...instance }] }],
});

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

  it('asks EC2 for the one instance, requires the exact value of the tag, and reads its launch time', async () => {
    ec2.on(DescribeInstancesCommand).resolves(
      described({
        LaunchTime: new Date('2026-11-21T02:55:00.000Z'),
        Tags: [{ Key: 'AutoRemediation', Value: 'disabled' }],
      }),
    );

    const optIn = await reader().optIn(ID);

    expect(optIn).toEqual({
      instanceId: ID,
      tagKey: 'AutoRemediation',
      tagValue: 'enabled',
      tagged: false,
      tags: {},
      launchedAt: Date.parse('2026-11-21T02:55:00.000Z'),
    });
    expect(ec2).toHaveReceivedCommandWith(DescribeInstancesCommand, { InstanceIds: [ID] });
  });

  it('reads the Name tag and the Availability Zone, for the pages', async () => {
    ec2.on(DescribeInstancesCommand).resolves(
      described({
        Placement: { AvailabilityZone: 'us-east-1b' },
        Tags: [
          { Key: 'AutoRemediation', Value: 'enabled' },
          { Key: 'Name', Value: 'web-3' },
        ],
      }),
    );
    expect(await reader().optIn(ID)).toMatchObject({ tagged: true, name: 'web-3', zone: 'us-east-1b' });
  });

  it('reads the allow-list tags the runbooks name in the same call, and only those of this instance', async () => {
    // Prepare
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            {
              InstanceId: ID,
              Tags: [
                { Key: 'AutoRemediation', Value: 'enabled' },
                { Key: 'AutoRemediation:services', Value: 'nginx:php-fpm' },
                { Key: 'Name', Value: 'web-1' },
              ],
            },
            {
              InstanceId: 'i-0fedcba9876543210',
              Tags: [{ Key: 'AutoRemediation:processes', Value: 'worker' }],
            },
          ],
        },
      ],
    });
    const withLists = new Ec2OptInReader(new EC2Client({ region: 'us-east-1' }), {
      key: 'AutoRemediation',
      value: 'enabled',
      allowLists: ['AutoRemediation:services', 'AutoRemediation:processes', 'AutoRemediation:services'],
    });

    // Act
    const optIn = await withLists.optIn(ID);

    // Assess
    expect(optIn).toMatchObject({ tagged: true, tags: { 'AutoRemediation:services': 'nginx:php-fpm' } });
    expect(optIn).not.toHaveProperty('launchedAt');
    expect(ec2).toHaveReceivedCommandTimes(DescribeInstancesCommand, 1);
  });

  it('remembers an answer for a minute, so an alarm storm asks once per instance', async () => {
    ec2
      .on(DescribeInstancesCommand)
      .resolves(described({ Tags: [{ Key: 'AutoRemediation', Value: 'enabled' }] }));
    const cached = reader();

    await cached.optIn(ID);
    now += OPT_IN_CACHE_MS - 1;
    await cached.optIn(ID);
    now += 2;
    const later = await cached.optIn(ID);

    expect(ec2).toHaveReceivedCommandTimes(DescribeInstancesCommand, 2);
    expect(later.tagged).toBe(true);
  });

  it('takes an instance EC2 does not know as not opted in (no tag, as DescribeTags said), without remembering it', async () => {
    const notFound = Object.assign(new Error(`The instance ID '${ID}' does not exist`), {
      name: 'InvalidInstanceID.NotFound',
    });
    ec2
      .on(DescribeInstancesCommand)
      .rejectsOnce(notFound)
      .resolves(described({ Tags: [{ Key: 'AutoRemediation', Value: 'enabled' }] }));
    const cached = reader();

    expect(await cached.optIn(ID)).toEqual({
      instanceId: ID,
      tagKey: 'AutoRemediation',
      tagValue: 'enabled',
      tagged: false,
      tags: {},
    });
    // EC2 may not list a new instance yet: the next look asks again.
    expect((await cached.optIn(ID)).tagged).toBe(true);
    expect(ec2).toHaveReceivedCommandTimes(DescribeInstancesCommand, 2);
  });

  it('lets any other error through: the invocation fails before deciding, and is retried', async () => {
    ec2
      .on(DescribeInstancesCommand)
      .rejects(Object.assign(new Error('Request limit exceeded.'), { name: 'RequestLimitExceeded' }));

    await expect(reader().optIn(ID)).rejects.toThrow(/limit/);
  });
});
