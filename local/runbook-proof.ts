import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { perInstanceAlarmName } from '../functions/core/alarm-provisioning.ts';
import { refusedValue, tagList } from '../functions/core/parameter-values.ts';
import {
  breaches,
  type Choice,
  type ChooseContext,
  DEFAULT_PROOF_TIMEOUT_SECONDS,
  DIAGNOSE_ACTION,
  proofCondition,
  type Runbook,
  type RunbookProof,
  runbookScripts,
} from '../functions/core/runbook.ts';
import { planFromContext } from '../functions/core/runbook-choice.ts';
import { quoteUntrusted } from '../functions/core/untrusted-text.ts';
import { RUNBOOKS_DIR } from '../runbooks/discover.ts';
import { runbookDocumentContent } from '../runbooks/ssm-document.ts';
import { createSandbox, type Sandbox, type SandboxRunResult } from './sandbox.ts';

/** One step of a proof, as `runbooks test` prints it. */
export interface ProofStep {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  readonly run?: SandboxRunResult;
}

/** The whole proof: it holds when every step did. */
export interface ProofReport {
  readonly runbook: string;
  readonly held: boolean;
  readonly steps: readonly ProofStep[];
}

/**
 * Proves a runbook on a fresh sandboxed instance: the fault must trip the alarm's condition, and the
 * runbook, run exactly as SSM would run its document (the generated script, parameters as `SSM_`
 * environment variables, its execution timeout), must bring the metric back. Each attempt runs what
 * the decider would run: the action the runbook's `choose` picks from the proof's alarm and the
 * attempts so far, or without `choose` the ladder's next rung, until the probe recovers, the attempts
 * are spent or `choose` hands over to a human. The whole proof has `proof.timeoutSeconds` seconds in
 * its sandbox (300 unless it says): when they run out, the running step is stopped and the proof
 * does not hold.
 */
export async function proveRunbook(
  runbook: Runbook,
  options: { directory?: string; onStep?: (step: ProofStep) => void } = {},
): Promise<ProofReport> {
  const directory = join(options.directory ?? RUNBOOKS_DIR, runbook.name);
  const steps: ProofStep[] = [];
  const record = (step: ProofStep) => {
    steps.push(step);
    options.onStep?.(step);
    return step.ok;
  };
  const proof = runbook.proof;
  if (!proof) {
    record({
      name: 'proof',
      ok: false,
      detail: 'the runbook ships no proof (fault, probe, alarm condition)',
    });
    return { runbook: runbook.name, held: false, steps };
  }
  const read = (file: string) => readFileSync(join(directory, file), 'utf8');
  const scripts = Object.fromEntries(runbookScripts(runbook).map((file) => [file, read(file)]));
  const document = runbookDocumentContent(runbook, scripts).mainSteps[0].inputs.runCommand.join('\n');
  const sandbox = await createSandbox({ name: `proof-${runbook.name}` });
  try {
    const held = await runProof({
      runbook,
      proof,
      sandbox,
      document,
      read,
      record,
      budget: new Budget(sandbox, proofTimeoutSeconds(runbook)),
    });
    return { runbook: runbook.name, held, steps };
  } finally {
    await sandbox.destroy();
  }
}

/** The time a runbook's proof may take in its sandbox, in seconds: its `proof.timeoutSeconds`, or the default. */
export function proofTimeoutSeconds(runbook: Pick<Runbook, 'proof'>): number {
  return runbook.proof?.timeoutSeconds ?? DEFAULT_PROOF_TIMEOUT_SECONDS;
}

/** How long a fault and a probe may run, each, within the proof's budget. */
const FAULT_TIMEOUT_SECONDS = 120;
const PROBE_TIMEOUT_SECONDS = 60;

interface ProofRun {
  readonly runbook: Runbook;
  readonly proof: RunbookProof;
  readonly sandbox: Sandbox;
  /** The runbook's SSM document, as the agent runs it. */
  readonly document: string;
  readonly read: (file: string) => string;
  /** Records a step; returns whether it passed. */
  readonly record: (step: ProofStep) => boolean;
  readonly budget: Budget;
}

