#!/usr/bin/env bash
# Verify probe, run right after the remedy on the instance: the instance's CPU use in % of all its
# cores over a 1-second sample, as the alarm's CPUUtilization reads it (not the busiest process, which
# on a many-core instance may be a legitimately busy one above 80% of its core). Every process's CPU
# time, from /proc/<pid>/stat deltas, over the cores' time. Interrupt time belongs to no process, so
# it reads a little under CloudWatch; the alarm's OK still confirms the fix.
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
cores=$(nproc)
t1=$(awk '{ print $1 }' /proc/uptime); first=$(snapshot)
sleep 1
t2=$(awk '{ print $1 }' /proc/uptime); second=$(snapshot)
awk -v hz="$(getconf CLK_TCK)" -v cores="$cores" \
  -v elapsed="$(awk -v a="$t1" -v b="$t2" 'BEGIN { print b - a }')" '
  NR == FNR { ticks[$1 " " $2] = $3; next }
  # A process that started during the sample spent all its ticks in it.
  { used += $3 - ((($1 " " $2) in ticks) ? ticks[$1 " " $2] : 0) }
  END {
    pct = used * 100 / hz / elapsed / cores
    if (pct > 100) pct = 100
    printf "instance CPU over %.1f s on %d core(s)\n%.1f\n", elapsed, cores, pct
  }' <(printf '%s\n' "$first") <(printf '%s\n' "$second")
