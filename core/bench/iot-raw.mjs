// Benchmark worker: benchmark (a)'s baseline — the IoT example's work written by hand on
// @duckdb/node-api, with no framework around it.
//
//   node iot-raw.mjs run    <pipeline.json> <outDir>    run the pipeline's statements directly
//   node iot-raw.mjs verify <odibiOutDir> <rawOutDir>   check both variants wrote the same data
//
// Why it is a fair baseline: everything that decides DuckDB's work is read from the same
// pipeline.json ODIBI runs (file paths, read_csv options, every transform's SQL, the function
// step's params, output paths and formats), so the two can never drift. It uses one in-memory
// instance with DuckDB's default threads (as ODIBI does) and one connection, binds each step's
// input aliases exactly as ODIBI does (CREATE TEMP VIEW alias AS SELECT * FROM table), and runs the
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
  try {
    for (const step of config.steps) {
      const out = step.outputs ? Object.values(step.outputs)[0] : undefined;
      const input = step.inputs ? Object.values(step.inputs)[0] : undefined;
      if (step.layer === 'ingest') {
        const reader = READERS[path.extname(step.value)];
        const options = namedArgs(step.params?.options);
        await conn.run(`CREATE TABLE ${ident(out)} AS SELECT * FROM ${reader}(${str(path.resolve(baseDir, step.value))}${options})`);
      } else if (step.layer === 'transform' && step.type === 'function') {
        await runFunction(conn, step);
      } else if (step.layer === 'transform') {
        for (const [alias, key] of Object.entries(step.inputs)) {
          await conn.run(`CREATE OR REPLACE TEMP VIEW ${ident(alias)} AS SELECT * FROM ${ident(key)}`);
        }
        await conn.run(`CREATE TABLE ${ident(out)} AS ${step.value}`);
      } else if (step.layer === 'store' || step.layer === 'publish') {
        const file = path.join(outDir, step.value);
        await mkdir(path.dirname(file), { recursive: true });
        await conn.run(`COPY (SELECT * FROM ${ident(input)}) TO ${str(file)} (${WRITERS[path.extname(file)]})`);
      } else {
        throw new Error(`the baseline does not handle ${step.layer}/${step.type ?? ''} step '${step.name}'`);
      }
    }
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
  return config.steps.length;
}

/**
 * Compares what both variants wrote: every parquet/json output must hold the same rows (as a
 * multiset; doubles compared after rounding to 6 decimals so parallel sums may differ in the
 * last bit). Reports the mismatching files, so a wrong baseline cannot pass unnoticed.
 */
async function verify(odibiOut, rawOut, files) {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const problems = [];
  const rows = {};
  for (const rel of files) {
    // Types may differ after a JS round trip (e.g. BIGINT vs INTEGER), so compare text forms,
    // with doubles rounded first.
    const norm = async (dir) => {
      const file = str(path.join(dir, rel));
      const source = rel.endsWith('.json') ? `read_json(${file})` : `read_parquet(${file})`;
      const cols = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`)).getRowObjectsJS();
      const exprs = cols.map((c) => (/DOUBLE|FLOAT|DECIMAL/.test(c.column_type) ? `round(${ident(c.column_name)}::DOUBLE, 6)::VARCHAR` : `${ident(c.column_name)}::VARCHAR`));
      return `SELECT ${exprs.join(', ')} FROM ${source}`;
    };
    const a = await norm(odibiOut);
    const b = await norm(rawOut);
    const diff = (await conn.runAndReadAll(`SELECT (SELECT count(*) FROM (${a} EXCEPT ALL ${b})) + (SELECT count(*) FROM (${b} EXCEPT ALL ${a})) AS n, (SELECT count(*) FROM (${a})) AS rows`)).getRowObjectsJS()[0];
    rows[rel] = Number(diff.rows);
    if (Number(diff.n) !== 0) problems.push(`${rel}: ${diff.n} rows differ`);
  }
  conn.closeSync();
  instance.closeSync();
  return { problems, rows };
}

main(async () => {
  const [mode, a, b, ...files] = process.argv.slice(2);
  if (mode === 'run') {
    const { ms, value: steps } = await timed(() => runPipelineByHand(a, b));
    return report({ wallMs: ms, steps });
  }
  if (mode === 'verify') return report(await verify(a, b, files));
  throw new Error('usage: iot-raw.mjs run <pipeline.json> <outDir> | verify <odibiOut> <rawOut> <file>...');
});
