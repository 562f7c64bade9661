import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';

/**
 * The host uid (and gid) that root inside a sandbox is, when this process runs as root: far above any
 * login or subordinate-id range, owning nothing on this machine. With it, a sandbox that remounted a
 * read-only mount read-write would still be refused by the files' own permissions, and it can neither
 * open the host's devices nor signal the host's processes. Without root, a sandbox is the current user.
 */
export const SANDBOX_HOST_ID = 1_800_000_000;

/** Users (and groups) mapped into a sandbox when this process runs as root: 0 to 65535, as on an instance. */
const MAPPED_IDS = 65_536;

/** What the sandbox's file system is made of. */
export interface InitOptions {
  /** Host directory with `tools/` (mounted at /opt/sandbox) and the empty mount point `disk/`. */
  readonly root: string;
  readonly diskSizeMiB: number;
  readonly inodes: number;
  readonly hostname: string;
  /** How long the namespace may take to come up. */
  readonly timeoutMs: number;
}

/** The sandbox's pid 1, running, with the unshare process that is its parent on the host. */
export interface InitProcess {
  /** Host pid of the sandbox's pid 1: the target of nsenter. */
  readonly pid: number;
  /** The setpriv → unshare process that forked pid 1 and reaps it. */
  readonly child: ChildProcess;
  /** Settles when `child` has exited, which is after every process of the sandbox is gone. */
  readonly exited: Promise<void>;
}

/**
 * Starts a sandbox's pid 1 in new user, mount, pid, uts, ipc, network and cgroup namespaces. The
 * chain dies with this process: setpriv gives unshare a parent-death SIGKILL and unshare gives it to
 * pid 1 (--kill-child), and when pid 1 dies the kernel kills everything else in its pid namespace.
 */
export async function startInit(initScript: string, options: InitOptions): Promise<InitProcess> {
  const privileged = process.getuid?.() === 0;
  const child = spawn(
    'setpriv',
    [
      '--pdeathsig=KILL',
      '--',
      'unshare',
      '--user',
      '--keep-caps',
      '--mount',
      '--pid',
      '--uts',
      '--ipc',
      '--net',
      // Its own cgroup root: a process's /proc/PID/cgroup reads `0::/`, not the host's unit.
      '--cgroup',
      '--kill-child=SIGKILL',
      '--',
      'bash',
      initScript,
      'map',
      // Without root, setgroups is denied in the namespace (the kernel's rule), so groups stay as they are.
      privileged ? '--clear-groups' : '--keep-groups',
      options.root,
      String(options.diskSizeMiB),
      String(options.inodes),
      options.hostname,
    ],
    { cwd: options.root, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' }, stdio: 'pipe' },
  );
  // 'error' alone when the spawn itself failed (no setpriv): the docs leave 'exit' open then.
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderr = (stderr + text).slice(-4000);
  });
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs);
  try {
    const pid = await handshake(child, privileged);
    // pid 1 no longer writes; this process must be able to exit while a sandbox is alive (it then dies).
    child.stdin?.end();
    child.stdout?.destroy();
    child.stderr?.destroy();
    child.unref();
    return { pid, child, exited };
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    const reason = spawnError
      ? `${spawnError.message}: the sandbox needs util-linux's setpriv, unshare and nsenter`
      : timedOut
        ? `not up after ${options.timeoutMs} ms`
        : `${(error as Error).message}${stderr ? `: ${stderr.trim()}` : ''}`;
    throw new Error(
      `Could not start a sandbox (${reason}). It needs Linux user namespaces: check that ` +
        '`unshare --user --map-root-user --mount --pid --fork true` works for this user.',
    );
  } finally {
    clearTimeout(timer);
  }
}

/** Follows pid 1's lines: `map <host pid>` (write the user maps, then say go), then `up`. */
async function handshake(child: ChildProcess, privileged: boolean): Promise<number> {
  if (!child.stdout || !child.stdin) throw new Error('no pipe to the sandbox init');
  let pid: number | undefined;
  for await (const line of createInterface({ input: child.stdout })) {
    const [word, value] = line.split(' ');
    if (word === 'map' && child.pid !== undefined) {
      await writeUserMaps(child.pid, privileged);
      pid = Number(value);
      child.stdin.write('go\n');
    } else if (word === 'up' && pid !== undefined) {
      return pid;
    }
  }
  throw new Error('the sandbox init exited during setup');
}

/** Maps root of the namespace of `pid` (and more users, with root) to an unprivileged host user. */
async function writeUserMaps(pid: number, privileged: boolean): Promise<void> {
  if (privileged) {
    await writeFile(`/proc/${pid}/uid_map`, `0 ${SANDBOX_HOST_ID} ${MAPPED_IDS}\n`);
    await writeFile(`/proc/${pid}/gid_map`, `0 ${SANDBOX_HOST_ID} ${MAPPED_IDS}\n`);
    return;
  }
  await writeFile(`/proc/${pid}/uid_map`, `0 ${process.getuid?.()} 1\n`);
  await writeFile(`/proc/${pid}/setgroups`, 'deny\n');
  await writeFile(`/proc/${pid}/gid_map`, `0 ${process.getgid?.()} 1\n`);
}
