#!/usr/bin/env bash
# Evidence for a service that is down, read-only: its state and exit status, its last log lines,
# processes with its name (what the CloudWatch agent's procstat counts), OOM kills in the kernel log,
# memory, and the restarts automation already made.
# By hand: SSM_service=nginx bash diagnose.sh
set -uo pipefail
export LC_ALL=C

readonly LEDGER_DIR=/var/lib/ec2-remediation/restarts
service=${SSM_service:-}
if [[ ! $service =~ ^[A-Za-z0-9][A-Za-z0-9@._-]{0,63}$ ]]; then
  echo "diagnose: invalid service name '${service}': set SSM_service to a unit name such as nginx" >&2
  exit 2
fi
echo "== ${service}"
systemctl status --no-pager --full -n 0 "$service" 2>&1 | head -n 12
systemctl show --no-pager -p LoadState,UnitFileState,ActiveState,SubState,Result,ExecMainCode,ExecMainStatus \
  -p NRestarts,ActiveEnterTimestamp,InactiveEnterTimestamp "$service" 2>&1
state=$(systemctl is-active "$service" 2>/dev/null)

echo "== processes named like '${service%.service}' (what procstat's exe counts)"
pgrep -l -- "${service%.service}" 2>/dev/null || echo "(none)"

echo "== last log lines"
journalctl -u "$service" -n 30 --no-pager -q 2>&1 | cut -c1-300

echo "== OOM kills in the kernel log"
kernel_log=$(dmesg -T 2>/dev/null || journalctl -k -q --no-pager -n 5000 2>/dev/null) || kernel_log=''
if [ -z "$kernel_log" ]; then
  oom="the kernel log is not readable here"
  echo "($oom)"
else
  kills=$(grep -iE 'out of memory|oom-kill|killed process' <<<"$kernel_log" | tail -n 10)
  if [ -n "$kills" ]; then
    echo "$kills"
    oom="$(grep -ciE 'killed process' <<<"$kills") recent"
  else
    oom=none
    echo "(none)"
  fi
fi

echo "== memory"
free -m 2>/dev/null || grep -E '^(MemTotal|MemAvailable|SwapTotal|SwapFree):' /proc/meminfo

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

echo "diagnose: ${service} is ${state:-unknown}; automated restarts in the last hour: ${restarts}; OOM kills in the kernel log: ${oom}"
exit 0
