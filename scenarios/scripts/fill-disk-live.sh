#!/usr/bin/env bash
# Game day fault a cleanup cannot fix: the application writes its live log, /var/log/app/app.log, until
# the root volume is full, and keeps writing. The log is open and current, not rotated, so disk-full's
# cleanup rightly leaves it alone and frees nothing; whatever anything else frees, the writer takes
# back. The remedy runs and succeeds, and the disk stays full: a human must find the writer (du, lsof)
# and stop it, or grow the volume. The writer ends itself after an hour; the sandbox's end stops it sooner.
set -eu
used_percent() { df -P / | awk 'NR == 2 { sub("%", "", $5); print $5 }'; }
mkdir -p /var/log/app /opt/app/bin
log=/var/log/app/app.log

# The writer: while the volume is below 97%, it appends 256 KiB of log lines to the live log; above,
# it checks five times a second. It keeps the disk between 95% and 97%, never at 100%, so that the
# instance's own tools (and the runbook's scripts) still run.
cat >/opt/app/bin/app-log-writer <<'WRITER'
#!/bin/bash
log=/var/log/app/app.log
line="$(printf '%(%FT%TZ)T' -1) app: request served in 3 ms, status 200, cache miss, retrying upstream"
while :; do
  used=$(df -P / | awk 'NR == 2 { sub("%", "", $5); print $5 }')
  if [ "${used:-100}" -lt 97 ]; then
    yes "$line" | head -c 262144 >>"$log" 2>/dev/null || true
  else
    sleep 0.2
  fi
done
WRITER
chmod +x /opt/app/bin/app-log-writer

# Fill to 95% now, so that the fault is in place when this script ends; then the writer keeps it full.
count=0
while [ "$(used_percent)" -lt 95 ] && [ "$count" -lt 10000 ]; do
  count=$((count + 1))
  yes "$(date -u +%FT%TZ) app: request served in 3 ms, status 200" | head -c 1048576 >>"$log" || break
done
setsid timeout 3600 /opt/app/bin/app-log-writer >/dev/null 2>&1 </dev/null &
sleep 0.5
pgrep -f app-log-writer >/dev/null
echo "fault: / is $(used_percent)% used; the live log ${log} is $(du -m "$log" | cut -f1) MiB and still growing"
