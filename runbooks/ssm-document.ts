import { PROBE_MARKER } from '../functions/core/probe.ts';
import { DIAGNOSE_ACTION, type Runbook } from '../functions/core/runbook.ts';

/** The only value the system itself passes as text: a number of seconds. */
export const EXECUTION_TIMEOUT_PATTERN = '^[1-9][0-9]{0,3}$';
/** Ends each embedded script; a script may not contain it on a line of its own. */
export const SCRIPT_END = 'RUNBOOK_SCRIPT_END';

/** A string parameter that SSM checks against `allowedPattern` and hands to the script as `SSM_<name>`. */
export interface DocumentParameter {
  readonly type: 'String';
  readonly description: string;
  readonly allowedPattern: string;
  readonly default?: string;
  readonly interpolationType?: 'ENV_VAR';
}

/** The content of a runbook's SSM Command document (schema 2.2). */
export interface RunbookDocumentContent {
  readonly schemaVersion: '2.2';
  readonly description: string;
  readonly parameters: Readonly<Record<string, DocumentParameter>> & {
    readonly action: DocumentParameter;
    readonly executionTimeout: DocumentParameter;
  };
  readonly mainSteps: readonly [
    {
      readonly action: 'aws:runShellScript';
      readonly name: string;
      readonly precondition: { readonly StringEquals: readonly ['platformType', 'Linux'] };
      readonly inputs: { readonly runCommand: readonly string[]; readonly timeoutSeconds: string };
    },
  ];
}

/**
 * The SSM Command document of a runbook: one `aws:runShellScript` step that runs the chosen action's
 * script, byte for byte as the author wrote it, with bash. Every value reaches the script as an
 * environment variable (`interpolationType: ENV_VAR`, SSM Agent 3.3.2746.0 or later) after SSM has
 * checked it against its `allowedPattern`; no value is ever substituted into script text.
 *
 * @param scripts the text of each script file the runbook uses, by file name
 */
export function runbookDocumentContent(
  runbook: Runbook,
  scripts: Readonly<Record<string, string>>,
): RunbookDocumentContent {
  const actions = [
    ...(runbook.diagnose ? [{ name: DIAGNOSE_ACTION, script: runbook.diagnose }] : []),
    ...runbook.actions,
  ];
  const parameters: Record<string, DocumentParameter> = {
    action: {
      type: 'String',
      description: 'The runbook action to run.',
      allowedPattern: `^(${actions.map((a) => a.name).join('|')})$`,
      default: runbook.actions[0]?.name as string,
      interpolationType: 'ENV_VAR',
    },
    executionTimeout: {
      type: 'String',
      description: 'Seconds the script may run before SSM stops it.',
      allowedPattern: EXECUTION_TIMEOUT_PATTERN,
      default: String(runbook.executionTimeoutSeconds),
    },
  };
  for (const [name, spec] of Object.entries(runbook.parameters)) {
    parameters[name] = {
      type: 'String',
      description: spec.description,
      allowedPattern: spec.allowedPattern,
      ...(spec.default === undefined ? {} : { default: spec.default }),
      interpolationType: 'ENV_VAR',
    };
  }
  const runCommand = [
    '#!/bin/bash',
    `# Runbook ${runbook.name}: runs the action named by SSM_action; generated from runbooks/${runbook.name}/.`,
    'set -u',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash parameter expansion, not a template
    'if [ -z "${SSM_action+x}" ]; then',
    '  echo "this runbook needs SSM Agent 3.3.2746.0 or later (parameters as environment variables)" >&2',
    '  exit 2',
    'fi',
    '# Memory-backed /run first: a root volume out of space or inodes must not stop the remedy.',
    'runbook_dir=$(mktemp -d -p /run 2>/dev/null || mktemp -d)',
    'trap \'rm -rf "$runbook_dir"\' EXIT',
    'case "$SSM_action" in',
    ...actions.flatMap((action) => [
      `  ${action.name})`,
      `    cat > "$runbook_dir/action.sh" <<'${SCRIPT_END}'`,
      ...scriptLines(runbook, action.script, scripts[action.script]),
      SCRIPT_END,
      '    ;;',
    ]),
    '  *)',
    '    echo "unknown action: $SSM_action" >&2',
    '    exit 2',
    '    ;;',
    'esac',
    ...(runbook.verify ? verifyLines(runbook, runbook.verify, scripts) : ['bash "$runbook_dir/action.sh"']),
  ];
  return {
    schemaVersion: '2.2',
    description: `${runbook.description} (runbook ${runbook.name}, owner ${runbook.owner})`,
    parameters: parameters as RunbookDocumentContent['parameters'],
    mainSteps: [
      {
        action: 'aws:runShellScript',
        name: 'runbook',
        precondition: { StringEquals: ['platformType', 'Linux'] },
        inputs: { runCommand, timeoutSeconds: '{{ executionTimeout }}' },
      },
    ],
  };
}

