#!/usr/bin/env bash
# What the on-call engineer types after taking the incident of the bad deploy (break-app.sh): roll the
# deploy back (the configuration and the service as they were before it), start app, and check that
# it stays up.
set -eu
mkdir -p /opt/app
echo 'listen = :80' > /opt/app/app.conf
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
systemctl reset-failed app || true
systemctl start app
sleep 2
systemctl is-active app
echo "rolled back: /opt/app/app.conf is '$(cat /opt/app/app.conf)'"
