import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SCENARIOS_DIR } from './gameday.ts';
import type { ScenarioDefinition } from './scenario.ts';

/** The names of the scenarios in scenarios/. */
export function scenarioNames(): string[] {
  return readdirSync(SCENARIOS_DIR)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

/** Loads scenarios/<name>.ts; undefined when there is no such file. */
export async function loadScenario(name: string): Promise<ScenarioDefinition | undefined> {
  const file = join(SCENARIOS_DIR, `${name}.ts`);
  if (!existsSync(file)) return undefined;
  const module = (await import(pathToFileURL(file).href)) as { default: ScenarioDefinition };
  return module.default;
}
