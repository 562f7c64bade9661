#!/usr/bin/env bash
# Proof fault: a runaway report worker (a renamed copy of `yes`, writing to /dev/null) spins one
# core, and an idle process on the same allow-list stays below the threshold, which the runbook must
# leave alone. Runs only in a sandbox. The burner ends itself after 10 minutes whatever happens, and
# the sandbox's destruction kills it sooner.
set -eu
mkdir -p /opt/app/bin
cp "$(command -v yes)" /opt/app/bin/report-worker
setsid timeout 600 /opt/app/bin/report-worker >/dev/null 2>&1 </dev/null &
# The idle one: argv[0] report-worker (the name an allow-list compares), nearly no CPU.
setsid timeout 600 bash -c 'exec -a report-worker sleep 600' >/dev/null 2>&1 </dev/null &
sleep 1
echo "fault: running report-worker processes:"
ps -eo pid,ppid,etime,args | awk 'NR == 1 || /report-worker/ && !/awk/'
pgrep -x report-worker >/dev/null
