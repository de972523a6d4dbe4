#!/usr/bin/env bash
# Check the Prometheus alert rules (deploy/prometheus/alerts.yml) and run their unit tests with promtool.
# promtool comes with Debian's `prometheus` package: installed when missing and we are root.
set -euo pipefail
cd "$(dirname "$0")/../deploy/prometheus"
if ! command -v promtool >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing promtool (Debian's prometheus package; log: /tmp/gn-promtool.install.log)"
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus; } \
      >/tmp/gn-promtool.install.log 2>&1 || tail -n 5 /tmp/gn-promtool.install.log >&2
  fi
fi
if ! command -v promtool >/dev/null 2>&1; then
  echo "promtool is not installed (apt-get install prometheus): alert rules NOT checked." >&2
  exit 1
fi
promtool check rules alerts.yml
promtool test rules alerts.test.yml
