import { mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Pipeline } from '../config/model.js';
import { stepConfig } from '../testing/step-config.js';
import { cachedDryRun } from './dry-run-cache.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'odibi-dry-cache-'));
  await writeFile(path.join(dir, 'a.csv'), 'id,v\n1,2\n');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const pipelineOf = (sql: string, file = 'a.csv'): Pipeline => ({
  name: 't', file: path.join(dir, 'p.json'), baseDir: dir, secrets: [],
  steps: [
    stepConfig('ingest', 'load', { writes: ['a'], value: file }),
    stepConfig('transform', 'sum', { reads: ['a'], writes: ['s'], value: sql }),
  ],
});

describe('cachedDryRun', () => {
  it('answers an unchanged pipeline from the cache, and checks again when a step or an input file changes', async () => {
    const cache = path.join(dir, 'cache');
    const p = pipelineOf('SELECT sum(v) AS total FROM a');
    expect((await cachedDryRun(p, {}, cache)).cached).toBe(false);
    const again = await cachedDryRun(p, {}, cache);
    expect(again).toMatchObject({ cached: true, problems: [] });
    expect(again.schemas.get('s')).toEqual([{ name: 'total', type: 'HUGEINT' }]);

    expect((await cachedDryRun(pipelineOf('SELECT max(v) AS total FROM a'), {}, cache)).cached).toBe(false);
    // Same size and the old modification time put back (cp -p, rsync -t): still a change.
    const { mtime } = await stat(path.join(dir, 'a.csv'));
    await writeFile(path.join(dir, 'a.csv'), 'id,w\n1,2\n');
    await utimes(path.join(dir, 'a.csv'), mtime, mtime);
    const changed = await cachedDryRun(p, {}, cache);
    expect(changed.cached).toBe(false);
    expect(changed.problems.map((x) => x.message).join('\n')).toMatch(/unknown column 'v'/);
  });

  it("checks a function step again when a file its module imports changes", async () => {
    const cache = path.join(dir, 'cache');
    await writeFile(path.join(dir, 'helper.ts'), 'export const factor = 2;\n');
    await writeFile(path.join(dir, 'fn.ts'), "import { factor } from './helper.ts';\nexport function double(inputs: Record<string, unknown>) { void factor; return inputs.a; }\n");
    const p: Pipeline = { ...pipelineOf('SELECT 1'), steps: [stepConfig('ingest', 'load', { writes: ['a'], value: 'a.csv' }), { ...stepConfig('transform', 'fn', { reads: ['a'], writes: ['d'], value: 'fn.ts#double' }), type: 'function' }] };
    expect((await cachedDryRun(p, {}, cache)).problems).toEqual([]);
    expect((await cachedDryRun(p, {}, cache)).cached).toBe(true);
    // The helper no longer exports what the module imports.
    await writeFile(path.join(dir, 'helper.ts'), 'export const factorr = 2;\n');
    const again = await cachedDryRun(p, {}, cache);
    expect(again.cached).toBe(false);
    expect(again.problems.map((x) => x.message).join('\n')).toMatch(/factor/);
  }, 60_000);

  it('never keeps a failed check, nor one whose inputs it cannot key (a glob, a missing file)', async () => {
    const cache = path.join(dir, 'cache');
    const bad = pipelineOf('SELECT nope FROM a');
    expect((await cachedDryRun(bad, {}, cache)).problems.length).toBeGreaterThan(0);
    expect((await cachedDryRun(bad, {}, cache)).cached).toBe(false);
    const glob = pipelineOf('SELECT * FROM a', '*.csv');
    await cachedDryRun(glob, {}, cache);
    expect((await cachedDryRun(glob, {}, cache)).cached).toBe(false);
    // SQL that names its own file depends on more than the key sees.
    const reads = pipelineOf(`SELECT * FROM a, read_csv('${path.join(dir, 'a.csv')}') b`);
    expect((await cachedDryRun(reads, {}, cache)).problems).toEqual([]);
    expect((await cachedDryRun(reads, {}, cache)).cached).toBe(false);
    const quoted: Pipeline = { ...pipelineOf('SELECT 1'), steps: [stepConfig('ingest', 'raw', { writes: ['r'], value: `SELECT * FROM '${path.join(dir, 'a.csv')}'` })] };
    (quoted.steps[0] as { type: string }).type = 'sql';
    expect((await cachedDryRun(quoted, {}, cache)).problems).toEqual([]);
    expect((await cachedDryRun(quoted, {}, cache)).cached).toBe(false);
    const missing = pipelineOf('SELECT * FROM a', 'gone.csv');
    expect((await cachedDryRun(missing, {}, cache)).problems.map((x) => x.message).join()).toMatch(/not found/);
  });
});
