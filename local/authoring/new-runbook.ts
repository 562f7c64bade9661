import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { closest } from '../../functions/core/edit-distance.ts';
import { DEFAULT_AUTO_DISABLE, DEFAULT_BREAKER, DEFAULT_CONCURRENCY } from '../../functions/core/runbook.ts';
import { PROJECT_ROOT } from '../../lib/project-paths.ts';
import { discoverRunbookFolders, RUNBOOKS_DIR, writeIndex } from '../../runbooks/discover.ts';

/** What `npx remediate runbooks new <name> [--from <runbook>]` asks for. */
export interface NewRunbookOptions {
  /** The new runbook's name, which is also its folder: lower-case kebab-case, at most 40 characters. */
  readonly name: string;
  /**
   * A runbook to copy instead of the scaffold: a folder of `directory`, or else of this repository's
   * runbooks/ (the bundled runbooks are examples to start from).
   */
  readonly from?: string;
  /** The folder that holds one folder per runbook. @default RUNBOOKS_DIR (this repository's runbooks/) */
  readonly directory?: string;
  /**
   * Rewrite the registry, runbooks/index.ts, so that the stack and the functions include the new
   * runbook. Only this repository's runbooks/ has a registry: elsewhere it is never written.
   * @default true when `directory` is this repository's runbooks/
   */
  readonly register?: boolean;
}

/** The runbook made: its folder, every file written, and the commands to run next. */
export interface NewRunbook {
  readonly folder: string;
  /** Absolute paths: the runbook's files, then runbooks/index.ts when it was rewritten. */
  readonly files: string[];
  /** Shell commands, each with a short `# comment`: edit, validate, prove (and play a game day). */
  readonly next: string[];
}

/** The rule `defineRunbook` applies to a name. */
const KEBAB = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const MAX_NAME_LENGTH = 40;

/** The scaffold's example parameter, its pattern and the value its proof uses. */
const PARAMETER = 'target';
const PARAMETER_PATTERN = '^[a-z0-9][a-z0-9._-]{0,63}$';
const PROOF_VALUE = 'example';

/** The file runbook definitions import `defineRunbook` from. */
const RUNBOOK_MODULE = join(PROJECT_ROOT, 'functions', 'core', 'runbook.ts');

/**
 * Makes a runbook folder: the scaffold (every field of a definition, set or commented out with what it
 * does, and four scripts that are a working example) or a copy of an existing runbook under the new
 * name. Never overwrites anything: an existing folder is refused, and a folder left half-written by a
 * failure is removed. Every refusal is one line that says what to do.
 */
export function newRunbook(options: NewRunbookOptions): NewRunbook | { error: string } {
  const { name } = options;
  const nameProblem = runbookNameProblem(name);
  if (nameProblem) return { error: nameProblem };
  const directory = resolve(options.directory ?? RUNBOOKS_DIR);
  const target = join(directory, name);
  if (existsSync(target))
    return {
      error: `${shown(target)} already exists: choose another name, or edit that runbook (a new runbook never overwrites a folder)`,
    };
  let source: string | undefined;
  if (options.from !== undefined) {
    const found = findSource(options.from, directory);
    if ('error' in found) return found;
    source = found.folder;
  }
  try {
    mkdirSync(directory, { recursive: true });
  } catch (error) {
    return { error: `cannot create ${shown(directory)}: ${reason(error)}` };
  }
  const isDefault = sameDirectory(directory, RUNBOOKS_DIR);
  const register = (options.register ?? isDefault) && isDefault;
  // Everything is prepared in memory first: a source that cannot be renamed leaves nothing behind.
  const folderPath = join(realpathSync(directory), name);
  const planned = source
    ? copiedFiles(source, folderPath, options.from as string, name)
    : scaffoldFiles(name, folderPath);
  if ('error' in planned) return planned;
  try {
    // Not recursive: if the folder appeared meanwhile, this fails instead of writing into it.
    mkdirSync(target);
  } catch (error) {
    return { error: `cannot create ${shown(target)}: ${reason(error)}` };
  }
  const files: string[] = [];
  try {
    for (const file of planned.files) {
      const path = join(target, file.path);
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, file.content, { flag: 'wx' });
      // Explicitly, whatever the umask: validate and the sandbox need the scripts executable.
      chmodSync(path, file.mode);
      files.push(path);
    }
  } catch (error) {
    rmSync(target, { recursive: true, force: true });
    return { error: `cannot write ${shown(target)}: ${reason(error)}; nothing was kept` };
  }
  if (register) {
    try {
      writeIndex();
      files.push(join(RUNBOOKS_DIR, 'index.ts'));
    } catch (error) {
      return {
        error: `${shown(target)} was made, but runbooks/index.ts could not be rewritten (${reason(error)}): run npx remediate runbooks index`,
      };
    }
  }
  return {
    folder: target,
    files,
    next: nextCommands({ name, folder: target, isDefault, registered: register, from: options.from }),
  };
}

