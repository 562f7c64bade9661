import type { Choice, ChooseContext, RunbookParameter } from '../../functions/core/runbook.ts';

/**
 * What the service-restarting runbooks (service-down, memory-leak) share: the unit they act on and
 * the exit codes of their scripts that another attempt cannot change. Their shell scripts stay
 * self-contained, since each becomes its own SSM document and must run by hand on its own.
 */

/** The unit to restart, from the `exe` dimension of the CloudWatch agent's procstat metrics. */
export const serviceParameter: RunbookParameter = {
  description:
    'The systemd unit to restart (nginx or nginx.service), from the exe dimension of the procstat metric.',
  // Starts with a letter or digit: never read as an option by systemctl or svc.
  allowedPattern: '^[A-Za-z0-9][A-Za-z0-9@._-]{0,63}$',
  // procstat labels its metrics with the selector it was configured with: exe, pattern or pid_file.
  // Only exe can name a unit.
  fromAlarm: { dimension: 'exe' },
};

/** Exit codes of the restart scripts that a retry cannot change: page at once instead of backing off. */
export const FINAL_EXIT_CODES: Readonly<Record<number, string>> = {
  2: 'the command refused its input (an invalid service name, or an SSM Agent too old for parameters as environment variables)',
  3: 'the restart limit is reached: automation restarted this service 3 times in the last hour',
  4: 'the instance has no such service, or it is masked',
};

/** A `choose` that repeats `action`, except after an exit that a retry cannot change. */
export function repeatUnlessFinal(action: string): (context: ChooseContext) => Choice {
  return ({ history }) => {
    const code = history.at(-1)?.exitCode;
    const final = code === undefined ? undefined : FINAL_EXIT_CODES[code];
    return final ? { escalate: `${final} (exit ${code})` } : { action };
  };
}
