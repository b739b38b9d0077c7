/**
 * Fusion (a dataset read by one SQL step only is a view inside that step) changes how a run works,
 * never what it writes: every example pipeline (the IoT config and each notebook in notebooks/,
 * converted by `odibi convert`) writes the same outputs row for row with fusion on and with
 * `--no-fuse`. `--explain` shows the decision without running anything.
 */
import { cp, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { odibi, REPO } from '../helpers/cli.js';
import { query } from '../helpers/duckdb.js';
import { copyExample, tempDir, writePipeline } from '../helpers/project.js';

interface Event { type: string; step?: string; committed?: string[]; status?: string; rowsOut?: number | null; outputs?: { key: string; rows: number | null; inlinedInto?: string; schema: unknown }[]; error?: { message: string; hint?: string } }

const runJson = async (config: string, ...flags: string[]) => {
  const r = await odibi(['run', config, '--json', ...flags]);
  const events = r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Event);
  return { ...r, events, end: events.find((e) => e.type === 'run_end')! };
};

/** Every row of a written output, in a fixed order: a file, or a folder of append parts. */
async function rowsOf(target: string): Promise<Record<string, unknown>[]> {
  const isDir = (await stat(target)).isDirectory();
  const file = isDir ? path.join(target, (await readdir(target)).find((f) => !f.startsWith('.'))!) : target;
  const ext = path.extname(file).toLowerCase();
  const src = isDir ? path.join(target, `*${ext}`) : target;
  const reader = ext === '.parquet' ? 'read_parquet' : ext === '.csv' ? 'read_csv' : 'read_json_auto';
  return query(`SELECT * FROM ${reader}('${src}') ORDER BY ALL`);
}

const configs: Record<string, string> = {};

