#!/usr/bin/env bash
# Game day fault no runbook can fix: a bad deploy leaves the service "app" with a configuration it
# refuses, so it exits at once every time it starts. Restarting cannot help; a human must roll back.
set -eu
mkdir -p /opt/app
echo 'listen = :80:80   # the deploy wrote a port twice' > /opt/app/app.conf
cat >/etc/sandbox/services/app <<'SERVICE'
#!/bin/bash
export TZ=UTC
printf '%(%FT%TZ)T app: starting, pid %d\n' -1 "$$"
printf '%(%FT%TZ)T app: FATAL: /opt/app/app.conf line 1: invalid listen address ":80:80"\n' -1
exit 78
SERVICE
chmod +x /etc/sandbox/services/app
if pid=$(cat /run/svc/app.pid 2>/dev/null); then kill -KILL "$pid" 2>/dev/null || true; fi
for _ in $(seq 50); do
  svc status app >/dev/null 2>&1 || break
  sleep 0.1
done
! svc status app >/dev/null 2>&1
echo "fault: app now exits at start: $(tail -n 1 /var/log/app.log 2>/dev/null || echo 'no log yet')"
