/**
 * A runbook: the policy that says which alarms it answers, what it runs on the instance and how
 * hard it tries. The script itself lives beside the definition as a plain `.sh` file; the stack
 * turns it into one SSM Command document per runbook, and the Lambda bundle carries only this policy.
 */
export interface Runbook {
  /** Unique, lower-case kebab-case, at most 40 characters: it names the SSM document and the incident. */
  readonly name: string;
  /** One sentence for humans: what the runbook fixes. */
  readonly description: string;
  /** Team or person that owns the runbook; shown in escalations. */
  readonly owner: string;
  /** Which alarms this runbook answers. At least one matcher is required. */
  readonly match: RunbookMatch;
  /** The remediation script, a file name relative to the runbook's folder (run with bash). */
  readonly remediate: string;
  /** Attempts before a human is paged, 1 to 10. */
  readonly maxAttempts: number;
  /** Exponential backoff with full jitter between attempts. */
  readonly backoff: BackoffPolicy;
  /** How long the same alarm has to return to OK after a successful command, in seconds. */
  readonly verifyWindowSeconds: number;
  /** SSM `executionTimeout` for the script, in seconds (30 to 3,600). */
  readonly executionTimeoutSeconds: number;
  /** SSM `TimeoutSeconds`: how long the command may wait to be delivered to the agent (30 to 3,600). */
  readonly deliveryTimeoutSeconds: number;
  /** What a human should look at when the runbook could not fix it; travels with every escalation. */
  readonly notes?: string;
  /** A link for humans (wiki page, dashboard). */
  readonly link?: string;
}

/** Alarm matchers; an alarm is answered when any one of them matches. */
export interface RunbookMatch {
  /** Alarm names, exact or with `*` as a wildcard (`disk-full-*`, `*-root-volume`). */
  readonly alarmNames?: readonly string[];
  /** Metrics the alarm watches, by namespace and metric name (for example `CWAgent` / `disk_used_percent`). */
  readonly metrics?: readonly MetricMatch[];
}

/** A metric by namespace and name. */
export interface MetricMatch {
  readonly namespace: string;
  readonly metricName: string;
}

/** Exponential backoff with full jitter: the n-th wait is uniform in [0, min(cap, base * 2^(n-1))]. */
export interface BackoffPolicy {
  readonly baseSeconds: number;
  readonly capSeconds: number;
}

const NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** A runbook definition that failed validation; the message names the runbook, the field and the fix. */
export class RunbookDefinitionError extends Error {
  override readonly name = 'RunbookDefinitionError';
}

/**
 * Declares a runbook and validates it at load time, so a mistake fails the build and the tests, not
 * a remediation at 3 a.m.
 */
export function defineRunbook(runbook: Runbook): Runbook {
  const problems = validateRunbook(runbook);
  if (problems.length > 0) {
    throw new RunbookDefinitionError(`runbook "${runbook.name}" is invalid:\n  - ${problems.join('\n  - ')}`);
  }
  return Object.freeze(runbook);
}

function validateRunbook(r: Runbook): string[] {
  const problems: string[] = [];
  const range = (field: string, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${field} is ${value}: use a whole number from ${min} to ${max}`);
    }
  };
  if (!NAME.test(r.name) || r.name.length > 40) {
    problems.push('name: use lower-case kebab-case, at most 40 characters (for example "disk-full")');
  }
  if (!r.description?.trim()) problems.push('description: say in one sentence what the runbook fixes');
  if (!r.owner?.trim()) problems.push('owner: name the team that answers for this runbook');
  const matchers = (r.match.alarmNames?.length ?? 0) + (r.match.metrics?.length ?? 0);
  if (matchers === 0) problems.push('match: give at least one alarm name pattern or metric');
  for (const pattern of r.match.alarmNames ?? []) {
    if (pattern.trim() === '' || /^\*+$/.test(pattern)) {
      problems.push(
        `match.alarmNames: "${pattern}" would answer every alarm; name the alarms this runbook fixes`,
      );
    }
  }
  if (!/^[\w.-]+\.sh$/.test(r.remediate)) {
    problems.push(`remediate: "${r.remediate}" must be a .sh file name in the runbook's folder`);
  }
  range('maxAttempts', r.maxAttempts, 1, 10);
  range('backoff.baseSeconds', r.backoff.baseSeconds, 1, 3600);
  range('backoff.capSeconds', r.backoff.capSeconds, r.backoff.baseSeconds, 86_400);
  range('verifyWindowSeconds', r.verifyWindowSeconds, 60, 86_400);
  range('executionTimeoutSeconds', r.executionTimeoutSeconds, 30, 3600);
  range('deliveryTimeoutSeconds', r.deliveryTimeoutSeconds, 30, 3600);
  return problems;
}
