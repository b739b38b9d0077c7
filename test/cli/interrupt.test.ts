/** Ctrl-C during a run: running steps stop, nothing is committed, the exit code is 130. */
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, events } from '../helpers/cli.js';
import { tempDir, writePipeline } from '../helpers/project.js';

describe('interrupt', () => {
  it('stops a running query on SIGINT and leaves no output behind', async () => {
    const dir = await tempDir();
    const cfg = await writePipeline(dir, [
      { layer: 'ingest', name: 'numbers', type: 'sql', value: 'SELECT range AS id FROM range(10)', outputs: { data: 'n' } },
      { layer: 'store', name: 'save_numbers', value: 'out/numbers.csv', inputs: { data: 'n' } },
      { layer: 'transform', name: 'heavy', value: 'SELECT count(*) AS c FROM range(100000000000), n', inputs: { n: 'n' }, outputs: { data: 'h' }, depends_on: ['save_numbers'] },
    ]);
    const child = spawn(process.execPath, [CLI, 'run', cfg, '--json'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    const started = Date.now();
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d) => {
        stdout += d;
        if (stdout.includes('"type":"step_start","step":"heavy"')) setTimeout(() => child.kill('SIGINT'), 200);
      });
      child.on('close', resolve);
    });
    expect(code).toBe(130);
    expect(Date.now() - started).toBeLessThan(15_000);
    const evts = events(stdout);
    expect(evts.find((e) => e.type === 'step_error')).toMatchObject({ step: 'heavy', error: { name: 'StepCancelledError' } });
    expect(evts.at(-1)).toMatchObject({ type: 'run_end', status: 'failed', committed: [] });
    // save_numbers had finished, but a cancelled run commits nothing.
    expect(await readdir(path.join(dir, 'out'))).toEqual([]);
  });
});
