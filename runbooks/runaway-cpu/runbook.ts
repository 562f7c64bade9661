import { defineRunbook } from '../../functions/core/runbook.ts';

/**
 * A runaway process eats CPU: end only the process(es) that the rule names (above a CPU threshold
 * over a short sample, a name on the instance's allow-list, never a protected process), by SIGTERM
 * then SIGKILL. Nothing matched the rule: exit non-zero, and a human is paged.
 */
export default defineRunbook({
  name: 'runaway-cpu',
  description:
    "Ends a runaway process that holds a CPU core, only when its name is on the instance's allow-list and it is not a protected process.",
  owner: 'platform-team',
  contact: '#platform-oncall (Slack), or page the "Platform" schedule',
  // By name only: matching every AWS/EC2 CPUUtilization alarm would page for each untagged CPU alarm
  // an account already routes elsewhere.
  match: { alarmNames: ['cpu-high-*', 'runaway-cpu-*'] },
  // EC2's CPUUtilization with basic monitoring: one five-minute period above 80% decides.
  alarm: {
    metric: { namespace: 'AWS/EC2', name: 'CPUUtilization' },
    statistic: 'Average',
    periodSeconds: 300,
    comparison: 'GreaterThanThreshold',
    threshold: 80,
    evaluationPeriods: 1,
  },
  diagnose: 'diagnose.sh',
  actions: [{ name: 'end-runaway-process', script: 'end-process.sh' }],
  parameters: {
    processPattern: {
      description:
        "Allow-list of process names that may be ended, separated by ':' (for example report-worker:php-fpm); " +
        'each is compared exactly with the command name (first 15 characters) or the base name of argv[0]. ' +
        "The instance's AutoRemediation:processes tag lists the names; the alarm's runaway-process tag may narrow it.",
      allowedPattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,31}(:[A-Za-z0-9][A-Za-z0-9._-]{0,31}){0,9}$',
      list: true,
      // The instance declares what may be ended; an alarm (anyone who can create one) may only narrow it.
      allowedByInstanceTag: 'AutoRemediation:processes',
      fromAlarm: { tag: 'runaway-process' },
    },
    cpuPercent: {
      description: 'A process is runaway above this % of one CPU core, measured over a 2-second sample.',
      allowedPattern: '^[1-9][0-9]{0,3}$',
      default: '80',
    },
  },
  // One: each attempt waits out a 5-minute period, so two do not fit 15 minutes; a worker its
  // supervisor restarts spins again, and why is a human's question (see the notes).
  maxAttempts: 1,
  backoff: { baseSeconds: 15, capSeconds: 60 }, // used only if maxAttempts is raised
  // CPUUtilization with basic monitoring: one 5-minute period, and a minute for it to be published.
  verifyWindowSeconds: 360,
  // Right after the remedy, the instance's CPU over all its cores, as the alarm reads it. Not the
  // proof's probe (the busiest process, in % of one core): on a many-core instance another busy
  // process above 80% of its core would read "still broken" and page for a fix that worked.
  verify: { probe: 'verify-probe.sh' },
  executionTimeoutSeconds: 90,
  // A busy instance's agent may be slow to take the command; beyond a minute, a human is paged.
  deliveryTimeoutSeconds: 60,
  // At worst 14m from the alarm to the page (npx remediate runbooks list), within the default 15m.
  cooldownSeconds: 3600,
  notes:
    'Only processes the instance lists in its tag AutoRemediation:processes (<name>[:<name>...]) are ended; an alarm ' +
    'tag runaway-process=<name>[:<name>...] may narrow the list to some of them, and a name the instance does not list ' +
    'pages at once, nothing ended; an instance without the tag is never acted on. ' +
    'If nothing matched the rule, read the diagnose output: the busiest process may not be on the allow-list (add it to the ' +
    "instance's tag only if ending it is always safe), " +
    'the load may be many small processes (a fork storm, a cron pile-up), or steal ' +
    'time (a T instance out of CPU credits: see CPUCreditBalance; a noisy neighbour). If it came back after being ended, ' +
    'its supervisor restarted it: find why it spins (py-spy/jstack/perf top on the new pid, its logs) before ending it again.',
  proof: {
    fault: 'fault.sh',
    probe: 'probe.sh',
    // The probe reads the busiest process in % of one core. The sandbox shares two cores with the rest
    // of the test suite, so the burner may get half a core or less: the proof lowers the threshold and the
    // rule's cpuPercent to what it can rely on. The comparison is the alarm's; production keeps 80.
    sandboxThreshold: {
      value: 40,
      reason: 'the sandbox shares two cores with other work, so the burner may get only half a core',
    },
    parameters: { processPattern: 'report-worker', cpuPercent: '30' },
    instanceTags: { 'AutoRemediation:processes': 'report-worker' },
  },
});
