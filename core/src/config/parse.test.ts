import { afterAll, describe, it, expect } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import type { LoadOptions } from './load.js';
import { loadPipeline } from '../load/pipeline.js';
import { loadSqlJs } from '../shared/sqljs.js';
import type { StepConfig } from './model.js';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const HEADER = ['Layer', 'StepName', 'StepType', 'Engine', 'Value', 'Params', 'Inputs', 'Outputs', 'Metadata'];

type Cell = string | number | Record<string, unknown> | string[] | undefined;

/** One CSV cell: objects become JSON text, quoted with doubled quotes as a spreadsheet would. */
function csvCell(v: Cell): string {
  if (v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvText(header: string[], rows: Cell[][]): string {
  return [header.join(','), ...rows.map((r) => r.map(csvCell).join(','))].join('\n') + '\n';
}

/** A row in the standard column order (Layer..Metadata) followed by any extra columns. */
function row(layer: string, name: string, fields: { type?: string; engine?: string; value?: string; params?: Cell; inputs?: Cell; outputs?: Cell; metadata?: Cell } = {}, ...extra: Cell[]): Cell[] {
  return [layer, name, fields.type, fields.engine, fields.value, fields.params, fields.inputs, fields.outputs, fields.metadata, ...extra];
}

const ingestRow = (name: string, key: string, ...extra: Cell[]): Cell[] =>
  row('ingest', name, { value: `data/${name}.csv`, outputs: { data: key } }, ...extra);

const made: string[] = [];
afterAll(() => Promise.all(made.map((d) => rm(d, { recursive: true, force: true }))));

async function tempFile(name: string, content: string | Uint8Array): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'odibi-parse-'));
  made.push(dir);
  const file = path.join(dir, name);
  await writeFile(file, content);
  return file;
}

