import { RemovalPolicy } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CfnResource, synthesize } from './synthesize.ts';

/** The DeletionPolicy of every resource of a type, by logical id. */
const deletionPolicies = (template: Template, type: string) =>
  Object.fromEntries(
    Object.entries(template.findResources(type) as Record<string, CfnResource>).map(([id, resource]) => [
      id,
      resource.DeletionPolicy,
    ]),
  );

describe('removal policies', () => {
  let kept: Template;
  let destroyed: Template;

  beforeAll(() => {
    kept = synthesize().template;
    destroyed = synthesize({
      keyRemovalPolicy: RemovalPolicy.DESTROY,
      logRemovalPolicy: RemovalPolicy.DESTROY,
    }).template;
  });

  it('keep the pager key by default, and delete it when asked (a test or preview stack)', () => {
    expect(Object.values(deletionPolicies(kept, 'AWS::KMS::Key'))).toEqual(['Retain']);
    expect(Object.values(deletionPolicies(destroyed, 'AWS::KMS::Key'))).toEqual(['Delete']);
  });

  it('keep the five function log groups by default, and delete them when asked', () => {
    expect(Object.values(deletionPolicies(kept, 'AWS::Logs::LogGroup'))).toEqual(Array(5).fill('Retain'));
    expect(Object.values(deletionPolicies(destroyed, 'AWS::Logs::LogGroup'))).toEqual(
      Array(5).fill('Delete'),
    );
  });

  it('refuse a key policy for a topic the stack does not create, saying what to do', () => {
    expect(() =>
      synthesize({
        pagerTopicArn: 'arn:aws:sns:eu-west-1:123456789012:oncall',
        keyRemovalPolicy: RemovalPolicy.DESTROY,
      }),
    ).toThrow(
      /keyRemovalPolicy applies to the key of the pager topic the engine creates.*leave keyRemovalPolicy out/,
    );
  });
});
