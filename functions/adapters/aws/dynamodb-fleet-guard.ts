import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { BreakerRecord, RunOutcome } from '../../core/fleet.ts';
import { FLEET_SEEN_DAYS } from '../../core/fleet.ts';
import { budgetHour, type FleetFacts, type ModeOverride } from '../../core/gates.ts';
import { fnv1a64 } from '../../core/identity.ts';
import type { Hold } from '../../core/incident.ts';
import type { FleetGuard, FleetState, WaitEntry } from '../../core/ports.ts';
import type { Runbook } from '../../core/runbook.ts';
import type { WaitListName } from '../../core/wait-lists.ts';
import { DynamoDbWaitLists } from './dynamodb-wait-lists.ts';
import {
  BUDGET_PREFIX,
  fleetKeys,
  RUN_PREFIX,
  RUN_TTL_DAYS,
  RUNS_FORGOTTEN,
  SLOT_PREFIX,
} from './fleet-items.ts';
import { TABLE } from './table-schema.ts';

const { partitionKey: PK, sortKey: SK, ttlAttribute: TTL } = TABLE;

/** The fleet gates' state in the incident table (layout in `fleet-items.ts`). */
export class DynamoDbFleetGuard implements FleetGuard {
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly waitLists: DynamoDbWaitLists;

  constructor(client: DynamoDBClient, tableName: string) {
    this.documents = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.tableName = tableName;
    this.waitLists = new DynamoDbWaitLists(this.documents, tableName);
  }

  async read(runbook: Runbook, instanceId: string | undefined, now: number): Promise<FleetState> {
    const [items, lease] = await Promise.all([
      this.queryAll(fleetKeys.runbookPartition(runbook.name)),
      instanceId
        ? this.documents
            .send(
              new GetCommand({
                TableName: this.tableName,
                Key: fleetKeys.lease(instanceId),
                ConsistentRead: true,
              }),
            )
            .then((r) => r.Item)
        : undefined,
    ]);
    const held = new Set<number>();
    const hour = budgetHour(now);
    let inUse = 0;
    let budget: FleetFacts['budget'];
    let breaker: BreakerRecord | undefined;
    let mode: ModeOverride | undefined;
    for (const item of items) {
      const sk = String(item[SK]);
      if (sk.startsWith(SLOT_PREFIX)) {
        if (Number(item.until) > now) {
          inUse++;
          held.add(Number(item.slot));
        }
      } else if (sk === `${BUDGET_PREFIX}${hour}`) budget = { hour, used: Number(item.used) };
      else if (sk === 'BREAKER') breaker = toBreaker(item);
      else if (sk === 'MODE') mode = toMode(item);
    }
    const freeSlots: number[] = [];
    for (let slot = 0; slot < runbook.concurrency.maxInFlight; slot++)
      if (!held.has(slot)) freeSlots.push(slot);
    const liveLease =
      lease && Number(lease.until) > now
        ? { holder: String(lease.holder), runbook: String(lease.runbook), expiresAt: Number(lease.until) }
        : undefined;
    return {
      fleet: {
        slotsInUse: inUse,
        freeSlots,
        ...(budget ? { budget } : {}),
        ...(liveLease ? { lease: liveLease } : {}),
      },
      ...(breaker ? { breaker } : {}),
      ...(mode ? { mode } : {}),
    };
  }

  async release(hold: Hold, holder: string, runbook: string): Promise<{ lease: boolean; slot: boolean }> {
    const [lease, slot] = await Promise.all([
      this.deleteIfHeld(fleetKeys.lease(hold.instanceId), holder, hold.attempt),
      this.deleteIfHeld(fleetKeys.slot(runbook, hold.slot), holder, hold.attempt),
    ]);
    return { lease, slot };
  }

  joinWaitList(entry: WaitEntry): Promise<void> {
    return this.waitLists.join(entry);
  }

  inWaitList(list: WaitListName, until: number, incidentId: string): Promise<boolean> {
    return this.waitLists.has(list, until, incidentId);
  }

  leaveWaitList(list: WaitListName, until: number, incidentId: string): Promise<void> {
    return this.waitLists.leave(list, until, incidentId);
  }

