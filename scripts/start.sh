#!/usr/bin/env bash
# `npm start`: sets up what is missing, builds, runs the sample IoT pipeline, then serves the
# LearnODIBI site (production build) with its Jupyter server at http://127.0.0.1:3000.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 NEXT_TELEMETRY_DISABLED=1
bash scripts/setup.sh --jupyter
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
echo
echo "Starting LearnODIBI (lessons at /lessons/<slug>, notebooks at /notebooks/<slug>)…"
exec node site/scripts/serve.mjs --port "${PORT:-3000}"
