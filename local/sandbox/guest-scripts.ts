/**
 * The shell programs a sandbox is made of. They are written to the sandbox's host directory and
 * copied to a read-only tmpfs at /opt/sandbox.
 * Every value reaches them as an argument, on stdin or in the environment, never spliced into code.
 */

/** Where the sandbox's own tools appear inside it. */
export const TOOLS_DIR = '/opt/sandbox';

/** PATH of every command and service: the SSM agent's under systemd, then the sandbox's tools. */
export const SANDBOX_PATH = `/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${TOOLS_DIR}/bin`;

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

/**
 * svc, the sandbox's service manager, which its systemctl and journalctl drive. A service is an
 * executable /etc/sandbox/services/NAME that runs in the foreground; its output goes to
 * /var/log/NAME.log, its state to /run/svc/NAME.* (NAME.pid, the main process). Exit codes follow
 * systemctl: status 0 running, 3 stopped, 4 unknown; start 5 when there is no such service; 2 for a
 * usage error.
 */
export const SVC_SCRIPT = `#!/bin/bash
# svc, the sandbox's service manager, under its systemctl and journalctl. A service NAME (or
# NAME.service) is an executable /etc/sandbox/services/NAME that runs in the foreground, as systemd's
# Type=simple; its stdout and stderr go to /var/log/NAME.log, its state to /run/svc/NAME.*. Other
# unit types (NAME.target, NAME.socket...) do not exist here.
#   svc start|stop|restart|status NAME    status: 0 running, 3 not running, 4 no such service
#   svc kill NAME SIGNAL main|all         SIGNAL to the main process, or to its whole process group
#   svc reset-failed|mask|unmask NAME     forget a failure; a masked service cannot be started
#   svc show NAME                         its properties as systemd names them, one KEY=VALUE a line
# Exit codes follow systemctl: 5 no such service, 1 masked, not executable, or busy; 2 usage.
set -u
export LC_ALL=C
usage() {
  echo 'usage: svc start|stop|restart|status|reset-failed|mask|unmask|show NAME, or svc kill NAME SIGNAL main|all' >&2
  echo '(a service is an executable /etc/sandbox/services/NAME)' >&2
  exit 2
}
[ $# -ge 2 ] || usage
action=$1 arg=$2
case $action in
kill) [ $# -eq 4 ] || usage ;;
*) [ $# -eq 2 ] || usage ;;
esac
# The unit: NAME and NAME.service are the service NAME; another unit type is no service.
service=yes
case $arg in
*.service) name=\${arg%.service} unit=$arg ;;
*.socket | *.device | *.mount | *.automount | *.swap | *.target | *.path | *.timer | *.slice | *.scope)
  name=$arg unit=$arg service=no
  ;;
*) name=$arg unit=$arg.service ;;
esac
case $name in
'' | .* | *[!A-Za-z0-9@._:-]*)
  echo "svc: invalid service name '$arg'" >&2
  exit 2
  ;;
esac
definition=/etc/sandbox/services/$name
mask=/etc/sandbox/masked/$name
state=/run/svc/$name
log=/var/log/$name.log

# Field 22 of /proc/PID/stat, the start time, tells our process from a later one that got its pid.
start_time() {
  local stat fields
  read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
  read -r -a fields <<<"\${stat##*) }"
  [ "\${fields[0]}" != Z ] && echo "\${fields[19]}"
}

# Prints the pid of the running service's main process; fails when it is not running.
main_pid() {
  local pid started
  read -r pid 2>/dev/null <"$state.pid" && read -r started 2>/dev/null <"$state.start" || return 1
  [ -n "$started" ] && [ "$(start_time "$pid")" = "$started" ] && echo "$pid"
}

# Prints the pid of the supervisor of the service's last run while it runs: it waits for the main
# process and records how it ended (libexec/supervise).
supervisor_pid() {
  local pid started
  read -r pid started 2>/dev/null <"$state.supervisor" || return 1
  [ -n "\${started:-}" ] && [ "$(start_time "$pid")" = "$started" ] && echo "$pid"
}

# Writes a state file whole, or not at all.
put() { printf '%s\\n' "$2" >"$1.new" && mv -f "$1.new" "$1"; }

load_state() {
  if [ -e "$mask" ]; then
    echo masked
  elif [ "$service" = no ] || [ ! -e "$definition" ]; then
    echo not-found
  elif [ ! -f "$definition" ] || [ ! -x "$definition" ]; then
    echo bad-setting
  else
    echo loaded
  fi
}

# Sets active and sub, systemd's ActiveState and SubState, and pid, the running main process.
read_state() {
  local result
  pid=''
  if pid=$(main_pid); then
    if [ -e "$state.stopping" ]; then active=deactivating sub=stop-sigterm; else active=active sub=running; fi
  elif supervisor_pid >/dev/null; then
    # The main process ended; what else was in its process group is being stopped.
    active=deactivating sub=stop-sigterm
  elif read -r result _ 2>/dev/null <"$state.result" && [ "$result" != success ]; then
    active=failed sub=failed
  else
    active=inactive sub=dead
  fi
}

# Whether any process of the process group the service's main process led is left.
group_alive() { [ -n "$1" ] && kill -0 -- "-$1" 2>/dev/null; }

# One mutation of a service at a time; 30 s at most.
lock() {
  exec 8>>"$state.lock" || return 1
  if command -v flock >/dev/null && ! flock -w 30 8; then
    echo "svc: $unit is busy: another start or stop of it has run for 30 s" >&2
    return 1
  fi
}

start() {
  case $(load_state) in
  masked)
    echo "svc: $unit is masked" >&2
    return 1
    ;;
  not-found)
    echo "svc: no service '$name': define it as an executable $definition" >&2
    return 5
    ;;
  bad-setting)
    echo "svc: $definition is not an executable file: chmod +x it" >&2
    return 1
    ;;
  esac
  main_pid >/dev/null && return 0
  # The last run may still be stopping what its main process left.
  for _ in $(seq 100); do
    supervisor_pid >/dev/null || break
    sleep 0.1
  done
  rm -f "$state.result" "$state.stopping" "$state.pid" "$state.start" "$state.supervisor"
  local token
  token=$(date +%s%N)-$$-$RANDOM
  put "$state.run" "$token" && put "$state.since" "$(date +%s)" || return 1
  # The supervisor gets a session of its own, out of the command's process group, which the
  # command's timeout kills; no file of the caller open, a clean environment and / as working
  # directory, as systemd gives.
  (
    for fd in /proc/"$BASHPID"/fd/*; do
      fd=\${fd##*/}
      if [ "$fd" -gt 2 ]; then exec {fd}>&-; fi
    done 2>/dev/null
    cd / && exec setsid env -i PATH=${SANDBOX_PATH} HOME=/root LANG=C.UTF-8 \\
      /bin/bash /opt/sandbox/libexec/supervise "$name" "$token"
  ) </dev/null >/dev/null 2>&1 &
  # Started once the supervisor has its main process, or has recorded that it ended already.
  for _ in $(seq 250); do
    if [ -e "$state.pid" ] || [ -e "$state.result" ]; then return 0; fi
    sleep 0.02
  done
  echo "svc: $unit did not start within 5 s" >&2
  return 1
}

# Stops the service's whole process group: SIGTERM, then SIGKILL after 5 s, as systemd does after
# its stop timeout. The supervisor records the end; a stop is no failure, but SIGKILL is a timeout.
stop() {
  local pid supervisor
  pid=$(main_pid) || pid=$(cat "$state.pid" 2>/dev/null) || pid=''
  supervisor=$(supervisor_pid) || supervisor=''
  if [ -z "$supervisor" ] && ! main_pid >/dev/null; then
    rm -f "$state.stopping"
    return 0
  fi
  put "$state.stopping" term
  if group_alive "$pid"; then
    kill -TERM -- "-$pid" 2>/dev/null
    kill -CONT -- "-$pid" 2>/dev/null
    for _ in $(seq 50); do
      group_alive "$pid" || break
      sleep 0.1
    done
    if group_alive "$pid"; then
      put "$state.stopping" kill
      kill -KILL -- "-$pid" 2>/dev/null
    fi
  fi
  for _ in $(seq 100); do
    supervisor_pid >/dev/null || break
    sleep 0.05
  done
  # A main process whose supervisor was killed ends unrecorded: record the stop here.
  if [ ! -e "$state.result" ] && ! supervisor_pid >/dev/null; then
    put "$state.result" "success 2 15 \${pid:-0} $(date +%s)"
    rm -f "$state.pid" "$state.start"
  fi
  rm -f "$state.stopping"
}

# SIGNAL to the main process (main) or to every process of its process group (all).
signal() {
  local pid
  pid=$(main_pid) || return 0
  if [ "$2" = main ]; then kill -s "$1" "$pid"; else kill -s "$1" -- "-$pid"; fi
}

show() {
  local load active sub pid result='' code=0 status=0 last=0 ended='' since='' file_state=''
  load=$(load_state)
  read_state
  read -r result code status last ended 2>/dev/null <"$state.result"
  [ -n "$pid" ] && last=$pid && result='' code=0 status=0
  # As systemd prints a timestamp; printf's %()T is a builtin: show is on every probe's path.
  read -r since 2>/dev/null <"$state.since" && printf -v since '%(%a %Y-%m-%d %H:%M:%S %Z)T' "$since"
  [ -n "$ended" ] && printf -v ended '%(%a %Y-%m-%d %H:%M:%S %Z)T' "$ended"
  case $load in
  loaded | bad-setting) file_state=static ;;
  masked) file_state=masked ;;
  esac
  printf '%s\\n' "Id=$unit" "Names=$unit" "Description=$unit" "LoadState=$load" "ActiveState=$active" \\
    "SubState=$sub" "UnitFileState=$file_state" "FragmentPath=$([ "$load" = not-found ] || echo "$definition")" \\
    Type=simple Restart=no "MainPID=\${pid:-0}" "ExecMainPID=\${last:-0}" "ExecMainCode=\${code:-0}" \\
    "ExecMainStatus=\${status:-0}" "Result=\${result:-success}" NRestarts=0 "ActiveEnterTimestamp=$since" \\
    "InactiveEnterTimestamp=\${ended:-}" ControlGroup= 'MemoryCurrent=[not set]' 'MemoryPeak=[not set]' \\
    'MemorySwapCurrent=[not set]' MemoryHigh=infinity MemoryMax=infinity 'TasksCurrent=[not set]' \\
    'CPUUsageNSec=[not set]' "StandardOutput=append:$log"
}

if [ ! -d /run/svc ] || [ ! -d /etc/sandbox/masked ]; then mkdir -p /run/svc /etc/sandbox/masked; fi
# kill takes no lock: it may end a stop that waits for a service.
case $action in
start | stop | restart | reset-failed) lock || exit 1 ;;
esac
case $action in
start) start ;;
stop) stop ;;
restart) stop && start ;;
kill) signal "$3" "$4" ;;
reset-failed)
  read_state
  if [ "$active" = failed ]; then rm -f "$state.result"; fi
  ;;
mask) : >"$mask" ;;
unmask) rm -f "$mask" ;;
show) show ;;
status)
  read_state
  if [ "$active" = active ]; then
    echo "$name: active (running), pid $pid"
    exit 0
  fi
  if [ "$(load_state)" = not-found ]; then
    echo "$name: unknown service"
    exit 4
  fi
  if [ "$active" = failed ]; then
    read -r result _ <"$state.result"
    echo "$name: failed (Result: $result)"
  else
    echo "$name: $active ($sub)"
  fi
  exit 3
  ;;
*) usage ;;
esac
`;

