/**
 * journalctl over the sandbox's service logs, and chronyc over the clock error a stand-in chronyd keeps.
 * Every value reaches it as an argument, on stdin or in the environment, never spliced into code.
 */

/** journalctl for the sandbox's services: -u UNIT prints the output svc captured in /var/log/UNIT.log. */
export const JOURNALCTL_SCRIPT = `#!/bin/bash
# journalctl, as the sandbox provides it: the output of the sandbox's services, as svc captured it
# (stdout and stderr of /etc/sandbox/services/NAME, appended to /var/log/NAME.log). The lines carry no
# timestamps or priorities: every output format prints them as -o cat does, and --since, --until and
# --boot select every line. Options: -u UNIT (again for more), -n N, -r, -q, -o FORMAT, --no-pager;
# --vacuum-*, --rotate and --disk-usage act on those logs. No kernel log, no --follow.
set -u
export LC_ALL=C
readonly SERVICES=/etc/sandbox/services

units=() lines='' quiet=no reverse=no action=show
unsupported() {
  echo "journalctl: $1 is not supported in the sandbox\${2:+: $2}" >&2
  exit 1
}
need() {
  if [ "$1" -eq 0 ]; then
    echo "journalctl: option '$2' requires an argument" >&2
    exit 1
  fi
}
output() {
  case $1 in
  short | short-iso | short-iso-precise | short-precise | short-monotonic | short-unix | short-full | cat | with-unit) ;;
  *) unsupported "output format '$1'" 'the sandbox keeps lines of text only' ;;
  esac
}
while [ $# -gt 0 ]; do
  opt=$1
  shift
  case $opt in
  -u | --unit)
    need $# "$opt"
    units+=("$1")
    shift
    ;;
  --unit=*) units+=("\${opt#*=}") ;;
  -u?*) units+=("\${opt#-u}") ;;
  -n | --lines)
    # Its value is optional, as journalctl's: -n alone is 10 lines.
    if [ $# -gt 0 ] && [[ $1 =~ ^(\\+?[0-9]+|all)$ ]]; then
      lines=$1
      shift
    else
      lines=10
    fi
    ;;
  --lines=*) lines=\${opt#*=} ;;
  -n?*) lines=\${opt#-n} ;;
  -o | --output)
    need $# "$opt"
    output "$1"
    shift
    ;;
  --output=*) output "\${opt#*=}" ;;
  -o?*) output "\${opt#-o}" ;;
  -S | --since | -U | --until)
    need $# "$opt"
    shift
    ;;
  --since=* | --until=* | -S?* | -U?*) ;;
  -b | --boot)
    if [ $# -gt 0 ] && [[ $1 =~ ^(-?[0-9]+|[0-9a-f]{32}|all)$ ]]; then shift; fi
    ;;
  --boot=* | -b?*) ;;
  -q | --quiet) quiet=yes ;;
  -r | --reverse) reverse=yes ;;
  --no-pager | -a | --all | -l | --full | -x | --catalog | --utc | --no-hostname | -e | --pager-end | -m | \\
    --merge | --system | --no-full) ;;
  --vacuum-size | --vacuum-time | --vacuum-files)
    need $# "$opt"
    shift
    action=vacuum
    ;;
  --vacuum-size=* | --vacuum-time=* | --vacuum-files=*) action=vacuum ;;
  --rotate | --flush | --sync | --relinquish-var) action=none ;;
  --disk-usage) action=disk-usage ;;
  -k | --dmesg) unsupported "$opt" 'the sandbox has no kernel log' ;;
  -f | --follow) unsupported "$opt" 'a command must end' ;;
  -*) unsupported "option '$opt'" ;;
  *) unsupported "the match '$opt'" 'select a service with -u' ;;
  esac
done
case $lines in
'' | all | +*) ;;
*[!0-9]*)
  echo "journalctl: failed to parse lines '$lines'" >&2
  exit 1
  ;;
esac

# The log of each unit asked for (NAME or NAME.service), or of every service; none for another unit type.
logs=()
if [ "\${#units[@]}" -eq 0 ]; then
  for file in "$SERVICES"/*; do
    [ -e "$file" ] && logs+=("/var/log/\${file##*/}.log")
  done
else
  for unit in "\${units[@]}"; do
    name=\${unit%.service}
    case $unit in
    *.socket | *.device | *.mount | *.automount | *.swap | *.target | *.path | *.timer | *.slice | *.scope) continue ;;
    esac
    case $name in
    '' | .* | */* | *[!A-Za-z0-9@._:-]*) continue ;;
    esac
    logs+=("/var/log/$name.log")
  done
fi
readable=()
for log in "\${logs[@]}"; do
  [ -f "$log" ] && [ -r "$log" ] && readable+=("$log")
done

case $action in
none) exit 0 ;;
vacuum)
  # The logs are live files, never archived: nothing to vacuum.
  echo "Vacuuming done, freed 0B of archived journals (the sandbox's service logs are never archived)."
  exit 0
  ;;
disk-usage)
  echo "Archived and active journals take up $(du -chs "\${readable[@]}" /dev/null 2>/dev/null | awk 'END { print $1 }') in the file system."
  exit 0
  ;;
esac

if [ "$lines" = 0 ]; then exit 0; fi
for log in "\${readable[@]}"; do
  if [ -s "$log" ]; then
    case $lines in
    '' | all) cat -- "\${readable[@]}" ;;
    +*) cat -- "\${readable[@]}" | head -n "\${lines#+}" ;; # the oldest lines
    *) cat -- "\${readable[@]}" | tail -n "$lines" ;;
    esac | if [ "$reverse" = yes ]; then tac; else cat; fi
    exit 0
  fi
done
[ "$quiet" = yes ] || echo '-- No entries --'
`;

