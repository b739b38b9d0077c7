// Benchmark worker: benchmark (a)'s baseline — the IoT example's work written by hand on
// @duckdb/node-api, with no framework around it.
//
//   node iot-raw.mjs run    <pipeline.json> <outDir>    run the pipeline's statements directly
//   node iot-raw.mjs verify <odibiRoot> <rawRoot> <file>...   check both variants wrote the same data
//
// Why it is a fair baseline: everything that decides DuckDB's work is read from the same
// pipeline.json ODIBI runs (file paths, read_csv options, every transform's SQL, the function
// step's params, output paths and formats), so the two can never drift. It uses one in-memory
// instance with DuckDB's default threads (as ODIBI does) and one connection, writes a dataset that
// exactly one later SQL step reads as a view and every other one as a table (what an expert does
// by hand: the CSV scan then runs inside the cleaning query), gives each step its
// input aliases (CREATE TEMP VIEW alias AS SELECT * FROM table: a step's SQL reads its inputs by
// alias; three views in all, so how aliases are bound costs nothing measurable here), and runs the
// steps one after another in declaration order. The one step that is not SQL, rate_devices
// (transforms.ts#rateDevices), is ported to plain JS below with the same arithmetic: rows are read
// with getRowObjectsJS(), graded in JS and appended back through a DuckDB appender — the same
// round trip out of and into DuckDB that ODIBI's function step makes (without Arrow and tsx).
// What the baseline does NOT do is what ODIBI adds: config validation, planning, a session per
// step, measuring each output (schema, count, sample), events, staged (atomic) file writes.
import path from 'node:path';
import { mkdir, readFile } from 'node:fs/promises';
import { DuckDBDataChunk, DuckDBInstance, JSToDuckDBValueConverter, VARCHAR, DOUBLE } from '@duckdb/node-api';
import { ident, main, namedArgs, report, str, timed } from './lib.mjs';

const READERS = { '.csv': 'read_csv', '.parquet': 'read_parquet', '.json': 'read_json' };
const WRITERS = { '.parquet': 'FORMAT parquet', '.json': 'FORMAT json, ARRAY true', '.csv': 'FORMAT csv, HEADER true' };
const CHUNK_ROWS = 2048;

/** transforms.ts#rateDevices, ported line for line to plain JS rows. */
function rateDevices(rows, params) {
  const hot = params.hot_above_c ?? 25;
  const minReadings = params.min_readings ?? 1;
  return rows.map((r) => {
    const temp = r.avg_temperature_c;
    const hum = r.avg_humidity_pct;
    const status = Number(r.temperature_readings) < minReadings ? 'sparse' : temp !== null && temp > hot ? 'hot' : 'ok';
    const comfort = temp === null || hum === null ? null : Math.round(Math.max(0, 100 - Math.abs(temp - 21) * 6 - Math.abs(hum - 45) * 1.2) * 100) / 100;
    return { ...r, status, comfort_index: comfort };
  });
}

const FUNCTIONS = { 'transforms.ts#rateDevices': { fn: rateDevices, added: [['status', VARCHAR], ['comfort_index', DOUBLE]] } };

async function runFunction(conn, step) {
  const impl = FUNCTIONS[step.value];
  if (!impl) throw new Error(`no JS port of function ${step.value}`);
  const [[alias, inputKey]] = Object.entries(step.inputs);
  const [[, outputKey]] = Object.entries(step.outputs);
  await conn.run(`CREATE OR REPLACE TEMP VIEW ${ident(alias)} AS SELECT * FROM ${ident(inputKey)}`);
  const reader = await conn.runAndReadAll(`SELECT * FROM ${ident(alias)}`);
  const rows = impl.fn(reader.getRowObjectsJS(), step.params ?? {});
  const columns = [...reader.columnNames().map((name, i) => [name, reader.columnTypes()[i]]), ...impl.added];
  await conn.run(`CREATE TABLE ${ident(outputKey)} (${columns.map(([name, type]) => `${ident(name)} ${type}`).join(', ')})`);
  const appender = await conn.createAppender(outputKey);
  const types = columns.map(([, type]) => type);
  for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
    const slice = rows.slice(start, start + CHUNK_ROWS);
    const chunk = DuckDBDataChunk.create(types, slice.length);
    columns.forEach(([name], c) => chunk.setColumnValuesConverted(c, slice.map((r) => r[name]), JSToDuckDBValueConverter));
    appender.appendDataChunk(chunk);
  }
  appender.flushSync();
  appender.closeSync();
}

