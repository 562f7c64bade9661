import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type App, Stack } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueNamePrefix } from '../../lib/physical-names.ts';
import { RemediationEngine } from '../../lib/remediation-engine.ts';
import { RemediationStack } from '../../lib/remediation-stack.ts';
import { cfnLint, describeFindings } from './cfn-lint.ts';
import { testApp } from './synthesize.ts';

/** A synthesized stack: its CloudFormation name and its template. */
interface SynthesizedStack {
  readonly stackName: string;
  readonly template: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
  readonly file: string;
}

/** Types whose own name is in a property other than `Name` or `<last part of the type>Name`. */
const NAME_PROPERTY: Readonly<Record<string, string>> = {
  'AWS::EC2::SecurityGroup': 'GroupName',
  'AWS::IAM::Group': 'GroupName',
};
/** Types that share one namespace of names. */
const NAMESPACE: Readonly<Record<string, string>> = {
  'AWS::CloudWatch::CompositeAlarm': 'AWS::CloudWatch::Alarm',
};
/** Names unique only within the resource they belong to (an inline policy, within its role). */
const NAMED_WITHIN_STACK = new Set(['AWS::IAM::Policy']);

/** A name as CloudFormation makes it: pseudo parameters of one account and Region stay symbolic. */
function renderName(value: unknown, stackName: string): string {
  if (typeof value === 'string') return value.replace(/\$\{AWS::StackName\}/g, stackName);
  const node = value as Record<string, unknown>;
  if ('Ref' in node) {
    const ref = String(node.Ref);
    if (ref === 'AWS::StackName') return stackName;
    // The Region, account and partition are those of every stack; a resource's is its own stack's.
    return ref.startsWith('AWS::') && ref !== 'AWS::StackId' ? `<${ref}>` : `<${stackName}/${ref}>`;
  }
  if ('Fn::GetAtt' in node) return `<${stackName}/${(node['Fn::GetAtt'] as string[]).join('.')}>`;
  if ('Fn::Join' in node) {
    const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => renderName(part, stackName)).join(separator);
  }
  if ('Fn::Sub' in node && typeof node['Fn::Sub'] === 'string') return renderName(node['Fn::Sub'], stackName);
  return JSON.stringify(value);
}

/** Every physical name given in the templates, as `<namespace> <name>`, with who holds it. */
function physicalNames(stacks: readonly SynthesizedStack[]): Map<string, string[]> {
  const names = new Map<string, string[]>();
  for (const { stackName, template } of stacks) {
    for (const [id, { Type: type, Properties: properties = {} }] of Object.entries(template.Resources)) {
      const own = NAME_PROPERTY[type] ?? `${type.split('::').pop()}Name`;
      for (const [property, value] of Object.entries(properties)) {
        if (property !== 'Name' && property !== own) continue;
        const scope = NAMED_WITHIN_STACK.has(type) ? `${stackName}/` : '';
        const key = `${NAMESPACE[type] ?? type} ${scope}${renderName(value, stackName)}`;
        names.set(key, [...(names.get(key) ?? []), `${stackName}/${id}.${property}`]);
      }
    }
  }
  return names;
}

const collisions = (names: Map<string, string[]>): string[] =>
  [...names]
    .filter(([, holders]) => holders.length > 1)
    .map(([name, holders]) => `${name}: ${holders.join(', ')}`);

/** Statement ids given twice in one policy (a topic, queue, key or role policy). */
function repeatedStatementIds(stacks: readonly SynthesizedStack[]): string[] {
  return stacks.flatMap(({ stackName, template }) =>
    Object.entries(template.Resources).flatMap(([id, { Properties: properties = {} }]) =>
      ['PolicyDocument', 'KeyPolicy'].flatMap((property) => {
        const statements = (properties[property] as { Statement?: Array<{ Sid?: string }> } | undefined)
          ?.Statement;
        const sids = (statements ?? []).flatMap((statement) => (statement.Sid ? [statement.Sid] : []));
        return sids.filter((sid, i) => sids.indexOf(sid) !== i).map((sid) => `${stackName}/${id} ${sid}`);
      }),
    ),
  );
}

function synthesized(app: App): SynthesizedStack[] {
  return app.synth().stacks.map((stack) => ({
    stackName: stack.stackName,
    template: stack.template,
    file: stack.templateFullPath,
  }));
}

