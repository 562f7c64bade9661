#!/usr/bin/env bash
# Proof probe: the CPU % (of one core) of the busiest process over a 1-second sample, from
# /proc/<pid>/stat deltas. The alarm watches AWS/EC2 CPUUtilization, the whole instance; in a
# sandbox that shares its cores with other work, the busiest process is the signal that is ours.
# The remedy is verified on the instance by verify-probe.sh, which reads what the alarm reads.
set -eu
export LC_ALL=C
snapshot() {
  cat /proc/[0-9]*/stat 2>/dev/null | awk '{
    close_paren = match($0, /\) [^)]*$/)
    if (close_paren == 0) next
    split(substr($0, close_paren + 2), f, " ")
    print $1 " " f[20], f[12] + f[13]
  }'
}
t1=$(awk '{ print $1 }' /proc/uptime); first=$(snapshot)
sleep 1
t2=$(awk '{ print $1 }' /proc/uptime); second=$(snapshot)
awk -v hz="$(getconf CLK_TCK)" -v elapsed="$(awk -v a="$t1" -v b="$t2" 'BEGIN { print b - a }')" '
  NR == FNR { ticks[$1 " " $2] = $3; next }
  ($1 " " $2) in ticks { pct = ($3 - ticks[$1 " " $2]) * 100 / hz / elapsed; if (pct > max) { max = pct; who = $1 } }
  END { printf "busiest pid %s\n%.1f\n", who, max }' <(printf '%s\n' "$first") <(printf '%s\n' "$second")
