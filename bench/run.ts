import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../lib/project-paths.ts';
import { alarmStorm } from './alarm-storm.ts';
import { coldStart } from './cold-start.ts';
import { cost } from './cost.ts';
import { decisionOverhead } from './decision-overhead.ts';
import { provisioning } from './provisioning.ts';
import { timeToFix } from './time-to-fix.ts';

/**
 * `npm run bench [name ...]`: runs the benchmarks (all, or those named), one after another so that
 * they do not compete for the machine, and writes each result to bench/results/<name>.json.
 */
const BENCHMARKS: Record<string, () => Promise<Record<string, unknown>>> = {
  'decision-overhead': decisionOverhead,
  'alarm-storm': alarmStorm,
  'cold-start': coldStart,
  cost,
  provisioning,
  'time-to-fix': timeToFix,
};

const chosen = process.argv.slice(2);
const unknown = chosen.filter((name) => !BENCHMARKS[name]);
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`);
  process.exit(2);
}
const dir = join(PROJECT_ROOT, 'bench', 'results');
mkdirSync(dir, { recursive: true });
for (const name of chosen.length > 0 ? chosen : Object.keys(BENCHMARKS)) {
  process.stdout.write(`${name} ... `);
  const measured = await (BENCHMARKS[name] as () => Promise<Record<string, unknown>>)();
  const result: Record<string, unknown> = { ...measured, ranAt: new Date().toISOString() };
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  const verdict =
    result.met === undefined ? 'reported (no target)' : result.met ? 'target met' : 'target NOT met';
  console.log(`${verdict} (bench/results/${name}.json)`);
}
process.exit(0);
