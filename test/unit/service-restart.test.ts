import { describe, expect, it } from 'vitest';
import { refuseSpecialUnit } from '../../runbooks/shared/service-restart.ts';

describe('the unit rule of the restart runbooks', () => {
  it.each([
    'nginx',
    'nginx.service',
    'php8.1-fpm',
    'php8.1-fpm.service',
    'app@blue',
    'app@blue.service',
    'sshd',
    'postgresql-16',
    'my.target.app',
  ])('lets the service %s be restarted', (unit) => {
    expect(refuseSpecialUnit(unit)).toBeUndefined();
  });

  it.each([
    ['reboot.target', 'a systemd target unit, not a service'],
    ['multi-user.target', 'a systemd target unit'],
    ['init.scope', 'a systemd scope unit'],
    ['system.slice', 'a systemd slice unit'],
    ['var-data.mount', 'a systemd mount unit'],
    ['proc-sys-fs-binfmt_misc.automount', 'a systemd automount unit'],
    ['swapfile.swap', 'a systemd swap unit'],
    ['dbus.socket', 'a systemd socket unit'],
    ['dev-xvda.device', 'a systemd device unit'],
    ['cups.path', 'a systemd path unit'],
    ['logrotate.timer', 'a systemd timer unit'],
  ])('refuses %s: %s', (unit, reason) => {
    expect(refuseSpecialUnit(unit)).toContain(reason);
  });

  it.each([
    'systemd-reboot',
    'systemd-poweroff.service',
    'systemd-journald',
    'systemd-logind.service',
    'dbus',
    'dbus-broker.service',
    'init',
    'emergency',
    'rescue.service',
    'reboot',
    'networking',
    'NetworkManager.service',
    'amazon-ssm-agent',
    'snap.amazon-ssm-agent.amazon-ssm-agent.service',
    'user@1000.service',
    'getty@tty1',
    'serial-getty@ttyS0.service',
    'cloud-init',
  ])('refuses the critical service %s', (unit) => {
    expect(refuseSpecialUnit(unit)).toContain('a service the instance or automation cannot do without');
  });
});
