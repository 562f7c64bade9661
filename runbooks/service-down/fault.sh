#!/usr/bin/env bash
# Proof fault: the service "app", which writes a heartbeat every 0.2 s, crashes: SIGKILL to its main
# process, as the OOM killer or a segfault would end it. Runs only in a sandbox: the unit app.service
# is the sandbox's service /etc/sandbox/services/app, managed with systemctl as on an instance.
set -eu
export LC_ALL=C
mkdir -p /etc/sandbox/services
cat >/etc/sandbox/services/app <<'SERVICE'
#!/bin/bash
# Sandbox service "app": a heartbeat line every 0.2 s on stdout, which journalctl -u app shows.
export TZ=UTC
printf '%(%FT%TZ)T app: started, pid %d\n' -1 "$$"
while :; do
  printf '%(%FT%TZ)T app: heartbeat\n' -1
  sleep 0.2
done
SERVICE
chmod +x /etc/sandbox/services/app
systemctl start app

# Let it run: a few heartbeats in its log, as a service that was up before it crashed.
heartbeats() { journalctl -u app -o cat --no-pager -q | grep -c heartbeat; }
for _ in $(seq 50); do
  [ "$(heartbeats)" -ge 3 ] && break
  sleep 0.1
done
pid=$(systemctl show -p MainPID --value app)
[ "$(heartbeats)" -ge 1 ] || { echo "fault: app (pid ${pid}) wrote no heartbeat" >&2; exit 1; }

kill -KILL "$pid"
for _ in $(seq 50); do
  systemctl is-active --quiet app || break
  sleep 0.1
done
if systemctl is-active --quiet app; then
  echo "fault: app (pid ${pid}) is still running after SIGKILL" >&2
  exit 1
fi
echo "fault: killed app (pid ${pid}) with SIGKILL after $(heartbeats) heartbeat(s); app.service is $(systemctl is-active app)"
