#!/usr/bin/env bash
# Proof probe: the absolute clock offset in milliseconds. On an instance: chrony's `System time`
# (chronyc tracking), or systemd-timesyncd's last offset. In a sandbox, which cannot set its clock,
# the stand-in's state file /run/chrony/offset (see fault.sh).
set -u
export LC_ALL=C
abs_ms() { awk -v s="$1" 'BEGIN { v = s * 1000; if (v < 0) v = -v; printf "%.3f\n", v }'; }
if [ -d /run/systemd/system ] && command -v chronyc >/dev/null 2>&1 &&
  seconds=$(chronyc tracking 2>/dev/null | awk -F': *' '/^System time/ { split($2, w, " "); print (w[3] == "slow" ? "-" w[1] : w[1]) }') &&
  [ -n "$seconds" ]; then
  echo "chronyc tracking: system clock ${seconds} s from NTP time"
  abs_ms "$seconds"
elif [ -d /run/systemd/system ] && command -v timedatectl >/dev/null 2>&1 &&
  offset=$(timedatectl timesync-status 2>/dev/null | awk '/Offset:/ { print $2 }') && [ -n "$offset" ]; then
  echo "timedatectl timesync-status: offset ${offset}"
  case $offset in
  *us) abs_ms "$(awk -v v="${offset%us}" 'BEGIN { print v / 1000000 }')" ;;
  *ms) abs_ms "$(awk -v v="${offset%ms}" 'BEGIN { print v / 1000 }')" ;;
  *s) abs_ms "${offset%s}" ;;
  *) echo 999999 ;; # minutes or worse
  esac
elif [ -r /run/chrony/offset ]; then
  seconds=$(cat /run/chrony/offset)
  echo "sandbox stand-in: offset ${seconds} s (/run/chrony/offset)"
  abs_ms "$seconds"
else
  echo "no time-sync offset to read" >&2
  exit 1
fi
