import { defineScenario } from '../local/gameday/scenario.ts';

/**
 * People on call, scripted: a runbook in approve mode whose proposal a person approves, and a fault
 * no runbook can fix that a person takes over and fixes by hand. Each person acts on the page they
 * receive, through the operator function, as `npx remediate approve` or a chat button would.
 */
export default defineScenario({
  name: 'humans',
  description:
    'A full disk in approve mode, fixed once the on-call engineer approves the proposal; a bad deploy ' +
    'escalated, taken over and rolled back by hand, closed by the alarm’s OK.',
  instances: 2,
  // Slower than `short`: people read pages in minutes, and the handlers' real latency costs less virtual time.
  speed: 60,
  // Opted in; automation may restart app.
  instanceTags: { AutoRemediation: 'enabled', 'AutoRemediation:services': 'app' },
  alarms: ['disk-full', 'service-down'],
  // For this game day only, as `npx remediate runbooks approve-mode disk-full` would switch it.
  modes: { 'disk-full': 'approve' },
  faults: [
    {
      atMinutes: 1,
      instances: [1],
      runbook: 'disk-full',
      description: 'rotated logs fill the disk',
      expect: 'fixed-after-approval',
    },
    {
      atMinutes: 1,
      instances: [2],
      runbook: 'service-down',
      script: 'break-app.sh',
      description: 'a bad deploy: app exits at every start',
      expect: 'fixed-by-hand',
    },
  ],
  responders: [
    {
      by: 'alice (on call)',
      instance: 1,
      runbook: 'disk-full',
      waitsFor: 'proposal',
      withinMinutes: 15,
      readingMinutes: 1,
      verb: 'approve',
    },
    {
      by: 'bob (on call)',
      instance: 2,
      runbook: 'service-down',
      waitsFor: 'escalation',
      withinMinutes: 18,
      readingMinutes: 2,
      verb: 'take',
      byHand: { script: 'rollback-app.sh', description: 'rolls the deploy back and starts app' },
    },
  ],
  endsAtMinutes: 22,
});
