/**
 * Jupyter's kernel conformance suite (Debian's jupyter_kernel_test) against the odibi kernel:
 * kernel info, stdout and stderr, completion, is_complete, errors, execute results (`6 * 7` →
 * `42`, `"a" + "b"` → `'ab'`, as Node's REPL shows it), display data, history, inspection.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';
import { jupyterEnv } from '../helpers/jupyter.js';

const run = promisify(execFile);

describe('jupyter_kernel_test', () => {
  it('passes every test it runs against the kernel', async () => {
    const env = await jupyterEnv();
    const r = await run('/usr/bin/python3', ['-m', 'unittest', '-v', 'conformance_test'], { env, cwd: path.join(REPO, 'test/kernel'), timeout: 180_000 }).catch((err: { stdout: string; stderr: string }) => err);
    const report = r.stderr;
    const passed = [...report.matchAll(/^(test_\w+) .* \.\.\. ok$/gm)].map((m) => m[1]);
    expect(report, report).toMatch(/^OK \(skipped=2\)$/m);
    expect(passed).toEqual(expect.arrayContaining(['test_execute_result', 'test_execute_stdout', 'test_execute_stderr', 'test_error', 'test_completion', 'test_is_complete', 'test_display_data', 'test_history', 'test_inspect', 'test_kernel_info']));
    expect(passed).toHaveLength(10);
  }, 200_000);
});