  takeFromWaitList(list: WaitListName, count: number, now: number): Promise<WaitEntry[]> {
    return this.waitLists.take(list, count, now);
  }

  async recordAlarm(runbook: string, instanceId: string, state: string, at: number): Promise<void> {
    const seenTtl = Math.ceil(at / 1000) + FLEET_SEEN_DAYS * 86_400;
    await Promise.all([
      this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...fleetKeys.seen(runbook, instanceId), lastSeenAt: at, [TTL]: seenTtl },
        }),
      ),
      state === 'ALARM'
        ? this.documents.send(
            new PutCommand({
              TableName: this.tableName,
              Item: {
                ...fleetKeys.alarm(runbook, at, instanceId),
                instanceId,
                at,
                [TTL]: Math.ceil(at / 1000) + 86_400,
              },
            }),
          )
        : undefined,
    ]);
  }

  async alarmWindow(
    runbook: string,
    since: number,
    enough: number,
  ): Promise<{ instanceId: string; at: number }[]> {
    const found = new Map<string, number>();
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
          ExpressionAttributeValues: {
            ':pk': fleetKeys.fleetPartition(runbook),
            ':from': `A#${new Date(since).toISOString()}`,
            ':to': 'A#~',
          },
          ConsistentRead: true,
          Limit: Math.max(enough * 2, 25),
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        const id = String(item.instanceId);
        if (!found.has(id)) found.set(id, Number(item.at));
      }
      start = page.LastEvaluatedKey;
    } while (start && found.size < enough);
    return [...found.entries()].map(([instanceId, at]) => ({ instanceId, at }));
  }

  async recordFleetSeries(runbook: string, alarmName: string, series: number, at: number): Promise<void> {
    await this.documents
      .send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...fleetKeys.series(runbook, fnv1a64(alarmName)),
            series,
            at,
            [TTL]: Math.ceil(at / 1000) + FLEET_SEEN_DAYS * 86_400,
          },
          // Out of order deliveries: an older count never replaces a newer one.
          ConditionExpression: 'attribute_not_exists(#at) OR #at <= :at',
          ExpressionAttributeNames: { '#at': 'at' },
          ExpressionAttributeValues: { ':at': at },
        }),
      )
      .catch((error: unknown) => {
        if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
      });
  }

  async fleetSeries(runbook: string, since: number): Promise<number> {
    const page = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :series)',
        FilterExpression: '#at >= :since',
        ExpressionAttributeNames: { '#pk': PK, '#sk': SK, '#at': 'at' },
        ExpressionAttributeValues: {
          ':pk': fleetKeys.fleetPartition(runbook),
          ':series': 'N#',
          ':since': since,
        },
        ConsistentRead: true,
      }),
    );
    // One item per fleet alarm (16 at most per runbook when sharded): one page.
    return (page.Items ?? []).reduce((sum, item) => sum + (Number(item.series) || 0), 0);
  }

  async seenCount(runbook: string, since: number): Promise<number> {
    let count = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :seen)',
          FilterExpression: 'lastSeenAt >= :since',
          ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
          ExpressionAttributeValues: {
            ':pk': fleetKeys.fleetPartition(runbook),
            ':seen': 'S#',
            ':since': since,
          },
          Select: 'COUNT',
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      count += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);
    return count;
  }

  async openBreaker(runbook: string, record: BreakerRecord, quietSeconds: number): Promise<boolean> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...fleetKeys.breaker(runbook), ...record, instances: new Set(record.instances) },
          ConditionExpression: 'attribute_not_exists(#pk) OR #state = :closed OR lastAlarmAt <= :quietStart',
          ExpressionAttributeNames: { '#pk': PK, '#state': 'state' },
          ExpressionAttributeValues: {
            ':closed': 'closed',
            ':quietStart': record.openedAt - quietSeconds * 1000,
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async addToBreaker(runbook: string, openedAt: number, instanceId: string, at: number): Promise<void> {
    await this.ifCurrent(
      new UpdateCommand({
        TableName: this.tableName,
        Key: fleetKeys.breaker(runbook),
        // Concurrent handlers' clocks differ by milliseconds; the quiet period does not care which wins.
        UpdateExpression: 'ADD instances :instance SET lastAlarmAt = :at',
        ConditionExpression: 'openedAt = :openedAt AND #state = :open',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':instance': new Set([instanceId]),
          ':at': at,
          ':openedAt': openedAt,
          ':open': 'open',
        },
      }),
    );
  }

  async breakerPaged(
    runbook: string,
    openedAt: number,
    messageId: string,
    named: readonly string[],
  ): Promise<void> {
    // A string set cannot be empty: a page that names nobody new adds nothing.
    await this.ifCurrent(
      new UpdateCommand({
        TableName: this.tableName,
        Key: fleetKeys.breaker(runbook),
        UpdateExpression: named.length > 0 ? 'SET page = :page ADD named :named' : 'SET page = :page',
        ConditionExpression: 'openedAt = :openedAt',
        ExpressionAttributeValues: {
          ':page': { status: 'sent', messageId },
          ':openedAt': openedAt,
          ...(named.length > 0 ? { ':named': new Set(named) } : {}),
        },
      }),
    );
  }

  async suppressedUnder(
    runbook: string,
    instanceId: string,
    dueAt: number,
  ): Promise<{ readonly openedAt: number; readonly dueAt: number } | undefined> {
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: fleetKeys.breaker(runbook),
          UpdateExpression: 'ADD instances :instance SET updateDueAt = if_not_exists(updateDueAt, :due)',
          // Not when a group page names it already: nothing new to tell.
          ConditionExpression: '#state = :open AND NOT contains(named, :id)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':instance': new Set([instanceId]),
            ':id': instanceId,
            ':due': dueAt,
            ':open': 'open',
          },
          ReturnValues: 'ALL_OLD',
        }),
      );
      if (!Attributes || Attributes.updateDueAt !== undefined) return undefined;
      return { openedAt: Number(Attributes.openedAt), dueAt };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async clearBreakerUpdate(runbook: string, openedAt: number): Promise<void> {
    await this.ifCurrent(
      new UpdateCommand({
        TableName: this.tableName,
        Key: fleetKeys.breaker(runbook),
        UpdateExpression: 'REMOVE updateDueAt',
        ConditionExpression: 'openedAt = :openedAt',
        ExpressionAttributeValues: { ':openedAt': openedAt },
      }),
    );
  }

  async closeBreaker(
    runbook: string,
    close: { at: number; by?: string; reason?: string; quietSince?: number },
  ): Promise<BreakerRecord | undefined> {
    const names: Record<string, string> = { '#state': 'state' };
    const values: Record<string, unknown> = { ':open': 'open', ':closed': 'closed', ':at': close.at };
    const sets = ['#state = :closed', 'closedAt = :at'];
    if (close.by) {
      sets.push('closedBy = :by');
      values[':by'] = close.by;
    }
    if (close.reason) {
      sets.push('closeReason = :reason');
      values[':reason'] = close.reason;
    }
    let condition = '#state = :open';
    if (close.quietSince !== undefined) {
      condition += ' AND lastAlarmAt <= :quietSince';
      values[':quietSince'] = close.quietSince;
    }
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: fleetKeys.breaker(runbook),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? toBreaker(Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async breakerCloseAnnounced(runbook: string, openedAt: number, at: number): Promise<void> {
    await this.ifCurrent(
      new UpdateCommand({
        TableName: this.tableName,
        Key: fleetKeys.breaker(runbook),
        UpdateExpression: 'SET closeAnnouncedAt = :at',
        ConditionExpression: 'openedAt = :openedAt AND #state = :closed',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':at': at, ':openedAt': openedAt, ':closed': 'closed' },
      }),
    );
  }

  /**
   * Each run is an item of its own, written without a condition: runs verified together (a storm's
   * fixes clear together) never contend, where one record of the latest runs made each writer read,
   * merge and retry, and lose runs after enough refusals. The latest `keep` are then read newest
   * first, with the forget marker, which sorts after every run.
   */
  async recordRuns(runbook: string, runs: readonly RunOutcome[], keep: number): Promise<RunOutcome[]> {
    await Promise.all(
      runs.map((run) =>
        this.documents.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              ...fleetKeys.run(runbook, run),
              incidentId: run.incidentId,
              attempt: run.attempt,
              at: run.at,
              verified: run.verified,
              [TTL]: Math.floor(run.at / 1000) + RUN_TTL_DAYS * 86_400,
            },
          }),
        ),
      ),
    );
    const { Items = [] } = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': PK },
        ExpressionAttributeValues: { ':pk': fleetKeys.runsPartition(runbook) },
        ScanIndexForward: false,
        Limit: keep + 1,
        ConsistentRead: true,
      }),
    );
    const forgotten = Items.find((item) => item[SK] === RUNS_FORGOTTEN);
    const since = Number(forgotten?.before ?? 0);
    return Items.filter((item) => String(item[SK]).startsWith(RUN_PREFIX))
      .map(
        (item): RunOutcome => ({
          incidentId: String(item.incidentId),
          attempt: Number(item.attempt),
          at: Number(item.at),
          verified: item.verified === true,
        }),
      )
      .filter((run) => run.at >= since)
      .slice(0, keep)
      .reverse();
  }

  async setMode(runbook: string, override: ModeOverride): Promise<boolean> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...fleetKeys.mode(runbook), ...override },
          // A switch to the other mode (dry-run to approve, say) replaces the one in force.
          ConditionExpression: 'attribute_not_exists(#pk) OR #mode <> :mode',
          ExpressionAttributeNames: { '#pk': PK, '#mode': 'mode' },
          ExpressionAttributeValues: { ':mode': override.mode },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async clearMode(runbook: string, now: number): Promise<boolean> {
    const [{ Attributes }] = await Promise.all([
      this.documents.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: fleetKeys.mode(runbook),
          ReturnValues: 'ALL_OLD',
        }),
      ),
      // A runbook let back in starts a fresh record: the runs that switched it off are judged already.
      this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...fleetKeys.runsForgotten(runbook), before: now },
        }),
      ),
    ]);
    return Attributes !== undefined;
  }

  /**
   * Deletes a lease or slot only if this attempt still holds it (a lapsed one may be someone else's
   * now); true when this call deleted it.
   */
  private async deleteIfHeld(key: Record<string, string>, holder: string, attempt: number): Promise<boolean> {
    return this.ifCurrent(
      new DeleteCommand({
        TableName: this.tableName,
        Key: key,
        ConditionExpression: '#holder = :holder AND #attempt = :attempt',
        ExpressionAttributeNames: { '#holder': 'holder', '#attempt': 'attempt' },
        ExpressionAttributeValues: { ':holder': holder, ':attempt': attempt },
      }),
    );
  }

  /**
   * Sends a write whose condition failing means someone else's state is current: nothing to do.
   * True when the write took effect.
   */
  private async ifCurrent(command: UpdateCommand | DeleteCommand): Promise<boolean> {
    try {
      await this.documents.send(command as UpdateCommand);
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return false;
    }
  }

  private async queryAll(partition: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': PK },
          ExpressionAttributeValues: { ':pk': partition },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }
}

