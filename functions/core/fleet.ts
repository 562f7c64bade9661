import type { Attempt, Incident } from './incident.ts';
import type { AutoDisablePolicy, BreakerPolicy } from './runbook.ts';

/**
 * Fleet-wide judgements that no single incident can make: whether a runbook's alarms are a fleet
 * event (the breaker), and whether a runbook still earns the right to act (auto-disable). Pure: the
 * handler reads the records, these functions judge them.
 */

/** How far back an instance counts as part of a runbook's fleet for the breaker's percentage: long, so that healthy instances whose alarms rarely change still count. */
export const FLEET_SEEN_DAYS = 30;
/** The percentage rule applies once at least this many instances alarmed. */
export const PERCENT_RULE_MIN_INSTANCES = 3;

/** The instances that alarmed within the breaker's window, and how many the runbook has seen. */
export interface FleetWindow {
  readonly alarming: readonly { readonly instanceId: string; readonly at: number }[];
  readonly seen: number;
}

/** Whether the percentage rule needs the count of instances seen, given how many alarmed. */
export function needsSeenCount(alarming: number, policy: BreakerPolicy): boolean {
  return (
    policy.maxPercent !== undefined &&
    alarming >= PERCENT_RULE_MIN_INSTANCES &&
    alarming <= policy.maxInstances
  );
}

/** Why the breaker should open, or undefined while the alarms look like independent faults. */
export function breakerTrips(window: FleetWindow, policy: BreakerPolicy): string | undefined {
  const count = window.alarming.length;
  const minutes = Math.round(policy.windowSeconds / 60);
  if (count > policy.maxInstances) {
    return `${count} instances alarmed within ${minutes} min (more than ${policy.maxInstances})`;
  }
  if (policy.maxPercent !== undefined && count >= PERCENT_RULE_MIN_INSTANCES && window.seen > 0) {
    const percent = (100 * count) / Math.max(window.seen, count);
    if (percent > policy.maxPercent) {
      return `${count} of the ${window.seen} instances seen (${Math.round(percent)}%) alarmed within ${minutes} min (more than ${policy.maxPercent}%)`;
    }
  }
  return undefined;
}

/** A breaker as stored. */
export interface BreakerRecord {
  readonly state: 'open' | 'closed';
  readonly openedAt: number;
  readonly reason: string;
  /** Every instance that alarmed while it was open (and those that opened it). */
  readonly instances: readonly string[];
  /** The latest ALARM of the runbook; the breaker closes after the quiet period from it. */
  readonly lastAlarmAt: number;
  /** The group page: due until the pager confirms it. */
  readonly page: { readonly status: 'due' | 'sent'; readonly messageId?: string };
  /**
   * The instances the group pages a human received name: the opening page, then each update. An
   * instance suppressed under the breaker that none names yet is due in the next update.
   */
  readonly named?: readonly string[];
  /** When the next update page is due (set by the first suppression it will name; cleared once sent). */
  readonly updateDueAt?: number;
  readonly closedAt?: number;
  readonly closedBy?: string;
  readonly closeReason?: string;
  /** When the close's OK reached the pager (epoch ms): the group page is closed there too. */
  readonly closeAnnouncedAt?: number;
}

/** The breaker's instances no group page has named yet. */
export function unnamedInstances(record: BreakerRecord): string[] {
  const named = new Set(record.named ?? []);
  return record.instances.filter((id) => !named.has(id));
}

/** Whether a stored breaker still holds at `now` (it lapses after the quiet period even before it is closed). */
export function breakerHolds(
  record: BreakerRecord | undefined,
  policy: BreakerPolicy | false,
  now: number,
): boolean {
  if (!policy) return false;
  return record?.state === 'open' && now - record.lastAlarmAt < policy.quietSeconds * 1000;
}

/** A run of a runbook: one attempt whose command ran and was judged. */
export interface RunOutcome {
  readonly incidentId: string;
  readonly attempt: number;
  readonly at: number;
  readonly verified: boolean;
}

