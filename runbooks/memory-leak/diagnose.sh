#!/usr/bin/env bash
# Evidence for a service that leaks memory, read-only: its memory (/proc status, smaps_rollup), the
# processes by RSS, the instance's memory, OOM kills in the kernel log, the restarts automation made.
# By hand: SSM_service=myapp bash diagnose.sh
set -uo pipefail
export LC_ALL=C

readonly LEDGER_DIR=/var/lib/ec2-remediation/restarts
service=${SSM_service:-}
if [[ ! $service =~ ^[A-Za-z0-9][A-Za-z0-9@._-]{0,63}$ ]]; then
  echo "diagnose: invalid service name '${service}': set SSM_service to a unit name such as myapp" >&2
  exit 2
fi
echo "== ${service}"
systemctl status --no-pager --full -n 0 "$service" 2>&1 | head -n 12
systemctl show --no-pager -p ActiveState,SubState,NRestarts,ActiveEnterTimestamp \
  -p MemoryCurrent,MemoryPeak,MemoryHigh,MemoryMax "$service" 2>&1
pid=$(systemctl show -p MainPID --value "$service" 2>/dev/null)
[ "$pid" = 0 ] && pid=''

summary="${service} is not running"
if [ -n "$pid" ] && [ -r "/proc/${pid}/status" ]; then
  echo "== main pid ${pid}: running for $(ps -o etime= -p "$pid" | tr -d ' '), $(find "/proc/${pid}/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l) open files"
  grep -E '^(Name|State|Threads|VmPeak|VmSize|VmHWM|VmRSS|RssAnon|RssFile|RssShmem|VmSwap):' "/proc/${pid}/status"
  if [ -r "/proc/${pid}/smaps_rollup" ]; then
    echo "-- smaps_rollup"
    grep -E '^(Rss|Pss|Pss_Anon|Anonymous|Swap):' "/proc/${pid}/smaps_rollup"
  fi
  summary=$(awk -v name="$service" -v pid="$pid" '
    $1 == "VmRSS:" { rss = int($2 / 1024) } $1 == "VmHWM:" { hwm = int($2 / 1024) } $1 == "VmSwap:" { swap = int($2 / 1024) }
    END { printf "%s (pid %s) RSS %d MiB, peak %d MiB, swap %d MiB", name, pid, rss, hwm, swap }' "/proc/${pid}/status")
fi

echo "== processes by RSS (MiB)"
ps -eo pid,user,rss,etime,comm --sort=-rss | head -n 11 |
  awk 'NR == 1 { printf "%8s %-12s %8s %12s %s\n", "PID", "USER", "RSS_MiB", "ELAPSED", "COMMAND"; next }
    { printf "%8s %-12s %8d %12s %s\n", $1, $2, $3 / 1024, $4, $5 }'

echo "== memory"
free -m 2>/dev/null || grep -E '^(MemTotal|MemAvailable|SwapTotal|SwapFree):' /proc/meminfo
avail=$(awk '$1 == "MemAvailable:" { a = int($2 / 1024) } $1 == "MemTotal:" { t = int($2 / 1024) } END { print a " of " t }' /proc/meminfo)

echo "== OOM kills in the kernel log"
kernel_log=$(dmesg -T 2>/dev/null || journalctl -k -q --no-pager -n 5000 2>/dev/null) || kernel_log=''
if [ -z "$kernel_log" ]; then
  oom="not readable here"
  echo "(the kernel log is not readable here)"
else
  kills=$(grep -iE 'out of memory|oom-kill|killed process' <<<"$kernel_log" | tail -n 10)
  oom=none
  [ -n "$kills" ] && oom="$(grep -ciE 'killed process' <<<"$kills") recent"
  echo "${kills:-(none)}"
fi

echo "== restarts by automation, last 24 h (${LEDGER_DIR}/${service})"
now=$(date +%s)
restarts=0
listed=0
while read -r at by was; do
  echo "  $(date -u -d "@${at}" +%FT%TZ) by ${by} (was ${was})"
  listed=$((listed + 1))
  if [ "$at" -ge $((now - 3600)) ]; then restarts=$((restarts + 1)); fi
done < <(awk -v since="$((now - 86400))" '$1 >= since' "${LEDGER_DIR}/${service}" 2>/dev/null)
[ "$listed" -gt 0 ] || echo "(none)"

echo "diagnose: ${summary}; MemAvailable ${avail} MiB; OOM kills: ${oom}; automated restarts in the last hour: ${restarts}"
exit 0
