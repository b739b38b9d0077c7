/** `odibi stream` as a user runs it: flags, signals, events over HTTP, progress and run records. */
import { spawn } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, events, odibi } from '../helpers/cli.js';
import { query } from '../helpers/duckdb.js';
import { tempDir, writePipeline } from '../helpers/project.js';

async function project(extraSteps: unknown[] = []): Promise<string> {
  const dir = await tempDir('odibi-stream-');
  await mkdir(path.join(dir, 'in'));
  await writePipeline(dir, [
    { layer: 'ingest', name: 'readings', value: 'in', params: { stream: { mode: 'file_watch', pattern: '*.csv' } }, outputs: { data: 'raw' } },
    { layer: 'transform', name: 'hot', value: 'SELECT * FROM raw WHERE temp > 30', inputs: { raw: 'raw' }, outputs: { data: 'hot' } },
    { layer: 'store', name: 'sink', value: 'out/hot', params: { mode: 'append' }, inputs: { data: 'hot' } },
    ...extraSteps,
  ]);
  return dir;
}

function spawnStream(dir: string, args: string[]) {
  const child = spawn(process.execPath, [CLI, 'stream', 'pipeline.json', ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  const seen: ((s: string) => void)[] = [];
  child.stdout.on('data', (d) => {
    stdout += d;
    for (const f of seen) f(stdout);
  });
  child.stderr.on('data', (d) => (stderr += d));
  const exit = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  const until = (pattern: RegExp, ms = 20_000) => new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${pattern} in:\n${stdout}\n${stderr}`)), ms);
    const check = (s: string) => {
      const m = pattern.exec(s);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    };
    seen.push(check);
    check(stdout);
  });
  return { child, exit, until, out: () => stdout, err: () => stderr };
}

describe('odibi stream', () => {
  it('processes the files present, prints a line per batch and stops with --until-idle', async () => {
    const dir = await project();
    await writeFile(path.join(dir, 'in/a.csv'), 'id,temp\n1,25\n2,35\n');
    await writeFile(path.join(dir, 'in/b.csv'), 'id,temp\n3,40\n');
    const r = await odibi(['stream', 'pipeline.json', '--until-idle', '1', '--trigger-interval', '100'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Streaming test — readings \(file_watch\)/);
    expect(r.stdout).toMatch(/✓ batch 0 {2}3 rows in → 2 written/);
    expect(r.stdout).toMatch(/Stream ended after 1 batch: idle for --until-idle/);
    expect(await query(`SELECT id FROM read_parquet('${dir}/out/hot/*.parquet') ORDER BY id`)).toEqual([{ id: 2 }, { id: 3 }]);

    // A second start finds nothing new; a new file becomes batch 1.
    await writeFile(path.join(dir, 'in/c.csv'), 'id,temp\n4,50\n');
    const again = await odibi(['stream', 'pipeline.json', '--max-batches', '1', '--json'], { cwd: dir });
    expect(again.code).toBe(0);
    const ev = events(again.stdout);
    expect(ev.find((e) => e.type === 'stream_start')).toMatchObject({ lastCommitted: 0 });
    expect(ev.find((e) => e.type === 'batch_end')).toMatchObject({ batchId: 1, status: 'success', rowsIn: 1, rowsOut: 1 });
    expect(ev.some((e) => e.type === 'run_start' && e.batch?.id === 1)).toBe(true);
    expect(ev.at(-1)).toMatchObject({ type: 'stream_end', reason: 'max_batches', batches: 1 });

    // Every batch is a tracked run, with its batch id and lag (arrival → commit).
    const record = JSON.parse((await odibi(['runs', 'show', 'latest', '--json'], { cwd: dir })).stdout);
    expect(record.batch).toMatchObject({ stream: 'test', id: 1, replay: false });
    expect(record.batch.lagMs).toBeGreaterThan(0);
    expect(record.steps.sink.rowsOut).toBe(1);
    const runs = await odibi(['runs'], { cwd: dir });
    expect(runs.stdout).toMatch(/batch 0 of stream test/);
    expect(runs.stdout).toMatch(/batch 1 of stream test/);
  });

  it('finishes the batch in progress on SIGTERM and exits 0', async () => {
    const dir = await project();
    const s = spawnStream(dir, ['--json', '--trigger-interval', '50', '--state-dir', 'state']);
    await s.until(/"stream_start"/);
    await writeFile(path.join(dir, 'in/a.csv'), 'id,temp\n1,31\n');
    await s.until(/"batch_start"/);
    s.child.kill('SIGTERM');
    expect(await s.exit).toBe(0);
    const ev = events(s.out());
    expect(ev.find((e) => e.type === 'batch_end')).toMatchObject({ batchId: 0, status: 'success' });
    expect(ev.at(-1)).toMatchObject({ type: 'stream_end', reason: 'stopped' });
    expect(await readdir(path.join(dir, 'state/streams/test/commits'))).toEqual(['0000000000.json']);
  });

  it('accepts events over HTTP on 127.0.0.1 and writes them once', async () => {
    const dir = await tempDir('odibi-stream-events-');
    await writePipeline(dir, [
      { layer: 'ingest', name: 'orders', params: { stream: { mode: 'event', port: 0, path: '/orders' } }, outputs: { data: 'orders' } },
      { layer: 'transform', name: 'totals', value: 'SELECT customer, sum(amount) AS total FROM orders GROUP BY customer', inputs: { orders: 'orders' }, outputs: { data: 'totals' } },
      { layer: 'store', name: 'sink', value: 'out/totals', params: { mode: 'append' }, inputs: { data: 'totals' } },
    ]);
    const s = spawnStream(dir, ['--json']);
    const start = JSON.parse((await s.until(/\{"type":"stream_start".*\}/)));
    const url = start.sources[0].endpoint as string;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/orders$/);
    const post = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ customer: 'ann', amount: 5 }, { customer: 'bob', amount: 2 }, { customer: 'ann', amount: 1 }]) });
    expect(post.status).toBe(202);
    await s.until(/"batch_end".*"status":"success"/);
    const bad = await fetch(url, { method: 'POST', body: '[1, 2]' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toBe('record 1 is not a JSON object');
    s.child.kill('SIGTERM');
    expect(await s.exit).toBe(0);
    expect(await query(`SELECT customer, total FROM read_parquet('${dir}/out/totals/*.parquet') ORDER BY customer`)).toEqual([{ customer: 'ann', total: 6 }, { customer: 'bob', total: 2 }]);
  });

  it('reports a failing batch with its step, exits 1, and replays it after the fix', async () => {
    const dir = await project();
    await writePipeline(dir, [
      { layer: 'ingest', name: 'readings', value: 'in', params: { stream: { mode: 'file_watch', pattern: '*.csv' } }, outputs: { data: 'raw' } },
      { layer: 'transform', name: 'hot', value: 'SELECT id, temperature FROM raw', inputs: { raw: 'raw' }, outputs: { data: 'hot' } },
      { layer: 'store', name: 'sink', value: 'out/hot', params: { mode: 'append' }, inputs: { data: 'hot' } },
    ]);
    await writeFile(path.join(dir, 'in/a.csv'), 'id,temp\n1,25\n');
    const r = await odibi(['stream', 'pipeline.json', '--until-idle', '1'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/step 'hot': batch 0 failed at step 'hot'/);
    expect(r.stderr).toMatch(/the batch is replayed with the same input/);
    await writePipeline(dir, [
      { layer: 'ingest', name: 'readings', value: 'in', params: { stream: { mode: 'file_watch', pattern: '*.csv' } }, outputs: { data: 'raw' } },
      { layer: 'transform', name: 'hot', value: 'SELECT id, temp AS temperature FROM raw', inputs: { raw: 'raw' }, outputs: { data: 'hot' } },
      { layer: 'store', name: 'sink', value: 'out/hot', params: { mode: 'append' }, inputs: { data: 'hot' } },
    ]);
    const fixed = await odibi(['stream', 'pipeline.json', '--until-idle', '1'], { cwd: dir });
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toMatch(/replaying it with the same input/);
    expect(await query(`SELECT id, temperature FROM read_parquet('${dir}/out/hot/*.parquet')`)).toEqual([{ id: 1, temperature: 25 }]);
  });

  it('does not commit a batch whose error check fails, and replays it once the check is fixed', async () => {
    const dir = await project();
    // The folder comes from a variable (--var), as a production stream's would.
    const steps = (checks: unknown[]) => [
      { layer: 'ingest', name: 'readings', value: '${var:inbox}', params: { stream: { mode: 'file_watch', pattern: '*.csv' } }, outputs: { data: 'raw' } },
      { layer: 'transform', name: 'hot', value: 'SELECT id, temp FROM raw', inputs: { raw: 'raw' }, outputs: { data: 'hot' }, params: { checks } },
      { layer: 'store', name: 'sink', value: 'out/hot', params: { mode: 'append' }, inputs: { data: 'hot' } },
    ];
    await writePipeline(dir, steps([{ type: 'accepted_values', column: 'temp', values: [20, 21] }]));
    await writeFile(path.join(dir, 'in/a.csv'), 'id,temp\n1,25\n');
    const r = await odibi(['stream', 'pipeline.json', '--until-idle', '1', '--var', 'inbox=in'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/batch 0 failed at step 'hot'.*check accepted_values\(temp\) failed: 1 row has a temp outside 20, 21/s);
    expect(await query(`SELECT count(*) AS n FROM glob('${dir}/out/hot/*.parquet')`)).toEqual([{ n: 0 }]);
    await writePipeline(dir, steps([{ type: 'accepted_values', column: 'temp', values: [20, 21, 25] }]));
    const fixed = await odibi(['stream', 'pipeline.json', '--until-idle', '1', '--var', 'inbox=in'], { cwd: dir });
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stdout).toMatch(/replaying it with the same input/);
    expect(await query(`SELECT id, temp FROM read_parquet('${dir}/out/hot/*.parquet')`)).toEqual([{ id: 1, temp: 25 }]);
  });

  it('says what to do when no step streams, and validates stream params with file:line', async () => {
    const dir = await tempDir('odibi-stream-bad-');
    await writePipeline(dir, [{ layer: 'ingest', name: 'r', value: 'x.csv', outputs: { data: 'x' } }]);
    const none = await odibi(['stream', 'pipeline.json'], { cwd: dir });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no step of .*pipeline.json streams/);
    expect(none.stderr).toMatch(/hint: give an ingest step params.stream/);
    await writeFile(path.join(dir, 'pipeline.json'), '[\n  {"layer": "ingest", "name": "r", "value": "in",\n   "params": {"stream": {"mode": "watch"}}, "outputs": {"data": "x"}}\n]\n');
    const bad = await odibi(['validate', 'pipeline.json'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr + bad.stdout).toMatch(/pipeline.json:2.*step 'r'.*mode must be one of file_watch, incremental, interval, event/s);
  });
});
