import type { IncidentStatus, Resolution } from '../functions/core/incident.ts';
import type { InstanceBehaviour, SimulatedOutcome } from './simulated-ssm.ts';

/** One simulated instance: when its disk fills, how it answers the runbook, and what must follow. */
export interface WalkthroughInstance {
  readonly name: string;
  readonly instanceId: string;
  readonly faultAtSeconds: number;
  readonly behaviour: InstanceBehaviour;
  /** An operator fixes the instance by hand this long after the fault (after a page). */
  readonly operatorFixAtSeconds?: number;
  readonly story: string;
  readonly expect: Expectation;
}

/** How an incident must end for the walkthrough to pass. */
export interface Expectation {
  readonly status: IncidentStatus;
  readonly how?: Resolution['how'];
  readonly attempts: number;
  readonly pages: number;
}

/** The cleanup's output, and the probe's check that the document runs right after it. */
const cleaned = (freedMiB: number, after: number): string =>
  `disk-full: / is 96% used before cleanup\nrotated logs: removed 41 file(s), ${freedMiB * 1024} KiB\n` +
  `disk-full: freed ${freedMiB * 1024} KiB; / is ${after}% used after cleanup\n` +
  `probe: ${after}\nRUNBOOK_PROBE reading=${after}`;

const fixes = (seconds: number): SimulatedOutcome => ({
  status: 'Success',
  exitCode: 0,
  stdout: cleaned(2300, 71),
  seconds,
  clearsAlarmAfterSeconds: 60,
});

/**
 * The default walkthrough: the disk-full runbook against five situations a fleet meets. SSM is
 * simulated here (the commands' outcomes are scripted, nothing is executed); everything else is the
 * product: the handlers, the decider, DynamoDB Local, the event patterns, timers and pages.
 */
export const walkthroughFleet: readonly WalkthroughInstance[] = [
  {
    name: 'web-1',
    instanceId: 'i-0a1b2c3d4e5f60001',
    faultAtSeconds: 0,
    behaviour: () => fixes(12),
    story: 'the runbook frees space; the alarm returns to OK',
    expect: { status: 'resolved', how: 'verified', attempts: 1, pages: 0 },
  },
  {
    name: 'web-2',
    instanceId: 'i-0a1b2c3d4e5f60002',
    faultAtSeconds: 20,
    behaviour: () => ({
      status: 'Failed',
      exitCode: 1,
      stdout: 'disk-full: / is 97% used before cleanup',
      stderr: "rm: cannot remove '/var/log/app/app.log.1': Device or resource busy",
      seconds: 4,
    }),
    operatorFixAtSeconds: 1800,
    story: 'the cleanup fails (a busy file): one page at once, then OK once an operator fixed it',
    expect: { status: 'resolved', how: 'cleared', attempts: 1, pages: 2 },
  },
  {
    name: 'web-3',
    instanceId: 'i-0a1b2c3d4e5f60003',
    faultAtSeconds: 40,
    behaviour: () => ({ status: 'Success', exitCode: 0, stdout: cleaned(12, 96), seconds: 9 }),
    operatorFixAtSeconds: 2 * 3600,
    story:
      'a process writes live data: the cleanup succeeds, its probe still reads 96%; one page at once, then OK',
    expect: { status: 'resolved', how: 'cleared', attempts: 1, pages: 2 },
  },
  {
    name: 'web-4',
    instanceId: 'i-0a1b2c3d4e5f60004',
    faultAtSeconds: 60,
    behaviour: 'refuse',
    story: 'the SSM agent is offline: every send is refused; one page, still open',
    expect: { status: 'escalated', attempts: 1, pages: 1 },
  },
];

/** An alarm over two instances at once: no single target, so it pages at once and runs nothing. */
export const fleetAlarm = {
  name: 'disk-full-web-fleet',
  instanceIds: ['i-0a1b2c3d4e5f60001', 'i-0a1b2c3d4e5f60002'],
  faultAtSeconds: 80,
  story: 'an alarm over two instances names no single target: one page, nothing run',
  expect: { status: 'escalated', attempts: 0, pages: 1 } satisfies Expectation,
};

/** Instances whose disks stay healthy: their alarms report OK and nothing else happens. */
export const healthyFleet: readonly { readonly name: string; readonly instanceId: string }[] = [
  5, 6, 7, 8, 9, 10,
].map((n) => ({ name: `web-${n}`, instanceId: `i-0a1b2c3d4e5f600${String(n).padStart(2, '0')}` }));
