import type { Runbook } from '../core/runbook.ts';

/** The runbooks a deployment answers alarms with, found by name or by their SSM document. */
export class RunbookCatalog {
  readonly all: readonly Runbook[];
  private readonly byNameMap: ReadonlyMap<string, Runbook>;
  private readonly byDocumentMap: ReadonlyMap<string, Runbook>;

  constructor(runbooks: readonly Runbook[], documents: Readonly<Record<string, string>>) {
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
}
