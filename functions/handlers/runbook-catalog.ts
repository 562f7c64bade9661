import { defineRunbook, type Runbook, RunbookDefinitionError } from '../core/runbook.ts';
import { runbookSetProblems } from '../core/runbook-overlap.ts';

/** The runbooks a deployment answers alarms with, found by name or by their SSM document. */
export class RunbookCatalog {
  readonly all: readonly Runbook[];
  private readonly byNameMap: ReadonlyMap<string, Runbook>;
  private readonly byDocumentMap: ReadonlyMap<string, Runbook>;

  constructor(runbooks: readonly Runbook[], documents: Readonly<Record<string, string>>) {
    // Synth refuses such a set first; a function never answers alarms with one either.
    const problems = runbookSetProblems(runbooks);
    if (problems.length > 0)
      throw new RunbookDefinitionError(
        `the runbooks cannot be deployed together:\n  - ${problems.join('\n  - ')}`,
      );
    this.all = runbooks;
    this.byNameMap = new Map(runbooks.map((r) => [r.name, r]));
    this.byDocumentMap = new Map(
      runbooks.flatMap((r) => (documents[r.name] ? [[documents[r.name] as string, r] as const] : [])),
    );
  }

  byName(name: string): Runbook | undefined {
    return this.byNameMap.get(name);
  }

  byDocument(documentName: string): Runbook | undefined {
    return this.byDocumentMap.get(documentName);
  }

  /**
   * The runbook an incident was opened with, or, when this deployment no longer has it (renamed or
   * removed since), a stand-in that runs nothing: the incident's next attempt escalates with that
   * reason instead of stranding the incident. The timers of such incidents are decided with it.
   */
  forIncident(name: string): { readonly runbook: Runbook; readonly retired: boolean } | undefined {
    const runbook = this.byNameMap.get(name);
    if (runbook) return { runbook, retired: false };
    // Only a name a runbook could have had: anything else never named an incident of ours.
    if (!RUNBOOK_NAME.test(name) || name.length > 40) return undefined;
    try {
      return { runbook: retiredRunbook(name, this.all), retired: true };
    } catch {
      return undefined;
    }
  }
}

/** Why a retired runbook's incident is paged. */
export function retiredReason(name: string, deployed: readonly Runbook[]): string {
  return (
    `runbook ${name} is no longer deployed (renamed or removed since this incident opened; this deployment has ` +
    `${deployed.map((r) => r.name).join(', ') || 'no runbooks'}): nothing more is run, a human takes it from here`
  );
}

/** The names `defineRunbook` accepts (lower-case kebab-case, at most 40 characters). */
const RUNBOOK_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;

const retired = new Map<string, Runbook>();

/** A runbook that answers no alarm and escalates every attempt it is asked to plan. */
function retiredRunbook(name: string, deployed: readonly Runbook[]): Runbook {
  const known = retired.get(name);
  if (known) return known;
  const reason = retiredReason(name, deployed);
  const runbook = defineRunbook({
    name,
    description: `Runbook ${name}, no longer deployed.`,
    owner: 'unknown (the runbook is no longer deployed)',
    match: { alarmNames: [`${name}-retired-runbook-matches-nothing`] },
    remediate: 'retired.sh',
    choose: () => ({ escalate: reason }),
    // The most attempts a runbook may have: a failed attempt goes on to plan the next one, which
    // escalates with the reason above, instead of escalating as "attempts exhausted".
    maxAttempts: 10,
    backoff: { baseSeconds: 1, capSeconds: 1 },
    verifyWindowSeconds: 60,
    executionTimeoutSeconds: 30,
    deliveryTimeoutSeconds: 30,
    // Ten attempts' timeouts would not fit the default budget of time to a human, but this stand-in
    // runs nothing: the first attempt it plans escalates at once.
    pageWithin: { seconds: 3600, reason: 'it runs nothing: the first attempt it plans pages at once' },
    breaker: false,
    autoDisable: false,
  });
  retired.set(name, runbook);
  return runbook;
}
