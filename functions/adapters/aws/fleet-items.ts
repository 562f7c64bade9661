import type { Hold, Incident } from '../../core/incident.ts';
import { TABLE } from './table-schema.ts';

/**
 * The fleet gates' items in the single table:
 * - `LEASE#<instance>` / `LEASE`: which incident holds the instance, `until` when it lapses;
 * - `RUNBOOK#<name>` / `SLOT#<nnnn>`: one item per concurrency slot in use, same shape as a lease;
 * - `RUNBOOK#<name>` / `BUDGET`: the clock hour counted and the commands started in it;
 * - `RUNBOOK#<name>` / `BREAKER`: the fleet breaker; `RUNS`: latest judged runs; `MODE`: dry-run switch;
 * - `FLEET#<name>` / `S#<instance>`: when the runbook last saw the instance's alarm (any state);
 * - `FLEET#<name>` / `A#<time>#<instance>`: one per ALARM, so that the breaker's window is a key range
 *   read only as far as its limit.
 * A runbook's gate state is one partition, read with one strongly consistent Query.
 */
const { partitionKey: PK, sortKey: SK, ttlAttribute: TTL } = TABLE;

export const fleetKeys = {
  lease: (instanceId: string) => ({ [PK]: `LEASE#${instanceId}`, [SK]: 'LEASE' }),
  runbookPartition: (runbook: string) => `RUNBOOK#${runbook}`,
  slot: (runbook: string, index: number) => ({
    [PK]: `RUNBOOK#${runbook}`,
    [SK]: `${SLOT_PREFIX}${String(index).padStart(4, '0')}`,
  }),
  budget: (runbook: string) => ({ [PK]: `RUNBOOK#${runbook}`, [SK]: 'BUDGET' }),
  breaker: (runbook: string) => ({ [PK]: `RUNBOOK#${runbook}`, [SK]: 'BREAKER' }),
  runs: (runbook: string) => ({ [PK]: `RUNBOOK#${runbook}`, [SK]: 'RUNS' }),
  mode: (runbook: string) => ({ [PK]: `RUNBOOK#${runbook}`, [SK]: 'MODE' }),
  fleetPartition: (runbook: string) => `FLEET#${runbook}`,
  seen: (runbook: string, instanceId: string) => ({ [PK]: `FLEET#${runbook}`, [SK]: `S#${instanceId}` }),
  alarm: (runbook: string, at: number, instanceId: string) => ({
    [PK]: `FLEET#${runbook}`,
    [SK]: `A#${new Date(at).toISOString()}#${instanceId}`,
  }),
} as const;

export const SLOT_PREFIX = 'SLOT#';

/** Lapsed leases and slots linger a day for whoever investigates, then DynamoDB's TTL removes them. */
const HOLD_TTL_GRACE_SECONDS = 86_400;

/** Which claim each of {@link claimItems}' entries is, in order. */
export const CLAIM_NAMES = ['lease', 'slot', 'budget'] as const;

/**
 * The transaction entries that take an attempt's hold: the lease and the slot (each free, lapsed, or
 * already this incident's) and one unit of the hour's budget (below its maximum). `now` is the
 * decision's time, so that lapsing is judged on the same clock as the decision.
 */
export function claimItems(tableName: string, incident: Incident, hold: Hold, now: number) {
  const holder = {
    holder: incident.id,
    runbook: incident.key.runbook,
    target: incident.key.target,
    attempt: hold.attempt,
    until: hold.expiresAt,
    [TTL]: Math.ceil(hold.expiresAt / 1000) + HOLD_TTL_GRACE_SECONDS,
  };
  const free = {
    ConditionExpression: 'attribute_not_exists(#pk) OR #until <= :now OR #holder = :holder',
    ExpressionAttributeNames: { '#pk': PK, '#until': 'until', '#holder': 'holder' },
    ExpressionAttributeValues: { ':now': now, ':holder': incident.id },
  };
  const budget = hold.budgetNewHour
    ? {
        UpdateExpression: 'SET #hour = :hour, #used = :one',
        ConditionExpression: 'attribute_not_exists(#hour) OR #hour <> :hour',
        ExpressionAttributeNames: { '#hour': 'hour', '#used': 'used' },
        ExpressionAttributeValues: { ':hour': hold.budgetHour, ':one': 1 },
      }
    : {
        UpdateExpression: 'SET #used = #used + :one',
        ConditionExpression: '#hour = :hour AND #used < :max',
        ExpressionAttributeNames: { '#hour': 'hour', '#used': 'used' },
        ExpressionAttributeValues: { ':hour': hold.budgetHour, ':one': 1, ':max': hold.budgetMax },
      };
  return [
    { Put: { TableName: tableName, Item: { ...fleetKeys.lease(hold.instanceId), ...holder }, ...free } },
    {
      Put: {
        TableName: tableName,
        Item: { ...fleetKeys.slot(incident.key.runbook, hold.slot), ...holder, slot: hold.slot },
        ...free,
      },
    },
    { Update: { TableName: tableName, Key: fleetKeys.budget(incident.key.runbook), ...budget } },
  ];
}
