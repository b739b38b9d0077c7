/**
 * Data checks in the notebook, through the real kernel (nbconvert): `%%sql --checks` shows each
 * result under the cell, `%check` adds one to a step and runs it at once (a failed error check
 * fails the cell), and `%export` / `odibi convert` carry them into a config that `odibi run` gates.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { events, odibi } from '../helpers/cli.js';
import { jupyterEnv } from '../helpers/jupyter.js';
import { tempDir } from '../helpers/project.js';

const run = promisify(execFile);

const CELLS = [
  '%ingest readings data/readings.csv',
  `%%sql clean --checks '[{"type": "not_null", "columns": ["device_id"]}, {"type": "accepted_values", "column": "status", "values": ["ok"], "severity": "warn"}]'\nSELECT * FROM readings`,
  '%check clean unique device_id',
  '%check clean row_count min=1 --warn',
  '%store clean out/clean.parquet',
  '%export pipeline.json',
];

type Output = { output_type: string; name?: string; text?: string | string[]; data?: Record<string, string | string[]>; evalue?: string };

describe('data checks in the notebook', () => {
  it('shows results under the cell, fails the cell on an error check, and %export carries every check', async () => {
    const env = await jupyterEnv();
    const dir = await tempDir('odibi-nb-checks-');
    await mkdir(path.join(dir, 'data'));
    await writeFile(path.join(dir, 'data/readings.csv'), 'device_id,status\nd1,ok\nd2,ok\nd2,bad\n');
    await writeFile(path.join(dir, 'checks.ipynb'), JSON.stringify({
      nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: 'odibi', display_name: 'ODIBI (TypeScript)', language: 'typescript' } },
      cells: CELLS.map((source, i) => ({ cell_type: 'code', id: `c${i}`, metadata: {}, execution_count: null, source, outputs: [] })),
    }));
    await run('/usr/bin/jupyter', ['nbconvert', '--to', 'notebook', '--execute', '--allow-errors', '--output', 'executed.ipynb', 'checks.ipynb'], { env, cwd: dir, timeout: 120_000 });
    const cells = (JSON.parse(await readFile(path.join(dir, 'executed.ipynb'), 'utf8')) as { cells: Array<{ outputs: Output[] }> }).cells;
    const streamed = (i: number) => cells[i].outputs.filter((o) => o.output_type === 'stream').map((o) => [o.text ?? ''].flat().join('')).join('');
    const error = (i: number) => cells[i].outputs.find((o) => o.output_type === 'error')?.evalue;
    expect(streamed(1)).toContain('✔ check not_null(device_id): passed');
    expect(streamed(1)).toContain('⚠ check accepted_values(status) (warn): 1 row has a status outside "ok"\n    {"device_id":"d2","status":"bad"}');
    expect(error(1)).toBeUndefined();
    expect(error(2)).toBe('%check: ✖ check unique(device_id): 2 rows share 1 value of device_id\n    {"device_id":"d2","duplicates":2}');
    expect([cells[3].outputs[0]?.data?.['text/plain']].flat().join('')).toBe('✔ check row_count(1..) (warn): 3 rows');
    expect(error(4)).toBeUndefined();

    const config = JSON.parse(await readFile(path.join(dir, 'pipeline.json'), 'utf8'));
    const clean = config.steps.find((s: { name: string }) => s.name === 'clean');
    expect(clean.params.checks.map((c: { type: string }) => c.type)).toEqual(['not_null', 'accepted_values', 'unique', 'row_count']);
    // The exported config is gated by the same checks.
    const r = await odibi(['run', 'pipeline.json', '--json'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(events(r.stdout).find((e) => e.type === 'step_error')?.error.message).toMatch(/^check unique\(device_id\) failed/);
    const converted = await odibi(['convert', path.join(dir, 'executed.ipynb'), '-o', path.join(dir, 'converted.json')]);
    expect(converted.code, converted.stderr).toBe(0);
    const conv = JSON.parse(await readFile(path.join(dir, 'converted.json'), 'utf8'));
    expect(conv.steps.find((s: { name: string }) => s.name === 'clean').params.checks).toEqual(clean.params.checks);
  }, 180_000);
});
