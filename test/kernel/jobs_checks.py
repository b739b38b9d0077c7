"""%stream and %schedule through jupyter_client, in the folder given as argv[1].

Starts a stream in the kernel's background, drops a file, and waits for the status display to be
updated (update_display_data after the cell has finished); then status, stop, and a schedule.
Prints a JSON object of what the notebook user saw.
"""
import json
import os
import sys
import time

from jupyter_client.manager import start_new_kernel

from cell_runner import run_cell


def wait_for_update(kc, display_id, needle, timeout=30):
    """Reads iopub until an update_display_data for display_id contains needle; returns its text."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            m = kc.get_iopub_msg(timeout=1)
        except Exception:
            continue
        if m['msg_type'] == 'update_display_data' and m['content'].get('transient', {}).get('display_id') == display_id:
            last = m['content']['data']['text/plain']
            if needle in last:
                return last
    return f'TIMEOUT; last update: {last}'


def display_id(cell):
    for o in cell['outputs']:
        if o['type'] == 'display_data':
            return o.get('transient', {}).get('display_id'), o['data']
    return None, None


def main():
    root = sys.argv[1]
    km, kc = start_new_kernel(kernel_name='odibi', startup_timeout=60, cwd=root)
    out = {}
    try:
        run = lambda code: run_cell(km, kc, code)
        out['lsmagic'] = run('%lsmagic')
        out['start'] = run('%stream start stream.json --trigger-interval 100')
        did, data = display_id(out['start'])
        out['start_display'] = {'id': did, 'data': data}
        tmp = os.path.join(root, 'in', '.a.csv.tmp')
        with open(tmp, 'w') as f:
            f.write('id,temp\n1,31\n2,20\n3,35\n')
        os.rename(tmp, os.path.join(root, 'in', 'a.csv'))
        out['after_file'] = wait_for_update(kc, did, 'batch 0:')
        out['ts_meanwhile'] = run('1 + 1')
        out['status'] = run('%stream status')
        out['again'] = run('%stream start stream.json')
        out['stop'] = run('%stream stop stream.json')
        out['status_after'] = run('%stream status')
        out['bad_action'] = run('%stream go stream.json')
        out['missing_config'] = run('%stream start')
        out['no_file'] = run('%stream start nothere.json')
        out['schedule'] = run('%schedule start sched.json --every 1s --max-runs 1')
        sid, _ = display_id(out['schedule'])
        out['schedule_done'] = wait_for_update(kc, sid, 'stopped (max runs)')
        out['schedule_status'] = run('%schedule status')
        out['schedule_no_trigger'] = run('%schedule start sched.json')
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main()