/** Why a name cannot be a runbook's, with a corrected one when there is one; undefined when it can. */
export function runbookNameProblem(name: string): string | undefined {
  if (typeof name === 'string' && KEBAB.test(name) && name.length <= MAX_NAME_LENGTH) return undefined;
  const suggestion = typeof name === 'string' ? suggestRunbookName(name) : '';
  return (
    `${JSON.stringify(name)} is not a runbook name: use lower-case kebab-case (letters a-z and digits, ` +
    `words joined by single hyphens), at most ${MAX_NAME_LENGTH} characters` +
    (suggestion && suggestion !== name ? `; for example "${suggestion}"` : '')
  );
}

/**
 * The nearest valid name: `App_Unhealthy` and `AppUnhealthy` give `app-unhealthy`; a long one is cut
 * after its last whole word that fits. '' when there is none.
 */
export function suggestRunbookName(name: string): string {
  const kebab = name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (kebab.length <= MAX_NAME_LENGTH) return kebab;
  const fits = kebab.slice(0, MAX_NAME_LENGTH + 1);
  const cut = fits.lastIndexOf('-');
  return cut > 0 ? fits.slice(0, cut) : fits.slice(0, MAX_NAME_LENGTH);
}

/**
 * The import specifier of functions/core/runbook.ts from a runbook folder: relative, so that the
 * definition loads wherever the project is checked out (`../../functions/core/runbook.ts` from a
 * folder of this repository's runbooks/).
 */
export function runbookModuleSpecifier(folder: string): string {
  return specifier(relative(folder, realOrSelf(RUNBOOK_MODULE)));
}

interface PlannedFile {
  /** Relative to the runbook's folder, with `/`. */
  readonly path: string;
  /** Text, or the bytes of a file copied as it is. */
  readonly content: string | Buffer;
  readonly mode: number;
}

/** The runbook folder `from` names: in `directory`, else in this repository's runbooks/. */
function findSource(from: string, directory: string): { folder: string } | { error: string } {
  const places = [...new Set([directory, RUNBOOKS_DIR].map((place) => resolve(place)))];
  const names = new Set<string>();
  for (const place of places) {
    const folders = existsSync(place) ? discoverRunbookFolders(place) : [];
    // Only a name listed here is ever joined to a path: `--from ../x` names no folder.
    if (folders.includes(from)) return { folder: join(place, from) };
    for (const folder of folders) names.add(folder);
  }
  const known = [...names].sort();
  const near = closest(from, known);
  return {
    error:
      `no runbook named ${JSON.stringify(from)} to copy` +
      (near ? `; did you mean ${near}?` : '') +
      (known.length > 0 ? ` (there are: ${known.join(', ')})` : ''),
  };
}

/**
 * The source folder's files for the new runbook: its name in place of the old one (the `name` field,
 * its alarm name patterns, the scripts' messages), imports that still resolve from the new folder,
 * and approve mode unless the source is more cautious.
 */
function copiedFiles(
  source: string,
  folder: string,
  from: string,
  name: string,
): { files: PlannedFile[] } | { error: string } {
  const realSource = realpathSync(source);
  const files: PlannedFile[] = [];
  for (const path of listFiles(realSource)) {
    const full = join(realSource, path);
    const mode = statSync(full).mode & 0o777;
    const bytes = readFileSync(full);
    if (!/\.(ts|sh|md|txt)$/.test(path)) {
      files.push({ path, content: bytes, mode });
      continue;
    }
    let text = bytes.toString('utf8');
    if (path.endsWith('.ts'))
      text = rewriteImports(text, join(realSource, path, '..'), join(folder, path, '..'));
    if (path === 'runbook.ts') {
      const named = new RegExp(`^([ \\t]*)name:[ \\t]*(['"])${from}\\2,?[^\\n]*$`, 'm');
      const line = named.exec(text);
      if (!line)
        return {
          error: `cannot find name: '${from}' in ${shown(join(source, 'runbook.ts'))} to rename it: copy the folder by hand`,
        };
      text = approveMode(text, line);
    }
    files.push({ path, content: renamed(text, from, name), mode });
  }
  if (!files.some((file) => file.path === 'runbook.ts'))
    return { error: `${shown(source)} has no runbook.ts to copy` };
  return { files };
}

