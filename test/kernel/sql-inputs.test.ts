/**
 * A %%sql cell's inputs are the tables DuckDB's parser finds in its FROM and JOIN clauses: a
 * notebook whose cells alias columns, name CTEs and write string literals equal to existing keys
 * gets exactly those tables as inputs, in the kernel (the DAG it draws), in `%export` and in
 * `odibi convert`. Re-running a cell that aliases a column like another key makes no false cycle.
 */
import { execFile } from 'node:child_process';
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { odibi, REPO } from '../helpers/cli.js';
import { jupyterEnv } from '../helpers/jupyter.js';
import { tempDir } from '../helpers/project.js';

const run = promisify(execFile);

const CELLS = [
  '%ingest readings data/readings.csv',
  '%ingest devices data/devices.csv',
  // A column aliased `readings`, a literal 'devices': only the FROM/JOIN tables count.
  "%%sql revenue\nSELECT d.site, count(*) AS readings, 'devices' AS label\nFROM readings r JOIN devices d USING (device_id)\nGROUP BY ALL",
  // A CTE named like an existing key, and a column alias `revenue`.
  '%%sql total\nWITH revenue AS (SELECT 1 AS x)\nSELECT count(*) AS revenue FROM readings, revenue',
  // A literal 'total' and a column `readings`: the input is revenue alone.
  "%%sql summary\nSELECT site, 'total' AS total, readings\nFROM \"revenue\"\nWHERE label <> 'readings'",
  // Re-running a valid cell (it aliases `revenue`, a key another cell reads) is no cycle.
  '%%sql total\nWITH revenue AS (SELECT 1 AS x)\nSELECT count(*) AS revenue FROM readings, revenue',
  '%dag',
  '%export out/pipeline.json',
];

const EXPECTED = { revenue: ['devices', 'readings'], total: ['readings'], summary: ['revenue'] };

function inputsOf(config: { steps: Array<{ name: string; inputs?: Record<string, string> }> }): Record<string, string[]> {
  return Object.fromEntries(config.steps.filter((s) => s.name in EXPECTED).map((s) => [s.name, Object.values(s.inputs ?? {}).sort()]));
}

describe('%%sql inputs come from DuckDB\'s parser', () => {
  it('are exactly the FROM/JOIN tables, in the kernel, %export and odibi convert', async () => {
    const env = await jupyterEnv();
    const dir = await tempDir('odibi-sql-inputs-');
    await cp(path.join(REPO, 'examples/iot/data'), path.join(dir, 'data'), { recursive: true });
    await writeFile(path.join(dir, 'inputs.ipynb'), JSON.stringify({
      nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: 'odibi', display_name: 'ODIBI (TypeScript)', language: 'typescript' } },
      cells: CELLS.map((source, i) => ({ cell_type: 'code', id: `c${i}`, metadata: {}, execution_count: null, source, outputs: [] })),
    }));
    await run('/usr/bin/jupyter', ['nbconvert', '--to', 'notebook', '--execute', '--output', 'executed.ipynb', 'inputs.ipynb'], { env, cwd: dir, timeout: 120_000 });
    const executed = JSON.parse(await readFile(path.join(dir, 'executed.ipynb'), 'utf8')) as { cells: Array<{ outputs: Array<{ output_type: string; data?: Record<string, string | string[]>; evalue?: string }> }> };
    const errors = executed.cells.flatMap((c) => c.outputs).filter((o) => o.output_type === 'error');
    expect(errors.map((e) => e.evalue)).toEqual([]);

    // The kernel's own graph: the mermaid text of %dag has exactly these edges into the SQL steps.
    const dag = [executed.cells[6].outputs[0].data!['text/plain']].flat().join('');
    const edges = [...dag.matchAll(/s_(\w+) -->\|"[^"]*"\| s_(revenue|total|summary)\b/g)].map((m) => `${m[1]}→${m[2]}`).sort();
    expect(edges).toEqual(['ingest_devices→revenue', 'ingest_readings→revenue', 'ingest_readings→total', 'revenue→summary']);

    const exported = JSON.parse(await readFile(path.join(dir, 'out/pipeline.json'), 'utf8'));
    expect(inputsOf(exported)).toEqual(EXPECTED);

    const converted = await odibi(['convert', path.join(dir, 'executed.ipynb'), '-o', path.join(dir, 'converted.json')]);
    expect(converted.code, converted.stderr).toBe(0);
    expect(inputsOf(JSON.parse(await readFile(path.join(dir, 'converted.json'), 'utf8')))).toEqual(EXPECTED);
    expect((await odibi(['run', path.join(dir, 'converted.json')])).code).toBe(0);
  }, 180_000);

  it('says which dataset a cell names that does not exist, where, with a did-you-mean; and a syntax error\'s place in the cell', async () => {
    const env = await jupyterEnv();
    const dir = await tempDir('odibi-sql-unknown-');
    await cp(path.join(REPO, 'examples/iot/data'), path.join(dir, 'data'), { recursive: true });
    const cells = ['%ingest readings data/readings.csv', '%%sql hot\nSELECT *\nFROM readngs', '%%sql hot\nSELECT *\nFORM readings'];
    await writeFile(path.join(dir, 'u.ipynb'), JSON.stringify({
      nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: 'odibi', display_name: 'ODIBI (TypeScript)', language: 'typescript' } },
      cells: cells.map((source, i) => ({ cell_type: 'code', id: `c${i}`, metadata: {}, execution_count: null, source, outputs: [] })),
    }));
    await run('/usr/bin/jupyter', ['nbconvert', '--to', 'notebook', '--execute', '--allow-errors', '--output', 'executed.ipynb', 'u.ipynb'], { env, cwd: dir, timeout: 120_000 });
    const executed = JSON.parse(await readFile(path.join(dir, 'executed.ipynb'), 'utf8')) as { cells: Array<{ outputs: Array<{ output_type: string; evalue?: string; traceback?: string[] }> }> };
    const err = (i: number) => executed.cells[i].outputs.find((o) => o.output_type === 'error')!;
    expect(err(1).evalue).toBe("%%sql: unknown dataset 'readngs' (line 3, column 6 of the cell)");
    expect(err(1).traceback).toContain("hint: did you mean 'readings'?");
    // DuckDB reads FORM as an alias of *, and stumbles on the word after it.
    expect(err(2).evalue).toBe('%%sql: SQL syntax error (line 3, column 6 of the cell): syntax error at or near "readings"');
  }, 120_000);
});
