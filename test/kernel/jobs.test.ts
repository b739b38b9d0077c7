/** %stream and %schedule through jupyter_client: background jobs with a live status display. */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';
import { query } from '../helpers/duckdb.js';
import { jupyterEnv } from '../helpers/jupyter.js';
import { tempDir } from '../helpers/project.js';

const run = promisify(execFile);
type Cell = { reply: Record<string, any>; outputs: { type: string; [k: string]: any }[] };
let dir: string;
let out: Record<string, any>;

const text = (c: Cell) => c.outputs.filter((o) => o.type === 'execute_result' || o.type === 'display_data').map((o) => o.data['text/plain']).join('\n');

beforeAll(async () => {
  const env = await jupyterEnv();
  dir = await tempDir('odibi-jobs-');
  await mkdir(path.join(dir, 'in'));
  await writeFile(path.join(dir, 'stream.json'), JSON.stringify({ name: 'hot_readings', steps: [
    { layer: 'ingest', name: 'readings', value: 'in', params: { stream: { mode: 'file_watch', pattern: '*.csv' } }, outputs: { data: 'raw' } },
    { layer: 'transform', name: 'hot', value: 'SELECT * FROM raw WHERE temp > 30', inputs: { raw: 'raw' }, outputs: { data: 'hot' } },
    { layer: 'store', name: 'sink', value: 'out/hot', params: { mode: 'append' }, inputs: { data: 'hot' } },
  ] }));
  await writeFile(path.join(dir, 'prices.csv'), 'sku,price\na,1\n');
  await writeFile(path.join(dir, 'sched.json'), JSON.stringify({ name: 'prices', steps: [
    { layer: 'ingest', name: 'read', value: 'prices.csv', outputs: { data: 'p' } },
    { layer: 'store', name: 'save', value: 'out/prices.parquet', inputs: { data: 'p' } },
  ] }));
  const { stdout } = await run('/usr/bin/python3', [path.join(REPO, 'test/kernel/jobs_checks.py'), dir], { env, maxBuffer: 16 * 1024 * 1024, timeout: 180_000 });
  out = JSON.parse(stdout);
}, 240_000);

describe('%stream and %schedule', () => {
  it('are listed by %lsmagic', () => {
    expect(text(out.lsmagic)).toMatch(/%stream +run a streaming pipeline config in the background/);
    expect(text(out.lsmagic)).toMatch(/%schedule +run a pipeline config on a cron, interval or file trigger/);
  });

  it('%stream start runs in the background and updates its status display after each batch', async () => {
    expect(out.start.reply.status).toBe('ok');
    expect(out.start_display.id).toMatch(/^odibi-stream-/);
    expect(out.start_display.data['text/html']).toContain('<table>');
    expect(out.after_file).toMatch(/stream hot_readings: waiting.*; 1 batches; last batch 0: 3 rows in → 2 written/);
    expect(out.ts_meanwhile.reply.status).toBe('ok');
    expect(text(out.status)).toMatch(/stream hot_readings: .*1 batches/);
    expect(await query(`SELECT id FROM read_parquet('${dir}/out/hot/*.parquet') ORDER BY id`)).toEqual([{ id: 1 }, { id: 3 }]);
  });

  it('refuses a second start of the same config, and stops on %stream stop', () => {
    expect(out.again.reply).toMatchObject({ status: 'error', ename: 'MagicError' });
    expect(out.again.reply.evalue).toMatch(/%stream: a stream of stream.json is already running in this kernel/);
    expect(text(out.stop)).toMatch(/stream hot_readings: stopped \(stopped\)/);
    expect(text(out.status_after)).toMatch(/no stream is running/);
  });

  it('explains bad %stream usage', () => {
    expect(out.bad_action.reply.evalue).toBe("%stream: unknown action 'go'");
    expect(out.bad_action.reply.traceback.join('\n')).toMatch(/hint: usage: %stream start <config>/);
    expect(out.missing_config.reply.evalue).toBe('%stream: missing argument <config>');
    expect(out.no_file.reply.evalue).toMatch(/%stream: .*nothere\.json/);
  });

  it('%schedule start runs a config on a trigger and shows its runs', async () => {
    expect(out.schedule.reply.status).toBe('ok');
    expect(out.schedule_done).toMatch(/schedule prices: stopped \(max runs\); 1 runs; last run \S+ success/);
    expect(text(out.schedule_status)).toMatch(/schedule prices/);
    expect(out.schedule_no_trigger.reply.evalue).toBe('%schedule: no trigger given');
    expect(await query(`SELECT count(*) AS n FROM read_parquet('${dir}/out/prices.parquet')`)).toEqual([{ n: 1 }]);
  });
});
