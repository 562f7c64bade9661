import { patternAccepts, refusedValue } from './parameter-values.ts';
import type { RunbookDefinition, RunbookParameter } from './runbook.ts';
import { validateRunbookAlarm } from './runbook-alarm.ts';

export { patternAccepts };

const KEBAB = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const SCRIPT = /^[\w.-]+\.sh$/;
/** SSM parameter names are letters and digits; the script reads `SSM_<name>`. */
const PARAMETER_NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;
/** Document parameters the system itself passes. */
const RESERVED_PARAMETERS = new Set(['action', 'executionTimeout']);
/**
 * Values an allowedPattern must refuse: if a pattern admits any of them, a careless script could
 * turn an alarm's text into code. Defence in depth: scripts read parameters from the environment.
 */
export const HOSTILE_VALUES = [
  '$(reboot)',
  '`id`',
  'a;b',
  'a|b',
  'a&b',
  'a b',
  "a'b",
  'a"b',
  'a\nb',
  'a\\b',
  '../etc',
  '*',
];

/** Every problem with a runbook definition, each naming the field and the fix; empty when valid. */
export function validateRunbook(r: RunbookDefinition): string[] {
  const problems: string[] = [];
  const range = (field: string, value: number | undefined, min: number, max: number) => {
    if (value === undefined) return;
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${field} is ${value}: use a whole number from ${min} to ${max}`);
    }
  };
  if (!KEBAB.test(r.name) || r.name.length > 40) {
    problems.push('name: use lower-case kebab-case, at most 40 characters (for example "disk-full")');
  }
  if (!r.description?.trim()) problems.push('description: say in one sentence what the runbook fixes');
  if (!r.owner?.trim()) problems.push('owner: name the team that answers for this runbook');
  if (
    r.contact !== undefined &&
    (typeof r.contact !== 'string' || !/^[^\r\n]{1,200}$/.test(r.contact) || !r.contact.trim())
  )
    problems.push(
      'contact: one line of at most 200 characters saying how to reach the owner (a channel, a pager schedule, an address)',
    );
  problems.push(...validateMatch(r));
  if (r.alarm !== undefined) {
    problems.push(...validateRunbookAlarm(r.alarm));
    // A parameter read from a dimension must find it on the series the stack's alarm watches.
    const carried = new Set([
      'InstanceId',
      ...(r.alarm.groupBy ?? []),
      ...Object.keys(r.alarm.dimensions ?? {}),
    ]);
    for (const [name, parameter] of Object.entries(r.parameters ?? {})) {
      const dimension = (parameter.fromAlarm as { dimension?: string } | undefined)?.dimension;
      if (r.alarm.metric && dimension && !carried.has(dimension))
        problems.push(
          `parameters.${name}.fromAlarm: the dimension "${dimension}" is not on the runbook's alarm; add it to alarm.groupBy (one series per value) or alarm.dimensions`,
        );
    }
  }
  problems.push(...validateActions(r));
  const parameters = r.parameters ?? {};
  for (const [name, parameter] of Object.entries(parameters))
    problems.push(...validateParameter(name, parameter));
  for (const action of r.actions ?? []) {
    for (const [name, value] of Object.entries(action.parameters ?? {})) {
      const parameter = parameters[name];
      if (!parameter)
        problems.push(`actions.${action.name}.parameters.${name}: declare "${name}" in parameters first`);
      else {
        const refused = definitionRefusal(name, parameter, value, `action ${action.name}`);
        if (refused) problems.push(`actions.${action.name}.parameters.${name}: ${refused}`);
      }
    }
  }
  if (r.choose !== undefined && typeof r.choose !== 'function') problems.push('choose: must be a function');
  problems.push(...validateProof(r));
  range('maxAttempts', r.maxAttempts, 1, 10);
  range('backoff.baseSeconds', r.backoff?.baseSeconds, 1, 3600);
  range('backoff.capSeconds', r.backoff?.capSeconds, r.backoff?.baseSeconds ?? 1, 86_400);
  range('verifyWindowSeconds', r.verifyWindowSeconds, 60, 86_400);
  range('executionTimeoutSeconds', r.executionTimeoutSeconds, 30, 3600);
  range('deliveryTimeoutSeconds', r.deliveryTimeoutSeconds, 30, 3600);
  range('cooldownSeconds', r.cooldownSeconds, 0, 86_400);
  range('concurrency.maxInFlight', r.concurrency?.maxInFlight, 1, 1000);
  range('concurrency.maxPerHour', r.concurrency?.maxPerHour, 1, 100_000);
  range('concurrency.maxWaitSeconds', r.concurrency?.maxWaitSeconds, 0, 86_400);
  if (r.breaker) {
    range('breaker.maxInstances', r.breaker.maxInstances, 1, 100_000);
    range('breaker.maxPercent', r.breaker.maxPercent, 1, 100);
    range('breaker.windowSeconds', r.breaker.windowSeconds, 60, 86_400);
    range('breaker.quietSeconds', r.breaker.quietSeconds, 60, 7 * 86_400);
  }
  if (r.autoDisable) {
    range('autoDisable.lastRuns', r.autoDisable.lastRuns, 3, 100);
    const rate = r.autoDisable.minSuccessRate;
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) {
      problems.push(`autoDisable.minSuccessRate is ${rate}: use a share from 0 to 1 (0.5 is half)`);
    }
  }
  if (r.mode !== undefined && r.mode !== 'enforce' && r.mode !== 'approve' && r.mode !== 'dry-run') {
    problems.push(`mode is "${r.mode}": use "enforce", "approve" or "dry-run"`);
  }
  if (
    r.approveWithinSeconds !== undefined &&
    !(
      Number.isInteger(r.approveWithinSeconds) &&
      r.approveWithinSeconds >= 60 &&
      r.approveWithinSeconds <= 86_400
    )
  ) {
    problems.push(
      `approveWithinSeconds is ${r.approveWithinSeconds}: use whole seconds from 60 to 86400 (1800 is half an hour)`,
    );
  }
  return problems;
}

