#!/usr/bin/env bash
# Evidence for a nearly full root volume, read-only: usage, the largest directories and files, and
# deleted files still held open (space that only a restart of their writer gives back).
set -u
export LC_ALL=C
echo "== df -hP /"
df -hP /
echo "== df -iP /"
df -iP /
echo "== largest directories on / (same file system)"
timeout 60 du -xk / 2>/dev/null | sort -rn | head -n 15 | awk '{ printf "%8d MiB  %s\n", $1 / 1024, $2 }'
echo "== largest files on /"
timeout 60 find / -xdev -type f -size +10M -printf '%s %p\n' 2>/dev/null | sort -rn | head -n 10 |
  awk '{ printf "%8d MiB  %s\n", $1 / 1048576, $2 }'
echo "== deleted files still held open"
if command -v lsof >/dev/null 2>&1; then
  lsof -nP +L1 2>/dev/null | head -n 10
else
  echo "(lsof is not installed)"
fi
exit 0
