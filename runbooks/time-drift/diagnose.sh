#!/usr/bin/env bash
# Evidence for clock drift, read-only: the time-sync service's state and recent log, chrony's
# sources and tracking, timedatectl; in the sandbox (which cannot set its clock), the stand-in
# chronyd's status and its offset file.
set -u
export LC_ALL=C
echo "== date: $(date -u +%FT%T.%NZ)"
if [ -d /run/systemd/system ]; then
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
else
  echo "== sandbox stand-in (a sandbox cannot set its clock): chronyd"
  svc status chronyd 2>&1
  echo "offset: $(cat /run/chrony/offset 2>/dev/null || echo 'no /run/chrony/offset') s"
  echo "== /var/log/chronyd.log (last lines)"
  tail -n 5 /var/log/chronyd.log 2>/dev/null
fi
exit 0
