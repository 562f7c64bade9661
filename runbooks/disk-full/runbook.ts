import { defineRunbook } from '../../functions/core/runbook.ts';

/** Root volume nearly full: clean rotated logs, package caches and stale temp files; never live data. */
export default defineRunbook({
  name: 'disk-full',
  description:
    'Frees space on a nearly full root volume by removing rotated logs, package caches and stale temp files.',
  owner: 'platform-team',
  contact: '#platform-oncall (Slack), or page the "Platform" schedule',
  match: {
    alarmNames: ['disk-full-*', '*-root-volume-full'],
    // The script cleans the root volume: an alarm on another mount (/data) is not this runbook's,
    // whatever its name.
    metrics: [{ namespace: 'CWAgent', metricName: 'disk_used_percent', dimensions: { path: '/' } }],
  },
  // The CloudWatch agent's disk_used_percent of the root mount; two minutes above 90% of three.
  alarm: {
    metric: { namespace: 'CWAgent', name: 'disk_used_percent' },
    dimensions: { path: '/' },
    periodSeconds: 60,
    comparison: 'GreaterThanThreshold',
    threshold: 90,
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
  },
  diagnose: 'diagnose.sh',
  remediate: 'remediate.sh',
  // One: the cleanup removes all it may in one run, so a second finds nothing new and only delays the page.
  maxAttempts: 1,
  backoff: { baseSeconds: 15, capSeconds: 60 }, // used only if maxAttempts is raised
  // The alarm's two one-minute periods, and a minute for the agent's datapoint to arrive.
  verifyWindowSeconds: 180,
  // diagnose.sh gives du and find 60 s each; the cleanup and its probe take less.
  executionTimeoutSeconds: 150,
  deliveryTimeoutSeconds: 30, // SSM's least: an agent that cannot take a command in 30 s is a human's
  // At worst 12m 30s from the alarm to the page (npx remediate runbooks list), within the default 15m.
  notes:
    'If the volume is still full, something is writing live data: run `du -xh / | sort -h | tail -20`, ' +
    'find the writer, and grow the volume or move the data. The runbook never deletes live logs or data. It answers ' +
    'disk_used_percent on the root mount only (dimension path=/): an alarm on another mount is not matched, and pages ' +
    'nobody through this system.',
  proof: {
    fault: 'fault.sh',
    probe: 'probe.sh',
  },
});