async function runPipelineByHand(configFile, outDir) {
  const config = JSON.parse(await readFile(configFile, 'utf8'));
  const baseDir = path.dirname(path.resolve(configFile));
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const stepMs = {};
  const readers = new Map();
  for (const s of config.steps) for (const key of Object.values(s.inputs ?? {})) (readers.get(key) ?? readers.set(key, []).get(key)).push(s);
  const kind = (key) => {
    const r = readers.get(key) ?? [];
    return r.length === 1 && r[0].layer === 'transform' && r[0].type !== 'function' ? 'VIEW' : 'TABLE';
  };
  try {
    for (const step of config.steps) {
      const t0 = performance.now();
      const out = step.outputs ? Object.values(step.outputs)[0] : undefined;
      const input = step.inputs ? Object.values(step.inputs)[0] : undefined;
      if (step.layer === 'ingest') {
        const reader = READERS[path.extname(step.value)];
        const options = namedArgs(step.params?.options);
        await conn.run(`CREATE ${kind(out)} ${ident(out)} AS SELECT * FROM ${reader}(${str(path.resolve(baseDir, step.value))}${options})`);
      } else if (step.layer === 'transform' && step.type === 'function') {
        await runFunction(conn, step);
      } else if (step.layer === 'transform') {
        for (const [alias, key] of Object.entries(step.inputs)) {
          await conn.run(`CREATE OR REPLACE TEMP VIEW ${ident(alias)} AS SELECT * FROM ${ident(key)}`);
        }
        // A view names its inputs' datasets, not the aliases (temp views are gone once it is read).
        const sql = kind(out) === 'VIEW'
          ? `WITH ${Object.entries(step.inputs).map(([alias, key]) => `${ident(alias)} AS (SELECT * FROM ${ident(key)})`).join(', ')} SELECT * FROM (${step.value})`
          : step.value;
        await conn.run(`CREATE ${kind(out)} ${ident(out)} AS ${sql}`);
      } else if (step.layer === 'store' || step.layer === 'publish') {
        const file = path.join(outDir, step.value);
        await mkdir(path.dirname(file), { recursive: true });
        await conn.run(`COPY (SELECT * FROM ${ident(input)}) TO ${str(file)} (${WRITERS[path.extname(file)]})`);
      } else {
        throw new Error(`the baseline does not handle ${step.layer}/${step.type ?? ''} step '${step.name}'`);
      }
      stepMs[step.name] = Math.round(performance.now() - t0);
    }
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
  return stepMs;
}

/**
 * Compares what both variants wrote, file by file: the same columns, the same row count, the same
 * multiset of values in every non-floating-point column, and for each floating-point column the
 * same sum within a relative 1e-6. Floats are not compared row by row because DuckDB's parallel
 * aggregation is not bit-reproducible: at 5M readings two runs of the very same baseline give a
 * few device-days whose round(avg(...), 3) differs by 0.001. A baseline doing different work
 * (missing rows, another filter, other statuses) still fails loudly.
 */
async function verify(odibiOut, rawOut, files) {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const query = async (sql) => (await conn.runAndReadAll(sql)).getRowObjectsJS();
  const problems = [];
  const rows = {};
  for (const rel of files) {
    const source = (dir) => `${rel.endsWith('.json') ? 'read_json' : 'read_parquet'}(${str(path.join(dir, rel))})`;
    const [a, b] = [source(odibiOut), source(rawOut)];
    const columns = await query(`DESCRIBE SELECT * FROM ${a}`);
    const names = (await query(`DESCRIBE SELECT * FROM ${b}`)).map((c) => c.column_name);
    if (names.join() !== columns.map((c) => c.column_name).join()) {
      problems.push(`${rel}: columns differ (${columns.map((c) => c.column_name).join(', ')} vs ${names.join(', ')})`);
      continue;
    }
    const isFloat = (c) => /DOUBLE|FLOAT|DECIMAL/.test(c.column_type);
    // Compared as text, so an integer type changed by a JS round trip is not a difference.
    const exact = columns.filter((c) => !isFloat(c)).map((c) => `${ident(c.column_name)}::VARCHAR`).join(', ') || '1';
    const sums = columns.filter(isFloat).map((c) => `sum(${ident(c.column_name)})::DOUBLE AS ${ident(c.column_name)}`);
    const [counts] = await query(`SELECT (SELECT count(*) FROM ${a}) AS a, (SELECT count(*) FROM ${b}) AS b,
      (SELECT count(*) FROM (SELECT ${exact} FROM ${a} EXCEPT ALL SELECT ${exact} FROM ${b})) AS only_a,
      (SELECT count(*) FROM (SELECT ${exact} FROM ${b} EXCEPT ALL SELECT ${exact} FROM ${a})) AS only_b`);
    rows[rel] = Number(counts.a);
    if (counts.a !== counts.b) problems.push(`${rel}: ${counts.a} rows vs ${counts.b}`);
    else if (counts.only_a || counts.only_b) problems.push(`${rel}: ${counts.only_a} rows differ in non-float columns`);
    if (sums.length) {
      const [sa] = await query(`SELECT ${sums.join(', ')} FROM ${a}`);
      const [sb] = await query(`SELECT ${sums.join(', ')} FROM ${b}`);
      for (const [col, x] of Object.entries(sa)) {
        const y = sb[col];
        if ((x === null) !== (y === null) || Math.abs(x - y) > 1e-6 * Math.max(1, Math.abs(x))) problems.push(`${rel}: sum(${col}) ${x} vs ${y}`);
      }
    }
  }
  conn.closeSync();
  instance.closeSync();
  return { problems, rows };
}

main(async () => {
  const [mode, a, b, ...files] = process.argv.slice(2);
  if (mode === 'run') {
    const { ms, value: stepMs } = await timed(() => runPipelineByHand(a, b));
    return report({ wallMs: ms, steps: Object.keys(stepMs).length, stepMs });
  }
  if (mode === 'verify') return report(await verify(a, b, files));
  throw new Error('usage: iot-raw.mjs run <pipeline.json> <outDir> | verify <odibiOut> <rawOut> <file>...');
});
