import { alarmTarget } from '../../functions/core/alarm.ts';
import { decide } from '../../functions/core/decide.ts';
import { matchRunbook } from '../../functions/core/matching.ts';
import type { Runbook } from '../../functions/core/runbook.ts';
import { alarmFacts, resolveParameters } from '../../functions/core/runbook-choice.ts';
import {
  anyAlarmEvent as alarmStateChangeEvent,
  describeIssues,
  toAlarmChange,
} from '../../functions/handlers/schemas.ts';

/** What `explain` found, as lines for the terminal, and whether the event would lead to a command. */
export interface Explanation {
  readonly lines: readonly string[];
  readonly wouldRun: boolean;
}

/**
 * Explains, with no AWS, what the system would do with an event: which runbook answers, which
 * instance, what it would run with which parameters, which checks apply, and the decider's own
 * decision for a first delivery, on an opted-in instance carrying `instanceTags` (the allow-lists the
 * runbooks' parameters read; none when not given).
 */
export function explainEvent(
  event: unknown,
  runbooks: readonly Runbook[],
  options: { readonly instanceTags?: Readonly<Record<string, string>> } = {},
): Explanation {
  const instanceTags = options.instanceTags ?? {};
  const lines: string[] = [];
  const detailType = (event as Record<string, unknown> | null)?.['detail-type'];
  const parsed = alarmStateChangeEvent.safeParse(event);
  if (!parsed.success) {
    lines.push(
      detailType === 'CloudWatch Alarm State Change'
        ? `Rejected: the event does not have the shape AWS documents (${describeIssues(parsed.error)}).`
        : `Not an alarm state change (detail-type ${JSON.stringify(detailType ?? null)}): the alarm handler would reject it; nothing runs.`,
    );
    return { lines, wouldRun: false };
  }
  const alarm = toAlarmChange(parsed.data);
  lines.push(
    `Alarm:      ${alarm.alarmName} went ${alarm.state} at ${new Date(alarm.stateAt).toISOString()}` +
      (alarm.previousState ? ` (from ${alarm.previousState})` : ''),
  );
  const shape = alarm.composite ? 'composite' : alarm.usesExpression ? 'metric math / expression' : 'metric';
  lines.push(
    `Shape:      ${shape}; metrics: ${alarm.metrics.map((m) => `${m.namespace}/${m.metricName}`).join(', ') || 'none'}`,
  );
  const match = matchRunbook(alarm, runbooks);
  if (!match) {
    lines.push('Runbook:    none answers this alarm; it would be ignored with a log line.');
    return { lines, wouldRun: false };
  }
  const { runbook } = match;
  lines.push(
    `Runbook:    ${runbook.name} (matched by ${match.matchedBy}; owner ${runbook.owner}; mode ${runbook.mode})`,
  );
  const target = alarmTarget(alarm);
  lines.push(
    `Target:     ${target.kind === 'instance' ? `instance ${target.instanceId}` : `none: ${target.reason}`}`,
  );
  const resolved = resolveParameters(runbook, alarmFacts(alarm), instanceTags);
  const tagged = Object.entries(instanceTags);
  lines.push(
    `Instance tags: ${tagged.length > 0 ? tagged.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ') : 'none given (--instance-tag KEY=VALUE)'}`,
  );
  lines.push(
    `Parameters: ${'problem' in resolved ? `refused: ${resolved.problem}` : formatParameters(resolved.parameters)}`,
  );
  lines.push('', 'Checks before anything runs:');
  lines.push(check(true, 'the event has the shape AWS documents'));
  lines.push(
    check(!alarm.mutedBy, alarm.mutedBy ? `muted by ${alarm.mutedBy}: no remediation, no page` : 'not muted'),
  );
  lines.push(check(target.kind === 'instance', 'names exactly one instance, with a valid instance id'));
  lines.push(
    check(
      !('problem' in resolved),
      "every parameter value is allowed: its pattern, the runbook's values, the instance's allow-list tags",
    ),
  );
  lines.push(`  •  the instance must carry the opt-in tag: IAM refuses SendCommand otherwise`);
  lines.push(
    `  •  mode ${runbook.mode}${
      runbook.mode === 'dry-run'
        ? ': the decision is recorded, nothing runs'
        : runbook.mode === 'approve'
          ? `: the decision is paged as a proposal; it runs only if a person approves it within ${runbook.approveWithinSeconds}s`
          : ''
    }`,
  );
  if (alarm.mutedBy && alarm.state === 'ALARM') return { lines, wouldRun: false };

  const optIn =
    target.kind === 'instance'
      ? {
          instanceId: target.instanceId,
          tagKey: 'AutoRemediation',
          tagValue: 'enabled',
          tagged: true,
          tags: instanceTags,
        }
      : undefined;
  const decision = decide(
    undefined,
    { kind: 'alarm', alarm, target },
    { runbook, now: alarm.stateAt, random: 0.5, ...(optIn ? { safety: { optIn } } : {}) },
  );
  lines.push('', 'Decision for a first delivery (the decider itself, no AWS):');
  if (!decision.changed) {
    lines.push(`  nothing: ${decision.reason}`);
    return { lines, wouldRun: false };
  }
  let wouldRun = false;
  for (const effect of decision.effects) {
    if (effect.kind === 'send-command') {
      wouldRun = runbook.mode === 'enforce';
      lines.push(
        `  run action ${effect.action} of runbook ${effect.runbook} on ${effect.instanceId} with SSM Run Command` +
          ` (${formatParameters(effect.parameters)}; execution timeout ${effect.executionTimeoutSeconds}s)`,
      );
    } else if (effect.kind === 'page') {
      lines.push(`  page a human: ${decision.incident.escalation?.reason ?? effect.page}`);
    } else if (effect.kind === 'schedule-timer') {
      lines.push(
        `  check back in ${Math.round((effect.timer.dueAt - alarm.stateAt) / 1000)}s (${effect.timer.kind})`,
      );
    } else if (effect.kind === 'join-wait-list') {
      lines.push(`  stand in line for ${effect.list} (woken when it is given back)`);
    } else {
      lines.push(`  publish "${effect.detailType}"`);
    }
  }
  if (wouldRun) {
    lines.push(
      '',
      `Then: verify that ${alarm.alarmName} returns to OK within ${runbook.verifyWindowSeconds}s; ` +
        `up to ${runbook.maxAttempts} attempt(s) with backoff up to ${runbook.backoff.capSeconds}s; then one page.`,
    );
  }
  return { lines, wouldRun };
}

function formatParameters(parameters: Readonly<Record<string, string>>): string {
  const entries = Object.entries(parameters);
  return entries.length === 0
    ? 'none'
    : entries.map(([name, value]) => `${name}=${JSON.stringify(value)}`).join(', ');
}

function check(ok: boolean, text: string): string {
  return `  ${ok ? '✓' : '✗'}  ${text}`;
}
