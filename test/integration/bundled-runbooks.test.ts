import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ENV } from '../../functions/handlers/config.ts';
import { loadRunbooks } from '../../lib/handler-entries.ts';
import { PROJECT_ROOT } from '../../lib/project-paths.ts';
import { RemediationEngine } from '../../lib/remediation-engine.ts';
import { createIncidentTable, LOCAL_CREDENTIALS, localDynamoDbClient } from '../../local/dynamodb-local.ts';
import type { CfnResource } from '../cdk/synthesize.ts';

// An app that embeds the engine with its own runbooks folder, outside this package, as a platform
// team's app does: the functions must bundle that folder's runbook, and only it.

const DEFINE_RUNBOOK = join(PROJECT_ROOT, 'functions/core/runbook.ts');

/** A runbooks folder in the temp dir holding one runbook, `cpu-cooler`, that answers the sample alarm. */
function teamRunbooks(script: string): string {
  const directory = mkdtempSync(join(tmpdir(), 'team-runbooks-'));
  mkdirSync(join(directory, 'cpu-cooler'));
  writeFileSync(
    join(directory, 'cpu-cooler', 'runbook.ts'),
    [
      `import { defineRunbook } from ${JSON.stringify(DEFINE_RUNBOOK)};`,
      'export default defineRunbook({',
      "  name: 'cpu-cooler',",
      "  description: 'Cools a hot CPU.',",
      "  owner: 'team-a',",
      "  match: { alarmNames: ['ServerCpuTooHigh'] },",
      "  actions: [{ name: 'cool', script: 'cool.sh' }],",
      '  maxAttempts: 2,',
      '  backoff: { baseSeconds: 30, capSeconds: 120 },',
      '  verifyWindowSeconds: 180,',
      '  executionTimeoutSeconds: 60,',
      '  deliveryTimeoutSeconds: 60,',
      '});',
      '',
    ].join('\n'),
  );
  writeFileSync(join(directory, 'cpu-cooler', 'cool.sh'), script);
  return directory;
}

async function teamStack(directory: string, context: Record<string, unknown>, outdir?: string) {
  const app = new App({ context, ...(outdir ? { outdir } : {}) });
  const stack = new Stack(app, 'TeamA');
  const engine = new RemediationEngine(stack, 'Remediation', {
    runbooksDirectory: directory,
    runbooks: await loadRunbooks(directory),
    observability: false,
  });
  return { app, stack, engine };
}

const cdkContext = () =>
  (JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> })
    .context;