function validateMatch(r: RunbookDefinition): string[] {
  const problems: string[] = [];
  const matchers = (r.match?.alarmNames?.length ?? 0) + (r.match?.metrics?.length ?? 0);
  if (matchers === 0) problems.push('match: give at least one alarm name pattern or metric');
  for (const pattern of r.match?.alarmNames ?? []) {
    if (pattern.trim() === '' || /^\*+$/.test(pattern)) {
      problems.push(
        `match.alarmNames: "${pattern}" would answer every alarm; name the alarms this runbook fixes`,
      );
    }
  }
  for (const [i, metric] of (r.match?.metrics ?? []).entries()) {
    if (!metric.namespace?.trim() || !metric.metricName?.trim())
      problems.push(
        `match.metrics[${i}]: give its namespace and metricName (for example CWAgent / disk_used_percent)`,
      );
    for (const [dimension, value] of Object.entries(metric.dimensions ?? {})) {
      if (!dimension.trim() || typeof value !== 'string' || value === '')
        problems.push(
          `match.metrics[${i}].dimensions: "${dimension}" needs a dimension name and a value (for example { path: '/' })`,
        );
    }
  }
  return problems;
}

function validateActions(r: RunbookDefinition): string[] {
  const problems: string[] = [];
  if ((r.remediate === undefined) === (r.actions === undefined)) {
    problems.push('remediate / actions: give a remediate script, or a list of actions, not both');
  }
  if (r.remediate !== undefined && !SCRIPT.test(r.remediate)) {
    problems.push(`remediate: "${r.remediate}" must be a .sh file name in the runbook's folder`);
  }
  if (r.diagnose !== undefined && !SCRIPT.test(r.diagnose)) {
    problems.push(`diagnose: "${r.diagnose}" must be a .sh file name in the runbook's folder`);
  }
  if (r.actions !== undefined && r.actions.length === 0) problems.push('actions: list at least one action');
  const seen = new Set<string>();
  for (const action of r.actions ?? []) {
    if (!KEBAB.test(action.name) || action.name === 'diagnose') {
      problems.push(`actions: "${action.name}" must be lower-case kebab-case and not "diagnose"`);
    }
    if (seen.has(action.name))
      problems.push(`actions: "${action.name}" is listed twice; name each action once`);
    seen.add(action.name);
    if (!SCRIPT.test(action.script)) {
      problems.push(
        `actions.${action.name}.script: "${action.script}" must be a .sh file name in the runbook's folder`,
      );
    }
  }
  return problems;
}

