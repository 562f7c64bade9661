import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/project-paths.ts';

/** The project's cfn-lint settings: Regions, and the warnings acknowledged, each with its reason. */
export const CFN_LINT_CONFIG = join(PROJECT_ROOT, '.cfnlintrc.yaml');

/** What a person reads when cfn-lint is not installed. */
export const CFN_LINT_INSTALL_HINT =
  'cfn-lint is not on PATH: install cfn-lint 1.x with `pipx install cfn-lint` (or `pip install cfn-lint`; ' +
  'Debian has no package of it) and check `cfn-lint --version`';

/** One finding of cfn-lint. */
export interface CfnLintFinding {
  /** The rule, e.g. `E3002` or `W3005`. */
  readonly rule: string;
  readonly message: string;
  /** The template the finding is in. */
  readonly file: string;
  /** Where in the template, e.g. `Resources/Queue/Properties/QueueName`. */
  readonly path: string;
}

/** cfn-lint's findings by level, after the project's acknowledgements. */
export interface CfnLintReport {
  readonly errors: readonly CfnLintFinding[];
  readonly warnings: readonly CfnLintFinding[];
}

/** Options of a cfn-lint run. */
export interface CfnLintOptions {
  /**
   * The cfn-lint executable.
   * @default 'cfn-lint' on PATH
   */
  readonly command?: string;
  /**
   * The settings file.
   * @default CFN_LINT_CONFIG
   */
  readonly config?: string;
}

interface JsonFinding {
  readonly Filename: string | null;
  readonly Level: 'Error' | 'Warning' | 'Informational';
  readonly Message: string;
  readonly Location: { readonly Path: ReadonlyArray<string | number> | null };
  readonly Rule: { readonly Id: string };
}

/**
 * Lints CloudFormation templates with cfn-lint and the project's settings (.cfnlintrc.yaml). Throws,
 * saying how to install it, when cfn-lint is missing; throws when cfn-lint itself fails.
 * One call for several templates is faster than one per template (cfn-lint takes seconds to start).
 */
export function cfnLint(
  templateFiles: string | readonly string[],
  options: CfnLintOptions = {},
): CfnLintReport {
  const files = [templateFiles].flat();
  if (files.length === 0) throw new Error('cfnLint: no template to lint');
  const command = options.command ?? 'cfn-lint';
  const run = spawnSync(
    command,
    [
      '--format',
      'json',
      '--non-zero-exit-code',
      'none',
      '--config-file',
      options.config ?? CFN_LINT_CONFIG,
      '--',
      ...files,
    ],
    { cwd: PROJECT_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if ((run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error(`${CFN_LINT_INSTALL_HINT} (tried to run "${command}")`);
  }
  if (run.error) throw new Error(`cfn-lint could not run: ${run.error.message}`, { cause: run.error });
  if (run.status !== 0) {
    throw new Error(
      `cfn-lint failed (exit ${run.status ?? run.signal}): ${run.stderr.trim() || run.stdout.trim()}`,
    );
  }
  const findings = (JSON.parse(run.stdout) as JsonFinding[]).map((finding) => ({
    level: finding.Level,
    rule: finding.Rule.Id,
    message: finding.Message,
    file: finding.Filename ?? '',
    path: (finding.Location.Path ?? []).join('/'),
  }));
  const at = (level: JsonFinding['Level']) =>
    findings.filter((f) => f.level === level).map(({ level: _, ...finding }) => finding);
  return { errors: at('Error'), warnings: at('Warning') };
}

/** One line per finding, for an assertion message: `W3005 Ec2AutoRemediation.template.json Resources/…: …`. */
export function describeFindings(findings: readonly CfnLintFinding[]): string[] {
  return findings.map((f) => `${f.rule} ${f.file.split('/').pop()} ${f.path}: ${f.message}`);
}

/** The template file of every stack in a cloud assembly (the folder `app.synth()` or `cdk synth` wrote). */
export function templatesIn(assemblyDirectory: string): string[] {
  const manifest = JSON.parse(readFileSync(join(assemblyDirectory, 'manifest.json'), 'utf8')) as {
    artifacts?: Record<string, { type: string; properties?: { templateFile?: string } }>;
  };
  return Object.values(manifest.artifacts ?? {})
    .filter((artifact) => artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile)
    .map((artifact) => join(assemblyDirectory, artifact.properties?.templateFile as string));
}
