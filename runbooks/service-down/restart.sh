#!/usr/bin/env bash
# A service is down (stopped, crashed, or failed): start it again and check that it stays up, at most
# RESTART_LIMIT times per rolling hour by automation, so that a crash loop pages a human instead of
# being restarted forever.
#
# Parameter: SSM_service, the systemd unit (nginx or nginx.service).
# By hand: SSM_service=nginx bash restart.sh
# Exit: 0 running (restarted, or found running again); 1 it did not stay up, or the restart could not
# be recorded; 2 invalid name, or a special unit or critical service (refused); 3 refused, the restart
# limit is reached; 4 no such service, or masked, or no systemd.
set -uo pipefail
export LC_ALL=C
umask 077 # the restart ledger is root's

readonly RESTART_LIMIT=3 # automated restarts of one service per rolling hour, this runbook and memory-leak
readonly WINDOW_SECONDS=3600
readonly SETTLE_SECONDS=5 # the restarted service must keep the same main pid this long
readonly LEDGER_DIR=/var/lib/ec2-remediation/restarts
readonly RUNBOOK=service-down

service=${SSM_service:-}
if [[ ! $service =~ ^[A-Za-z0-9][A-Za-z0-9@._-]{0,63}$ ]]; then
  echo "${RUNBOOK}: invalid service name '${service}': set SSM_service to a unit name such as nginx" >&2
  exit 2
fi
# Services only, and none the instance or automation cannot do without: the rule the runbook's
# definition applies before sending the command (runbooks/shared/service-restart.ts), again here,
# since this script also runs by hand. `systemctl restart reboot.target` would reboot.
case $service in
  *.socket | *.device | *.mount | *.automount | *.swap | *.target | *.path | *.timer | *.slice | *.scope)
    echo "${RUNBOOK}: refusing '${service}': a systemd ${service##*.} unit, not a service; automation restarts services only" >&2
    exit 2
    ;;
esac
case ${service%.service} in
  init | dbus | emergency | rescue | reboot | poweroff | halt | kexec | shutdown | network | networking | \
    NetworkManager | auditd | polkit | amazon-ssm-agent | snap.amazon-ssm-agent.amazon-ssm-agent | \
    cloud-init | cloud-init-local | cloud-config | cloud-final | console-getty | \
    systemd-* | dbus-* | user@* | user-runtime-dir@* | getty@* | serial-getty@* | container-getty@* | \
    autovt@* | initrd-* | dracut-* | plymouth-*)
    echo "${RUNBOOK}: refusing '${service}': the instance or automation cannot do without it; restart it by hand if you must" >&2
    exit 2
    ;;
esac
if [ ! -d /run/systemd/system ] || ! command -v systemctl >/dev/null 2>&1; then
  echo "${RUNBOOK}: systemd does not manage services on this instance (no /run/systemd/system); nothing restarted." >&2
  exit 4
fi

# The service's state: active, activating, inactive, failed... or not-found, masked, load-<state>.
service_state() {
  local load
  load=$(systemctl show -p LoadState --value "$service" 2>/dev/null)
  case $load in
    loaded) systemctl is-active "$service" 2>/dev/null || true ;;
    masked) echo masked ;;
    not-found | '') echo not-found ;;
    *) echo "load-${load}" ;;
  esac
}

main_pid() {
  local pid
  pid=$(systemctl show -p MainPID --value "$service" 2>/dev/null)
  [ "${pid:-0}" != 0 ] && echo "$pid"
}

recent_logs() { journalctl -u "$service" -n "$1" --no-pager -q 2>/dev/null; }

state=$(service_state)
case $state in
  not-found)
    echo "${RUNBOOK}: no service '${service}' on this instance (systemd has no such unit); nothing restarted." >&2
    echo "${RUNBOOK}: the alarm's exe dimension must be the unit name; check the CloudWatch agent's procstat config." >&2
    exit 4
    ;;
  masked | load-*)
    echo "${RUNBOOK}: ${service} is ${state}: it was disabled on purpose or its unit file is broken; not starting it." >&2
    exit 4
    ;;
esac

# systemd may be restarting it itself (Restart=on-failure): give that 15 s before stepping in.
for _ in $(seq 15); do
  case $state in
    activating | deactivating | reloading | refreshing) sleep 1 && state=$(service_state) ;;
    *) break ;;
  esac
