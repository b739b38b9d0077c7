#!/usr/bin/env bash
# Installs what is missing, and nothing else: npm packages (from package-lock.json) and, with
# --system, the Debian packages tests need (a real PostgreSQL server). Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."

stamp=node_modules/.odibi-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "› installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi

if [ "${1:-}" = "--system" ]; then
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    echo "› installing PostgreSQL (Debian package) for the connector tests"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
    $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends postgresql >/dev/null
  fi
fi
