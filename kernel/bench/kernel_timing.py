"""Times cells through jupyter_client: trivial-cell round trips, and (for odibi) a %%sql aggregate.

Usage: kernel_timing.py <kernel-name> <cells> [sql-repeats]   -> prints JSON
"""
import json
import statistics
import sys
import tempfile
import time

from jupyter_client.manager import start_new_kernel


def main():
    name, cells = sys.argv[1], int(sys.argv[2])
    sql_repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    km, kc = start_new_kernel(kernel_name=name, startup_timeout=90, cwd=tempfile.mkdtemp())

    def run(code):
        t0 = time.perf_counter()
        msg_id = kc.execute(code)
        while True:
            m = kc.get_iopub_msg(timeout=120)
            if m['parent_header'].get('msg_id') == msg_id and m['msg_type'] == 'status' and m['content']['execution_state'] == 'idle':
                break
        while kc.get_shell_msg(timeout=120)['parent_header'].get('msg_id') != msg_id:
            pass
        return (time.perf_counter() - t0) * 1000

    try:
        for i in range(10):
            run(f'{i} + 1')
        trivial = [run(f'{i} + 1') for i in range(cells)]
        out = {'kernel': name, 'trivial_ms': trivial}
        if sql_repeats:
            run('%%sql big\nSELECT range AS id, range % 100 AS k FROM range(1000000)')
            sql = [run('%%sql agg\nSELECT k, count(*) AS n, avg(id) AS mean_id FROM big GROUP BY k') for _ in range(sql_repeats)]
            out['sql_ms'] = statistics.median(sql)
        print(json.dumps(out))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


if __name__ == '__main__':
    main()
