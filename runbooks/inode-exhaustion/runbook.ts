import { defineRunbook } from '../../functions/core/runbook.ts';

/**
 * Root volume out of inodes: among the places that hold only regenerable files (temp directories,
 * caches, PHP sessions), clean the one holding the most, and only of files old enough and held open
 * by no process. The alarm: inodes used % of / from the CloudWatch agent's disk plugin, as metric
 * math (100 * disk_inodes_used / disk_inodes_total) or on disk_inodes_free.
 */
export default defineRunbook({
  name: 'inode-exhaustion',
  description:
    'Frees inodes on the root volume by deleting old files from the temp, cache or PHP-session directory that holds the most.',
  owner: 'platform-team',
  contact: '#platform-oncall (Slack), or page the "Platform" schedule',
  // Its name patterns and disk-full's meet on names like inode-exhaustion-root-volume-full.
  precedence: {
    over: ['disk-full'],
    reason: 'an alarm named inode-exhaustion-* was named for this runbook, whatever its suffix says',
  },
  match: {
    alarmNames: ['inode-exhaustion-*', '*-root-volume-inodes', '*-inodes-low'],
    metrics: [
      { namespace: 'CWAgent', metricName: 'disk_inodes_free' },
      { namespace: 'CWAgent', metricName: 'disk_inodes_used' },
    ],
  },
  diagnose: 'diagnose.sh',
  actions: [{ name: 'clean-regenerable-files', script: 'clean-files.sh' }],
  parameters: {
    minAgeMinutes: {
      description:
        'Only files not modified for this many minutes are removed (10 or more; PHP keeps a session 24 minutes by default).',
      allowedPattern: '^[1-9][0-9]{1,4}$',
      default: '60',
    },
  },
  // One: a second attempt could pick up what a deletion that ran out of time left, but two would take
  // up to 29 minutes to a page; a human runs it again instead (clean-files.sh says so).
  maxAttempts: 1,
  backoff: { baseSeconds: 15, capSeconds: 60 }, // used only if maxAttempts is raised
  // Two one-minute periods of the agent's disk plugin, and a minute for the datapoint to arrive.
  verifyWindowSeconds: 180,
  // clean-files.sh counts for up to 60 s, then deletes for up to 180 s; then the probe.
  executionTimeoutSeconds: 300,
  deliveryTimeoutSeconds: 30, // SSM's least: an agent that cannot take a command in 30 s is a human's
  // The diagnosis and the cleanup may each run their 5 minutes: 17m 30s at worst to the page.
  pageWithin: {
    seconds: 1080,
    reason:
      'deleting millions of files may take 3 minutes, after a diagnosis that counts them under the same 5-minute timeout',
  },
  notes:
    'Alarm on 100 * CWAgent disk_inodes_used / disk_inodes_total for path / (metric math) above 90, or disk_inodes_free ' +
    'below a floor: early, because at 100% the SSM agent cannot write the script it is sent. If the runbook removed ' +
    'nothing or the alarm came back, something is creating files now: the diagnose output lists the directories ' +
    'holding the most entries; find the writer (a cache without expiry, sessions without GC: check session.gc_probability ' +
    'and the phpsessionclean timer, a mail queue under /var/spool, which the runbook never touches). XFS (Amazon Linux ' +
    'default) allocates inodes as it grows; ext4 (Ubuntu) has a fixed count: growing the volume with resize2fs adds inodes.',
  proof: {
    fault: 'fault.sh',
    probe: 'probe.sh',
    alarm: { comparison: 'GreaterThanThreshold', threshold: 90 },
  },
});
