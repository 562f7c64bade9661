/**
 * systemctl, as the sandbox provides it, over its service manager (service-manager.ts).
 * Every value reaches it as an argument, on stdin or in the environment, never spliced into code.
 */

/**
 * systemctl for the sandbox's services: start, stop, restart, reload, kill, is-active, is-failed,
 * is-enabled, status, show, reset-failed, mask, daemon-reload, list-units..., with systemctl's exit codes.
 */
export const SYSTEMCTL_SCRIPT = `#!/bin/bash
# systemctl, as the sandbox provides it: systemd's command line over the sandbox's service manager,
# svc. A unit NAME or NAME.service is the service /etc/sandbox/services/NAME (Type=simple, no
# Restart=, no dependencies, no unit file); units of other types are not found. Verbs: start, stop,
# restart, try-restart, reload (SIGHUP to the main process), reload-or-restart, kill, is-active,
# is-failed, is-enabled, status, show, reset-failed, mask, unmask, daemon-reload, list-units,
# list-unit-files. Exit codes are systemctl's: is-active 0 active, 3 not; status 0 active, 3 not,
# 4 no such unit; start, restart or stop of a unit that does not exist 5.
set -u
case \${LC_ALL:-\${LC_CTYPE:-\${LANG:-}}} in
*[Uu][Tt][Ff]-8* | *[Uu][Tt][Ff]8*) utf8=yes ;;
*) utf8=no ;;
esac
export LC_ALL=C
readonly SVC=/opt/sandbox/bin/svc JOURNALCTL=/opt/sandbox/bin/journalctl SERVICES=/etc/sandbox/services

quiet=no value=no all=no legend=yes lines=10 signal=SIGTERM whom=all
properties=() types=() states=() args=()
# An option's value: the next argument, which must be there.
need() {
  if [ "$1" -eq 0 ]; then
    echo "systemctl: option '$2' requires an argument" >&2
    exit 1
  fi
}
while [ $# -gt 0 ]; do
  opt=$1
  shift
  case $opt in
  --)
    args+=("$@")
    break
    ;;
  -q | --quiet) quiet=yes ;;
  --value) value=yes ;;
  -a | --all) all=yes ;;
  --no-legend | --legend=no | --legend=false) legend=no ;;
  --no-pager | -l | --full | --plain | --no-ask-password | --system | --no-block | --no-wall | --no-reload | \\
    --runtime | --now | --force | -f | --legend=*) ;;
  -p | --property | -n | --lines | -s | --signal | --kill-whom | --kill-who | -t | --type | --state | -o | --output)
    need $# "$opt"
    case $opt in
    -p | --property) properties+=("$1") ;;
    -n | --lines) lines=$1 ;;
    -s | --signal) signal=$1 ;;
    --kill-whom | --kill-who) whom=$1 ;;
    -t | --type) types+=("$1") ;;
    --state) states+=("$1") ;;
    esac
    shift
    ;;
  --property=*) properties+=("\${opt#*=}") ;;
  -p?*) properties+=("\${opt#-p}") ;;
  --lines=*) lines=\${opt#*=} ;;
  -n?*) lines=\${opt#-n} ;;
  --signal=*) signal=\${opt#*=} ;;
  -s?*) signal=\${opt#-s} ;;
  --kill-whom=* | --kill-who=*) whom=\${opt#*=} ;;
  --type=*) types+=("\${opt#*=}") ;;
  -t?*) types+=("\${opt#-t}") ;;
  --state=*) states+=("\${opt#*=}") ;;
  --output=* | -o?*) ;;
  -*)
    echo "systemctl: unrecognized option '$opt'" >&2
    exit 1
    ;;
  *) args+=("$opt") ;;
  esac
done
verb=\${args[0]:-list-units}
units=("\${args[@]:1}")
if ! [[ $lines =~ ^[0-9]+$ ]]; then
  echo "Failed to parse lines '$lines'" >&2
  exit 1
fi

# The name systemctl shows for an argument: NAME.service for a bare NAME.
unit_name() {
  case $1 in
  *.service | *.socket | *.device | *.mount | *.automount | *.swap | *.target | *.path | *.timer | *.slice | *.scope)
    echo "$1"
    ;;
  *) echo "$1.service" ;;
  esac
}

# The unit's properties, one KEY=VALUE a line (svc show); a name svc refuses is a unit not found.
properties_of() {
  "$SVC" show "$1" 2>/dev/null ||
    printf '%s\\n' "Id=$(unit_name "$1")" "Names=$(unit_name "$1")" "Description=$(unit_name "$1")" LoadState=not-found \\
      ActiveState=inactive SubState=dead UnitFileState= FragmentPath= MainPID=0 ExecMainPID=0 ExecMainCode=0 \\
      ExecMainStatus=0 Result=success NRestarts=0 ActiveEnterTimestamp= InactiveEnterTimestamp=
}

# Reads the unit's properties into the array prop.
declare -A prop
load() {
  local line
  prop=()
  while IFS= read -r line; do
    prop[\${line%%=*}]=\${line#*=}
  done < <(properties_of "$1")
}

need_units() {
  if [ "\${#units[@]}" -eq 0 ]; then
    echo "Too few arguments." >&2
    exit 1
  fi
}

# start, stop, restart... of each unit; the first failure's exit code, as systemctl's.
act() {
  local verb=$1 u rc=0 unit r
  need_units
  for u in "\${units[@]}"; do
    load "$u"
    unit=\${prop[Id]}
    r=0
    case \${prop[LoadState]}:$verb in
    masked:start | masked:restart | masked:try-restart | masked:reload | masked:reload-or-restart)
      echo "Failed to $verb $unit: Unit $unit is masked." >&2
      r=1
      ;;
    bad-setting:start | bad-setting:restart | bad-setting:reload-or-restart)
      echo "Failed to $verb $unit: Unit $unit has a bad unit file setting (\${SERVICES}/\${unit%.service} must be an executable file)." >&2
      r=1
      ;;
    not-found:stop)
      echo "Failed to stop $unit: Unit $unit not loaded." >&2
      r=5
      ;;
    not-found:kill)
      echo "Failed to kill unit $unit: Unit $unit not loaded." >&2
      r=1
      ;;
    not-found:reset-failed)
      echo "Failed to reset failed state of unit $unit: Unit $unit not loaded." >&2
      r=1
      ;;
    not-found:*)
      echo "Failed to $verb $unit: Unit $unit not found." >&2
      r=5
      ;;
    *:start) "$SVC" start "$u" >/dev/null || r=1 ;;
    *:stop) "$SVC" stop "$u" >/dev/null || r=1 ;;
    *:restart) "$SVC" restart "$u" >/dev/null || r=1 ;;
    *:try-restart)
      if [ "\${prop[ActiveState]}" = active ]; then "$SVC" restart "$u" >/dev/null || r=1; fi
      ;;
    *:reload | *:reload-or-restart)
      if [ "\${prop[ActiveState]}" = active ]; then
        "$SVC" kill "$u" SIGHUP main || r=1
      elif [ "$verb" = reload ]; then
        echo "$unit is not active, cannot reload." >&2
        r=1
      else
        "$SVC" start "$u" >/dev/null || r=1
      fi
      ;;
    *:kill) "$SVC" kill "$u" "$signal" "$whom" || r=1 ;;
    *:reset-failed) "$SVC" reset-failed "$u" || r=1 ;;
    esac
    if [ "$rc" -eq 0 ]; then rc=$r; fi
  done
  return "$rc"
}

# is-active and is-failed: the state of each unit; 0 when one is in the state asked, else \`otherwise\`.
is_state() {
  local wanted=$1 rc=$2 u
  need_units
  for u in "\${units[@]}"; do
    load "$u"
    [ "$quiet" = yes ] || echo "\${prop[ActiveState]}"
    if [ "\${prop[ActiveState]}" = "$wanted" ]; then rc=0; fi
  done
  return "$rc"
}

# A service here has no [Install] section: it is static (0); masked 1, not-found 4.
is_enabled() {
  local u rc=1 state
  need_units
  for u in "\${units[@]}"; do
    load "$u"
    case \${prop[LoadState]} in
    not-found) state=not-found ;;
    masked) state=masked ;;
    *) state=static rc=0 ;;
    esac
    [ "$quiet" = yes ] || echo "$state"
    if [ "$state" = not-found ] && [ "$rc" -ne 0 ]; then rc=4; fi
  done
  return "$rc"
}

show() {
  local u p key first=yes keys wanted=()
  need_units
  for p in "\${properties[@]}"; do
    IFS=, read -r -a keys <<<"$p"
    wanted+=("\${keys[@]}")
  done
  for u in "\${units[@]}"; do
    [ "$first" = yes ] || [ "$value" = yes ] || echo
    first=no
    if [ "\${#wanted[@]}" -eq 0 ]; then
      while IFS= read -r p; do
        if [ "$value" = yes ]; then echo "\${p#*=}"; else echo "$p"; fi
      done < <(properties_of "$u")
      continue
    fi
    load "$u"
    for key in "\${wanted[@]}"; do
      [ -n "\${prop[$key]+set}" ] || continue
      if [ "$value" = yes ]; then echo "\${prop[$key]}"; else echo "$key=\${prop[$key]}"; fi
    done
  done
}

# How the main process ended, as status words it: code=killed, signal=KILL or code=exited, status=1.
ended() {
  local name
  if [ "$1" = 2 ]; then
    name=$(kill -l "$2" 2>/dev/null) || name=$2
    echo "code=killed, signal=$name"
  else
    echo "code=exited, status=$2"
  fi
}

# " since Mon 2025-01-06 10:00:00 UTC; 12s ago", or nothing when the time is unknown.
since() {
  local epoch ago
  [ -n "$1" ] && epoch=$(date -d "$1" +%s 2>/dev/null) || return 0
  ago=$(($(date +%s) - epoch))
  if [ "$ago" -lt 60 ]; then
    ago=\${ago}s
  elif [ "$ago" -lt 3600 ]; then
    ago="$((ago / 60))min $((ago % 60))s"
  else
    ago="$((ago / 3600))h $((ago % 3600 / 60))min"
  fi
  echo " since $1; $ago ago"
}

status() {
  local u rc=0 r unit glyph path shown=no
  need_units
  for u in "\${units[@]}"; do
    load "$u"
    unit=\${prop[Id]}
    if [ "\${prop[LoadState]}" = not-found ]; then
      echo "Unit $unit could not be found." >&2
      if [ "$rc" -eq 0 ]; then rc=4; fi
      continue
    fi
    [ "$shown" = no ] || echo
    shown=yes
    case \${prop[ActiveState]}:$utf8 in
    active:yes) glyph='●' r=0 ;;
    active:no) glyph='*' r=0 ;;
    failed:yes) glyph='×' r=3 ;;
    failed:no) glyph='x' r=3 ;;
    *:yes) glyph='○' r=3 ;;
    *) glyph='*' r=3 ;;
    esac
    if [ "$rc" -eq 0 ]; then rc=$r; fi
    path=\${prop[FragmentPath]}
    echo "$glyph $unit - \${prop[Description]}"
    case \${prop[LoadState]} in
    loaded) echo "     Loaded: loaded ($path; \${prop[UnitFileState]})" ;;
    masked) echo "     Loaded: masked (Reason: Unit $unit is masked.)" ;;
    *) echo "     Loaded: \${prop[LoadState]} ($path is not an executable file)" ;;
    esac
    case \${prop[ActiveState]} in
    active) echo "     Active: active (running)$(since "\${prop[ActiveEnterTimestamp]}")" ;;
    failed) echo "     Active: failed (Result: \${prop[Result]})$(since "\${prop[InactiveEnterTimestamp]}")" ;;
    inactive) echo "     Active: inactive (dead)$(since "\${prop[InactiveEnterTimestamp]}")" ;;
    *) echo "     Active: \${prop[ActiveState]} (\${prop[SubState]})" ;;
    esac
    if [ "\${prop[MainPID]}" != 0 ]; then
      echo "   Main PID: \${prop[MainPID]} ($(cat "/proc/\${prop[MainPID]}/comm" 2>/dev/null || echo "\${unit%.service}"))"
    elif [ "\${prop[ExecMainPID]}" != 0 ]; then
      echo "    Process: \${prop[ExecMainPID]} ExecStart=$path ($(ended "\${prop[ExecMainCode]}" "\${prop[ExecMainStatus]}"))"
      echo "   Main PID: \${prop[ExecMainPID]} ($(ended "\${prop[ExecMainCode]}" "\${prop[ExecMainStatus]}"))"
    fi
    if [ "$lines" -gt 0 ]; then
      echo
      "$JOURNALCTL" -u "$unit" -n "$lines" -q --no-pager
    fi
  done
  return "$rc"
}

# Every unit systemctl knows here: the defined services, and the masked names.
known_units() {
  local file
  for file in "$SERVICES"/* /etc/sandbox/masked/*; do
    [ -e "$file" ] || continue
    unit_name "\${file##*/}"
  done | sort -u
}

# Whether the unit matches the patterns (globs, as systemctl's) given after list-units or list-unit-files.
matches() {
  local pattern
  [ "\${#units[@]}" -eq 0 ] && return 0
  for pattern in "\${units[@]}"; do
    # shellcheck disable=SC2053 # the pattern is a glob, as systemctl reads it
    [[ $1 == $pattern || $1 == $pattern.service ]] && return 0
  done
  return 1
}

# Whether --type lets services in: the sandbox has no unit of another type.
services_wanted() {
  local t
  [ "\${#types[@]}" -eq 0 ] && return 0
  for t in "\${types[@]}"; do
    [[ ,$t, == *,service,* ]] && return 0
  done
  return 1
}

# Whether --state (or, without it, --all) lets the loaded unit in.
state_wanted() {
  local s
  if [ "\${#states[@]}" -eq 0 ]; then
    [ "$all" = yes ] || [ "\${prop[ActiveState]}" != inactive ]
    return
  fi
  for s in "\${states[@]}"; do
    [[ ,$s, == *,"\${prop[LoadState]}",* || ,$s, == *,"\${prop[ActiveState]}",* || ,$s, == *,"\${prop[SubState]}",* ]] && return 0
  done
  return 1
}

# Tab-separated rows as aligned columns.
table() { awk -F '\\t' '{ for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } n[NR] = NF }
  END { for (r = 1; r <= NR; r++) { line = ""; for (i = 1; i <= n[r]; i++) line = line (i < n[r] ? sprintf("%-" w[i] "s ", cell[r, i]) : cell[r, i]); print line } }'; }

list_units() {
  local unit rows=()
  if services_wanted; then
    while IFS= read -r unit; do
      matches "$unit" || continue
      load "$unit"
      state_wanted || continue
      rows+=("$unit"$'\\t'"\${prop[LoadState]}"$'\\t'"\${prop[ActiveState]}"$'\\t'"\${prop[SubState]}"$'\\t'"\${prop[Description]}")
    done < <(known_units)
  fi
  {
    [ "$legend" = no ] || printf 'UNIT\\tLOAD\\tACTIVE\\tSUB\\tDESCRIPTION\\n'
    [ "\${#rows[@]}" -eq 0 ] || printf '%s\\n' "\${rows[@]}"
  } | table
  [ "$legend" = no ] || printf '\\n%s loaded units listed.\\n' "\${#rows[@]}"
}

list_unit_files() {
  local unit rows=()
  if services_wanted; then
    while IFS= read -r unit; do
      matches "$unit" || continue
      load "$unit"
      [ "\${prop[LoadState]}" = not-found ] || rows+=("$unit"$'\\t'"\${prop[UnitFileState]}"$'\\t'-)
    done < <(known_units)
  fi
  {
    [ "$legend" = no ] || printf 'UNIT FILE\\tSTATE\\tPRESET\\n'
    [ "\${#rows[@]}" -eq 0 ] || printf '%s\\n' "\${rows[@]}"
  } | table
  [ "$legend" = no ] || printf '\\n%s unit files listed.\\n' "\${#rows[@]}"
}

case $verb in
start | stop | restart | try-restart | reload | reload-or-restart | reset-failed) act "$verb" ;;
kill)
  sig=\${signal#SIG}
  if [[ $sig =~ ^[0-9]+$ ]]; then sig=$(kill -l "$sig" 2>/dev/null) || sig=''; fi
  if [ -z "$sig" ] || ! kill -l "$sig" >/dev/null 2>&1; then
    echo "Failed to parse signal string $signal." >&2
    exit 1
  fi
  case $whom in
  main | all) ;;
  control) exit 0 ;; # the sandbox runs no ExecStartPre= or ExecReload= process
  *)
    echo "Failed to parse --kill-whom= argument: $whom" >&2
    exit 1
    ;;
  esac
  signal=SIG$sig
  act kill
  ;;
is-active) is_state active 3 ;;
is-failed) is_state failed 1 ;;
is-enabled) is_enabled ;;
status) status ;;
show) show ;;
mask | unmask)
  need_units
  for u in "\${units[@]}"; do "$SVC" "$verb" "$u" || exit 1; done
  ;;
daemon-reload | daemon-reexec) ;; # a service's definition is read at each start
list-units) list_units ;;
list-unit-files) list_unit_files ;;
enable | disable | reenable | preset | link | edit | cat | isolate | set-property | revert | \\
  poweroff | reboot | halt | kexec | suspend | hibernate | default | rescue | emergency | switch-root)
  echo "systemctl: '$verb' is not supported in the sandbox: its services have no unit files and it does not boot" >&2
  exit 1
  ;;
*)
  echo "Unknown command verb '$verb'." >&2
  exit 1
  ;;
esac
`;