/** The steps of a proof, in its sandbox: whether the proof holds. */
async function runProof(p: ProofRun): Promise<boolean> {
  const { runbook, proof, sandbox, record, budget } = p;
  // The runbook's declared alarm (one source with what the stack provisions), or the proof's own condition.
  const { comparison, threshold } = proofCondition(runbook) as NonNullable<ReturnType<typeof proofCondition>>;
  const faultStep = `fault (${proof.fault})`;
  const fault = await budget.run(faultStep, p.read(proof.fault), { timeoutSeconds: FAULT_TIMEOUT_SECONDS });
  if (!fault.ok) return record(fault.step);
  if (
    !record({
      name: faultStep,
      ok: fault.run.exitCode === 0,
      detail: `exit ${fault.run.exitCode}`,
      run: fault.run,
    })
  )
    return false;
  const probe = async (step: string) => {
    const run = await budget.run(step, p.read(proof.probe), { timeoutSeconds: PROBE_TIMEOUT_SECONDS });
    return run.ok ? { ok: true as const, ...probeReading(run.run) } : run;
  };
  const before = await probe('probe after the fault');
  if (!before.ok) return record(before.step);
  const tripped = before.value !== undefined && breaches(before.value, comparison, threshold);
  const breach = describe(before, comparison, threshold, 'must breach');
  if (!record({ name: 'probe after the fault', ok: tripped, detail: breach, run: before.run })) return false;
  const resolved = proofParameters(runbook);
  if ('problem' in resolved) return record({ name: 'parameters', ok: false, detail: resolved.problem });
  const { parameters } = resolved;
  let diagnosed = true;
  if (runbook.diagnose) {
    const diagnoseStep = `diagnose (${runbook.diagnose})`;
    const diagnosis = await runDocument(p, diagnoseStep, DIAGNOSE_ACTION, parameters);
    if (!diagnosis.ok) return record(diagnosis.step);
    diagnosed = record({
      name: diagnoseStep,
      ok: diagnosis.run.exitCode === 0,
      detail: `exit ${diagnosis.run.exitCode}`,
      run: diagnosis.run,
    });
  }
  const alarm = proofAlarm(runbook, sandbox);
  const history: ChooseContext['history'][number][] = [];
  for (let attempt = 1; attempt <= runbook.maxAttempts; attempt++) {
    // Planned as the decider plans: choose's answer (or the ladder's rung), every value checked.
    let answer: Choice | undefined;
    const choose = runbook.choose;
    const planner: Runbook = choose
      ? {
          ...runbook,
          choose: (context) => {
            answer = choose(context);
            return answer;
          },
        }
      : runbook;
    const context: ChooseContext = { attempt, alarm, parameters, history: [...history] };
    const plan = planFromContext(planner, context, proof.instanceTags ?? {});
    if (plan.kind === 'escalate') {
      const chose = answer && typeof answer === 'object' && 'escalate' in answer ? answer : undefined;
      return record({
        name: `attempt ${attempt}: ${choose ? 'choose' : 'plan'}`,
        ok: false,
        detail: chose
          ? `choose handed over to a human: ${chose.escalate}`
          : `handed over to a human: ${plan.reason}`,
      });
    }
    const step = `attempt ${attempt}: ${plan.action}`;
    const outcome = await runDocument(p, step, plan.action, plan.parameters);
    if (!outcome.ok) return record(outcome.step);
    const result = outcome.run;
    record({
      name: step,
      ok: result.exitCode === 0,
      detail: `exit ${result.exitCode}${result.timedOut ? ' (timed out)' : ''}${choose ? `, chosen by choose${shownParameters(plan.parameters, parameters)}` : ''}`,
      run: result,
    });
    const after = await probe(`probe after attempt ${attempt}`);
    if (!after.ok) return record(after.step);
    const recovered = after.value !== undefined && !breaches(after.value, comparison, threshold);
    record({
      name: `probe after attempt ${attempt}`,
      ok: recovered,
      detail: describe(after, comparison, threshold, 'must not breach'),
      run: after.run,
    });
    // A ladder may climb past failed rungs; the proof holds when the rung that fixed it exited 0.
    if (recovered) return diagnosed && result.exitCode === 0;
    // As the decider records it: a command that exited 0 and did not bring the alarm back failed verification.
    history.push({
      action: plan.action,
      status: result.exitCode === 0 ? 'succeeded' : 'failed',
      exitCode: result.exitCode,
      ...(result.exitCode === 0 ? { verification: 'failed' as const } : {}),
    });
  }
  return false;
}

/**
 * The alarm of the proof, as `choose` sees it: `proof.alarmValues`, over the proof instance's id as
 * the InstanceId dimension, and the name the stack gives the runbook's alarm on that instance.
 */
function proofAlarm(runbook: Runbook, sandbox: Sandbox): ChooseContext['alarm'] {
  const dimensions = { InstanceId: sandbox.id, ...runbook.proof?.alarmValues?.dimensions };
  return {
    name: perInstanceAlarmName(runbook.name, { instanceId: sandbox.id }, dimensions),
    dimensions,
    tags: { ...runbook.proof?.alarmValues?.tags },
  };
}

