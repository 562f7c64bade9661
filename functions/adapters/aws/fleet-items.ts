import type { Hold, Incident } from '../../core/incident.ts';
import { TABLE } from './table-schema.ts';

/**
 * The fleet gates' items in the single table:
 * - `LEASE#<instance>` / `LEASE`: which incident holds the instance, `until` when it lapses;
 * - `RUNBOOK#<name>` / `SLOT#<nnnn>`: one item per concurrency slot in use, same shape as a lease;
 * - `RUNBOOK#<name>` / `BUDGET#<YYYY-MM-DDTHH>`: the commands started in that clock hour (UTC);
 * - `RUNBOOK#<name>` / `BREAKER`: the fleet breaker; `MODE`: dry-run switch;
 * - `RUNS#<name>` / `RUN#<at>#<incident>#<attempt>`: one item per judged run, so that runs verified
 *   together never contend for one item; `~FORGOTTEN`: runs before `before` no longer count;
 * - `FLEET#<name>` / `S#<instance>`: when the runbook last saw the instance's alarm (any state);
 * - `FLEET#<name>` / `A#<time>#<instance>`: one per ALARM, so that the breaker's window is a key range
 *   read only as far as its limit.
 * - `WAIT#<list>` / `W#<until>#<incident>`: one per incident standing in a wait list (`runbook:<name>`
 *   for a slot, `instance:<id>` for a lease; see core/wait-lists.ts), in line by its wait's deadline,
 *   so that a Query reads the line in order from the first entry still alive. Outside the runbook's
 *   partition: the gates' one read of it never reads the line.
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
  budget: (runbook: string, hour: string) => ({
    [PK]: `RUNBOOK#${runbook}`,
    [SK]: `${BUDGET_PREFIX}${hour}`,
  }),
  breaker: (runbook: string) => ({ [PK]: `RUNBOOK#${runbook}`, [SK]: 'BREAKER' }),
  runsPartition: (runbook: string) => `RUNS#${runbook}`,
  run: (
    runbook: string,
    run: { readonly at: number; readonly incidentId: string; readonly attempt: number },
  ) => ({
    [PK]: `RUNS#${runbook}`,
    [SK]: `${RUN_PREFIX}${String(run.at).padStart(15, '0')}#${run.incidentId}#${run.attempt}`,
  }),
  runsForgotten: (runbook: string) => ({ [PK]: `RUNS#${runbook}`, [SK]: RUNS_FORGOTTEN }),
  mode: (runbook: string) => ({ [PK]: `RUNBOOK#${runbook}`, [SK]: 'MODE' }),
  fleetPartition: (runbook: string) => `FLEET#${runbook}`,
  seen: (runbook: string, instanceId: string) => ({ [PK]: `FLEET#${runbook}`, [SK]: `S#${instanceId}` }),
  /** A fleet alarm's last reported series count (its name hashed: names are long and untrusted). */
  series: (runbook: string, alarmKey: string) => ({ [PK]: `FLEET#${runbook}`, [SK]: `N#${alarmKey}` }),
  waitListPartition: (list: string) => `${WAIT_LIST_PREFIX}${list}`,
  waitEntry: (list: string, until: number, incidentId: string) => ({
    [PK]: `${WAIT_LIST_PREFIX}${list}`,
    [SK]: `${waitEntryStart(until)}#${incidentId}`,
  }),
  alarm: (runbook: string, at: number, instanceId: string) => ({
    [PK]: `FLEET#${runbook}`,
    [SK]: `A#${new Date(at).toISOString()}#${instanceId}`,
  }),
} as const;

export const WAIT_LIST_PREFIX = 'WAIT#';
export const WAIT_ENTRY_PREFIX = 'W#';
/** The sort key from which a wait list's entries with a deadline after `after` begin (ms, 15 digits). */
export function waitEntryStart(after: number): string {
  return `${WAIT_ENTRY_PREFIX}${String(Math.max(0, Math.floor(after))).padStart(15, '0')}`;
}
/** Sorts after every entry of a wait list. */
export const WAIT_ENTRY_END = `${WAIT_ENTRY_PREFIX}~`;
/** An entry lingers a day after its deadline (it no longer counts then), then DynamoDB's TTL removes it. */
export const WAIT_ENTRY_TTL_GRACE_SECONDS = 86_400;

export const SLOT_PREFIX = 'SLOT#';
export const RUN_PREFIX = 'RUN#';
/** Sorts after every `RUN#` key, so that a newest-first read of the runs meets it first. */
export const RUNS_FORGOTTEN = '~FORGOTTEN';
/** A judged run is kept this long (DynamoDB's TTL), enough for a runbook that runs once a month. */
export const RUN_TTL_DAYS = 90;
export const BUDGET_PREFIX = 'BUDGET#';
/** An hour's budget item is kept a day after the hour, then DynamoDB's TTL removes it. */
const BUDGET_TTL_SECONDS = 86_400;

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
  // One item per clock hour: no writer ever has to reset a count, so writers of a new hour never race.
  const budget = {
    UpdateExpression: 'ADD #used :one SET #ttl = :ttl',
    ConditionExpression: 'attribute_not_exists(#used) OR #used < :max',
    ExpressionAttributeNames: { '#used': 'used', '#ttl': TTL },
    ExpressionAttributeValues: {
      ':one': 1,
      ':max': hold.budgetMax,
      ':ttl': Math.ceil(Date.parse(`${hold.budgetHour}:00:00Z`) / 1000) + BUDGET_TTL_SECONDS,
    },
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
    {
      Update: {
        TableName: tableName,
        Key: fleetKeys.budget(incident.key.runbook, hold.budgetHour),
        ...budget,
      },
    },
  ];
}
