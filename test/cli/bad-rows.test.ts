/**
 * Bad rows through the real `odibi` CLI: an ingest with params.schema reads CSV and NDJSON row by
 * row, and params.on_bad_rows fails (file:line, column, reason), skips (counted) or quarantines
 * (the output alias `rejects`) the rows that do not fit.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { events, odibi } from '../helpers/cli.js';
import { query } from '../helpers/duckdb.js';
import { tempDir, writePipeline } from '../helpers/project.js';

// Line 3: an unterminated quote (it runs to the end of the file); line 4 is never reached as a row.
const CSV_QUOTE = 'id,status,temp\n1,ok,20.5\n2,"bad,21\n3,ok,22\n';
// Line 3: a cast error; line 4: a wrong column count.
const CSV_CAST = 'id,status,temp\n1,ok,20.5\n2,ok,warm\n3,ok,22,extra\n4,ok,23\n';
// Line 2: a cast error; line 3: malformed JSON; line 5: not an object.
const NDJSON = '{"id": 1, "status": "ok", "temp": 20.5}\n{"id": 2, "status": "ok", "temp": "warm"}\n{"id": 3, "status":\n{"id": 4, "status": "ok", "temp": 22}\n[1, 2]\n';
const SCHEMA = { id: 'BIGINT', status: 'VARCHAR', temp: 'DOUBLE' };

async function project(file: string, text: string, params: Record<string, unknown>, outputs: Record<string, string> = { data: 'readings' }): Promise<string> {
  const dir = await tempDir('odibi-bad-rows-');
  await mkdir(path.join(dir, 'data'));
  await writeFile(path.join(dir, 'data', file), text);
  const steps: unknown[] = [
    { layer: 'ingest', name: 'load', value: `data/${file}`, params: { schema: SCHEMA, ...params }, outputs },
    { layer: 'store', name: 'save', value: 'out/readings.parquet', inputs: { data: 'readings' } },
  ];
  if (outputs.rejects) steps.push({ layer: 'store', name: 'save_rejects', value: 'out/rejects.parquet', inputs: { data: outputs.rejects } });
  await writePipeline(dir, steps);
  return dir;
}

const rows = (dir: string, f: string) => query(`SELECT * FROM read_parquet('${path.join(dir, f)}') ORDER BY ALL`);

describe('bad rows', () => {
  it('fail (the default) names the file, the line, the column and the reason, and writes nothing', async () => {
    for (const [file, text, expected] of [
      ['q.csv', CSV_QUOTE, /1 bad row:\n\s+.*q\.csv:3, column status: unterminated quote\n\s+2,"bad,21/],
      ['c.csv', CSV_CAST, /2 bad rows:\n\s+.*c\.csv:3, column temp: cast error: .*"warm".*\n.*\n\s+.*c\.csv:4: wrong column count: Expected Number of Columns: 3 Found: 4/],
      ['r.ndjson', NDJSON, /3 bad rows:\n\s+.*r\.ndjson:2, column temp: cast error: could not convert "warm" to DOUBLE\n.*\n\s+.*r\.ndjson:3: malformed JSON[\s\S]*r\.ndjson:5: malformed JSON/],
    ] as const) {
      const dir = await project(file, text, {});
      const r = await odibi(['run', 'pipeline.json', '--json'], { cwd: dir });
      expect(r.code, file).toBe(1);
      const err = events(r.stdout).find((e) => e.type === 'step_error')!;
      expect(err.step).toBe('load');
      expect(err.error.message, file).toMatch(expected);
      expect(err.error.hint).toMatch(/on_bad_rows to "skip".*"quarantine"/);
      expect(await query(`SELECT count(*) AS n FROM glob('${dir}/out/*')`)).toEqual([{ n: 0 }]);
    }
  }, 60_000);

  it('skip drops them and counts them, in the record and the progress line', async () => {
    const dir = await project('c.csv', CSV_CAST, { on_bad_rows: 'skip' });
    const r = await odibi(['run', 'pipeline.json', '--json'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(events(r.stdout).find((e) => e.type === 'step_success' && e.step === 'load')!.badRows).toEqual({ policy: 'skip', count: 2 });
    expect(await rows(dir, 'out/readings.parquet')).toEqual([{ id: 1, status: 'ok', temp: 20.5 }, { id: 4, status: 'ok', temp: 23 }]);
    const human = await odibi(['run', 'pipeline.json'], { cwd: dir });
    expect(human.stdout).toMatch(/✔ load .*· 2 bad rows skipped/);
    const nd = await project('r.ndjson', NDJSON, { on_bad_rows: 'skip' });
    expect((await odibi(['run', 'pipeline.json'], { cwd: nd })).code).toBe(0);
    expect(await rows(nd, 'out/readings.parquet')).toEqual([{ id: 1, status: 'ok', temp: 20.5 }, { id: 4, status: 'ok', temp: 22 }]);
  }, 60_000);

  it('quarantine routes them to the rejects output, with file, line, column, error and the raw line', async () => {
    const dir = await project('r.ndjson', NDJSON, { on_bad_rows: 'quarantine' }, { data: 'readings', rejects: 'bad_readings' });
    const r = await odibi(['run', 'pipeline.json', '--json'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(events(r.stdout).find((e) => e.type === 'step_success' && e.step === 'load')!.badRows).toEqual({ policy: 'quarantine', count: 3 });
    const bad = await query(`SELECT regexp_replace(file, '.*/', '') AS file, line, "column", error, raw_line FROM read_parquet('${dir}/out/rejects.parquet') ORDER BY line`);
    expect(bad).toEqual([
      { file: 'r.ndjson', line: 2, column: 'temp', error: 'cast error: could not convert "warm" to DOUBLE', raw_line: '{"id": 2, "status": "ok", "temp": "warm"}' },
      { file: 'r.ndjson', line: 3, column: null, error: 'malformed JSON (not one object on the line)', raw_line: '{"id": 3, "status":' },
      { file: 'r.ndjson', line: 5, column: null, error: 'malformed JSON (not one object on the line)', raw_line: '[1, 2]' },
    ]);
    const csv = await project('c.csv', CSV_CAST, { on_bad_rows: 'quarantine' }, { data: 'readings', rejects: 'bad_readings' });
    expect((await odibi(['run', 'pipeline.json'], { cwd: csv })).code).toBe(0);
    const csvBad = await query(`SELECT line, "column", raw_line FROM read_parquet('${csv}/out/rejects.parquet') ORDER BY line`);
    expect(csvBad).toEqual([{ line: 3, column: 'temp', raw_line: '2,ok,warm' }, { line: 4, column: null, raw_line: '3,ok,22,extra' }]);
  }, 60_000);

  it('without a schema, a CSV whose first lines DuckDB cannot read fails (validate and run) instead of reading mangled columns', async () => {
    const dir = await tempDir('odibi-bad-rows-noschema-');
    await mkdir(path.join(dir, 'data'));
    await writeFile(path.join(dir, 'data/q.csv'), 'id,status,temp\n1,ok,20.5\n2,"bad,21\n3,ok,22\n4,ok,23,extra\n');
    await writePipeline(dir, [
      { layer: 'ingest', name: 'load', value: 'data/q.csv', outputs: { data: 'readings' } },
      { layer: 'transform', name: 'ok_rows', value: "SELECT * FROM readings WHERE status = 'ok'", inputs: { readings: 'readings' }, outputs: { data: 'ok_rows' } },
    ]);
    const v = await odibi(['validate', 'pipeline.json'], { cwd: dir });
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/load.*DuckDB could not read lines 1-\d+ of .*q\.csv as the same CSV as the lines after them/);
    expect(v.stderr).not.toMatch(/Referenced column/);
    const r = await odibi(['run', 'pipeline.json', '--json', '--no-fuse'], { cwd: dir });
    expect(r.code).toBe(2);
    // A glob's read takes its dialect from its first file: that one is sniffed.
    await writeFile(path.join(dir, 'data/r.csv'), 'id,status,temp\n9,ok,1.5\n');
    await writePipeline(dir, [{ layer: 'ingest', name: 'load', value: 'data/*.csv', outputs: { data: 'readings' } }]);
    const glob = await odibi(['validate', 'pipeline.json'], { cwd: dir });
    expect(glob.code).toBe(2);
    expect(glob.stderr).toMatch(/could not read lines 1-\d+ of .*q\.csv/);
  }, 60_000);

  it('validates the policy: quarantine needs a rejects output, on_bad_rows needs a schema', async () => {
    const dir = await project('c.csv', CSV_CAST, { on_bad_rows: 'quarantine' });
    const r = await odibi(['validate', 'pipeline.json'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/load.*"quarantine" puts bad rows in the output alias "rejects"/);
    await writePipeline(dir, [{ layer: 'ingest', name: 'load', value: 'data/c.csv', params: { on_bad_rows: 'skip' }, outputs: { data: 'r' } }]);
    expect((await odibi(['validate', 'pipeline.json'], { cwd: dir })).stderr).toMatch(/on_bad_rows needs params.schema/);
    // With a header, the schema's columns are the header's, in order (DuckDB reads them by position).
    await writeFile(path.join(dir, 'data/swapped.csv'), 'temp,id,status\n20.5,1,ok\n');
    await writePipeline(dir, [{ layer: 'ingest', name: 'load', value: 'data/swapped.csv', params: { schema: SCHEMA, on_bad_rows: 'skip' }, outputs: { data: 'r' } }]);
    const swapped = await odibi(['run', 'pipeline.json'], { cwd: dir });
    expect(swapped.code).toBe(1);
    expect(swapped.stdout).toMatch(/swapped\.csv: its header is temp, id, status, but params.schema lists id, status, temp/);
    // sep (an alias of delim) is the user's delimiter.
    await writeFile(path.join(dir, 'data/semi.csv'), 'id;status;temp\n1;ok;20.5\n');
    await writePipeline(dir, [{ layer: 'ingest', name: 'load', value: 'data/semi.csv', params: { schema: SCHEMA, options: { sep: ';' } }, outputs: { data: 'r' } }, { layer: 'store', name: 'save', value: 'out/semi.parquet', inputs: { data: 'r' } }]);
    expect((await odibi(['run', 'pipeline.json'], { cwd: dir })).code).toBe(0);
    expect(await rows(dir, 'out/semi.parquet')).toEqual([{ id: 1, status: 'ok', temp: 20.5 }]);
    // A type is a type name, never SQL: the NDJSON reader writes it into a CAST.
    await writePipeline(dir, [{ layer: 'ingest', name: 'load', value: 'data/c.csv', params: { schema: { a: "VARCHAR) AS x, (SELECT content FROM read_text('/etc/hostname')) AS y, TRY_CAST(1 AS INT" } }, outputs: { data: 'r' } }]);
    const sql = await odibi(['validate', 'pipeline.json'], { cwd: dir });
    expect(sql.code).toBe(2);
    expect(sql.stderr).toMatch(/params.schema .*is not a type name/);
  }, 60_000);
});