function validateParameter(name: string, parameter: RunbookParameter): string[] {
  const field = `parameters.${name}`;
  if (!PARAMETER_NAME.test(name) || RESERVED_PARAMETERS.has(name)) {
    return [`${field}: use letters and digits, starting with a letter (not "action" or "executionTimeout")`];
  }
  const problems: string[] = [];
  if (!parameter.description?.trim()) problems.push(`${field}.description: say what the value is`);
  const pattern = parameter.allowedPattern ?? '';
  if (!pattern.startsWith('^') || !pattern.endsWith('$')) {
    problems.push(`${field}.allowedPattern: anchor it with ^ and $ so that the whole value is checked`);
  } else if (!compiles(pattern)) {
    problems.push(`${field}.allowedPattern: "${pattern}" is not a valid regular expression`);
  } else {
    const admitted = HOSTILE_VALUES.filter((value) => patternAccepts(pattern, value));
    if (admitted.length > 0) {
      problems.push(
        `${field}.allowedPattern: "${pattern}" admits ${JSON.stringify(admitted[0])}; allow only the characters the value needs (for example ^[a-z0-9._-]{1,64}$)`,
      );
    }
    if (parameter.default !== undefined && !patternAccepts(pattern, parameter.default)) {
      problems.push(`${field}.default: "${parameter.default}" does not match its allowedPattern`);
    }
  }
  const source = parameter.fromAlarm as { dimension?: string; tag?: string } | undefined;
  if (source !== undefined && !(source.dimension?.trim() || source.tag?.trim())) {
    problems.push(
      `${field}.fromAlarm: name a dimension ({ dimension: 'ServiceName' }) or a tag ({ tag: 'service' })`,
    );
  }
  problems.push(...validateRestrictions(field, name, parameter));
  return problems;
}

