import { type DynamoDBClient, ScanCommand, type ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import { TABLE } from '../functions/adapters/aws/table-schema.ts';
import { type Incident, isOpen } from '../functions/core/incident.ts';
import { METRIC } from '../functions/core/metrics.ts';
import type { Runbook } from '../functions/core/runbook.ts';
import type { Runtime } from '../functions/handlers/runtime.ts';
import { RecordedMetrics } from '../local/local-ports.ts';
import type { BenchClock } from './harness.ts';
import { round } from './machine.ts';
import { add } from './storm-drain.ts';
import { INSTANCES, type SentCommand, type World } from './storm-world.ts';

/** What the storm proves from the table once it has drained: every incident ended, the limits held, one page each. */

/** What DynamoDB, SSM's commands and the pages say once nothing is outstanding. */
export async function prove(
  incidents: readonly (Incident | undefined)[],
  world: World,
  runtime: Runtime,
  runbook: Runbook,
  clock: BenchClock,
  client: DynamoDBClient,
  tableName: string,
) {
  const endStates: Record<string, number> = {};
  const escalationReasons: Record<string, number> = {};
  let escalated = 0;
  let lastClosedAt = 0;
  let firstOpenedAt = Number.POSITIVE_INFINITY;
  const versions: Record<string, number> = {};
  for (const incident of incidents) {
    add(endStates, endStateOf(incident));
    if (!incident) continue;
    add(versions, endStateOf(incident), incident.version);
    firstOpenedAt = Math.min(firstOpenedAt, incident.openedAt);
    lastClosedAt = Math.max(lastClosedAt, incident.closedAt ?? 0);
    if (incident.escalation) {
      escalated += 1;
      add(escalationReasons, incident.escalation.reason.split(':')[0] ?? incident.escalation.reason);
    }
  }

  // The commands as SSM ran them: each from its send to its finish.
  const edges = world.commands.flatMap((c) => [
    { at: c.sentAt, delta: 1 },
    { at: c.finishAt, delta: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let running = 0;
  let maxConcurrentCommands = 0;
  for (const edge of edges) {
    running += edge.delta;
    maxConcurrentCommands = Math.max(maxConcurrentCommands, running);
  }
  const byInstance = new Map<string, SentCommand[]>();
  for (const c of world.commands) byInstance.set(c.instanceId, [...(byInstance.get(c.instanceId) ?? []), c]);
  const instancesWithTwoCommandsInFlight: string[] = [];
  const commandsPerInstance: Record<string, number> = { '0': INSTANCES - byInstance.size };
  for (const [id, commands] of byInstance) {
    add(commandsPerInstance, String(commands.length));
    const sorted = [...commands].sort((a, b) => a.sentAt - b.sentAt);
    if (sorted.some((c, i) => i > 0 && c.sentAt < (sorted[i - 1] as SentCommand).finishAt))
      instancesWithTwoCommandsInFlight.push(id);
  }

  // Every lease and slot an attempt took is deleted when it is given back; any left was not.
  const left = { slots: 0, leases: 0 };
  let start: ScanCommandOutput['LastEvaluatedKey'];
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        ProjectionExpression: '#pk, #sk',
        FilterExpression: 'begins_with(#sk, :slot) OR begins_with(#pk, :lease)',
        ExpressionAttributeNames: { '#pk': TABLE.partitionKey, '#sk': TABLE.sortKey },
        ExpressionAttributeValues: { ':slot': { S: 'SLOT#' }, ':lease': { S: 'LEASE#' } },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      if (item[TABLE.sortKey]?.S?.startsWith('SLOT#')) left.slots += 1;
      else left.leases += 1;
    }
    start = page.LastEvaluatedKey;
  } while (start);
  const atEnd = await runtime.fleet.read(runbook, undefined, clock.now());

  const escalationPages = new Map<string, number>();
  const pageKinds: Record<string, number> = {};
  for (const page of world.pages) {
    add(pageKinds, page.page);
    if (page.page === 'escalation')
      escalationPages.set(page.incidentId, (escalationPages.get(page.incidentId) ?? 0) + 1);
  }
  const escalationPagesSent = [...escalationPages.values()].reduce((sum, n) => sum + n, 0);
  const metrics = runtime.metrics instanceof RecordedMetrics ? runtime.metrics : undefined;
  return {
    everyIncidentClosed: incidents.every((i) => i !== undefined && !isOpen(i)),
    endStates,
    // Every write of an incident's record increments its version: the record's own share of the writes.
    incidentRecordWritesPerIncident: Object.fromEntries(
      Object.entries(versions).map(([state, sum]) => [state, round(sum / (endStates[state] ?? 1), 1)]),
    ),
    escalationReasons,
    productMetrics: metrics
      ? Object.fromEntries(
          [METRIC.incidentsOpened, METRIC.attempts, METRIC.fixedAutomatically, METRIC.escalated].map(
            (name) => [name, metrics.total(name)],
          ),
        )
      : {},
    maxConcurrentCommands,
    instancesWithTwoCommandsInFlight,
    commandsPerInstance,
    slots: {
      slotsInUseAtEnd: atEnd.fleet.slotsInUse,
      slotItemsLeft: left.slots,
      leaseItemsLeft: left.leases,
      everyHoldReleased: atEnd.fleet.slotsInUse === 0 && left.slots === 0 && left.leases === 0,
    },
    pages: {
      byKind: pageKinds,
      escalatedIncidents: escalated,
      escalationPagesSent,
      onePagePerEscalatedIncident:
        escalationPagesSent === escalated && [...escalationPages.values()].every((n) => n === 1),
    },
    lastClosedAfterSeconds: round((lastClosedAt - firstOpenedAt) / 1000, 0),
  };
}

/** An incident's end, in the product's words: its status, how it resolved, and whether a human was paged. */
export function endStateOf(incident: Incident | undefined): string {
  if (!incident) return 'no incident';
  const how = incident.resolution ? ` (${incident.resolution.how})` : '';
  const paged = incident.escalation && incident.status !== 'escalated' ? ' after a page' : '';
  return `${isOpen(incident) ? 'open: ' : ''}${incident.status}${how}${paged}`;
}
