#!/usr/bin/env node
// Streaming benchmarks (part of `npm run bench`). Not a timed test: each number is printed next to
// a baseline measured in the same run.
//
// (s1) Latency: a file lands in the watched folder (written under a hidden name, then renamed) →
//      its rows are committed in the sink. 200 files, one at a time, through `startStream`
//      (file_watch → SQL transform → append Parquet sink, offsets/commits logs on). p50 and p95;
//      target p50 < 100 ms. Baseline: a hand-written loop on the same files — fs.watch plus one
//      raw @duckdb/node-api COPY per file — which has none of ODIBI's guarantees.
// (s2) Checkpointing cost: the same 200 one-file batches (max_files: 1) with and without the
//      offsets and commits logs (checkpoint: false); medians of BENCH_STREAM_REPEAT (3) alternating
//      runs. Target overhead ≤ 5%.
//
//   node core/bench/stream.mjs          (core must be built; BENCH_STREAM_FILES to change 200)
import { watch } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { runContinuous, startStream } from '../dist/index.js';

const FILES = Number(process.env.BENCH_STREAM_FILES ?? 200);
const REPEAT = Number(process.env.BENCH_STREAM_REPEAT ?? 3);
const ROWS = 200;
const SQL = 'SELECT device, ts, round(temp * 1.8 + 32, 2) AS temp_f FROM raw WHERE temp IS NOT NULL';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const median = (xs) => quantile(xs, 0.5);

function csv(i) {
  const lines = ['device,ts,temp'];
  for (let r = 0; r < ROWS; r++) lines.push(`d${r % 7},2026-01-01 00:${String(r % 60).padStart(2, '0')}:00,${r % 11 === 0 ? '' : (20 + ((i * 31 + r) % 17)).toFixed(1)}`);
  return `${lines.join('\n')}\n`;
}

async function drop(dir, name, content) {
  await writeFile(path.join(dir, `.${name}.tmp`), content);
  await rename(path.join(dir, `.${name}.tmp`), path.join(dir, name));
}

async function project(maxFiles) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'odibi-sbench-'));
  await mkdir(path.join(dir, 'in'));
  await writeFile(path.join(dir, 'pipeline.json'), JSON.stringify({ name: 'bench', steps: [
    { layer: 'ingest', name: 'readings', value: 'in', params: { stream: { mode: 'file_watch', pattern: '*.csv', ...(maxFiles ? { max_files: maxFiles } : {}) } }, outputs: { data: 'raw' } },
    { layer: 'transform', name: 'fahrenheit', value: SQL, inputs: { raw: 'raw' }, outputs: { data: 'out' } },
    { layer: 'store', name: 'sink', value: 'out', params: { mode: 'append' }, inputs: { data: 'out' } },
  ] }));
  return dir;
}

/**
 * Drops the files one at a time into `inDir`, each after the previous one's rows are committed
 * (`committed()` resolves then, with the commit time); returns each file's latency.
 */
async function feed(inDir, committed) {
  const lat = [];
  for (let i = 0; i < FILES + 5; i++) {
    const t0 = performance.now();
    const done = committed();
    await drop(inDir, `f${String(i).padStart(5, '0')}.csv`, csv(i));
    const t1 = await done;
    if (i >= 5) lat.push(t1 - t0); // the first few warm up module loading
    await sleep(5 + (i % 4) * 5);
  }
  return lat;
}

/** (s1) ODIBI: arrival → batch committed, file by file. */
async function odibiLatency() {
  const dir = await project();
  let notify;
  const handle = await startStream(path.join(dir, 'pipeline.json'), {
    triggerIntervalMs: 1000, workers: 2,
    onEvent: (e) => {
      if (e.type === 'batch_end') notify?.(performance.now());
    },
  });
  const lat = await feed(path.join(dir, 'in'), () => new Promise((r) => (notify = r)));
  await handle.stop();
  await rm(dir, { recursive: true, force: true });
  return lat;
}

/** (s1) Baseline: fs.watch + one raw DuckDB COPY per new file. */
async function rawLatency() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'odibi-sbench-raw-'));
  await mkdir(path.join(dir, 'in'));
  await mkdir(path.join(dir, 'out'));
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  let notify;
  let n = 0;
  const seen = new Set();
  const watcher = watch(path.join(dir, 'in'), async (_ev, name) => {
    if (!name || name.startsWith('.') || seen.has(name)) return;
    seen.add(name);
    const file = path.join(dir, 'in', name);
    await conn.run(`COPY (${SQL.replace('FROM raw', `FROM read_csv('${file}')`)}) TO '${path.join(dir, 'out', `part-${n++}.parquet`)}' (FORMAT parquet)`);
    notify?.(performance.now());
  });
  const lat = await feed(path.join(dir, 'in'), () => new Promise((r) => (notify = r)));
  watcher.close();
  conn.closeSync();
  inst.closeSync();
  await rm(dir, { recursive: true, force: true });
  return lat;
}

/** (s2) The same FILES one-file batches, back to back, with or without the logs. */
async function batches(checkpoint) {
  const dir = await project(1);
  for (let i = 0; i < FILES; i++) await writeFile(path.join(dir, 'in', `f${String(i).padStart(5, '0')}.csv`), csv(i));
  const t0 = performance.now();
  const summary = await runContinuous(path.join(dir, 'pipeline.json'), { maxBatches: FILES, checkpoint, workers: 2 });
  const ms = performance.now() - t0;
  if (summary.batches !== FILES) throw new Error(`expected ${FILES} batches, got ${summary.batches}`);
  await rm(dir, { recursive: true, force: true });
  return ms;
}

console.log(`ODIBI streaming benchmark: ${FILES} files of ${ROWS} rows`);
const o = await odibiLatency();
const r = await rawLatency();
console.log('');
console.log('(s1) file arrival → rows committed in the sink');
console.log(`     odibi stream     p50 ${median(o).toFixed(1)} ms   p95 ${quantile(o, 0.95).toFixed(1)} ms   (target p50 < 100 ms: ${median(o) < 100 ? 'ok' : 'MISSED'})`);
console.log(`     raw fs.watch+DuckDB p50 ${median(r).toFixed(1)} ms   p95 ${quantile(r, 0.95).toFixed(1)} ms   ratio p50 ${(median(o) / median(r)).toFixed(2)}x (no logs, no replay, no atomic parts)`);

const withLogs = [];
const without = [];
for (let i = 0; i < REPEAT; i++) {
  without.push(await batches(false));
  withLogs.push(await batches(true));
}
const overhead = (median(withLogs) / median(without) - 1) * 100;
console.log('');
console.log(`(s2) ${FILES} one-file batches, medians of ${REPEAT}`);
console.log(`     with offsets/commits logs ${median(withLogs).toFixed(0)} ms, without ${median(without).toFixed(0)} ms: overhead ${overhead.toFixed(1)}% (${(median(withLogs) / FILES).toFixed(1)} vs ${(median(without) / FILES).toFixed(1)} ms per batch; target ≤ 5%: ${overhead <= 5 ? 'ok' : 'MISSED'})`);
process.exit(0);
