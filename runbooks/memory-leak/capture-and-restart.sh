#!/usr/bin/env bash
# A service leaks memory: save the evidence a developer needs (the service's /proc status and
# smaps_rollup, processes by RSS, memory, OOM kills, its last log lines) under
# /var/log/ec2-remediation/, then restart it, within the hourly restart limit service-down uses too.
#
# Parameter: SSM_service, the systemd unit (myapp or myapp.service).
# By hand: SSM_service=myapp bash capture-and-restart.sh
# Exit: 0 restarted (evidence saved, or printed when the disk had no room); 1 it did not come back up,
# or the restart could not be recorded; 2 invalid name, or a special unit or critical service
# (refused); 3 refused, the restart limit is reached;
# 4 no such service, or masked, or no systemd.
set -uo pipefail
export LC_ALL=C
umask 077 # the evidence and the ledger are root's

readonly RESTART_LIMIT=3 # automated restarts of one service per rolling hour, this runbook and service-down
readonly WINDOW_SECONDS=3600
readonly SETTLE_SECONDS=5 # the restarted service must keep the same main pid this long
readonly LEDGER_DIR=/var/lib/ec2-remediation/restarts
readonly EVIDENCE_DIR=/var/log/ec2-remediation
readonly EVIDENCE_DAYS=30
readonly RUNBOOK=memory-leak

service=${SSM_service:-}
if [[ ! $service =~ ^[A-Za-z0-9][A-Za-z0-9@._-]{0,63}$ ]]; then
  echo "${RUNBOOK}: invalid service name '${service}': set SSM_service to a unit name such as myapp" >&2
  exit 2
fi
# Services only, and none the instance or automation cannot do without: the rule the runbook's
# definition applies before sending the command (runbooks/shared/service-restart.ts), again here,
# since this script also runs by hand. `systemctl restart reboot.target` would reboot.
case $service in
  *.socket | *.device | *.mount | *.automount | *.swap | *.target | *.path | *.timer | *.slice | *.scope)
    echo "${RUNBOOK}: refusing '${service}': a systemd ${service##*.} unit, not a service; automation restarts services only" >&2
    exit 2
    ;;
esac
case ${service%.service} in
  init | dbus | emergency | rescue | reboot | poweroff | halt | kexec | shutdown | network | networking | \
    NetworkManager | auditd | polkit | amazon-ssm-agent | snap.amazon-ssm-agent.amazon-ssm-agent | \
    cloud-init | cloud-init-local | cloud-config | cloud-final | console-getty | \
    systemd-* | dbus-* | user@* | user-runtime-dir@* | getty@* | serial-getty@* | container-getty@* | \
    autovt@* | initrd-* | dracut-* | plymouth-*)
    echo "${RUNBOOK}: refusing '${service}': the instance or automation cannot do without it; restart it by hand if you must" >&2
    exit 2
    ;;
esac
if [ ! -d /run/systemd/system ] || ! command -v systemctl >/dev/null 2>&1; then
  echo "${RUNBOOK}: systemd does not manage services on this instance (no /run/systemd/system); nothing captured or restarted." >&2
  exit 4
fi

# The service's state: active, activating, inactive, failed... or not-found, masked, load-<state>.
service_state() {
  local load
  load=$(systemctl show -p LoadState --value "$service" 2>/dev/null)
  case $load in
    loaded) systemctl is-active "$service" 2>/dev/null || true ;;
    masked) echo masked ;;
    not-found | '') echo not-found ;;
    *) echo "load-${load}" ;;
  esac
}

main_pid() {
  local pid
  pid=$(systemctl show -p MainPID --value "$service" 2>/dev/null)
  [ "${pid:-0}" != 0 ] && echo "$pid"
}

# Every pid of the service: its cgroup (v2, then v1); at least the main pid.
service_pids() {
  local main=$1 cg pids=''
  cg=$(systemctl show -p ControlGroup --value "$service" 2>/dev/null)
  [ -n "$cg" ] && pids=$(cat "/sys/fs/cgroup${cg}/cgroup.procs" 2>/dev/null ||
    cat "/sys/fs/cgroup/systemd${cg}/cgroup.procs" 2>/dev/null)
  echo "${pids:-$main}" | awk 'NF { print $1 }' | head -n 20
}

