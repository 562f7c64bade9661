import { defineScenario } from '../local/gameday/scenario.ts';

/** A short game day for CI: a fix, a crash fixed, and a fault that must reach a human. */
export default defineScenario({
  name: 'short',
  description:
    'A full disk and a crashed service fixed by automation; a bad deploy escalated once, with the output.',
  instances: 3,
  speed: 120,
  // Opted in; automation may restart app.
  instanceTags: { AutoRemediation: 'enabled', 'AutoRemediation:services': 'app' },
  alarms: ['disk-full', 'service-down'],
  faults: [
    {
      atMinutes: 1,
      instances: [1],
      runbook: 'disk-full',
      description: 'rotated logs fill the disk',
      expect: 'fixed',
    },
    {
      atMinutes: 1,
      instances: [2],
      runbook: 'service-down',
      description: 'app crashes (SIGKILL)',
      expect: 'fixed',
    },
    {
      atMinutes: 1,
      instances: [3],
      runbook: 'service-down',
      script: 'break-app.sh',
      description: 'a bad deploy: app exits at every start',
      expect: 'escalated',
    },
  ],
  // The last escalation comes within 15 virtual minutes (service-down's time to a human); the rest
  // is room for a loaded machine, where each real second of latency costs two virtual minutes.
  endsAtMinutes: 20,
});
