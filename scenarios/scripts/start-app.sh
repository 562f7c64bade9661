#!/usr/bin/env bash
# Game day setup: the service "app" every instance runs (a heartbeat line every 0.2 s on stdout,
# which journalctl -u app shows), started as the instance boots.
set -eu
mkdir -p /etc/sandbox/services
cat >/etc/sandbox/services/app <<'SERVICE'
#!/bin/bash
export TZ=UTC
printf '%(%FT%TZ)T app: started, pid %d\n' -1 "$$"
while :; do
  printf '%(%FT%TZ)T app: heartbeat\n' -1
  sleep 0.2
done
SERVICE
chmod +x /etc/sandbox/services/app
systemctl start app
systemctl status --no-pager -n 0 app
