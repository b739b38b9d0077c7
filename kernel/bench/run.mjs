// Kernel benchmark: (1) trivial cell round trip through jupyter_client, median over 200 cells, odibi
// kernel vs plain tslab 1.0.22 started the same way (kernelspecs in the same temp prefix, same
// client) in the same run, alternating rounds; target ratio <= 1.0. (2) A %%sql aggregate over 1M
// rows through the kernel vs the same CREATE TABLE AS on raw @duckdb/node-api; target overhead
// <= 15 ms. Not a test: it prints numbers for the README.
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const kernelCli = path.join(here, '../dist/cli.js');
const tslabBin = path.join(here, '../../node_modules/tslab/bin/tslab');
const CELLS = Number(process.env.BENCH_CELLS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const SQL_REPEATS = Number(process.env.BENCH_SQL_REPEATS ?? 10);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function rawSql() {
  const inst = await DuckDBInstance.create(':memory:');
  const c = await inst.connect();
  await c.run('CREATE TABLE big AS SELECT range AS id, range % 100 AS k FROM range(1000000)');
  const times = [];
  for (let i = 0; i < SQL_REPEATS + 2; i++) {
    const t0 = performance.now();
    await c.run('CREATE OR REPLACE TABLE agg AS SELECT k, count(*) AS n, avg(id) AS mean_id FROM big GROUP BY k');
    if (i >= 2) times.push(performance.now() - t0);
  }
  c.closeSync();
  inst.closeSync();
  return median(times);
}

const prefix = await mkdtemp(path.join(os.tmpdir(), 'odibi-kbench-'));
try {
  await run(process.execPath, [kernelCli, 'install', '--prefix', prefix]);
  const tslabDir = path.join(prefix, 'share/jupyter/kernels/tslab');
  await mkdir(tslabDir, { recursive: true });
  await writeFile(path.join(tslabDir, 'kernel.json'), JSON.stringify({ argv: [process.execPath, tslabBin, 'kernel', '--config-path', '{connection_file}'], display_name: 'tslab', language: 'typescript' }));
  const env = { ...process.env, JUPYTER_PATH: path.join(prefix, 'share/jupyter'), JUPYTER_RUNTIME_DIR: path.join(prefix, 'runtime'), PYDEVD_DISABLE_FILE_VALIDATION: '1' };
  const timing = async (kernel, sql, cells) => JSON.parse((await run('/usr/bin/python3', [path.join(here, 'kernel_timing.py'), kernel, String(cells), String(sql)], { env, timeout: 600_000 })).stdout);

  console.log(`ODIBI kernel benchmark: ${CELLS} trivial cells x ${ROUNDS} rounds, %%sql over 1M rows x ${SQL_REPEATS}`);
  // Plain tslab loses its final 'idle' after ~512 quick sends (the defect this kernel fixes), so
  // both kernels run their cells in fresh sessions of at most 100.
  const CHUNK = 100;
  const odibi = [];
  const tslab = [];
  let sqlMs;
  for (let r = 0; r < ROUNDS; r++) {
    for (let done = 0; done < CELLS; done += CHUNK) {
      const n = Math.min(CHUNK, CELLS - done);
      const o = await timing('odibi', r === 0 && done === 0 ? SQL_REPEATS : 0, n);
      odibi.push(...o.trivial_ms);
      sqlMs ??= o.sql_ms;
      tslab.push(...(await timing('tslab', 0, n)).trivial_ms);
    }
    console.log(`  round ${r + 1}: odibi ${median(odibi).toFixed(2)} ms, tslab ${median(tslab).toFixed(2)} ms per cell (medians so far)`);
  }
  const raw = await rawSql();
  const o = median(odibi);
  const t = median(tslab);
  console.log('');
  console.log('benchmark                          odibi      baseline   result   target');
  console.log(`trivial cell round trip (median)   ${o.toFixed(2)} ms   ${t.toFixed(2)} ms   ${(o / t).toFixed(2)}x    <= 1.0  ${o / t <= 1 ? 'ok' : 'MISSED'}`);
  console.log(`%%sql aggregate, 1M rows           ${sqlMs.toFixed(1)} ms   ${raw.toFixed(1)} ms    +${(sqlMs - raw).toFixed(1)} ms  <= 15 ms ${sqlMs - raw <= 15 ? 'ok' : 'MISSED'}`);
  console.log('baselines: plain tslab 1.0.22 through the same jupyter_client; the same SQL on raw @duckdb/node-api (no client round trip).');
} finally {
  await rm(prefix, { recursive: true, force: true });
}