/**
 * chronyc for the sandbox's clock, which a sandbox cannot set (no CAP_SYS_TIME): the clock's error
 * is the number of seconds in /run/chrony/offset (system clock minus true time), kept by a stand-in
 * chronyd.service or chrony.service that a proof defines. tracking, waitsync, makestep and sources
 * answer as chronyc does while such a unit is active, and "506 Cannot talk to daemon" otherwise.
 */
export const CHRONYC_SCRIPT = `#!/bin/bash
# chronyc, as the sandbox provides it. A sandbox cannot set its clock, so its error is a number:
# /run/chrony/offset, in seconds, the system clock minus true time, which a stand-in chronyd keeps.
# While chronyd.service or chrony.service is active: tracking (its System time line), waitsync
# [max-tries [max-correction [max-skew [interval]]]], makestep (the offset to 0) and sources. The
# reference is the stand-in, 7F7F0101 (a local clock), never a real server.
set -u
export LC_ALL=C
readonly OFFSET=/run/chrony/offset REFID=7F7F0101
args=()
while [ $# -gt 0 ]; do
  case $1 in
  -h | -p | -f) shift ;; # host, port, configuration: there is one daemon
  -n | -c | -d | -m | -a | -4 | -6) ;;
  -*)
    echo "chronyc: unrecognized option '$1'" >&2
    exit 1
    ;;
  *)
    # The command; what follows it is its own (sources -v, waitsync 20 0 0 1).
    args=("$@")
    break
    ;;
  esac
  shift
done
command=\${args[0]:-}

# The offset in seconds, when the file holds a number.
offset() {
  local value
  value=$(cat "$OFFSET" 2>/dev/null) || return 1
  [[ $value =~ ^[+-]?[0-9]+(\\.[0-9]+)?$ ]] && echo "$value"
}
daemon() {
  local unit
  for unit in chronyd chrony; do
    systemctl is-active --quiet "$unit" 2>/dev/null && return 0
  done
  echo '506 Cannot talk to daemon' >&2
  return 1
}
# A number as chronyc prints an offset: its magnitude to 9 decimals.
magnitude() { awk -v s="$1" 'BEGIN { v = s + 0; if (v < 0) v = -v; printf "%.9f", v }'; }

case $command in
tracking)
  daemon || exit 1
  if value=$(offset); then
    side=fast
    case $value in -*) side=slow ;; esac
    printf '%-16s: %s\\n' 'Reference ID' "$REFID (sandbox)" Stratum 10 'Ref time (UTC)' "$(date -u '+%a %b %d %H:%M:%S %Y')" \\
      'System time' "$(magnitude "$value") seconds $side of NTP time" 'Last offset' "+$(magnitude "$value") seconds" \\
      'Leap status' Normal
  else
    printf '%-16s: %s\\n' 'Reference ID' '00000000 ()' Stratum 0 'System time' '0.000000000 seconds fast of NTP time' \\
      'Leap status' 'Not synchronised'
  fi
  ;;
waitsync)
  tries=\${args[1]:-0} max=\${args[2]:-0} interval=\${args[4]:-10}
  for value in "$tries" "$max" "$interval"; do
    if ! [[ $value =~ ^[0-9]+(\\.[0-9]+)?$ ]]; then
      echo "Invalid syntax for waitsync command" >&2
      exit 1
    fi
  done
  try=0
  while :; do
    try=$((try + 1))
    if daemon 2>/dev/null && value=$(offset); then
      echo "try: $try, refid: $REFID, correction: $(magnitude "$value"), skew: 0.000"
      if awk -v v="$(magnitude "$value")" -v m="$max" 'BEGIN { exit !(m == 0 || v <= m) }'; then exit 0; fi
    else
      echo "try: $try, refid: 00000000, correction: 0.000000000, skew: 0.000"
    fi
    if [ "$tries" != 0 ] && [ "$try" -ge "$tries" ]; then exit 1; fi
    sleep "$interval"
  done
  ;;
makestep)
  daemon || exit 1
  if offset >/dev/null; then
    printf '0.000000\\n' >"$OFFSET.new" && mv -f "$OFFSET.new" "$OFFSET"
  fi
  echo '200 OK'
  ;;
sources)
  daemon || exit 1
  case \${args[1]:-} in
  -v) echo "  .-- Source mode  '^' = server, '=' = peer, '#' = local clock (the sandbox stand-in)." ;;
  '') ;;
  *)
    echo "Invalid syntax for sources command" >&2
    exit 1
    ;;
  esac
  echo 'MS Name/IP address         Stratum Poll Reach LastRx Last sample'
  echo '==============================================================================='
  if value=$(offset); then
    printf '#* %-27s %2d %4d %5s %6s %s\\n' sandbox 0 4 377 1 "$(magnitude "$value")s"
  fi
  ;;
'')
  echo "chronyc: the sandbox's chronyc runs one command: tracking, waitsync, makestep or sources" >&2
  exit 1
  ;;
*)
  echo "Unrecognized command" >&2
  exit 1
  ;;
esac
`;
