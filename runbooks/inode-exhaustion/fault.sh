#!/usr/bin/env bash
# Proof fault: PHP session files that garbage collection never removes (session.gc_probability 0,
# as Debian/Ubuntu ship it, and the cron job that should clean them is broken), two hours old, until
# 95% of the inodes of / are used. Also, what the runbook must keep: 30 fresh sessions, one old
# session held open by a process, and old temp files in /tmp (another place, not the culprit).
# Runs only in a sandbox.
set -eu
export LC_ALL=C
inodes_used() { df -Pi / | awk 'NR == 2 { sub("%", "", $5); print $5 }'; }
sessions=/var/lib/php/sessions
mkdir -p "$sessions" /tmp/report-export
chmod 1733 "$sessions"
seq -f '/tmp/report-export/chunk-%04g.csv' 1 50 | xargs touch -d '2 hours ago'
seq -f "${sessions}/sess_fresh%04g" 1 30 | xargs touch
touch -d '2 hours ago' "${sessions}/sess_open"
setsid sleep 600 3<"${sessions}/sess_open" >/dev/null 2>&1 </dev/null &
batch=0
while [ "$(inodes_used)" -lt 95 ] && [ "$batch" -lt 100 ]; do
  batch=$((batch + 1))
  # 500 names per batch, few processes: xargs hands touch as many as fit on a command line.
  seq -f "${sessions}/sess_${batch}x%05g" 1 500 | xargs touch -d '2 hours ago' || break
done
echo "fault: / is at $(inodes_used)% of its inodes after ${batch} batch(es) of 500 stale sessions"
df -Pi /