done
if [ "$state" = active ]; then
  echo "${RUNBOOK}: ${service} is already running (pid $(main_pid || echo unknown)); not restarted."
  echo "${RUNBOOK}: if the alarm stays in ALARM, the procstat exe '${service}' does not match the process name."
  exit 0
fi

# The restart ledger: one line per automated restart, "epoch runbook state-before", under a lock so
# that two remediations of one service cannot both pass the limit.
if ! mkdir -p "$LEDGER_DIR" 2>/dev/null || ! exec 9>>"${LEDGER_DIR}/${service}.lock"; then
  echo "${RUNBOOK}: cannot write ${LEDGER_DIR} (disk full or read-only?); not restarting without the restart limit." >&2
  exit 1
fi
if command -v flock >/dev/null 2>&1 && ! flock -w 30 9; then
  echo "${RUNBOOK}: another remediation of ${service} is running (lock held for 30 s); not restarting." >&2
  exit 1
fi
ledger=${LEDGER_DIR}/${service}
now=$(date +%s)
recent=$(awk -v since="$((now - WINDOW_SECONDS))" '$1 >= since' "$ledger" 2>/dev/null | wc -l)
if [ "$recent" -ge "$RESTART_LIMIT" ]; then
  echo "${RUNBOOK}: automated restarts of ${service} in the last hour:"
  awk -v since="$((now - WINDOW_SECONDS))" '$1 >= since' "$ledger" | while read -r at by was; do
    echo "  $(date -u -d "@${at}" +%FT%TZ) by ${by} (was ${was})"
  done
  echo "${RUNBOOK}: REFUSED: ${service} was restarted ${recent} times by automation in the last hour (limit ${RESTART_LIMIT})." >&2
  echo "${RUNBOOK}: it keeps going down; find the cause in its logs before starting it by hand. State: ${state}." >&2
  exit 3
fi
# Keep a day of history, then record this restart before making it: a restart that fails counts too.
if ! { touch "$ledger" && awk -v since="$((now - 86400))" '$1 >= since' "$ledger" >"${ledger}.new" &&
  printf '%s %s %s\n' "$now" "$RUNBOOK" "$state" >>"${ledger}.new" && mv -f "${ledger}.new" "$ledger"; }; then
  rm -f "${ledger}.new"
  echo "${RUNBOOK}: cannot record the restart in ${ledger} (disk full?); not restarting without the restart limit." >&2
  exit 1
fi

echo "${RUNBOOK}: ${service} is ${state}; restarting it with systemctl ($((recent + 1))/${RESTART_LIMIT} automated restarts this hour)"
if [ "$state" = failed ]; then
  # A failed unit may have hit systemd's own start limit; the ledger above is the loop guard now.
  systemctl reset-failed "$service" 2>/dev/null && echo "${RUNBOOK}: cleared the failed state (systemctl reset-failed)"
fi
timeout 120 systemctl restart "$service" 9>&- # nothing started may inherit the lock
rc=$?

# It must come up, then keep the same main pid for SETTLE_SECONDS: a service that dies at start up is not fixed.
pid=''
if [ "$rc" -eq 0 ]; then
  # Wait while the manager is still bringing it up; a unit that already failed will not come up by itself.
  for _ in $(seq 30); do
    state=$(service_state)
    case $state in
      active | inactive | failed | not-found | masked) break ;;
    esac
    sleep 0.5
  done
  pid=$(main_pid)
  for _ in $(seq "$SETTLE_SECONDS"); do
    [ "$state" = active ] || break
    sleep 1
    state=$(service_state)
    if [ "$state" = active ] && [ "$(main_pid)" != "$pid" ]; then state=crashed-and-restarted-by-itself; fi
  done
fi
if [ "$rc" -ne 0 ] || [ "$state" != active ]; then
  echo "${RUNBOOK}: last log lines of ${service}:"
  recent_logs 15
  echo "${RUNBOOK}: FAILED: ${service} did not stay up after the restart (restart exit ${rc}, state ${state})." >&2
  exit 1
fi
echo "${RUNBOOK}: restarted ${service}: active, pid ${pid}, stayed up ${SETTLE_SECONDS}s; automated restarts in the last hour: $((recent + 1))/${RESTART_LIMIT}"
