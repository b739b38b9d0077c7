/** `odibi run` options (--only, --skip, --workers, --json, --state-dir), `runs`, `dag` and `init`. */
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { events, odibi } from '../helpers/cli.js';
import { query } from '../helpers/duckdb.js';
import { copyExample, tempDir, writePipeline } from '../helpers/project.js';

function ran(evts: Record<string, any>[]): string[] {
  return evts.filter((e) => e.type === 'step_success').map((e) => e.step).sort();
}

describe('selection', () => {
  it('--only +name runs the step and everything upstream of it', async () => {
    const dir = await copyExample();
    const r = await odibi(['run', path.join(dir, 'pipeline.json'), '--only', '+device_daily', '--json']);
    expect(r.code).toBe(0);
    const evts = events(r.stdout);
    expect(ran(evts)).toEqual(['clean_readings', 'device_daily', 'ingest_devices', 'ingest_readings']);
    expect(evts.filter((e) => e.type === 'step_skipped' && e.reason === 'deselected').map((e) => e.step)).toContain('store_gold');
  });

  it('name+ adds everything downstream; --skip removes steps', async () => {
    const dir = await copyExample();
    const r = await odibi(['run', path.join(dir, 'pipeline.json'), '--only', '+rate_devices+', '--skip', 'store_gold,publish_site_summary', '--json']);
    expect(r.code).toBe(0);
    expect(ran(events(r.stdout))).toEqual(['clean_readings', 'device_daily', 'ingest_devices', 'ingest_readings', 'rate_devices', 'site_summary']);
  });

  it('checks only the steps it will run: a broken step left out by --skip does not stop the run, as with the library', async () => {
    const dir = await tempDir();
    const config = await writePipeline(dir, [
      { layer: 'ingest', name: 'good', type: 'sql', value: 'SELECT 1 AS x', outputs: { data: 'good' } },
      { layer: 'ingest', name: 'broken', type: 'sql', value: 'SELEC 1', outputs: { data: 'broken' } },
    ]);
    expect((await odibi(['run', config])).code).toBe(2);
    const r = await odibi(['run', config, '--skip', 'broken', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(ran(events(r.stdout))).toEqual(['good']);
  });

  it('refuses a selection that leaves out a needed upstream step', async () => {
    const dir = await copyExample();
    const r = await odibi(['run', path.join(dir, 'pipeline.json'), '--skip', 'clean_readings']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/'device_daily' needs 'clean_readings'/);
    expect(r.stderr).toMatch(/hint: .*\+/);
  });
});

describe('parallel workers', () => {
  const slow = (name: string) => ({ layer: 'ingest', name, type: 'function', value: 'slow.mjs#wait', params: { ms: 400 }, outputs: { data: name } });

  async function maxConcurrency(workers: number): Promise<number> {
    const dir = await tempDir();
    await import('node:fs/promises').then((fs) => fs.writeFile(path.join(dir, 'slow.mjs'), 'export async function wait(_i, ctx) { await new Promise((r) => setTimeout(r, ctx.params.ms)); return [{ ok: 1 }]; }\n'));
    const cfg = await writePipeline(dir, [slow('a'), slow('b'), slow('c'), slow('d')]);
    const r = await odibi(['run', cfg, '--json', '--workers', String(workers)]);
    expect(r.code, r.stderr).toBe(0);
    let running = 0;
    let max = 0;
    for (const e of events(r.stdout)) {
      if (e.type === 'step_start') max = Math.max(max, ++running);
      if (e.type === 'step_success' || e.type === 'step_error') running--;
    }
    return max;
  }

  it('runs independent steps at once, never more than --workers', async () => {
    expect(await maxConcurrency(1)).toBe(1);
    expect(await maxConcurrency(3)).toBe(3);
  });
});

describe('--json and the tracker', () => {
  it('prints one JSON event per line, run_start first and run_end last', async () => {
    const dir = await copyExample();
    const state = await tempDir();
    const r = await odibi(['run', path.join(dir, 'pipeline.json'), '--json', '--state-dir', state]);
    expect(r.code).toBe(0);
    const evts = events(r.stdout);
    expect(evts[0].type).toBe('run_start');
    expect(evts.at(-1)).toMatchObject({ type: 'run_end', status: 'success', succeeded: 9, failed: 0 });
    expect(new Set(evts.map((e) => e.runId)).size).toBe(1);
    const success = evts.find((e) => e.type === 'step_success' && e.step === 'clean_readings');
    expect(success.rowsOut).toBeGreaterThan(0);
    expect(success.outputs[0].schema.length).toBe(6);

    const list = await odibi(['runs', '--state-dir', state]);
    expect(list.stdout).toContain(evts[0].runId);
    expect(list.stdout).toMatch(/iot_sensors\s+success/);
    const show = await odibi(['runs', 'show', evts[0].runId.slice(0, 18), '--state-dir', state]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/✔ clean_readings/);
    expect(show.stdout).toMatch(/schema: reading_id BIGINT/);
    expect(show.stdout).toMatch(/silver_readings: clean_readings → device_daily, store_silver/);
    expect((await odibi(['runs', 'show', 'nope', '--state-dir', state])).code).toBe(1);
  });
});

describe('dag', () => {
  it('writes Mermaid, DOT and an SVG file', async () => {
    const dir = await copyExample();
    const cfg = path.join(dir, 'pipeline.json');
    const mermaid = await odibi(['dag', cfg]);
    expect(mermaid.stdout).toMatch(/^flowchart LR/);
    expect(mermaid.stdout).toContain('silver_readings');
    expect((await odibi(['dag', cfg, '--format', 'dot'])).stdout).toMatch(/^digraph/);
    const svgFile = path.join(dir, 'dag.svg');
    expect((await odibi(['dag', cfg, '--format', 'svg', '-o', svgFile])).code).toBe(0);
    const svg = await readFile(svgFile, 'utf8');
    expect(svg).toMatch(/^<svg/);
    for (const step of ['ingest_readings', 'rate_devices', 'publish_site_summary']) expect(svg).toContain(step);
    expect((await odibi(['dag', cfg, '--format', 'png'])).code).toBe(2);
  });
});

describe('init', () => {
  it('creates a project that validates and runs', async () => {
    const dir = path.join(await tempDir(), 'starter');
    const r = await odibi(['init', dir]);
    expect(r.code).toBe(0);
    for (const f of ['pipeline.json', 'transforms.ts', 'explore.ipynb', 'data/readings.csv', 'data/devices.csv']) await access(path.join(dir, f));
    const run = await odibi(['run', path.join(dir, 'pipeline.json')]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const rows = await query(`SELECT count(*) AS n FROM read_parquet('${dir}/out/gold_site_daily.parquet')`);
    expect(rows[0].n).toBeGreaterThan(0);
    expect((await odibi(['init', dir])).code).toBe(2);
  });
});
