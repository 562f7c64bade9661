/**
 * The single table's shape, shared by the store, the stack and the tests that create the table on
 * DynamoDB Local, so that the three cannot drift apart.
 */
export const TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds after which DynamoDB may delete a closed record. */
  ttlAttribute: 'expiresAt',
  /**
   * The sparse index of open incidents: only the HEAD of an open incident carries `openShard`
   * (`<runbook>#<shard>`), so an incident enters it when it opens and leaves it when it closes (two
   * index writes in its life), and the resync finds every open incident without a scan.
   */
  openIndex: { name: 'open-incidents', partitionKey: 'openShard' },
} as const;

/** Shards of each runbook's open incidents in the index (so that a storm of openings spreads its writes). */
export const OPEN_SHARDS = 4;

/** Closed incidents are kept this long for reports, then expire. */
export const CLOSED_RETENTION_DAYS = 90;
