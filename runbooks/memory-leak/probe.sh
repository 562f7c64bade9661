#!/usr/bin/env bash
# Probe (the proof, and the check right after a restart): the RSS of the service (SSM_service, "app" in the proof) in bytes, as the CloudWatch agent's procstat_memory_rss
# (bytes) measures its process; 0 when it is not running.
set -u
service=${SSM_service:-app}
pid=$(systemctl show -p MainPID --value "$service" 2>/dev/null)
rss=$(awk '$1 == "VmRSS:" { print $2 * 1024 }' "/proc/${pid:-0}/status" 2>/dev/null)
echo "${rss:-0}"
