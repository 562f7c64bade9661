/**
 * The shell programs a sandbox is made of. They are written to the sandbox's host directory and
 * copied to a read-only tmpfs at /opt/sandbox.
 * Every value reaches them as an argument, on stdin or in the environment, never spliced into code.
 */

export { SANDBOX_PATH, TOOLS_DIR } from './sandbox-paths.ts';

/**
 * pid 1 of a sandbox, in three steps. `map` runs right after `unshare`, not yet mapped to any user:
 * it gives the host its pid and waits while the host writes the user namespace's maps. `setup`, root
 * of that namespace, builds the sandbox's root file system and pivots into it. `reap` stays.
 */
export const INIT_SCRIPT = `#!/bin/bash
set -euo pipefail
step=$1
shift
case $step in
map)
  # /proc is still the host's: NSpid starts with this process's pid as the host sees it.
  while read -r key value _; do
    if [ "$key" = NSpid: ]; then host_pid=$value; fi
  done </proc/self/status
  echo "map $host_pid"
  read -r _
  # Becoming the namespace's root changes credentials, which clears the parent-death signal: set it again.
  groups=$1
  shift
  exec setpriv --reuid=0 --regid=0 "$groups" --inh-caps=-all --pdeathsig=KILL -- bash "$0" setup "$@"
  ;;
setup)
  base=$1 disk_mib=$2 inodes=$3 hostname=$4
  disk=$base/disk
  state=$disk/state
  root=$disk/root
  mount --make-rprivate /
  # The sandbox's disk. Its root file system is a directory on it, and so is the state kept out of sight.
  mount -t tmpfs -o "size=\${disk_mib}m,nr_inodes=$inodes,mode=0755" sandbox-disk "$disk"
  mkdir -p "$root" "$state/etc-layer/sandbox" "$state/etc-sandbox/services"
  printf '%s\\n' "$hostname" >"$state/etc-layer/hostname"
  mount --bind "$root" "$root"
  cd "$root"
  mkdir -p usr etc proc dev run tmp var/log var/lib/amazon/ssm var/tmp var/cache var/spool opt/sandbox srv root home mnt
  chmod 1777 tmp var/tmp
  chmod 0700 root
  ln -s ../run var/run
  ln -s ../run/lock var/lock
  # The host's software, read-only (an overlay without an upper directory is), without the host's
  # systemctl, journalctl and chronyc: no systemd or chronyd runs here, and the sandbox's own, in
  # /opt/sandbox/bin, drive its services and read its clock's stand-in offset. The top layer of each overlay holds their whiteouts. /bin, /lib... as the host has them.
  host_software() {
    local layer=$state/layers/$2 tool dir
    mkdir -p "$layer" "$2"
    for tool in systemctl journalctl chronyc; do
      for dir in "" bin/ sbin/; do
        # Not through a link (/usr/sbin -> bin): a directory in the layer would hide the link.
        if [ -e "/$1/$dir$tool" ] && [ ! -L "/$1/\${dir%/}" ]; then
          mkdir -p "$layer/$dir"
          mknod "$layer/$dir$tool" c 0 0
        fi
      done
    done
    (cd "$state" && mount -t overlay -o "lowerdir=layers/$2:/$1" "sandbox-$2" "$root/$2")
  }
  host_software usr usr
  for dir in bin sbin lib lib32 lib64 libx32; do
    if [ -L "/$dir" ]; then
      ln -s "$(readlink "/$dir")" "$dir"
    elif [ -d "/$dir" ]; then
      host_software "$dir" "$dir"
    fi
  done
  # The host's /etc under a layer with the hostname and a mount point for /etc/sandbox. An overlay
  # without an upper directory is read-only. Relative lower directories: the host path may hold a comma.
  (cd "$state" && mount -t overlay -o lowerdir=etc-layer:/etc sandbox-etc "$root/etc")
  mount --bind "$state/etc-sandbox" etc/sandbox
  # /run is a small tmpfs of its own on an instance too: pidfiles survive a full disk.
  mount -t tmpfs -o size=16m,mode=0755 sandbox-run run
  # /run/systemd/system tells scripts that systemd manages services, as on an instance: the
  # sandbox's systemctl and journalctl answer for them.
  mkdir -p run/svc run/lock run/systemd/system
  # The SSM agent's directory has room of its own, as the blocks ext4 reserves for root give the agent
  # on an instance: a command still reaches a sandbox whose disk is 100% used.
  mount -t tmpfs -o size=8m,mode=0755 sandbox-ssm var/lib/amazon/ssm
  # A minimal /dev: none of the host's disks, consoles or kernel log.
  mount -t tmpfs -o size=64k,mode=0755 sandbox-dev dev
  for node in null zero full random urandom tty; do
    : >"dev/$node"
    mount --bind "/dev/$node" "dev/$node"
  done
  ln -s /proc/self/fd dev/fd
  ln -s /proc/self/fd/0 dev/stdin
  ln -s /proc/self/fd/1 dev/stdout
  ln -s /proc/self/fd/2 dev/stderr
  mkdir dev/shm
  mount -t tmpfs -o size=16m,mode=1777 sandbox-shm dev/shm
  # The kernel lets a user namespace mount proc only while a full proc is visible: before the pivot.
  mount -t proc proc proc
  # A copy, not a bind: no directory of the host is mounted in the sandbox, not even its own.
  mount -t tmpfs -o size=1m,mode=0755 sandbox-tools opt/sandbox
  cp -R "$base/tools/." opt/sandbox/
  mount -o remount,bind,ro opt/sandbox
  mkdir .host
  pivot_root . .host
  cd /
  umount -l /.host
  rmdir /.host
  hostname "$hostname" 2>/dev/null || printf '%s\\n' "$hostname" >/proc/sys/kernel/hostname
  if command -v ip >/dev/null; then ip link set lo up; fi
  echo up
  exec </dev/null >/dev/null 2>&1 /bin/bash /opt/sandbox/libexec/init reap
  ;;
reap)
  set +e
  # Orphans are reparented to pid 1; bash reaps every child that exits, adopted ones too.
  while :; do
    sleep 3600 &
    wait $!
  done
  ;;
esac
`;

/**
 * Runs one command as the SSM agent runs an aws:runShellScript step: the script, read from stdin, is
 * written to _script.sh in a fresh orchestration directory, which becomes the working directory, and
 * run with bash, stdin empty. Arguments: the instance id and the command id.
 */
export const RUN_COMMAND_SCRIPT = `#!/bin/bash
umask 022
# At most 1024 processes per sandbox (the kernel counts them per user namespace): a fork bomb in a
# fault script stays a sandbox's problem.
ulimit -u 1024 2>/dev/null
dir=/var/lib/amazon/ssm/$1/document/orchestration/$2/awsrunShellScript/0.awsrunShellScript
if ! mkdir -p -- "$dir" || ! cat >"$dir/_script.sh"; then
  echo "sandbox: could not write the command's script to $dir" >&2
  exit 1
fi
cd -- "$dir" || exit 1
unset OLDPWD
# Its own session and process group, as the agent starts it: the timeout kills that group.
exec setsid bash -- "$dir/_script.sh" </dev/null
`;

// The service tools, each in a file of its own: the service manager and its front ends.
export { CHRONYC_SCRIPT, JOURNALCTL_SCRIPT } from './journal-and-clock.ts';
export { SUPERVISE_SCRIPT, SVC_SCRIPT } from './service-manager.ts';
export { SYSTEMCTL_SCRIPT } from './systemctl-script.ts';
