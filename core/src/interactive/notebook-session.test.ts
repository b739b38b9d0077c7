import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../run.js';
import type { RunEvent } from '../exec/events.js';
import { RunStore } from '../tracker/run-store.js';
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

  it('runs each step as a run of its own: events, a run record, its logs as step_log events', async () => {
    const d = await mkdtemp(path.join(os.tmpdir(), 'odibi-nb-rec-'));
    try {
      await writeFile(path.join(d, 'a.csv'), 'id\n1\n2\n');
      await writeFile(path.join(d, 'fn.mjs'), 'export function tag(inputs, ctx) { ctx.log("tagging"); return inputs.a; }\n');
      const seen: RunEvent[] = [];
      const s = await NotebookSession.create({ baseDir: d, hooks: [(e) => { seen.push(e); }] });
      try {
        const own: RunEvent[] = [];
        await s.define({ layer: 'ingest', name: 'load', value: 'a.csv', outputs: { data: 'a' } }, { hooks: [(e) => { own.push(e); }] });
        expect(own.map((e) => e.type)).toEqual(['run_start', 'step_start', 'step_success', 'run_end']);
        await s.define({ layer: 'transform', name: 'tagged', type: 'function', value: 'fn.mjs#tag', inputs: { a: 'a' }, outputs: { data: 't' } });
        expect(seen.find((e) => e.type === 'step_log')).toMatchObject({ step: 'tagged', message: 'tagging' });
        await expect(s.define({ layer: 'transform', name: 'bad', value: 'SELECT nope FROM a', inputs: { a: 'a' }, outputs: { data: 'b' } })).rejects.toThrow(/nope/);
      } finally {
        await s.close();
      }
      // Newest first, as `odibi runs` lists them.
      const runs = (await new RunStore(path.join(d, '.odibi')).list()).reverse();
      expect(runs.map((r) => [Object.keys(r.steps), r.status])).toEqual([[['load'], 'success'], [['tagged'], 'success'], [['bad'], 'failed']]);
      expect(runs[0]).toMatchObject({ pipeline: 'notebook', options: { notebook: true } });
      expect(runs[0].steps.load).toMatchObject({ rowsOut: 2 });
      expect(runs[1].steps.tagged.logs).toEqual(['tagging']);
    } finally {
      await rm(d, { recursive: true, force: true });
    }
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
