/**
 * File formats in and out: CSV, Parquet, JSON and NDJSON ingest (by extension or params.format,
 * with reader options), CSV/JSON/NDJSON/Parquet store and publish, and a v1-style config
 * (top-level array, engine "pandas", type "config_op") running unchanged.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { odibi } from '../helpers/cli.js';
import { query } from '../helpers/duckdb.js';
import { tempDir, writePipeline } from '../helpers/project.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir();
  await writeFile(path.join(dir, 'semi.txt'), 'id;city\n1;Oslo\n2;Lima\n');
  await writeFile(path.join(dir, 'people.json'), JSON.stringify([{ id: 1, name: 'Ada' }, { id: 2, name: 'Grace' }]));
  await writeFile(path.join(dir, 'events.ndjson'), '{"id": 1, "kind": "click"}\n{"id": 2, "kind": "view"}\n{"id": 1, "kind": "view"}\n');
  await query(`COPY (SELECT range AS id, range * 1.5 AS score FROM range(3)) TO '${dir}/scores.parquet' (FORMAT parquet)`);
});

describe('formats', () => {
  it('ingests CSV with reader options, JSON, NDJSON and Parquet, and writes every output format', async () => {
    const cfg = await writePipeline(dir, [
      { layer: 'ingest', name: 'cities', value: 'semi.txt', params: { format: 'csv', options: { delim: ';', header: true } }, outputs: { data: 'cities' } },
      { layer: 'ingest', name: 'people', value: 'people.json', outputs: { data: 'people' } },
      { layer: 'ingest', name: 'events', value: 'events.ndjson', outputs: { data: 'events' } },
      { layer: 'ingest', name: 'scores', value: 'scores.parquet', outputs: { data: 'scores' } },
      {
        layer: 'transform', name: 'joined',
        value: 'SELECT p.id, p.name, c.city, s.score, count(e.kind) AS events FROM people p JOIN cities c USING (id) JOIN scores s USING (id) LEFT JOIN events e USING (id) GROUP BY ALL ORDER BY p.id',
        inputs: { people: 'people', cities: 'cities', scores: 'scores', events: 'events' }, outputs: { data: 'joined' },
      },
      { layer: 'store', name: 'as_csv', value: 'out/joined.csv', inputs: { data: 'joined' } },
      { layer: 'store', name: 'as_ndjson', value: 'out/joined.jsonl', inputs: { data: 'joined' } },
      { layer: 'store', name: 'as_parquet', value: 'out/joined.data', params: { format: 'parquet' }, inputs: { data: 'joined' } },
      { layer: 'publish', name: 'as_json', value: 'out/joined.json', inputs: { data: 'joined' } },
    ]);
    const r = await odibi(['run', cfg]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const expected = [{ id: 1, name: 'Ada', city: 'Oslo', score: 1.5, events: 2 }, { id: 2, name: 'Grace', city: 'Lima', score: 3, events: 1 }];
    expect(await readFile(path.join(dir, 'out/joined.csv'), 'utf8')).toBe('id,name,city,score,events\n1,Ada,Oslo,1.5,2\n2,Grace,Lima,3.0,1\n');
    expect(JSON.parse(await readFile(path.join(dir, 'out/joined.json'), 'utf8'))).toEqual(expected);
    expect((await readFile(path.join(dir, 'out/joined.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l))).toEqual(expected);
    expect(await query(`SELECT * FROM read_parquet('${dir}/out/joined.data') ORDER BY id`)).toEqual(expected);
  });

  it('says which file is missing and where relative paths resolve', async () => {
    const cfg = await writePipeline(dir, [{ layer: 'ingest', name: 'ghost', value: 'data/nope.csv', outputs: { data: 'g' } }], 'ghost.json');
    // Found by the check before the run: exit 2, nothing runs.
    const r = await odibi(['run', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`step 'ghost': input file not found: ${path.join(dir, 'data/nope.csv')}`);
    expect(r.stderr).toContain(`paths are relative to the config folder ${dir}`);
  });

  it('runs a v1-style config unchanged (top-level array, engine "pandas", type "config_op")', async () => {
    const v1 = path.join(dir, 'v1.json');
    await writeFile(v1, JSON.stringify([
      { layer: 'ingest', name: 'read_csv', type: 'config_op', engine: 'pandas', value: 'semi.txt', params: { format: 'csv', options: { delim: ';' } }, inputs: {}, outputs: { data: 'raw_data' }, metadata: {} },
      { layer: 'transform', name: 'upper', type: 'sql', engine: 'pandas', value: 'SELECT id, upper(city) AS city FROM data', params: {}, inputs: { data: 'raw_data' }, outputs: { data: 'clean' }, metadata: {} },
      { layer: 'store', name: 'save', type: 'config_op', engine: 'pandas', value: 'out/v1.csv', params: { format: 'csv' }, inputs: { data: 'clean' }, outputs: {}, metadata: {} },
    ]));
    const r = await odibi(['run', v1]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await readFile(path.join(dir, 'out/v1.csv'), 'utf8')).toBe('id,city\n1,OSLO\n2,LIMA\n');
  });
});
