import { defineScenario } from '../local/gameday/scenario.ts';
import diskFull from '../runbooks/disk-full/runbook.ts';

/** disk-full's budget of time to a human, in seconds (900 unless the runbook states another). */
const budget = (diskFull as { readonly pageWithinSeconds?: number }).pageWithinSeconds ?? 900;

/**
 * A remedy that runs and does not fix: the application's live log keeps the disk full, so disk-full's
 * cleanup succeeds (exit 0) and frees nothing. Automation cannot fix it and must say so: the on-call
 * engineer is paged once, within the runbook's budget of time to a human (`pageWithinSeconds`, 900 s
 * by default) from the alarm, with why, and no alarm is left silent. The second instance stays healthy.
 */
export default defineScenario({
  name: 'unfixable',
  description:
    'A live log keeps the disk full: the cleanup runs, succeeds and frees nothing. The on-call engineer ' +
    'must be paged within the runbook’s budget, told why, and no alarm left silent.',
  instances: 2,
  speed: 60,
  instanceTags: { AutoRemediation: 'enabled' },
  alarms: ['disk-full'],
  faults: [
    {
      atMinutes: 1,
      instances: [1],
      runbook: 'disk-full',
      script: 'fill-disk-live.sh',
      description: 'a live log keeps the disk full',
      expect: 'escalated',
      pageWithinSeconds: 'runbook',
    },
  ],
  // The alarm by minute 3 or so, the budget after it, and room for a loaded machine.
  endsAtMinutes: 4 + Math.ceil(budget / 60) + 3,
});
