#!/usr/bin/env bash
# Proof probe: running main processes of the service "app", 1 or 0, as the CloudWatch agent's
# procstat_lookup_pid_count counts them for an exe that matches one process.
set -u
service=app
systemctl is-active --quiet "$service" && echo 1 || echo 0
