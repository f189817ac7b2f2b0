#!/usr/bin/env bash
# The container's one program under lastcall: php-fpm, then nginx, both in the foreground as
# children of this script, and a stop that reaches them in the right order:
#   SIGQUIT (graceful)   nginx first; it finishes the requests it has, which need php-fpm; once
#                        nginx has exited, php-fpm gets SIGQUIT (nothing is in progress any more)
#   SIGTERM, SIGINT      both at once with SIGTERM (fast: requests in progress are cut)
#   SIGHUP / SIGUSR1     reload configuration / reopen logs, in both
# Either daemon exiting on its own stops the other and this script exits non-zero, so the
# orchestrator restarts the container instead of keeping half a web server.
# The daemons run in their own process groups, so `lastcall -g` reaches this script only and the
# order holds with or without -g. README.md explains why.
#
# Environment: LISTEN (nginx `listen`, default 8080), RUN_DIR (configs, socket, pid and temp
# files; default /tmp/webstack), APP_DIR (document root; default app/ beside this script),
# RUN_AS (the user to drop to when started as root; default www-data).
# `start.sh --check` renders the configs and tests them (nginx -t, php-fpm -t), then exits.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LISTEN=${LISTEN:-8080}
RUN_DIR=${RUN_DIR:-/tmp/webstack}
APP_DIR=${APP_DIR:-$here/app}
RUN_AS=${RUN_AS:-www-data}
PHP_FPM=${PHP_FPM:-$(command -v php-fpm || command -v php-fpm8.2 || echo php-fpm)}

say() { echo "start.sh: $*" >&2; }

# Root: hand the run directory to RUN_AS and become RUN_AS. exec keeps this pid, so lastcall goes
# on supervising the same process.
if [[ $EUID == 0 ]]; then
  mkdir -p "$RUN_DIR" && chown "$RUN_AS:" "$RUN_DIR" && chmod 0700 "$RUN_DIR" || exit 1
  exec setpriv --reuid="$RUN_AS" --regid="$RUN_AS" --init-groups -- "$BASH" "${BASH_SOURCE[0]}" "$@"
fi

# php-fpm's error_log and nginx's access_log are paths (/proc/self/fd/2, /dev/stdout), opened
# again by name. That fails for a pipe another user created, which is what a container runtime
# hands a `USER www-data` image ("failed to open error_log (/proc/self/fd/2): Permission denied"),
# and for a socket (Node's child_process stdio, journald: "No such device or address"). Then
# relay through pipes of our own. The relays ignore the stop signals (`lastcall -g` reaches this
# script's group) and end when the last writer has gone.
reopenable() { [[ -w /proc/self/fd/$1 && ! -S /proc/self/fd/$1 ]]; }
relays=()
if ! reopenable 1 || ! reopenable 2; then
  exec 1> >(trap '' INT QUIT TERM HUP USR1 USR2 && exec cat)
  relays+=($!)
  exec 2> >(trap '' INT QUIT TERM HUP USR1 USR2 && exec cat >&2)
  relays+=($!)
fi

render() {
  sed -e "s|@LISTEN@|$LISTEN|g" -e "s|@RUN_DIR@|$RUN_DIR|g" -e "s|@APP_DIR@|$APP_DIR|g" \
    "$here/$1" >"$RUN_DIR/$1.tmp" && mv -f "$RUN_DIR/$1.tmp" "$RUN_DIR/$1"
}
# A run directory mounted by the orchestrator (an emptyDir) may not be ours to chmod: fine.
mkdir -p "$RUN_DIR" && { chmod 0700 "$RUN_DIR" 2>/dev/null || :; } && render nginx.conf && render php-fpm.conf || exit 1
nginx_argv=(nginx -e stderr -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf")
fpm_argv=("$PHP_FPM" -F -y "$RUN_DIR/php-fpm.conf")
if [[ ${1:-} == --check ]]; then
  "${fpm_argv[@]}" -t && "${nginx_argv[@]}" -t
  exit
fi

declare -A name=()   # pid -> nginx | php-fpm, for the children still running
fpm='' nginx='' stopping='' status=0

# Sends a signal to the children named, among those still running.
signal() {
  local sig=$1 pid
  shift
  for pid in "${!name[@]}"; do
    for wanted; do [[ ${name[$pid]} == "$wanted" ]] && kill "-$sig" "$pid" 2>/dev/null; done
  done
}

# shellcheck disable=SC2317  # called from the traps below
stop() {
  if [[ -n $stopping && $1 == QUIT ]]; then return; fi
  if [[ $1 == QUIT ]]; then
    say "SIGQUIT: graceful stop, nginx first, php-fpm once nginx has exited"
    stopping=graceful
    signal QUIT nginx
    # Not started yet, or already gone: nothing waits on php-fpm.
    [[ -z $nginx || -z ${name[$nginx]:-} ]] && signal QUIT php-fpm
  else
    say "SIG$1: fast stop, SIGTERM to nginx and php-fpm"
    stopping=fast
    signal TERM nginx php-fpm
  fi
}
trap 'stop QUIT' QUIT
trap 'stop TERM' TERM
trap 'stop INT' INT
trap 'signal HUP nginx; signal USR2 php-fpm' HUP  # php-fpm reloads on USR2
trap 'signal USR1 nginx php-fpm' USR1               # both reopen their logs
trap ':' USR2 WINCH                                 # nginx's binary upgrade and worker stop: not here

# `set -m` gives each daemon its own process group, so that a signal to this script's group
# (`lastcall -g`) reaches this script alone and the order above holds. php-fpm would not need it
# (it calls setsid() itself, even with -F); nginx stays in its parent's group otherwise.
set -m
"${fpm_argv[@]}" &
fpm=$!
name[$fpm]=php-fpm
set +m

# nginx starts once php-fpm listens, so that nginx answering means both answer.
for ((i = 0; i < 200; i++)); do
  [[ -S $RUN_DIR/php-fpm.sock || -n $stopping ]] && break
  kill -0 "$fpm" 2>/dev/null || break
  sleep 0.05
done
if [[ -z $stopping ]] && kill -0 "$fpm" 2>/dev/null; then
  set -m
  "${nginx_argv[@]}" &
  nginx=$!
  name[$nginx]=nginx
  set +m
fi

while ((${#name[@]})); do
  unset done_pid
  wait -n -p done_pid "${!name[@]}"
  code=$?
  # A trapped signal ends `wait` early, without a pid: its trap has run; wait again.
  [[ -n ${done_pid:-} ]] || continue
  exited=${name[$done_pid]}
  unset "name[$done_pid]"
  # A master that died (SIGKILL, OOM) leaves its workers behind, holding the socket and our
  # output open. They are in its process group (set -m; php-fpm's own setsid): end them too.
  # After a normal exit the group is empty and this does nothing.
  kill -TERM -- "-$done_pid" 2>/dev/null
  if [[ -z $stopping ]]; then
    say "$exited exited on its own with status $code; stopping the rest"
    stopping=failed
    status=$((code == 0 ? 1 : code))
    signal TERM nginx php-fpm
  elif [[ $stopping == graceful && $exited == nginx ]]; then
    signal QUIT php-fpm
  fi
  ((status == 0 && code != 0)) && status=$code
done
# Let the relays flush and end, so that lastcall finds nothing left behind.
if ((${#relays[@]})); then
  exec 1>&- 2>&-
  wait "${relays[@]}"
fi
exit "$status"