const nagFindings = (app: App): string[] =>
  new AwsSolutionsChecks(app)
    .validateScope(app)
    .violations.flatMap((violation) =>
      violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath}`),
    );

describe('several engines in one account and Region', () => {
  let directory: string;
  let apps: Record<'oneStack' | 'twoStacks' | 'sharedTopic', App>;
  let stacks: SynthesizedStack[];

  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'several-engines-'));
    const app = (name: string) => testApp({ outdir: join(directory, name) });
    apps = { oneStack: app('one-stack'), twoStacks: app('two-stacks'), sharedTopic: app('shared-topic') };
    // (a) Two engines in one stack, each with its own pager topic.
    const fleet = new Stack(apps.oneStack, 'Fleet');
    new RemediationEngine(fleet, 'Web');
    new RemediationEngine(fleet, 'Batch');
    // (b) Two stacks of the app, side by side.
    new RemediationStack(apps.twoStacks, 'Ec2AutoRemediation');
    new RemediationStack(apps.twoStacks, 'Staging');
    // Two engines paging through one topic of their stack.
    const shared = new Stack(apps.sharedTopic, 'SharedTopic');
    const pagerTopic = new sns.Topic(shared, 'Pager', { enforceSSL: true });
    new RemediationEngine(shared, 'Web', { pagerTopic });
    new RemediationEngine(shared, 'Batch', { pagerTopic });
    stacks = Object.values(apps).flatMap(synthesized);
  }, 120_000);

  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('give no two resources the same physical name, in one stack or across stacks', () => {
    // Act
    const names = physicalNames(stacks);
    // Assess: the names the engine gives are among those compared.
    const types = new Set([...names.keys()].map((key) => key.split(' ')[0]));
    expect([...types].sort()).toEqual(
      expect.arrayContaining(['AWS::CloudWatch::Alarm', 'AWS::CloudWatch::Dashboard', 'AWS::SSM::Document']),
    );
    expect(collisions(names)).toEqual([]);
  });

  it('name the alarms and dashboards after the stack and the engine', () => {
    const alarmNames = [...physicalNames(stacks).keys()]
      .filter((key) => key.startsWith('AWS::CloudWatch::'))
      .map((key) => key.split(' ')[1]);
    for (const prefix of [
      'Fleet-Web-',
      'Fleet-Batch-',
      'Ec2AutoRemediation-Remediation-',
      'Staging-Remediation-',
    ]) {
      expect(
        alarmNames.filter((name) => name?.startsWith(prefix)),
        prefix,
      ).toHaveLength(11);
    }
  });

  it('give no two statements of one policy the same id, even when engines share a topic', () => {
    expect(repeatedStatementIds(stacks)).toEqual([]);
  });

  it('report no unacknowledged cdk-nag finding', () => {
    for (const [name, app] of Object.entries(apps)) expect(nagFindings(app), name).toEqual([]);
  });

  it('pass cfn-lint with no error and no unacknowledged warning', () => {
    // Act
    const report = cfnLint(stacks.map((stack) => stack.file));
    // Assess
    expect(describeFindings(report.errors)).toEqual([]);
    expect(describeFindings(report.warnings)).toEqual([]);
  }, 120_000);

  it('still catch two resources of two stacks with one name', () => {
    // Prepare
    const scratch = testApp();
    for (const id of ['Blue', 'Green'])
      new sqs.Queue(new Stack(scratch, id), 'Queue', { queueName: 'timers' });
    // Act
    const found = collisions(physicalNames(synthesized(scratch)));
    // Assess
    expect(found).toEqual([
      'AWS::SQS::Queue timers: Blue/Queue4A7E3555.QueueName, Green/Queue4A7E3555.QueueName',
    ]);
  });
});

describe('uniqueNamePrefix', () => {
  it('is the stack name and the path below it when that is a valid name', () => {
    // Prepare
    const stack = new Stack(testApp(), 'Fleet', { stackName: 'fleet-prod' });
    // Assess
    expect(uniqueNamePrefix(new Construct(new Construct(stack, 'Team'), 'Web'))).toBe('fleet-prod-Team-Web');
    expect(uniqueNamePrefix(stack)).toBe('fleet-prod');
  });

  it('adds a hash of the path when ids are cleaned or the name is cut, so that it stays unique', () => {
    // Prepare
    const stack = new Stack(testApp(), 'Fleet');
    // Act
    const [spaced, joined] = ['Team A', 'TeamA'].map((id) => uniqueNamePrefix(new Construct(stack, id)));
    const cut = uniqueNamePrefix(new Construct(stack, 'x'.repeat(200)), 40);
    // Assess
    expect(joined).toBe('Fleet-TeamA');
    expect(spaced).toMatch(/^Fleet-TeamA-[0-9A-F]{8}$/);
    expect(cut).toMatch(/^Fleet-x{25}-[0-9A-F]{8}$/);
  });
});