/** One run of a service, started by svc: it waits for the main process and records how it ended. */
export const SUPERVISE_SCRIPT = `#!/bin/bash
# One run of the sandbox service NAME, started by svc in a session of its own: runs
# /etc/sandbox/services/NAME in a session (and process group) of its own, its output appended to
# /var/log/NAME.log, waits for it, and records how it ended as systemd records a unit's Result,
# ExecMainCode (1 exited, 2 killed by a signal) and ExecMainStatus. Then it stops what the main
# process left in its process group: SIGTERM, SIGKILL after 5 s. Arguments: NAME and the run's token;
# a run that another start replaced records nothing.
set -u
name=$1 token=$2
state=/run/svc/$name
start_time() {
  local stat fields
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  read -r -a fields <<<"\${stat##*) }"
  [ "\${fields[0]}" != Z ] && echo "\${fields[19]}"
}
put() { printf '%s\\n' "$2" >"$1.new" && mv -f "$1.new" "$1"; }
current() { [ "$(cat "$state.run" 2>/dev/null)" = "$token" ]; }
current || exit 0
put "$state.supervisor" "$$ $(start_time $$)"

# The service's output; nowhere when its log cannot be opened (no inode left), since a service
# starts on an instance whose journal is full too.
exec 3>>"/var/log/$name.log" || exec 3>/dev/null
env -i PATH="$PATH" HOME=/root LANG=C.UTF-8 setsid "/etc/sandbox/services/$name" </dev/null >&3 2>&3 3>&- &
pid=$!
exec 3>&-
put "$state.start" "$(start_time "$pid")"
put "$state.pid" "$pid"
wait "$pid"
status=$?

if [ "$status" -gt 128 ]; then code=2 value=$((status - 128)); else code=1 value=$status; fi
# As systemd counts them: exit 0 and SIGHUP, SIGINT, SIGPIPE and SIGTERM are clean ends; a stop that
# needed SIGKILL timed out.
case $code:$value in
1:0 | 2:1 | 2:2 | 2:13 | 2:15) result=success ;;
2:*) result=signal ;;
*) result=exit-code ;;
esac
[ "$(cat "$state.stopping" 2>/dev/null)" = kill ] && result=timeout

if kill -0 -- "-$pid" 2>/dev/null; then
  kill -TERM -- "-$pid" 2>/dev/null
  kill -CONT -- "-$pid" 2>/dev/null
  for _ in $(seq 50); do
    kill -0 -- "-$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null
fi
if current; then
  put "$state.result" "$result $code $value $pid $(date +%s)"
  rm -f "$state.pid" "$state.start" "$state.supervisor"
fi
`;

