#!/usr/bin/env bash
# Runaway CPU: end ONLY the process(es) that break the rule below, say which and why, and exit
# non-zero when none did (then a human must look).
#
# The rule, all of it:
#   - the process used more than SSM_cpuPercent % of one CPU core (default 80) over a 2-second
#     sample, measured from /proc/<pid>/stat deltas (not ps's %CPU, a lifetime average). Up to three
#     samples are taken, so a momentary dip (a loaded host, a GC pause) does not hide the runaway;
#   - its name is on the allow-list SSM_processPattern (names separated by ':'), compared as exact
#     strings (never as a regular expression) with the kernel's command name (/proc/<pid>/comm,
#     which the kernel truncates to 15 characters) or the base name of its argv[0];
#   - it is none of: pid 1, a kernel thread, this script's shell, its ancestors (the SSM agent and
#     its workers) or its children, systemd or any systemd-* daemon, sshd, the SSM agent's
#     processes, the D-Bus daemon; those names are refused even when the allow-list names them.
# Each match gets SIGTERM, then SIGKILL if it is still there after 10 seconds.
set -u
export LC_ALL=C

readonly SAMPLE_SECONDS=2 SAMPLES=3 TERM_GRACE_SECONDS=10 KILL_WAIT_SECONDS=5
readonly PROTECTED_NAMES=' init systemd sshd sshd-session sshd-auth amazon-ssm-agent ssm-agent-worker ssm-document-worker ssm-session-worker ssm-session-logger dbus-daemon dbus-broker '

allow_list=${SSM_processPattern:-}
threshold=${SSM_cpuPercent:-80}
case $allow_list in
'' | *[!A-Za-z0-9._:-]*)
  echo "runaway-cpu: processPattern '${allow_list}' is empty or not a ':'-separated list of names; nothing ended" >&2
  exit 2
  ;;
esac
case $threshold in
'' | *[!0-9]* | 0*)
  echo "runaway-cpu: cpuPercent '${threshold}' is not a whole number from 1; nothing ended" >&2
  exit 2
  ;;
esac

is_protected_name() {
  case $1 in systemd-*) return 0 ;; esac
  case $PROTECTED_NAMES in *" $1 "*) return 0 ;; esac
  return 1
}

# The allow-list, minus protected names (refused, and said so).
declare -A allowed=()
IFS=: read -r -a requested <<<"$allow_list"
for name in "${requested[@]}"; do
  [ -n "$name" ] || continue
  if is_protected_name "$name"; then
    echo "runaway-cpu: refusing '${name}' from the allow-list: it is a protected process"
  else
    allowed[$name]=1
  fi
done
if [ "${#allowed[@]}" -eq 0 ]; then
  echo "runaway-cpu: no usable name in the allow-list '${allow_list}'; nothing ended" >&2
  exit 2
fi

# One line per process: pid starttime cpu_ticks ppid flags state comm (comm last: it may hold spaces).
snapshot() {
  cat /proc/[0-9]*/stat 2>/dev/null | awk '{
    close_paren = match($0, /\) [^)]*$/); open_paren = index($0, "(")
    if (close_paren == 0 || open_paren == 0) next
    comm = substr($0, open_paren + 1, close_paren - open_paren - 1)
    split(substr($0, close_paren + 2), f, " ")
    print $1, f[20], f[12] + f[13], f[2], f[7], f[1], comm
  }'
}
uptime_seconds() { awk '{ print $1 }' /proc/uptime; }

# Samples CPU over SAMPLE_SECONDS; prints "pid starttime percent ppid flags state comm", busiest first.
sample() {
  local first second t1 t2
  t1=$(uptime_seconds); first=$(snapshot)
  sleep "$SAMPLE_SECONDS"
  t2=$(uptime_seconds); second=$(snapshot)
  awk -v hz="$(getconf CLK_TCK)" -v elapsed="$(awk -v a="$t1" -v b="$t2" 'BEGIN { print b - a }')" '
    NR == FNR { ticks[$1 " " $2] = $3; next }
    ($1 " " $2) in ticks {
      pct = ($3 - ticks[$1 " " $2]) * 100 / hz / (elapsed > 0 ? elapsed : 1)
      comm = $0; for (i = 1; i <= 6; i++) sub(/^[^ ]+ /, "", comm)
      printf "%s %s %.1f %s %s %s %s\n", $1, $2, pct, $4, $5, $6, comm
    }' <(printf '%s\n' "$first") <(printf '%s\n' "$second") | sort -k3,3 -rn
}

# This shell, its ancestors up to pid 1 (the SSM agent and its workers on an instance): never touched.
declare -A protected_pids=([1]=1 [2]=1 [$$]=1)
pid=$$
while [ "$pid" -gt 1 ] 2>/dev/null; do
  protected_pids[$pid]=1
  pid=$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || break
  [ -n "$pid" ] || break
done

