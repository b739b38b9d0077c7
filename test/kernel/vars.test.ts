/**
 * Variables in the notebook, through the real kernel (nbconvert): `%set`, `${var:…}` in cells,
 * `%vars`, and `%export --parameterize`, whose config runs under `dev` and `prod` on two roots with
 * the same gold; `odibi convert` keeps the references too.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { odibi, REPO } from '../helpers/cli.js';
import { query } from '../helpers/duckdb.js';
import { jupyterEnv } from '../helpers/jupyter.js';
import { tempDir } from '../helpers/project.js';

const run = promisify(execFile);

const CELLS = [
  '%set min_temp 20',
  '%ingest readings data/readings.csv',
  '%ingest devices data/devices.csv',
  '%%sql hot\nSELECT d.site, count(*) AS n FROM readings r JOIN devices d USING (device_id)\nWHERE TRY_CAST(r.temperature_c AS DOUBLE) > ${var:min_temp}\nGROUP BY ALL',
  '%store hot out/hot.parquet',
  '%vars',
  '%export pipeline.json --parameterize',
];

describe('variables in the notebook', () => {
  it('%set feeds ${var:…} in cells; %export --parameterize writes a config that runs under dev and prod on two roots with the same gold', async () => {
    const env = await jupyterEnv();
    const dir = await tempDir('odibi-nb-vars-');
    await cp(path.join(REPO, 'examples/iot/data'), path.join(dir, 'data'), { recursive: true });
    await writeFile(path.join(dir, 'vars.ipynb'), JSON.stringify({
      nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: 'odibi', display_name: 'ODIBI (TypeScript)', language: 'typescript' } },
      cells: CELLS.map((source, i) => ({ cell_type: 'code', id: `c${i}`, metadata: {}, execution_count: null, source, outputs: [] })),
    }));
    await run('/usr/bin/jupyter', ['nbconvert', '--to', 'notebook', '--execute', '--output', 'executed.ipynb', 'vars.ipynb'], { env, cwd: dir, timeout: 120_000 });
    const executed = JSON.parse(await readFile(path.join(dir, 'executed.ipynb'), 'utf8')) as { cells: Array<{ outputs: Array<{ output_type: string; data?: Record<string, string | string[]>; evalue?: string }> }> };
    expect(executed.cells.flatMap((c) => c.outputs).filter((o) => o.output_type === 'error').map((o) => o.evalue)).toEqual([]);
    const textOf = (i: number) => executed.cells[i].outputs.map((o) => [o.data?.['text/plain'] ?? ''].flat().join('')).join('');
    expect(textOf(0)).toBe('min_temp = 20');
    expect(textOf(5)).toMatch(/min_temp\s+\|\s+20\s+\|\s+hot/);

    const config = JSON.parse(await readFile(path.join(dir, 'pipeline.json'), 'utf8'));
    const byName = Object.fromEntries(config.steps.map((s: { name: string; value: string }) => [s.name, s.value]));
    expect(byName.hot).toContain('${var:min_temp}');
    expect(byName.ingest_readings).toBe('${var:data_root}/readings.csv');
    expect(byName.store_hot).toBe('${var:out_root}/hot.parquet');
    expect(config.profiles).toEqual({ dev: { vars: { min_temp: '20', data_root: 'data', out_root: 'out' } } });

    // dev: the notebook's own folders. prod: another root for both, from odibi.profiles.json.
    await mkdir(path.join(dir, 'prod'));
    await cp(path.join(dir, 'data'), path.join(dir, 'prod/landing'), { recursive: true });
    await writeFile(path.join(dir, 'odibi.profiles.json'), JSON.stringify({ prod: { vars: { min_temp: '20', data_root: 'prod/landing', out_root: 'prod/gold' } } }));
    const dev = await odibi(['run', 'pipeline.json'], { cwd: dir });
    expect(dev.code, dev.stderr).toBe(0);
    const prod = await odibi(['run', 'pipeline.json', '--profile', 'prod'], { cwd: dir });
    expect(prod.code, prod.stderr).toBe(0);
    const gold = (f: string) => query(`SELECT * FROM read_parquet('${path.join(dir, f)}') ORDER BY ALL`);
    const notebookGold = await gold('out/hot.parquet');
    expect(notebookGold.length).toBeGreaterThan(0);
    expect(await gold('prod/gold/hot.parquet')).toEqual(notebookGold);

    // odibi convert keeps the references and the notebook's values as the dev profile.
    const converted = await odibi(['convert', path.join(dir, 'executed.ipynb'), '-o', path.join(dir, 'converted.json')]);
    expect(converted.code, converted.stderr).toBe(0);
    const conv = JSON.parse(await readFile(path.join(dir, 'converted.json'), 'utf8'));
    expect(conv.steps.find((s: { name: string }) => s.name === 'hot').value).toContain('${var:min_temp}');
    expect(conv.profiles).toEqual({ dev: { vars: { min_temp: '20' } } });
  }, 180_000);
});
