import { type AttributeValue, type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { TABLE } from '../functions/adapters/aws/table-schema.ts';

/**
 * DynamoDB's billing of the incident table and its index of open incidents, worked out from the items themselves as
 * AWS documents it, because DynamoDB Local's `ConsumedCapacity` does not double transactions and
 * gives nothing for queries:
 * - an item's size is the UTF-8 length of each attribute name plus its value (strings: UTF-8
 *   bytes; numbers: about one byte per two significant digits plus one, see `numberBytes`; binary:
 *   raw bytes; booleans and nulls: one byte; lists and maps: three bytes plus one per element plus
 *   the elements);
 * - a write costs one unit per KB of the larger of the item before and after it (PutItem and
 *   UpdateItem) or of the deleted item (DeleteItem), at least one, and twice that in a transaction;
 * - the keys-only index adds one unit when a write gives an item its index key, one when it takes it
 *   away and two when it changes it (an entry is far below 1 KB), doubled in a transaction like the
 *   item's own (an assumption on the safe side);
 * - a strongly consistent read costs one unit per 4 KB of what it returns (a query, of all the items
 *   together), at least one.
 * A write whose condition fails is charged like one that changed nothing.
 */
export class CapacityMeter {
  writeUnits = 0;
  readUnits = 0;
  readonly byOperation = new Map<string, number>();

  private readonly probe: DynamoDBClient;
  private readonly tableName: string;

  /** `probe` is a second client on the same endpoint, used to read items before and after a write. */
  constructor(probe: DynamoDBClient, tableName: string) {
    this.probe = probe;
    this.tableName = tableName;
  }

  attach(client: DynamoDBClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const operation = String(context.commandName).replace(/Command$/, '');
        const writes = writesOf(operation, args.input as Record<string, unknown>);
        const before = await Promise.all(writes.map((w) => this.read(w.key)));
        let result: Awaited<ReturnType<typeof next>> | undefined;
        let failure: unknown;
        try {
          result = await next(args);
        } catch (error) {
          failure = error;
        }
        const after = await Promise.all(writes.map((w) => this.read(w.key)));
        writes.forEach((w, i) => {
          const units = writeUnitsOf(w, before[i], after[i]);
          this.writeUnits += units;
          this.add(operation, units);
        });
        if (result)
          this.readUnits += readUnitsOf(operation, result.output as unknown as Record<string, unknown>);
        if (failure) throw failure;
        return result as Awaited<ReturnType<typeof next>>;
      },
      { step: 'build', name: 'capacityMeter' },
    );
  }

  reset(): void {
    this.writeUnits = 0;
    this.readUnits = 0;
    this.byOperation.clear();
  }

  private add(operation: string, units: number): void {
    this.byOperation.set(operation, (this.byOperation.get(operation) ?? 0) + units);
  }

  private async read(
    key: Record<string, AttributeValue>,
  ): Promise<Record<string, AttributeValue> | undefined> {
    const { Item } = await this.probe.send(
      new GetItemCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return Item;
  }
}

interface Write {
  readonly kind: 'put' | 'update' | 'delete' | 'check';
  readonly key: Record<string, AttributeValue>;
  readonly transactional: boolean;
}

function writesOf(operation: string, input: Record<string, unknown>): Write[] {
  const keyOf = (item: Record<string, AttributeValue>) => ({
    [TABLE.partitionKey]: item[TABLE.partitionKey] as AttributeValue,
    [TABLE.sortKey]: item[TABLE.sortKey] as AttributeValue,
  });
  type Entry = { Item?: Record<string, AttributeValue>; Key?: Record<string, AttributeValue> };
  const one = (kind: Write['kind'], entry: Entry, transactional: boolean): Write => ({
    kind,
    key: entry.Item ? keyOf(entry.Item) : (entry.Key as Record<string, AttributeValue>),
    transactional,
  });
  switch (operation) {
    case 'PutItem':
      return [one('put', input as Entry, false)];
    case 'UpdateItem':
      return [one('update', input as Entry, false)];
    case 'DeleteItem':
      return [one('delete', input as Entry, false)];
    case 'TransactWriteItems':
      return ((input.TransactItems ?? []) as Record<string, Entry>[]).map((entry) => {
        if (entry.Put) return one('put', entry.Put, true);
        if (entry.Update) return one('update', entry.Update, true);
        if (entry.Delete) return one('delete', entry.Delete, true);
        return one('check', entry.ConditionCheck as Entry, true);
      });
    default:
      return [];
  }
}

