#!/usr/bin/env bash
# Probe (the proof, and the check right after a restart): running main processes of the service (SSM_service, "app" in the proof), 1 or 0, as the CloudWatch agent's
# procstat_lookup_pid_count counts them for an exe that matches one process.
set -u
service=${SSM_service:-app}
systemctl is-active --quiet "$service" && echo 1 || echo 0
