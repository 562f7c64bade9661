import { type Choice, type ChooseContext, defineRunbook } from '../../functions/core/runbook.ts';

/**
 * Exit codes of capture-and-restart.sh that another attempt cannot change: page at once instead of
 * backing off and being refused again.
 */
const FINAL_EXIT_CODES: Readonly<Record<number, string>> = {
  2: 'the command refused its input (an invalid service name, or an SSM Agent too old for parameters as environment variables)',
  3: 'the restart limit is reached: automation restarted this service 3 times in the last hour',
  4: 'the instance has no such service, or it is masked',
};

/** The ladder (one action, repeated), except after an exit that a retry cannot change. */
function choose({ history }: ChooseContext): Choice {
  const code = history.at(-1)?.exitCode;
  const final = code === undefined ? undefined : FINAL_EXIT_CODES[code];
  return final ? { escalate: `${final} (exit ${code})` } : { action: 'capture-and-restart' };
}

/**
 * A service's resident memory keeps growing: save the evidence on the instance, then restart it. A
 * restart buys time; it does not fix the leak, so every run leaves a file for the developers.
 */
export default defineRunbook({
  name: 'memory-leak',
  description:
    'Saves memory evidence of a leaking service under /var/log/ec2-remediation/, then restarts it (at most 3 automated restarts per hour).',
  owner: 'platform-team',
  match: {
    alarmNames: ['memory-leak-*'],
    metrics: [{ namespace: 'CWAgent', metricName: 'procstat_memory_rss' }],
  },
  diagnose: 'diagnose.sh',
  actions: [{ name: 'capture-and-restart', script: 'capture-and-restart.sh' }],
  choose,
  parameters: {
    service: {
      description:
        'The systemd unit to restart (myapp or myapp.service), from the exe dimension of the procstat metric.',
      // Starts with a letter or digit: never read as an option by systemctl or svc.
      allowedPattern: '^[A-Za-z0-9][A-Za-z0-9@._-]{0,63}$',
      // procstat labels its metrics with the selector it was configured with: exe, pattern or pid_file.
      fromAlarm: { dimension: 'exe' },
    },
  },
  // One restart, and one more if the alarm did not clear (a slow stop, a spike); then a human.
  maxAttempts: 2,
  backoff: { baseSeconds: 60, capSeconds: 300 },
  // A memory alarm usually evaluates 5-minute periods: give it three to see the restarted process.
  verifyWindowSeconds: 900,
  // Evidence takes seconds; stopping a large process can take systemd's 90 s stop timeout, then the start.
  executionTimeoutSeconds: 300,
  deliveryTimeoutSeconds: 180,
  cooldownSeconds: 3600,
  notes:
    'The alarm must be on CWAgent procstat_memory_rss (bytes: 100 MiB is 104857600) with an exe dimension that is the ' +
    'unit name (procstat "exe": "myapp" for myapp.service); alarms on pattern or pid_file page at once. A restart only ' +
    'buys time: the leak comes back. Each run saved /var/log/ec2-remediation/memory-leak-<service>-<UTC time>.txt ' +
    '(its path is in the output): compare VmRSS/VmHWM and smaps_rollup (Anonymous: the heap; RssFile/Shmem: not a ' +
    'leak) across files and with the RSS graph to get the growth rate, and hand them to the service owners. For a JVM ' +
    'take jcmd <pid> GC.heap_dump (or -XX:+HeapDumpOnOutOfMemoryError) before the next restart. Restarts share the ' +
    'limit of 3 per hour per service with service-down (/var/lib/ec2-remediation/restarts/<service>); a refusal ' +
    '(exit 3) means it refills too fast for restarts to help: roll back the last deploy or add memory, do not raise the limit.',
  proof: {
    fault: 'fault.sh',
    probe: 'probe.sh',
    // The probe reports MiB; the real alarm is the same condition in bytes (GreaterThanThreshold 104857600).
    alarm: { comparison: 'GreaterThanThreshold', threshold: 100 },
    parameters: { service: 'app' },
  },
});