/**
 * systemctl for the sandbox's services: start, stop, restart, reload, kill, is-active, is-failed,
 * is-enabled, status, show, reset-failed, mask, daemon-reload, list-units..., with systemctl's exit codes.
 */
export const SYSTEMCTL_SCRIPT = `#!/bin/bash
# systemctl, as the sandbox provides it: systemd's command line over the sandbox's service manager,
# svc. A unit NAME or NAME.service is the service /etc/sandbox/services/NAME (Type=simple, no
# Restart=, no dependencies, no unit file); units of other types are not found. Verbs: start, stop,
# restart, try-restart, reload (SIGHUP to the main process), reload-or-restart, kill, is-active,
# is-failed, is-enabled, status, show, reset-failed, mask, unmask, daemon-reload, list-units,
# list-unit-files. Exit codes are systemctl's: is-active 0 active, 3 not; status 0 active, 3 not,
# 4 no such unit; start, restart or stop of a unit that does not exist 5.
set -u
case \${LC_ALL:-\${LC_CTYPE:-\${LANG:-}}} in
*[Uu][Tt][Ff]-8* | *[Uu][Tt][Ff]8*) utf8=yes ;;
*) utf8=no ;;
esac
export LC_ALL=C
readonly SVC=/opt/sandbox/bin/svc JOURNALCTL=/opt/sandbox/bin/journalctl SERVICES=/etc/sandbox/services

quiet=no value=no all=no legend=yes lines=10 signal=SIGTERM whom=all
properties=() types=() states=() args=()
# An option's value: the next argument, which must be there.
need() {
  if [ "$1" -eq 0 ]; then
    echo "systemctl: option '$2' requires an argument" >&2
    exit 1
  fi
}
while [ $# -gt 0 ]; do
  opt=$1
  shift
  case $opt in
  --)
    args+=("$@")
    break
    ;;
  -q | --quiet) quiet=yes ;;
  --value) value=yes ;;
  -a | --all) all=yes ;;
  --no-legend | --legend=no | --legend=false) legend=no ;;
  --no-pager | -l | --full | --plain | --no-ask-password | --system | --no-block | --no-wall | --no-reload | \\
    --runtime | --now | --force | -f | --legend=*) ;;
  -p | --property | -n | --lines | -s | --signal | --kill-whom | --kill-who | -t | --type | --state | -o | --output)
    need $# "$opt"
    case $opt in
    -p | --property) properties+=("$1") ;;
    -n | --lines) lines=$1 ;;
    -s | --signal) signal=$1 ;;
    --kill-whom | --kill-who) whom=$1 ;;
    -t | --type) types+=("$1") ;;
    --state) states+=("$1") ;;
    esac
    shift
    ;;
  --property=*) properties+=("\${opt#*=}") ;;
  -p?*) properties+=("\${opt#-p}") ;;
  --lines=*) lines=\${opt#*=} ;;
  -n?*) lines=\${opt#-n} ;;
  --signal=*) signal=\${opt#*=} ;;
  -s?*) signal=\${opt#-s} ;;
  --kill-whom=* | --kill-who=*) whom=\${opt#*=} ;;
  --type=*) types+=("\${opt#*=}") ;;
  -t?*) types+=("\${opt#-t}") ;;
  --state=*) states+=("\${opt#*=}") ;;
  --output=* | -o?*) ;;
  -*)
    echo "systemctl: unrecognized option '$opt'" >&2
    exit 1
    ;;
  *) args+=("$opt") ;;
  esac
done
verb=\${args[0]:-list-units}
units=("\${args[@]:1}")
if ! [[ $lines =~ ^[0-9]+$ ]]; then
  echo "Failed to parse lines '$lines'" >&2
  exit 1
fi

# The name systemctl shows for an argument: NAME.service for a bare NAME.
unit_name() {
  case $1 in
  *.service | *.socket | *.device | *.mount | *.automount | *.swap | *.target | *.path | *.timer | *.slice | *.scope)
    echo "$1"
    ;;
  *) echo "$1.service" ;;
  esac
}

# The unit's properties, one KEY=VALUE a line (svc show); a name svc refuses is a unit not found.
properties_of() {
  "$SVC" show "$1" 2>/dev/null ||
    printf '%s\\n' "Id=$(unit_name "$1")" "Names=$(unit_name "$1")" "Description=$(unit_name "$1")" LoadState=not-found \\
      ActiveState=inactive SubState=dead UnitFileState= FragmentPath= MainPID=0 ExecMainPID=0 ExecMainCode=0 \\
      ExecMainStatus=0 Result=success NRestarts=0 ActiveEnterTimestamp= InactiveEnterTimestamp=
}

# Reads the unit's properties into the array prop.
declare -A prop
load() {
  local line
  prop=()
  while IFS= read -r line; do
    prop[\${line%%=*}]=\${line#*=}
  done < <(properties_of "$1")
}

need_units() {
  if [ "\${#units[@]}" -eq 0 ]; then
    echo "Too few arguments." >&2
    exit 1
  fi
}

# start, stop, restart... of each unit; the first failure's exit code, as systemctl's.
act() {
  local verb=$1 u rc=0 unit r
  need_units
  for u in "\${units[@]}"; do
    load "$u"
    unit=\${prop[Id]}
    r=0
    case \${prop[LoadState]}:$verb in
    masked:start | masked:restart | masked:try-restart | masked:reload | masked:reload-or-restart)
      echo "Failed to $verb $unit: Unit $unit is masked." >&2
      r=1
      ;;
    bad-setting:start | bad-setting:restart | bad-setting:reload-or-restart)
      echo "Failed to $verb $unit: Unit $unit has a bad unit file setting (\${SERVICES}/\${unit%.service} must be an executable file)." >&2
      r=1
      ;;
    not-found:stop)
      echo "Failed to stop $unit: Unit $unit not loaded." >&2
      r=5
      ;;
    not-found:kill)
      echo "Failed to kill unit $unit: Unit $unit not loaded." >&2
      r=1
      ;;
    not-found:reset-failed)
      echo "Failed to reset failed state of unit $unit: Unit $unit not loaded." >&2
      r=1
      ;;
    not-found:*)
      echo "Failed to $verb $unit: Unit $unit not found." >&2
      r=5
      ;;
    *:start) "$SVC" start "$u" >/dev/null || r=1 ;;
    *:stop) "$SVC" stop "$u" >/dev/null || r=1 ;;
    *:restart) "$SVC" restart "$u" >/dev/null || r=1 ;;
    *:try-restart)
      if [ "\${prop[ActiveState]}" = active ]; then "$SVC" restart "$u" >/dev/null || r=1; fi
      ;;
    *:reload | *:reload-or-restart)
      if [ "\${prop[ActiveState]}" = active ]; then
        "$SVC" kill "$u" SIGHUP main || r=1
      elif [ "$verb" = reload ]; then
        echo "$unit is not active, cannot reload." >&2
        r=1
      else
        "$SVC" start "$u" >/dev/null || r=1
      fi
      ;;
    *:kill) "$SVC" kill "$u" "$signal" "$whom" || r=1 ;;
    *:reset-failed) "$SVC" reset-failed "$u" || r=1 ;;
    esac
    if [ "$rc" -eq 0 ]; then rc=$r; fi
  done
  return "$rc"
}

# is-active and is-failed: the state of each unit; 0 when one is in the state asked, else \`otherwise\`.
is_state() {
  local wanted=$1 rc=$2 u
  need_units
  for u in "\${units[@]}"; do
    load "$u"
    [ "$quiet" = yes ] || echo "\${prop[ActiveState]}"
    if [ "\${prop[ActiveState]}" = "$wanted" ]; then rc=0; fi
  done
  return "$rc"
}

# A service here has no [Install] section: it is static (0); masked 1, not-found 4.
is_enabled() {
  local u rc=1 state
  need_units
  for u in "\${units[@]}"; do
    load "$u"
    case \${prop[LoadState]} in
    not-found) state=not-found ;;
    masked) state=masked ;;
    *) state=static rc=0 ;;
    esac
    [ "$quiet" = yes ] || echo "$state"
    if [ "$state" = not-found ] && [ "$rc" -ne 0 ]; then rc=4; fi
  done
  return "$rc"
}

show() {
  local u p key first=yes keys wanted=()
  need_units
  for p in "\${properties[@]}"; do
    IFS=, read -r -a keys <<<"$p"
    wanted+=("\${keys[@]}")
  done
  for u in "\${units[@]}"; do
    [ "$first" = yes ] || [ "$value" = yes ] || echo
    first=no
    if [ "\${#wanted[@]}" -eq 0 ]; then
      while IFS= read -r p; do
        if [ "$value" = yes ]; then echo "\${p#*=}"; else echo "$p"; fi
      done < <(properties_of "$u")
      continue
    fi
    load "$u"
    for key in "\${wanted[@]}"; do
      [ -n "\${prop[$key]+set}" ] || continue
      if [ "$value" = yes ]; then echo "\${prop[$key]}"; else echo "$key=\${prop[$key]}"; fi
    done
  done
}

# How the main process ended, as status words it: code=killed, signal=KILL or code=exited, status=1.
ended() {
  local name
  if [ "$1" = 2 ]; then
    name=$(kill -l "$2" 2>/dev/null) || name=$2
    echo "code=killed, signal=$name"
  else
    echo "code=exited, status=$2"
  fi
}

# " since Mon 2025-01-06 10:00:00 UTC; 12s ago", or nothing when the time is unknown.
since() {
  local epoch ago
  [ -n "$1" ] && epoch=$(date -d "$1" +%s 2>/dev/null) || return 0
  ago=$(($(date +%s) - epoch))
  if [ "$ago" -lt 60 ]; then
    ago=\${ago}s
  elif [ "$ago" -lt 3600 ]; then
    ago="$((ago / 60))min $((ago % 60))s"
  else
    ago="$((ago / 3600))h $((ago % 3600 / 60))min"
  fi
  echo " since $1; $ago ago"
}

status() {
  local u rc=0 r unit glyph path shown=no
  need_units
  for u in "\${units[@]}"; do
    load "$u"
    unit=\${prop[Id]}
    if [ "\${prop[LoadState]}" = not-found ]; then
      echo "Unit $unit could not be found." >&2
      if [ "$rc" -eq 0 ]; then rc=4; fi
      continue
    fi
    [ "$shown" = no ] || echo
    shown=yes
    case \${prop[ActiveState]}:$utf8 in
    active:yes) glyph='●' r=0 ;;
    active:no) glyph='*' r=0 ;;
    failed:yes) glyph='×' r=3 ;;
    failed:no) glyph='x' r=3 ;;
    *:yes) glyph='○' r=3 ;;
    *) glyph='*' r=3 ;;
    esac
    if [ "$rc" -eq 0 ]; then rc=$r; fi
    path=\${prop[FragmentPath]}
    echo "$glyph $unit - \${prop[Description]}"
    case \${prop[LoadState]} in
    loaded) echo "     Loaded: loaded ($path; \${prop[UnitFileState]})" ;;
    masked) echo "     Loaded: masked (Reason: Unit $unit is masked.)" ;;
    *) echo "     Loaded: \${prop[LoadState]} ($path is not an executable file)" ;;
    esac
    case \${prop[ActiveState]} in
    active) echo "     Active: active (running)$(since "\${prop[ActiveEnterTimestamp]}")" ;;
    failed) echo "     Active: failed (Result: \${prop[Result]})$(since "\${prop[InactiveEnterTimestamp]}")" ;;
    inactive) echo "     Active: inactive (dead)$(since "\${prop[InactiveEnterTimestamp]}")" ;;
    *) echo "     Active: \${prop[ActiveState]} (\${prop[SubState]})" ;;
    esac
    if [ "\${prop[MainPID]}" != 0 ]; then
      echo "   Main PID: \${prop[MainPID]} ($(cat "/proc/\${prop[MainPID]}/comm" 2>/dev/null || echo "\${unit%.service}"))"
    elif [ "\${prop[ExecMainPID]}" != 0 ]; then
      echo "    Process: \${prop[ExecMainPID]} ExecStart=$path ($(ended "\${prop[ExecMainCode]}" "\${prop[ExecMainStatus]}"))"
      echo "   Main PID: \${prop[ExecMainPID]} ($(ended "\${prop[ExecMainCode]}" "\${prop[ExecMainStatus]}"))"
    fi
    if [ "$lines" -gt 0 ]; then
      echo
      "$JOURNALCTL" -u "$unit" -n "$lines" -q --no-pager
    fi
  done
  return "$rc"
}

# Every unit systemctl knows here: the defined services, and the masked names.
known_units() {
  local file
  for file in "$SERVICES"/* /etc/sandbox/masked/*; do
    [ -e "$file" ] || continue
    unit_name "\${file##*/}"
  done | sort -u
}

# Whether the unit matches the patterns (globs, as systemctl's) given after list-units or list-unit-files.
matches() {
  local pattern
  [ "\${#units[@]}" -eq 0 ] && return 0
  for pattern in "\${units[@]}"; do
    # shellcheck disable=SC2053 # the pattern is a glob, as systemctl reads it
    [[ $1 == $pattern || $1 == $pattern.service ]] && return 0
  done
  return 1
}

# Whether --type lets services in: the sandbox has no unit of another type.
services_wanted() {
  local t
  [ "\${#types[@]}" -eq 0 ] && return 0
  for t in "\${types[@]}"; do
    [[ ,$t, == *,service,* ]] && return 0
  done
  return 1
}

# Whether --state (or, without it, --all) lets the loaded unit in.
state_wanted() {
  local s
  if [ "\${#states[@]}" -eq 0 ]; then
    [ "$all" = yes ] || [ "\${prop[ActiveState]}" != inactive ]
    return
  fi
  for s in "\${states[@]}"; do
    [[ ,$s, == *,"\${prop[LoadState]}",* || ,$s, == *,"\${prop[ActiveState]}",* || ,$s, == *,"\${prop[SubState]}",* ]] && return 0
  done
  return 1
}

# Tab-separated rows as aligned columns.
table() { awk -F '\\t' '{ for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } n[NR] = NF }
  END { for (r = 1; r <= NR; r++) { line = ""; for (i = 1; i <= n[r]; i++) line = line (i < n[r] ? sprintf("%-" w[i] "s ", cell[r, i]) : cell[r, i]); print line } }'; }

list_units() {
  local unit rows=()
  if services_wanted; then
    while IFS= read -r unit; do
      matches "$unit" || continue
      load "$unit"
      state_wanted || continue
      rows+=("$unit"$'\\t'"\${prop[LoadState]}"$'\\t'"\${prop[ActiveState]}"$'\\t'"\${prop[SubState]}"$'\\t'"\${prop[Description]}")
    done < <(known_units)
  fi
  {
    [ "$legend" = no ] || printf 'UNIT\\tLOAD\\tACTIVE\\tSUB\\tDESCRIPTION\\n'
    [ "\${#rows[@]}" -eq 0 ] || printf '%s\\n' "\${rows[@]}"
  } | table
  [ "$legend" = no ] || printf '\\n%s loaded units listed.\\n' "\${#rows[@]}"
}

list_unit_files() {
  local unit rows=()
  if services_wanted; then
    while IFS= read -r unit; do
      matches "$unit" || continue
      load "$unit"
      [ "\${prop[LoadState]}" = not-found ] || rows+=("$unit"$'\\t'"\${prop[UnitFileState]}"$'\\t'-)
    done < <(known_units)
  fi
  {
    [ "$legend" = no ] || printf 'UNIT FILE\\tSTATE\\tPRESET\\n'
    [ "\${#rows[@]}" -eq 0 ] || printf '%s\\n' "\${rows[@]}"
  } | table
  [ "$legend" = no ] || printf '\\n%s unit files listed.\\n' "\${#rows[@]}"
}

case $verb in
start | stop | restart | try-restart | reload | reload-or-restart | reset-failed) act "$verb" ;;
kill)
  sig=\${signal#SIG}
  if [[ $sig =~ ^[0-9]+$ ]]; then sig=$(kill -l "$sig" 2>/dev/null) || sig=''; fi
  if [ -z "$sig" ] || ! kill -l "$sig" >/dev/null 2>&1; then
    echo "Failed to parse signal string $signal." >&2
    exit 1
  fi
  case $whom in
  main | all) ;;
  control) exit 0 ;; # the sandbox runs no ExecStartPre= or ExecReload= process
  *)
    echo "Failed to parse --kill-whom= argument: $whom" >&2
    exit 1
    ;;
  esac
  signal=SIG$sig
  act kill
  ;;
is-active) is_state active 3 ;;
is-failed) is_state failed 1 ;;
is-enabled) is_enabled ;;
status) status ;;
show) show ;;
mask | unmask)
  need_units
  for u in "\${units[@]}"; do "$SVC" "$verb" "$u" || exit 1; done
  ;;
daemon-reload | daemon-reexec) ;; # a service's definition is read at each start
list-units) list_units ;;
list-unit-files) list_unit_files ;;
enable | disable | reenable | preset | link | edit | cat | isolate | set-property | revert | \\
  poweroff | reboot | halt | kexec | suspend | hibernate | default | rescue | emergency | switch-root)
  echo "systemctl: '$verb' is not supported in the sandbox: its services have no unit files and it does not boot" >&2
  exit 1
  ;;
*)
  echo "Unknown command verb '$verb'." >&2
  exit 1
  ;;
esac
`;

