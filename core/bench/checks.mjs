#!/usr/bin/env node
// Data checks benchmark (`npm run bench`): the IoT example (BENCH_CHECK_READINGS readings, default
// 5,000,000) with four checks against the same config without them, each run in a fresh process,
// alternating, a warm-up round then medians of BENCH_REPEAT (3). Target: ≤ 1.10 (checks cost ≤ 10%).
//
// The four checks, the kinds a production pipeline puts on its silver and gold data: on
// silver_readings (5M rows) not_null(reading_id, device_id, ts), relationships(device_id →
// bronze_devices) and a range check in SQL; on gold_device_daily unique(device_id, day).
//
//   BENCH_CHECK_READINGS=200000 BENCH_REPEAT=1 node core/bench/checks.mjs     (smoke run)
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const EXAMPLE = path.resolve(HERE, '../../examples/iot');
const READINGS = Number(process.env.BENCH_CHECK_READINGS ?? 5_000_000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const TARGET = 1.1;

const CHECKS = {
  clean_readings: [
    { type: 'not_null', columns: ['reading_id', 'device_id', 'ts'] },
    { type: 'relationships', column: 'device_id', to: 'bronze_devices', field: 'device_id' },
    { type: 'sql', name: 'temperature_in_range', query: 'SELECT * FROM data WHERE temperature_c NOT BETWEEN -40 AND 85' },
  ],
  device_daily: [{ type: 'unique', columns: ['device_id', 'day'] }],
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const secs = (ms) => `${(ms / 1000).toFixed(2)} s`;

function run(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${path.basename(args[0])} exited ${code}\n${err.slice(-2000)}`))));
  });
}

async function main() {
  if (!existsSync(path.resolve(HERE, '../dist/index.js'))) throw new Error('core is not built: npm run build');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'odibi-checks-bench-'));
  try {
    console.log(`(c) data checks: IoT ${READINGS.toLocaleString('en-US')} readings, with four checks vs without`);
    await run([path.join(EXAMPLE, 'generate.mjs'), '--readings', String(READINGS), '--devices', '200', '--out', path.join(dir, 'data')]);
    await copyFile(path.join(EXAMPLE, 'transforms.ts'), path.join(dir, 'transforms.ts'));
    const config = JSON.parse(await readFile(path.join(EXAMPLE, 'pipeline.json'), 'utf8'));
    await writeFile(path.join(dir, 'plain.json'), JSON.stringify(config));
    const checked = { ...config, steps: config.steps.map((s) => (CHECKS[s.name] ? { ...s, params: { ...s.params, checks: CHECKS[s.name] } } : s)) };
    await writeFile(path.join(dir, 'checked.json'), JSON.stringify(checked));
    const worker = path.join(HERE, 'odibi-worker.mjs');
    const once = async (file) => JSON.parse((await run([worker, 'run', path.join(dir, file)])).trim().split('\n').pop()).wallMs;
    const times = { plain: [], checked: [] };
    for (let i = 0; i <= REPEAT; i++) {
      const plain = await once('plain.json');
      const withChecks = await once('checked.json');
      console.log(`    ${(i === 0 ? 'warm-up' : `run ${i}/${REPEAT}`).padEnd(9)} without ${secs(plain)}  with four checks ${secs(withChecks)}`);
      if (i === 0) continue;
      times.plain.push(plain);
      times.checked.push(withChecks);
    }
    const ratio = median(times.checked) / median(times.plain);
    console.log(`\nbenchmark                              with checks  without   ratio  target`);
    console.log(`(c) iot with four data checks          ${secs(median(times.checked)).padEnd(12)} ${secs(median(times.plain)).padEnd(9)} ${ratio.toFixed(2)}   ≤ ${TARGET.toFixed(2)}  ${ratio <= TARGET ? 'ok' : 'MISSED'}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`\nbenchmark failed: ${err?.stack ?? err}`);
  process.exit(1);
});
