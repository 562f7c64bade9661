import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/project-paths.ts';

/**
 * The modules a module loads as it starts: its static imports and re-exports, followed through the
 * project's own files (type-only imports are erased, dynamic ones load only when a command runs).
 */
function staticGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(
      /^(?:import|export)\s+(?!type\b)[^'";]*?from\s+'(\.[^']+)'|^import\s+'(\.[^']+)'/gms,
    )) {
      const specifier = (match[1] ?? match[2]) as string;
      const target = resolve(dirname(file), specifier);
      if (existsSync(target)) visit(target);
    }
  };
  visit(entry);
  return seen;
}

describe('the CLI starts without loading any runbook definition', () => {
  const graph = [...staticGraph(join(PROJECT_ROOT, 'bin/remediate.ts'))].map((file) =>
    relative(PROJECT_ROOT, file),
  );

  it('follows the imports (the graph is the CLI, not an empty set)', () => {
    expect(graph).toContain('cli/kill-switch.ts');
    expect(graph).toContain('runbooks/discover.ts');
    expect(graph.length).toBeGreaterThan(20);
  });

  it('imports neither the registry nor a runbook folder: a broken or deleted runbook cannot stop the kill switch', () => {
    expect(
      graph.filter((file) => file === 'runbooks/index.ts' || /^runbooks\/[^/]+\/runbook\.ts$/.test(file)),
    ).toEqual([]);
    // Nor the game day or the stack, which import the registry: they load only for their commands.
    expect(
      graph.filter(
        (file) =>
          file.startsWith('local/gameday/') || (file.startsWith('lib/') && file !== 'lib/project-paths.ts'),
      ),
    ).toEqual([]);
  });
});
