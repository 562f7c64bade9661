import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC } from '../../functions/core/metrics.ts';
import { PROJECT_ROOT } from '../../lib/project-paths.ts';
import { type CfnResource, statementsOf, testContext } from './synthesize.ts';

const EXAMPLE = join(PROJECT_ROOT, 'examples/embedded-app');
/** Starting tsx and synthesizing take a few seconds. */
const SLOW = 120_000;

describe('the package, embedded by another CDK app', () => {
  let outdir: string;
  let template: Template;

  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'embedded-app-'));
    // As `cdk synth` runs the example's cdk.json app, without bundling the functions.
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'app.ts'], {
      cwd: EXAMPLE,
      encoding: 'utf8',
      env: {
        ...process.env,
        CDK_OUTDIR: outdir,
        CDK_CONTEXT_JSON: JSON.stringify(testContext()),
        AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: '1',
      },
    });
    if (run.status !== 0) throw new Error(`the example app failed to synthesize: ${run.stderr}`);
    template = Template.fromJSON(
      JSON.parse(readFileSync(join(outdir, 'PlatformOperations.template.json'), 'utf8')),
    );
  }, SLOW);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('imports the package by its name, as an app that installed it does', () => {
    const source = readFileSync(join(EXAMPLE, 'app.ts'), 'utf8');
    expect(source).toMatch(/from 'ec2-auto-remediation';/);
    expect(source).not.toMatch(/from '\.\.?\//);
    expect(JSON.parse(readFileSync(join(EXAMPLE, 'cdk.json'), 'utf8')).app).toBe('npx tsx app.ts');
  });

  it("builds the engine into the app's own stack: functions, table, rules, the chosen runbooks", () => {
    template.resourceCountIs('AWS::Lambda::Function', 5);
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.resourceCountIs('AWS::SSM::Document', 2);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change', 'CloudWatch Alarm Contributor State Change'],
      },
    });
  });

  it("gives the app's on-call role what the operator CLI needs, and charts the engine's outcomes", () => {
    // Prepare
    const actions = statementsOf(template, 'RemediationOperators').flatMap((s) => s.actions);
    const dashboards = Object.values(
      template.findResources('AWS::CloudWatch::Dashboard') as Record<string, CfnResource>,
    );
    const body = JSON.stringify(dashboards.map((d) => d.Properties.DashboardBody));
    // Assess
    expect(actions).toEqual(
      expect.arrayContaining(['dynamodb:Scan', 'dynamodb:PutItem', 'events:PutEvents']),
    );
    for (const name of [METRIC.fixedAutomatically, METRIC.escalated, METRIC.suppressed])
      expect(body).toContain(name);
  });

  it('resolves `ec2-auto-remediation/runbook` by name for runbook definitions, with no CDK in the bundle', async () => {
    // Act: a runbook definition as an app keeps it, bundled as the functions bundle it.
    const result = await build({
      stdin: {
        contents:
          "import { defineRunbook } from 'ec2-auto-remediation/runbook'; export default defineRunbook;",
        resolveDir: EXAMPLE,
        loader: 'ts',
      },
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      metafile: true,
      logLevel: 'silent',
    });
    // Assess
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toContain('functions/core/runbook.ts');
    expect(inputs.filter((input) => input.includes('aws-cdk-lib') || input.startsWith('lib/'))).toEqual([]);
  });
});
