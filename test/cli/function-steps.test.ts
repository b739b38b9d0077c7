/** TypeScript/JavaScript function steps: Arrow in, Arrow or rows out, retries and timeouts. */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { events, odibi } from '../helpers/cli.js';
import { query } from '../helpers/duckdb.js';
import { tempDir, writePipeline } from '../helpers/project.js';

const numbers = { layer: 'ingest', name: 'numbers', type: 'sql', value: "SELECT range::INTEGER AS id, 'n' || range AS label, DATE '2025-01-01' + range::INTEGER AS day FROM range(5)", outputs: { data: 'n' } };

describe('function steps', () => {
  it('passes Arrow tables in and accepts an Arrow table back (TypeScript, async)', async () => {
    const dir = await tempDir('arrow-', true);
    await writeFile(path.join(dir, 'fns.ts'), `
import { tableFromArrays, type Table } from 'apache-arrow';
export async function square(inputs: { n: Table }, ctx: { params: { factor: number } }): Promise<Table> {
  const ids = inputs.n.getChild('id')!.toArray() as Int32Array;
  await new Promise((r) => setTimeout(r, 5));
  return tableFromArrays({ id: ids, squared: Float64Array.from(ids, (v) => v * v * ctx.params.factor) });
}
`);
    const cfg = await writePipeline(dir, [
      numbers,
      { layer: 'transform', name: 'sq', type: 'function', value: 'fns.ts#square', params: { factor: 2 }, inputs: { n: 'n' }, outputs: { data: 's' } },
      { layer: 'store', name: 'out', value: 'out/s.csv', inputs: { data: 's' } },
    ]);
    const r = await odibi(['run', cfg]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await readFile(path.join(dir, 'out/s.csv'), 'utf8')).toBe('id,squared\n0,0.0\n1,2.0\n2,8.0\n3,18.0\n4,32.0\n');
  });

  it('compiles TypeScript that imports other TypeScript and reads files beside itself', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'rates.json'), '{"rate": 3}');
    await writeFile(path.join(dir, 'helpers.ts'), 'export const triple = (n: number): number => n * 3;\n');
    await writeFile(path.join(dir, 'main.ts'), `
import { readFileSync } from 'node:fs';
import { triple } from './helpers';
const { rate } = JSON.parse(readFileSync(new URL('./rates.json', import.meta.url), 'utf8')) as { rate: number };
export function apply(inputs: { n: { toArray(): { id: number }[] } }) {
  return inputs.n.toArray().map((r) => ({ id: r.id, tripled: triple(r.id), rated: r.id * rate }));
}
`);
    const cfg = await writePipeline(dir, [
      numbers,
      { layer: 'transform', name: 't', type: 'function', value: 'main.ts#apply', inputs: { n: 'n' }, outputs: { data: 't' } },
      { layer: 'store', name: 'out', value: 'out/t.csv', inputs: { data: 't' } },
    ]);
    const r = await odibi(['run', cfg]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await readFile(path.join(dir, 'out/t.csv'), 'utf8')).toBe('id,tripled,rated\n0,0,0\n1,3,3\n2,6,6\n3,9,9\n4,12,12\n');
    // The compiled copy existed only while it was imported.
    expect((await readdir(dir)).filter((f) => f.endsWith('.mjs'))).toEqual([]);
  });

  it('reports a TypeScript syntax error with the file and line', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'broken.ts'), 'export function f() {\n  return [{ a: 1 ];\n}\n');
    const cfg = await writePipeline(dir, [{ layer: 'ingest', name: 'b', type: 'function', value: 'broken.ts#f', outputs: { data: 'b' } }]);
    // Found by the check before the run (exit 2), with the same file:line:column.
    const r = await odibi(['run', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/step 'b': broken\.ts does not compile: Expected "}" but found "]" \(.*broken\.ts:2:18\)/);
  });

  it('keeps the types of passed-through columns when rows are returned', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'fns.mjs'), 'export function tag(inputs) { return inputs.n.toArray().map((r) => ({ ...r.toJSON(), tag: r.id % 2 ? "odd" : "even" })); }\n');
    const cfg = await writePipeline(dir, [
      numbers,
      { layer: 'transform', name: 'tagged', type: 'function', value: 'fns.mjs#tag', inputs: { n: 'n' }, outputs: { data: 't' } },
      { layer: 'store', name: 'out', value: 'out/t.parquet', inputs: { data: 't' } },
    ]);
    expect((await odibi(['run', cfg])).code).toBe(0);
    const types = await query(`DESCRIBE SELECT * FROM read_parquet('${dir}/out/t.parquet')`);
    expect(Object.fromEntries(types.map((t) => [t.column_name, t.column_type]))).toEqual({ id: 'INTEGER', label: 'VARCHAR', day: 'DATE', tag: 'VARCHAR' });
  });

  it('retries a flaky step with backoff and records the attempts', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'flaky.mjs'), `
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
export function sometimes(inputs, ctx) {
  const f = new URL('./count.txt', import.meta.url);
  const n = existsSync(f) ? Number(readFileSync(f, 'utf8')) + 1 : 1;
  writeFileSync(f, String(n));
  if (n < 3) throw new Error('transient failure ' + n);
  return [{ attempt: n }];
}
`);
    const cfg = await writePipeline(dir, [
      { layer: 'ingest', name: 'flaky', type: 'function', value: 'flaky.mjs#sometimes', params: { retries: 3, retry_delay_ms: 20 }, outputs: { data: 'f' } },
    ]);
    const r = await odibi(['run', cfg, '--json']);
    expect(r.code).toBe(0);
    const evts = events(r.stdout);
    expect(evts.filter((e) => e.type === 'step_retry').map((e) => [e.attempt, e.delayMs])).toEqual([[1, 20], [2, 40]]);
    expect(evts.find((e) => e.type === 'step_success')).toMatchObject({ attempt: 3, outputs: [{ sample: [{ attempt: 3 }] }] });
  });

  it('fails a step that exceeds params.timeout_ms', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'slow.mjs'), 'export async function slow() { await new Promise((r) => setTimeout(r, 5000)); return [{ x: 1 }]; }\n');
    const cfg = await writePipeline(dir, [
      { layer: 'ingest', name: 'slow', type: 'function', value: 'slow.mjs#slow', params: { timeout_ms: 200 }, outputs: { data: 's' } },
    ]);
    const started = Date.now();
    const r = await odibi(['run', cfg]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✖ slow\s+ingest\s+failed: timed out after 200 ms/);
    expect(Date.now() - started).toBeLessThan(4500);
  });

  it('applies --timeout to steps that set no timeout of their own', async () => {
    const dir = await tempDir();
    const cfg = await writePipeline(dir, [
      { layer: 'ingest', name: 'heavy', type: 'sql', value: 'SELECT count(*) FROM range(100000000000) a', outputs: { data: 'h' } },
    ]);
    const r = await odibi(['run', cfg, '--timeout', '300']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✖ heavy\s+ingest\s+failed: timed out after 300 ms/);
  });

  it('interrupts a long SQL query at its timeout', async () => {
    const dir = await tempDir();
    const cfg = await writePipeline(dir, [
      { layer: 'ingest', name: 'heavy', type: 'sql', value: 'SELECT count(*) FROM range(100000000000) a', params: { timeout_ms: 300 }, outputs: { data: 'h' } },
    ]);
    const started = Date.now();
    const r = await odibi(['run', cfg]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/timed out after 300 ms/);
    // The query is really stopped: the process does not wait for it to finish.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('explains a missing export and a bad return value', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'fns.mjs'), 'export function nothing() { return 42; }\n');
    const missing = await writePipeline(dir, [numbers, { layer: 'transform', name: 'f', type: 'function', value: 'fns.mjs#nope', inputs: { n: 'n' }, outputs: { data: 'f' } }], 'a.json');
    const r1 = await odibi(['run', missing]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/step 'f': fns\.mjs has no export 'nope'/);
    expect(r1.stderr).toMatch(/hint: its exports: nothing/);
    const bad = await writePipeline(dir, [numbers, { layer: 'transform', name: 'f', type: 'function', value: 'fns.mjs#nothing', inputs: { n: 'n' }, outputs: { data: 'f' } }], 'b.json');
    const r2 = await odibi(['run', bad]);
    expect(r2.stdout).toMatch(/returned number, not an Arrow Table or an array of rows/);
  });
});
