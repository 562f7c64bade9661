#!/usr/bin/env bash
# Proof probe: the RSS of the service "app" in bytes, as the CloudWatch agent's procstat_memory_rss
# (bytes) measures its process; 0 when it is not running.
set -u
service=app
pid=''
if [ -d /run/systemd/system ]; then
  pid=$(systemctl show -p MainPID --value "$service" 2>/dev/null)
elif svc status "$service" >/dev/null 2>&1; then
  pid=$(cat "/run/svc/${service}.pid" 2>/dev/null)
fi
rss=$(awk '$1 == "VmRSS:" { print $2 * 1024 }' "/proc/${pid:-0}/status" 2>/dev/null)
echo "${rss:-0}"
