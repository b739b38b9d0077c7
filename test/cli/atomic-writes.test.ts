/**
 * Outputs are committed only by a successful run: a failed run leaves every existing output
 * byte-for-byte unchanged and no temporary files behind. Append mode adds part files.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { odibi } from '../helpers/cli.js';
import { query } from '../helpers/duckdb.js';
import { copyExample, tempDir, writePipeline } from '../helpers/project.js';

async function listAll(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name)).sort();
}

async function snapshot(dir: string): Promise<Map<string, string>> {
  const files = await listAll(dir);
  return new Map(await Promise.all(files.map(async (f) => [f, (await readFile(f)).toString('base64')] as [string, string])));
}

async function editStep(cfg: string, name: string, patch: Record<string, unknown>): Promise<void> {
  const p = JSON.parse(await readFile(cfg, 'utf8'));
  const step = p.steps.find((s: { name: string }) => s.name === name);
  Object.assign(step, patch);
  await writeFile(cfg, JSON.stringify(p, null, 2));
}

describe('atomic overwrite', () => {
  it('leaves every output unchanged when a later step fails', async () => {
    const dir = await copyExample();
    const cfg = path.join(dir, 'pipeline.json');
    expect((await odibi(['run', cfg])).code).toBe(0);
    const before = await snapshot(path.join(dir, 'out'));
    expect(before.size).toBe(3);

    // New data would change silver and gold; then the last transform fails.
    await writeFile(path.join(dir, 'data/devices.csv'), 'device_id,site,model,installed_on\nD0001,moved-site,TX-100,2024-01-01\n');
    await editStep(cfg, 'site_summary', { value: 'SELECT site, no_such_column FROM health' });
    const r = await odibi(['run', cfg]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✔ store_silver/);
    expect(r.stdout).toMatch(/No outputs were changed/);
    expect(await snapshot(path.join(dir, 'out'))).toEqual(before);
  });

  it('leaves the output unchanged when the store step itself fails mid-write', async () => {
    const dir = await copyExample();
    const cfg = path.join(dir, 'pipeline.json');
    expect((await odibi(['run', cfg])).code).toBe(0);
    const before = await snapshot(path.join(dir, 'out'));
    await editStep(cfg, 'store_gold', { params: { options: { compression: 'no_such_codec' } } });
    const r = await odibi(['run', cfg]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✖ store_gold/);
    expect(await snapshot(path.join(dir, 'out'))).toEqual(before);
  });

  it('replaces outputs when the run succeeds, leaving no temp files', async () => {
    const dir = await copyExample();
    const cfg = path.join(dir, 'pipeline.json');
    expect((await odibi(['run', cfg])).code).toBe(0);
    await writeFile(path.join(dir, 'data/devices.csv'), 'device_id,site,model,installed_on\nD0001,moved-site,TX-100,2024-01-01\n');
    expect((await odibi(['run', cfg])).code).toBe(0);
    const sites = await query(`SELECT DISTINCT site FROM read_parquet('${dir}/out/gold/device_health.parquet')`);
    expect(sites).toEqual([{ site: 'moved-site' }]);
    expect((await listAll(path.join(dir, 'out'))).filter((f) => f.includes('odibi-tmp'))).toEqual([]);
  });

  it('with --keep-going commits the outputs of the steps that succeeded', async () => {
    const dir = await tempDir();
    const cfg = await writePipeline(dir, [
      { layer: 'ingest', name: 'numbers', type: 'sql', value: 'SELECT range AS id FROM range(5)', outputs: { data: 'n' } },
      // Fails only on the data (a check before the run cannot see it).
      { layer: 'transform', name: 'bad', value: "SELECT CAST('x' || id AS INTEGER) AS nope FROM n", inputs: { n: 'n' }, outputs: { data: 'b' } },
      { layer: 'store', name: 'store_bad', value: 'out/bad.parquet', inputs: { data: 'b' } },
      { layer: 'store', name: 'store_numbers', value: 'out/numbers.csv', inputs: { data: 'n' } },
    ]);
    const r = await odibi(['run', cfg, '--keep-going', '--workers', '1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/○ store_bad\s+store\s+skipped: upstream step 'bad' failed/);
    expect(await readFile(path.join(dir, 'out/numbers.csv'), 'utf8')).toBe('id\n0\n1\n2\n3\n4\n');
  });
});

describe('append mode', () => {
  it('adds one part file per run, all readable with a glob', async () => {
    const dir = await tempDir();
    const cfg = await writePipeline(dir, [
      { layer: 'ingest', name: 'batch', type: 'sql', value: 'SELECT range AS id, now() AS loaded_at FROM range(4)', outputs: { data: 'b' } },
      { layer: 'store', name: 'land', value: 'lake/events', params: { mode: 'append' }, inputs: { data: 'b' } },
    ]);
    for (let i = 0; i < 3; i++) expect((await odibi(['run', cfg])).code).toBe(0);
    const parts = (await readdir(path.join(dir, 'lake/events'))).filter((f) => f.endsWith('.parquet'));
    expect(parts).toHaveLength(3);
    const [{ n }] = await query(`SELECT count(*) AS n FROM read_parquet('${dir}/lake/events/**/*.parquet')`);
    expect(n).toBe(12);
  });
});
