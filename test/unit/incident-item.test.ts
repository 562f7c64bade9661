import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { itemBytes } from '../../bench/capacity.ts';
import { BODY, HEAD, incidentFromItem, incidentToItem } from '../../functions/adapters/aws/incident-item.ts';
import { CLOSED_RETENTION_DAYS } from '../../functions/adapters/aws/table-schema.ts';
import type { Incident } from '../../functions/core/incident.ts';
import { alarmInput, Scenario, T0 } from '../support/fixtures.ts';

/** The records of one incident's happy path, each as the decider wrote it. */
function happyPath(): { running: Incident; closed: Incident } {
  const s = new Scenario();
  s.apply(alarmInput('ALARM', T0));
  s.apply({ kind: 'command-sent', attempt: 1, commandId: '2f1c3a9e-6b7d-4c8e-9f0a-1b2c3d4e5f60' });
  const running = s.incident as Incident;
  s.after(40).apply({
    kind: 'command-finished',
    commandId: '2f1c3a9e-6b7d-4c8e-9f0a-1b2c3d4e5f60',
    result: { status: 'Success', responseCode: 0, stdout: 'removed 412 rotated logs, freed 2.3 GiB' },
  });
  s.after(60).apply(alarmInput('OK', s.now));
  return { running, closed: s.incident as Incident };
}

describe('the incident item', () => {
  it('reads back exactly the incident it was written from', () => {
    const { running, closed } = happyPath();
    for (const incident of [running, closed]) {
      expect(incidentFromItem(incidentToItem(incident, HEAD))).toEqual(incident);
    }
  });

  it('keeps plain only what conditions, TTL and the console need', () => {
    const { running, closed } = happyPath();

    const live = incidentToItem(running, HEAD);
    expect(Object.keys(live).sort()).toEqual(['body', 'openShard', 'pk', 'sk', 'status', 'version']);
    expect(live).toMatchObject({ version: running.version, status: 'remediating' });
    // The open-incident index: the runbook and a shard, only while open, only on the HEAD.
    expect(live.openShard).toMatch(new RegExp(`^${running.key.runbook}#[0-3]$`));
    expect(incidentToItem(running, 'EPISODE#1#x').openShard).toBeUndefined();
    expect(incidentFromItem(live)).toEqual(running);

    const done = incidentToItem(closed, HEAD);
    expect(Object.keys(done).sort()).toEqual(['body', 'expiresAt', 'pk', 'sk', 'status', 'version']);
    expect(done).toMatchObject({ version: closed.version, status: 'resolved' });
    expect(done.expiresAt).toBe(
      Math.floor((closed.closedAt as number) / 1000) + CLOSED_RETENTION_DAYS * 86_400,
    );
  });

  it('takes one write unit for a whole happy path: under 1 KB where plain attributes took two', () => {
    const { running, closed } = happyPath();
    for (const incident of [running, closed]) {
      const compressed = itemBytes(marshall(incidentToItem(incident, HEAD), { removeUndefinedValues: true }));
      const plain = itemBytes(
        marshall({ ...incident, pk: 'INCIDENT#x', sk: HEAD }, { removeUndefinedValues: true }),
      );
      expect(compressed).toBeLessThanOrEqual(1024);
      expect(plain).toBeGreaterThan(1024);
    }
  });

  it('reads items written before records were compressed, every attribute plain', () => {
    const { closed } = happyPath();
    const legacy = { ...closed, pk: 'INCIDENT#disk-full#i-1', sk: HEAD, expiresAt: 1 };

    expect(incidentFromItem(legacy)).toEqual(closed);
  });

  it('reads items that carry the plain command id of the index earlier versions kept', () => {
    const { running } = happyPath();
    const earlier = { ...incidentToItem(running, HEAD), commandId: '2f1c3a9e-6b7d-4c8e-9f0a-1b2c3d4e5f60' };

    expect(incidentFromItem(earlier)).toEqual(running);
  });

  it('refuses a body it cannot read rather than guess', () => {
    const { closed } = happyPath();
    const item = incidentToItem(closed, HEAD);
    const body = item[BODY] as Uint8Array;

    expect(() => incidentFromItem({ ...item, [BODY]: Uint8Array.from([9, ...body.subarray(1)]) })).toThrow(
      /unknown body format 9/,
    );
    expect(() => incidentFromItem({ ...item, [BODY]: 'not binary' })).toThrow(/not a binary value/);
  });
});