# A /proc/PID/status field in MiB (VmRSS, VmHWM, RssAnon, VmSwap); 0 when absent.
status_mib() { awk -v key="$2:" '$1 == key { mib = int($2 / 1024) } END { print mib + 0 }' "/proc/$1/status" 2>/dev/null || echo 0; }

recent_logs() { journalctl -u "$service" -n "$1" --no-pager -q 2>/dev/null; }

# The evidence, on stdout. Command lines and environments are left out: they may hold secrets.
evidence() {
  local pid=$1 p
  echo "# memory-leak evidence for ${service} on $(hostname) at ${stamp}"
  echo "# state ${state}, main pid ${pid:-none}"
  echo "== memory (/proc/meminfo)"
  grep -E '^(MemTotal|MemFree|MemAvailable|Cached|SwapTotal|SwapFree|Shmem|AnonPages|SUnreclaim|Committed_AS):' /proc/meminfo
  echo "== processes by RSS (KiB)"
  ps -eo pid,ppid,user,rss,vsz,etime,comm --sort=-rss | head -n 16
  echo "== unit"
  systemctl show --no-pager -p MemoryCurrent,MemoryPeak,MemoryHigh,MemoryMax,MemorySwapCurrent \
    -p NRestarts,ActiveEnterTimestamp,ControlGroup "$service" 2>&1
  if [ -n "$pid" ]; then
    for p in $(service_pids "$pid"); do
      [ -r "/proc/${p}/status" ] || continue
      echo "== pid ${p}: running for $(ps -o etime= -p "$p" | tr -d ' '), $(find "/proc/${p}/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l) open files"
      grep -E '^(Name|State|PPid|Threads|VmPeak|VmSize|VmHWM|VmRSS|RssAnon|RssFile|RssShmem|VmData|VmSwap):' "/proc/${p}/status"
      if [ -r "/proc/${p}/smaps_rollup" ]; then
        echo "-- /proc/${p}/smaps_rollup"
        cat "/proc/${p}/smaps_rollup"
      fi
    done
  fi
  echo "== OOM kills in the kernel log"
  { dmesg -T 2>/dev/null || journalctl -k -q --no-pager -n 5000 2>/dev/null || echo "(the kernel log is not readable here)"; } |
    grep -iE 'out of memory|oom-kill|killed process|not readable' | tail -n 20
  echo "== last log lines of ${service}"
  recent_logs 50 | cut -c1-500
}

state=$(service_state)
case $state in
  not-found)
    echo "${RUNBOOK}: no service '${service}' on this instance (systemd has no such unit); nothing captured or restarted." >&2
    echo "${RUNBOOK}: the alarm's exe dimension must be the unit name; check the CloudWatch agent's procstat config." >&2
    exit 4
    ;;
  masked | load-*)
    echo "${RUNBOOK}: ${service} is ${state}: it was disabled on purpose or its unit file is broken; not starting it." >&2
    exit 4
    ;;
esac

# 1. Evidence, before anything changes. Kept in memory first: on a full disk it is printed instead.
stamp=$(date -u +%Y%m%dT%H%M%SZ)
old_pid=$(main_pid)
if [ -n "$old_pid" ]; then
  before="pid ${old_pid} (RSS $(status_mib "$old_pid" VmRSS) MiB)"
  echo "${RUNBOOK}: ${service} pid ${old_pid}: RSS $(status_mib "$old_pid" VmRSS) MiB, peak $(status_mib "$old_pid" VmHWM) MiB," \
    "anon $(status_mib "$old_pid" RssAnon) MiB, swap $(status_mib "$old_pid" VmSwap) MiB, up $(ps -o etime= -p "$old_pid" | tr -d ' ')"
else
  before="not running (${state})"
  echo "${RUNBOOK}: ${service} is not running (${state}): killed by the OOM killer? see the evidence"
fi
text=$(evidence "$old_pid" 2>&1)
file=${EVIDENCE_DIR}/${RUNBOOK}-${service}-${stamp}.txt
[ -e "$file" ] && file=${EVIDENCE_DIR}/${RUNBOOK}-${service}-${stamp}-$$.txt
if mkdir -p "$EVIDENCE_DIR" 2>/dev/null && printf '%s\n' "$text" >"$file" 2>/dev/null; then
  find "$EVIDENCE_DIR" -maxdepth 1 -type f -name "${RUNBOOK}-*.txt" -mtime +"$EVIDENCE_DAYS" -delete 2>/dev/null
  saved="evidence in ${file}"
  echo "${RUNBOOK}: evidence saved: ${file} ($(wc -l <"$file") lines)"
