/** `odibi run --checkpoint / --resume` and `odibi checkpoint`: node-level checkpoints through the real CLI. */
import { readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { events, odibi } from '../helpers/cli.js';
import { query } from '../helpers/duckdb.js';
import { tempDir, writePipeline } from '../helpers/project.js';

const ENRICH = `import { existsSync } from 'node:fs';
export function enrich(inputs: { clean: any }) {
  if (existsSync(new URL('./fail.flag', import.meta.url))) throw new Error('enrichment service is down');
  return inputs.clean.toArray().map((r: any) => ({ id: Number(r.id), band: Number(r.temp) > 30 ? 'hot' : 'ok' }));
}
`;

async function project(cleanSql = 'SELECT id, temp FROM raw WHERE temp IS NOT NULL'): Promise<string> {
  const dir = await tempDir('odibi-resume-', true);
  await writeFile(path.join(dir, 'readings.csv'), 'id,temp\n1,25\n2,35\n3,\n4,40\n');
  await writeFile(path.join(dir, 'enrich.ts'), ENRICH);
  await writePipeline(dir, [
    { layer: 'ingest', name: 'read', value: 'readings.csv', outputs: { data: 'raw' } },
    { layer: 'transform', name: 'clean', value: cleanSql, inputs: { raw: 'raw' }, outputs: { data: 'clean' } },
    { layer: 'transform', name: 'enrich', type: 'function', value: 'enrich.ts#enrich', inputs: { clean: 'clean' }, outputs: { data: 'bands' } },
    { layer: 'store', name: 'save', value: 'out/bands', params: { mode: 'append' }, inputs: { data: 'bands' } },
  ]);
  return dir;
}

const byStep = (ev: Record<string, any>[]) => Object.fromEntries(ev.filter((e) => e.type === 'step_success').map((e) => [e.step, e.restoredFrom ?? 'ran']));

describe('odibi run --resume', () => {
  it('after a failure, restores the steps that succeeded and runs only the rest', async () => {
    const dir = await project();
    await writeFile(path.join(dir, 'fail.flag'), '');
    const failed = await odibi(['run', 'pipeline.json', '--checkpoint', '--json'], { cwd: dir });
    expect(failed.code).toBe(1);
    const firstRun = events(failed.stdout).find((e) => e.type === 'run_start')!.runId;

    await rm(path.join(dir, 'fail.flag'));
    const resumed = await odibi(['run', 'pipeline.json', '--resume', '--json'], { cwd: dir });
    expect(resumed.code).toBe(0);
    expect(byStep(events(resumed.stdout))).toEqual({ read: firstRun, clean: firstRun, enrich: 'ran', save: 'ran' });
    expect(await query(`SELECT id, band FROM read_parquet('${dir}/out/bands/*.parquet') ORDER BY id`)).toEqual([
      { id: 1, band: 'ok' }, { id: 2, band: 'hot' }, { id: 4, band: 'hot' },
    ]);

    // Everything is now checkpointed and the append sink committed: a second resume writes nothing twice.
    const again = await odibi(['run', 'pipeline.json', '--resume'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/↺ save .*already written/);
    expect(await readdir(path.join(dir, 'out/bands'))).toHaveLength(1);
  });

  it('writes a committed sink again when its output was deleted or changed by hand since', async () => {
    const dir = await project();
    expect((await odibi(['run', 'pipeline.json', '--checkpoint'], { cwd: dir })).code).toBe(0);
    const [part] = await readdir(path.join(dir, 'out/bands'));
    await rm(path.join(dir, 'out/bands', part));
    const resumed = await odibi(['run', 'pipeline.json', '--resume', '--json'], { cwd: dir });
    expect(resumed.code).toBe(0);
    const ev = events(resumed.stdout);
    expect(byStep(ev)).toMatchObject({ enrich: expect.not.stringMatching(/^ran$/), save: 'ran' });
    expect(ev.find((e) => e.type === 'step_log' && e.step === 'save')?.message).toMatch(/its output .*out\/bands\/.*\.parquet is gone since run \S+ wrote it; writing it again/);
    expect(await query(`SELECT count(*) AS n FROM read_parquet('${dir}/out/bands/*.parquet')`)).toEqual([{ n: 3 }]);

    // Changed by hand (same name, other content): written again too (an append sink adds a new
    // part; the changed file is the user's and stays).
    const [again] = await readdir(path.join(dir, 'out/bands'));
    await writeFile(path.join(dir, 'out/bands', again), 'not parquet any more');
    const third = await odibi(['run', 'pipeline.json', '--resume'], { cwd: dir });
    expect(third.code).toBe(0);
    expect(third.stdout).toMatch(/was changed since run \S+ wrote it; writing it again/);
    const parts = (await readdir(path.join(dir, 'out/bands'))).filter((f) => f !== again);
    expect(parts).toHaveLength(1);
    expect(await query(`SELECT count(*) AS n FROM read_parquet('${dir}/out/bands/${parts[0]}')`)).toEqual([{ n: 3 }]);
  });

  it('reruns a step whose SQL, function or input file changed, and everything downstream of it', async () => {
    const dir = await project();
    expect((await odibi(['run', 'pipeline.json', '--checkpoint'], { cwd: dir })).code).toBe(0);

    await writePipeline(dir, [
      { layer: 'ingest', name: 'read', value: 'readings.csv', outputs: { data: 'raw' } },
      { layer: 'transform', name: 'clean', value: 'SELECT id, temp FROM raw WHERE temp > 30', inputs: { raw: 'raw' }, outputs: { data: 'clean' } },
      { layer: 'transform', name: 'enrich', type: 'function', value: 'enrich.ts#enrich', inputs: { clean: 'clean' }, outputs: { data: 'bands' } },
      { layer: 'store', name: 'save', value: 'out/bands', params: { mode: 'append' }, inputs: { data: 'bands' } },
    ]);
    const sqlChanged = events((await odibi(['run', 'pipeline.json', '--resume', '--json'], { cwd: dir })).stdout);
    const s1 = byStep(sqlChanged);
    expect(s1.read).not.toBe('ran');
    expect([s1.clean, s1.enrich, s1.save]).toEqual(['ran', 'ran', 'ran']);

    await writeFile(path.join(dir, 'enrich.ts'), ENRICH.replace("'hot'", "'HOT'"));
    const s2 = byStep(events((await odibi(['run', 'pipeline.json', '--resume', '--json'], { cwd: dir })).stdout));
    expect([s2.read !== 'ran', s2.clean !== 'ran', s2.enrich, s2.save]).toEqual([true, true, 'ran', 'ran']);

    await writeFile(path.join(dir, 'readings.csv'), 'id,temp\n9,99\n');
    const s3 = byStep(events((await odibi(['run', 'pipeline.json', '--resume', '--json'], { cwd: dir })).stdout));
    expect(s3).toEqual({ read: 'ran', clean: 'ran', enrich: 'ran', save: 'ran' });
  });

  it('ignores a damaged checkpoint with a warning and runs the step', async () => {
    const dir = await project();
    expect((await odibi(['run', 'pipeline.json', '--checkpoint'], { cwd: dir })).code).toBe(0);
    const root = path.join(dir, '.odibi/checkpoints');
    const cleanDir = path.join(root, 'clean', (await readdir(path.join(root, 'clean')))[0]);
    await truncate(path.join(cleanDir, '0.parquet'), 10);
    const readDir = path.join(root, 'read', (await readdir(path.join(root, 'read')))[0]);
    const parquet = path.join(readDir, '0.parquet');
    const bytes = await readFile(parquet);
    bytes.fill(0, 4, bytes.length - 8);
    await writeFile(parquet, bytes);
    expect((await stat(parquet)).size).toBe(bytes.length);

    const r = await odibi(['run', 'pipeline.json', '--resume'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/read: checkpoint from run \S+ is damaged .*running the step instead/);
    expect(r.stdout).toMatch(/clean: ignoring its checkpoint: .*0\.parquet is 10 bytes, expected \d+; running the step instead/);
    expect(r.stdout).toMatch(/✔ read/);
    expect(r.stdout).toMatch(/✔ clean/);
  });

  it('lists, shows and clears checkpoints', async () => {
    const dir = await project();
    const run = await odibi(['run', 'pipeline.json', '--checkpoint', '--json'], { cwd: dir });
    const runId = events(run.stdout).find((e) => e.type === 'run_start')!.runId;
    const list = await odibi(['checkpoint', 'list'], { cwd: dir });
    expect(list.code).toBe(0);
    for (const step of ['read', 'clean', 'enrich', 'save']) expect(list.stdout).toMatch(new RegExp(`^${step} +${runId}`, 'm'));
    expect(list.stdout).toMatch(/^clean .* 3 +\d/m);
    const show = await odibi(['checkpoint', 'show', 'latest'], { cwd: dir });
    expect(show.stdout).toMatch(`Checkpoints of run ${runId}`);
    expect(show.stdout).toMatch(/save +store +writes committed/);
    expect((await odibi(['checkpoint', 'clear', '--older-than', '7d'], { cwd: dir })).stdout).toMatch('Removed 0 checkpoints');
    expect((await odibi(['checkpoint', 'clear', '--older-than', 'soon'], { cwd: dir })).code).toBe(2);
    expect((await odibi(['checkpoint', 'clear'], { cwd: dir })).stdout).toMatch(/Removed 4 checkpoints/);
    expect((await odibi(['checkpoint', 'list'], { cwd: dir })).stdout).toMatch('No checkpoints');
  });
});