beforeAll(async () => {
  configs['examples/iot/pipeline.json'] = path.join(await copyExample(), 'pipeline.json');
  // The notebooks read ../examples/<name>/data: the same layout in a temp root.
  const root = await tempDir('odibi-fusion-');
  await cp(path.join(REPO, 'notebooks'), path.join(root, 'notebooks'), { recursive: true });
  for (const ex of await readdir(path.join(REPO, 'examples'))) {
    if (existsSync(path.join(REPO, 'examples', ex, 'data'))) await cp(path.join(REPO, 'examples', ex, 'data'), path.join(root, 'examples', ex, 'data'), { recursive: true });
  }
  for (const nb of (await readdir(path.join(root, 'notebooks'))).filter((f) => f.endsWith('.ipynb'))) {
    const out = path.join(root, 'notebooks', nb.replace(/\.ipynb$/, '.json'));
    const r = await odibi(['convert', path.join(root, 'notebooks', nb), '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    configs[`notebooks/${nb}`] = out;
  }
}, 120_000);

describe('fusion', () => {
  it('gives the same outputs row for row with fusion on and off, on every example pipeline', async () => {
    expect(Object.keys(configs).length).toBeGreaterThanOrEqual(5);
    for (const [name, config] of Object.entries(configs)) {
      const fused = await runJson(config);
      expect(fused.code, `${name}\n${fused.stdout}${fused.stderr}`).toBe(0);
      const views = fused.events.filter((e) => e.type === 'step_success').flatMap((e) => e.outputs ?? []).filter((o) => o.inlinedInto);
      // Each example has a file read only by its cleaning query: fusion must really happen.
      expect(views.length, name).toBeGreaterThan(0);
      for (const v of views) expect(v.rows, name).toBeNull();
      const written = fused.end.committed!;
      expect(written.length, name).toBeGreaterThan(0);
      const before = new Map<string, Record<string, unknown>[]>();
      for (const target of written) before.set(target, await rowsOf(target));
      for (const target of written) await rm(target, { recursive: true, force: true });

      const stored = await runJson(config, '--no-fuse');
      expect(stored.code, `${name}\n${stored.stdout}${stored.stderr}`).toBe(0);
      expect(stored.events.filter((e) => e.type === 'step_success').flatMap((e) => e.outputs ?? []).filter((o) => o.inlinedInto || o.rows === null)).toEqual([]);
      expect([...stored.end.committed!].sort(), name).toEqual([...written].sort());
      // Every dataset has the same columns either way (a view's come from the dry run's binding).
      const schemas = (events: Event[]) => Object.fromEntries(events.filter((e) => e.type === 'step_success').flatMap((e) => e.outputs ?? []).map((o) => [o.key, o.schema]));
      expect(schemas(fused.events), name).toEqual(schemas(stored.events));
      for (const target of written) {
        const after = await rowsOf(target);
        expect(after.length, `${name}: ${target}`).toBe(before.get(target)!.length);
        expect(after, `${name}: ${target}`).toEqual(before.get(target));
      }
    }
  }, 240_000);

  it('--explain prints which datasets are views and why the others are tables, and runs nothing', async () => {
    const dir = await copyExample();
    const config = path.join(dir, 'pipeline.json');
    const r = await odibi(['run', config, '--explain']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Plan of 'iot_sensors': 9 steps in 6 levels, 6 datasets of which 2 fused/);
    expect(r.stdout).toMatch(/ingest_readings\s+ingest\s+bronze_readings → view \(read only by clean_readings, inside its query\)/);
    expect(r.stdout).toMatch(/clean_readings\s+transform\s+silver_readings → table \(read by 2 steps\)/);
    expect(r.stdout).toMatch(/rate_devices\s+transform\s+gold_device_health → table \(made by a function step\)/);
    expect(r.stdout).toMatch(/gold_site_summary → table \(read by publish_site_summary, a sink, which needs a table\)/);
    expect(r.stdout).toMatch(/store_silver\s+store\s+writes when the run commits/);

    const j = await odibi(['run', config, '--explain', '--json']);
    const plan = JSON.parse(j.stdout);
    expect(plan.levels[0].sort()).toEqual(['ingest_devices', 'ingest_readings']);
    expect(plan.datasets.filter((d: { storage: string }) => d.storage === 'view').map((d: { key: string }) => d.key).sort()).toEqual(['bronze_devices', 'bronze_readings']);

    const off = await odibi(['run', config, '--explain', '--no-fuse', '--json']);
    expect(JSON.parse(off.stdout).datasets.every((d: { storage: string; reason: string }) => d.storage === 'table' && d.reason === 'fusion is off: --no-fuse')).toBe(true);
    const resume = await odibi(['run', config, '--explain', '--resume']);
    expect(resume.stdout).toMatch(/of which 0 fused/);
    expect(resume.stdout).toMatch(/fusion is off: checkpoints save every dataset/);

    // Nothing ran: no outputs, no run record.
    expect(existsSync(path.join(dir, 'out'))).toBe(false);
    expect(existsSync(path.join(dir, '.odibi/runs'))).toBe(false);
  }, 60_000);

  it('names the step that reads a fused input when that input\'s query fails, and --no-fuse names its own step', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'data'));
    await writeFile(path.join(dir, 'data/raw.csv'), 'id,amount\n1,10\n2,oops\n');
    const config = await writePipeline(dir, [
      { layer: 'ingest', name: 'load', value: 'data/raw.csv', outputs: { data: 'raw' }, params: { options: { all_varchar: true } } },
      { layer: 'transform', name: 'typed', value: 'SELECT id, CAST(amount AS INTEGER) AS amount FROM raw', inputs: { raw: 'raw' }, outputs: { data: 'typed' } },
      { layer: 'transform', name: 'total', value: 'SELECT sum(amount) AS total FROM typed', inputs: { typed: 'typed' }, outputs: { data: 'total' } },
    ]);
    const fused = await odibi(['run', config]);
    expect(fused.code).toBe(1);
    expect(fused.stdout).toMatch(/✖ total/);
    expect(fused.stdout).toMatch(/Could not convert string 'oops'/);
    expect(fused.stdout).toMatch(/'typed' was read inside this step \(fused\); `odibi run --no-fuse` stores every dataset and shows which step's query fails/);
    const stored = await odibi(['run', config, '--no-fuse']);
    expect(stored.code).toBe(1);
    expect(stored.stdout).toMatch(/✖ typed/);
    expect(stored.stdout).not.toMatch(/--no-fuse/);
  }, 60_000);
});