argv0_name() {
  local argv0
  argv0=$(tr '\0' '\n' 2>/dev/null <"/proc/$1/cmdline" | head -n 1)
  argv0=${argv0##*/}
  echo "${argv0:-/}" # '/' is never on an allow-list; an empty key is no array subscript
}
start_time() { # field 22 of /proc/PID/stat: tells our process from a later one that got its pid
  local stat fields
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  read -r -a fields <<<"${stat##*) }" # fields from 3 (state) on, split on purpose
  [ "${fields[0]}" != Z ] && echo "${fields[19]}"
}
alive() { [ "$(start_time "$1")" = "$2" ]; }
describe() {
  local pid=$1 user etime cmd unit=''
  user=$(stat -c %U "/proc/$pid" 2>/dev/null || echo '?')
  etime=$(ps -o etime= -p "$pid" 2>/dev/null | tr -d ' ')
  cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | cut -c 1-160)
  if [ -d /run/systemd/system ]; then
    unit=$(sed -n 's|^0::.*/\([^/]*\.\(service\|scope\)\)$|\1|p' "/proc/$pid/cgroup" 2>/dev/null | head -n 1)
  fi
  echo "user ${user:-?}, running ${etime:-?}${unit:+, unit ${unit}}, cmd: ${cmd:-?}"
}

echo "runaway-cpu: rule: > ${threshold}% of one core over ${SAMPLE_SECONDS} s, name in [${!allowed[*]}], not protected"
victims=()
for round in $(seq "$SAMPLES"); do
  table=$(sample)
  echo "sample ${round}: busiest processes (% of one core over ${SAMPLE_SECONDS} s):"
  printf '%s\n' "$table" | head -n 5 | awk '{ c = $0; for (i = 1; i <= 6; i++) sub(/^[^ ]+ /, "", c); printf "  pid %-7s %6s%%  %s\n", $1, $3, c }'
  while read -r pid started pct ppid flags state comm; do
    [ -n "$pid" ] || continue
    argv0=$(argv0_name "$pid")
    comm=${comm:-/}
    [ -n "${allowed[$comm]+x}" ] || [ -n "${allowed[$argv0]+x}" ] || continue
    over=$(awk -v p="$pct" -v t="$threshold" 'BEGIN { print (p > t) ? 1 : 0 }')
    why=''
    if [ -n "${protected_pids[$pid]+x}" ] || [ "$ppid" = "$$" ]; then why='this script or its ancestors'
    elif [ $(((flags / 2097152) % 2)) -eq 1 ] || [ "$ppid" = 2 ]; then why='a kernel thread'
    elif is_protected_name "$comm" || is_protected_name "$argv0"; then why='a protected process'
    elif [ "$state" = Z ]; then why='already exited (zombie)'
    elif [ "$over" != 1 ]; then why="below ${threshold}%"
    fi
    if [ -n "$why" ]; then
      [ "$round" -eq 1 ] && echo "  left alone: pid ${pid} (${comm}) at ${pct}%: ${why}"
      continue
    fi
    victims+=("${pid} ${started} ${pct} ${comm}")
  done <<<"$table"
  [ "${#victims[@]}" -gt 0 ] && break
done

if [ "${#victims[@]}" -eq 0 ]; then
  echo "runaway-cpu: no process matched the rule in ${SAMPLES} samples; nothing ended. A human must look:" \
    "the CPU may be used by a process not on the allow-list, by many small ones, or by steal time." >&2
  exit 1
fi

# SIGTERM to every match at once, then one grace period for all, then SIGKILL to what is left: the
# time this takes does not grow with the number of matches.
declare -A pending=()
for victim in "${victims[@]}"; do
  read -r pid started pct comm <<<"$victim"
  echo "runaway-cpu: ending pid ${pid} (${comm}): ${pct}% of one core > ${threshold}%, name on the allow-list; $(describe "$pid")"
  if alive "$pid" "$started" && kill -TERM "$pid" 2>/dev/null; then pending[$pid]=$started; else echo "  pid ${pid} already exited"; fi
done
wait_for_pending() { # SECONDS: until every pending process is gone or the time is up; prints and forgets the gone ones
  local pid
  for _ in $(seq $(($1 * 5))); do
    for pid in "${!pending[@]}"; do
      alive "$pid" "${pending[$pid]}" || { echo "  pid ${pid} ended on $2"; unset "pending[$pid]"; }
    done
    [ "${#pending[@]}" -eq 0 ] && return
    sleep 0.2
  done
}
wait_for_pending "$TERM_GRACE_SECONDS" SIGTERM
for pid in "${!pending[@]}"; do
  echo "  pid ${pid} still running ${TERM_GRACE_SECONDS} s after SIGTERM: sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null
done
wait_for_pending "$KILL_WAIT_SECONDS" SIGKILL
failed=0
for pid in "${!pending[@]}"; do
  echo "  pid ${pid} survived SIGKILL (state $(awk '/^State:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)): stuck in the kernel?" >&2
  failed=1
done

[ "$failed" -eq 0 ] || { echo "runaway-cpu: a process could not be ended; a human must look" >&2; exit 1; }
echo "runaway-cpu: ended ${#victims[@]} process(es); if a supervisor (systemd Restart=, a job runner) starts it again, the alarm returns and a human is paged"
