#!/usr/bin/env bash
# Root volume out of inodes: find which of the places that hold only regenerable files holds the
# most, and there (only there) delete regular files not modified for SSM_minAgeMinutes (default 60)
# and held open by no process. Says what it counted and removed; exits non-zero when it removed
# nothing (a human must look).
#
# The places (on the root file system only, never through a symbolic link):
#   /tmp, /var/tmp                                  temporary files
#   /var/cache/<each directory>                     caches, regenerable by definition (FHS)
#   /var/lib/php/sessions, /var/lib/php/session     PHP session files (Debian/Ubuntu, Amazon Linux)
# Never: mail and print queues under /var/spool (undelivered mail is data), logs, /home, /srv, /opt,
# anything else under /var/lib. Never directories, sockets, or files named *.pid or *.lock.
#
# It creates no file: on a volume out of inodes it could not. Everything stays in pipes and memory.
set -uo pipefail
export LC_ALL=C

readonly COUNT_TIMEOUT_SECONDS=60 DELETE_TIMEOUT_SECONDS=180
min_age=${SSM_minAgeMinutes:-60}
case $min_age in
'' | *[!0-9]* | 0* | ?)
  echo "inode-exhaustion: minAgeMinutes '${min_age}' is not a whole number of minutes from 10; nothing removed" >&2
  exit 2
  ;;
esac

inodes_used() { df -Pi / | awk 'NR == 2 { sub("%", "", $5); print $5 }'; }
root_device=$(stat -c %d /)

candidates=(/tmp /var/tmp /var/lib/php/sessions /var/lib/php/session)
for dir in /var/cache/*; do candidates+=("$dir"); done

echo "inode-exhaustion: / is at $(inodes_used)% of its inodes; files (and directories) in each cleanable place:"
culprit='' most=0
for dir in "${candidates[@]}"; do
  if [ ! -d "$dir" ] || [ -L "$dir" ]; then continue; fi
  if [ "$(stat -c %d "$dir")" != "$root_device" ]; then
    echo "  $(printf '%9s' '-')  ${dir} (another file system: not counted)"
    continue
  fi
  count=$(timeout "$COUNT_TIMEOUT_SECONDS" find "$dir" -xdev -mindepth 1 -printf . 2>/dev/null | wc -c)
  printf '  %9d  %s\n' "$count" "$dir"
  if [ "$count" -gt "$most" ]; then most=$count culprit=$dir; fi
done
if [ -z "$culprit" ]; then
  echo "inode-exhaustion: none of the cleanable places holds a file; the inodes are elsewhere. Nothing removed." >&2
  exit 1
fi
echo "inode-exhaustion: the culprit is ${culprit} (${most} entries); removing its regular files not modified for ${min_age} minutes"

# Files some process holds open are kept: find's -path takes a pattern, so their names are escaped.
keep=()
while IFS= read -r path; do
  [ -n "$path" ] && keep+=(! -path "$(printf '%s' "$path" | sed 's/[][*?\\]/\\&/g')")
done < <(find /proc/[0-9]*/fd -type l -lname "${culprit}/*" -printf '%l\n' 2>/dev/null | sort -u)
echo "  kept because a process holds them open: $((${#keep[@]} / 3))"

young=$(timeout "$COUNT_TIMEOUT_SECONDS" find "$culprit" -xdev -type f ! -mmin "+${min_age}" -printf . 2>/dev/null | wc -c)
echo "  kept because modified in the last ${min_age} minutes: ${young}"

removed=$(timeout "$DELETE_TIMEOUT_SECONDS" find "$culprit" -xdev -type f -mmin "+${min_age}" \
  ! -name '*.pid' ! -name '*.lock' "${keep[@]}" -delete -printf . 2>/dev/null | wc -c)
status=$?
[ "$status" -eq 124 ] && echo "  stopped after ${DELETE_TIMEOUT_SECONDS} s: more remain; running it again continues"
echo "inode-exhaustion: removed ${removed} file(s) from ${culprit}; / is now at $(inodes_used)% of its inodes"
if [ "$removed" -eq 0 ]; then
  echo "inode-exhaustion: nothing in ${culprit} was old enough to remove: something is creating files now. A human must look." >&2
  exit 1
fi
