"""Drives the odibi kernel through jupyter_client (Debian's) and prints one JSON object per scenario.

The vitest suite in kernel.test.ts runs this with JUPYTER_PATH pointing at a test-local kernelspec
and asserts on what a notebook client would see.
"""
import json
import sys
import time

from jupyter_client.manager import start_new_kernel

from cell_runner import run_cell


def main():
    km, kc = start_new_kernel(kernel_name='odibi', startup_timeout=60)
    results = {}

    def run(code, timeout=60, interrupt_after=None):
        return run_cell(km, kc, code, timeout, interrupt_after)

    try:
        results['value'] = run('const x: number = 40 + 2;\nx')
        results['stdout'] = run('console.log("hello"); console.error("careful")')
        results['runtime_error'] = run('function f(): never { throw new RangeError("too far"); }\nf()')
        results['after_error'] = run('x + 1')
        results['type_error'] = run('const s: string = 5;')
        results['flood'] = run('for (let i = 0; i < 20000; i++) console.log("line " + i)', timeout=120)
        results['display_flood'] = run('import * as tslab2 from "tslab";\nfor (let i = 0; i < 3000; i++) tslab2.display.text("d" + i)', timeout=120)
        results['display'] = run('import * as tslab from "tslab";\ntslab.display.html("<b>bold</b>")')
        results['sync_interrupt'] = run('while (true) {}', interrupt_after=1.5)
        results['after_sync_interrupt'] = run('x * 2')
        results['async_interrupt'] = run('await new Promise((r) => setTimeout(r, 60000))', interrupt_after=1.0)
        results['after_async_interrupt'] = run('"still alive"')
        results['sql_interrupt'] = run('%%sql huge\nSELECT count(*) AS n FROM range(100000000000) a', interrupt_after=1.5)
        results['after_sql_interrupt'] = run('%%sql small\nSELECT 42 AS answer')
        results['exit'] = run('process.exit(3)')
        results['after_exit'] = run('"still here"')
        msg_id = kc.complete('const abc = [1, 2];\nabc.fil', len('const abc = [1, 2];\nabc.fil'))
        results['complete'] = kc.get_shell_msg(timeout=60)['content']
        kc.inspect('Math.max', 6)
        results['inspect'] = kc.get_shell_msg(timeout=60)['content']
        results['late_throw'] = run('setTimeout(() => { throw new Error("late") }, 10); 1')
        time.sleep(0.3)
        results['after_late_throw'] = run('2')
        start = time.time()
        counts = []
        for i in range(300):
            r = run(f'{i} + 1', timeout=30)
            counts.append(r['reply']['execution_count'])
        results['many_cells'] = {'seconds': time.time() - start, 'counts': [counts[0], counts[-1]], 'ok': all(c is not None for c in counts)}
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    json.dump(results, sys.stdout)


if __name__ == '__main__':
    main()
