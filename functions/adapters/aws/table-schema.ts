/**
 * The single table's shape, shared by the store, the stack and the tests that create the table on
 * DynamoDB Local, so that the three cannot drift apart.
 */
export const TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds after which DynamoDB may delete a closed record. */
  ttlAttribute: 'expiresAt',
} as const;

/** Closed incidents are kept this long for reports, then expire. */
export const CLOSED_RETENTION_DAYS = 90;