/**
 * Whether an attempt tells anything about the runbook: verified (the alarm returned to OK), or a
 * failure of the runbook itself (the script failed or timed out, or the alarm stayed). Attempts that
 * never ran (undeliverable, lost, dry-run) say nothing about the runbook and do not count.
 */
export function runVerdict(attempt: Attempt): boolean | undefined {
  if (attempt.verification === 'passed') return true;
  if (attempt.verification === 'failed') return false;
  if (attempt.status === 'failed' && (attempt.result?.responseCode ?? -1) >= 0) return false;
  return undefined;
}

/** The runs an incident's transition judged: attempts with a verdict now that had none before. */
export function judgedRuns(before: Incident | undefined, after: Incident, now: number): RunOutcome[] {
  const earlier = before?.id === after.id ? before.attempts : [];
  return after.attempts.flatMap((attempt) => {
    const verdict = runVerdict(attempt);
    if (verdict === undefined) return [];
    const previous = earlier.find((a) => a.number === attempt.number);
    if (previous && runVerdict(previous) !== undefined) return [];
    return [{ incidentId: after.id, attempt: attempt.number, at: now, verified: verdict }];
  });
}

/** Why the runbook should go to dry-run, judged on its latest runs, or undefined while it earns its keep. */
export function autoDisableTrips(
  runs: readonly RunOutcome[],
  policy: AutoDisablePolicy | false,
): string | undefined {
  if (!policy || runs.length < policy.lastRuns) return undefined;
  const latest = [...runs].sort((a, b) => a.at - b.at).slice(-policy.lastRuns);
  const verified = latest.filter((r) => r.verified).length;
  const rate = verified / latest.length;
  if (rate >= policy.minSuccessRate) return undefined;
  return `${verified} of its last ${latest.length} runs were verified (${Math.round(rate * 100)}%, below ${Math.round(policy.minSuccessRate * 100)}%)`;
}

/** What EC2 says of an instance, for the group page. */
export interface InstanceFacts {
  readonly instanceId: string;
  readonly availabilityZone?: string;
  readonly instanceType?: string;
  readonly imageId?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

/** One attribute across a group of instances: each value with how many instances have it. */
export interface SharedAttribute {
  readonly name: string;
  readonly values: readonly { readonly value: string; readonly count: number }[];
  /** Every described instance has the same value. */
  readonly sharedByAll: boolean;
}

/** Tags that say nothing about a shared cause (unique per instance). */
const UNINFORMATIVE_TAGS = new Set(['Name', 'aws:ec2launchtemplate:id', 'aws:ec2launchtemplate:version']);

/**
 * What a group of instances has in common: availability zone, instance type, AMI and tags, each
 * value counted, the ones every instance shares first. This is where a shared cause shows (one AZ,
 * one AMI, one deploy tag).
 */
export function sharedAttributes(instances: readonly InstanceFacts[]): SharedAttribute[] {
  const columns = new Map<string, Map<string, number>>();
  const count = (name: string, value: string | undefined) => {
    if (value === undefined) return;
    const column = columns.get(name) ?? new Map<string, number>();
    column.set(value, (column.get(value) ?? 0) + 1);
    columns.set(name, column);
  };
  for (const instance of instances) {
    count('availability zone', instance.availabilityZone);
    count('instance type', instance.instanceType);
    count('AMI', instance.imageId);
    for (const [key, value] of Object.entries(instance.tags ?? {})) {
      if (!UNINFORMATIVE_TAGS.has(key)) count(`tag ${key}`, value);
    }
  }
  const attributes = [...columns.entries()].map(([name, values]) => {
    const sorted = [...values.entries()]
      .map(([value, n]) => ({ value, count: n }))
      .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
    return {
      name,
      values: sorted,
      sharedByAll: sorted.length === 1 && sorted[0]?.count === instances.length,
    };
  });
  return attributes.sort(
    (a, b) => Number(b.sharedByAll) - Number(a.sharedByAll) || a.name.localeCompare(b.name),
  );
}