function toBreaker(item: Record<string, unknown>): BreakerRecord {
  const instances =
    item.instances instanceof Set ? [...item.instances] : ((item.instances as string[]) ?? []);
  return {
    state: item.state === 'open' ? 'open' : 'closed',
    openedAt: Number(item.openedAt),
    reason: String(item.reason),
    instances: instances.map(String).sort(),
    lastAlarmAt: Number(item.lastAlarmAt),
    page: (item.page as BreakerRecord['page']) ?? { status: 'due' },
    ...(item.named instanceof Set || Array.isArray(item.named)
      ? { named: [...(item.named as Iterable<unknown>)].map(String).sort() }
      : {}),
    ...(item.updateDueAt === undefined ? {} : { updateDueAt: Number(item.updateDueAt) }),
    ...(item.closedAt === undefined ? {} : { closedAt: Number(item.closedAt) }),
    ...(item.closedBy === undefined ? {} : { closedBy: String(item.closedBy) }),
    ...(item.closeReason === undefined ? {} : { closeReason: String(item.closeReason) }),
    ...(item.closeAnnouncedAt === undefined ? {} : { closeAnnouncedAt: Number(item.closeAnnouncedAt) }),
  };
}

function toMode(item: Record<string, unknown>): ModeOverride {
  return {
    mode: item.mode === 'approve' ? 'approve' : 'dry-run',
    reason: String(item.reason),
    by: String(item.by),
    since: Number(item.since),
  };
}
