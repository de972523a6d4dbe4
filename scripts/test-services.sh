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

# What follows installs Debian packages it needs when missing (as root): one `apt-get update` for all.
_gn_apt_update() {
  [ -n "${_GN_APT_UPDATED:-}" ] && return 0
  apt-get update && _GN_APT_UPDATED=1
}

# --- ClamAV for the virus-scanner tests (files app) ----------------------------------------------
# clamd with a test signature database that detects the EICAR string (whole file and inside a
# PNG or PDF); the official databases cannot be downloaded here and are not needed. Installed
# from Debian when missing and we are root; started on 127.0.0.1:${GN_CLAMD_PORT:-3310} unless
# CLAMAV_URL is already set. Without it the files tests start clamd themselves, or fail saying why.

_GN_EICAR='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'

_gn_clamd_bin() {
  command -v clamd 2>/dev/null && return 0
  [ -x /usr/sbin/clamd ] && echo /usr/sbin/clamd
}

_gn_clamd_ping() { # port: clamd answers PONG (all in a subshell: no descriptor or stderr change leaks)
  (
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf 'zPING\0' >&3
    IFS= read -r -d '' -t 3 reply <&3
    [ "$reply" = "PONG" ]
  ) 2>/dev/null
}

_gn_start_clamd() {
  local port="${GN_CLAMD_PORT:-3310}" dir="${GN_CLAMD_DIR:-${TMPDIR:-/tmp}/gn-clamd}" bin i
  if _gn_clamd_ping "$port"; then
    export CLAMAV_URL="tcp://127.0.0.1:$port"; return 0
  fi
  bin=$(_gn_clamd_bin)
  if [ -z "$bin" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing clamav-daemon for the virus-scanner tests (log: $dir.install.log)"
    if ! { _gn_apt_update && DEBIAN_FRONTEND=noninteractive apt-get install -y clamav-daemon; } >"$dir.install.log" 2>&1; then
      tail -n 5 "$dir.install.log" >&2
    fi
    bin=$(_gn_clamd_bin)
  fi
  if [ -z "$bin" ]; then
    echo "clamd is not installed (apt-get install clamav-daemon): the files tests will say so." >&2
    return 0
  fi
  mkdir -p "$dir/db"
  printf '%s' "$_GN_EICAR" >"$dir/eicar.txt"
  echo "$(md5sum "$dir/eicar.txt" | cut -d' ' -f1):$(stat -c %s "$dir/eicar.txt"):Test.EICAR" >"$dir/db/test.hdb"
  echo "Test.EICAR.Body:0:*:$(od -An -v -tx1 "$dir/eicar.txt" | tr -d ' \n')" >"$dir/db/test.ndb"
  {
    echo "DatabaseDirectory $dir/db"
    echo "TCPSocket $port"
    echo "TCPAddr 127.0.0.1"
    echo "Foreground no"
    echo "PidFile $dir/clamd.pid"
    echo "LogFile $dir/clamd.log"
    echo "StreamMaxLength 40M"
    [ "$(id -u)" = 0 ] && echo "User root"
  } >"$dir/clamd.conf"
  "$bin" -c "$dir/clamd.conf" >>"$dir/clamd.log" 2>&1
  for ((i = 0; i < 240; i++)); do
    if _gn_clamd_ping "$port"; then
      echo "started clamd on 127.0.0.1:$port (test signatures in $dir/db)"
      export CLAMAV_URL="tcp://127.0.0.1:$port"; return 0
    fi
    sleep 0.25
  done
  echo "clamd did not answer on 127.0.0.1:$port; see $dir/clamd.log" >&2
  return 0
}

[ -n "${CLAMAV_URL:-}" ] || _gn_start_clamd

# --- Chromium for the browser tests (tests/browser) ----------------------------------------------
# Debian's chromium and its chromedriver (Selenium drives them; nothing is downloaded at test time).
# Installed when missing and we are root with apt. The browser tests never skip: without Chromium
# they fail, naming the packages to install.

_gn_chromium_present() {
  [ -x "${GN_CHROMIUM:-/usr/bin/chromium}" ] && [ -x "${GN_CHROMEDRIVER:-/usr/bin/chromedriver}" ]
}

_gn_install_chromium() {
  local log="${TMPDIR:-/tmp}/gn-chromium.install.log"
  _gn_chromium_present && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium and chromium-driver for the browser tests (log: $log)"
    if ! { _gn_apt_update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver; } >"$log" 2>&1; then
      tail -n 5 "$log" >&2
    fi
  fi
  _gn_chromium_present ||
    echo "chromium is not installed (apt-get install chromium chromium-driver): the browser tests will fail." >&2
  return 0
}

_gn_install_chromium