/** Loads a config expected to be rejected and returns the ConfigError. */
async function rejected(file: string, options: LoadOptions = {}): Promise<ConfigError> {
  const err = await loadPipeline(file, options).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

const names = (steps: readonly StepConfig[]): string[] => steps.map((s) => s.name);

/** Builds a SQLite config file with a transformation_config table holding `rows`. */
async function sqliteConfig(rows: { layer: string; name: string; value: string; outputs?: string; inputs?: string; params?: string; project?: string; enabled?: number | null; order?: number | null }[]): Promise<string> {
  const SQL = await loadSqlJs();
  const db = new SQL.Database();
  db.run(`CREATE TABLE transformation_config (
    Layer TEXT, StepName TEXT, StepType TEXT, Engine TEXT, Value TEXT, Params TEXT, Inputs TEXT, Outputs TEXT, Metadata TEXT,
    project TEXT, enabled INTEGER, execution_order INTEGER)`);
  for (const r of rows) {
    db.run('INSERT INTO transformation_config VALUES (?, ?, NULL, ?, ?, ?, ?, ?, NULL, ?, ?, ?)', [
      r.layer, r.name, 'pandas', r.value, r.params ?? null, r.inputs ?? null, r.outputs ?? null,
      r.project ?? null, r.enabled === undefined ? 1 : r.enabled, r.order ?? null,
    ]);
  }
  const bytes = db.export();
  db.close();
  return tempFile('config.db', bytes);
}

// ---------------------------------------------------------------------------------------------

describe('malformed JSON', () => {
  it('a trailing comma is one problem, not two', async () => {
    const file = await tempFile('pipeline.json', '[\n  {"layer": "ingest", "name": "a", "value": "x.csv", "outputs": {"data": "k"},}\n]\n');
    const err = await rejected(file);
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatchObject({ line: 2 });
  });

  it('a missing comma on line 5 is reported with line and column', async () => {
    const lines = [
      '[',
      '  {',
      '    "layer": "ingest",',
      '    "name": "load"',
      '    "value": "data/readings.csv",',
      '    "outputs": {"data": "raw"}',
      '  }',
      ']',
    ];
    const file = await tempFile('pipeline.json', lines.join('\n'));
    const err = await rejected(file);
    expect(err.problems).toHaveLength(1);
    const [p] = err.problems;
    expect(p.message).toBe('malformed JSON: comma expected');
    expect(p).toMatchObject({ file, line: 5, column: 5 });
    expect(err.describe()).toContain(`${file}:5:5: malformed JSON: comma expected`);
    expect(p.hint).toMatch(/comma/);
  });

  it('a file that is neither an array nor {"steps": [...]} is explained', async () => {
    const file = await tempFile('pipeline.json', '{"name": "iot", "stpes": []}');
    const err = await rejected(file);
    expect(err.message).toContain('expected an array of steps or an object with a "steps" array');
    expect(err.line).toBe(1);
  });

  it('an empty file is reported', async () => {
    const file = await tempFile('pipeline.json', '');
    const err = await rejected(file);
    expect(err.problems.length).toBeGreaterThan(0);
    expect(err.file).toBe(file);
  });
});

describe('malformed CSV', () => {
  it('a row with the wrong number of columns gives its line', async () => {
    const text = `${csvText(HEADER, [ingestRow('load', 'raw')])}ingest,load_sites,,,data/sites.csv\n`;
    const file = await tempFile('pipeline.csv', text);
    const err = await rejected(file);
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0].message).toMatch(/^malformed CSV: .*expect 9, got 5/);
    expect(err.problems[0]).toMatchObject({ file, line: 3 });
  });

  it('an unclosed quote gives the line where the quote opens', async () => {
    const text = csvText(HEADER, [ingestRow('load', 'raw')])
      + 'ingest,load_sites,,,"data/sites.csv,,,,\n' // line 3: the quote is never closed
      + csvText(HEADER, [ingestRow('load_a', 'a'), ingestRow('load_b', 'b')]).split('\n').slice(1).join('\n');
    const file = await tempFile('pipeline.csv', text);
    const err = await rejected(file);
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0].message).toMatch(/^malformed CSV: .*quote/i);
    expect(err.problems[0]).toMatchObject({ file, line: 3 });
  });

  it('malformed JSON in a Params cell names the step, the column and the line', async () => {
    const text = `${csvText(HEADER, [ingestRow('load', 'raw')])}ingest,load_sites,,,data/sites.csv,{header: true},,"{""data"": ""sites""}",\n`;
    const file = await tempFile('pipeline.csv', text);
    const err = await rejected(file);
    expect(err.problems).toHaveLength(1);
    const [p] = err.problems;
    expect(p.message).toContain('column Params: malformed JSON');
    expect(p).toMatchObject({ step: 'load_sites', file, line: 3 });
    expect(err.describe()).toContain(`${file}:3: step 'load_sites': column Params: malformed JSON`);
  });

  it('a step whose row spans several lines (a quoted newline) is reported at the line where the row starts', async () => {
    // Row 'load' occupies lines 2-3 because its Params cell contains a newline; its Inputs cell is
    // malformed, so the error should point at line 2.
    const text = `${HEADER.join(',')}\ningest,load,,,data/r.csv,"{""header"":\n true}",{bad},"{""data"": ""raw""}",\n`;
    const file = await tempFile('pipeline.csv', text);
    const err = await rejected(file);
    expect(err.problems[0]).toMatchObject({ step: 'load', line: 2 });
    expect(err.problems[0].message).toContain('column Inputs');
  });

  it('a header without Layer/StepName is reported on line 1', async () => {
    const file = await tempFile('pipeline.csv', 'Kind,Name\ningest,load\n');
    const err = await rejected(file);
    expect(err.message).toContain('missing column(s) Layer, StepName');
    expect(err.line).toBe(1);
  });
});

