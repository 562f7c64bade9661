import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import type { AlarmMemory, Incident, KeyRecord } from '../../core/incident.ts';
import { CLOSED_RETENTION_DAYS, OPEN_SHARDS, TABLE } from './table-schema.ts';

const { partitionKey: PK, sortKey: SK, ttlAttribute: TTL } = TABLE;
const OPEN = TABLE.openIndex.partitionKey;
/**
 * A plain attribute that items written by earlier versions carry (the key of a command index the
 * table no longer has); the same value is inside the record, so it is dropped on reading.
 */
const LEGACY_COMMAND_ID = 'commandId';

/** The sort key of an incident's current episode. */
export const HEAD = 'HEAD';
/** The attribute holding the incident's compressed record. */
export const BODY = 'body';
/** First byte of {@link BODY}: how the rest is encoded (brotli-compressed JSON). */
const FORMAT_BROTLI_JSON = 1;
/**
 * Brotli quality 5: within a few percent of the best ratio on records of a few KB, at about 30 µs
 * a record (quality 11 saves another 10% for 60 times the CPU).
 */
const BROTLI = {
  params: {
    [constants.BROTLI_PARAM_QUALITY]: 5,
    [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
  },
};

/**
 * The partition of an incident key: the alarm's hash and the target (both derived: no `#` or `.`
 * inside). The runbook is not part of it: an alarm's episodes stay together whichever runbook answers.
 */
export function partitionOf(key: Incident['key']): string {
  return `INCIDENT#${key.alarm}.${key.target}`;
}

/**
 * Where the previous version kept a key's incidents: per runbook and target (so two alarms of one
 * runbook on one instance shared one). Read once per key when the new partition is empty, and moved.
 */
export function legacyPartitionOf(key: Incident['key']): string {
  return `INCIDENT#${key.runbook}#${key.target}`;
}

/** The open-incident index's partition for a key: its runbook and a shard from the alarm's hash. */
export function openShardOf(
  key: Incident['key'],
  shard = Number.parseInt(key.alarm.slice(-2), 16) % OPEN_SHARDS,
): string {
  return `${key.runbook}#${Number.isFinite(shard) ? shard : 0}`;
}

/** Every open-incident index partition of a runbook. */
export function openShardsOf(runbook: string): string[] {
  return Array.from({ length: OPEN_SHARDS }, (_, shard) => `${runbook}#${shard}`);
}

/** The key of an incident from its partition and the runbook of its index entry (undefined if not this layout's). */
export function keyOfPartition(partition: string, runbook: string): Incident['key'] | undefined {
  const match = /^INCIDENT#([0-9a-f]{16})\.(.+)$/.exec(partition);
  return match ? { runbook, alarm: match[1] as string, target: match[2] as string } : undefined;
}

/** The `status` attribute of an item that holds only an alarm's remembered state. */
export const MEMORY_STATUS = 'alarm-state';

/** An alarm's remembered state as its item (the key's HEAD, until an incident takes its place). */
export function memoryToItem(memory: AlarmMemory): Record<string, unknown> {
  const { version, kind: _kind, ...rest } = memory;
  return {
    [PK]: partitionOf(memory.key),
    [SK]: HEAD,
    version,
    status: MEMORY_STATUS,
    [BODY]: encodeBody(rest),
  };
}

/** A key's HEAD item back as its record: an incident, or an alarm's remembered state. */
export function recordFromItem(item: Record<string, unknown>): KeyRecord {
  if (item.status === MEMORY_STATUS) {
    const { [BODY]: body, version } = item;
    return { kind: 'alarm-memory', ...decodeBody(body), version } as unknown as AlarmMemory;
  }
  return incidentFromItem(item);
}

/**
 * An incident as its item. DynamoDB bills writes per KB, and an incident's record (its alarm, the
 * history lines, each attempt's output) is mostly text that repeats itself: compressed, a typical
 * record takes one write unit instead of two, for every write of its life. What a condition, TTL or
 * a person in the console needs stays a plain attribute: the keys, `version`, `status`, the expiry.
 */
export function incidentToItem(incident: Incident, sortKey: string): Record<string, unknown> {
  const expires = incident.closedAt
    ? Math.floor(incident.closedAt / 1000) + CLOSED_RETENTION_DAYS * 86_400
    : undefined;
  const { version, status, ...rest } = incident;
  const open = sortKey === HEAD && status !== 'resolved';
  return {
    [PK]: partitionOf(incident.key),
    [SK]: sortKey,
    version,
    status,
    [BODY]: encodeBody(rest),
    ...(expires ? { [TTL]: expires } : {}),
    ...(open ? { [OPEN]: openShardOf(incident.key) } : {}),
  };
}

/**
 * An item back as its incident: compressed items, and items written before records were compressed
 * (every attribute plain), which are read as they are.
 */
export function incidentFromItem(item: Record<string, unknown>): Incident {
  const {
    [PK]: _pk,
    [SK]: _sk,
    [LEGACY_COMMAND_ID]: _command,
    [TTL]: _ttl,
    [OPEN]: _open,
    [BODY]: body,
    ...plain
  } = item;
  if (body === undefined) return plain as unknown as Incident;
  return { ...decodeBody(body), ...plain } as unknown as Incident;
}

function encodeBody(record: Record<string, unknown>): Uint8Array {
  const compressed = brotliCompressSync(Buffer.from(JSON.stringify(record), 'utf8'), BROTLI);
  const out = new Uint8Array(compressed.length + 1);
  out[0] = FORMAT_BROTLI_JSON;
  out.set(compressed, 1);
  return out;
}

function decodeBody(body: unknown): Record<string, unknown> {
  if (!(body instanceof Uint8Array) || body.length === 0) {
    throw new Error(`incident item: ${BODY} is not a binary value`);
  }
  if (body[0] !== FORMAT_BROTLI_JSON) {
    throw new Error(`incident item: unknown ${BODY} format ${body[0]}`);
  }
  const json = brotliDecompressSync(body.subarray(1)).toString('utf8');
  return JSON.parse(json) as Record<string, unknown>;
}
