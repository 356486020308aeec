#!/usr/bin/env bash
# A private Docker engine for the LocalStack test backend, on machines with no Docker of their own.
#
#   scripts/docker-engine.sh start    installs Debian's docker.io (pinned) when dockerd is missing,
#                                     starts dockerd unless it runs; prints `export DOCKER_HOST=...`
#   scripts/docker-engine.sh stop     stops it by its pid (containers go with it); idempotent
#   scripts/docker-engine.sh status   exit 0 and the socket when it runs, exit 1 otherwise
#   scripts/docker-engine.sh env      prints `export DOCKER_HOST=...` (whether or not it runs)
#
# The engine is never the machine's: its own socket, pid file and exec root under $RUN_DIR (/tmp,
# short paths for unix sockets), its data root (images, so the LocalStack image is cached between
# runs) under $DATA_DIR (/var/tmp, outside the checkout so that jest, eslint and prettier never crawl
# it). The run dir is named after this checkout's path; the data root is one per machine, so that
# every checkout (a CI run's fresh clone included) reuses the cached image — one engine at a time. Host networking only: --bridge=none creates no
# bridge, --iptables=false / --ip-forward=false / --ip-masq=false touch no firewall or routing;
# containers must run with `--network host` and talk to 127.0.0.1. vfs storage works on any file
# system (no overlay mounts needed).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DOCKER_IO_VERSION="${DOCKER_IO_VERSION:-20.10.24+dfsg1-1+deb12u1+b6}" # Debian 12 (bookworm)
key="$(printf '%s' "$ROOT" | sha256sum | cut -c1-10)" # one engine per checkout
DATA_DIR="${APPS_DEPLOYER_DOCKER_DATA:-/var/tmp/apps-deployer-docker}"
RUN_DIR="${APPS_DEPLOYER_DOCKER_RUN:-/tmp/apps-deployer-docker-$key}"
SOCK="$RUN_DIR/docker.sock"
PIDFILE="$RUN_DIR/dockerd.pid"
LOG="$RUN_DIR/dockerd.log"
export DOCKER_HOST="unix://$SOCK"

docker_bin() {
  # the daemon's own client first (same API version)
  if [ -x /usr/bin/docker ]; then echo /usr/bin/docker; else command -v docker; fi
}

running() {
  [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null && "$(docker_bin)" version >/dev/null 2>&1
}

install_engine() {
  command -v dockerd >/dev/null 2>&1 && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "docker-engine: dockerd is missing; install Debian's docker.io ($DOCKER_IO_VERSION) or Docker" >&2
    exit 1
  fi
  echo "docker-engine: installing docker.io=$DOCKER_IO_VERSION (apt)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "docker.io=$DOCKER_IO_VERSION" >/dev/null
}

start() {
  if running; then
    echo "docker-engine: already running (pid $(cat "$PIDFILE"))" >&2
    echo "export DOCKER_HOST=$DOCKER_HOST"
    return 0
  fi
  install_engine
  mkdir -p "$RUN_DIR" "$DATA_DIR"
  chmod 700 "$RUN_DIR"
  rm -f "$SOCK" "$PIDFILE"
  # setsid: the engine survives the shell that started it, and `stop` ends it by its pid
  setsid dockerd \
    --host "$DOCKER_HOST" \
    --data-root "$DATA_DIR" \
    --exec-root "$RUN_DIR/exec" \
    --pidfile "$PIDFILE" \
    --storage-driver=vfs \
    --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
    --bridge=none --userland-proxy=false \
    >"$LOG" 2>&1 </dev/null &
  local deadline=$((SECONDS + 60))
  until running; do
    if [ $SECONDS -gt $deadline ]; then
      echo "docker-engine: dockerd did not answer within 60 s; log $LOG:" >&2
      tail -20 "$LOG" >&2
      stop >/dev/null 2>&1 || true
      exit 1
    fi
    sleep 0.5
  done
  echo "docker-engine: dockerd $("$(docker_bin)" version --format '{{.Server.Version}}') running (pid $(cat "$PIDFILE"), data $DATA_DIR)" >&2
  echo "export DOCKER_HOST=$DOCKER_HOST"
}

stop() {
  [ -f "$PIDFILE" ] || {
    echo "docker-engine: not running"
    return 0
  }
  local pid
  pid="$(cat "$PIDFILE")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    local deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null; do
      if [ $SECONDS -gt $deadline ]; then
        echo "docker-engine: dockerd $pid ignored SIGTERM for 30 s, killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
      fi
      sleep 0.5
    done
  fi
  rm -f "$PIDFILE" "$SOCK"
  echo "docker-engine: stopped (pid $pid)"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status)
    if running; then
      echo "docker-engine: running (pid $(cat "$PIDFILE")), DOCKER_HOST=$DOCKER_HOST"
    else
      echo "docker-engine: not running"
      exit 1
    fi
    ;;
  env) echo "export DOCKER_HOST=$DOCKER_HOST" ;;
  *)
    echo "usage: $0 start|stop|status|env" >&2
    exit 2
    ;;
esac
