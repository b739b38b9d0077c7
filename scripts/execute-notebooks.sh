#!/usr/bin/env bash
# Runs every notebook in notebooks/ on the odibi kernel and saves it with its outputs (the site
# shows saved outputs: tables, charts). What the cells write goes to a temp copy, not the repo.
set -euo pipefail
cd "$(dirname "$0")/.."
node kernel/dist/cli.js install --prefix .jupyter >/dev/null
export JUPYTER_PATH="$PWD/.jupyter/share/jupyter" PYDEVD_DISABLE_FILE_VALIDATION=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/notebooks"
ln -s "$PWD/examples" "$work/examples"
for nb in notebooks/*.ipynb; do
  name=$(basename "$nb")
  cp "$nb" "$work/notebooks/$name"
  echo "› executing $nb"
  (cd "$work/notebooks" && /usr/bin/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.kernel_name=odibi --ExecutePreprocessor.timeout=300 "$name" 2>/dev/null)
  cp "$work/notebooks/$name" "$nb"
done
