#!/usr/bin/env bash
# Evidence for clock drift, read-only: the time-sync service's state and recent log, chrony's
# sources and tracking, timedatectl. In the sandbox, chronyc reports the clock error of the stand-in
# chronyd of fault.sh (a sandbox cannot set its clock).
set -u
export LC_ALL=C
echo "== date: $(date -u +%FT%T.%NZ)"
for unit in chronyd chrony systemd-timesyncd ntpd ntp; do
  systemctl list-unit-files --no-legend "${unit}.service" 2>/dev/null | grep -q "^${unit}\.service" || continue
  echo "== ${unit}.service: $(systemctl is-active "${unit}.service" 2>/dev/null), $(systemctl is-enabled "${unit}.service" 2>/dev/null)"
  systemctl status --no-pager --lines=0 "${unit}.service" 2>&1 | head -n 6
  journalctl -u "${unit}.service" --no-pager -n 10 2>/dev/null
done
if command -v timedatectl >/dev/null 2>&1; then
  echo "== timedatectl"
  timedatectl 2>&1
  timedatectl timesync-status 2>/dev/null
fi
if command -v chronyc >/dev/null 2>&1; then
  echo "== chronyc tracking"
  timeout 10 chronyc tracking 2>&1
  echo "== chronyc sources (Amazon Time Sync Service: 169.254.169.123 or fd00:ec2::123)"
  timeout 10 chronyc -n sources -v 2>&1 | tail -n 12
fi
echo "== clock source: $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null || echo unknown)"
exit 0
