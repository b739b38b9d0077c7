/**
 * The notebooks in notebooks/ execute cleanly under nbconvert with the odibi kernel, and what they
 * export runs under `odibi run` to the same outputs.
 */
import { execFile } from 'node:child_process';
import { cp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { odibi, REPO } from '../helpers/cli.js';
import { query } from '../helpers/duckdb.js';
import { jupyterEnv } from '../helpers/jupyter.js';
import { tempDir } from '../helpers/project.js';

const run = promisify(execFile);

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
  });
});
