import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createSandbox,
  OUTPUT_LIMIT_BYTES,
  SANDBOX_HOST_ID,
  type Sandbox,
  type SandboxOptions,
  SVC,
  TIMEOUT_EXIT_CODE,
} from '../../local/sandbox.ts';

const live: Sandbox[] = [];

/** A sandbox that the test's afterEach destroys, whatever the test did. */
async function sandbox(options?: SandboxOptions): Promise<Sandbox> {
  const created = await createSandbox(options);
  live.push(created);
  return created;
}

/**
 * Host pids of the live processes in the pid namespace `pidNamespace` (a /proc/PID/ns/pid link).
 * Zombies are dead: when the owner of a sandbox is killed, its pid 1 is left to this machine's init to
 * reap, in its own time.
 */
async function liveProcessesIn(pidNamespace: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const link = await readlink(`/proc/${entry}/ns/pid`).catch(() => undefined);
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    if (link === pidNamespace && !/^\d+ \(.*\) Z /s.test(stat)) found.push(Number(entry));
  }
  return found;
}

/** Waits until `check` holds, for at most `ms`. */
async function eventually(check: () => Promise<boolean>, ms = 3000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

const HEARTBEAT_SERVICE = `
cat > /etc/sandbox/services/heartbeat <<'EOF'
#!/bin/bash
while :; do date +%s%N >> /var/lib/heartbeat; sleep 0.05; done
EOF
chmod +x /etc/sandbox/services/heartbeat
`;

describe('sandbox', () => {
  afterEach(async () => {
    await Promise.all(live.splice(0).map((s) => s.destroy()));
  });

  it("cannot write to the host's /etc or /usr, nor delete the host's files, even after a remount", async () => {
    const sbx = await sandbox();
    const hostDir = await mkdtemp(join(tmpdir(), 'sandbox-canary-'));
    const canary = join(hostDir, 'canary');
    await writeFile(canary, 'keep me');

    const result = await sbx.run(
      `
      for target in /etc/canary /usr/canary /usr/bin/canary; do
        touch "$target" 2>/dev/null && echo "wrote $target"
      done
      rm -f /etc/passwd /usr/bin/env 2>/dev/null && echo "removed host files"
      rm -f "$CANARY" 2>/dev/null; [ -e "$CANARY" ] && echo "sees the host canary"
      # Root of the sandbox may remount, but an overlay without an upper directory stays read-only.
      mount -o remount,bind,rw /usr && touch /usr/canary 2>/dev/null && echo "wrote /usr after a remount"
      # Every file system of the host is mounted read-only; the rest are the sandbox's (and 6 device nodes).
      findmnt -rn -o FSTYPE,OPTIONS,TARGET | awk '$1 !~ /^(tmpfs|proc|devtmpfs)$/ && $2 !~ /^ro/'
      echo checked
      `,
      { env: { CANARY: canary } },
    );

    const canaryText = await readFile(canary, 'utf8').catch(() => 'deleted');
    await rm(hostDir, { recursive: true });

    expect(result.stdout).toBe('checked\n');
    expect(canaryText).toBe('keep me');
    expect(existsSync('/etc/passwd') && existsSync('/usr/bin/env')).toBe(true);
    const written = ['/etc/canary', '/usr/canary', '/usr/bin/canary'].filter((path) => existsSync(path));
    expect(written).toEqual([]);
  });

  it("has a /root of its own: the host's is neither visible nor written", async () => {
    const sbx = await sandbox();

    const result = await sbx.run(
      'ls -A /root | wc -l; echo inside > /root/.sandbox-canary && cat /root/.sandbox-canary',
    );

    expect(result.stdout).toBe('0\ninside\n');
    expect(existsSync('/root/.sandbox-canary')).toBe(false);
  });

  it('sees and signals only its own processes, as an unprivileged user of the host', async () => {
    const sbx = await sandbox();

    const result = await sbx.run(
      `
      kill -KILL "$HOST_PID" 2>/dev/null && echo "killed a host process"
      # ps alone, before any pipeline: the other commands of a pipeline may or may not have started.
      ps -e -o comm= > /tmp/processes
      sort -u /tmp/processes | tr '\\n' ' '; echo
      ls -d /proc/[0-9]* | wc -l
      `,
      { env: { HOST_PID: String(process.pid) } },
    );

    const [commands = '', procEntries = ''] = result.stdout.split('\n');
    expect(commands.trim().split(' ')).toEqual(['bash', 'ps', 'sleep']);
    expect(Number(procEntries)).toBeLessThan(10);
    const status = await readFile(`/proc/${sbx.initPid}/status`, 'utf8');
    const hostUid = process.getuid?.() === 0 ? SANDBOX_HOST_ID : process.getuid?.();
    expect(status).toMatch(new RegExp(`^Uid:\\t${hostUid}\\t`, 'm'));
  });

  it('has a root volume of its own size that fills up, as df -P / shows', async () => {
    const sbx = await sandbox({ diskSizeMiB: 16 });

    const result = await sbx.run(`
      df -P / | awk 'NR == 2 { print $1, $2, $5 }'
      df -P /var/log | awk 'NR == 2 { print $1 }'
      head -c 20M /dev/zero > /var/log/app.log.1 || echo "no space left"
      df -P / | awk 'NR == 2 { print $5 }'
    `);

    expect(result.stdout).toBe('sandbox-disk 16384 1%\nsandbox-disk\nno space left\n100%\n');
  });

  it('runs out of inodes when its inodes are spent, as df -Pi / shows', async () => {
    const sbx = await sandbox({ inodes: 256 });

    const result = await sbx.run(`
      for i in $(seq 300); do : > "/var/log/f$i" 2>/dev/null || { echo "full"; break; }; done
      df -Pi / | awk 'NR == 2 { print $2, $5 }'
    `);

    expect(result.stdout).toBe('full\n256 100%\n');
  });

  it('keeps files between commands, and reaps the orphans a command leaves', async () => {
    const sbx = await sandbox();
    await sbx.run('echo kept > /var/lib/state; for i in 1 2 3 4 5; do ( sleep 0.1 & ); done');

    const result = await sbx.run('cat /var/lib/state; sleep 0.3; ps -e -o stat= | grep -c "^Z"');

    expect(result.stdout).toBe('kept\n0\n');
  });

  it('runs services with svc: start, crash, restart, stop; they outlive the command that started them', async () => {
    const sbx = await sandbox();
    const status = 'svc status heartbeat; echo "status $?"';

    const started = await sbx.run(`${HEARTBEAT_SERVICE} svc start heartbeat; ${status}`);
    const later = await sbx.run(`sleep 0.2; [ -s /var/lib/heartbeat ] && echo beating; ${status}`);
    const crashed = await sbx.run(`kill -KILL "$(cat /run/svc/heartbeat.pid)"; sleep 0.1; ${status}`);
    const restarted = await sbx.run(`svc restart heartbeat; ${status}`);
    const stopped = await sbx.run(`svc stop heartbeat; ${status}; ls /var/log/heartbeat.log`);

    expect(started.stdout).toMatch(/^heartbeat: active \(running\), pid \d+\nstatus 0\n$/);
    expect(later.stdout).toMatch(/^beating\nheartbeat: active.*\nstatus 0\n$/);
    expect(crashed.stdout).toBe('heartbeat: failed (Result: signal)\nstatus 3\n');
    expect(restarted.stdout).toMatch(/status 0\n$/);
    expect(stopped.stdout).toBe('heartbeat: inactive (dead)\nstatus 3\n/var/log/heartbeat.log\n');
  });

  it("has systemd's tools, its own and not the host's, so a runbook takes its systemd branch", async () => {
    const sbx = await sandbox();

    const result = await sbx.run(`
      if [ -d /run/systemd/system ]; then echo systemd; else echo "no systemd"; fi
      command -v systemctl journalctl svc
      svc status nothing; echo "status $?"
    `);

    expect(result.stdout).toBe(
      `systemd\n/opt/sandbox/bin/systemctl\n/opt/sandbox/bin/journalctl\n${SVC}\nnothing: unknown service\nstatus 4\n`,
    );
  });

  it('kills a command and what it forked at its timeout, but not the services it started', async () => {
    const sbx = await sandbox();

    const result = await sbx.run(
      `${HEARTBEAT_SERVICE}
      svc start heartbeat
      sleep 31 &
      echo started
      sleep 30`,
      { timeoutSeconds: 1 },
    );
    const after = await sbx.run('pgrep -fx "sleep 3[01]" || echo "none left"; svc status heartbeat');

    expect(result).toMatchObject({ timedOut: true, exitCode: TIMEOUT_EXIT_CODE, stdout: 'started\n' });
    expect(result.durationMs).toBeGreaterThanOrEqual(1000);
    // Killed at its timeout, not after the 30 s it asked for (a bound, not a timing: the machine may be busy).
    expect(result.durationMs).toBeLessThan(15_000);
    expect(after.stdout).toMatch(/^none left\nheartbeat: active \(running\)/);
  });

  it('passes the script and environment values as data, never as code', async () => {
    const sbx = await sandbox();
    const tricky = `it's "quoted" $(touch /tmp/pwned) \`touch /tmp/pwned\` $HOME \\ ; exit 7 # \n second line`;

    const fromEnv = await sbx.run('printf "%s" "$TRICKY"', { env: { TRICKY: tricky } });
    const fromScript = await sbx.run(`cat <<'END_OF_TEXT'\n${tricky}\nEND_OF_TEXT\n`);
    const traces = await sbx.run('ls -A /tmp | wc -l');

    expect(fromEnv).toMatchObject({ exitCode: 0, stdout: tricky });
    expect(fromScript).toMatchObject({ exitCode: 0, stdout: `${tricky}\n` });
    expect(traces.stdout).toBe('0\n');
    await expect(sbx.run('true', { env: { 'A=B': 'x' } })).rejects.toThrow(/environment variable name/);
  });

  it('runs from a fresh SSM-like directory, with the exit code and the tail of the output', async () => {
    const sbx = await sandbox();

    const result = await sbx.run(
      'pwd; head -c 3M /dev/zero | tr "\\0" a; echo; echo END; echo oops >&2; exit 3',
    );

    expect(result.exitCode).toBe(3);
    expect(result.stderr).toBe('oops\n');
    expect(result.stdout).toHaveLength(OUTPUT_LIMIT_BYTES);
    expect(result.stdout.endsWith('aaa\nEND\n')).toBe(true);
    const first = await sbx.run('pwd');
    expect(first.stdout).toMatch(
      new RegExp(`^/var/lib/amazon/ssm/${sbx.id}/document/orchestration/[0-9a-f-]{36}/awsrunShellScript/`),
    );
  });

  it('runs a fleet of 8 at once and destroys each, with every process and its directory', async () => {
    const fleet = await Promise.all(Array.from({ length: 8 }, (_, i) => sandbox({ name: `web-${i}` })));
    await fleet[0]?.run(`${HEARTBEAT_SERVICE} svc start heartbeat`);
    const namespaces = await Promise.all(fleet.map((s) => readlink(`/proc/${s.initPid}/ns/pid`)));

    const names = await Promise.all(fleet.map((s) => s.run('hostname; sleep 0.2')));
    const pending = fleet[1]?.run('sleep 30');
    await Promise.all(fleet.map((s) => s.destroy()));

    expect(names.map((r) => r.stdout)).toEqual(fleet.map((_, i) => `web-${i}\n`));
    expect((await pending)?.timedOut).toBe(false);
    for (const [i, s] of fleet.entries()) {
      expect(await liveProcessesIn(namespaces[i] ?? '')).toEqual([]);
      expect(existsSync(`/proc/${s.initPid}`)).toBe(false);
      expect(existsSync(s.root)).toBe(false);
    }
    await expect(fleet[0]?.destroy()).resolves.toBeUndefined();
  });

  it('dies with the process that created it, even when that process is killed', async () => {
    const sandboxModule = new URL('../../local/sandbox.ts', import.meta.url).href;
    const owner = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '--eval',
        `const { createSandbox } = await import(${JSON.stringify(sandboxModule)});
         const s = await createSandbox();
         console.log(s.initPid, s.root);
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let gone = false;
    let root = '';
    try {
      const [line = ''] = (await Promise.race([
        once(createInterface({ input: owner.stdout }), 'line'),
        once(owner, 'exit').then(() =>
          Promise.reject(new Error('the owner exited before its sandbox was up')),
        ),
      ])) as [string];
      const [initPid, sandboxRoot = ''] = line.split(' ');
      root = sandboxRoot;
      const namespace = await readlink(`/proc/${initPid}/ns/pid`);

      owner.kill('SIGKILL');
      gone = await eventually(async () => (await liveProcessesIn(namespace)).length === 0);
      await sandbox();
    } finally {
      owner.kill('SIGKILL');
    }

    expect(gone).toBe(true);
    // The next sandbox deleted the directory that the killed one left.
    expect(existsSync(root)).toBe(false);
  });
});
