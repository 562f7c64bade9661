/**
 * A sandboxed instance: a small Linux machine made of namespaces, in which runbook scripts run with
 * bash exactly as SSM Run Command runs them on an EC2 instance, with no risk to this machine.
 *
 * - Isolation: own user, mount, pid, uts, ipc, cgroup and network (loopback only) namespaces. Root
 *   inside is an unprivileged host user (SANDBOX_HOST_ID when this process is root), so the host's
 *   files, devices and processes stay out of reach even past the mounts. No directory of the host is
 *   mounted writable, none at all outside /usr (with /bin, /lib...) and /etc, which are read-only.
 * - Root file system: a tmpfs of `diskSizeMiB` and `inodes` (`df -P /`, `df -Pi /`). Everything but
 *   /usr and /etc is the sandbox's, fresh: /var (log, lib, tmp, cache...), /tmp, /opt, /srv, /root,
 *   /home. /run (16 MiB) and /var/lib/amazon/ssm (8 MiB: the agent's room on a full disk) are tmpfs
 *   of their own; /etc/sandbox is a writable directory in the read-only /etc. A minimal /dev, no /sys.
 * - Long-lived: pid 1 stays between commands and reaps orphans; services keep running between
 *   commands; each command enters the namespaces with nsenter. At most 1024 processes.
 * - systemd's tools without systemd: /run/systemd/system exists, and the sandbox's own `systemctl`
 *   and `journalctl` (the host's are hidden) manage services: a unit NAME or NAME.service is the
 *   executable SERVICES_DIR/NAME, run in the foreground (Type=simple) in a session of its own, its
 *   output in /var/log/NAME.log, its main pid in /run/svc/NAME.pid. Both are front ends of `svc`
 *   (on PATH, at SVC), the sandbox's service manager; `svc status` exits 0 when running, 3 when
 *   stopped, 4 when unknown.
 * - A clock it cannot set (no CAP_SYS_TIME): the sandbox's `chronyc` (the host's is hidden) reports
 *   and steps the clock error a stand-in chronyd.service keeps in /run/chrony/offset.
 * - Nothing outlives this process: the sandbox gets SIGKILL when it exits, even by a crash, and the
 *   next createSandbox deletes what such a sandbox left in the temp directory.
 *
 * Needs Linux 5.11 or later (overlayfs in user namespaces) with user namespaces allowed, and
 * util-linux (unshare, nsenter, setpriv). Call it from the main thread: the parent-death signal
 * follows the thread that spawned the sandbox.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from './sandbox/command-run.ts';
import {
  CHRONYC_SCRIPT,
  INIT_SCRIPT,
  JOURNALCTL_SCRIPT,
  RUN_COMMAND_SCRIPT,
  SUPERVISE_SCRIPT,
  SVC_SCRIPT,
  SYSTEMCTL_SCRIPT,
  TOOLS_DIR,
} from './sandbox/guest-scripts.ts';
import { type InitProcess, startInit } from './sandbox/init-process.ts';

export { OUTPUT_LIMIT_BYTES, SIGNALED_EXIT_CODE, TIMEOUT_EXIT_CODE } from './sandbox/command-run.ts';
export { SANDBOX_PATH } from './sandbox/guest-scripts.ts';
export { SANDBOX_HOST_ID } from './sandbox/init-process.ts';

/** The sandbox's service manager, under its systemctl and journalctl; also on the PATH as `svc`. */
export const SVC = `${TOOLS_DIR}/bin/svc`;

/** Where a service NAME is defined, as an executable file that runs in the foreground. */
export const SERVICES_DIR = '/etc/sandbox/services';

/** The outcome of one command, as the SSM agent records it. */
export interface SandboxRunResult {
  /** The script's exit code; TIMEOUT_EXIT_CODE (137) on a timeout, SIGNALED_EXIT_CODE (-1) when bash was killed. */
  readonly exitCode: number;
  /** The last OUTPUT_LIMIT_BYTES of stdout. */
  readonly stdout: string;
  /** The last OUTPUT_LIMIT_BYTES of stderr. */
  readonly stderr: string;
  /** Whether the command was stopped at `timeoutSeconds`. */
  readonly timedOut: boolean;
  /** From the start of the command to the end of its output. */
  readonly durationMs: number;
}

/** How to run one command. */
export interface SandboxRunOptions {
  /** Extra environment variables, such as SSM_<param>; names of letters, digits and _. */
  readonly env?: Readonly<Record<string, string>>;
  /** The execution timeout. @default 3600, the agent's default */
  readonly timeoutSeconds?: number;
  /**
   * Stops the command as its timeout would (the process group killed, `timedOut` set): for a caller
   * whose timeout runs on another clock than this machine's, such as the game day's.
   */
  readonly signal?: AbortSignal;
}

/** A sandboxed instance, alive until `destroy`. */
export interface Sandbox {
  /** Unique id, such as `sbx-1a2b3c`; also the command's AWS_SSM_INSTANCE_ID. */
  readonly id: string;
  /** The sandbox's hostname. */
  readonly name: string;
  /**
   * Host directory of this sandbox, deleted by destroy: the tools it copies in, and the mount point of
   * its disk, which is mounted in the sandbox's mount namespace only, so it vanishes with the sandbox.
   */
  readonly root: string;
  /** Host pid of the sandbox's pid 1; every process of the sandbox is gone once it is. */
  readonly initPid: number;
  /**
   * Runs a script with bash inside the sandbox, as SSM's aws:runShellScript would: written to
   * _script.sh in a fresh directory under /var/lib/amazon/ssm/<id>/document/orchestration/, which is
   * the working directory; as root; stdin empty; environment PATH (SANDBOX_PATH), HOME=/root,
   * LANG=C.UTF-8, AWS_SSM_INSTANCE_ID and `env`. At `timeoutSeconds` the command's whole process group
   * gets SIGKILL (the services it started are not in it). Like the agent, a command is finished
   * when its output is closed too: a background job that keeps stdout open holds it until the timeout.
   */
  run(script: string, options?: SandboxRunOptions): Promise<SandboxRunResult>;
  /** Kills every process of the sandbox and deletes its state. Idempotent. */
  destroy(): Promise<void>;
}