/** The values `choose` set beside the resolved ones, as the attempt's step shows them. */
function shownParameters(
  used: Readonly<Record<string, string>>,
  resolved: Readonly<Record<string, string>>,
): string {
  const changed = Object.entries(used).filter(([name, value]) => resolved[name] !== value);
  return changed.length === 0 ? '' : ` (${changed.map(([name, value]) => `${name}=${value}`).join(', ')})`;
}

/** A step's command, or why it did not finish: the proof's time budget ran out. */
type BudgetedRun =
  | { readonly ok: true; readonly run: SandboxRunResult }
  | { readonly ok: false; readonly step: ProofStep };

/**
 * The proof's time budget: every command runs within its own timeout and what is left of the
 * budget, whichever ends first; a command stopped by the budget ends the proof.
 */
class Budget {
  readonly #sandbox: Sandbox;
  readonly #seconds: number;
  readonly #deadline: number;

  constructor(sandbox: Sandbox, seconds: number) {
    this.#sandbox = sandbox;
    this.#seconds = seconds;
    this.#deadline = performance.now() + seconds * 1000;
  }

  async run(
    step: string,
    script: string,
    options: { env?: Readonly<Record<string, string>>; timeoutSeconds: number },
  ): Promise<BudgetedRun> {
    const left = (this.#deadline - performance.now()) / 1000;
    if (left <= 0) return { ok: false, step: this.#ranOut(step) };
    const timeoutSeconds = Math.min(options.timeoutSeconds, left);
    const run = await this.#sandbox.run(script, { ...options, timeoutSeconds });
    if (run.timedOut && timeoutSeconds < options.timeoutSeconds)
      return { ok: false, step: this.#ranOut(step, run) };
    return { ok: true, run };
  }

  #ranOut(step: string, run?: SandboxRunResult): ProofStep {
    return {
      name: 'time budget',
      ok: false,
      detail: `the proof's time budget of ${this.#seconds} s ran out during ${step}; raise proof.timeoutSeconds if the runbook needs longer`,
      ...(run ? { run } : {}),
    };
  }
}

/** Runs an action of the runbook's document, as SSM would: parameters as `SSM_` variables, its execution timeout. */
function runDocument(
  p: ProofRun,
  step: string,
  action: string,
  parameters: Readonly<Record<string, string>>,
): Promise<BudgetedRun> {
  const env = Object.fromEntries(Object.entries(parameters).map(([name, value]) => [`SSM_${name}`, value]));
  return p.budget.run(step, p.document, {
    env: { ...env, SSM_action: action },
    timeoutSeconds: p.runbook.executionTimeoutSeconds,
  });
}

/** What a probe measured: the number on its last line, or why there is none. */
interface ProbeReading {
  readonly value: number | undefined;
  readonly problem?: string;
  readonly run: SandboxRunResult;
}

/**
 * A probe's reading: the number on the last line of its output, when it exited 0. A probe that
 * exited otherwise failed, whatever it printed; one that exited 0 printed no number.
 */
export function probeReading(run: SandboxRunResult): ProbeReading {
  const last = (run.stdout.trim().split('\n').pop() ?? '').trim();
  const said = last === '' ? 'it printed nothing' : `its last line was ${quoteUntrusted(last)}`;
  if (run.exitCode !== 0)
    return {
      value: undefined,
      problem: `the probe exited ${run.exitCode}${run.timedOut ? ' (timed out)' : ''}, so its output is no measure; ${said}`,
      run,
    };
  if (!/^-?\d+(\.\d+)?$/.test(last))
    return { value: undefined, problem: `the probe printed no number on its last line; ${said}`, run };
  return { value: Number(last), run };
}

/**
 * The values the proof runs with, as the decider would resolve them: what the proof says the alarm
 * supplies, else the default, else (a list allowed by an instance tag) the proof instance's whole
 * list; each checked like a real one, against the proof instance's tags.
 */
function proofParameters(runbook: Runbook): { parameters: Record<string, string> } | { problem: string } {
  const tags = runbook.proof?.instanceTags ?? {};
  const parameters: Record<string, string> = {};
  for (const [name, spec] of Object.entries(runbook.parameters)) {
    const listed = spec.list && spec.allowedByInstanceTag ? tagList(tags[spec.allowedByInstanceTag]) : [];
    const value =
      runbook.proof?.parameters?.[name] ?? spec.default ?? (listed.length > 0 ? listed.join(':') : undefined);
    if (value === undefined) continue;
    const refused = refusedValue(name, spec, value, 'the proof', tags);
    if (refused) return { problem: refused };
    parameters[name] = value;
  }
  return { parameters };
}

function describe(reading: ProbeReading, comparison: string, threshold: number, expectation: string): string {
  return reading.value === undefined
    ? (reading.problem as string)
    : `${reading.value} (alarm when ${comparison} ${threshold}: ${expectation})`;
}