describe('CSV configs', () => {
  const header = [...HEADER, 'project', 'enabled', 'execution_order'];

  it('--project keeps only that project\'s rows', async () => {
    const file = await tempFile('pipeline.csv', csvText(header, [
      ingestRow('iot_load', 'iot_raw', 'iot', 1, 1),
      ingestRow('sales_load', 'sales_raw', 'sales', 1, 2),
      ingestRow('iot_sites', 'iot_sites', 'iot', 1, 3),
    ]));
    expect(names((await loadPipeline(file, { project: 'iot' })).pipeline.steps)).toEqual(['iot_load', 'iot_sites']);
    expect(names((await loadPipeline(file, { project: 'sales' })).pipeline.steps)).toEqual(['sales_load']);
  });

  it('--project with no matching rows is an error that mentions --project', async () => {
    const file = await tempFile('pipeline.csv', csvText(header, [ingestRow('iot_load', 'iot_raw', 'iot', 1, 1)]));
    const err = await rejected(file, { project: 'nope' });
    expect(err.describe()).toMatch(/no steps/);
    expect(err.describe()).toContain('--project');
  });

  it('rows with enabled 0/false/no are dropped; 1/true/blank are kept', async () => {
    const file = await tempFile('pipeline.csv', csvText(header, [
      ingestRow('a', 'a', 'p', 1, 1),
      ingestRow('b', 'b', 'p', 0, 2),
      ingestRow('c', 'c', 'p', 'true', 3),
      ingestRow('d', 'd', 'p', 'false', 4),
      ingestRow('e', 'e', 'p', undefined, 5),
      ingestRow('f', 'f', 'p', 'no', 6),
    ]));
    expect(names((await loadPipeline(file)).pipeline.steps)).toEqual(['a', 'c', 'e']);
  });

  it('steps are ordered by execution_order', async () => {
    const file = await tempFile('pipeline.csv', csvText(header, [
      ingestRow('third', 'c', 'p', 1, 3),
      ingestRow('first', 'a', 'p', 1, 1),
      ingestRow('second', 'b', 'p', 1, 2),
    ]));
    expect(names((await loadPipeline(file)).pipeline.steps)).toEqual(['first', 'second', 'third']);
  });

  it('rows without an execution_order come after the ordered ones, in file order', async () => {
    const file = await tempFile('pipeline.csv', csvText(header, [
      ingestRow('unordered_1', 'u1', 'p', 1, undefined),
      ingestRow('second', 'b', 'p', 1, 2),
      ingestRow('unordered_2', 'u2', 'p', 1, undefined),
      ingestRow('first', 'a', 'p', 1, 1),
    ]));
    expect(names((await loadPipeline(file)).pipeline.steps)).toEqual(['first', 'second', 'unordered_1', 'unordered_2']);
  });

  it('validates to the same steps as the equivalent JSON config', async () => {
    const jsonSteps = [
      { layer: 'connect', name: 'warehouse', value: 'warehouse.duckdb' },
      { layer: 'ingest', name: 'load', engine: 'pandas', value: 'data/readings.csv', params: { header: true, delimiter: ',' }, outputs: { data: 'raw' }, metadata: { owner: 'iot' } },
      { layer: 'transform', name: 'clean', value: 'SELECT * FROM data WHERE value > 0', inputs: { data: 'raw' }, outputs: { data: 'clean' } },
      { layer: 'store', name: 'save', value: 'readings', params: { connection: 'warehouse' }, inputs: { data: 'clean' } },
    ];
    const csv = csvText(HEADER, [
      row('connect', 'warehouse', { value: 'warehouse.duckdb' }),
      row('ingest', 'load', { engine: 'pandas', value: 'data/readings.csv', params: { header: true, delimiter: ',' }, outputs: { data: 'raw' }, metadata: { owner: 'iot' } }),
      row('transform', 'clean', { value: 'SELECT * FROM data WHERE value > 0', inputs: { data: 'raw' }, outputs: { data: 'clean' } }),
      row('store', 'save', { value: 'readings', params: { connection: 'warehouse' }, inputs: { data: 'clean' } }),
    ]);
    const fromJson = await loadPipeline(await tempFile('pipeline.json', JSON.stringify(jsonSteps, null, 2)));
    const fromCsv = await loadPipeline(await tempFile('pipeline.csv', csv));
    const comparable = (steps: readonly StepConfig[]) => steps.map(({ name, layer, type, engine, declaredEngine, value, params, metadata, inputs, outputs }) =>
      ({ name, layer, type, engine, declaredEngine, value, params, metadata, inputs, outputs }));
    expect(comparable(fromCsv.pipeline.steps)).toEqual(comparable(fromJson.pipeline.steps));
    expect(fromCsv.pipeline.steps).toHaveLength(4);
  });
});

