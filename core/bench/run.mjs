#!/usr/bin/env node
// ODIBI benchmarks (`npm run bench`). Not a timed test: every number is compared with a baseline
// measured in the same run on the same machine, so the ratios mean something on a noisy box.
//
// (a) Throughput — the IoT example (examples/iot) scaled to BENCH_READINGS readings (default
//     5,000,000; 200 devices): ODIBI's runPipeline(pipeline.json, { noState: true }) against the
//     same statements written by hand on @duckdb/node-api (iot-raw.mjs: SQL, read_csv options and
//     paths read from the same pipeline.json; the one TypeScript function step ported to plain JS).
//     What the ratio shows: ODIBI's cost on top of DuckDB when the data is big. Target ≤ 1.05.
// (b) Overhead — a synthetic BENCH_STEPS-step DAG (default 2,000) of tiny SQL steps with fan-out
//     and fan-in (dag-gen.mjs): runPipeline with default workers against the same queries run one
//     after another on one raw connection (dag-raw.mjs). What the ratio shows: ODIBI's per-step
//     cost (session, alias binding, output measurement, events, scheduling). Target ≤ 1.3. Also
//     times loadPipeline + createPlan alone for that config.
// (c) Peak RSS of every variant (each runs in its own process, so the number is its own).
//
// Each variant runs BENCH_REPEAT times (default 5) in fresh child processes, alternating ODIBI and
// baseline so drift on the machine hits both; medians are compared. A warm-up round comes first and
// is not counted (ODIBI's first run of a config also pays its dry run; the table shows it apart).
// After the warm-up, benchmark (a) checks that both variants wrote identical outputs, so the
// baseline provably does the same work. Results also go to core/bench/results.json. Temp data is deleted at the end.
//
//   node core/bench/run.mjs                                                  (core must be built)
//   BENCH_READINGS=100000 BENCH_STEPS=200 BENCH_REPEAT=1 node core/bench/run.mjs     (smoke run)
//   BENCH_ONLY=b node core/bench/run.mjs                               (only benchmark a or b)
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDag, toPipeline, toStatements } from './dag-gen.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const EXAMPLE = path.resolve(HERE, '../../examples/iot');
const RESULTS_FILE = path.join(HERE, 'results.json');

const READINGS = intFromEnv('BENCH_READINGS', 5_000_000);
const STEPS = intFromEnv('BENCH_STEPS', 2000);
const REPEAT = intFromEnv('BENCH_REPEAT', 5);
const DEVICES = 200;
const TARGET = { iot: 1.05, dag: 1.3 };

function intFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got '${raw}'`);
  return n;
}

/* ------------------------------------ processes ------------------------------------ */

/** Runs `node <script> ...args`; resolves with the JSON line it printed. */
function spawnNode(script, args, { json = true } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) {
        reject(new Error(`${path.basename(script)} ${args.join(' ')} exited with ${signal ?? code}\n${stderr.trim().split('\n').slice(-20).join('\n')}`));
        return;
      }
      if (!json) return resolve(stdout);
      const line = stdout.trim().split('\n').pop();
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`${path.basename(script)} printed no JSON result:\n${stdout}${stderr}`));
      }
    });
  });
}

const worker = (name, ...args) => spawnNode(path.join(HERE, name), args);

/* ------------------------------------ statistics ----------------------------------- */

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median wall time and the highest peak RSS over a variant's runs. */
function summarize(runs) {
  const ms = runs.map((r) => r.wallMs);
  return {
    medianMs: median(ms), minMs: Math.min(...ms), maxMs: Math.max(...ms),
    peakRssMiB: Math.max(...runs.map((r) => r.maxRssKiB)) / 1024,
    runs,
  };
}

const secs = (ms) => `${(ms / 1000).toFixed(2)} s`;
const mib = (m) => `${Math.round(m)} MiB`;
const count = (n) => (n >= 1e6 && n % 1e5 === 0 ? `${n / 1e6}M` : n >= 1e3 && n % 100 === 0 ? `${n / 1e3}k` : n.toLocaleString('en-US'));
const log = (message) => console.log(message);

/* ----------------------------------- (a) IoT example --------------------------------- */

async function benchIot(tmp) {
  const dir = path.join(tmp, 'iot');
  const config = path.join(dir, 'pipeline.json');
  const rawOut = path.join(dir, 'raw');
  log(`(a) generating ${READINGS.toLocaleString('en-US')} readings, ${DEVICES} devices ...`);
  const t0 = performance.now();
  await spawnNode(path.join(EXAMPLE, 'generate.mjs'), ['--readings', String(READINGS), '--devices', String(DEVICES), '--out', path.join(dir, 'data')], { json: false });
  await copyFile(path.join(EXAMPLE, 'pipeline.json'), config);
  await copyFile(path.join(EXAMPLE, 'transforms.ts'), path.join(dir, 'transforms.ts'));
  log(`    generated in ${secs(performance.now() - t0)}`);

  const outputs = JSON.parse(await readFile(config, 'utf8')).steps.filter((s) => s.layer === 'store' || s.layer === 'publish').map((s) => s.value);
  const runs = { odibi: [], raw: [] };
  let verified;
  let first;
  // Round 0 warms up and is not counted: ODIBI's first run of a config also pays its dry run
  // (later runs read it from the cache; the table shows that first run apart), and both sides'
  // first read of a fresh CSV pays the page cache. Its outputs are the ones checked equal.
  for (let i = 0; i <= REPEAT; i++) {
    await rm(path.join(dir, 'out'), { recursive: true, force: true });
    await rm(rawOut, { recursive: true, force: true });
    const label = i === 0 ? 'warm-up' : `run ${i}/${REPEAT}`;
    const o = await worker('odibi-worker.mjs', 'run', config);
    log(`    ${label.padEnd(9)} odibi    ${secs(o.wallMs)}  ${mib(o.maxRssKiB / 1024)}`);
    const r = await worker('iot-raw.mjs', 'run', config, rawOut);
    log(`    ${label.padEnd(9)} baseline ${secs(r.wallMs)}  ${mib(r.maxRssKiB / 1024)}`);
    if (i === 0) {
      first = o;
      verified = await worker('iot-raw.mjs', 'verify', dir, rawOut, ...outputs);
      if (verified.problems.length) throw new Error(`(a) ODIBI and the baseline wrote different outputs:\n  ${verified.problems.join('\n  ')}`);
      log(`    outputs match: ${Object.entries(verified.rows).map(([f, n]) => `${f} ${n.toLocaleString('en-US')} rows`).join(', ')}`);
      continue;
    }
    runs.odibi.push(o);
    runs.raw.push(r);
  }
  const odibi = summarize(runs.odibi);
  const baseline = summarize(runs.raw);
  return { readings: READINGS, devices: DEVICES, odibi, baseline, firstRun: first, ratio: odibi.medianMs / baseline.medianMs, target: TARGET.iot, outputs: verified.rows };
}

/* --------------------------------- (b) synthetic DAG --------------------------------- */

async function benchDag(tmp) {
  const dir = path.join(tmp, 'dag');
  await mkdir(dir, { recursive: true });
  const dag = generateDag(STEPS);
  const config = path.join(dir, 'pipeline.json');
  const statements = path.join(dir, 'statements.json');
  await writeFile(config, JSON.stringify(toPipeline(dag), null, 2));
  await writeFile(statements, JSON.stringify(toStatements(dag)));
  const edges = dag.reduce((n, s) => n + Object.keys(s.inputs).length, 0);
  log(`(b) ${STEPS.toLocaleString('en-US')} steps, ${edges.toLocaleString('en-US')} input edges`);

  const runs = { odibi: [], raw: [], plan: [] };
  // Not counted: ODIBI's first run of a config also pays its dry run (shown apart in the table).
  const { stepMs: _s, ...first } = await worker('odibi-worker.mjs', 'run', config);
  log(`    warm-up    odibi     ${secs(first.wallMs)}  (dry run not cached yet)`);
  for (let i = 1; i <= REPEAT; i++) {
    runs.odibi.push(await worker('odibi-worker.mjs', 'run', config));
    log(`    run ${i}/${REPEAT}  odibi     ${secs(runs.odibi.at(-1).wallMs)}  ${mib(runs.odibi.at(-1).maxRssKiB / 1024)}`);
    runs.raw.push(await worker('dag-raw.mjs', 'expert', statements));
    log(`    run ${i}/${REPEAT}  baseline  ${secs(runs.raw.at(-1).wallMs)}  ${mib(runs.raw.at(-1).maxRssKiB / 1024)}`);
    if (runs.odibi.at(-1).rows !== runs.raw.at(-1).rows) {
      throw new Error(`(b) ODIBI's results hold ${runs.odibi.at(-1).rows} rows in all, the baseline's ${runs.raw.at(-1).rows}: they did not run the same queries`);
    }
    runs.plan.push(await worker('odibi-worker.mjs', 'plan', config));
    log(`    run ${i}/${REPEAT}  load+plan ${secs(runs.plan.at(-1).wallMs)}`);
  }
  const odibi = summarize(runs.odibi);
  const baseline = summarize(runs.raw);
  const plan = summarize(runs.plan);
  return {
    steps: STEPS, edges, levels: runs.plan[0].levels, workers: runs.odibi[0].workers, rowsStored: runs.raw[0].rows,
    odibi: { ...odibi, runs: odibi.runs.map(({ stepMs, ...r }) => r) },
    baseline, firstRun: first, loadPlan: plan, ratio: odibi.medianMs / baseline.medianMs, target: TARGET.dag,
  };
}

/* -------------------------------------- report -------------------------------------- */

function table(iot, dag) {
  const rows = [['benchmark', 'odibi', 'baseline', 'ratio', 'target']];
  const verdict = (r) => `≤ ${r.target.toFixed(2)}  ${r.ratio <= r.target ? 'ok' : 'MISSED'}`;
  const timeRow = (label, r) => [label, secs(r.odibi.medianMs), secs(r.baseline.medianMs), r.ratio.toFixed(2), verdict(r)];
  const rssRow = (label, r) => [label, mib(r.odibi.peakRssMiB), mib(r.baseline.peakRssMiB), (r.odibi.peakRssMiB / r.baseline.peakRssMiB).toFixed(2), ''];
  if (iot) {
    rows.push(timeRow(`(a) iot ${count(iot.readings)} readings`, iot));
    rows.push(['    first run (dry run not cached)', secs(iot.firstRun.wallMs), '', (iot.firstRun.wallMs / iot.baseline.medianMs).toFixed(2), '']);
  }
  if (dag) {
    rows.push(timeRow(`(b) ${dag.steps.toLocaleString('en-US')}-step DAG`, dag));
    // The first run of a config also pays its dry run, which later runs of it answer from the cache.
    rows.push(['    first run (dry run not cached)', secs(dag.firstRun.wallMs), '', (dag.firstRun.wallMs / dag.baseline.medianMs).toFixed(2), '']);
    rows.push(['    load + plan only', secs(dag.loadPlan.medianMs), '', '', '']);
  }
  if (iot) rows.push(rssRow('peak RSS (a)', iot));
  if (dag) rows.push(rssRow('peak RSS (b)', dag));
  const widths = [30, 10, 11, 7, 0];
  return rows.map((r) => r.map((cell, i) => (widths[i] ? cell.padEnd(widths[i]) : cell)).join('').trimEnd()).join('\n');
}

/* --------------------------------------- main --------------------------------------- */

async function main() {
  if (!existsSync(path.resolve(HERE, '../dist/index.js'))) {
    console.error('core is not built: run `cd core && npx tsc -p tsconfig.build.json` (or `npm run build`) first');
    process.exit(1);
  }
  const only = (process.env.BENCH_ONLY ?? 'ab').toLowerCase();
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'odibi-bench-'));
  const cleanup = () => rmSync(tmp, { recursive: true, force: true });
  for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => { cleanup(); process.exit(130); });

  log(`ODIBI benchmarks: readings=${READINGS.toLocaleString('en-US')} steps=${STEPS.toLocaleString('en-US')} repeat=${REPEAT}` +
    ` · node ${process.version} · ${os.availableParallelism()} cores · ${Math.round(os.totalmem() / 2 ** 30)} GiB\n`);
  let iot;
  let dag;
  try {
    if (only.includes('a')) iot = await benchIot(tmp);
    if (only.includes('b')) dag = await benchDag(tmp);
  } finally {
    cleanup();
  }

  log(`\n${table(iot, dag)}\n`);
  log('baselines: raw @duckdb/node-api, one in-memory instance, one connection, same SQL, steps in order,');
  log('  a dataset read by one later SQL step written as a view and every other one as a table.');
  log('  (a) statements read from the same pipeline.json, input aliases bound as temp views;');
  log('      rate_devices (a TypeScript function step in ODIBI) is the same arithmetic in plain JS');
  log('      (rows out with getRowObjectsJS, back in with an appender); outputs checked equal.');
  log('  (b) the same queries with input aliases replaced by dataset names; rows of the results checked equal.');
  log('ODIBI: a run of a config whose dry run passed before reads it from .odibi/cache (the first run pays it).');
  log('medians of alternating runs, each in a fresh process; peak RSS is the highest maxRSS over the runs.');

  const results = {
    date: new Date().toISOString(),
    config: { readings: READINGS, steps: STEPS, repeat: REPEAT },
    machine: { node: process.version, platform: `${os.platform()} ${os.arch()}`, cores: os.availableParallelism(), memoryGiB: Math.round(os.totalmem() / 2 ** 30) },
    iot, dag,
  };
  await writeFile(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
  log(`results: ${path.relative(process.cwd(), RESULTS_FILE) || RESULTS_FILE}`);
}

main().catch((err) => {
  console.error(`\nbenchmark failed: ${err?.stack ?? err}`);
  process.exit(1);
});
