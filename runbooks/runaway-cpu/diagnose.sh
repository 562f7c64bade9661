#!/usr/bin/env bash
# Evidence for high CPU, read-only: load, CPU time by kind (steal matters on EC2), the busiest
# processes over a 2-second sample (not ps's lifetime average), and who they are.
set -u
export LC_ALL=C
echo "== uptime / load (on $(nproc) CPU(s))"
uptime
echo "== allow-list for this alarm (processPattern): ${SSM_processPattern:-<none>}, threshold ${SSM_cpuPercent:-80}% of one core"
echo "== CPU time since boot (user nice system idle iowait irq softirq steal; high steal = noisy neighbour or T-instance credits)"
head -n 1 /proc/stat
echo "== busiest processes over a 2-second sample, % of one core"
snapshot() {
  cat /proc/[0-9]*/stat 2>/dev/null | awk '{
    close_paren = match($0, /\) [^)]*$/); open_paren = index($0, "(")
    if (close_paren == 0 || open_paren == 0) next
    split(substr($0, close_paren + 2), f, " ")
    print $1 " " f[20], f[12] + f[13], substr($0, open_paren + 1, close_paren - open_paren - 1)
  }'
}
t1=$(awk '{ print $1 }' /proc/uptime); first=$(snapshot)
sleep 2
t2=$(awk '{ print $1 }' /proc/uptime); second=$(snapshot)
busiest=$(awk -v hz="$(getconf CLK_TCK)" -v elapsed="$(awk -v a="$t1" -v b="$t2" 'BEGIN { print b - a }')" '
  NR == FNR { ticks[$1 " " $2] = $3; next }
  ($1 " " $2) in ticks {
    c = $0; for (i = 1; i <= 3; i++) sub(/^[^ ]+ /, "", c)
    printf "%s %.1f %s\n", $1, ($3 - ticks[$1 " " $2]) * 100 / hz / elapsed, c
  }' <(printf '%s\n' "$first") <(printf '%s\n' "$second") | sort -k2,2 -rn | head -n 10)
printf '%s\n' "$busiest" | awk '{ c = $0; sub(/^[^ ]+ [^ ]+ /, "", c); printf "  pid %-7s %6s%%  %s\n", $1, $2, c }'
echo "== who the three busiest are"
printf '%s\n' "$busiest" | head -n 3 | while read -r pid _; do
  [ -d "/proc/$pid" ] || continue
  ps -o pid=,ppid=,user=,etime=,nlwp=,stat= -p "$pid" 2>/dev/null | awk '{ printf "  pid %s ppid %s user %s running %s threads %s state %s\n", $1, $2, $3, $4, $5, $6 }'
  echo "    cmd: $(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | cut -c 1-200)"
  echo "    exe: $(readlink "/proc/$pid/exe" 2>/dev/null)"
  [ -d /run/systemd/system ] && echo "    cgroup: $(tail -n 1 "/proc/$pid/cgroup" 2>/dev/null)"
done
echo "== ps snapshot (%CPU here is the lifetime average)"
ps -eo pid,ppid,user,pcpu,pmem,etime,stat,comm --sort=-pcpu 2>/dev/null | head -n 15
exit 0
