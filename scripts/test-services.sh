# Sourced by `make test`: make sure PostgreSQL and Redis answer, and export their URLs.
# Order: DATABASE_URL/REDIS_URL if set; else local servers on the default ports,
# started if installed but stopped; else `docker compose up -d postgres redis`;
# else one line naming what is missing.

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/guardiannest}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"

_gn_port_open() { # host port
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && exec 3>&- 3<&-
}

_gn_hostport() { # url default_port -> "host port"
  local rest="${1#*://}"; rest="${rest#*@}"; rest="${rest%%/*}"; rest="${rest%%\?*}"
  local host="${rest%%:*}" port="${rest##*:}"
  [ "$port" = "$rest" ] && port="$2"
  echo "${host:-127.0.0.1} $port"
}

_gn_wait() { # host port seconds
  local i
  for ((i = 0; i < $3 * 4; i++)); do _gn_port_open "$1" "$2" && return 0; sleep 0.25; done
  return 1
}

_gn_ensure() { # name url default_port start-command...
  local name="$1" url="$2" default_port="$3"; shift 3
  read -r host port <<<"$(_gn_hostport "$url" "$default_port")"
  _gn_port_open "$host" "$port" && return 0
  if [ "$host" = "127.0.0.1" ] || [ "$host" = "localhost" ]; then
    if "$@" >/dev/null 2>&1 && _gn_wait "$host" "$port" 20; then
      echo "started $name on $host:$port"; return 0
    fi
    if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
      docker compose up -d postgres redis && _gn_wait "$host" "$port" 60 && return 0
    fi
  fi
  echo "make test needs $name at $host:$port: install and start it, set ${name^^}_URL, or run Docker." >&2
  return 1
}

_gn_start_postgres() {
  command -v pg_ctlcluster >/dev/null 2>&1 || return 1
  local version; version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  [ -n "$version" ] && pg_ctlcluster --skip-systemctl-redirect "$version" main start
}

_gn_start_redis() {
  command -v redis-server >/dev/null 2>&1 || return 1
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
}

_gn_ensure database "$DATABASE_URL" 5432 _gn_start_postgres || return 1
_gn_ensure redis "$REDIS_URL" 6379 _gn_start_redis || return 1
