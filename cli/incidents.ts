import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { incidentFromItem, MEMORY_STATUS } from '../functions/adapters/aws/incident-item.ts';
import { TABLE } from '../functions/adapters/aws/table-schema.ts';
import type { Incident } from '../functions/core/incident.ts';
import { clientFor, type TableOptions, tableName } from './kill-switch.ts';

/**
 * Incidents as operators look them up. Listing scans the table (bounded by `limit`): fine for an
 * operator's question, never on a handler's path.
 */
export async function readIncidents(options: TableOptions & { all?: boolean }): Promise<Incident[]> {
  const documents = DynamoDBDocumentClient.from(clientFor(options));
  const incidents: Incident[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new ScanCommand({
        TableName: tableName(options),
        FilterExpression: options.all
          ? 'begins_with(#pk, :incident)'
          : 'begins_with(#pk, :incident) AND #sk = :head',
        ExpressionAttributeNames: {
          '#pk': TABLE.partitionKey,
          ...(options.all ? {} : { '#sk': TABLE.sortKey }),
        },
        ExpressionAttributeValues: { ':incident': 'INCIDENT#', ...(options.all ? {} : { ':head': 'HEAD' }) },
        ExclusiveStartKey,
      }),
    );
    // A key with no incident may hold only its alarm's latest state: not an incident.
    for (const item of page.Items ?? [])
      if (item.status !== MEMORY_STATUS) incidents.push(incidentFromItem(item));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return incidents.sort((a, b) => b.openedAt - a.openedAt);
}

/** One line per incident, newest first. */
export function incidentLines(incidents: readonly Incident[]): string[] {
  if (incidents.length === 0) return ['no incidents'];
  return incidents.map((i) => {
    const refused = i.refusals?.length ? `  refused by ${i.refusals.map((r) => r.gate).join(', ')}` : '';
    return `${iso(i.openedAt)}  ${i.status.padEnd(17)} ${i.key.runbook.padEnd(17)} ${i.key.target.padEnd(22)} attempts ${i.attempts.length}  ${i.id}${refused}`;
  });
}

/** The whole story of one incident. */
export function incidentStory(incident: Incident): string[] {
  const lines = [
    `Incident ${incident.id}: ${incident.status}`,
    `  alarm     ${incident.alarm.name} (${incident.alarmState} since ${iso(incident.alarmStateAt)})`,
    `  target    ${incident.instanceId ?? incident.key.target}, runbook ${incident.key.runbook}`,
    `  opened    ${iso(incident.openedAt)}${incident.closedAt ? `, closed ${iso(incident.closedAt)}` : ''}`,
  ];
  if (incident.instance?.name || incident.instance?.zone)
    lines.push(
      `  instance  ${[incident.instance.name && `Name ${JSON.stringify(incident.instance.name)}`, incident.instance.zone].filter(Boolean).join(', ')}`,
    );
  const proposal = incident.proposal;
  if (proposal) {
    const params = Object.entries(proposal.parameters)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(', ');
    const answer = proposal.answer
      ? `${proposal.answer.kind}${proposal.answer.by ? ` by ${proposal.answer.by}` : ''} at ${iso(proposal.answer.at)}`
      : `awaiting an answer until ${iso(proposal.expiresAt)}`;
    lines.push(
      `  proposal  ${proposal.id}: ${proposal.action}${params ? ` (${params})` : ''} on ${proposal.instanceId}; ${answer}`,
    );
  }
  if (incident.owner) lines.push(`  owner     ${incident.owner.by} since ${iso(incident.owner.since)}`);
  if (incident.snoozedUntil !== undefined && incident.status === 'snoozed')
    lines.push(`  snoozed   until ${iso(incident.snoozedUntil)}`);
  for (const r of incident.responders ?? [])
    lines.push(
      `  person    ${iso(r.at)} ${r.by}: ${r.verb}${r.detail ? ` ${r.detail}` : ''}, ${r.outcome}${r.reason ? ` (${r.reason})` : ''}`,
    );
  for (const r of incident.refusals ?? [])
    lines.push(`  refused   by the ${r.gate} gate at ${iso(r.at)}: ${r.reason}`);
  if (incident.escalation)
    lines.push(`  paged     ${iso(incident.escalation.at)}: ${incident.escalation.reason}`);
  if (incident.resolution)
    lines.push(`  resolved  ${iso(incident.resolution.at)} (${incident.resolution.how})`);
  for (const a of incident.attempts) {
    const code = a.result?.responseCode === undefined ? '' : ` exit ${a.result.responseCode}`;
    lines.push(
      `  attempt ${a.number} ${a.action ?? ''} at ${iso(a.requestedAt)}${a.by ? ` asked by ${a.by}` : ''}: ${a.status}${code}${a.commandId ? ` (command ${a.commandId})` : ''}`,
    );
    if (a.failure) lines.push(`      ${a.failure}`);
  }
  lines.push('  history:');
  for (const h of incident.history) lines.push(`    ${iso(h.at)}  ${h.what}`);
  return lines;
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
