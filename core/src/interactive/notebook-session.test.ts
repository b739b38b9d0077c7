import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../run.js';
import { NotebookSession } from './notebook-session.js';

let dir: string;
let nb: NotebookSession;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'odibi-nb-'));
  await writeFile(path.join(dir, 'sales.csv'), 'id,region,amount\n1,north,10\n2,south,20\n3,north,5\n');
  nb = await NotebookSession.create({ baseDir: dir });
});
afterAll(async () => {
  await nb.close();
  await rm(dir, { recursive: true, force: true });
});

describe('NotebookSession', () => {
  it('starts empty', async () => {
    const empty = await NotebookSession.create({ baseDir: dir });
    try {
      expect(empty.keys()).toEqual([]);
      expect(empty.pipeline().steps).toEqual([]);
    } finally {
      await empty.close();
    }
  });

  it('runs a defined step at once and keeps its data for the next one', async () => {
    const ingest = await nb.define({ layer: 'ingest', name: 'ingest_sales', value: 'sales.csv', outputs: { data: 'sales' } });
    expect(ingest.outputs[0]).toMatchObject({ key: 'sales', rows: 3 });
    const totals = await nb.define({ layer: 'transform', name: 'totals', value: 'SELECT region, sum(amount) AS total FROM sales GROUP BY region ORDER BY region', inputs: { sales: 'sales' }, outputs: { data: 'totals' } });
    expect(totals.outputs[0].sample).toEqual([{ region: 'north', total: 15 }, { region: 'south', total: 20 }]);
    // DuckDB's own JavaScript values: a sum of integers is a HUGEINT/BIGINT, a bigint.
    expect(await nb.rows('totals', 1)).toEqual([{ region: 'north', total: 15n }]);
    expect((await nb.table('sales')).numRows).toBe(3);
  });

  it('replaces a step that writes the same key, keeping its place', async () => {
    const r = await nb.define({ layer: 'transform', name: 'totals', value: 'SELECT region, max(amount) AS total FROM sales GROUP BY region ORDER BY region', inputs: { sales: 'sales' }, outputs: { data: 'totals' } });
    expect(r.replaced).toBe(true);
    expect(nb.definitions().map((d) => d.name)).toEqual(['ingest_sales', 'totals']);
    expect(await nb.rows('totals')).toEqual([{ region: 'north', total: 10n }, { region: 'south', total: 20n }]);
  });

  it('records nothing when a definition fails, keeping the earlier one', async () => {
    await expect(nb.define({ layer: 'transform', name: 'totals', value: 'SELECT nope FROM sales', inputs: { sales: 'sales' }, outputs: { data: 'totals' } })).rejects.toThrow(/nope/);
    await expect(nb.define({ layer: 'transform', name: 'bad', value: 'SELECT 1', inputs: { x: 'missing' }, outputs: { data: 'bad' } })).rejects.toThrow(/no step produces/);
    expect(nb.definitions().map((d) => d.name)).toEqual(['ingest_sales', 'totals']);
    expect(await nb.rows('totals')).toEqual([{ region: 'north', total: 10n }, { region: 'south', total: 20n }]);
  });

  it('exports a config with paths relative to the exported file that runs to the same result', async () => {
    await nb.define({ layer: 'store', name: 'store_totals', value: 'out/totals.csv', inputs: { data: 'totals' } });
    expect(await readFile(path.join(dir, 'out/totals.csv'), 'utf8')).toBe('region,total\nnorth,10\nsouth,20\n');
    const file = await nb.export('pipelines/sales.json');
    const config = JSON.parse(await readFile(file, 'utf8'));
    expect(config.steps.find((s: { name: string }) => s.name === 'ingest_sales').value).toBe('../sales.csv');
    await rm(path.join(dir, 'out'), { recursive: true });
    const result = await runPipeline(file, { noState: true });
    expect(result.status).toBe('success');
    expect(await readFile(path.join(dir, 'out/totals.csv'), 'utf8')).toBe('region,total\nnorth,10\nsouth,20\n');
  });
});
