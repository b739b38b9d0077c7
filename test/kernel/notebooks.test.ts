/**
 * The notebooks in notebooks/ execute cleanly under nbconvert with the odibi kernel, and what they
 * export runs under `odibi run` to the same outputs.
 */
import { execFile } from 'node:child_process';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { odibi, REPO } from '../helpers/cli.js';
import { query } from '../helpers/duckdb.js';
import { jupyterEnv } from '../helpers/jupyter.js';
import { tempDir } from '../helpers/project.js';

const run = promisify(execFile);

describe('notebooks/iot-profiles.ipynb', () => {
  it('exports a parameterised config that odibi run runs under dev and prod to two roots with the same gold', async () => {
    const env = await jupyterEnv();
    const root = await tempDir('odibi-profiles-nb-');
    await cp(path.join(REPO, 'notebooks/iot-profiles.ipynb'), path.join(root, 'notebooks/iot-profiles.ipynb'));
    await cp(path.join(REPO, 'examples/iot/data'), path.join(root, 'examples/iot/data'), { recursive: true });
    const nbDir = path.join(root, 'notebooks');
    await run('/usr/bin/jupyter', ['nbconvert', '--to', 'notebook', '--execute', '--output', 'executed.ipynb', 'iot-profiles.ipynb'], { env, cwd: nbDir, timeout: 180_000 });
    const executed = JSON.parse(await readFile(path.join(nbDir, 'executed.ipynb'), 'utf8'));
    const outputs = executed.cells.flatMap((c: { outputs?: { output_type: string }[] }) => c.outputs ?? []);
    expect(outputs.filter((o: { output_type: string }) => o.output_type === 'error')).toEqual([]);
    const config = JSON.parse(await readFile(path.join(nbDir, 'pipelines/site_heat.json'), 'utf8'));
    expect(config.profiles.dev.vars).toEqual({ min_temp: '28', data_root: '../../examples/iot/data', out_root: '../out/gold' });
    const dev = await query(`SELECT * FROM read_parquet('${nbDir}/out/gold/site_heat.parquet') ORDER BY site`);
    expect(dev.length).toBeGreaterThan(0);
    expect(await query(`SELECT * FROM read_parquet('${nbDir}/out/prod/site_heat.parquet') ORDER BY site`)).toEqual(dev);
  }, 200_000);
});

describe('notebooks/quickstart.ipynb', () => {
  it('executes without errors and its export reproduces the notebook output', async () => {
    const env = await jupyterEnv();
    // Same layout as the repo, so the notebook's ../examples paths resolve.
    const root = await tempDir('odibi-quickstart-');
    await cp(path.join(REPO, 'notebooks/quickstart.ipynb'), path.join(root, 'notebooks/quickstart.ipynb'));
    await cp(path.join(REPO, 'examples/iot/data'), path.join(root, 'examples/iot/data'), { recursive: true });
    const nbDir = path.join(root, 'notebooks');
    await run('/usr/bin/jupyter', ['nbconvert', '--to', 'notebook', '--execute', '--output', 'executed.ipynb', 'quickstart.ipynb'], { env, cwd: nbDir, timeout: 180_000 });
    const executed = JSON.parse(await readFile(path.join(nbDir, 'executed.ipynb'), 'utf8'));
    const outputs = executed.cells.flatMap((c: { outputs?: { output_type: string }[] }) => c.outputs ?? []);
    expect(outputs.filter((o: { output_type: string }) => o.output_type === 'error')).toEqual([]);
    expect(outputs.some((o: { data?: Record<string, unknown> }) => o.data?.['image/svg+xml'])).toBe(true);

    const parquet = path.join(nbDir, 'out/device_health.parquet');
    const fromNotebook = await query(`SELECT * FROM read_parquet('${parquet}') ORDER BY device_id, day`);
    expect(fromNotebook.length).toBeGreaterThan(100);
    await rm(parquet);
    const r = await odibi(['run', path.join(nbDir, 'out/iot_pipeline.json')], { cwd: await tempDir() });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await query(`SELECT * FROM read_parquet('${parquet}') ORDER BY device_id, day`)).toEqual(fromNotebook);

    // odibi convert reads the saved notebook without running it and gives the same pipeline.
    await rm(parquet);
    const converted = await odibi(['convert', path.join(nbDir, 'executed.ipynb'), '-o', path.join(root, 'converted/iot.json')]);
    expect(converted.code, converted.stderr).toBe(0);
    expect(converted.stdout).toMatch(/wrote .*iot\.json \(6 steps, 1 TypeScript module beside it\)/);
    const run2 = await odibi(['run', path.join(root, 'converted/iot.json')], { cwd: await tempDir() });
    expect(run2.code, run2.stdout + run2.stderr).toBe(0);
    expect(await query(`SELECT * FROM read_parquet('${parquet}') ORDER BY device_id, day`)).toEqual(fromNotebook);
  });
});

describe('odibi convert', () => {
  const nb = (cells: { source: string; error?: boolean }[]) => JSON.stringify({
    nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: 'odibi', display_name: 'ODIBI (TypeScript)' } },
    cells: cells.map((c, i) => ({ cell_type: 'code', id: `c${i}`, metadata: {}, execution_count: null, source: c.source, outputs: c.error ? [{ output_type: 'error', ename: 'MagicError', evalue: 'x', traceback: [] }] : [] })),
  });

  it('leaves out cells whose saved output is an error, or fails with --strict', async () => {
    const dir = await tempDir();
    await cp(path.join(REPO, 'examples/iot/data'), path.join(dir, 'data'), { recursive: true });
    const file = path.join(dir, 'n.ipynb');
    await writeFile(file, nb([
      { source: '%ingest devices data/devices.csv' },
      { source: '%%sql broken\nSELECT nope FROM devices', error: true },
      { source: 'const x = 1;' },
      { source: '%%sql sites\nSELECT DISTINCT site FROM devices ORDER BY site' },
      { source: '%store sites out/sites.csv' },
    ]));
    const loose = await odibi(['convert', file]);
    expect(loose.code).toBe(0);
    expect(loose.stderr).toMatch(/warning: cell 2 \(%%sql broken\): left out, its saved output is an error/);
    const config = JSON.parse(await readFile(path.join(dir, 'n.json'), 'utf8'));
    expect(config.steps.map((s: { name: string }) => s.name)).toEqual(['ingest_devices', 'sites', 'store_sites']);
    expect((await odibi(['run', path.join(dir, 'n.json')])).code).toBe(0);
    expect(await readFile(path.join(dir, 'out/sites.csv'), 'utf8')).toBe('site\noffice-hq\nplant-north\nplant-south\nwarehouse-east\n');

    const strict = await odibi(['convert', file, '--strict', '-o', path.join(dir, 'strict.json')]);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(/cell 2 \(%%sql broken\): its saved output is an error/);
  });
});
