import type { AlarmChange, AlarmTarget } from './alarm.ts';
import type { IncidentKey } from './incident.ts';

/**
 * The key of the incident an alarm belongs to: the runbook and the instance, or a stable hash of the
 * alarm's ARN when it names no instance (alarm names are long and untrusted; the hash is neither).
 */
export function incidentKeyFor(runbook: string, alarm: AlarmChange, target: AlarmTarget): IncidentKey {
  return {
    runbook,
    target: target.kind === 'instance' ? target.instanceId : `alarm-${fnv1a64(alarm.alarmArn)}`,
  };
}

/**
 * The id of the incident opened by an alarm entering ALARM at `stateAt`. Derived, not random, so a
 * duplicate delivery of the same event names the same incident. At most 77 characters.
 */
export function incidentIdFor(key: IncidentKey, stateAt: number): string {
  const stamp = new Date(stateAt)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.(\d{3})Z$/, '$1Z');
  return `${key.runbook}.${key.target}.${stamp}`;
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
