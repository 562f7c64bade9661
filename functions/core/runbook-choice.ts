import type { AlarmChange } from './alarm.ts';
import type { Incident } from './incident.ts';
import { type InstanceTags, refusedValue, tagList } from './parameter-values.ts';
import { type ChooseContext, DIAGNOSE_ACTION, type Runbook } from './runbook.ts';
import { quoteUntrusted } from './untrusted-text.ts';

/**
 * What the next attempt runs, or why a human must take over instead (`parameter`: a value the
 * runbook or the instance does not allow, a refusal of the parameter gate).
 */
export type AttemptPlan =
  | { readonly kind: 'run'; readonly action: string; readonly parameters: Readonly<Record<string, string>> }
  | { readonly kind: 'escalate'; readonly reason: string; readonly parameter?: true };

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
 * default, else (for a list allowed by an instance tag) the instance's whole list. A value that any
 * restriction refuses (see {@link refusedValue}) is a reason to page, never to run.
 */
export function resolveParameters(
  runbook: Runbook,
  facts: { dimensions: Readonly<Record<string, string>>; tags: Readonly<Record<string, string>> },
  instanceTags?: InstanceTags,
): { parameters: Record<string, string> } | { problem: string } {
  const parameters: Record<string, string> = {};
  for (const [name, spec] of Object.entries(runbook.parameters)) {
    const source = spec.fromAlarm as { dimension?: string; tag?: string } | undefined;
    const fromAlarm = source?.dimension
      ? facts.dimensions[source.dimension]
      : source?.tag
        ? facts.tags[source.tag]
        : undefined;
    const alarmSource = source?.dimension
      ? `dimension ${source.dimension}`
      : source?.tag
        ? `tag ${source.tag}`
        : undefined;
    const instanceList =
      spec.list && spec.allowedByInstanceTag ? tagList(instanceTags?.[spec.allowedByInstanceTag]) : [];
    const [value, where] =
      fromAlarm !== undefined
        ? [fromAlarm, `the alarm's ${alarmSource}`]
        : spec.default !== undefined
          ? [spec.default, 'the default']
          : instanceList.length > 0
            ? [instanceList.join(':'), `the instance's tag ${spec.allowedByInstanceTag}`]
            : [undefined, ''];
    if (value === undefined) {
      const missing = [
        alarmSource ? `the alarm has no ${alarmSource}` : 'it is not taken from the alarm',
        'there is no default',
        ...(spec.list && spec.allowedByInstanceTag
          ? [`the instance lists nothing in its tag ${spec.allowedByInstanceTag}`]
          : []),
      ];
      return { problem: `parameter ${name} has no value: ${missing.join(', ')}` };
    }
    const refused = refusedValue(name, spec, value, where, instanceTags);
    if (refused) return { problem: refused };
    parameters[name] = value;
  }
  return { parameters };
}

/**
 * The plan of attempt `attempt`: the runbook's `choose` when it has one, else the ladder (one action
 * per attempt, the last repeating). Whatever `choose` returns is checked like the author's own
 * values; an error in it pages a human instead of running something unplanned. Every value is
 * checked again against the instance's allow-lists as they are now: a tag edited since the
 * incident opened counts.
 */
export function planAttempt(
  runbook: Runbook,
  incident: Incident,
  attempt: number,
  instanceTags?: InstanceTags,
): AttemptPlan {
  return planFromContext(runbook, chooseContext(incident, attempt, incident.parameters ?? {}), instanceTags);
}

/**
 * The plan of attempt `context.attempt` from what `choose` sees: the alarm, the resolved parameter
 * values and the attempts so far. The decider builds the context from the incident; a runbook's
 * proof builds it from its sandbox, so that both plan alike.
 */
export function planFromContext(
  runbook: Runbook,
  context: ChooseContext,
  instanceTags?: InstanceTags,
): AttemptPlan {
  const { attempt, parameters: base } = context;
  let choice: { action: string; parameters?: Readonly<Record<string, string>> };
  if (runbook.choose) {
    try {
      const answer = runbook.choose(context);
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
  return checkedPlan(
    runbook,
    action.name,
    { ...base, ...action.parameters, ...choice.parameters },
    `attempt ${attempt}'s plan`,
    instanceTags,
  );
}

/**
 * A named action of the runbook, as a person asked for it (`run <action>`): `diagnose` (when the
 * runbook has a diagnose script) or one of its actions, with the incident's parameter values, each
 * checked as an attempt's would be. Anything else is refused with the actions there are.
 */
export function planAction(
  runbook: Runbook,
  incident: Incident,
  name: string,
  instanceTags?: InstanceTags,
): AttemptPlan {
  const base = incident.parameters ?? {};
  if (name === DIAGNOSE_ACTION && runbook.diagnose) {
    return checkedPlan(runbook, DIAGNOSE_ACTION, base, 'the diagnosis', instanceTags);
  }
  const action = runbook.actions.find((a) => a.name === name);
  if (!action) {
    const names = [...(runbook.diagnose ? [DIAGNOSE_ACTION] : []), ...runbook.actions.map((a) => a.name)];
    return {
      kind: 'escalate',
      reason: `runbook ${runbook.name} has no action ${quoteUntrusted(name, 60)}; it has ${names.join(', ')}`,
    };
  }
  return checkedPlan(
    runbook,
    action.name,
    { ...base, ...action.parameters },
    `action ${action.name}`,
    instanceTags,
  );
}

function checkedPlan(
  runbook: Runbook,
  action: string,
  parameters: Readonly<Record<string, string>>,
  what: string,
  instanceTags?: InstanceTags,
): AttemptPlan {
  for (const [name, value] of Object.entries(parameters)) {
    const spec = runbook.parameters[name];
    if (!spec)
      return {
        kind: 'escalate',
        reason: `parameter ${name}=${quoteUntrusted(value)} is not declared by the runbook`,
        parameter: true,
      };
    const refused = refusedValue(name, spec, value, what, instanceTags);
    if (refused) return { kind: 'escalate', reason: refused, parameter: true };
  }
  return { kind: 'run', action, parameters };
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
