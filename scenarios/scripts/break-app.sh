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
# It crashes, as a bad deploy's restart leaves it: SIGKILL to its main process.
systemctl kill --kill-whom=main -s KILL app
for _ in $(seq 50); do
  systemctl is-active --quiet app || break
  sleep 0.1
done
if systemctl is-active --quiet app; then
  echo "fault: app still runs after SIGKILL" >&2
  exit 1
fi
echo "fault: app now exits at start: $(journalctl -u app -n 1 -o cat --no-pager -q 2>/dev/null || echo 'no log yet')"
