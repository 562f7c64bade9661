#!/usr/bin/env bash
# Proof fault: the time-sync service is down and the clock has drifted 5.2 seconds.
#
# A STAND-IN, said plainly: a sandbox cannot set its clock (no CAP_SYS_TIME) and has no network to
# reach an NTP server, so real chronyd cannot run here. The sandbox service chronyd.service defined
# below keeps the offset it would correct in a state file, /run/chrony/offset (seconds, system clock
# minus true time), and does what chronyd configured with `makestep 1.0 3` does on start: after its
# first measurements it steps the offset to 0, then holds it there while it runs; the sandbox's chronyc
# reports and steps the same offset. The proof therefore tests the runbook's service handling, its
# chronyc commands and its wait for convergence, not chrony. Runs only in a sandbox.
set -eu
export LC_ALL=C
mkdir -p /etc/sandbox/services /run/chrony
cat >/etc/sandbox/services/chronyd <<'SERVICE'
#!/bin/bash
# Sandbox stand-in for chronyd (see runbooks/time-drift/fault.sh): the clock offset lives in
# /run/chrony/offset because a sandbox cannot set its clock.
set -u
state=/run/chrony/offset
put() { echo "$1" >"$state.new" && mv -f "$state.new" "$state"; }
mkdir -p /run/chrony
echo "chronyd (sandbox stand-in) started; offset $(cat "$state" 2>/dev/null || echo unknown) s"
sleep 2 # the first measurements (iburst)
echo "chronyd (sandbox stand-in): System clock wrong by $(cat "$state" 2>/dev/null || echo 0) seconds, adjustment started (step)"
while :; do
  put 0.000000
  sleep 1
done
SERVICE
chmod +x /etc/sandbox/services/chronyd
echo 0.000000 >/run/chrony/offset
# It ran and kept time, then went down (a crash, a stop someone forgot), and the clock drifted.
systemctl start chronyd
sleep 3
systemctl stop chronyd
echo 5.200000 >/run/chrony/offset
echo "fault: chronyd.service is $(systemctl is-active chronyd); offset $(cat /run/chrony/offset) s"
! systemctl is-active --quiet chronyd
