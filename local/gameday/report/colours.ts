import type { AlarmStateValue } from '../../../functions/core/alarm.ts';
import type { GameDayIncident } from '../record.ts';

/** Colours: one place, used by the timeline and its legend alike (attributes, so no CSS is needed). */

export const COLOUR = {
  ink: '#1f2430',
  muted: '#5b6472',
  faint: '#8a93a0',
  grid: '#e3e7ec',
  /** Drawn translucent, over the grid lines. */
  stripe: '#0b2a55',
  alarm: { ALARM: '#d64541', OK: '#54a66f', INSUFFICIENT_DATA: '#b4bcc6' } as Record<AlarmStateValue, string>,
  outcome: {
    verified: '#1d7a4c',
    unverified: '#d0901c',
    pending: '#7fb89b',
    running: '#3b7dc4',
    failed: '#b3261e',
    lost: '#7b5644',
    'not-run': '#ffffff',
    withdrawn: '#b4bcc6',
  } as Record<AttemptOutcome, string>,
  fault: '#e06c00',
  refusal: '#a86b00',
  page: '#6d3fc0',
  /** A person's action (approve, take, ...) and a fix by hand: drawn apart from automation's marks. */
  person: '#0f7b8a',
  breaker: '#f2c14e',
  span: '#eef2f8',
  spanStroke: '#cfd8e6',
};

type AttemptOutcome =
  | 'verified'
  | 'unverified'
  | 'pending'
  | 'running'
  | 'failed'
  | 'lost'
  | 'not-run'
  | 'withdrawn';

type Attempt = GameDayIncident['attempts'][number];

export function attemptOutcome(attempt: Attempt): AttemptOutcome {
  switch (attempt.status) {
    case 'succeeded':
      return attempt.verification === 'passed'
        ? 'verified'
        : attempt.verification === 'failed'
          ? 'unverified'
          : 'pending';
    case 'failed':
      return 'failed';
    case 'lost':
      return 'lost';
    case 'not-run':
      return 'not-run';
    case 'withdrawn':
      return 'withdrawn';
    default:
      return 'running';
  }
}

export const ATTEMPT_LABEL: Record<AttemptOutcome, string> = {
  verified: 'command succeeded, fix verified',
  unverified: 'command succeeded, alarm stayed in ALARM',
  pending: 'command succeeded, verifying',
  running: 'dispatching or running',
  failed: 'command failed',
  lost: 'lost (no result)',
  'not-run': 'not run (dry-run)',
  withdrawn: 'not sent (the alarm cleared during the diagnosis)',
};