/**
 * Runs the action, then, when it was a remedy that succeeded, the runbook's probe: after its settle
 * time and within its own timeout, read-only. The probe's last line (the alarm's metric) is reported
 * on the output's last line, `RUNBOOK_PROBE reading=<number>` or `RUNBOOK_PROBE unreadable=<why>`,
 * for the decider to judge against the alarm's condition. The command's exit code stays the action's.
 */
function verifyLines(
  runbook: Runbook,
  verify: NonNullable<Runbook['verify']>,
  scripts: Readonly<Record<string, string>>,
): string[] {
  return [
    `cat > "$runbook_dir/probe.sh" <<'${SCRIPT_END}'`,
    ...scriptLines(runbook, verify.probe, scripts[verify.probe]),
    SCRIPT_END,
    'bash "$runbook_dir/action.sh"',
    'action_status=$?',
    `if [ "$action_status" -ne 0 ] || [ "$SSM_action" = ${DIAGNOSE_ACTION} ]; then exit "$action_status"; fi`,
    ...(verify.settleSeconds > 0 ? [`sleep ${verify.settleSeconds}`] : []),
    `probe_output=$(timeout -k 2 ${verify.timeoutSeconds} bash "$runbook_dir/probe.sh" 2>"$runbook_dir/probe.err")`,
    'probe_status=$?',
    String.raw`printf 'probe: %s\n' "$(printf '%s' "$probe_output" | tail -n 3 | tr '\n' ' ')"`,
    String.raw`probe_value=$(printf '%s\n' "$probe_output" | awk 'NF { last = $0 } END { gsub(/^[ \t]+|[ \t]+$/, "", last); print last }')`,
    `if [ "$probe_status" -eq 124 ] || [ "$probe_status" -eq 137 ]; then`,
    `  echo "${PROBE_MARKER} unreadable=the probe ran out of its ${verify.timeoutSeconds}s"`,
    'elif [ "$probe_status" -ne 0 ]; then',
    `  echo "${PROBE_MARKER} unreadable=the probe exited $probe_status: $(tail -n 1 "$runbook_dir/probe.err" | tr -cd '[:print:]' | cut -c1-200)"`,
    'elif [[ "$probe_value" =~ ^-?[0-9]+([.][0-9]+)?$ ]]; then',
    `  echo "${PROBE_MARKER} reading=$probe_value"`,
    'else',
    `  echo "${PROBE_MARKER} unreadable=its last line is not a number: $(printf '%s' "$probe_value" | tr -cd '[:print:]' | cut -c1-80)"`,
    'fi',
    'exit "$action_status"',
  ];
}

function scriptLines(runbook: Runbook, file: string, text: string | undefined): string[] {
  if (text === undefined) throw new Error(`runbook "${runbook.name}": script ${file} was not provided`);
  const lines = text.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');
  if (lines.every((line) => line.trim() === '')) {
    throw new Error(`runbook "${runbook.name}": script ${file} is empty; write the remediation in it`);
  }
  const templated = lines.findIndex((line) => line.includes('{{'));
  if (templated >= 0) {
    throw new Error(
      `runbook "${runbook.name}": line ${templated + 1} of ${file} contains "{{", which SSM reads as ` +
        `a document parameter; build that text in bash instead (for example open='{'; echo "$open$open")`,
    );
  }
  if (lines.includes(SCRIPT_END)) {
    throw new Error(
      `runbook "${runbook.name}": ${file} has a line "${SCRIPT_END}", which ends an embedded script`,
    );
  }
  return lines;
}
