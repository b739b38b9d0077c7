#!/usr/bin/env node
// Distributed executor benchmark (`npm run bench`): the IoT example (BENCH_DIST_READINGS readings,
// default 5,000,000) run by a coordinator on 2 `odibi worker` processes (BullMQ on a real
// redis-server started here, on 127.0.0.1) against the same config run in one local process, in
// the same run on the same machine, alternating, each in a fresh process; medians compared.
// Target: ≤ 1.10 (≤ 10% overhead). Both sides' outputs are checked equal after the warm-up round.
//
// What the ratio holds: every dataset goes through Parquet files in the exchange (a local run
// keeps them in DuckDB, and fuses some), one BullMQ job per step, and on this 2-core machine the
// two workers and the coordinator share the same two cores.
//
//   BENCH_DIST_READINGS=200000 BENCH_REPEAT=1 node core/bench/distributed.mjs     (smoke run)
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
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

async function rowsEqual(a, b) {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    for (const f of ['out/gold/device_health.parquet', 'out/silver/readings.parquet']) {
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
    console.log(`(d) distributed: IoT ${READINGS.toLocaleString('en-US')} readings, coordinator + 2 workers vs one process`);
    const dirs = { local: path.join(tmp, 'local'), dist: path.join(tmp, 'dist') };
    await run(process.execPath, [path.join(EXAMPLE, 'generate.mjs'), '--readings', String(READINGS), '--devices', '200', '--out', path.join(dirs.local, 'data')]);
    await run('cp', ['-r', dirs.local, dirs.dist]);
    for (const d of Object.values(dirs)) {
      await copyFile(path.join(EXAMPLE, 'pipeline.json'), path.join(d, 'pipeline.json'));
      await copyFile(path.join(EXAMPLE, 'transforms.ts'), path.join(d, 'transforms.ts'));
    }
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 2; i++) children.push(spawn(process.execPath, [CLI, 'worker', '--redis', redis], { stdio: 'ignore' }));
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
    console.log('    partitioned 8-file ingest on 2 workers vs 1: not measured (params.partition is not built yet)');
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await rm(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`\nbenchmark failed: ${err?.stack ?? err}`);
  process.exit(1);
});
