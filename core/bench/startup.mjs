#!/usr/bin/env node
// Start-up benchmark (`npm run bench`): how long a user waits for the `odibi` command itself.
//
//   --version   `odibi --version` against a bare `node -e ""`            target ≤ 2.0×
//   validate    `odibi validate` of a 3-step config against a script that starts DuckDB and runs
//               `SELECT 1` (validate is a dry run on DuckDB, so that is its floor)   target ≤ 1.3×
//
// Each variant runs BENCH_STARTUP_REPEAT times (default 15) as a fresh process, alternating with
// its baseline so machine drift hits both; medians are compared. Wall time includes process exit.
//
//   node core/bench/startup.mjs          (core must be built)
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.resolve(HERE, '../bin/odibi.js');
const REPEAT = Number(process.env.BENCH_STARTUP_REPEAT ?? 15);

function wall(args, cwd) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function compare(label, odibiArgs, baselineArgs, target, cwd) {
  wall(odibiArgs, cwd); // warm the file cache for both
  wall(baselineArgs, cwd);
  const a = [];
  const b = [];
  for (let i = 0; i < REPEAT; i++) {
    a.push(wall(odibiArgs, cwd));
    b.push(wall(baselineArgs, cwd));
  }
  const ratio = median(a) / median(b);
  return { label, odibiMs: median(a), baselineMs: median(b), ratio, target };
}

const tmp = await mkdtemp(path.join(os.tmpdir(), 'odibi-bench-startup-'));
try {
  const config = path.join(tmp, 'pipeline.json');
  await writeFile(config, JSON.stringify({
    pipeline: 'small',
    steps: [
      { layer: 'ingest', name: 'numbers', type: 'sql', value: 'SELECT range AS id FROM range(10)', outputs: { data: 'n' } },
      { layer: 'transform', name: 'doubled', value: 'SELECT id * 2 AS x FROM n', inputs: { n: 'n' }, outputs: { data: 'd' } },
      { layer: 'store', name: 'save', value: 'out/doubled.parquet', inputs: { data: 'd' } },
    ],
  }));
  // Resolved from core/, where @duckdb/node-api is installed.
  const select1 = path.join(HERE, '.select1.tmp.mjs');
  await writeFile(select1, [
    "import { DuckDBInstance } from '@duckdb/node-api';",
    "const db = await DuckDBInstance.create(':memory:');",
    'const c = await db.connect();',
    "await (await c.run('SELECT 1')).getRows();",
  ].join('\n'));
  try {
    const results = [
      compare('odibi --version  vs  node -e ""', [BIN, '--version'], ['-e', ''], 2.0, tmp),
      compare('odibi validate   vs  DuckDB SELECT 1', [BIN, 'validate', config], [select1], 1.3, tmp),
    ];
    console.log(`Start-up (${REPEAT} runs each, medians)`);
    for (const r of results) {
      console.log(`  ${r.label.padEnd(40)} ${Math.round(r.odibiMs)} ms / ${Math.round(r.baselineMs)} ms = ${r.ratio.toFixed(2)}×  (target ≤ ${r.target.toFixed(1)}: ${r.ratio <= r.target ? 'ok' : 'MISSED'})`);
    }
  } finally {
    await rm(select1, { force: true });
  }
} finally {
  await rm(tmp, { recursive: true, force: true });
}