function writeUnitsOf(
  write: Write,
  before: Record<string, AttributeValue> | undefined,
  after: Record<string, AttributeValue> | undefined,
): number {
  const size = Math.max(before ? itemBytes(before) : 0, after ? itemBytes(after) : 0);
  return (kilobytes(size, 1024) + indexWrites(before, after)) * (write.transactional ? 2 : 1);
}

/** Writes to the index of open incidents that a change of an item makes (keys only: only its key counts). */
function indexWrites(
  before: Record<string, AttributeValue> | undefined,
  after: Record<string, AttributeValue> | undefined,
): number {
  const key = TABLE.openIndex.partitionKey;
  const was = before?.[key]?.S;
  const is = after?.[key]?.S;
  if (was === is) return 0;
  return (was === undefined ? 0 : 1) + (is === undefined ? 0 : 1);
}

function readUnitsOf(operation: string, output: Record<string, unknown>): number {
  if (operation === 'GetItem') {
    const item = output.Item as Record<string, unknown> | undefined;
    return kilobytes(item ? itemBytes(asAttributes(item)) : 0, 4096);
  }
  if (operation === 'Query' || operation === 'Scan') {
    const items = ((output.Items ?? []) as Record<string, unknown>[]).map(asAttributes);
    return kilobytes(
      items.reduce((sum, item) => sum + itemBytes(item), 0),
      4096,
    );
  }
  return 0;
}

/**
 * Items as AttributeValues: a document client's output reaches this step already unmarshalled
 * (every item of the table has a string partition key, so the two forms cannot be confused).
 */
function asAttributes(item: Record<string, unknown>): Record<string, AttributeValue> {
  return typeof item[TABLE.partitionKey] === 'string'
    ? marshall(item, { removeUndefinedValues: true, convertClassInstanceToMap: true })
    : (item as Record<string, AttributeValue>);
}

function kilobytes(bytes: number, unit: number): number {
  return Math.max(1, Math.ceil(bytes / unit));
}

/** An item's size as DynamoDB counts it (see {@link CapacityMeter}). */
export function itemBytes(item: Record<string, AttributeValue>): number {
  let total = 0;
  for (const [name, value] of Object.entries(item)) total += utf8(name) + valueBytes(value);
  return total;
}

function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.L !== undefined) return 3 + value.L.reduce((sum, v) => sum + 1 + valueBytes(v), 0);
  if (value.M !== undefined) {
    return 3 + Object.entries(value.M).reduce((sum, [k, v]) => sum + 1 + utf8(k) + valueBytes(v), 0);
  }
  if (value.SS !== undefined) return value.SS.reduce((sum, s) => sum + utf8(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, n) => sum + numberBytes(n), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, b) => sum + b.length, 0);
  throw new Error(`itemBytes: unknown attribute value ${JSON.stringify(value)}`);
}

/**
 * A number is stored as base-100 digit pairs aligned on the decimal point, without leading or
 * trailing zero pairs, plus one byte (and one more when negative): the documented "one byte per two
 * significant digits plus one", made exact (1,000 takes 2 bytes, 1,010 takes 3). Checked against
 * DynamoDB Local at the 1 KB boundary (test/integration/capacity-meter.test.ts).
 */
function numberBytes(n: string): number {
  const negative = n.startsWith('-');
  const [mantissa = '0', exponent = '0'] = n.replace(/^[-+]/, '').toLowerCase().split('e');
  const [whole = '', fraction = ''] = mantissa.split('.');
  // Move the decimal point by the exponent, then pad both sides to whole pairs.
  const digits = whole + fraction;
  const point = whole.length + Number(exponent);
  const left = point > digits.length ? digits.padEnd(point, '0') : digits.slice(0, Math.max(point, 0));
  const right = point < 0 ? '0'.repeat(-point) + digits : digits.slice(Math.max(point, 0));
  const pairs =
    `${left.length % 2 ? '0' : ''}${left}${right}${right.length % 2 ? '0' : ''}`.match(/../g) ?? [];
  let first = 0;
  let last = pairs.length;
  while (first < last && pairs[first] === '00') first++;
  while (last > first && pairs[last - 1] === '00') last--;
  if (first === last) return 1;
  return last - first + 1 + (negative ? 1 : 0);
}

function utf8(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}
