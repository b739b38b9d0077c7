#!/usr/bin/env bash
# Installs what is missing, and nothing else: npm packages (from package-lock.json) and, with
# --system, the Debian packages tests need (PostgreSQL, Jupyter, Chromium, Ceph radosgw, Redis, NATS). Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."

stamp=node_modules/.odibi-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "› installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi

# Debian packages: what tests need (--system) and what the notebook side of `npm start` needs
# (--jupyter: Jupyter, and bubblewrap for the site's sandbox). Only the missing ones are installed, with one apt run.
packages=()
if [ "${1:-}" = "--system" ]; then
  ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || packages+=(postgresql)
  # The site's browser tests drive Debian's Chromium (playwright-core; no browser download).
  [ -x /usr/bin/chromium ] || packages+=(chromium)
  # Jupyter's kernel conformance suite (test/kernel/conformance.test.ts).
  [ -d /usr/lib/python3/dist-packages/jupyter_kernel_test ] || packages+=(python3-jupyter-kernel-test)
  # S3 tests run a real Ceph radosgw with a monitor and a memstore OSD on 127.0.0.1
  # (test/helpers/s3-server.ts); these three pull in ceph-base/ceph-common (monmaptool, ceph, radosgw-admin).
  { [ -x /usr/bin/ceph-mon ] && [ -x /usr/bin/ceph-osd ] && [ -x /usr/bin/radosgw ]; } || packages+=(ceph-mon ceph-osd radosgw)
  # Broker stream sources (test/stream/brokers.test.ts): Redis Streams and NATS JetStream.
  [ -x /usr/bin/redis-server ] || packages+=(redis-server)
  [ -x /usr/sbin/nats-server ] || packages+=(nats-server)
fi
if [ "${1:-}" = "--system" ] || [ "${1:-}" = "--jupyter" ]; then
  [ -x /usr/bin/jupyter-nbconvert ] || packages+=(jupyter-client jupyter-nbconvert python3-nbclient jupyter-notebook python3-ipykernel)
  # LearnODIBI runs every visitor's kernel in a bubblewrap sandbox (setpriv and prlimit come with util-linux).
  [ -x /usr/bin/bwrap ] || packages+=(bubblewrap)
fi
if [ ${#packages[@]} -gt 0 ]; then
  echo "› installing Debian packages: ${packages[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi
