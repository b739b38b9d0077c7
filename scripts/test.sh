#!/usr/bin/env bash
# `npm test`: sets up what is missing (npm packages, PostgreSQL, Jupyter, Chromium), builds, and runs every test
# suite, then prints one closing line with the totals.
set -uo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 NEXT_TELEMETRY_DISABLED=1
bash scripts/setup.sh --system || exit 1
npx turbo run build --output-logs=errors-only || exit 1
rm -rf .test-results && mkdir -p .test-results
status=0
# The linter and the layer rules (docs/architecture.md) first: zero findings, or the run fails.
echo "› lint: eslint"
npx eslint . || status=1
echo "› lint: layers and cycles (dependency-cruiser)"
npm run --silent lint:deps || status=1
for ws in core kernel site test; do
  echo "› tests: $ws"
  (cd "$ws" && npx vitest run --reporter=default --reporter=json --outputFile.json="../.test-results/$ws.json") || status=1
done
node scripts/test-summary.mjs .test-results || status=1
exit $status