/** The functions' environment variables, by the start of the function's logical id. */
function environmentOf(template: Template, prefix: string): Record<string, unknown> {
  const [, fn] = Object.entries(
    template.findResources('AWS::Lambda::Function') as Record<string, CfnResource>,
  ).find(([id]) => id.startsWith(prefix)) as [string, CfnResource];
  return (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
}

/** Runs the alarm function's bundle in a fresh Node process, AWS mocked at the SDK boundary but DynamoDB. */
const DRIVER = `
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DescribeInstancesCommand, DescribeTagsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';

const ssm = mockClient(SSMClient);
ssm.on(SendCommandCommand).resolves({ Command: { CommandId: '00000000-0000-4000-8000-000000000001' } });
mockClient(SQSClient).resolves({ MessageId: 'timer' });
mockClient(SNSClient).resolves({ MessageId: 'page' });
mockClient(EventBridgeClient).resolves({ FailedEntryCount: 0, Entries: [] });
mockClient(CloudWatchClient).resolves({});
const tag = (id) => ({ ResourceId: id, ResourceType: 'instance', Key: 'AutoRemediation', Value: 'enabled' });
const ec2 = mockClient(EC2Client);
ec2.on(DescribeTagsCommand).callsFake((input) => ({
  Tags: [tag(input.Filters?.find((f) => f.Name === 'resource-id')?.Values?.[0])],
}));
ec2.on(DescribeInstancesCommand).callsFake((input) => ({
  Reservations: [{ Instances: (input.InstanceIds ?? []).map((id) => ({ InstanceId: id, Tags: [{ Key: 'AutoRemediation', Value: 'enabled' }] })) }],
}));

const { handler } = await import(process.argv[2]);
const context = {
  functionName: 'alarm', functionVersion: '$LATEST', memoryLimitInMB: '256', awsRequestId: 'test',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:alarm',
  getRemainingTimeInMillis: () => 30000,
};
const results = [];
for (const event of JSON.parse(process.argv[3])) results.push(await handler(event, context));
const sends = ssm.commandCalls(SendCommandCommand).map((call) => call.args[0].input);
console.log('RESULT ' + JSON.stringify({ results, sends }));
`;

describe('an app with its own runbooks folder', () => {
  let directory: string;
  let outdir: string;
  let template: Template;
  let documentName: string;
  let bundle: string;

  beforeAll(async () => {
    directory = teamRunbooks('#!/bin/bash\necho cooled\n');
    // Inside the package, so that the bundle resolves the SDK from node_modules as Lambda's runtime would.
    outdir = join(PROJECT_ROOT, '.build', `test-app-${randomUUID()}`);
    const { app, stack, engine } = await teamStack(directory, cdkContext(), outdir);
    app.synth();
    template = Template.fromStack(stack);
    documentName = engine.documentNames['cpu-cooler'] as string;
    const [, alarmFunction] = Object.entries(
      template.findResources('AWS::Lambda::Function') as Record<string, CfnResource>,
    ).find(([id]) => id.startsWith('RemediationFunctionsAlarm')) as [string, CfnResource];
    const key = (alarmFunction.Properties.Code as { S3Key: string }).S3Key.replace(/\.zip$/, '');
    bundle = join(outdir, `asset.${key}`, 'index.mjs');
  }, 180_000);

  afterAll(() => {
    rmSync(outdir, { recursive: true, force: true });
    rmSync(directory, { recursive: true, force: true });
  });

  it('deploys a document for its runbook and none for the built-in ones', () => {
    expect(Object.keys(template.findResources('AWS::SSM::Document'))).toHaveLength(1);
    expect(documentName).toMatch(/^TeamA-Remediation-cpu-cooler-[0-9a-f]{10}$/);
  });

  it('bundles that runbook into the alarm function: the asset itself matches the alarm and sends its document', async () => {
    // Prepare
    const dynamodb = localDynamoDbClient(inject('dynamoDbEndpoint'));
    const tableName = `incidents-${randomUUID()}`;
    await createIncidentTable(dynamodb, tableName, { timeToLive: false });
    const published = JSON.parse(
      readFileSync(
        join(PROJECT_ROOT, 'test/events/cloudwatch-alarm-state-change.single-metric.json'),
        'utf8',
      ),
    ) as { detail: { alarmName: string } };
    // A built-in runbook's alarm (service-down answers these names): this app does not deploy it.
    const builtIn = structuredClone(published);
    builtIn.detail.alarmName = 'service-down-web';
    const variables = environmentOf(template, 'RemediationFunctionsAlarm');
    const driver = join(outdir, 'driver.mjs');
    writeFileSync(driver, DRIVER);
    // Act
    const output = execFileSync(
      process.execPath,
      [driver, pathToFileURL(bundle).href, JSON.stringify([published, builtIn])],
      {
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
          AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoDbEndpoint'),
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          POWERTOOLS_METRICS_NAMESPACE: 'Test',
          [ENV.tableName]: tableName,
          [ENV.timerQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/timers',
          [ENV.pagerTopicArn]: 'arn:aws:sns:us-east-1:123456789012:pager',
          [ENV.eventBusName]: 'default',
          // As deployed: the document names are written into the template at synth.
          [ENV.runbookDocuments]: variables[ENV.runbookDocuments] as string,
          [ENV.optInTagKey]: variables[ENV.optInTagKey] as string,
          [ENV.optInTagValue]: variables[ENV.optInTagValue] as string,
          [ENV.eventAccounts]: '123456789012',
          [ENV.eventRegions]: 'us-east-1',
        },
      },
    );
    const line = output.split('\n').find((l) => l.startsWith('RESULT ')) as string;
    const { results, sends } = JSON.parse(line.slice('RESULT '.length)) as {
      results: Array<{ outcome: string; reason?: string }>;
      sends: Array<Record<string, unknown>>;
    };
    // Assess
    expect(results[0]).toMatchObject({ outcome: 'processed' });
    expect(results[1]).toEqual({ outcome: 'ignored', reason: 'no runbook answers this alarm' });
    expect(sends).toEqual([
      expect.objectContaining({
        DocumentName: documentName,
        DocumentVersion: '1',
        InstanceIds: ['i-12345678901234567'],
        Parameters: { action: ['cool'], executionTimeout: ['60'] },
      }),
    ]);
  }, 60_000);
});

describe('what runs is what the stack deployed', () => {
  const noBundling = () => ({ ...cdkContext(), 'aws:cdk:bundling-stacks': [] });

  it('a changed runbook is a new document; the deployed functions keep running the old one until the next deploy', async () => {
    // Prepare
    const directory = teamRunbooks('#!/bin/bash\necho cooled\n');
    const deployed = await teamStack(directory, noBundling());
    const deployedTemplate = Template.fromStack(deployed.stack);
    // Act: the script changes, and the app is synthesized again (what the next deploy would bring)
    writeFileSync(join(directory, 'cpu-cooler', 'cool.sh'), '#!/bin/bash\necho cooled harder\n');
    const next = await teamStack(directory, noBundling());
    // Assess
    const before = deployed.engine.documentNames['cpu-cooler'];
    const after = next.engine.documentNames['cpu-cooler'];
    expect(after).not.toBe(before);
    expect(
      JSON.parse(
        environmentOf(deployedTemplate, 'RemediationFunctionsAlarm')[ENV.runbookDocuments] as string,
      ),
    ).toEqual({ 'cpu-cooler': before });
    // The documents are replaced, never versioned in place: a version added outside a deploy is never run.
    for (const document of Object.values(
      deployedTemplate.findResources('AWS::SSM::Document') as Record<string, CfnResource>,
    ))
      expect(document.Properties).not.toHaveProperty('UpdateMethod');
    rmSync(directory, { recursive: true, force: true });
  });

  it('refuses a runbooks folder given without its runbooks, and a runbook whose folder is not there', async () => {
    const directory = teamRunbooks('#!/bin/bash\necho cooled\n');
    const stack = () => new Stack(new App({ context: noBundling() }), 'TeamB');
    expect(() => new RemediationEngine(stack(), 'Remediation', { runbooksDirectory: directory })).toThrow(
      /runbooksDirectory .* is given without runbooks.*loadRunbooks/,
    );
    const [cooler] = await loadRunbooks(directory);
    const elsewhere = mkdtempSync(join(tmpdir(), 'other-runbooks-'));
    mkdirSync(join(elsewhere, 'cpu-cooler'));
    writeFileSync(join(elsewhere, 'cpu-cooler', 'cool.sh'), '#!/bin/bash\n');
    expect(
      () =>
        new RemediationEngine(stack(), 'Remediation', {
          runbooksDirectory: elsewhere,
          runbooks: [cooler as NonNullable<typeof cooler>],
        }),
    ).toThrow(/runbook "cpu-cooler" has no definition at .*cpu-cooler\/runbook\.ts/);
    rmSync(directory, { recursive: true, force: true });
    rmSync(elsewhere, { recursive: true, force: true });
  });
});
