import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../local/sandbox.ts';
import {
  CRITICAL_SERVICE_PREFIXES,
  CRITICAL_SERVICES,
  NON_SERVICE_UNIT_TYPES,
  refuseSpecialUnit,
} from '../../runbooks/shared/service-restart.ts';

const SCRIPTS = ['service-down/restart.sh', 'memory-leak/capture-and-restart.sh'];
const read = (file: string) => readFileSync(new URL(`../../runbooks/${file}`, import.meta.url), 'utf8');

/** Every name the runbooks' rule refuses, one per entry of its lists, and services it lets through. */
const REFUSED = [
  ...NON_SERVICE_UNIT_TYPES.map((type) => `unit.${type}`),
  ...CRITICAL_SERVICES,
  ...CRITICAL_SERVICES.map((name) => `${name}.service`),
  ...CRITICAL_SERVICE_PREFIXES.map((prefix) => `${prefix}x`),
  ...CRITICAL_SERVICE_PREFIXES.map((prefix) => `${prefix}x.service`),
];
const ALLOWED = ['nginx', 'nginx.service', 'php8.1-fpm', 'app@blue.service', 'sshd', 'reboot.target.service'];

describe('the restart scripts refuse what the runbooks refuse, also when run by hand', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await createSandbox({ name: 'unit-rule' });
  });
  afterAll(() => sandbox.destroy());

  it('agrees with the runbooks on every name of the lists, and on services', () => {
    for (const unit of REFUSED) expect(refuseSpecialUnit(unit), unit).toBeDefined();
    for (const unit of ALLOWED) expect(refuseSpecialUnit(unit), unit).toBeUndefined();
  });

  it.each(SCRIPTS)('%s exits 2 before touching anything for each refused name', async (file) => {
    // One run for every name: the sandbox has no such services, so a name let through exits 4.
    const script = read(file);
    const probe = [...REFUSED, ...ALLOWED]
      .map(
        (unit) =>
          `SSM_service='${unit}' bash "$script" >/dev/null 2>"$dir/err"; echo "${unit} $? $(grep -c refusing "$dir/err")"`,
      )
      .join('\n');

    const result = await sandbox.run(
      `dir=$(mktemp -d); script="$dir/action.sh"\ncat > "$script" <<'SCRIPT_END'\n${script}\nSCRIPT_END\n${probe}`,
      { timeoutSeconds: 120 },
    );

    const outcome = new Map(
      result.stdout
        .trim()
        .split('\n')
        .map((line) => {
          const [unit, code, refusing] = line.split(' ');
          return [unit, { code: Number(code), refusing: refusing === '1' }] as const;
        }),
    );
    for (const unit of REFUSED) expect(outcome.get(unit), unit).toEqual({ code: 2, refusing: true });
    for (const unit of ALLOWED) expect(outcome.get(unit), unit).toEqual({ code: 4, refusing: false });
    const ledger = await sandbox.run('ls /var/lib/ec2-remediation/restarts 2>/dev/null | wc -l');
    expect(ledger.stdout.trim()).toBe('0');
  });
});
