import type { Choice, ChooseContext, RunbookParameter } from '../../functions/core/runbook.ts';

/**
 * What the service-restarting runbooks (service-down, memory-leak) share: the unit they act on and
 * the exit codes of their scripts that another attempt cannot change. Their shell scripts stay
 * self-contained, since each becomes its own SSM document and must run by hand on its own.
 */

/** The instance tag listing the services automation may restart there (`nginx:php-fpm`). */
export const SERVICES_TAG = 'AutoRemediation:services';

/**
 * systemd unit types other than services. `systemctl restart reboot.target` reboots, a mount
 * unmounts, a slice or scope stops every process in it: automation restarts services only.
 */
export const NON_SERVICE_UNIT_TYPES = [
  'socket',
  'device',
  'mount',
  'automount',
  'swap',
  'target',
  'path',
  'timer',
  'slice',
  'scope',
] as const;

/**
 * Services that the instance, or automation itself, cannot do without: restarting one stops the
 * machine or isolates it (emergency, rescue), drops its sessions, network or bus, or ends the SSM
 * Agent running the command. Refused even when the instance's tag lists them; a human restarts them.
 */
export const CRITICAL_SERVICES = [
  'init',
  'dbus',
  'emergency',
  'rescue',
  'reboot',
  'poweroff',
  'halt',
  'kexec',
  'shutdown',
  'network',
  'networking',
  'NetworkManager',
  'auditd',
  'polkit',
  'amazon-ssm-agent',
  'snap.amazon-ssm-agent.amazon-ssm-agent',
  'cloud-init',
  'cloud-init-local',
  'cloud-config',
  'cloud-final',
  'console-getty',
] as const;

/** Families of critical services, by prefix: systemd's own daemons (systemd-reboot too), the bus, logins and boot. */
export const CRITICAL_SERVICE_PREFIXES = [
  'systemd-',
  'dbus-',
  'user@',
  'user-runtime-dir@',
  'getty@',
  'serial-getty@',
  'container-getty@',
  'autovt@',
  'initrd-',
  'dracut-',
  'plymouth-',
] as const;

/**
 * Why a unit name is not one automation may restart, or undefined when it may: only services (a name
 * with no unit type, or ending in `.service`, as systemctl reads it), and none of the critical ones.
 * The restart scripts apply the same rule again, since they also run by hand.
 */
export function refuseSpecialUnit(unit: string): string | undefined {
  const type = NON_SERVICE_UNIT_TYPES.find((t) => unit.endsWith(`.${t}`));
  if (type) return `a systemd ${type} unit, not a service: automation restarts services only`;
  const name = unit.endsWith('.service') ? unit.slice(0, -'.service'.length) : unit;
  const critical =
    (CRITICAL_SERVICES as readonly string[]).includes(name) ||
    CRITICAL_SERVICE_PREFIXES.some((prefix) => name.startsWith(prefix));
  if (critical)
    return 'a service the instance or automation cannot do without (the system manager, bus, network, logins, boot or SSM Agent): restart it by hand if you must';
  return undefined;
}

/**
 * The unit to restart, from the `exe` dimension of the CloudWatch agent's procstat metrics, and only
 * if the instance lists it in its {@link SERVICES_TAG} tag and it is not a special or critical unit.
 */
export const serviceParameter: RunbookParameter = {
  description:
    `The systemd service to restart (nginx or nginx.service), from the exe dimension of the procstat metric; ` +
    `only one the instance lists in its ${SERVICES_TAG} tag, and never a special unit or a critical service.`,
  // Starts with a letter or digit: never read as an option by systemctl or journalctl.
  allowedPattern: '^[A-Za-z0-9][A-Za-z0-9@._-]{0,63}$',
  // procstat labels its metrics with the selector it was configured with: exe, pattern or pid_file.
  // Only exe can name a unit.
  fromAlarm: { dimension: 'exe' },
  // Whoever can create an alarm chooses its dimensions: the instance says what may be restarted.
  allowedByInstanceTag: SERVICES_TAG,
  refuse: refuseSpecialUnit,
};

/** Exit codes of the restart scripts that a retry cannot change: page at once instead of backing off. */
export const FINAL_EXIT_CODES: Readonly<Record<number, string>> = {
  2: 'the command refused its input (an invalid service name, a special unit or critical service, or an SSM Agent too old for parameters as environment variables)',
  3: 'the restart limit is reached: automation restarted this service 3 times in the last hour',
  4: 'the instance has no such service, or it is masked, or systemd does not manage its services',
};

/** A `choose` that repeats `action`, except after an exit that a retry cannot change. */
export function repeatUnlessFinal(action: string): (context: ChooseContext) => Choice {
  return ({ history }) => {
    const code = history.at(-1)?.exitCode;
    const final = code === undefined ? undefined : FINAL_EXIT_CODES[code];
    return final ? { escalate: `${final} (exit ${code})` } : { action };
  };
}
