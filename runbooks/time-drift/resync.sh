#!/usr/bin/env bash
# Clock drift with the time-sync service down: restart the service, step the clock, wait (bounded)
# for the offset to come under SSM_maxOffsetMs (default 100), and report the offset. Exits non-zero
# when the service does not run or the offset does not converge (a human must look).
#
# On an instance (systemd): chronyd (Amazon Linux: chronyd.service; Ubuntu: chrony.service) is
# restarted, then `chronyc makestep` steps the clock at once instead of slewing it for hours; with
# systemd-timesyncd instead (Ubuntu's default), NTP is switched on and the service restarted, and it
# steps the clock itself when the offset is over 0.4 s.
# In the sandbox the same lines run: chronyd.service is the stand-in of fault.sh and chronyc the
# sandbox's, which steps and reports the offset the stand-in keeps (a sandbox cannot set its clock).
set -u
export LC_ALL=C

readonly CONVERGE_SECONDS=60
max_offset_ms=${SSM_maxOffsetMs:-100}
case $max_offset_ms in
'' | *[!0-9]* | 0*)
  echo "time-drift: maxOffsetMs '${max_offset_ms}' is not a whole number from 1; nothing done" >&2
  exit 2
  ;;
esac

abs_ms() { awk -v s="$1" 'BEGIN { v = s * 1000; if (v < 0) v = -v; printf "%.3f\n", v }'; }
within() { awk -v v="$1" -v m="$max_offset_ms" 'BEGIN { exit !(v != "" && v <= m) }'; }
chrony_offset_ms() {
  local seconds
  seconds=$(chronyc tracking 2>/dev/null | awk -F': *' '/^System time/ { split($2, w, " "); print (w[3] == "slow" ? "-" w[1] : w[1]) }')
  [ -n "$seconds" ] && abs_ms "$seconds"
}

if [ ! -d /run/systemd/system ] || ! command -v systemctl >/dev/null 2>&1; then
  echo "time-drift: systemd does not manage services on this instance (no /run/systemd/system); nothing done" >&2
  exit 2
fi
unit=''
for candidate in chronyd chrony systemd-timesyncd; do
  if systemctl list-unit-files --no-legend "${candidate}.service" 2>/dev/null | grep -q "^${candidate}\.service"; then
    unit=$candidate
    break
  fi
done
if [ -z "$unit" ]; then
  echo "time-drift: no chronyd, chrony or systemd-timesyncd unit is installed; nothing done. A human must install chrony." >&2
  exit 1
fi
state=$(systemctl is-enabled "${unit}.service" 2>/dev/null)
echo "time-drift: ${unit}.service was $(systemctl is-active "${unit}.service" 2>/dev/null) (${state:-unknown})"
if [ "$state" = masked ]; then
  echo "time-drift: ${unit}.service is masked: someone turned time sync off on purpose; nothing done. A human must decide." >&2
  exit 1
fi
[ "$unit" = systemd-timesyncd ] && timedatectl set-ntp true 2>/dev/null
if ! systemctl restart "${unit}.service"; then
  systemctl status --no-pager --lines=10 "${unit}.service" 2>&1 | tail -n 15
  echo "time-drift: ${unit}.service did not restart; a human must look" >&2
  exit 1
fi
echo "time-drift: restarted ${unit}.service: $(systemctl is-active "${unit}.service")"
if [ "$(systemctl is-enabled "${unit}.service" 2>/dev/null)" = disabled ]; then
  echo "time-drift: warning: ${unit}.service is disabled and will not start at the next boot (systemctl enable ${unit})"
fi

if [ "$unit" = systemd-timesyncd ]; then
  synced=no
  for _ in $(seq "$CONVERGE_SECONDS"); do
    synced=$(timedatectl show -p NTPSynchronized --value 2>/dev/null)
    [ "$synced" = yes ] && break
    sleep 1
  done
  timedatectl timesync-status 2>/dev/null | grep -E 'Server:|Offset:|Leap:|Packet count:' | sed 's/^ */  /'
  if [ "$synced" != yes ]; then
    echo "time-drift: systemd-timesyncd did not synchronise in ${CONVERGE_SECONDS} s; a human must look (servers, network)" >&2
    exit 1
  fi
  echo "time-drift: systemd-timesyncd is synchronised"
  exit 0
fi

if ! command -v chronyc >/dev/null 2>&1; then
  echo "time-drift: ${unit} runs, but chronyc is not installed to step and read the clock; a human must look" >&2
  exit 1
fi

# chrony: wait for a usable source (iburst answers in seconds), step, then check the offset.
if ! chronyc waitsync 20 0 0 1 >/dev/null 2>&1; then
  echo "time-drift: chrony has no usable source after 20 s:"
  chronyc -n sources 2>&1 | head -n 10
fi
chronyc makestep 2>&1 | sed 's/^/  chronyc makestep: /'
offset=''
for _ in $(seq "$CONVERGE_SECONDS"); do
  offset=$(chrony_offset_ms)
  within "$offset" && break
  sleep 1
done
chronyc tracking 2>&1 | grep -E '^(Reference ID|Stratum|System time|Last offset|Leap status)' | sed 's/^/  /'
if ! within "$offset"; then
  echo "time-drift: the offset is ${offset:-unknown} ms after ${CONVERGE_SECONDS} s, over ${max_offset_ms} ms; a human must look" >&2
  exit 1
fi
echo "time-drift: ${unit} is running and the clock is ${offset} ms from NTP time"
exit 0