else
  rm -f "$file" 2>/dev/null
  saved="evidence NOT saved (no room in ${EVIDENCE_DIR}?), printed above"
  echo "${RUNBOOK}: could not write ${file}; the evidence follows"
  printf '%s\n' "$text"
fi
avail=$(awk '$1 == "MemAvailable:" { a = int($2 / 1024) } $1 == "MemTotal:" { t = int($2 / 1024) } END { print a " of " t }' /proc/meminfo)
echo "${RUNBOOK}: MemAvailable ${avail} MiB"

# 2. The restart ledger, shared with service-down: one line per automated restart, under a lock.
if ! mkdir -p "$LEDGER_DIR" 2>/dev/null || ! exec 9>>"${LEDGER_DIR}/${service}.lock"; then
  echo "${RUNBOOK}: cannot write ${LEDGER_DIR} (disk full or read-only?); not restarting without the restart limit." >&2
  exit 1
fi
if command -v flock >/dev/null 2>&1 && ! flock -w 30 9; then
  echo "${RUNBOOK}: another remediation of ${service} is running (lock held for 30 s); not restarting." >&2
  exit 1
fi
ledger=${LEDGER_DIR}/${service}
now=$(date +%s)
recent=$(awk -v since="$((now - WINDOW_SECONDS))" '$1 >= since' "$ledger" 2>/dev/null | wc -l)
if [ "$recent" -ge "$RESTART_LIMIT" ]; then
  echo "${RUNBOOK}: automated restarts of ${service} in the last hour:"
  awk -v since="$((now - WINDOW_SECONDS))" '$1 >= since' "$ledger" | while read -r at by was; do
    echo "  $(date -u -d "@${at}" +%FT%TZ) by ${by} (was ${was})"
  done
  echo "${RUNBOOK}: REFUSED: ${service} was restarted ${recent} times by automation in the last hour (limit ${RESTART_LIMIT}); ${saved}." >&2
  echo "${RUNBOOK}: it refills too fast for restarts to help; a human must look at the leak." >&2
  exit 3
fi
if ! { touch "$ledger" && awk -v since="$((now - 86400))" '$1 >= since' "$ledger" >"${ledger}.new" &&
  printf '%s %s %s\n' "$now" "$RUNBOOK" "$state" >>"${ledger}.new" && mv -f "${ledger}.new" "$ledger"; }; then
  rm -f "${ledger}.new"
  echo "${RUNBOOK}: cannot record the restart in ${ledger} (disk full?); not restarting without the restart limit; ${saved}." >&2
  exit 1
fi

# 3. The restart, then the same check as service-down: up, with the same main pid for SETTLE_SECONDS.
echo "${RUNBOOK}: restarting ${service} with systemctl ($((recent + 1))/${RESTART_LIMIT} automated restarts this hour)"
if [ "$state" = failed ]; then
  systemctl reset-failed "$service" 2>/dev/null && echo "${RUNBOOK}: cleared the failed state (systemctl reset-failed)"
fi
timeout 180 systemctl restart "$service" 9>&- # nothing started may inherit the lock
rc=$?
pid=''
if [ "$rc" -eq 0 ]; then
  for _ in $(seq 30); do
    state=$(service_state)
    [ "$state" = active ] && break
    sleep 0.5
  done
  pid=$(main_pid)
  for _ in $(seq "$SETTLE_SECONDS"); do
    [ "$state" = active ] || break
    sleep 1
    state=$(service_state)
    if [ "$state" = active ] && [ "$(main_pid)" != "$pid" ]; then state=crashed-and-restarted-by-itself; fi
  done
fi
if [ "$rc" -ne 0 ] || [ "$state" != active ] || [ -z "$pid" ]; then
  echo "${RUNBOOK}: last log lines of ${service}:"
  recent_logs 15
  echo "${RUNBOOK}: FAILED: ${service} did not stay up after the restart (restart exit ${rc}, state ${state}); ${saved}." >&2
  exit 1
fi
echo "${RUNBOOK}: restarted ${service}: ${before} -> pid ${pid} (RSS $(status_mib "$pid" VmRSS) MiB after ${SETTLE_SECONDS}s); automated restarts in the last hour: $((recent + 1))/${RESTART_LIMIT}"
echo "${RUNBOOK}: ${saved}"