/** journalctl for the sandbox's services: -u UNIT prints the output svc captured in /var/log/UNIT.log. */
export const JOURNALCTL_SCRIPT = `#!/bin/bash
# journalctl, as the sandbox provides it: the output of the sandbox's services, as svc captured it
# (stdout and stderr of /etc/sandbox/services/NAME, appended to /var/log/NAME.log). The lines carry no
# timestamps or priorities: every output format prints them as -o cat does, and --since, --until and
# --boot select every line. Options: -u UNIT (again for more), -n N, -r, -q, -o FORMAT, --no-pager;
# --vacuum-*, --rotate and --disk-usage act on those logs. No kernel log, no --follow.
set -u
export LC_ALL=C
readonly SERVICES=/etc/sandbox/services

units=() lines='' quiet=no reverse=no action=show
unsupported() {
  echo "journalctl: $1 is not supported in the sandbox\${2:+: $2}" >&2
  exit 1
}
need() {
  if [ "$1" -eq 0 ]; then
    echo "journalctl: option '$2' requires an argument" >&2
    exit 1
  fi
}
output() {
  case $1 in
  short | short-iso | short-iso-precise | short-precise | short-monotonic | short-unix | short-full | cat | with-unit) ;;
  *) unsupported "output format '$1'" 'the sandbox keeps lines of text only' ;;
  esac
}
while [ $# -gt 0 ]; do
  opt=$1
  shift
  case $opt in
  -u | --unit)
    need $# "$opt"
    units+=("$1")
    shift
    ;;
  --unit=*) units+=("\${opt#*=}") ;;
  -u?*) units+=("\${opt#-u}") ;;
  -n | --lines)
    # Its value is optional, as journalctl's: -n alone is 10 lines.
    if [ $# -gt 0 ] && [[ $1 =~ ^(\\+?[0-9]+|all)$ ]]; then
      lines=$1
      shift
    else
      lines=10
    fi
    ;;
  --lines=*) lines=\${opt#*=} ;;
  -n?*) lines=\${opt#-n} ;;
  -o | --output)
    need $# "$opt"
    output "$1"
    shift
    ;;
  --output=*) output "\${opt#*=}" ;;
  -o?*) output "\${opt#-o}" ;;
  -S | --since | -U | --until)
    need $# "$opt"
    shift
    ;;
  --since=* | --until=* | -S?* | -U?*) ;;
  -b | --boot)
    if [ $# -gt 0 ] && [[ $1 =~ ^(-?[0-9]+|[0-9a-f]{32}|all)$ ]]; then shift; fi
    ;;
  --boot=* | -b?*) ;;
  -q | --quiet) quiet=yes ;;
  -r | --reverse) reverse=yes ;;
  --no-pager | -a | --all | -l | --full | -x | --catalog | --utc | --no-hostname | -e | --pager-end | -m | \\
    --merge | --system | --no-full) ;;
  --vacuum-size | --vacuum-time | --vacuum-files)
    need $# "$opt"
    shift
    action=vacuum
    ;;
  --vacuum-size=* | --vacuum-time=* | --vacuum-files=*) action=vacuum ;;
  --rotate | --flush | --sync | --relinquish-var) action=none ;;
  --disk-usage) action=disk-usage ;;
  -k | --dmesg) unsupported "$opt" 'the sandbox has no kernel log' ;;
  -f | --follow) unsupported "$opt" 'a command must end' ;;
  -*) unsupported "option '$opt'" ;;
  *) unsupported "the match '$opt'" 'select a service with -u' ;;
  esac
done
case $lines in
'' | all | +*) ;;
*[!0-9]*)
  echo "journalctl: failed to parse lines '$lines'" >&2
  exit 1
  ;;
esac

# The log of each unit asked for (NAME or NAME.service), or of every service; none for another unit type.
logs=()
if [ "\${#units[@]}" -eq 0 ]; then
  for file in "$SERVICES"/*; do
    [ -e "$file" ] && logs+=("/var/log/\${file##*/}.log")
  done
else
  for unit in "\${units[@]}"; do
    name=\${unit%.service}
    case $unit in
    *.socket | *.device | *.mount | *.automount | *.swap | *.target | *.path | *.timer | *.slice | *.scope) continue ;;
    esac
    case $name in
    '' | .* | */* | *[!A-Za-z0-9@._:-]*) continue ;;
    esac
    logs+=("/var/log/$name.log")
  done
fi
readable=()
for log in "\${logs[@]}"; do
  [ -f "$log" ] && [ -r "$log" ] && readable+=("$log")
done

case $action in
none) exit 0 ;;
vacuum)
  # The logs are live files, never archived: nothing to vacuum.
  echo "Vacuuming done, freed 0B of archived journals (the sandbox's service logs are never archived)."
  exit 0
  ;;
disk-usage)
  echo "Archived and active journals take up $(du -chs "\${readable[@]}" /dev/null 2>/dev/null | awk 'END { print $1 }') in the file system."
  exit 0
  ;;
esac

if [ "$lines" = 0 ]; then exit 0; fi
for log in "\${readable[@]}"; do
  if [ -s "$log" ]; then
    case $lines in
    '' | all) cat -- "\${readable[@]}" ;;
    +*) cat -- "\${readable[@]}" | head -n "\${lines#+}" ;; # the oldest lines
    *) cat -- "\${readable[@]}" | tail -n "$lines" ;;
    esac | if [ "$reverse" = yes ]; then tac; else cat; fi
    exit 0
  fi
done
[ "$quiet" = yes ] || echo '-- No entries --'
`;

