import { type AlarmChange, type AlarmTarget, alarmIdentity } from './alarm.ts';
import type { IncidentKey } from './incident.ts';

/** The target of an alarm that names no single instance: the alarm itself, paged and never acted on. */
export const NO_TARGET = 'none';

/**
 * The key of the incident an alarm belongs to: the alarm (a stable hash of its ARN, and for a
 * multi-time-series alarm of the contributor too; names are long and untrusted, the hash is neither)
 * and its target, the instance it is about. Two alarms on one instance are two keys, and so are two
 * series of one fleet alarm on one instance (`exe=nginx`, `exe=php-fpm`): each has its own incident,
 * and the instance's lease makes them take turns. The runbook that answers the alarm travels with the
 * key, but is not part of its identity.
 */
export function incidentKeyFor(runbook: string, alarm: AlarmChange, target: AlarmTarget): IncidentKey {
  return {
    runbook,
    alarm: fnv1a64(alarmIdentity(alarm)),
    target: target.kind === 'instance' ? target.instanceId : NO_TARGET,
  };
}

/**
 * The id of the incident opened by an alarm entering ALARM at `stateAt`: the alarm's hash, the
 * target and the state's time. Derived, not random, so a duplicate delivery of the same event names
 * the same incident; it names its key, so that an SSM command's Comment (which carries the id) leads
 * back to the incident's record. At most 56 characters.
 */
export function incidentIdFor(key: IncidentKey, stateAt: number): string {
  const stamp = new Date(stateAt)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.(\d{3})Z$/, '$1Z');
  return `${key.alarm}.${key.target}.${stamp}`;
}

const ID = /^([0-9a-f]{16})\.([a-z0-9-]{1,40})\.\d{8}T\d{9}Z(?:\s|$)/;

/**
 * The key named by an incident id (or by a text that starts with one, such as an SSM Comment), for
 * the runbook given; undefined when the text names no incident of this version.
 */
export function keyOfIncidentId(text: string, runbook: string): IncidentKey | undefined {
  const match = ID.exec(text);
  if (!match) return undefined;
  return { runbook, alarm: match[1] as string, target: match[2] as string };
}

/** 64-bit FNV-1a of a string, as 16 hex digits. Not cryptographic: it names, it does not protect. */
export function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}
