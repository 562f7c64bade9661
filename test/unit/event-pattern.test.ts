import { describe, expect, it } from 'vitest';
import { InvalidEventPatternError, matchesPattern } from '../../local/event-pattern.ts';

// Examples from the EventBridge User Guide: "Amazon EventBridge event patterns" and "Content filtering
// in Amazon EventBridge event patterns".
const ec2Event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};

const withDetail = (detail: Record<string, unknown>) => ({ ...ec2Event, detail });

describe('matchesPattern', () => {
  describe('structure', () => {
    it('matches when every field the pattern names matches, ignoring the others', () => {
      // Prepare
      const pattern = {
        source: ['aws.ec2'],
        'detail-type': ['EC2 Instance State-change Notification'],
        detail: { state: ['terminated'] },
      };
      // Act
      const matched = matchesPattern(pattern, ec2Event);
      // Assess
      expect(matched).toBe(true);
    });

    it('does not match when one field differs', () => {
      const pattern = { source: ['aws.ec2'], detail: { state: ['running'] } };
      expect(matchesPattern(pattern, ec2Event)).toBe(false);
    });

    it('does not match when a field the pattern names is missing from the event', () => {
      const pattern = { detail: { 'previous-state': ['running'] } };
      expect(matchesPattern(pattern, ec2Event)).toBe(false);
    });

    it('treats the values of a field as alternatives', () => {
      const pattern = { detail: { state: ['pending', 'terminated'] } };
      expect(matchesPattern(pattern, ec2Event)).toBe(true);
    });

    it('matches an event array when any of its elements is allowed', () => {
      // Prepare
      const event = {
        ...ec2Event,
        resources: [
          'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
          'arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0',
        ],
      };
      const pattern = {
        resources: [
          'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
          'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
        ],
      };
      // Act & Assess
      expect(matchesPattern(pattern, event)).toBe(true);
      expect(
        matchesPattern({ resources: ['arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f'] }, event),
      ).toBe(false);
    });

    it('matches an array of objects only when one element matches the whole sub-pattern', () => {
      // Prepare
      const event = withDetail({
        metrics: [
          { id: 'm1', name: 'CPUUtilization', namespace: 'AWS/EC2' },
          { id: 'm2', name: 'disk_used_percent', namespace: 'CWAgent' },
        ],
      });
      // Act & Assess
      expect(
        matchesPattern(
          { detail: { metrics: { name: ['disk_used_percent'], namespace: ['CWAgent'] } } },
          event,
        ),
      ).toBe(true);
      expect(
        matchesPattern({ detail: { metrics: { name: ['CPUUtilization'], namespace: ['CWAgent'] } } }, event),
      ).toBe(false);
    });
  });

  describe('exact values', () => {
    it('matches null, but not a missing field', () => {
      const pattern = { detail: { responseElements: [null] } };
      expect(matchesPattern(pattern, withDetail({ responseElements: null }))).toBe(true);
      expect(matchesPattern(pattern, withDetail({}))).toBe(false);
    });

    it('matches the empty string', () => {
      const pattern = { detail: { eventVersion: [''] } };
      expect(matchesPattern(pattern, withDetail({ eventVersion: '' }))).toBe(true);
      expect(matchesPattern(pattern, withDetail({ eventVersion: '1.0' }))).toBe(false);
    });

    it('matches numbers and booleans by value and type', () => {
      expect(matchesPattern({ detail: { 'x-limit': [123] } }, withDetail({ 'x-limit': 123 }))).toBe(true);
      expect(matchesPattern({ detail: { 'x-limit': [123] } }, withDetail({ 'x-limit': '123' }))).toBe(false);
      expect(matchesPattern({ detail: { enabled: [true] } }, withDetail({ enabled: true }))).toBe(true);
      expect(matchesPattern({ detail: { enabled: [true] } }, withDetail({ enabled: 'true' }))).toBe(false);
    });
  });

  describe('prefix and suffix', () => {
    it('matches a string by its prefix', () => {
      expect(matchesPattern({ time: [{ prefix: '2017-12-22' }] }, ec2Event)).toBe(true);
      expect(matchesPattern({ time: [{ prefix: '2017-10-02' }] }, ec2Event)).toBe(false);
    });

    it('matches a prefix regardless of case with equals-ignore-case', () => {
      const pattern = { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } };
      expect(matchesPattern(pattern, withDetail({ service: 'eventbridge' }))).toBe(true);
      expect(matchesPattern(pattern, withDetail({ service: 'EVENTBRIDGE' }))).toBe(true);
      expect(matchesPattern(pattern, withDetail({ service: 'lambda' }))).toBe(false);
    });

    it('matches a string by its suffix', () => {
      const pattern = { detail: { FileName: [{ suffix: '.png' }] } };
      expect(matchesPattern(pattern, withDetail({ FileName: 'image.png' }))).toBe(true);
      expect(matchesPattern(pattern, withDetail({ FileName: 'image.jpg' }))).toBe(false);
    });

    it('matches a suffix regardless of case with equals-ignore-case', () => {
      const pattern = { detail: { service: [{ suffix: { 'equals-ignore-case': 'tBridge' } }] } };
      expect(matchesPattern(pattern, withDetail({ service: 'EventBRIDGE' }))).toBe(true);
    });

    it('applies only to strings', () => {
      expect(matchesPattern({ detail: { code: [{ prefix: '12' }] } }, withDetail({ code: 123 }))).toBe(false);
    });
  });

  describe('anything-but', () => {
    it('matches any value except the one given', () => {
      const pattern = { detail: { state: [{ 'anything-but': 'initializing' }] } };
      expect(matchesPattern(pattern, withDetail({ state: 'stopped' }))).toBe(true);
      expect(matchesPattern(pattern, withDetail({ state: 'initializing' }))).toBe(false);
    });

    it('does not match a missing field', () => {
      const pattern = { detail: { state: [{ 'anything-but': 'initializing' }] } };
      expect(matchesPattern(pattern, withDetail({}))).toBe(false);
    });

    it('excludes a number', () => {
      const pattern = { detail: { 'x-limit': [{ 'anything-but': 123 }] } };
      expect(matchesPattern(pattern, withDetail({ 'x-limit': 124 }))).toBe(true);
      expect(matchesPattern(pattern, withDetail({ 'x-limit': 123 }))).toBe(false);
    });

    it('excludes a list of strings or of numbers', () => {
      const strings = { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } };
      const numbers = { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } };
      expect(matchesPattern(strings, withDetail({ state: 'running' }))).toBe(true);
      expect(matchesPattern(strings, withDetail({ state: 'overloaded' }))).toBe(false);
      expect(matchesPattern(numbers, withDetail({ 'x-limit': 150 }))).toBe(true);
      expect(matchesPattern(numbers, withDetail({ 'x-limit': 200 }))).toBe(false);
    });

    it('excludes a prefix', () => {
      const pattern = { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } };
      expect(matchesPattern(pattern, withDetail({ state: 'running' }))).toBe(true);
      expect(matchesPattern(pattern, withDetail({ state: 'initializing' }))).toBe(false);
    });

    it('excludes a suffix', () => {
      const pattern = { detail: { FileName: [{ 'anything-but': { suffix: '.txt' } }] } };
      expect(matchesPattern(pattern, withDetail({ FileName: 'notes.md' }))).toBe(true);
      expect(matchesPattern(pattern, withDetail({ FileName: 'notes.txt' }))).toBe(false);
    });

    it('excludes values regardless of case', () => {
      const pattern = {
        detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'OverLoaded'] } }] },
      };
      expect(matchesPattern(pattern, withDetail({ state: 'running' }))).toBe(true);
      expect(matchesPattern(pattern, withDetail({ state: 'STOPPED' }))).toBe(false);
    });

    it('excludes a wildcard', () => {
      const pattern = { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } };
      expect(matchesPattern(pattern, withDetail({ FilePath: '/usr/bin/env' }))).toBe(true);
      expect(matchesPattern(pattern, withDetail({ FilePath: '/usr/lib/libc.so' }))).toBe(false);
    });
  });

  describe('numeric', () => {
    it('matches numbers within ranges', () => {
      // Prepare
      const pattern = {
        detail: {
          'c-count': [{ numeric: ['>', 0, '<=', 5] }],
          'd-count': [{ numeric: ['<', 10] }],
          'x-limit': [{ numeric: ['=', 3.018e2] }],
        },
      };
      // Act & Assess
      expect(matchesPattern(pattern, withDetail({ 'c-count': 5, 'd-count': 7, 'x-limit': 301.8 }))).toBe(
        true,
      );
      expect(matchesPattern(pattern, withDetail({ 'c-count': 0, 'd-count': 7, 'x-limit': 301.8 }))).toBe(
        false,
      );
      expect(matchesPattern(pattern, withDetail({ 'c-count': 5, 'd-count': 10, 'x-limit': 301.8 }))).toBe(
        false,
      );
    });

    it('does not match numbers written as strings', () => {
      expect(
        matchesPattern({ detail: { 'c-count': [{ numeric: ['>', 0] }] } }, withDetail({ 'c-count': '5' })),
      ).toBe(false);
    });
  });

  describe('exists', () => {
    it('matches a present field with exists: true', () => {
      const pattern = { detail: { state: [{ exists: true }] } };
      expect(matchesPattern(pattern, ec2Event)).toBe(true);
      expect(matchesPattern(pattern, withDetail({}))).toBe(false);
    });

    it('matches a missing field with exists: false, even when its parent is missing', () => {
      const pattern = { detail: { 'c-count': [{ exists: false }] } };
      expect(matchesPattern(pattern, ec2Event)).toBe(true);
      expect(matchesPattern(pattern, { source: 'aws.ec2' })).toBe(true);
      expect(matchesPattern(pattern, withDetail({ 'c-count': 1 }))).toBe(false);
    });

    it('works on leaves only: an object is not a leaf', () => {
      const event = withDetail({ configuration: { metrics: [] } });
      expect(matchesPattern({ detail: { configuration: [{ exists: true }] } }, event)).toBe(false);
      expect(matchesPattern({ detail: { configuration: [{ exists: false }] } }, event)).toBe(true);
    });
  });

  describe('equals-ignore-case and wildcard', () => {
    it('matches a string regardless of case', () => {
      const pattern = { 'detail-type': [{ 'equals-ignore-case': 'ec2 instance state-change notification' }] };
      expect(matchesPattern(pattern, ec2Event)).toBe(true);
    });

    it('matches a wildcard anywhere in the string', () => {
      const pattern = { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] };
      expect(
        matchesPattern(pattern, { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/default' }),
      ).toBe(true);
      expect(
        matchesPattern(pattern, { EventBusArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/default' }),
      ).toBe(false);
    });

    it('treats an escaped star as a literal star', () => {
      const pattern = { detail: { name: [{ wildcard: 'a\\*b*' }] } };
      expect(matchesPattern(pattern, withDetail({ name: 'a*bc' }))).toBe(true);
      expect(matchesPattern(pattern, withDetail({ name: 'axbc' }))).toBe(false);
    });

    it('treats regular-expression characters literally', () => {
      const pattern = { detail: { FileName: [{ wildcard: 'dir/*.png' }] } };
      expect(matchesPattern(pattern, withDetail({ FileName: 'dir/image.png' }))).toBe(true);
      expect(matchesPattern(pattern, withDetail({ FileName: 'dir/imagexpng' }))).toBe(false);
    });
  });

  describe('$or', () => {
    it('matches when any alternative matches, inside a nested object', () => {
      // Prepare
      const pattern = {
        detail: {
          $or: [
            { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
            { 'd-count': [{ numeric: ['<', 10] }] },
            { 'x-limit': [{ numeric: ['=', 3.018e2] }] },
          ],
        },
      };
      // Act & Assess
      expect(matchesPattern(pattern, withDetail({ 'd-count': 3 }))).toBe(true);
      expect(matchesPattern(pattern, withDetail({ 'c-count': 9, 'd-count': 30 }))).toBe(false);
    });

    it('combines with the fields beside it', () => {
      // Prepare
      const pattern = {
        source: ['aws.cloudwatch'],
        $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
      };
      // Act & Assess
      expect(matchesPattern(pattern, { source: 'aws.cloudwatch', namespace: 'AWS/EC2' })).toBe(true);
      expect(matchesPattern(pattern, { source: 'aws.cloudwatch', metricName: 'ReadLatency' })).toBe(true);
      expect(matchesPattern(pattern, { source: 'aws.ec2', metricName: 'ReadLatency' })).toBe(false);
      expect(matchesPattern(pattern, { source: 'aws.cloudwatch', namespace: 'CWAgent' })).toBe(false);
    });
  });

  describe('invalid patterns', () => {
    it.each([
      ['a leaf that is not an array', { source: 'aws.ec2' }],
      ['an empty array', { source: [] }],
      ['an unknown filter', { source: [{ contains: 'ec2' }] }],
      ['a filter with two operators', { source: [{ prefix: 'aws', suffix: 'ec2' }] }],
      ['a numeric filter without a number', { detail: { n: [{ numeric: ['>', '5'] }] } }],
      ['exists without a boolean', { detail: { n: [{ exists: 'yes' }] } }],
      ['an anything-but list of mixed types', { detail: { n: [{ 'anything-but': ['a', 1] }] } }],
      ['consecutive wildcards', { detail: { n: [{ wildcard: 'a**b' }] } }],
      ['$or without alternatives', { $or: [] }],
      ['cidr, which this matcher does not implement', { detail: { ip: [{ cidr: '10.0.0.0/24' }] } }],
    ])('rejects %s', (_, pattern) => {
      expect(() => matchesPattern(pattern, ec2Event)).toThrow(InvalidEventPatternError);
    });
  });
});
