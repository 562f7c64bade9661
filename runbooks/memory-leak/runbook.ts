import { defineRunbook } from '../../functions/core/runbook.ts';
import { repeatUnlessFinal, serviceParameter } from '../shared/service-restart.ts';

/**
 * A service's resident memory keeps growing: save the evidence on the instance, then restart it. A
 * restart buys time; it does not fix the leak, so every run leaves a file for the developers.
 */
export default defineRunbook({
  name: 'memory-leak',
  description:
    'Saves memory evidence of a leaking service under /var/log/ec2-remediation/, then restarts it (at most 3 automated restarts per hour).',
  owner: 'platform-team',
  contact: '#platform-oncall (Slack), or page the "Platform" schedule',
  match: {
    alarmNames: ['memory-leak-*'],
    metrics: [{ namespace: 'CWAgent', metricName: 'procstat_memory_rss' }],
  },
  // procstat's resident memory per service (exe), in bytes: above 100 MiB for three of five-minute periods.
  alarm: {
    metric: { namespace: 'CWAgent', name: 'procstat_memory_rss' },
    groupBy: ['exe'],
    periodSeconds: 60,
    comparison: 'GreaterThanThreshold',
    threshold: 104_857_600,
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
    seriesPerInstance: 3,
  },
  diagnose: 'diagnose.sh',
  actions: [{ name: 'capture-and-restart', script: 'capture-and-restart.sh' }],
  choose: repeatUnlessFinal('capture-and-restart'),
  parameters: { service: serviceParameter },
  // One restart, then a human: the probe reads the restarted process's memory at once, and a
  // second restart only buys less time.
  maxAttempts: 1,
  backoff: { baseSeconds: 15, capSeconds: 60 }, // used only if maxAttempts is raised
  // The alarm's two one-minute periods, and a minute for procstat's datapoint to arrive.
  verifyWindowSeconds: 180,
  // Evidence takes seconds; stopping a large process can take systemd's 90 s stop timeout, then the start.
  executionTimeoutSeconds: 300,
  deliveryTimeoutSeconds: 30, // SSM's least: an agent that cannot take a command in 30 s is a human's
  // The diagnosis and the restart may each run their 5 minutes: 17m 30s at worst to the page.
  pageWithin: {
    seconds: 1080,
    reason:
      'stopping and starting a large process may take 3 minutes, after a diagnosis under the same 5-minute timeout',
  },
  cooldownSeconds: 3600,
  notes:
    'The alarm must be on CWAgent procstat_memory_rss (bytes: 100 MiB is 104857600) with an exe dimension that is the ' +
    'unit name (procstat "exe": "myapp" for myapp.service); alarms on pattern or pid_file page at once. Only a ' +
    'service the instance lists in its tag AutoRemediation:services is restarted, never a systemd special unit or a ' +
    'critical service (as for service-down); any other value pages at once, nothing restarted. A restart only ' +
    'buys time: the leak comes back. Each run saved /var/log/ec2-remediation/memory-leak-<service>-<UTC time>.txt ' +
    '(its path is in the output): compare VmRSS/VmHWM and smaps_rollup (Anonymous: the heap; RssFile/Shmem: not a ' +
    'leak) across files and with the RSS graph to get the growth rate, and hand them to the service owners. For a JVM ' +
    'take jcmd <pid> GC.heap_dump (or -XX:+HeapDumpOnOutOfMemoryError) before the next restart. Restarts share the ' +
    'limit of 3 per hour per service with service-down (/var/lib/ec2-remediation/restarts/<service>); a refusal ' +
    '(exit 3) means it refills too fast for restarts to help: roll back the last deploy or add memory, do not raise the limit.',
  proof: {
    fault: 'fault.sh',
    probe: 'probe.sh',
    parameters: { service: 'app' },
    instanceTags: { 'AutoRemediation:services': 'app' },
  },
});
