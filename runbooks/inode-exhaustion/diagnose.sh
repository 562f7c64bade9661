#!/usr/bin/env bash
# Evidence for a root volume out of inodes, read-only and bounded in time: inode and block usage,
# the directories holding the most entries (on / only), file counts of the places the runbook may
# clean, and deleted files still held open (their inodes are freed only when closed).
# It creates no file (sort works in memory-backed /dev/shm or /run): there may be no inode for one.
set -u
export LC_ALL=C
for dir in /dev/shm /run; do [ -w "$dir" ] && { export TMPDIR=$dir; break; }; done
echo "== df -Pi / (inodes)"
df -Pi /
echo "== df -hP / (blocks)"
df -hP /
echo "== directories on / holding the most entries (directly in them)"
timeout 60 find / -xdev -printf '%h\n' 2>/dev/null | awk '{ n[$0 == "" ? "/" : $0]++ } END { for (d in n) print n[d], d }' |
  sort -rn | head -n 15 | awk '{ c = $1; sub(/^[^ ]+ /, ""); printf "%9d  %s\n", c, $0 }'
echo "== entries under each top-level directory of /, recursively"
timeout 60 find / -xdev -mindepth 1 -printf '%p\n' 2>/dev/null | awk -F/ '{ n[NF > 2 ? "/" $2 "/" $3 : "/" $2]++ } END { for (d in n) print n[d], d }' |
  sort -rn | head -n 15 | awk '{ c = $1; sub(/^[^ ]+ /, ""); printf "%9d  %s\n", c, $0 }'
echo "== the places the runbook may clean: entries, and files not modified for ${SSM_minAgeMinutes:-60} min"
for dir in /tmp /var/tmp /var/lib/php/sessions /var/lib/php/session /var/cache/*; do
  [ -d "$dir" ] || continue
  all=$(timeout 30 find "$dir" -xdev -mindepth 1 -printf . 2>/dev/null | wc -c)
  old=$(timeout 30 find "$dir" -xdev -type f -mmin "+${SSM_minAgeMinutes:-60}" -printf . 2>/dev/null | wc -c)
  printf '%9d  %9d  %s\n' "$all" "$old" "$dir"
done
echo "== deleted files still held open"
if command -v lsof >/dev/null 2>&1; then
  lsof -nP +L1 2>/dev/null | head -n 10
else
  echo "(lsof is not installed)"
fi
exit 0
