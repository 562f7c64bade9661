import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SandboxRunOptions, SandboxRunResult } from '../sandbox.ts';
import { SANDBOX_PATH, TOOLS_DIR } from './guest-scripts.ts';

/**
 * The exit code of a command stopped at its timeout: the SSM agent's CommandStoppedPreemptivelyExitCode
 * (128 + SIGKILL), which it reports for an execution timeout on Linux.
 */
export const TIMEOUT_EXIT_CODE = 137;

/** The exit code when the script's shell itself was killed by a signal: the SSM agent reports -1. */
export const SIGNALED_EXIT_CODE = -1;

/** How much of stdout and of stderr a result keeps: the last MiB of each. */
export const OUTPUT_LIMIT_BYTES = 1024 * 1024;

/**
 * Into every namespace of the sandbox; --root and --wd: into its root file system, at /. As root,
 * nsenter becomes the namespace's root (an unprivileged host user); otherwise this user already is,
 * and setgroups, which nsenter would call, is denied in the namespace.
 */
const NSENTER_ARGS = [
  '--user',
  '--mount',
  '--pid',
  '--uts',
  '--ipc',
  '--net',
  '--cgroup',
  '--root',
  '--wd',
  ...(process.getuid?.() === 0 ? [] : ['--preserve-credentials']),
];

const RUN_COMMAND = `${TOOLS_DIR}/libexec/run-command`;

/** The SSM agent's default executionTimeout for aws:runShellScript. */
const DEFAULT_TIMEOUT_SECONDS = 3600;

/** After a timeout, how long output may still drain before the pipes are cut (from processes that left the group). */
const DRAIN_AFTER_KILL_MS = 250;

/** Runs `script` inside the sandbox whose pid 1 has host pid `initPid`; see Sandbox.run. */
export async function runCommand(
  initPid: number,
  instanceId: string,
  script: string,
  options: SandboxRunOptions = {},
): Promise<SandboxRunResult> {
  const timeoutSeconds = options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  if (!(timeoutSeconds > 0 && Number.isFinite(timeoutSeconds)))
    throw new Error(`timeoutSeconds must be a positive number of seconds, not ${timeoutSeconds}`);
  const env = commandEnvironment(instanceId, options.env ?? {});
  const started = performance.now();
  // detached: terminal signals meant for this process do not reach nsenter; the sandbox dies with it.
  const child = spawn(
    nsenter(),
    [...NSENTER_ARGS, `--target=${initPid}`, '--', RUN_COMMAND, instanceId, randomUUID()],
    {
      detached: true,
      env,
      stdio: 'pipe',
    },
  );
  const stdout = new OutputTail(OUTPUT_LIMIT_BYTES);
  const stderr = new OutputTail(OUTPUT_LIMIT_BYTES);
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  const closed = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    // 'close', not 'exit': like the agent, a command is done when its output is closed too, so a
    // background job that keeps the script's stdout holds the command until its timeout.
    child.once('close', (exitCode) => resolve(exitCode));
  });
  // The script does not start before its stdin ends: learn its process group first, free of races.
  const group = await commandGroup(child);
  // The script is data on stdin; a command that fails before reading all of it closes the pipe early.
  child.stdin?.on('error', () => {});
  child.stdin?.end(script);

  let timedOut = false;
  const timeOut = () => {
    if (timedOut) return;
    timedOut = true;
    if (group !== undefined) killGroup(group);
    // As the agent does, stop listening: a process that left the group may hold the pipes open.
    setTimeout(() => {
      child.stdout?.destroy();
      child.stderr?.destroy();
    }, DRAIN_AFTER_KILL_MS);
  };
  const timer = setTimeout(timeOut, timeoutSeconds * 1000);
  if (options.signal?.aborted) timeOut();
  options.signal?.addEventListener('abort', timeOut, { once: true });
  try {
    const code = await closed;
    return {
      exitCode: timedOut ? TIMEOUT_EXIT_CODE : (code ?? SIGNALED_EXIT_CODE),
      stdout: stdout.text(),
      stderr: stderr.text(),
      timedOut,
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', timeOut);
  }
}

/**
 * The host pid of nsenter's child, which becomes the script's shell and, with setsid, the leader of
 * the command's process group and session, as the agent makes it (Setpgid). Killing that group, not
 * nsenter's, leaves nsenter alive to reap its child: killed with it, its child would be reparented to
 * this machine's init, and the sandbox's teardown would wait for that init to reap it.
 */
async function commandGroup(child: ChildProcess): Promise<number | undefined> {
  const file = `/proc/${child.pid}/task/${child.pid}/children`;
  // exitCode stays null when nsenter ends by a signal (it passes on its child's): check signalCode too.
  const running = () => child.pid !== undefined && child.exitCode === null && child.signalCode === null;
  for (let attempt = 0; attempt < 400 && running(); attempt++) {
    const pid = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
    if (pid > 0) return pid;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return undefined;
}

let nsenterPath: string | undefined;

/** nsenter, found on this process's PATH, not the command's: `env` may give the command its own PATH. */
function nsenter(): string {
  nsenterPath ??=
    [...(process.env.PATH ?? '').split(':'), '/usr/bin', '/bin']
      .filter((dir) => dir.startsWith('/'))
      .map((dir) => join(dir, 'nsenter'))
      .find((path) => existsSync(path)) ?? 'nsenter';
  return nsenterPath;
}

/** A minimal environment, as the agent's under systemd, plus the caller's variables, passed as data. */
function commandEnvironment(instanceId: string, extra: Record<string, string>): Record<string, string> {
  for (const [name, value] of Object.entries(extra)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new Error(`Invalid environment variable name ${JSON.stringify(name)}: use letters, digits and _`);
    if (typeof value !== 'string' || value.includes('\0'))
      throw new Error(`Environment variable ${name} must be a string without NUL characters`);
  }
  return { PATH: SANDBOX_PATH, HOME: '/root', LANG: 'C.UTF-8', AWS_SSM_INSTANCE_ID: instanceId, ...extra };
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // The group is already gone.
  }
}

/** Keeps the last `limit` bytes written to it, as a log tail does. */
class OutputTail {
  readonly #limit: number;
  readonly #chunks: Buffer[] = [];
  #size = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    for (
      let first = this.#chunks[0];
      first && this.#size - first.length >= this.#limit;
      first = this.#chunks[0]
    ) {
      this.#chunks.shift();
      this.#size -= first.length;
    }
  }

  text(): string {
    const all = Buffer.concat(this.#chunks);
    return all.subarray(Math.max(0, all.length - this.#limit)).toString('utf8');
  }
}
