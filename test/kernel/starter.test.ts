/**
 * The project `odibi init` makes runs as is: its notebook executes under nbconvert with the odibi
 * kernel in the new folder (outside this repository, with no node_modules of its own), and the
 * config it exports gives the same gold as the project's pipeline.json.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { odibi } from '../helpers/cli.js';
import { query } from '../helpers/duckdb.js';
import { jupyterEnv } from '../helpers/jupyter.js';
import { tempDir } from '../helpers/project.js';

const run = promisify(execFile);

describe('the starter project', () => {
  it('runs its notebook with the odibi kernel, no install, and exports the same pipeline', async () => {
    const parent = await tempDir('odibi-starter-');
    expect(parent.startsWith(os.tmpdir())).toBe(true);
    const dir = path.join(parent, 'starter');
    expect((await odibi(['init', dir])).code).toBe(0);
    await run('/usr/bin/jupyter', ['nbconvert', '--to', 'notebook', '--execute', '--output', 'executed.ipynb', 'explore.ipynb'], { env: await jupyterEnv(), cwd: dir, timeout: 180_000 });
    const executed = JSON.parse(await readFile(path.join(dir, 'executed.ipynb'), 'utf8')) as { cells: Array<{ cell_type: string; outputs?: Array<{ output_type: string; evalue?: string }> }> };
    const outputs = executed.cells.flatMap((c) => c.outputs ?? []);
    expect(outputs.filter((o) => o.output_type === 'error').map((o) => o.evalue)).toEqual([]);
    expect(executed.cells.filter((c) => c.cell_type === 'code').every((c) => (c.outputs ?? []).length > 0)).toBe(true);

    const fromNotebook = await query(`SELECT * FROM read_parquet('${dir}/out/notebook_gold_site_daily.parquet') ORDER BY site, day`);
    expect(fromNotebook.length).toBeGreaterThan(0);
    const exported = await odibi(['run', path.join(dir, 'out/notebook_pipeline.json')]);
    expect(exported.code, exported.stderr).toBe(0);
    // An average of floats may differ in its last digit between runs (parallel aggregation).
    const again = await query(`SELECT * FROM read_parquet('${dir}/out/notebook_gold_site_daily.parquet') ORDER BY site, day`);
    expect(again.map(({ avg_temperature_c: _a, ...rest }) => rest)).toEqual(fromNotebook.map(({ avg_temperature_c: _a, ...rest }) => rest));
    again.forEach((r, i) => expect(Number(r.avg_temperature_c)).toBeCloseTo(Number(fromNotebook[i].avg_temperature_c), 1));
  }, 200_000);
});
