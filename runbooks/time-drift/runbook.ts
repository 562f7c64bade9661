import { defineRunbook } from '../../functions/core/runbook.ts';

/**
 * The clock drifted because the time-sync service is down: restart it (chronyd or
 * systemd-timesyncd), step the clock with `chronyc makestep`, and wait for the offset to converge.
 *
 * The proof is a stand-in, said plainly: a sandbox cannot set its clock (no CAP_SYS_TIME) nor reach
 * an NTP server, so its 'chronyd' is a sandbox service that keeps the offset in /run/chrony/offset.
 * The proof shows the service handling and the bounded wait, not chrony's own behaviour.
 */
export default defineRunbook({
  name: 'time-drift',
  description:
    'Restarts the time-sync service (chronyd or systemd-timesyncd) and steps the clock when it has drifted.',
  owner: 'platform-team',
  contact: '#platform-oncall (Slack), or page the "Platform" schedule',
  match: {
    alarmNames: ['time-drift-*', 'clock-drift-*', '*-clock-offset'],
  },
  // The clock's offset from NTP time as the agent publishes it (chrony's tracking), in milliseconds.
  alarm: {
    metric: { namespace: 'CWAgent', name: 'clock_offset_ms' },
    statistic: 'Maximum',
    periodSeconds: 60,
    comparison: 'GreaterThanThreshold',
    threshold: 1000,
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
  },
  diagnose: 'diagnose.sh',
  actions: [{ name: 'restart-time-sync', script: 'resync.sh' }],
  parameters: {
    maxOffsetMs: {
      description: 'The remediation succeeds when the clock offset is at most this many milliseconds.',
      allowedPattern: '^[1-9][0-9]{0,5}$',
      default: '100',
    },
  },
  // One: resync.sh already waits for a source and for the offset; a restart that did not bring a
  // source back will not do better the second time.
  maxAttempts: 1,
  backoff: { baseSeconds: 15, capSeconds: 60 }, // used only if maxAttempts is raised
  // The alarm's two one-minute periods, and a minute for the datapoint to arrive.
  verifyWindowSeconds: 180,
  // The restart, 20 s for a source, 60 s for the offset to converge, and the probe.
  executionTimeoutSeconds: 150,
  deliveryTimeoutSeconds: 30, // SSM's least: an agent that cannot take a command in 30 s is a human's
  // At worst 12m 30s from the alarm to the page (npx remediate runbooks list), within the default 15m.
  notes:
    'The alarm reads a custom metric (chronyc tracking "System time", or the ClockErrorBound of the AWS Time Sync blog, ' +
    'published by a cron job or the CloudWatch agent). If the runbook failed: `chronyc -n sources -v` shows whether a source ' +
    'answers (on EC2 the Amazon Time Sync Service, 169.254.169.123 or fd00:ec2::123, needs no network access; check ' +
    '/etc/chrony.conf and /etc/chrony.d/), `journalctl -u chronyd` why it stopped, and a masked unit means someone turned ' +
    'time sync off on purpose. Repeated drift with chrony running points at the clock source ' +
    '(/sys/devices/system/clocksource/clocksource0) or a paused/restored instance. The sandbox proof uses a stand-in for ' +
    'chrony, since a sandbox cannot set its clock: it tests the service handling, not chrony.',
  proof: {
    fault: 'fault.sh',
    probe: 'probe.sh',
  },
});
