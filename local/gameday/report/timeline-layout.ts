import type { GameDayHumanAction, GameDayIncident, GameDayPage, GameDayRecord } from '../record.ts';
import { COLOUR } from './colours.ts';

/** The timeline's geometry, shared by the section and its rows. */

export const SVG_WIDTH = 1230;
export const LABEL_W = 200;
export const PLOT_X0 = LABEL_W + 16;
export const PLOT_X1 = SVG_WIDTH - 30;
export const AXIS_H = 30;
export const ROW_PAD = 10;
export const BAND_PITCH = 22;
export const BAND_H = 8;
export const LANE_H = 38;
/** The lane of people's requests, under the pages, in rows that have any. */
export const PEOPLE_LANE_H = 22;
export const MIN_ROW_H = 70;
export const MIN_BAR_W = 5;

/** Small labels inside the plot get a white halo, so that grid and fault lines never cross their letters. */
export const LABEL_TEXT = `font-size="10.5" fill="${COLOUR.muted}" paint-order="stroke" stroke="#ffffff" stroke-width="3" stroke-linejoin="round"`;

export const GROUP_PAGE_KINDS = new Set([
  'breaker-opened',
  'breaker-grew',
  'breaker-closed',
  'runbook-dry-run',
]);

export interface Scale {
  readonly start: number;
  readonly end: number;
  x(at: number): number;
}

/** What one row draws: its alarms, incidents, faults and pages. */
export interface RowContent {
  readonly alarms: Map<string, GameDayRecord['alarmChanges'][number][]>;
  readonly breakers: { runbook: string; about: string; from: number; to?: number }[];
  readonly incidents: GameDayIncident[];
  readonly faults: GameDayRecord['faults'][number][];
  readonly pages: GameDayPage[];
  /** People's requests about the row's incidents (approve, take, ...), done or refused. */
  readonly people: (GameDayHumanAction & { readonly incidentId: string })[];
  /** What people did on the instance by hand. */
  readonly handFixes: HandFixMark[];
}

/** A fix by hand on an instance, as the timeline draws it. */
export interface HandFixMark {
  readonly at: number;
  readonly finishedAt: number;
  readonly by: string;
  readonly description: string;
  readonly exitCode: number;
}
