import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/project-paths.ts';
import { RemediationStack } from '../../lib/remediation-stack.ts';
import { CFN_LINT_CONFIG, type CfnLintReport, cfnLint, describeFindings, templatesIn } from './cfn-lint.ts';
import { testApp, testContext } from './synthesize.ts';

const OWN_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:oncall';
const CHAT_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:chat';
/** cfn-lint takes a few seconds to start, and the app a few to synthesize. */
const SLOW = 120_000;

/** Synthesizes bin/app.ts as `cdk synth` does (with cdk.json's context), without bundling. */
function synthesizeApp(outdir: string): void {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify(testContext()),
      AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: '1',
    },
  });
  if (run.status !== 0) throw new Error(`bin/app.ts failed to synthesize: ${run.stderr}`);
}

/** The checks .cfnlintrc.yaml ignores, each with the reason written above it as `# <id>: <reason>`. */
function acknowledgements(): Array<{ id: string; reason: string }> {
  const lines = readFileSync(CFN_LINT_CONFIG, 'utf8').split('\n');
  const start = lines.findIndex((line) => line.startsWith('ignore_checks:'));
  if (start < 0) return [];
  const acknowledged: Array<{ id: string; reason: string }> = [];
  let comment: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break;
    const text = line.trim();
    if (text.startsWith('#')) comment.push(text.replace(/^#\s?/, ''));
    const entry = /^-\s+([A-Za-z0-9]+)/.exec(text);
    if (entry?.[1]) {
      const id = entry[1];
      const reason = comment.join(' ');
      acknowledged.push({
        id,
        reason: reason.startsWith(`${id}:`) ? reason.slice(id.length + 1).trim() : '',
      });
      comment = [];
    }
  }
  return acknowledged;
}

describe('cfn-lint on every synthesized template', () => {
  let directory: string;
  let templates: string[];
  let report: CfnLintReport;

  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'cfn-lint-'));
    // The app's stacks as `cdk synth` writes them.
    synthesizeApp(join(directory, 'app'));
    // The stack with every option bin/app.ts passes on, with its own topic, and pinned to an
    // environment (ARNs and Regions literal in the template).
    const variants = testApp({ outdir: join(directory, 'variants') });
    new RemediationStack(variants, 'EveryOption', {
      pagerEmails: ['oncall@example.com', 'lead@example.com'],
      chatTopicArn: CHAT_TOPIC,
      chatRoleArn: 'arn:aws:iam::123456789012:role/chat-channel',
      optInTagKey: 'Remediate',
      events: 'all',
    });
    new RemediationStack(variants, 'OwnTopic', { pagerTopicArn: OWN_TOPIC });
    new RemediationStack(variants, 'Pinned', { env: { account: '123456789012', region: 'eu-west-1' } });
    variants.synth();
    templates = ['app', 'variants'].flatMap((d) => templatesIn(join(directory, d)));
    report = cfnLint(templates);
  }, SLOW);

  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it("lints the template of every stack: the app's, and the stack with every option, its own topic, pinned", () => {
    expect(templates.map((file) => basename(file))).toEqual([
      'Ec2AutoRemediation.template.json',
      'EveryOption.template.json',
      'OwnTopic.template.json',
      'Pinned.template.json',
    ]);
  });

  it('reports no error', () => {
    expect(describeFindings(report.errors)).toEqual([]);
  });

  it('reports no warning that is not acknowledged in .cfnlintrc.yaml', () => {
    expect(describeFindings(report.warnings)).toEqual([]);
  });

  it('acknowledges only warnings, each with its reason', () => {
    // Act
    const acknowledged = acknowledgements();
    // Assess
    for (const { id, reason } of acknowledged) {
      expect(id, 'errors are fixed, never ignored').toMatch(/^[WI]\d{4}$/);
      expect(reason.length, `the reason for ${id}, written above it as "# ${id}: …"`).toBeGreaterThan(80);
    }
  });

  it(
    'acknowledges only warnings the templates still raise',
    () => {
      // Prepare: the same settings without the acknowledgements.
      const config = join(directory, 'no-acknowledgements.yaml');
      writeFileSync(config, readFileSync(CFN_LINT_CONFIG, 'utf8').split('\nignore_checks:')[0] ?? '');
      // Act
      const raised = new Set(cfnLint(templates, { config }).warnings.map((warning) => warning.rule));
      // Assess
      for (const { id } of acknowledgements())
        expect(raised, `${id} is acknowledged but not raised`).toContain(id);
    },
    SLOW,
  );

  it(
    'still catches an error and a warning, and leaves out what is acknowledged',
    () => {
      // Prepare: a wrong type (error), an unused parameter (warning), a redundant DependsOn (W3005).
      const file = join(directory, 'broken.template.json');
      const template = {
        Parameters: { Unused: { Type: 'String' } },
        Resources: {
          Queue: { Type: 'AWS::SQS::Queue', Properties: { DelaySeconds: 'soon' } },
          Other: {
            Type: 'AWS::SQS::Queue',
            DependsOn: ['Queue'],
            Properties: { QueueName: { 'Fn::GetAtt': ['Queue', 'QueueName'] } },
          },
        },
      };
      writeFileSync(file, JSON.stringify(template, null, 2));
      // Act
      const found = cfnLint(file);
      // Assess
      expect(found.errors.map((e) => `${e.rule} ${e.path}`)).toEqual([
        'E3012 Resources/Queue/Properties/DelaySeconds',
      ]);
      expect(found.warnings.map((w) => `${w.rule} ${w.path}`)).toEqual(['W2001 Parameters/Unused']);
    },
    SLOW,
  );

  it('fails, saying how to install it, when cfn-lint is missing', () => {
    expect(() => cfnLint(templates, { command: 'cfn-lint-that-is-not-installed' })).toThrow(
      /cfn-lint is not on PATH: install cfn-lint 1\.x with `pipx install cfn-lint`/,
    );
  });
});
