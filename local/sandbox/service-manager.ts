/**
 * The sandbox's service manager: svc, and the supervisor of each run of a service. The sandbox's
 * systemctl and journalctl are its front ends.
 * Every value reaches it as an argument, on stdin or in the environment, never spliced into code.
 */
import { SANDBOX_PATH } from './sandbox-paths.ts';

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