describe('SQLite configs', () => {
  it('problems name the table row of the step', async () => {
    const file = await sqliteConfig([
      { layer: 'ingest', name: 'load', value: 'x.csv', outputs: '{"data": "raw"}', order: 1 },
      { layer: 'transform', name: 'clean', value: 'SELECT 1', inputs: '{"d": "nowhere"}', outputs: '{"data": "c"}', order: 2 },
    ]);
    const err = await rejected(file);
    expect(err.describe()).toMatch(/config\.db \(transformation_config row 2\): step 'clean': input 'd' reads dataset 'nowhere'/);
  });

  const rows = [
    { layer: 'ingest', name: 'iot_sites', value: 'data/sites.csv', outputs: '{"data": "sites"}', project: 'iot', order: 2 },
    { layer: 'ingest', name: 'sales_load', value: 'data/sales.csv', outputs: '{"data": "sales"}', project: 'sales', order: 1 },
    { layer: 'ingest', name: 'iot_load', value: 'data/readings.csv', outputs: '{"data": "raw"}', project: 'iot', order: 1 },
    { layer: 'ingest', name: 'iot_old', value: 'data/old.csv', outputs: '{"data": "old"}', project: 'iot', enabled: 0, order: 0 },
    { layer: 'transform', name: 'iot_clean', value: 'SELECT * FROM data', inputs: '{"data": "raw"}', outputs: '{"data": "clean"}', params: '{"note": "x"}', project: 'iot', order: 3 },
  ];

  it('--project selects rows, only enabled rows, ordered by execution_order', async () => {
    const file = await sqliteConfig(rows);
    const { pipeline } = await loadPipeline(file, { project: 'iot' });
    expect(names(pipeline.steps)).toEqual(['iot_load', 'iot_sites', 'iot_clean']);
    const clean = pipeline.steps[2];
    expect(clean).toMatchObject({ layer: 'transform', type: 'sql', engine: 'duckdb', declaredEngine: 'pandas', inputs: { data: 'raw' }, outputs: { data: 'clean' }, params: { note: 'x' } });
    expect(pipeline.name).toBe('iot');
  });

  it('without --project every enabled row is read', async () => {
    const file = await sqliteConfig(rows);
    const { pipeline } = await loadPipeline(file);
    expect(names(pipeline.steps)).toEqual(['sales_load', 'iot_load', 'iot_sites', 'iot_clean']);
  });

  it('rows with a NULL execution_order come after the ordered ones', async () => {
    const file = await sqliteConfig([
      { layer: 'ingest', name: 'unordered', value: 'a.csv', outputs: '{"data": "a"}', order: null },
      { layer: 'ingest', name: 'first', value: 'b.csv', outputs: '{"data": "b"}', order: 1 },
    ]);
    expect(names((await loadPipeline(file)).pipeline.steps)).toEqual(['first', 'unordered']);
  });

  it('an unknown project is an error listing the projects in the file', async () => {
    const file = await sqliteConfig(rows);
    const err = await rejected(file, { project: 'iott' });
    expect(err.message).toContain("no enabled steps for project 'iott'");
    expect(err.hint).toContain('iot');
    expect(err.hint).toContain('sales');
  });

  it('a database without transformation_config is explained', async () => {
    const SQL = await loadSqlJs();
    const db = new SQL.Database();
    db.run('CREATE TABLE other (x INTEGER)');
    const file = await tempFile('config.sqlite', db.export());
    db.close();
    const err = await rejected(file);
    expect(err.message).toContain('no table transformation_config');
    expect(err.hint).toContain('StepName');
  });

  it('a file that is not a SQLite database is explained', async () => {
    const file = await tempFile('config.db', 'this is not a database, just text that is long enough to fill a header page');
    const err = await rejected(file);
    expect(err.message).toContain('not a readable SQLite database');
  });
});

describe('config files', () => {
  it('an unsupported extension is a ConfigError with a hint', async () => {
    const file = await tempFile('pipeline.yaml', '- layer: ingest\n');
    const err = await rejected(file);
    expect(err.message).toContain("unsupported config format '.yaml'");
    expect(err.hint).toContain('.json');
    expect(err.file).toBe(file);
  });

  it('a missing file is a ConfigError with a hint', async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'odibi-parse-')), 'nope.json');
    const err = await rejected(file);
    expect(err.message).toBe('config file not found');
    expect(err.file).toBe(file);
    expect(err.hint).toContain('check the path');
    expect(err.describe()).toContain(`${file}: config file not found`);
  });
});
