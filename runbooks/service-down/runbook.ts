import { defineRunbook } from '../../functions/core/runbook.ts';
import { repeatUnlessFinal, serviceParameter } from '../shared/service-restart.ts';

/**
 * A service is down (CloudWatch agent procstat finds no process): start it again, but never more
 * than three times an hour by automation, so that a crash loop reaches a human instead of a restart loop.
 */
export default defineRunbook({
  name: 'service-down',
  description:
    'Restarts a stopped or crashed service and checks that it stays up, at most 3 automated restarts per hour.',
  owner: 'platform-team',
  contact: '#platform-oncall (Slack), or page the "Platform" schedule',
  match: {
    alarmNames: ['service-down-*'],
    metrics: [{ namespace: 'CWAgent', metricName: 'procstat_lookup_pid_count' }],
  },
  // procstat's pid count per service (exe): no process, no datapoint, so missing data breaches.
  alarm: {
    metric: { namespace: 'CWAgent', name: 'procstat_lookup_pid_count' },
    groupBy: ['exe'],
    periodSeconds: 60,
    comparison: 'LessThanThreshold',
    threshold: 1,
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
    treatMissingData: 'breaching',
    seriesPerInstance: 3,
  },
  diagnose: 'diagnose.sh',
  actions: [{ name: 'restart', script: 'restart.sh' }],
  choose: repeatUnlessFinal('restart'),
  parameters: { service: serviceParameter },
  // One: a service that did not stay up after restart.sh's restart will not the second time, and the
  // probe says so at once. restart.sh still allows 3 automated restarts per hour across incidents.
  maxAttempts: 1,
  backoff: { baseSeconds: 30, capSeconds: 120 },
  // The alarm's two one-minute periods, and a minute for procstat's datapoint to arrive.
  verifyWindowSeconds: 180,
  // 15 s for systemd's own restart, the lock 30 s, the restart 120 s, 20 s to come up and stay, the probe.
  executionTimeoutSeconds: 210,
  deliveryTimeoutSeconds: 30, // SSM's least: an agent that cannot take a command in 30 s is a human's
  // At worst 14m 30s from the alarm to the page (npx remediate runbooks list), within the default 15m.
  cooldownSeconds: 3600,
  notes:
    'The alarm must be on CWAgent procstat_lookup_pid_count with an exe dimension that is the unit name ' +
    '(procstat "exe": "nginx" for nginx.service; LessThanThreshold 1, missing data breaching). Alarms on pattern or ' +
    'pid_file carry no exe and page at once, nothing restarted. Only a service the instance lists in its tag ' +
    'AutoRemediation:services (for example nginx:php-fpm, as the exe dimension names it) is restarted, and never a ' +
    'systemd special unit (target, mount, slice, socket...) or a service the instance cannot do without (systemd-*, ' +
    'dbus, networking, the SSM Agent...): any other value pages at once, nothing restarted; add the service to the ' +
    'tag only if restarting it is always safe. restart.sh allows 3 automated restarts of a service per ' +
    'rolling hour (counted in /var/lib/ec2-remediation/restarts/<service>, shared with memory-leak); the 4th is refused ' +
    '(exit 3) so automation never drives a restart loop. Do not raise the limit or delete the ledger to get past it: ' +
    'find why it dies. Read the diagnose output, then journalctl -u <service> -n 200 (the exit status and Result= in ' +
    'systemctl status <service>), dmesg -T | grep -i oom for OOM kills, and what changed (deploy, config, disk full). ' +
    'A deliberate stop trips the alarm too: mute it (alarm mute rule) during maintenance.',
  proof: {
    fault: 'fault.sh',
    probe: 'probe.sh',
    parameters: { service: 'app' },
    instanceTags: { 'AutoRemediation:services': 'app' },
  },
});