/** An EC2 tag key: 1 to 128 letters, digits, spaces or `_ . : / = + - @`, not starting with `aws:`. */
const TAG_KEY = /^(?!aws:)[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;

/** The fields that restrict the values a parameter may take, beyond its pattern. */
function validateRestrictions(field: string, name: string, parameter: RunbookParameter): string[] {
  const problems: string[] = [];
  const { allowedValues, allowedByInstanceTag, list, refuse } = parameter;
  if (list !== undefined && typeof list !== 'boolean') problems.push(`${field}.list: use true or false`);
  if (refuse !== undefined && typeof refuse !== 'function')
    problems.push(
      `${field}.refuse: must be a function of the value, returning why it is refused or undefined`,
    );
  if (allowedValues !== undefined) {
    if (!Array.isArray(allowedValues) || allowedValues.length === 0)
      problems.push(`${field}.allowedValues: list at least one value, or leave the field out`);
    else
      for (const value of allowedValues) {
        const refused = definitionRefusal(name, parameter, value, 'allowedValues');
        if (refused) problems.push(`${field}.allowedValues: ${refused}`);
      }
  }
  if (allowedByInstanceTag !== undefined && !TAG_KEY.test(allowedByInstanceTag))
    problems.push(
      `${field}.allowedByInstanceTag: "${allowedByInstanceTag}" is not an EC2 tag key: use 1 to 128 letters, digits, spaces or _ . : / = + - @, not starting with aws:`,
    );
  if (allowedByInstanceTag !== undefined && !list && !parameter.fromAlarm && parameter.default === undefined)
    problems.push(
      `${field}.allowedByInstanceTag: the value must come from somewhere: give fromAlarm or a default, or make it a list (list: true) to take the instance's whole list`,
    );
  // A default its pattern refuses is reported with the pattern.
  if (parameter.default !== undefined && patternAccepts(parameter.allowedPattern ?? '', parameter.default)) {
    const refused = definitionRefusal(name, parameter, parameter.default, 'the default');
    if (refused) problems.push(`${field}.default: ${refused}`);
  }
  return problems;
}

/**
 * Why a value the runbook itself states (a default, an action's value, an allowed value, a proof's)
 * is refused by its own restrictions; the instance's allow-list is not known until run time.
 */
function definitionRefusal(
  name: string,
  parameter: RunbookParameter,
  value: string,
  where: string,
): string | undefined {
  const { allowedByInstanceTag: _instance, ...own } = parameter;
  return refusedValue(name, own, value, where, undefined);
}

const COMPARISONS = new Set([
  'GreaterThanThreshold',
  'GreaterThanOrEqualToThreshold',
  'LessThanThreshold',
  'LessThanOrEqualToThreshold',
]);

function validateProof(r: RunbookDefinition): string[] {
  const proof = r.proof;
  if (proof === undefined) return [];
  const problems: string[] = [];
  for (const field of ['fault', 'probe'] as const) {
    if (!SCRIPT.test(proof[field] ?? '')) {
      problems.push(`proof.${field}: "${proof[field]}" must be a .sh file name in the runbook's folder`);
    }
  }
  if (r.alarm !== undefined && proof.alarm !== undefined)
    problems.push(
      "proof.alarm: the proof is judged by the runbook's own alarm declaration; remove proof.alarm (use proof.sandboxThreshold only if the sandbox cannot reach the production threshold)",
    );
  if (r.alarm === undefined) {
    if (!COMPARISONS.has(proof.alarm?.comparison as string))
      problems.push(
        `proof.alarm.comparison: declare the runbook's alarm (alarm: { metric, periodSeconds, comparison, threshold, … }), or give the proof's condition with one of ${[...COMPARISONS].join(', ')}`,
      );
    if (!Number.isFinite(proof.alarm?.threshold))
      problems.push('proof.alarm.threshold: give the alarm threshold as a number');
    if (proof.sandboxThreshold !== undefined)
      problems.push(
        'proof.sandboxThreshold: only for a runbook that declares its alarm; set proof.alarm.threshold instead',
      );
  }
  const sandbox = proof.sandboxThreshold;
  if (sandbox !== undefined && (!Number.isFinite(sandbox.value) || !sandbox.reason?.trim()))
    problems.push(
      'proof.sandboxThreshold: give { value: <number>, reason: "why the sandbox cannot reach the production threshold" }',
    );
  for (const [name, value] of Object.entries(proof.parameters ?? {})) {
    const parameter = r.parameters?.[name];
    if (!parameter) problems.push(`proof.parameters.${name}: declare "${name}" in parameters first`);
    else {
      // The proof's instance stands for a real one: its tags must allow what the proof runs.
      const refused = refusedValue(name, parameter, value, 'the proof', proof.instanceTags ?? {});
      const tag = parameter.allowedByInstanceTag;
      const hint =
        tag && proof.instanceTags?.[tag] === undefined
          ? `; give the proof's instance the tag as a real one would carry it (proof.instanceTags: { '${tag}': '${value}' })`
          : '';
      if (refused) problems.push(`proof.parameters.${name}: ${refused}${hint}`);
    }
  }
  for (const [key, value] of Object.entries(proof.instanceTags ?? {})) {
    if (!TAG_KEY.test(key) || typeof value !== 'string')
      problems.push(`proof.instanceTags: "${key}" is not an EC2 tag key with a text value`);
  }
  return problems;
}

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern, 'u');
    return true;
  } catch {
    return false;
  }
}
