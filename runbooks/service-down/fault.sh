#!/usr/bin/env bash
# Proof fault: the service "app", which writes a heartbeat every 0.2 s, crashes: SIGKILL to its main
# process, as the OOM killer or a segfault would end it. Runs only in a sandbox (svc, no systemd).
set -eu
export LC_ALL=C
mkdir -p /etc/sandbox/services
cat >/etc/sandbox/services/app <<'SERVICE'
#!/bin/bash
# Sandbox service "app": a heartbeat line every 0.2 s on stdout, which svc appends to /var/log/app.log.
export TZ=UTC
printf '%(%FT%TZ)T app: started, pid %d\n' -1 "$$"
while :; do
  printf '%(%FT%TZ)T app: heartbeat\n' -1
  sleep 0.2
done
SERVICE
chmod +x /etc/sandbox/services/app
svc start app

# Let it run: a few heartbeats in its log, as a service that was up before it crashed.
for _ in $(seq 50); do
  [ "$(grep -c heartbeat /var/log/app.log 2>/dev/null)" -ge 3 ] && break
  sleep 0.1
done
pid=$(cat /run/svc/app.pid)
grep -q heartbeat /var/log/app.log || { echo "fault: app (pid ${pid}) wrote no heartbeat" >&2; exit 1; }

kill -KILL "$pid"
for _ in $(seq 50); do
  svc status app >/dev/null 2>&1 || break
  sleep 0.1
done
if svc status app; then
  echo "fault: app (pid ${pid}) is still running after SIGKILL" >&2
  exit 1
fi
echo "fault: killed app (pid ${pid}) with SIGKILL after $(grep -c heartbeat /var/log/app.log) heartbeat(s)"
