#!/usr/bin/env bash
# Proof fault: the service "app" leaks memory, 1 MiB at a time, to some 150 MiB of RSS, as a cache
# that never evicts would. The leak is triggered by /etc/sandbox/leak-app, which the service consumes
# when it starts, as a bad request would trigger it once: the same service, restarted, starts small.
# Runs only in a sandbox (app.service is the sandbox's service /etc/sandbox/services/app, managed with
# systemctl as on an instance). Memory, not disk: nothing is written but a short log.
set -eu
export LC_ALL=C
mkdir -p /etc/sandbox/services
cat >/etc/sandbox/services/app <<'SERVICE'
#!/bin/bash
# Sandbox service "app": holds 1 MiB more every 30 ms, up to 140 MiB, when started after a trigger.
export TZ=UTC
trigger=/etc/sandbox/leak-app
leak=0
if [ -e "$trigger" ]; then
  rm -f "$trigger"
  leak=140
fi
printf '%(%FT%TZ)T app: started, pid %d, leaking %d MiB\n' -1 "$$" "$leak"
printf -v chunk '%*s' 1048576 ''
held=()
while :; do
  if [ "${#held[@]}" -lt "$leak" ]; then
    held+=("${chunk}${#held[@]}")
    [ $((${#held[@]} % 20)) -eq 0 ] && printf '%(%FT%TZ)T app: cache holds %d MiB\n' -1 "${#held[@]}"
    sleep 0.03
  else
    sleep 1
  fi
done
SERVICE
chmod +x /etc/sandbox/services/app
: >/etc/sandbox/leak-app
# restart, not start: on a game day the instance already runs app (the leak starts with a new process)
systemctl restart app

# Wait, at most 20 s, until its RSS is well above the alarm's 100 MiB.
rss=0
for tick in $(seq 200); do
  pid=$(systemctl show -p MainPID --value app)
  rss=$(awk '$1 == "VmRSS:" { print int($2 / 1024) }' "/proc/${pid}/status" 2>/dev/null || echo 0)
  [ "${rss:-0}" -ge 130 ] && break
  sleep 0.1
done
if [ "${rss:-0}" -lt 130 ]; then
  echo "fault: app (pid ${pid}) holds only ${rss} MiB after 20 s" >&2
  exit 1
fi
echo "fault: app (pid ${pid}) leaked to ${rss} MiB RSS in $((tick / 10)).$((tick % 10)) s"