/** The size of a new sandbox, and its hostname. */
export interface SandboxOptions {
  /** The hostname. @default the id */
  readonly name?: string;
  /** Size of the root file system. @default 64 */
  readonly diskSizeMiB?: number;
  /** Inodes of the root file system, for `df -Pi /`. @default 16384 */
  readonly inodes?: number;
}

/** Where sandboxes keep their host directories; one per user, since the temp directory is shared. */
const SANDBOXES_DIR = join(tmpdir(), `ec2-remediation-sandboxes-${process.getuid?.() ?? 'user'}`);

/** Starts a sandbox; it is ready for `run` when the promise resolves (in some 50 ms). */
export async function createSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const id = `sbx-${randomBytes(3).toString('hex')}`;
  const name = options.name ?? id;
  const diskSizeMiB = options.diskSizeMiB ?? 64;
  const inodes = options.inodes ?? 16_384;
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(name))
    throw new Error(`Sandbox name ${JSON.stringify(name)} is not a hostname: use letters, digits and -`);
  if (!(Number.isInteger(diskSizeMiB) && diskSizeMiB >= 1))
    throw new Error(`diskSizeMiB must be a whole number of MiB, 1 or more, not ${diskSizeMiB}`);
  if (!(Number.isInteger(inodes) && inodes >= 64))
    throw new Error(`inodes must be a whole number, 64 or more, not ${inodes}`);

  await removeAbandonedSandboxes();
  const root = join(SANDBOXES_DIR, id);
  await mkdir(root); // not recursive: an id already taken fails here
  await mkdir(join(root, 'disk'));
  await mkdir(join(root, 'tools', 'bin'), { recursive: true });
  await mkdir(join(root, 'tools', 'libexec'), { recursive: true });
  await Promise.all([
    writeFile(join(root, 'owner'), `${process.pid}\n`),
    writeFile(join(root, 'tools', 'bin', 'svc'), SVC_SCRIPT, { mode: 0o755 }),
    writeFile(join(root, 'tools', 'bin', 'systemctl'), SYSTEMCTL_SCRIPT, { mode: 0o755 }),
    writeFile(join(root, 'tools', 'bin', 'journalctl'), JOURNALCTL_SCRIPT, { mode: 0o755 }),
    writeFile(join(root, 'tools', 'bin', 'chronyc'), CHRONYC_SCRIPT, { mode: 0o755 }),
    writeFile(join(root, 'tools', 'libexec', 'supervise'), SUPERVISE_SCRIPT, { mode: 0o755 }),
    writeFile(join(root, 'tools', 'libexec', 'run-command'), RUN_COMMAND_SCRIPT, { mode: 0o755 }),
    writeFile(join(root, 'tools', 'libexec', 'init'), INIT_SCRIPT, { mode: 0o755 }),
  ]);
  try {
    const init = await startInit(join(root, 'tools', 'libexec', 'init'), {
      root,
      diskSizeMiB,
      inodes,
      hostname: name,
      timeoutMs: 10_000,
    });
    return new RunningSandbox(id, name, root, init);
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}

class RunningSandbox implements Sandbox {
  readonly id: string;
  readonly name: string;
  readonly root: string;
  readonly initPid: number;
  readonly #init: InitProcess;
  #destroyed: Promise<void> | undefined;

  constructor(id: string, name: string, root: string, init: InitProcess) {
    this.id = id;
    this.name = name;
    this.root = root;
    this.initPid = init.pid;
    this.#init = init;
  }

  run(script: string, options?: SandboxRunOptions): Promise<SandboxRunResult> {
    if (this.#destroyed) return Promise.reject(new Error(`Sandbox ${this.id} is destroyed; create another`));
    return runCommand(this.initPid, this.id, script, options);
  }

  destroy(): Promise<void> {
    this.#destroyed ??= this.#teardown();
    return this.#destroyed;
  }

  async #teardown(): Promise<void> {
    const { child, exited } = this.#init;
    child.ref();
    // Killing pid 1 kills its whole pid namespace; unshare reaps it once all are gone, then exits.
    // Until then its pid cannot be reused, so the kill cannot hit another process.
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(this.initPid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }
    await exited;
    await rm(this.root, { recursive: true, force: true });
  }
}

/** Deletes the directories of sandboxes whose creating process is gone (their processes died with it). */
async function removeAbandonedSandboxes(): Promise<void> {
  await mkdir(SANDBOXES_DIR, { recursive: true });
  for (const entry of await readdir(SANDBOXES_DIR)) {
    const dir = join(SANDBOXES_DIR, entry);
    const owner = Number(await readFile(join(dir, 'owner'), 'utf8').catch(() => 'NaN'));
    // A directory without an owner yet is being created; one that cannot be removed is left for later.
    if (Number.isInteger(owner) && !isAlive(owner))
      await rm(dir, { recursive: true, force: true }).catch(() => {});
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
