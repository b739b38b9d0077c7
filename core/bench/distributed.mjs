#!/usr/bin/env node
// Distributed executor benchmark (`npm run bench`): the IoT example (BENCH_DIST_READINGS readings,
// default 5,000,000) run by a coordinator on 2 `odibi worker` processes (BullMQ on a real
// redis-server started here, on 127.0.0.1) against the same config run in one local process, in
// the same run on the same machine, alternating, each in a fresh process; medians compared.
// Target: ≤ 1.10 (≤ 10% overhead). Both sides' outputs are checked equal after the warm-up round.
//
// (e) partitioned: an ingest of 8 CSV files (BENCH_PART_ROWS rows each, default 500,000) with
// `partition: "files"`, its row-wise chain and a daily aggregate, on 2 workers against 1 worker.
// Each worker stands for a one-core machine (concurrency 1, one DuckDB thread), since on this
// 2-core box a single worker's DuckDB would already use both cores. Target: a real speed-up (the
// ratio 1 worker / 2 workers above 1); outputs are checked equal to a local run's.
//
// What the (d) ratio holds: every dataset a step reads from another job goes through Parquet in
// the exchange (a local run keeps it in DuckDB), one BullMQ job per step, and on this 2-core
// machine the two workers and the coordinator share the same two cores.
//
//   BENCH_DIST_READINGS=200000 BENCH_PART_ROWS=100000 BENCH_REPEAT=1 node core/bench/distributed.mjs   (smoke run)
//   BENCH_DIST_ONLY=d (or e) runs one of the two.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const EXAMPLE = path.resolve(HERE, '../../examples/iot');
const CLI = path.resolve(HERE, '../bin/odibi.js');
const READINGS = Number(process.env.BENCH_DIST_READINGS ?? 5_000_000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const TARGET = 1.1;
const ONLY = process.env.BENCH_DIST_ONLY;
const PART_ROWS = Number(process.env.BENCH_PART_ROWS ?? 500_000);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const secs = (ms) => `${(ms / 1000).toFixed(2)} s`;

function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${path.basename(args[0] ?? cmd)} exited ${code}\n${err.slice(-2000)}`))));
  });
}

const freePort = () => new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});

async function rowsEqual(a, b, files = ['out/gold/device_health.parquet', 'out/silver/readings.parquet']) {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    for (const f of files) {
      const q = (x, y) => `SELECT count(*)::INT AS n FROM (SELECT * FROM read_parquet('${path.join(x, f)}') EXCEPT ALL SELECT * FROM read_parquet('${path.join(y, f)}'))`;
      const [[d1]] = (await c.runAndReadAll(q(a, b))).getRows();
      const [[d2]] = (await c.runAndReadAll(q(b, a))).getRows();
      if (d1 !== 0 || d2 !== 0) return `${f} differs`;
    }
    return undefined;
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

const PART_PIPELINE = {
  name: 'partitioned',
  steps: [
    { layer: 'ingest', name: 'load', value: 'data/day*.csv', params: { partition: 'files' }, outputs: { data: 'raw' } },
    { layer: 'transform', name: 'clean', value: "SELECT device, CAST(ts AS TIMESTAMP) AS ts, value FROM raw WHERE value >= 0 AND device <> 'd-0'", inputs: { raw: 'raw' }, outputs: { data: 'silver' } },
    { layer: 'transform', name: 'enrich', value: "SELECT *, CAST(ts AS DATE) AS day, value * 1.8 + 32 AS value_f, regexp_replace(device, '^d-', 'device ') AS label FROM silver", inputs: { silver: 'silver' }, outputs: { data: 'rows' } },
    { layer: 'transform', name: 'daily', value: 'SELECT label, day, count(*) AS n, avg(value_f) AS mean_f, max(value) AS peak FROM rows GROUP BY ALL', inputs: { rows: 'rows' }, outputs: { data: 'gold' } },
    { layer: 'store', name: 'save', value: 'out/daily.parquet', inputs: { data: 'gold' } },
  ],
};

/** (e): 8 files fanned out over 2 single-core workers vs 1. */
async function partitioned(tmp, redis, children) {
  console.log(`\n(e) partitioned: 8 CSV files × ${PART_ROWS.toLocaleString('en-US')} rows, partition: "files", on 2 workers vs 1 (each: concurrency 1, 1 DuckDB thread)`);
  const dir = path.join(tmp, 'part');
  await mkdir(path.join(dir, 'data'), { recursive: true });
  await writeFile(path.join(dir, 'pipeline.json'), JSON.stringify(PART_PIPELINE, null, 2));
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  for (let f = 1; f <= 8; f++) {
    await c.run(`COPY (SELECT 'd-' || (i % 97) AS device, TIMESTAMP '2026-01-01' + INTERVAL (${f}) DAY + INTERVAL (i % 86400) SECOND AS ts, round((i * 7919 % 10000) / 100.0 - 5, 2) AS value FROM range(${PART_ROWS}) t(i)) TO '${path.join(dir, 'data', `day${f}.csv`)}' (HEADER)`);
  }
  c.closeSync();
  db.closeSync();
  const env = { ...process.env, ODIBI_DUCKDB_THREADS: '1' };
  const start = (queue) => children.push(spawn(process.execPath, [CLI, 'worker', '--redis', redis, '--queue', queue, '--concurrency', '1'], { stdio: 'ignore', env }));
  start('one');
  start('two');
  start('two');
  await new Promise((r) => setTimeout(r, 1500));
  const worker = path.join(HERE, 'odibi-worker.mjs');
  const config = path.join(dir, 'pipeline.json');
  const once = async (queue) => {
    await rm(path.join(dir, 'out'), { recursive: true, force: true });
    return JSON.parse((await run(process.execPath, [worker, 'run', config, '--executor', 'bullmq', '--redis', redis, '--queue', queue])).trim().split('\n').pop()).wallMs;
  };
  const times = { one: [], two: [] };
  for (let i = 0; i <= REPEAT; i++) {
    const one = await once('one');
    const two = await once('two');
    const label = i === 0 ? 'warm-up' : `run ${i}/${REPEAT}`;
    console.log(`    ${label.padEnd(9)} 1 worker ${secs(one)}  2 workers ${secs(two)}`);
    if (i === 0) {
      // The same gold as a local run (DuckDB on both cores, no partitions).
      const local = path.join(tmp, 'part-local');
      await mkdir(local, { recursive: true });
      await run('cp', ['-r', path.join(dir, 'data'), path.join(local, 'data')]);
      await writeFile(path.join(local, 'pipeline.json'), JSON.stringify(PART_PIPELINE));
      await run(process.execPath, [worker, 'run', path.join(local, 'pipeline.json')]);
      const problem = await rowsEqual(local, dir, ['out/daily.parquet']);
      if (problem) throw new Error(`partitioned and local runs wrote different outputs: ${problem}`);
      console.log('    outputs match a local run');
      continue;
    }
    times.one.push(one);
    times.two.push(two);
  }
  const speedup = median(times.one) / median(times.two);
  console.log(`\nbenchmark                              1 worker     2 workers  speed-up  target`);
  console.log(`(e) partitioned 8-file ingest          ${secs(median(times.one)).padEnd(12)} ${secs(median(times.two)).padEnd(10)} ${speedup.toFixed(2)}×     > 1.00  ${speedup > 1 ? 'ok' : 'MISSED'}`);
}

async function main() {
  if (!existsSync(CLI) || !existsSync(path.resolve(HERE, '../dist/index.js'))) throw new Error('core is not built: npm run build');
  const redisBin = ['/usr/bin/redis-server', '/usr/sbin/redis-server'].find(existsSync);
  if (!redisBin) throw new Error('redis-server is not installed: bash scripts/setup.sh --system');
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'odibi-dist-bench-'));
  const children = [];
  try {
    const port = await freePort();
    children.push(spawn(redisBin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' }));
    const redis = `redis://127.0.0.1:${port}`;
    if (ONLY !== 'e') {
      console.log(`(d) distributed: IoT ${READINGS.toLocaleString('en-US')} readings, coordinator + 2 workers vs one process`);
      const dirs = { local: path.join(tmp, 'local'), dist: path.join(tmp, 'dist') };
      await run(process.execPath, [path.join(EXAMPLE, 'generate.mjs'), '--readings', String(READINGS), '--devices', '200', '--out', path.join(dirs.local, 'data')]);
      await run('cp', ['-r', dirs.local, dirs.dist]);
      for (const d of Object.values(dirs)) {
        await copyFile(path.join(EXAMPLE, 'pipeline.json'), path.join(d, 'pipeline.json'));
        await copyFile(path.join(EXAMPLE, 'transforms.ts'), path.join(d, 'transforms.ts'));
      }
      await new Promise((r) => setTimeout(r, 300));
      const pool = [0, 1].map(() => spawn(process.execPath, [CLI, 'worker', '--redis', redis], { stdio: 'ignore' }));
      children.push(...pool);
      await new Promise((r) => setTimeout(r, 1500));
      const worker = path.join(HERE, 'odibi-worker.mjs');
      const times = { local: [], dist: [] };
      for (let i = 0; i <= REPEAT; i++) {
        for (const d of Object.values(dirs)) await rm(path.join(d, 'out'), { recursive: true, force: true });
        const l = JSON.parse((await run(process.execPath, [worker, 'run', path.join(dirs.local, 'pipeline.json')])).trim().split('\n').pop());
        const o = JSON.parse((await run(process.execPath, [worker, 'run', path.join(dirs.dist, 'pipeline.json'), '--executor', 'bullmq', '--redis', redis])).trim().split('\n').pop());
        const label = i === 0 ? 'warm-up' : `run ${i}/${REPEAT}`;
        console.log(`    ${label.padEnd(9)} local ${secs(l.wallMs)}  distributed ${secs(o.wallMs)}`);
        if (i === 0) {
          const problem = await rowsEqual(dirs.local, dirs.dist);
          if (problem) throw new Error(`distributed and local runs wrote different outputs: ${problem}`);
          console.log('    outputs match');
          continue;
        }
        times.local.push(l.wallMs);
        times.dist.push(o.wallMs);
      }
      const ratio = median(times.dist) / median(times.local);
      console.log(`\nbenchmark                              distributed  local     ratio  target`);
      console.log(`(d) iot on coordinator + 2 workers     ${secs(median(times.dist)).padEnd(12)} ${secs(median(times.local)).padEnd(9)} ${ratio.toFixed(2)}   ≤ ${TARGET.toFixed(2)}  ${ratio <= TARGET ? 'ok' : 'MISSED'}`);
      for (const w of pool) w.kill('SIGKILL');
    }
    if (ONLY !== 'd') await partitioned(tmp, redis, children);
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await rm(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`\nbenchmark failed: ${err?.stack ?? err}`);
  process.exit(1);
});
