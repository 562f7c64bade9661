import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbKillSwitch } from '../functions/adapters/aws/dynamodb-kill-switch.ts';
import type { KillSwitch } from '../functions/core/ports.ts';
import { LOCAL_CREDENTIALS } from '../local/dynamodb-local.ts';

/** Where the kill switch lives: a deployed stack's table, or a local one. */
export interface TableOptions {
  /** The incident table (the stack's IncidentTableName output); else REMEDIATION_TABLE. */
  readonly table?: string;
  /** A DynamoDB endpoint, for DynamoDB Local; else the AWS endpoint of the configured Region. */
  readonly endpoint?: string;
  readonly region?: string;
}

/** The kill switch of a deployed stack (AWS credentials and Region from the environment) or a local table. */
export function killSwitchFor(options: TableOptions): KillSwitch {
  return new DynamoDbKillSwitch(clientFor(options), tableName(options));
}

/** The incident table named by --table or REMEDIATION_TABLE. */
export function tableName(options: TableOptions): string {
  const table = options.table ?? process.env.REMEDIATION_TABLE;
  if (!table) {
    throw new Error(
      'name the incident table: --table <name> (the stack output IncidentTableName) or REMEDIATION_TABLE',
    );
  }
  return table;
}

/** A DynamoDB client for a deployed stack, or for DynamoDB Local when --endpoint is given. */
export function clientFor(options: TableOptions): DynamoDBClient {
  return new DynamoDBClient({
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint
      ? { endpoint: options.endpoint, region: options.region ?? 'us-east-1', credentials: LOCAL_CREDENTIALS }
      : {}),
  });
}

/** The lines `remediate status` prints. */
export async function describePauses(killSwitch: KillSwitch): Promise<string[]> {
  const pauses = await killSwitch.list();
  if (pauses.length === 0) return ['automation is running: nothing is paused'];
  return pauses.map(
    (p) =>
      `paused: ${p.runbook ? `runbook ${p.runbook}` : 'all runbooks'} since ${new Date(p.since).toISOString()}` +
      `${p.by ? ` by ${p.by}` : ''}: ${p.reason}`,
  );
}
