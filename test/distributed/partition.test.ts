/**
 * Partitioned steps (`params.partition: "files"`) on `odibi run --executor bullmq` with real
 * `odibi worker` processes on a real `redis-server`: one job per part of a glob runs the ingest and
 * its row-wise chain, and the step after the chain reads the union. Outputs are compared with a
 * local run's.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, type Backend } from '../helpers/store-backends.js';
import { events, odibi } from '../helpers/cli.js';
import { query } from '../helpers/duckdb.js';
import { tempDir, writePipeline } from '../helpers/project.js';
import { redisWithWorkers, startWorker } from '../helpers/workers.js';

/** 8 daily files of readings; in some files every value is whole, so each file alone would sniff as BIGINT. */
async function writeReadings(dir: string, bad?: { file: number; line: string }): Promise<void> {
  await mkdir(path.join(dir, 'data'), { recursive: true });
  for (let f = 1; f <= 8; f++) {
    const lines = ['device,ts,value'];
    for (let i = 0; i < 500; i++) lines.push(`d${i % 7},2026-01-0${f} ${String(i % 24).padStart(2, '0')}:00:00,${f % 2 ? i % 50 : (i % 50) + 0.5}`);
    if (bad?.file === f) lines.push(bad.line);
    await writeFile(path.join(dir, 'data', `day${f}.csv`), lines.join('\n') + '\n');
  }
}

const steps = [
  { layer: 'ingest', name: 'load', value: 'data/day*.csv', params: { partition: 'files', partition_size: 2 }, outputs: { data: 'raw' } },
  { layer: 'transform', name: 'clean', value: "SELECT device, CAST(ts AS TIMESTAMP) AS ts, value FROM raw WHERE device <> 'd6'", inputs: { raw: 'raw' }, outputs: { data: 'silver' } },
  { layer: 'transform', name: 'enrich', value: 'SELECT *, value * 2 AS doubled, CAST(ts AS DATE) AS day FROM silver', inputs: { silver: 'silver' }, outputs: { data: 'rows' } },
  { layer: 'transform', name: 'daily', value: 'SELECT device, day, count(*) AS n, sum(value) AS total, max(doubled) AS peak FROM rows GROUP BY ALL', inputs: { rows: 'rows' }, outputs: { data: 'gold' } },
  { layer: 'store', name: 'save', value: 'out/daily.parquet', inputs: { data: 'gold' } },
];

const sorted = (file: string) => query(`SELECT * FROM read_parquet('${file}') ORDER BY ALL`);

describe('partitioned steps on --executor bullmq', () => {
  const redis = redisWithWorkers();

  it('fans an 8-file ingest and its row-wise chain out in parts over 2 workers, and gives the gold of a local run', async () => {
    const local = await tempDir('odibi-part-local-');
    await writeReadings(local);
    await writePipeline(local, steps);
    expect((await odibi(['run', 'pipeline.json'], { cwd: local })).code).toBe(0);

    const dir = await tempDir('odibi-part-');
    await writeReadings(dir);
    await writePipeline(dir, steps);
    const [a, b] = await Promise.all([startWorker(redis.url), startWorker(redis.url)]);
    const r = await odibi(['run', 'pipeline.json', '--executor', 'bullmq', '--redis', redis.url, '--json'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await sorted(path.join(dir, 'out/daily.parquet'))).toEqual(await sorted(path.join(local, 'out/daily.parquet')));
    // The glob's types, not each part's: value is DOUBLE everywhere.
    expect((await query(`DESCRIBE SELECT * FROM read_parquet('${dir}/out/daily.parquet')`)).find((c) => c.column_name === 'total')?.column_type).toBe('DOUBLE');

    const ev = events(r.stdout);
    const note = ev.find((e) => e.type === 'run_log' && /fans out/.test(e.message))?.message;
    expect(note).toBe('load fans out over 8 files in 4 parts: load → clean → enrich runs per part (then daily is not row by row (HASH_GROUP_BY))');
    // Four part jobs ran the chain; daily ran once, on the union.
    const parts = [...a.lines, ...b.lines].filter((l) => l.startsWith('✓ load → enrich'));
    expect(parts, [...a.lines, ...b.lines].join('\n')).toHaveLength(4);
    expect([...a.lines, ...b.lines].filter((l) => l.startsWith('✓ daily'))).toHaveLength(1);
    const runId = ev.find((e) => e.type === 'run_start')!.runId;
    const record = JSON.parse(await readFile(path.join(dir, '.odibi/runs', `${runId}.json`), 'utf8'));
    const byName = Object.fromEntries(Object.values(record.steps as Record<string, { name: string; rowsOut: number | null; worker?: string; status: string }>).map((st) => [st.name, st]));
    expect(byName.enrich.rowsOut).toBe(8 * 500 - 8 * 71);
    expect(byName.load.worker).toMatch(/:\d+/);
    expect(Object.values(byName).every((st) => st.status === 'success')).toBe(true);
  }, 120_000);

  it('names the step and the part whose file is bad, and commits nothing', async () => {
    const dir = await tempDir('odibi-part-bad-');
    await writeReadings(dir, { file: 7, line: 'd1,not a time,3' });
    // enrich may retry once: the retry runs again only the part that failed.
    await writePipeline(dir, steps.map((s) => (s.name === 'enrich' ? { ...s, params: { retries: 1, retry_delay_ms: 10 } } : s)));
    const w = await startWorker(redis.url);
    const r = await odibi(['run', 'pipeline.json', '--executor', 'bullmq', '--redis', redis.url, '--json'], { cwd: dir });
    expect(r.code).toBe(1);
    const ev = events(r.stdout);
    const err = ev.find((e) => e.type === 'step_error');
    expect(err?.step).toBe('enrich');
    expect(err?.error.message).toMatch(/^part 4 of 4 \(day7\.csv, day8\.csv\): .*not a time/s);
    expect(ev.filter((e) => e.type === 'step_start' && e.step === 'enrich')).toHaveLength(2);
    expect(w.lines.filter((l) => /^→ load \(run .*, attempt 1\)/.test(l))).toHaveLength(4);
    expect(w.lines.filter((l) => /^→ load \(run .*, attempt 2\)/.test(l))).toHaveLength(1);
    expect(await query(`SELECT count(*) AS n FROM glob('${dir}/out/*')`)).toEqual([{ n: 0 }]);
  }, 60_000);

  describe.each(BACKENDS)('with the exchange on %s', (_label, start) => {
    let store: Backend;
    beforeAll(async () => {
      store = await start();
    }, 120_000);
    afterAll(async () => store?.stop());

    it('passes the parts and the datasets between workers through the store, and clears them at the end', async () => {
      const local = await tempDir('odibi-part-local-');
      await writeReadings(local);
      await writePipeline(local, steps);
      expect((await odibi(['run', 'pipeline.json'], { cwd: local })).code).toBe(0);
      const dir = await tempDir('odibi-part-store-');
      await writeReadings(dir);
      await writePipeline(dir, steps);
      await Promise.all([startWorker(redis.url, [], store.env()), startWorker(redis.url, [], store.env())]);
      const r = await odibi(['run', 'pipeline.json', '--executor', 'bullmq', '--redis', redis.url, '--exchange', store.uri('exchange'), '--json'], { cwd: dir, env: store.env() });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(await sorted(path.join(dir, 'out/daily.parquet'))).toEqual(await sorted(path.join(local, 'out/daily.parquet')));
      expect(await stat(path.join(dir, '.odibi/exchange')).then(() => true, () => false)).toBe(false);
      expect(await store.keys('exchange/')).toEqual([]);
    }, 120_000);
  });
});
