/**
 * The pipeline magics through jupyter_client: define steps cell by cell, replace one, see errors
 * with hints, then export and check that `odibi run` on the export gives the notebook's result.
 */
import { execFile } from 'node:child_process';
import { cp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { odibi, REPO } from '../helpers/cli.js';
import { jupyterEnv } from '../helpers/jupyter.js';
import { tempDir } from '../helpers/project.js';

const run = promisify(execFile);
type Cell = { reply: Record<string, any>; outputs: { type: string; [k: string]: any }[] };
let dir: string;
let cells: Record<string, Cell>;

beforeAll(async () => {
  const env = await jupyterEnv();
  dir = await tempDir('odibi-magics-');
  await cp(path.join(REPO, 'examples/iot/data'), path.join(dir, 'data'), { recursive: true });
  const { stdout } = await run('/usr/bin/python3', [path.join(REPO, 'test/kernel/magics_checks.py'), dir], { env, maxBuffer: 64 * 1024 * 1024, timeout: 180_000 });
  cells = JSON.parse(stdout);
}, 240_000);

const result = (c: Cell) => c.outputs.find((o) => o.type === 'execute_result')?.data ?? {};

describe('pipeline magics', () => {
  it('%ingest reads a file and shows a table with the row count and column types', () => {
    expect(cells.ingest_readings.reply.status).toBe('ok');
    const html = result(cells.ingest_readings)['text/html'];
    expect(html).toMatch(/readings: 2,018 rows \(first 20 shown\)/);
    expect(html).toContain('reading_id<br><small');
    expect((html.match(/<tr>/g) ?? []).length).toBe(21);
    expect(result(cells.ingest_readings)['text/plain']).toMatch(/^readings: 2,018 rows/);
  });

  it('%%sql runs over earlier keys; re-running replaces the step; a failing cell keeps the earlier one', () => {
    expect(result(cells.sql)['text/plain']).toMatch(/per_site: 4 rows/);
    expect(result(cells.sql_again)['text/html']).toContain('readings<br>');
    expect(cells.sql_broken.reply).toMatchObject({ status: 'error', ename: 'MagicError' });
    // The column the user wrote, where they wrote it: line 1 of the SQL is line 2 of the cell.
    expect(cells.sql_broken.reply.evalue).toBe("%%sql: unknown column 'nope' (line 2, column 8 of the cell)");
    const steps = result(cells.steps)['text/plain'];
    expect(steps.match(/per_site/g).length).toBeGreaterThan(0);
    expect(steps).toMatch(/pipeline: 8 steps/);
  });

  it('%publish writes a JSON file; %connect opens a connection', async () => {
    expect(result(cells.publish)['text/plain']).toBe('published 4 rows of per_site to out/per_site.json');
    expect(JSON.parse(await readFile(path.join(dir, 'out/per_site.json'), 'utf8'))).toHaveLength(4);
    expect(result(cells.connect)['text/plain']).toBe("connected 'lite'");
  });

  it('TypeScript cells read notebook data with odibi.rows and odibi.table', () => {
    expect(result(cells.rows)['text/plain']).toBe("'office-hq,plant-north'");
    expect(result(cells.table)['text/plain']).toBe('12');
  });

  it('%%ts defines a TypeScript function step over earlier datasets', () => {
    expect(cells.ts.reply.status).toBe('ok');
    expect(result(cells.ts)['text/plain']).toMatch(/share: 4 rows/);
    expect(result(cells.ts)['text/html']).toContain('share<br><small style="font-weight:normal;opacity:.7">DOUBLE');
    expect(cells.ts_bad_input.reply.evalue).toBe("%%ts: unknown dataset 'nowhere'");
    // What the step logs is an event the cell shows, not a write to the kernel's stdout.
    expect(cells.ts.outputs.filter((o) => o.type === 'stream').map((o) => o.text).join('')).toBe('share: shared 4 sites\n');
  });

  it('leaves a run record for every step a magic ran, as for any run', async () => {
    const r = await odibi(['runs', '--state-dir', path.join(dir, '.odibi'), '--json']);
    const runs = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const notebook = runs.filter((x: { pipeline: string }) => x.pipeline === 'notebook');
    // ingest ×2, sql ×2 (the broken one failed), ts, store ×2, publish, connect, …
    expect(notebook.length).toBeGreaterThanOrEqual(10);
    expect(notebook.some((x: { status: string }) => x.status === 'failed')).toBe(true);
  });

  it('%chart and %%chart send a vega-lite JSON object plus an SVG fallback', () => {
    const line = result(cells.chart);
    expect(typeof line['application/vnd.vegalite.v5+json']).toBe('object');
    expect(line['application/vnd.vegalite.v5+json']).toMatchObject({ mark: 'bar', encoding: { x: { field: 'site', type: 'nominal' }, y: { field: 'readings', type: 'quantitative' } } });
    expect(line['application/vnd.vegalite.v5+json'].data.values).toHaveLength(4);
    expect(line['image/svg+xml']).toMatch(/^<svg[\s\S]*plant-north[\s\S]*<\/svg>$/);
    expect(result(cells.chart_cell)['application/vnd.vegalite.v5+json']).toMatchObject({ mark: 'point' });
    expect(result(cells.chart_cell)['image/svg+xml']).toMatch(/^<svg/);
    expect(cells.chart_bad_column.reply.evalue).toBe("%chart: dataset 'per_site' has no column 'sitee'");
    expect(cells.chart_bad_column.reply.traceback).toContain("hint: did you mean 'site'?");
  });

  it('%dag draws an SVG with mermaid text; %run shows live progress and a summary', () => {
    expect(result(cells.dag)['image/svg+xml']).toMatch(/^<svg/);
    expect(result(cells.dag)['text/plain']).toMatch(/^flowchart LR/);
    // In Notebook and Lab: scaled to the output width, never below 75% (legible labels), scrolling past that.
    expect(result(cells.dag)['text/html']).toMatch(/^<div class="odibi-dag" style="overflow-x:auto;max-width:100%"><div style="width:100%;min-width:\d+px;max-width:\d+px"><svg /);
    const updates = cells.run.outputs.filter((o) => o.type === 'update_display_data');
    expect(updates.length).toBeGreaterThan(0);
    expect(updates.at(-1)!.data['text/plain']).toMatch(/run success/);
    expect(result(cells.run)['text/plain']).toMatch(/store_per_site +\| success/);
    // The summary counts steps, not rows.
    expect(result(cells.run)['text/plain']).toMatch(/^run success: \d+ steps\n/);
  });

  it('%run shows the step that is running while it runs, and ends on the final state', () => {
    const updates = cells.run_slow.outputs.filter((o) => o.type === 'update_display_data').map((o) => String(o.data['text/plain']));
    expect(updates.some((u) => /^… slow$/m.test(u) && /^✔ ingest_devices /m.test(u))).toBe(true);
    expect(updates.at(-1)).toMatch(/^✔ slow /m);
    expect(updates.at(-1)).toMatch(/run success in \d+ ms/);
  });

  it('types each dataset from its DuckDB schema: values, unknown keys and columns, completion', () => {
    // count(*) is a BIGINT: DuckDB gives JavaScript a bigint, and the declared type says so.
    expect(result(cells.typed_value)['text/plain']).toBe("'bigint'");
    expect(cells.typed_bad_key.reply.evalue).toBe("1:28 - unknown dataset 'per_sight'; did you mean 'per_site'?");
    expect(cells.typed_bad_column.reply.evalue).toBe("1:45 - unknown column 'readngs'; did you mean 'readings'?");
    const completions = (cells as unknown as { completions: Record<string, string[]> }).completions;
    expect(completions.key).toContain('per_site');
    expect(completions.column).toContain('readings');
    expect(completions.sql).toContain('site');
  });

  it('%dag after %run colours steps by status', () => {
    expect(result(cells.dag_after_run)['image/svg+xml']).toContain('state-success');
    expect(result(cells.dag)['image/svg+xml']).not.toContain('state-success');
  });

  it('%%sql --template fills {{var}} from TypeScript variables; without it SQL is untouched', () => {
    expect(result(cells.sql_template)['text/plain']).toMatch(/busy: \d+ rows?/);
    expect(result(cells.sql_template)['text/html']).not.toContain('plant-south');
    expect(cells.sql_template_missing.reply.evalue).toBe("%%sql: no TypeScript variable 'minReading' for {{minReading}}");
    expect(cells.sql_template_missing.reply.traceback).toContain("hint: did you mean 'minReadings'?");
    expect(result(cells.sql_no_template)['text/html']).toContain('<td>{{minReadings}}</td>');
  });

  it('bad magics name the magic and give a hint', () => {
    expect(cells.unknown_magic.reply.evalue).toBe('%ingets: unknown magic %ingets');
    expect(cells.unknown_magic.reply.traceback).toContain("hint: did you mean 'ingest'?");
    expect(cells.unknown_key.reply.evalue).toBe("%store: unknown dataset 'per_sight'");
    expect(cells.unknown_key.reply.traceback).toContain("hint: did you mean 'per_site'?");
    expect(cells.missing_arg.reply.evalue).toBe('%ingest: missing argument');
    expect(result(cells.lsmagic)['text/plain']).toContain('%%sql');
    expect(result(cells.help)['text/plain']).toMatch(/^%%sql <key>/);
  });

  it('%export writes a config that `odibi run` executes with the same result', async () => {
    const exported = path.join(dir, 'pipelines/iot.json');
    const inNotebook = await readFile(path.join(dir, 'out/per_site.csv'), 'utf8');
    const shareInNotebook = await readFile(path.join(dir, 'out/share.csv'), 'utf8');
    expect(inNotebook.split('\n')[0]).toBe('site,readings');
    await rm(path.join(dir, 'out'), { recursive: true });
    const r = await odibi(['run', exported], { cwd: await tempDir() });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await readFile(path.join(dir, 'out/per_site.csv'), 'utf8')).toBe(inNotebook);
    // The %%ts step went out as a generated module beside the config.
    const config = JSON.parse(await readFile(exported, 'utf8'));
    expect(config.steps.find((s: { name: string }) => s.name === 'share')).toMatchObject({ type: 'function', value: './iot.share.ts#share' });
    const shares = (await readFile(path.join(dir, 'out/share.csv'), 'utf8')).trim().split('\n');
    expect(shares[0]).toBe('site,share');
    expect(shares).toHaveLength(5);
    expect(shares.join('\n') + '\n').toBe(shareInNotebook);
  });
});
