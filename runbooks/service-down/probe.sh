#!/usr/bin/env bash
# Proof probe: running main processes of the service "app", 1 or 0, as the CloudWatch agent's
# procstat_lookup_pid_count counts them for an exe that matches one process.
set -u
service=app
if [ -d /run/systemd/system ]; then
  systemctl is-active --quiet "$service" && echo 1 || echo 0
else
  svc status "$service" >/dev/null 2>&1 && echo 1 || echo 0
fi
