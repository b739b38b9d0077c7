#!/usr/bin/env bash
# `npm start`: sets up what is missing, builds, and runs the sample IoT pipeline.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 NEXT_TELEMETRY_DISABLED=1
bash scripts/setup.sh
npx turbo run build --output-logs=errors-only
[ -f examples/iot/data/readings.csv ] || node examples/iot/generate.mjs
node core/dist/cli/main.js run examples/iot/pipeline.json
# The Jupyter kernel goes into a project-local prefix: nothing global is touched.
node kernel/dist/cli.js install --prefix .jupyter >/dev/null
echo
echo "Outputs are in examples/iot/out/ (Parquet, JSON). Inspect the run with:"
echo "  npx odibi runs show latest --config examples/iot/pipeline.json"
echo "The kernel \"ODIBI (TypeScript)\" is installed for this project; use it with:"
echo "  JUPYTER_PATH=$PWD/.jupyter/share/jupyter jupyter notebook"
