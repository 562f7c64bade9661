#!/usr/bin/env bash
# Proof fault: fill the root volume to 95% with rotated application logs, as a log rotation that
# keeps every old file would. Runs only in a sandbox.
set -eu
used_percent() { df -P / | awk 'NR == 2 { sub("%", "", $5); print $5 }'; }
mkdir -p /var/log/app
echo "$(date -u +%FT%TZ) live line the runbook must keep" >> /var/log/app/app.log
count=0
while [ "$(used_percent)" -lt 95 ] && [ "$count" -lt 10000 ]; do
  count=$((count + 1))
  head -c 1048576 /dev/zero > "/var/log/app/app.log.${count}" || break
done
echo "fault: / is $(used_percent)% used after writing ${count} rotated log(s)"
