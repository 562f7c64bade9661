import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { refusedValue, tagList } from '../functions/core/parameter-values.ts';
import {
  breaches,
  DIAGNOSE_ACTION,
  proofCondition,
  type Runbook,
  runbookScripts,
} from '../functions/core/runbook.ts';
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
 * environment variables, its execution timeout), must bring the metric back. Ladder runbooks climb
 * one action per attempt, as the decider would, until the probe recovers or the attempts are spent.
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
  // The runbook's declared alarm (one source with what the stack provisions), or the proof's own condition.
  const { comparison, threshold } = proofCondition(runbook) as NonNullable<ReturnType<typeof proofCondition>>;
  const sandbox = await createSandbox({ name: `proof-${runbook.name}` });
  try {
    const fault = await sandbox.run(read(proof.fault), { timeoutSeconds: 120 });
    if (
      !record({
        name: `fault (${proof.fault})`,
        ok: fault.exitCode === 0,
        detail: `exit ${fault.exitCode}`,
        run: fault,
      })
    ) {
      return { runbook: runbook.name, held: false, steps };
    }
    const before = await probe(sandbox, read(proof.probe));
    const tripped = before.value !== undefined && breaches(before.value, comparison, threshold);
    if (
      !record({
        name: 'probe after the fault',
        ok: tripped,
        detail: describe(before.value, comparison, threshold, 'must breach'),
        run: before.run,
      })
    ) {
      return { runbook: runbook.name, held: false, steps };
    }
    const resolved = proofParameters(runbook);
    if ('problem' in resolved) {
      record({ name: 'parameters', ok: false, detail: resolved.problem });
      return { runbook: runbook.name, held: false, steps };
    }
    const { parameters } = resolved;
    let diagnosed = true;
    if (runbook.diagnose) {
      const diagnosis = await runDocument(
        sandbox,
        document,
        DIAGNOSE_ACTION,
        parameters,
        runbook.executionTimeoutSeconds,
      );
      diagnosed = record({
        name: `diagnose (${runbook.diagnose})`,
        ok: diagnosis.exitCode === 0,
        detail: `exit ${diagnosis.exitCode}`,
        run: diagnosis,
      });
    }
    for (let attempt = 1; attempt <= runbook.maxAttempts; attempt++) {
      const action = runbook.actions[Math.min(attempt, runbook.actions.length) - 1] ?? runbook.actions[0];
      const name = action?.name as string;
      const result = await runDocument(
        sandbox,
        document,
        name,
        { ...parameters, ...action?.parameters },
        runbook.executionTimeoutSeconds,
      );
      record({
        name: `attempt ${attempt}: ${name}`,
        ok: result.exitCode === 0,
        detail: `exit ${result.exitCode}${result.timedOut ? ' (timed out)' : ''}`,
        run: result,
      });
      const after = await probe(sandbox, read(proof.probe));
      const recovered = after.value !== undefined && !breaches(after.value, comparison, threshold);
      record({
        name: `probe after attempt ${attempt}`,
        ok: recovered,
        detail: describe(after.value, comparison, threshold, 'must not breach'),
        run: after.run,
      });
      // A ladder may climb past failed rungs; the proof holds when the rung that fixed it exited 0.
      if (recovered) return { runbook: runbook.name, held: diagnosed && result.exitCode === 0, steps };
    }
    return { runbook: runbook.name, held: false, steps };
  } finally {
    await sandbox.destroy();
  }
}

function runDocument(
  sandbox: Sandbox,
  document: string,
  action: string,
  parameters: Readonly<Record<string, string>>,
  timeoutSeconds: number,
) {
  const env = Object.fromEntries(Object.entries(parameters).map(([name, value]) => [`SSM_${name}`, value]));
  return sandbox.run(document, { env: { ...env, SSM_action: action }, timeoutSeconds });
}

async function probe(
  sandbox: Sandbox,
  script: string,
): Promise<{ value: number | undefined; run: SandboxRunResult }> {
  const run = await sandbox.run(script, { timeoutSeconds: 60 });
  const last = run.stdout.trim().split('\n').pop() ?? '';
  const value = run.exitCode === 0 && /^-?\d+(\.\d+)?$/.test(last.trim()) ? Number(last.trim()) : undefined;
  return { value, run };
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

function describe(
  value: number | undefined,
  comparison: string,
  threshold: number,
  expectation: string,
): string {
  return value === undefined
    ? 'the probe printed no number on its last line'
    : `${value} (alarm when ${comparison} ${threshold}: ${expectation})`;
}
