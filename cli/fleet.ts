import { DynamoDbFleetGuard } from '../functions/adapters/aws/dynamodb-fleet-guard.ts';
import { breakerHolds } from '../functions/core/fleet.ts';
import type { FleetGuard } from '../functions/core/ports.ts';
import type { Runbook } from '../functions/core/runbook.ts';
import { clientFor, type TableOptions, tableName } from './kill-switch.ts';

/** The fleet gates' state of a deployed stack or a local table. */
export function fleetGuardFor(options: TableOptions): FleetGuard {
  return new DynamoDbFleetGuard(clientFor(options), tableName(options));
}

/** One line per runbook for `remediate status`: mode, breaker, slots in flight and the hour's budget. */
export async function describeFleet(
  fleet: FleetGuard,
  runbooks: readonly Runbook[],
  now: number,
): Promise<string[]> {
  const lines: string[] = [];
  for (const runbook of runbooks) {
    const state = await fleet.read(runbook, undefined, now);
    const { maxInFlight, maxPerHour } = runbook.concurrency;
    const used = state.fleet.budget?.used ?? 0;
    const parts = [
      `${state.fleet.slotsInUse}/${maxInFlight} in flight`,
      `${used}/${maxPerHour} commands this hour`,
    ];
    const mode = state.mode
      ? `${state.mode.mode === 'approve' ? 'APPROVE' : 'DRY-RUN'} (switched by ${state.mode.by} at ${iso(state.mode.since)}: ${state.mode.reason})`
      : runbook.mode === 'enforce'
        ? 'enforce'
        : `${runbook.mode} (as defined)`;
    const breaker = state.breaker;
    const open = breaker && breakerHolds(breaker, runbook.breaker, now);
    const breakerText = !runbook.breaker
      ? 'breaker off'
      : open
        ? `BREAKER OPEN since ${iso(breaker.openedAt)} (${breaker.instances.length} instances: ${breaker.reason})`
        : 'breaker closed';
    lines.push(`${runbook.name}: ${mode}; ${breakerText}; ${parts.join(', ')}`);
  }
  return lines;
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
