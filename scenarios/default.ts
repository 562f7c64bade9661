import { defineScenario } from '../local/gameday/scenario.ts';

/**
 * The default game day (`npm start`): eight instances, the declared alarms of three runbooks over them, and the faults a fleet
 * meets in a bad week, in fifty minutes of compressed time (about a minute on a laptop).
 */
export default defineScenario({
  name: 'default',
  description:
    'A disk filling up, a crashed service, a runaway process, a bad deploy no restart can fix, a service that ' +
    'crashes again within the hour, and the same fault on most of the fleet at once.',
  instances: 8,
  speed: 60,
  // As the platform team tags the fleet: opted in; automation may restart app and end report-worker.
  instanceTags: {
    AutoRemediation: 'enabled',
    'AutoRemediation:services': 'app',
    'AutoRemediation:processes': 'report-worker',
  },
  // Each runbook's declared alarm, one fleet alarm per runbook (runaway-cpu: EC2's CPUUtilization,
  // one 5-minute period decides).
  alarms: ['disk-full', 'service-down', 'runaway-cpu'],
  faults: [
    {
      atMinutes: 1,
      instances: [1],
      runbook: 'disk-full',
      description: 'rotated logs fill the disk',
      expect: 'fixed',
    },
    {
      atMinutes: 2,
      instances: [2],
      runbook: 'service-down',
      description: 'app crashes (SIGKILL)',
      expect: 'fixed',
    },
    {
      atMinutes: 3,
      instances: [3],
      runbook: 'runaway-cpu',
      description: 'a report worker spins at 100% CPU',
      expect: 'fixed',
    },
    {
      atMinutes: 4,
      instances: [4],
      runbook: 'service-down',
      script: 'break-app.sh',
      description: 'a bad deploy: app exits at every start',
      expect: 'escalated',
    },
    {
      atMinutes: 5,
      instances: [5],
      runbook: 'service-down',
      description: 'app crashes once',
      expect: 'fixed',
    },
    {
      atMinutes: 12,
      instances: [5],
      runbook: 'service-down',
      description: 'app crashes again within the hour',
      expect: 'escalated',
      gate: 'cooldown',
    },
    {
      atMinutes: 15,
      instances: { mostOfFleetExcept: [1, 4, 5] },
      runbook: 'disk-full',
      description: 'a log storm fills most disks at once',
      expect: 'fixed-or-suppressed',
    },
  ],
  breakers: [{ runbook: 'disk-full', groupPages: 1 }],
  endsAtMinutes: 56,
});
