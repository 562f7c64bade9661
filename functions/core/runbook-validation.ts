import { patternAccepts, refusedValue } from './parameter-values.ts';
import {
  DEFAULT_PAGE_WITHIN_SECONDS,
  DEFAULT_PROBE_TIMEOUT_SECONDS,
  type RunbookDefinition,
  type RunbookParameter,
} from './runbook.ts';
import { validateRunbookAlarm } from './runbook-alarm.ts';
import { unknownFieldProblem, unknownFields } from './runbook-fields.ts';
import { budgetRefusal, PAGE_WITHIN_MAX_SECONDS, PAGE_WITHIN_MIN_SECONDS } from './time-to-page.ts';

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
/**
 * Values that start with `-`: passed to a command (`systemctl restart "$SSM_service"`), they are read
 * as options (`--force`, `-rf`), whatever the quoting. An allowedPattern must refuse them.
 */
export const OPTION_VALUES = ['-', '--force', '-rf', '-1', '--', '-a'];
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
  if (typeof r !== 'object' || r === null || Array.isArray(r))
    return ['defineRunbook takes one object: defineRunbook({ name, description, owner, match, … })'];
  const problems: string[] = [];
  // A misspelled field is an error, never a silently used default: `verifyWindowSecond`, `diagnoze`.
  const unknown = unknownFields(r);
  problems.push(...unknown.map(unknownFieldProblem));
  const meant = new Set(unknown.flatMap((field) => (field.meant ? [field.meant] : [])));
  const range = (field: string, value: unknown, min: number, max: number, required = false) => {
    if (value === undefined) {
      // A required field left out; when a misspelling of it is reported above, that says it all.
      if (required && !meant.has(field))
        problems.push(`${field}: required; give a whole number from ${min} to ${max}`);
      return;
    }
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      problems.push(`${field} is ${JSON.stringify(value)}: use a whole number from ${min} to ${max}`);
    }
  };
  const text = (field: string, value: unknown, what: string) => {
    if (value !== undefined && (typeof value !== 'string' || !value.trim()))
      problems.push(`${field}: ${what}`);
  };
  if (typeof r.name !== 'string' || !KEBAB.test(r.name) || r.name.length > 40) {
    problems.push('name: use lower-case kebab-case, at most 40 characters (for example "disk-full")');
  }
  if (typeof r.description !== 'string' || !r.description.trim())
    problems.push('description: say in one sentence what the runbook fixes');
  if (typeof r.owner !== 'string' || !r.owner.trim())
    problems.push('owner: name the team that answers for this runbook');
  text('notes', r.notes, 'what a human should look at when the runbook could not fix it, as text');
  if (r.link !== undefined && (typeof r.link !== 'string' || !/^https?:\/\/\S+$/.test(r.link)))
    problems.push('link: an http(s) address for humans (a wiki page, a dashboard)');
  problems.push(...validatePrecedence(r));
  if (
    r.contact !== undefined &&
    (typeof r.contact !== 'string' || !/^[^\r\n]{1,200}$/.test(r.contact) || !r.contact.trim())
  )
    problems.push(
      'contact: one line of at most 200 characters saying how to reach the owner (a channel, a pager schedule, an address)',
    );
  problems.push(...validateMatch(r, meant));
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
    problems.push(...validateParameter(name, parameter, meant));
  for (const action of Array.isArray(r.actions) ? (r.actions as RunbookDefinition['actions'] & object) : []) {
    for (const [name, value] of Object.entries(action?.parameters ?? {})) {
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
  problems.push(...validateVerify(r));
  range('maxAttempts', r.maxAttempts, 1, 10, true);
  if (r.backoff === undefined || typeof r.backoff !== 'object' || r.backoff === null) {
    if (!meant.has('backoff'))
      problems.push(
        'backoff: required; give { baseSeconds, capSeconds } (for example { baseSeconds: 30, capSeconds: 300 })',
      );
  } else {
    const base = r.backoff.baseSeconds;
    range('backoff.baseSeconds', base, 1, 3600, true);
    range('backoff.capSeconds', r.backoff.capSeconds, typeof base === 'number' ? base : 1, 86_400, true);
  }
  range('verifyWindowSeconds', r.verifyWindowSeconds, 60, 86_400, true);
  range('executionTimeoutSeconds', r.executionTimeoutSeconds, 30, 3600, true);
  range('deliveryTimeoutSeconds', r.deliveryTimeoutSeconds, 30, 3600, true);
  problems.push(...validatePageWithin(r));
  range('cooldownSeconds', r.cooldownSeconds, 0, 86_400);
  for (const field of ['concurrency', 'breaker', 'autoDisable'] as const) {
    const given: unknown = r[field];
    const off = field !== 'concurrency' && given === false;
    if (given !== undefined && !off && (typeof given !== 'object' || given === null || Array.isArray(given)))
      problems.push(
        `${field}: give its settings as an object${field === 'concurrency' ? '' : ', or false to turn it off'}`,
      );
  }
  range('concurrency.maxInFlight', r.concurrency?.maxInFlight, 1, 1000);
  range('concurrency.maxPerHour', r.concurrency?.maxPerHour, 1, 100_000);
  range('concurrency.maxWaitSeconds', r.concurrency?.maxWaitSeconds, 0, 86_400);
  // A breaker or auto-disable given as an object replaces the default whole: each setting is needed.
  if (r.breaker && typeof r.breaker === 'object') {
    range('breaker.maxInstances', r.breaker.maxInstances, 1, 100_000, true);
    range('breaker.maxPercent', r.breaker.maxPercent, 1, 100);
    range('breaker.windowSeconds', r.breaker.windowSeconds, 60, 86_400, true);
    range('breaker.quietSeconds', r.breaker.quietSeconds, 60, 7 * 86_400, true);
  }
  if (r.autoDisable && typeof r.autoDisable === 'object') {
    range('autoDisable.lastRuns', r.autoDisable.lastRuns, 3, 100, true);
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

function validateMatch(r: RunbookDefinition, misspelled: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const match = r.match as RunbookDefinition['match'] | undefined;
  if (match === undefined || typeof match !== 'object' || match === null)
    return [
      "match: required; give { alarmNames: ['<alarm name or pattern>'] } or { metrics: [{ namespace, metricName }] }",
    ];
  const names: unknown = match.alarmNames;
  const metrics: unknown = match.metrics;
  if (names !== undefined && !(Array.isArray(names) && names.every((n) => typeof n === 'string')))
    problems.push("match.alarmNames: a list of alarm names or patterns, for example ['disk-full-*']");
  if (metrics !== undefined && !Array.isArray(metrics))
    problems.push(
      "match.metrics: a list of metrics, for example [{ namespace: 'CWAgent', metricName: 'disk_used_percent' }]",
    );
  const patterns = Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : [];
  const metricList = Array.isArray(metrics)
    ? (metrics as RunbookDefinition['match']['metrics'] & object)
    : [];
  if (
    patterns.length + metricList.length === 0 &&
    !misspelled.has('match.alarmNames') &&
    !misspelled.has('match.metrics')
  )
    problems.push('match: give at least one alarm name pattern or metric');
  for (const pattern of patterns) {
    if (pattern.trim() === '' || /^\*+$/.test(pattern)) {
      problems.push(
        `match.alarmNames: "${pattern}" would answer every alarm; name the alarms this runbook fixes`,
      );
    }
  }
  for (const [i, metric] of metricList.entries()) {
    if (
      typeof metric?.namespace !== 'string' ||
      !metric.namespace.trim() ||
      typeof metric.metricName !== 'string' ||
      !metric.metricName.trim()
    )
      problems.push(
        `match.metrics[${i}]: give its namespace and metricName (for example CWAgent / disk_used_percent)`,
      );
    for (const [dimension, value] of Object.entries(metric?.dimensions ?? {})) {
      if (!dimension.trim() || typeof value !== 'string' || value === '')
        problems.push(
          `match.metrics[${i}].dimensions: "${dimension}" needs a dimension name and a value (for example { path: '/' })`,
        );
    }
  }
  for (const [tag, value] of Object.entries(match.alarmTags ?? {})) {
    if (typeof value !== 'string')
      problems.push(`match.alarmTags.${tag}: the value the alarm's tag must have, as text`);
  }
  return problems;
}

/** `precedence`: which runbooks this one answers before, when both can answer one alarm, and why. */
function validatePrecedence(r: RunbookDefinition): string[] {
  const precedence = r.precedence;
  if (precedence === undefined) return [];
  const problems: string[] = [];
  const over: unknown = precedence?.over;
  if (!Array.isArray(over) || over.length === 0 || !over.every((n) => typeof n === 'string' && KEBAB.test(n)))
    problems.push(
      "precedence.over: list the runbooks this one answers before, by name (for example ['service-down'])",
    );
  else if (over.includes(r.name))
    problems.push('precedence.over: a runbook cannot take precedence over itself');
  if (typeof precedence?.reason !== 'string' || !precedence.reason.trim())
    problems.push('precedence.reason: say why this runbook answers first (reviewers and on-call read it)');
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
  if (
    r.actions !== undefined &&
    !(Array.isArray(r.actions) && r.actions.every((a) => typeof a === 'object' && a !== null))
  )
    return [
      ...problems,
      "actions: a list of { name, script }, for example [{ name: 'restart', script: 'restart.sh' }]",
    ];
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

function validateParameter(
  name: string,
  parameter: RunbookParameter,
  misspelled: ReadonlySet<string>,
): string[] {
  const field = `parameters.${name}`;
  if (!PARAMETER_NAME.test(name) || RESERVED_PARAMETERS.has(name)) {
    return [`${field}: use letters and digits, starting with a letter (not "action" or "executionTimeout")`];
  }
  const problems: string[] = [];
  if (typeof parameter !== 'object' || parameter === null)
    return [`${field}: declare it as { description, allowedPattern, … }`];
  if (typeof parameter.description !== 'string' || !parameter.description.trim())
    problems.push(`${field}.description: say what the value is`);
  const pattern: unknown = parameter.allowedPattern;
  if (typeof pattern !== 'string') {
    // Left out, or misspelled (reported as an unknown field): no advice about its anchors.
    if (pattern !== undefined || !misspelled.has(`${field}.allowedPattern`))
      problems.push(
        `${field}.allowedPattern: required; an anchored regular expression of the values allowed (for example ^[a-z0-9][a-z0-9._-]{0,63}$)`,
      );
  } else if (!pattern.startsWith('^') || !pattern.endsWith('$')) {
    problems.push(`${field}.allowedPattern: anchor it with ^ and $ so that the whole value is checked`);
  } else if (!compiles(pattern)) {
    problems.push(`${field}.allowedPattern: "${pattern}" is not a valid regular expression`);
  } else {
    const admitted = HOSTILE_VALUES.filter((value) => patternAccepts(pattern, value));
    // A list's items are used one by one: none may start with '-' either.
    const option = OPTION_VALUES.flatMap((value) =>
      parameter.list === true ? [value, `a:${value}`] : [value],
    ).find((value) => patternAccepts(pattern, value));
    if (admitted.length > 0) {
      problems.push(
        `${field}.allowedPattern: "${pattern}" admits ${JSON.stringify(admitted[0])}; allow only the characters the value needs (for example ^[a-z0-9][a-z0-9._-]{0,63}$)`,
      );
    } else if (option !== undefined) {
      problems.push(
        `${field}.allowedPattern: "${pattern}" admits ${JSON.stringify(option)}, which a command reads as an option, not a value; make the first character a letter or digit (for example ^[a-z0-9][a-z0-9._-]{0,63}$)`,
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
  const budget: unknown = proof.timeoutSeconds;
  if (
    budget !== undefined &&
    !(typeof budget === 'number' && Number.isInteger(budget) && budget >= 10 && budget <= 3600)
  )
    problems.push(
      `proof.timeoutSeconds is ${typeof budget === 'number' ? budget : JSON.stringify(budget)}: the whole proof's budget in the sandbox, a whole number of seconds from 10 to 3600 (300 when left out)`,
    );
  // What `choose` sees of the proof's alarm: names with text values, as CloudWatch gives them.
  const alarmValues: unknown = proof.alarmValues;
  if (alarmValues !== undefined) {
    if (typeof alarmValues !== 'object' || alarmValues === null || Array.isArray(alarmValues))
      problems.push(
        "proof.alarmValues: give { dimensions: { name: 'value' }, tags: { key: 'value' } }, what the proof's alarm carries",
      );
    else
      for (const field of ['dimensions', 'tags'] as const) {
        const values: unknown = (alarmValues as Record<string, unknown>)[field];
        if (values === undefined) continue;
        if (typeof values !== 'object' || values === null || Array.isArray(values)) {
          problems.push(`proof.alarmValues.${field}: give them as { name: 'value' }`);
          continue;
        }
        for (const [name, value] of Object.entries(values))
          if (!name.trim() || typeof value !== 'string')
            problems.push(
              `proof.alarmValues.${field}: "${name}" needs a name and a text value (for example { ${field === 'tags' ? "team: 'web'" : "exe: 'nginx'"} })`,
            );
      }
  }
  return problems;
}

/**
 * The probe run right after a remedy: a script of the folder, a settle time and a timeout that fit
 * in the command's execution timeout with room for the remedy, and a condition to judge it by.
 */
function validateVerify(r: RunbookDefinition): string[] {
  const verify: unknown = r.verify;
  if (verify === undefined) return [];
  if (typeof verify !== 'object' || verify === null || Array.isArray(verify))
    return ["verify: give { probe?: 'probe.sh', settleSeconds?: 0, timeoutSeconds?: 20 }"];
  const { probe, settleSeconds, timeoutSeconds } = verify as NonNullable<RunbookDefinition['verify']>;
  const problems: string[] = [];
  if (probe !== undefined && !SCRIPT.test(probe))
    problems.push(`verify.probe: "${probe}" must be a .sh file name in the runbook's folder`);
  if (probe === undefined && r.proof?.probe === undefined)
    problems.push("verify: name the probe (verify.probe: 'probe.sh'), or give the runbook a proof with one");
  const whole = (field: string, value: unknown, min: number, max: number, meaning: string) => {
    if (
      value !== undefined &&
      !(Number.isInteger(value) && (value as number) >= min && (value as number) <= max)
    )
      problems.push(
        `verify.${field} is ${JSON.stringify(value)}: ${meaning}, a whole number of seconds from ${min} to ${max}`,
      );
  };
  whole('settleSeconds', settleSeconds, 0, 300, 'the wait after the remedy before the probe runs');
  whole('timeoutSeconds', timeoutSeconds, 1, 120, 'the most the probe may run');
  const needs = (settleSeconds ?? 0) + (timeoutSeconds ?? DEFAULT_PROBE_TIMEOUT_SECONDS);
  if (Number.isInteger(r.executionTimeoutSeconds) && r.executionTimeoutSeconds < 2 * needs)
    problems.push(
      `verify: the probe's settle time and timeout (${needs}s) run inside executionTimeoutSeconds (${r.executionTimeoutSeconds}s); leave the remedy at least as much: raise executionTimeoutSeconds to ${2 * needs} or shorten them`,
    );
  if (r.alarm === undefined && r.proof?.alarm === undefined)
    problems.push(
      "verify: the probe's reading is judged by the runbook's alarm condition; declare alarm (or proof.alarm)",
    );
  return problems;
}

/**
 * The budget of time to a human: `pageWithin`, when given, is a whole number of seconds in range with
 * the reason a human may wait that long; and the runbook's own worst case (attempts, timeouts, verify
 * windows, backoff; see `worstCaseTimeToPage`) fits in it. Checked once the settings it is computed
 * from are valid: a wrong one is reported by its own check, and a sum of wrong numbers would only
 * add noise.
 */
function validatePageWithin(r: RunbookDefinition): string[] {
  const given: unknown = r.pageWithin;
  const problems: string[] = [];
  let budget = DEFAULT_PAGE_WITHIN_SECONDS;
  if (given !== undefined) {
    if (typeof given !== 'object' || given === null || Array.isArray(given))
      return [
        "pageWithin: give { seconds, reason }, for example { seconds: 1200, reason: 'the alarm evaluates 5-minute periods' }",
      ];
    const { seconds, reason } = given as { seconds?: unknown; reason?: unknown };
    if (!wholeIn(seconds, PAGE_WITHIN_MIN_SECONDS, PAGE_WITHIN_MAX_SECONDS))
      problems.push(
        `pageWithin.seconds is ${JSON.stringify(seconds)}: the most automation may keep a fault from a human, a whole number of seconds from ${PAGE_WITHIN_MIN_SECONDS} to ${PAGE_WITHIN_MAX_SECONDS} (${DEFAULT_PAGE_WITHIN_SECONDS} when pageWithin is left out)`,
      );
    else budget = seconds as number;
    if (typeof reason !== 'string' || !reason.trim())
      problems.push(
        'pageWithin.reason: required with pageWithin; say in a sentence why this budget and not the default (on-call and reviewers read it)',
      );
  }
  const settled =
    wholeIn(r.maxAttempts, 1, 10) &&
    wholeIn(r.backoff?.baseSeconds, 1, 3600) &&
    wholeIn(r.backoff?.capSeconds, r.backoff?.baseSeconds as number, 86_400) &&
    wholeIn(r.verifyWindowSeconds, 60, 86_400) &&
    wholeIn(r.executionTimeoutSeconds, 30, 3600) &&
    wholeIn(r.deliveryTimeoutSeconds, 30, 3600);
  if (problems.length === 0 && settled) {
    const refusal = budgetRefusal(r, budget);
    if (refusal) problems.push(refusal);
  }
  return problems;
}

function wholeIn(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern, 'u');
    return true;
  } catch {
    return false;
  }
}