/**
 * chronyc for the sandbox's clock, which a sandbox cannot set (no CAP_SYS_TIME): the clock's error
 * is the number of seconds in /run/chrony/offset (system clock minus true time), kept by a stand-in
 * chronyd.service or chrony.service that a proof defines. tracking, waitsync, makestep and sources
 * answer as chronyc does while such a unit is active, and "506 Cannot talk to daemon" otherwise.
 */
export const CHRONYC_SCRIPT = `#!/bin/bash
# chronyc, as the sandbox provides it. A sandbox cannot set its clock, so its error is a number:
# /run/chrony/offset, in seconds, the system clock minus true time, which a stand-in chronyd keeps.
# While chronyd.service or chrony.service is active: tracking (its System time line), waitsync
# [max-tries [max-correction [max-skew [interval]]]], makestep (the offset to 0) and sources. The
# reference is the stand-in, 7F7F0101 (a local clock), never a real server.
set -u
export LC_ALL=C
readonly OFFSET=/run/chrony/offset REFID=7F7F0101
args=()
while [ $# -gt 0 ]; do
  case $1 in
  -h | -p | -f) shift ;; # host, port, configuration: there is one daemon
  -n | -c | -d | -m | -a | -4 | -6) ;;
  -*)
    echo "chronyc: unrecognized option '$1'" >&2
    exit 1
    ;;
  *)
    # The command; what follows it is its own (sources -v, waitsync 20 0 0 1).
    args=("$@")
    break
    ;;
  esac
  shift
done
command=\${args[0]:-}

# The offset in seconds, when the file holds a number.
offset() {
  local value
  value=$(cat "$OFFSET" 2>/dev/null) || return 1
  [[ $value =~ ^[+-]?[0-9]+(\\.[0-9]+)?$ ]] && echo "$value"
}
daemon() {
  local unit
  for unit in chronyd chrony; do
    systemctl is-active --quiet "$unit" 2>/dev/null && return 0
  done
  echo '506 Cannot talk to daemon' >&2
  return 1
}
# A number as chronyc prints an offset: its magnitude to 9 decimals.
magnitude() { awk -v s="$1" 'BEGIN { v = s + 0; if (v < 0) v = -v; printf "%.9f", v }'; }

case $command in
tracking)
  daemon || exit 1
  if value=$(offset); then
    side=fast
    case $value in -*) side=slow ;; esac
    printf '%-16s: %s\\n' 'Reference ID' "$REFID (sandbox)" Stratum 10 'Ref time (UTC)' "$(date -u '+%a %b %d %H:%M:%S %Y')" \\
      'System time' "$(magnitude "$value") seconds $side of NTP time" 'Last offset' "+$(magnitude "$value") seconds" \\
      'Leap status' Normal
  else
    printf '%-16s: %s\\n' 'Reference ID' '00000000 ()' Stratum 0 'System time' '0.000000000 seconds fast of NTP time' \\
      'Leap status' 'Not synchronised'
  fi
  ;;
waitsync)
  tries=\${args[1]:-0} max=\${args[2]:-0} interval=\${args[4]:-10}
  for value in "$tries" "$max" "$interval"; do
    if ! [[ $value =~ ^[0-9]+(\\.[0-9]+)?$ ]]; then
      echo "Invalid syntax for waitsync command" >&2
      exit 1
    fi
  done
  try=0
  while :; do
    try=$((try + 1))
    if daemon 2>/dev/null && value=$(offset); then
      echo "try: $try, refid: $REFID, correction: $(magnitude "$value"), skew: 0.000"
      if awk -v v="$(magnitude "$value")" -v m="$max" 'BEGIN { exit !(m == 0 || v <= m) }'; then exit 0; fi
    else
      echo "try: $try, refid: 00000000, correction: 0.000000000, skew: 0.000"
    fi
    if [ "$tries" != 0 ] && [ "$try" -ge "$tries" ]; then exit 1; fi
    sleep "$interval"
  done
  ;;
makestep)
  daemon || exit 1
  if offset >/dev/null; then
    printf '0.000000\\n' >"$OFFSET.new" && mv -f "$OFFSET.new" "$OFFSET"
  fi
  echo '200 OK'
  ;;
sources)
  daemon || exit 1
  case \${args[1]:-} in
  -v) echo "  .-- Source mode  '^' = server, '=' = peer, '#' = local clock (the sandbox stand-in)." ;;
  '') ;;
  *)
    echo "Invalid syntax for sources command" >&2
    exit 1
    ;;
  esac
  echo 'MS Name/IP address         Stratum Poll Reach LastRx Last sample'
  echo '==============================================================================='
  if value=$(offset); then
    printf '#* %-27s %2d %4d %5s %6s %s\\n' sandbox 0 4 377 1 "$(magnitude "$value")s"
  fi
  ;;
'')
  echo "chronyc: the sandbox's chronyc runs one command: tracking, waitsync, makestep or sources" >&2
  exit 1
  ;;
*)
  echo "Unrecognized command" >&2
  exit 1
  ;;
esac
`;
