#!/usr/bin/env bash
# `npm run bench`: builds, then runs the benchmarks (ratios against raw DuckDB in the same run).
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1
bash scripts/setup.sh --system
npx turbo run build --output-logs=errors-only
node core/bench/run.mjs
echo
node core/bench/startup.mjs
echo
node kernel/bench/run.mjs
echo
node core/bench/checks.mjs
echo
node core/bench/stream.mjs
echo
node core/bench/distributed.mjs
echo
node site/bench/kernels.mjs
