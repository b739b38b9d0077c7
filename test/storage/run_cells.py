"""Runs the cells of a JSON list (argv[2]) on a fresh odibi kernel in the folder argv[1] and prints
one JSON object: each cell's reply and outputs, keyed by its name."""
import json
import os
import sys

from jupyter_client.manager import start_new_kernel

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'kernel'))
from cell_runner import run_cell  # noqa: E402

folder, cells_file = sys.argv[1], sys.argv[2]
with open(cells_file) as f:
    cells = json.load(f)
km, kc = start_new_kernel(kernel_name='odibi', cwd=folder)
try:
    out = {name: run_cell(km, kc, code, timeout=120) for name, code in cells}
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)
print(json.dumps(out, default=str))
