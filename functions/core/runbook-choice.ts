import type { AlarmChange } from './alarm.ts';
import type { Incident } from './incident.ts';
import type { ChooseContext, Runbook } from './runbook.ts';
import { patternAccepts } from './runbook-validation.ts';

/** What the next attempt runs, or why a human must take over instead. */
export type AttemptPlan =
  | { readonly kind: 'run'; readonly action: string; readonly parameters: Readonly<Record<string, string>> }
  | { readonly kind: 'escalate'; readonly reason: string };

/** The alarm facts a runbook may read: the dimensions of the metrics it reads, and its tags. */
export function alarmFacts(alarm: AlarmChange): {
  dimensions: Record<string, string>;
  tags: Record<string, string>;
} {
  const dimensions: Record<string, string> = {};
  for (const metric of alarm.metrics) {
    for (const [name, value] of Object.entries(metric.dimensions)) dimensions[name] ??= value;
  }
  return { dimensions, tags: { ...alarm.tags } };
}

/**
 * The runbook's parameter values for an alarm: from the alarm where the runbook says so, else the
 * default. A value that does not match its allowedPattern is a reason to page, never to run.
 */
export function resolveParameters(
  runbook: Runbook,
  facts: { dimensions: Readonly<Record<string, string>>; tags: Readonly<Record<string, string>> },
): { parameters: Record<string, string> } | { problem: string } {
  const parameters: Record<string, string> = {};
  for (const [name, spec] of Object.entries(runbook.parameters)) {
    const source = spec.fromAlarm as { dimension?: string; tag?: string } | undefined;
    const fromAlarm = source?.dimension
      ? facts.dimensions[source.dimension]
      : source?.tag
        ? facts.tags[source.tag]
        : undefined;
    const value = fromAlarm ?? spec.default;
    const where = source?.dimension
      ? `dimension ${source.dimension}`
      : source?.tag
        ? `tag ${source.tag}`
        : 'default';
    if (value === undefined)
      return { problem: `parameter ${name} has no value: the alarm has no ${where} and there is no default` };
    if (!patternAccepts(spec.allowedPattern, value)) {
      return {
        problem: `parameter ${name} from the alarm's ${where} (${JSON.stringify(value.slice(0, 60))}) does not match ${spec.allowedPattern}`,
      };
    }
    parameters[name] = value;
  }
  return { parameters };
}

/**
 * The plan of attempt `attempt`: the runbook's `choose` when it has one, else the ladder (one action
 * per attempt, the last repeating). Whatever `choose` returns is checked like the author's own
 * values; an error in it pages a human instead of running something unplanned.
 */
export function planAttempt(runbook: Runbook, incident: Incident, attempt: number): AttemptPlan {
  const base = incident.parameters ?? {};
  let choice: { action: string; parameters?: Readonly<Record<string, string>> };
  if (runbook.choose) {
    try {
      const answer = runbook.choose(chooseContext(incident, attempt, base));
      if ('escalate' in answer)
        return { kind: 'escalate', reason: `the runbook chose to page: ${answer.escalate}` };
      choice = answer;
    } catch (error) {
      return {
        kind: 'escalate',
        reason: `the runbook's choose function failed: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
  } else {
    const rung = runbook.actions[Math.min(attempt, runbook.actions.length) - 1] ?? runbook.actions[0];
    choice = { action: rung?.name as string };
  }
  const action = runbook.actions.find((a) => a.name === choice.action);
  if (!action)
    return {
      kind: 'escalate',
      reason: `the runbook chose action "${choice.action}", which it does not define`,
    };
  const parameters = { ...base, ...action.parameters, ...choice.parameters };
  for (const [name, value] of Object.entries(parameters)) {
    const spec = runbook.parameters[name];
    if (!spec || !patternAccepts(spec.allowedPattern, value)) {
      return {
        kind: 'escalate',
        reason: `parameter ${name}=${JSON.stringify(value.slice(0, 60))} is not allowed by the runbook`,
      };
    }
  }
  return { kind: 'run', action: action.name, parameters };
}

function chooseContext(
  incident: Incident,
  attempt: number,
  parameters: Readonly<Record<string, string>>,
): ChooseContext {
  return {
    attempt,
    alarm: {
      name: incident.alarm.name,
      dimensions: incident.alarm.dimensions ?? {},
      tags: incident.alarm.tags ?? {},
    },
    parameters,
    history: incident.attempts.map((a) => ({
      action: a.action ?? 'remediate',
      status: a.status,
      ...(a.result?.responseCode === undefined ? {} : { exitCode: a.result.responseCode }),
      ...(a.verification ? { verification: a.verification } : {}),
    })),
  };
}