/**
 * A copy is a new runbook, unproven in production whatever its source proved: it waits for a person's
 * approval of each run (see the scaffold's comment on `mode`), unless its source is in dry-run.
 */
function approveMode(text: string, nameLine: RegExpExecArray): string {
  const indent = nameLine[1] as string;
  const mode = /^([ \t]*)mode:[ \t]*(['"])(enforce|approve|dry-run)\2/m.exec(text);
  const why = `${indent}// A copy is new and unproven in production: each run waits for a person's approval. Switch to\n${indent}// 'enforce' when the weekly review (npx remediate report) suggests it.\n`;
  if (!mode) {
    const end = nameLine.index + nameLine[0].length;
    return `${text.slice(0, end)}\n${why}${indent}mode: 'approve',${text.slice(end)}`;
  }
  if (mode[3] !== 'enforce') return text;
  const start = mode.index;
  return `${text.slice(0, start)}${why}${mode[1]}mode: ${mode[2]}approve${mode[2]}${text.slice(start + mode[0].length)}`;
}

/** The old runbook name, as a whole word, replaced by the new one (`service-down-*`, `RUNBOOK=service-down`). */
function renamed(text: string, from: string, name: string): string {
  if (from === name) return text;
  return text.replace(new RegExp(`(?<![A-Za-z0-9_-])${from}(?![A-Za-z0-9_])`, 'g'), name);
}

/** Relative imports that leave the folder, made to resolve from the new one. */
function rewriteImports(text: string, fromDir: string, toDir: string): string {
  return text.replace(
    /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.\.?\/[^'"\n]*)\2/g,
    (whole, lead: string, quote: string, spec: string) => {
      const target = resolve(fromDir, spec);
      if (target === fromDir || target.startsWith(`${fromDir}${sep}`)) return whole; // copied along
      return `${lead}${quote}${specifier(relative(toDir, target))}${quote}`;
    },
  );
}

/** Every regular file under a folder, relative, sorted; links and special files are not copied. */
function listFiles(root: string, under = ''): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(join(root, under), { withFileTypes: true })) {
    const path = under ? `${under}/${entry.name}` : entry.name;
    if (entry.isDirectory()) found.push(...listFiles(root, path));
    else if (entry.isFile()) found.push(path); // a Dirent of a link is not a file
  }
  return found.sort();
}

function specifier(path: string): string {
  const posix = path.split(sep).join('/');
  return posix.startsWith('.') ? posix : `./${posix}`;
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function sameDirectory(a: string, b: string): boolean {
  return realOrSelf(resolve(a)) === realOrSelf(resolve(b));
}

/** A path as the author would type it: relative to the working directory when under it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** A word for the shell: as it is when safe, else in single quotes. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The commands to run next, each with what it is for. */
function nextCommands(p: {
  name: string;
  folder: string;
  isDefault: boolean;
  registered: boolean;
  from: string | undefined;
}): string[] {
  const folder = shellWord(shown(p.folder));
  const dir = p.isDefault ? '' : ` --runbooks-dir ${shellWord(shown(join(p.folder, '..')))}`;
  const edit = p.from
    ? `make match answer only its own alarms (the copy still matches what ${p.from} matches), then adapt the scripts`
    : 'replace the TODOs and the example in the scripts';
  return [
    ...(p.isDefault && !p.registered
      ? ['npx remediate runbooks index  # register it in runbooks/index.ts']
      : []),
    `$EDITOR ${folder}/runbook.ts ${folder}/*.sh  # ${edit}`,
    `npx remediate runbooks validate${dir}  # the definition, the files, the generated document`,
    `npx remediate runbooks test ${p.name}${dir}  # the proof, in a sandbox: fault, probe, remediate, probe`,
    ...(p.isDefault
      ? [
          `npx remediate gameday --runbook ${p.name}  # once its alarm is declared: a local fleet, its alarm, the fix`,
        ]
      : []),
  ];
}

/** The scaffold: the policy with every field, and four scripts that work as they are. */
function scaffoldFiles(name: string, folder: string): { files: PlannedFile[] } {
  return {
    files: [
      { path: 'runbook.ts', content: scaffoldDefinition(name, runbookModuleSpecifier(folder)), mode: 0o644 },
      { path: 'diagnose.sh', content: diagnoseScript(name), mode: 0o755 },
      { path: 'remediate.sh', content: remediateScript(name), mode: 0o755 },
      { path: 'fault.sh', content: faultScript(name), mode: 0o755 },
      { path: 'probe.sh', content: probeScript(name), mode: 0o755 },
    ],
  };
}

function scaffoldDefinition(name: string, moduleSpecifier: string): string {
  const c = DEFAULT_CONCURRENCY;
  const b = DEFAULT_BREAKER;
  const a = DEFAULT_AUTO_DISABLE;
  return `import { defineRunbook } from '${moduleSpecifier}';

/**
 * TODO: what this runbook fixes, for the next person who reads it: the symptom, the alarm, what the
 * scripts do and what they never do.
 *
 * Every field of a runbook is below, set or commented out with what it does (docs/writing-a-runbook.md
 * explains each). As generated, the scripts are a working example: fault.sh leaves a marker file,
 * probe.sh prints 1 while it exists, remediate.sh removes it. \`runbooks validate\` and \`runbooks test\`
 * pass before you change anything; replace the example one script at a time, proving it again each time.
 */
export default defineRunbook({
  name: '${name}', // lower-case kebab-case, at most 40 characters, the same as the folder
  description: 'TODO: one sentence: what this runbook fixes.',
  owner: 'TODO-team', // the team that answers for it, shown on every page
  contact: 'TODO: how to reach the owner at 3 a.m. (a chat channel, a pager schedule)',
  // Which alarms it answers: a name (exact or with * wildcards) or a metric, and every tag listed.
  match: {
    alarmNames: ['${name}-*'],
    // metrics: [{ namespace: 'CWAgent', metricName: 'TODO_metric' }], // alarms on this metric
    // alarmTags: { team: 'web' }, // only alarms that carry these tags
  },
  // precedence: { over: ['other-runbook'], reason: 'why this one answers first when both could' },
  // The production alarm: the stack provisions it for the fleet, and the proof and the game day
  // evaluate it. Once you declare it, remove proof.alarm below: the proof is judged by this alarm.
  // alarm: {
  //   metric: { namespace: 'CWAgent', name: 'TODO_metric' }, // or query: 'SELECT MAX(…) FROM … GROUP BY InstanceId'
  //   groupBy: ['${PARAMETER}'], // one series per value, besides InstanceId: parameters.${PARAMETER} reads it
  //   periodSeconds: 60, // 10, 20, 30 (per-instance alarms only) or a multiple of 60
  //   comparison: 'GreaterThanOrEqualToThreshold',
  //   threshold: 1,
  //   evaluationPeriods: 3, // N: the periods evaluated
  //   datapointsToAlarm: 2, // M of the N must breach (default N)
  //   treatMissingData: 'missing', // 'breaching' when no data means it is down
  // },
  diagnose: 'diagnose.sh', // read-only evidence, gathered before the first remediation
  remediate: 'remediate.sh', // the remediation: what you would type at 3 a.m., as a script
  // actions: [ // instead of remediate: a ladder, one rung per attempt, the last repeats
  //   { name: 'graceful-restart', script: 'graceful-restart.sh' },
  //   { name: 'hard-restart', script: 'hard-restart.sh' },
  // ],
  // Pure, no I/O: picks each attempt's action from the alarm and the attempts so far (else the ladder).
  // choose: ({ attempt }) => ({ action: attempt === 1 ? 'graceful-restart' : 'hard-restart' }),
  // Each value reaches the scripts as the environment variable SSM_<name>, never as script text.
  parameters: {
    ${PARAMETER}: {
      description: 'TODO: what the remediation acts on (a service name, say).',
      allowedPattern: '${PARAMETER_PATTERN}', // anchored; a letter or digit first: never an option
      fromAlarm: { dimension: '${PARAMETER}' }, // or { tag: '${PARAMETER}' }: where the value comes from
      // default: '${PROOF_VALUE}', // the value when the alarm gives none
      // allowedValues: ['web', 'api'], // the only values allowed
      // allowedByInstanceTag: 'AutoRemediation:${PARAMETER}s', // only what the instance lists in this tag
      // list: true, // a ':'-separated list, each item checked
      // refuse: (value) => (value === 'sshd' ? 'never sshd' : undefined), // a check of your own
    },
  },
  // The settings below decide the time to a human: at worst, every attempt failing the slowest way,
  // the page comes 10m 30s after the alarm (npx remediate runbooks list), within the default budget of
  // 15 minutes; settings whose worst case exceeds the budget are refused.
  maxAttempts: 1, // attempts before a human is paged, 1 to 10; each costs a command and a verify window
  backoff: { baseSeconds: 15, capSeconds: 60 }, // exponential, with full jitter, between attempts
  verifyWindowSeconds: 240, // the alarm must return to OK within this: its N periods, and a minute
  // verify: { settleSeconds: 5 }, // probe.sh checks each remedy at once, this long after it (default 0)
  executionTimeoutSeconds: 60, // the script (and the probe after it) is stopped after this (30 to 3600)
  deliveryTimeoutSeconds: 30, // how long the command may wait for the SSM Agent (30 to 3600)
  // pageWithin: { seconds: 1200, reason: 'why a human may wait longer' }, // the budget (900 s), raised
  cooldownSeconds: 1800, // the same alarm this soon after a fix is paged as flapping, not run again
  // Fleet-wide: commands at once, commands per hour, how long an incident may wait for a slot.
  concurrency: { maxInFlight: ${c.maxInFlight}, maxPerHour: ${c.maxPerHour}, maxWaitSeconds: ${c.maxWaitSeconds} },
  // Too many instances alarming at once is a shared cause: stop, page once (false: off).
  breaker: {
    maxInstances: ${b.maxInstances},
    maxPercent: ${b.maxPercent},
    windowSeconds: ${b.windowSeconds},
    quietSeconds: ${b.quietSeconds},
  },
  // Switch to dry-run, and page, when too few of the last runs were verified (false: off).
  autoDisable: { lastRuns: ${a.lastRuns}, minSuccessRate: ${a.minSuccessRate} },
  // New and unproven in production, so it acts only when a person approves each run: the page is a
  // proposal (the exact action, parameters and instance), and each approved run is verified or not,
  // the evidence on which the weekly review (npx remediate report) suggests 'enforce'. 'dry-run' runs
  // nothing, so never shows whether the scripts fix anything; 'enforce' acts unattended.
  mode: 'approve',
  // approveWithinSeconds: 1800, // how long a proposal waits for an answer before it expires and pages
  notes: 'TODO: what a human should look at when this runbook could not fix it (logs, dashboards, causes).',
  // link: 'https://wiki.example.com/runbooks/${name}', // a page for humans
  // The proof, in a sandboxed instance (npx remediate runbooks test ${name}): fault.sh breaks it as the
  // alarm describes, probe.sh measures, the runbook runs as SSM would run it, probe.sh measures again.
  proof: {
    fault: 'fault.sh',
    probe: 'probe.sh',
    alarm: { comparison: 'GreaterThanOrEqualToThreshold', threshold: 1 }, // until alarm is declared
    // sandboxThreshold: { value: 1, reason: 'why the sandbox cannot reach it' }, // with alarm only
    parameters: { ${PARAMETER}: '${PROOF_VALUE}' }, // what the alarm would supply
    // instanceTags: { 'AutoRemediation:${PARAMETER}s': '${PROOF_VALUE}' }, // the allow-lists the parameters need
    // alarmValues: { dimensions: { ${PARAMETER}: '${PROOF_VALUE}' } }, // what choose sees of the alarm
    timeoutSeconds: 120, // the whole proof's budget in the sandbox (default 300)
  },
});
`;
}

/** The value check every script that reads the parameter starts with. */
function parameterCheck(): string {
  return `${PARAMETER}=\${SSM_${PARAMETER}:-}
# The parameter's allowedPattern again: a letter or digit first (never read as an option), then only
# letters, digits, '.', '_' and '-'. Always quote the value, and put -- before it in a command.
if [[ ! $${PARAMETER} =~ ${PARAMETER_PATTERN} ]]; then
  printf '%s: invalid ${PARAMETER} %q: set SSM_${PARAMETER} to a name such as ${PROOF_VALUE}\\n' "$RUNBOOK" "$${PARAMETER}" >&2
  exit 2
fi`;
}

function remediateScript(name: string): string {
  return `#!/usr/bin/env bash
# ${name}: the remediation, as you would run it by hand at 3 a.m. It runs as root with bash, from a
# file SSM writes on the instance; exit non-zero when it did not fix the problem. The last lines of its
# output travel into the page a human receives: say what you found and what you did.
#
# Parameter: SSM_${PARAMETER} (parameters.${PARAMETER} in runbook.ts), checked against its allowedPattern
# before the command is sent, and again below, since the script also runs by hand:
#   sudo SSM_${PARAMETER}=${PROOF_VALUE} bash remediate.sh
#
# TODO: replace the example (it removes the marker file fault.sh leaves) with your remediation, for
# example: systemctl restart -- "$${PARAMETER}". Keep the check of the value.
set -euo pipefail
export LC_ALL=C

readonly RUNBOOK=${name}
readonly STATE_DIR=/var/lib/${name} # the example's state: remove it with the example

${parameterCheck()}

marker=\${STATE_DIR}/\${${PARAMETER}}.broken
if [ ! -e "$marker" ]; then
  echo "\${RUNBOOK}: \${${PARAMETER}} looks healthy (no \${marker}); nothing done"
  exit 0
fi
rm -f -- "$marker"
echo "\${RUNBOOK}: fixed \${${PARAMETER}}: removed \${marker}"
`;
}

function diagnoseScript(name: string): string {
  return `#!/usr/bin/env bash
# ${name}: the diagnosis, read-only: the evidence a human would look at first, gathered before the
# first remediation; its output travels into the page. It must change nothing. Evidence that is
# missing is said, not a failure: a diagnosis that exits non-zero is reported as failed.
#
# TODO: replace the example with the commands you run first, for example:
#   systemctl status --no-pager -- "$${PARAMETER}"; journalctl -u "$${PARAMETER}" -n 50 --no-pager
#   curl -sS -o /dev/null -w '%{http_code}\\n' --max-time 5 http://127.0.0.1:8080/health
# By hand: sudo SSM_${PARAMETER}=${PROOF_VALUE} bash diagnose.sh
set -euo pipefail
export LC_ALL=C

readonly RUNBOOK=${name}
readonly STATE_DIR=/var/lib/${name} # the example's state: remove it with the example

${parameterCheck()}

marker=\${STATE_DIR}/\${${PARAMETER}}.broken
echo "== \${${PARAMETER}}"
if [ -e "$marker" ]; then
  state=broken
  ls -l -- "$marker"
else
  state=healthy
  echo "(no \${marker})"
fi
echo "== load and memory"
cat /proc/loadavg 2>/dev/null || echo "(no /proc/loadavg)"
grep -E '^(MemTotal|MemAvailable):' /proc/meminfo 2>/dev/null || echo "(no /proc/meminfo)"
echo "\${RUNBOOK}: \${${PARAMETER}} is \${state}"
`;
}

function faultScript(name: string): string {
  return `#!/usr/bin/env bash
# ${name} proof fault: breaks the sandbox the way the alarm describes. It runs only in a sandbox
# (npx remediate runbooks test, the game day), as root, with no SSM_ variables: the value the proof
# uses is written here, as proof.parameters.${PARAMETER} in runbook.ts gives it.
#
# TODO: replace the example (a marker file that probe.sh counts and remediate.sh removes) with the real
# fault: start what the runbook fixes, then break it as production breaks. A service of the sandbox is
# an executable /etc/sandbox/services/NAME, the unit NAME.service: \`systemctl start NAME\`.
set -euo pipefail

readonly STATE_DIR=/var/lib/${name}
readonly ${PARAMETER}=${PROOF_VALUE} # proof.parameters.${PARAMETER} in runbook.ts

mkdir -p -- "$STATE_DIR"
: >"\${STATE_DIR}/\${${PARAMETER}}.broken"
echo "fault: \${${PARAMETER}} is broken: \${STATE_DIR}/\${${PARAMETER}}.broken exists"
`;
}

function probeScript(name: string): string {
  return `#!/usr/bin/env bash
# ${name} probe: measures what the alarm measures, in the proof's sandbox and on the instance right
# after each remedy (in the same command: a reading that still breaches fails the attempt at once).
# The last line of its output is one number, judged by the alarm's condition (proof.alarm in
# runbook.ts, or the alarm once declared). Read-only and quick (20 s at most unless verify says
# otherwise). It exits 0 whatever it measures: a probe that fails is reported as a failure, not as a
# reading. On an instance the fault did not touch (the game day's healthy one), it must measure healthy.
#
# TODO: replace the example (1 while the marker file exists, else 0) with your measurement, for
# example 1 when the service answers 5xx or not at all:
#   code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://127.0.0.1:8080/health || true)
set -euo pipefail

readonly STATE_DIR=/var/lib/${name}
readonly ${PARAMETER}=${PROOF_VALUE} # proof.parameters.${PARAMETER} in runbook.ts

if [ -e "\${STATE_DIR}/\${${PARAMETER}}.broken" ]; then echo 1; else echo 0; fi
`;
}
