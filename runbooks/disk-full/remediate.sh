#!/usr/bin/env bash
# Root volume nearly full: free space by removing only what is already archived or can be
# regenerated, and say exactly what was removed.
#
# Removes: rotated logs under /var/log (*.gz, *.xz, *.bz2, *.N, *.old, name-YYYYMMDD), journald
# archives beyond 200 MB, package manager caches, and files in /tmp and /var/tmp neither read nor
# written for 7 days.
# Never touches: live log files, /home, /srv, /opt, databases or anything else under /var/lib.
set -euo pipefail
export LC_ALL=C

used_percent() { df -P / | awk 'NR == 2 { sub("%", "", $5); print $5 }'; }
freed_total=0
# The lists live in memory-backed /run when it exists: a full disk may have no room for them.
listing=$(mktemp -p /run 2>/dev/null || mktemp)
trap 'rm -f "$listing"' EXIT

# remove_listed LABEL: deletes the NUL-separated paths on stdin, prints a count, bytes and a sample.
remove_listed() {
  local label=$1 count=0 bytes=0 size path
  local -a sample=()
  while IFS= read -r -d '' path; do
    size=$(stat -c %s -- "$path" 2>/dev/null || echo 0)
    if rm -f -- "$path" 2>/dev/null; then
      count=$((count + 1)); bytes=$((bytes + size))
      [ "${#sample[@]}" -lt 5 ] && sample+=("$path")
    fi
  done
  freed_total=$((freed_total + bytes))
  echo "${label}: removed ${count} file(s), $((bytes / 1024)) KiB"
  for path in "${sample[@]}"; do echo "  ${path}"; done
  [ "$count" -gt 5 ] && echo "  ... and $((count - 5)) more"
  return 0
}

echo "disk-full: / is $(used_percent)% used before cleanup"

if [ -d /var/log ]; then
  # Globs, not -regex: they mean the same in every find (GNU find's default regex dialect has no {n}).
  find /var/log -xdev -type f \( -name '*.gz' -o -name '*.xz' -o -name '*.bz2' -o -name '*.old' \
    -o -name '*.[0-9]' -o -name '*.[0-9][0-9]' -o -name '*.[0-9][0-9][0-9]' -o -name '*.[0-9][0-9][0-9][0-9]' \
    -o -name '*-[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]' \) \
    -print0 > "$listing"
  remove_listed "rotated logs" < "$listing"
fi

if command -v journalctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  journalctl --vacuum-size=200M 2>&1 | tail -n 1 || true
fi

if command -v dnf >/dev/null 2>&1; then dnf -q clean all >/dev/null 2>&1 && echo "package cache: dnf clean all"
elif command -v yum >/dev/null 2>&1; then yum -q clean all >/dev/null 2>&1 && echo "package cache: yum clean all"
fi
if command -v apt-get >/dev/null 2>&1 && [ -d /var/cache/apt/archives ]; then
  find /var/cache/apt/archives -xdev -type f -name '*.deb' -print0 > "$listing"
  remove_listed "apt package cache" < "$listing"
fi

for dir in /tmp /var/tmp; do
  [ -d "$dir" ] || continue
  find "$dir" -xdev -type f -mtime +7 -atime +7 -print0 > "$listing"
  remove_listed "stale files in ${dir}" < "$listing"
done

echo "disk-full: freed $((freed_total / 1024)) KiB; / is $(used_percent)% used after cleanup"
