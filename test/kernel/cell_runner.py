"""Runs one cell through jupyter_client and collects what a notebook would show."""
import time


def run_cell(km, kc, code, timeout=60, interrupt_after=None):
    """Executes `code`; returns {'reply': execute_reply content, 'outputs': [iopub messages]}."""
    msg_id = kc.execute(code)
    if interrupt_after is not None:
        time.sleep(interrupt_after)
        km.interrupt_kernel()
    outputs = []
    while True:
        m = kc.get_iopub_msg(timeout=timeout)
        if m['parent_header'].get('msg_id') != msg_id:
            continue
        if m['msg_type'] == 'status':
            if m['content']['execution_state'] == 'idle':
                break
            continue
        outputs.append({'type': m['msg_type'], **m['content']})
    while True:
        reply = kc.get_shell_msg(timeout=timeout)
        if reply['parent_header'].get('msg_id') == msg_id:
            break
    return {'reply': reply['content'], 'outputs': outputs}
