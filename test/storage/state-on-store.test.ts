/**
 * `--state-dir s3://…` and `az://…` against real servers (Ceph radosgw, Azurite): run records,
 * checkpoints (and `--resume` from them), stream logs and the stream's lock all on the store,
 * through the `odibi` CLI; what ODIBI wrote is read back through each cloud's own SDK.
 */
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, odibi } from '../helpers/cli.js';
import { query } from '../helpers/duckdb.js';
import { tempDir, writePipeline } from '../helpers/project.js';
import { BACKENDS, download, type Backend } from '../helpers/store-backends.js';
import { startStream, streamCrashTest } from '../helpers/stream-crash.js';

const ENRICH = `import { existsSync } from 'node:fs';
export function enrich(inputs: { clean: any }) {
  if (existsSync(new URL('./fail.flag', import.meta.url))) throw new Error('enrichment service is down');
  return inputs.clean.toArray().map((r: any) => ({ id: Number(r.id), band: Number(r.temp) > 30 ? 'hot' : 'ok' }));
}
`;

/** The store's environment with a cache folder of this test's own: nothing left by an earlier run is found locally. */
const envOf = async (b: Backend): Promise<Record<string, string>> => ({ ...b.env(), ODIBI_CACHE_DIR: await tempDir('odibi-cache-') });
const byStep = (ev: Record<string, any>[]) => Object.fromEntries(ev.filter((e) => e.type === 'step_success').map((e) => [e.step, e.restoredFrom ?? 'ran']));
const exists = (p: string) => stat(p).then(() => true, () => false);

describe.each(BACKENDS)('state dir on %s', (_label, start) => {
  let b: Backend;
  beforeAll(async () => {
    b = await start();
  }, 180_000);
  afterAll(async () => {
    await b?.stop();
  });

  it('keeps run records and checkpoints on the store, where `odibi runs` and `odibi checkpoint` read them; nothing goes to a local .odibi', async () => {
    const dir = await tempDir();
    await writePipeline(dir, [
      { layer: 'ingest', name: 'numbers', type: 'sql', value: 'SELECT range AS n FROM range(10)', outputs: { data: 'nums' } },
      { layer: 'transform', name: 'evens', value: 'SELECT n FROM nums WHERE n % 2 = 0', inputs: { nums: 'nums' }, outputs: { data: 'evens' } },
      { layer: 'store', name: 'save', value: 'out/evens.parquet', inputs: { data: 'evens' } },
    ]);
    const state = b.uri('state/records');
    const env = await envOf(b);
    const run = await odibi(['run', 'pipeline.json', '--checkpoint', '--state-dir', state], { cwd: dir, env });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const records = (await b.keys('state/records/runs/')).filter((k) => k.endsWith('.json'));
    expect(records).toHaveLength(1);
    expect(run.stdout).toContain(`Run record: ${b.uri(records[0])}`);
    expect((await b.keys('state/records/checkpoints/')).filter((k) => k.endsWith('/manifest.json'))).toHaveLength(3);
    expect(await exists(path.join(dir, '.odibi'))).toBe(false);

    const runs = await odibi(['runs', '--state-dir', state, '--json'], { cwd: dir, env });
    expect(runs.code, runs.stderr).toBe(0);
    const [listed] = events(runs.stdout);
    expect(records[0]).toContain(listed.runId);
    expect(listed.status).toBe('success');
    const show = await odibi(['runs', 'show', 'latest', '--state-dir', state], { cwd: dir, env });
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/evens/);
    const checkpoints = await odibi(['checkpoint', 'list', '--state-dir', state], { cwd: dir, env });
    expect(checkpoints.code, checkpoints.stderr).toBe(0);
    expect(checkpoints.stdout).toMatch(/numbers[\s\S]*evens|evens[\s\S]*numbers/);
    expect(checkpoints.stdout).toContain(b.uri('state/records/checkpoints'));

    // A state dir in a bucket that does not exist fails before anything runs or is written, naming it.
    const nowhere = b.name === 's3' ? 's3://no-such-bucket/state' : 'az://no-such-container/state';
    for (const args of [['runs'], ['run', 'pipeline.json'], ['schedule', 'pipeline.json', '--every', '1s', '--max-runs', '1']]) {
      await rm(path.join(dir, 'out'), { recursive: true, force: true });
      const missing = await odibi([...args, '--state-dir', nowhere], { cwd: dir, env });
      expect(missing.code, args.join(' ')).not.toBe(0);
      expect(missing.stderr, args.join(' ')).toMatch(/no-such-(bucket|container)/);
      expect(await exists(path.join(dir, 'out')), args.join(' ')).toBe(false);
    }
  }, 120_000);

  it('keeps a schedule\'s state and its runs\' records on the store', async () => {
    const dir = await tempDir();
    await writePipeline(dir, [{ layer: 'ingest', name: 'tick', type: 'sql', value: 'SELECT now() AS at', outputs: { data: 't' } }]);
    const r = await odibi(['schedule', 'pipeline.json', '--every', '1s', '--max-runs', '2', '--json', '--state-dir', b.uri('state/sched')], { cwd: dir, env: await envOf(b) });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse((await b.get('state/sched/schedules/test.json'))!.toString())).toMatchObject({ lastFire: expect.any(Number), lastRunId: expect.any(String) });
    expect((await b.keys('state/sched/runs/')).filter((k) => k.endsWith('.json'))).toHaveLength(2);
    expect(await exists(path.join(dir, '.odibi'))).toBe(false);
  }, 60_000);

  it('resumes from checkpoints on the store: a committed sink on the store is skipped, and written again once its object is gone', async () => {
    const dir = await tempDir('odibi-resume-', true);
    await writeFile(path.join(dir, 'readings.csv'), 'id,temp\n1,25\n2,35\n3,\n4,40\n');
    await writeFile(path.join(dir, 'enrich.ts'), ENRICH);
    await writePipeline(dir, [
      { layer: 'ingest', name: 'read', value: 'readings.csv', outputs: { data: 'raw' } },
      { layer: 'transform', name: 'clean', value: 'SELECT id, temp FROM raw WHERE temp IS NOT NULL', inputs: { raw: 'raw' }, outputs: { data: 'clean' } },
      { layer: 'transform', name: 'enrich', type: 'function', value: 'enrich.ts#enrich', inputs: { clean: 'clean' }, outputs: { data: 'bands' } },
      { layer: 'store', name: 'save', value: b.uri('resume/out/bands'), params: { mode: 'append' }, inputs: { data: 'bands' } },
    ]);
    const args = ['--state-dir', b.uri('state/resume')];
    const env = await envOf(b);
    await writeFile(path.join(dir, 'fail.flag'), '');
    const failed = await odibi(['run', 'pipeline.json', '--checkpoint', '--json', ...args], { cwd: dir, env });
    expect(failed.code).toBe(1);
    const firstRun = events(failed.stdout).find((e) => e.type === 'run_start')!.runId;

    // The resumed run reads its checkpoints from the store, not from a local folder.
    await rm(path.join(dir, 'fail.flag'));
    const resumed = await odibi(['run', 'pipeline.json', '--resume', '--json', ...args], { cwd: dir, env });
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(byStep(events(resumed.stdout))).toEqual({ read: firstRun, clean: firstRun, enrich: 'ran', save: 'ran' });
    const parts = async () => (await b.keys('resume/out/bands/')).filter((k) => k.endsWith('.parquet'));
    expect(await parts()).toHaveLength(1);
    const back = await tempDir();
    expect(await query(`SELECT id, band FROM read_parquet('${await download(b, (await parts())[0], back)}') ORDER BY id`)).toEqual([
      { id: 1, band: 'ok' }, { id: 2, band: 'hot' }, { id: 4, band: 'hot' },
    ]);

    const again = await odibi(['run', 'pipeline.json', '--resume', ...args], { cwd: dir, env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/↺ save .*already written/);
    expect(await parts()).toHaveLength(1);

    // Its object removed behind ODIBI's back: the sink is written again, the rest restored.
    await b.remove((await parts())[0]);
    const third = await odibi(['run', 'pipeline.json', '--resume', '--json', ...args], { cwd: dir, env });
    expect(third.code, third.stderr).toBe(0);
    const ev = events(third.stdout);
    expect(byStep(ev)).toMatchObject({ enrich: expect.not.stringMatching(/^ran$/), save: 'ran' });
    expect(ev.find((e) => e.type === 'step_log' && e.step === 'save')?.message).toMatch(/its output .*resume\/out\/bands\/.*\.parquet is gone since run \S+ wrote it; writing it again/);
    expect(await parts()).toHaveLength(1);
    expect(await exists(path.join(dir, '.odibi', 'checkpoints'))).toBe(false);
  }, 180_000);

  it('streams exactly once with its state and its sink on the store, through SIGKILLs at random moments', async () => {
    const dir = await tempDir('odibi-crash-');
    const summary = await streamCrashTest({
      dir, kills: 16, files: 40, rowsPerFile: 40, sink: b.uri('crash/out/clean'), killWithinMs: 400, arrivalScale: 3,
      args: ['--state-dir', b.uri('state/crash')],
      // A short lease, so renewals (conditional writes on the lock) happen many times a batch.
      env: { ...await envOf(b), ODIBI_LOCK_TTL_MS: '2000' },
      parts: async () => {
        const keys = await b.keys('crash/out/clean/');
        const local = await tempDir();
        for (const k of keys.filter((k) => k.endsWith('.parquet'))) await writeFile(path.join(local, path.basename(k)), (await b.get(k))!);
        return { dir: local, names: keys.map((k) => path.basename(k)) };
      },
    });
    console.log(`crash test on ${b.name}: ${summary}`);
    expect((await b.keys('state/crash/streams/test/commits/')).length).toBeGreaterThan(0);
    expect(await exists(path.join(dir, '.odibi', 'streams'))).toBe(false);
  }, 300_000);

  it('replays a batch of an incremental source on another machine: its snapshot and the committed row hashes come from the store', async () => {
    const dir = await tempDir('odibi-incr-');
    const rows = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `${from + i},d${(from + i) % 3},${((from + i) * 1.5).toFixed(1)}`).join('\n');
    await writeFile(path.join(dir, 'readings.csv'), `ts,device,v\n${rows(0, 50)}\n`);
    await writePipeline(dir, [
      { layer: 'ingest', name: 'readings', value: 'readings.csv', params: { stream: { mode: 'incremental', watermark_column: 'ts' } }, outputs: { data: 'raw' } },
      // Slow enough (a few seconds) that the first start is killed inside its batch.
      { layer: 'transform', name: 'slow', value: 'SELECT raw.* FROM raw, (SELECT count(*) AS c FROM range(15000) a, range(15000) b WHERE (a.range * b.range) % 7 = 3) crunch', inputs: { raw: 'raw' }, outputs: { data: 'out' } },
      { layer: 'store', name: 'sink', value: b.uri('incr/out'), params: { mode: 'append' }, inputs: { data: 'out' } },
    ]);
    const args = ['--state-dir', b.uri('state/incr')];
    const machine = () => envOf(b);

    const first = startStream(dir, args, await machine());
    expect(await first.waitFor((l) => l.includes('"batch_start"'), 30_000)).toBe(true);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(await b.keys('state/incr/streams/test/offsets/')).toHaveLength(1);
    expect(await b.keys('state/incr/streams/test/commits/')).toHaveLength(0);
    expect((await b.keys('state/incr/streams/test/sources/')).some((k) => /input-0000000000\.parquet$/.test(k))).toBe(true);

    // Another machine: no local work folder, the snapshot comes from the store and is replayed as batch 0.
    const second = startStream(dir, [...args, '--until-idle', '1'], await machine());
    expect(await second.exited).toBe(0);
    expect(events(second.lines.join('\n')).find((e) => e.type === 'stream_start')?.replaying).toBe(0);

    // A third machine takes only the new rows: the committed row hashes and watermark come from the store.
    await writeFile(path.join(dir, 'readings.csv'), `ts,device,v\n${rows(0, 80)}\n`);
    const third = startStream(dir, [...args, '--until-idle', '1'], await machine());
    expect(await third.exited, third.lines.join('\n')).toBe(0);
    const back = await tempDir();
    const parts = (await b.keys('incr/out/')).filter((k) => k.endsWith('.parquet'));
    expect(parts).toHaveLength(2);
    for (const k of parts) await download(b, k, back);
    expect(await query(`SELECT count(*) AS n, count(DISTINCT ts) AS d, min(ts) AS lo, max(ts) AS hi FROM read_parquet('${back}/*.parquet')`)).toEqual([{ n: 80, d: 80, lo: 0, hi: 79 }]);
    // Only what the committed state names stays on the store (the last input and its row hashes).
    expect((await b.keys('state/incr/streams/test/sources/')).map((k) => path.basename(k)).sort()).toEqual(['input-0000000001.parquet', 'seen-0000000001.parquet']);
  }, 180_000);

  it('lets one writer at a time run a stream: a live lease is refused, an expired one taken over, and a batch another writer planned is never run twice', async () => {
    const dir = await tempDir('odibi-lease-');
    await mkdir(path.join(dir, 'in'));
    await writePipeline(dir, [
      { layer: 'ingest', name: 'readings', value: 'in', params: { stream: { mode: 'file_watch', pattern: '*.csv' } }, outputs: { data: 'raw' } },
      { layer: 'store', name: 'sink', value: b.uri('lease/out'), params: { mode: 'append' }, inputs: { data: 'raw' } },
    ]);
    const args = ['--state-dir', b.uri('state/lease')];
    const env = { ...await envOf(b), ODIBI_LOCK_TTL_MS: '1500' };
    const lease = (expiresAt: number) => JSON.stringify({ host: 'other-host', pidSpace: 'ffffffff', pid: 4242, start: 0, token: 'theirs', expiresAt: new Date(expiresAt).toISOString() });

    // A state dir the store does not have: refused before anything is read or written.
    const nowhere = await odibi(['stream', 'pipeline.json', '--state-dir', b.name === 's3' ? 's3://no-such-bucket/state' : 'az://no-such-container/state'], { cwd: dir, env });
    expect(nowhere.code).not.toBe(0);
    expect(nowhere.stderr).toMatch(/no-such-(bucket|container)/);

    // Another machine holds a live lease: refused, naming it.
    await b.put('state/lease/streams/test/lock', lease(Date.now() + 600_000));
    const refused = await odibi(['stream', 'pipeline.json', ...args], { cwd: dir, env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/already running \(process 4242 on other-host holds .*state\/lease\/streams\/test\/lock/);

    // Its lease expired (that machine died): taken over, and released at the end.
    await b.put('state/lease/streams/test/lock', lease(Date.now() - 1000));
    await writeFile(path.join(dir, 'in', 'a.csv'), 'x\n1\n');
    const took = await odibi(['stream', 'pipeline.json', '--until-idle', '1', ...args], { cwd: dir, env });
    expect(took.code, took.stdout + took.stderr).toBe(0);
    expect(await b.get('state/lease/streams/test/lock')).toBeUndefined();

    // A writer that got past the lock planned batch 2 first: this one stops there, runs nothing of it.
    await b.put('state/lease/streams/test/offsets/0000000002.json', JSON.stringify({ version: 1, batchId: 2, plannedAt: new Date().toISOString(), sources: {} }));
    const s = startStream(dir, args, env);
    await writeFile(path.join(dir, 'in', 'b.csv'), 'x\n2\n');
    expect(await s.waitFor((l) => l.includes('"batch_end"'), 30_000)).toBe(true);
    await writeFile(path.join(dir, 'in', 'c.csv'), 'x\n3\n');
    expect(await s.exited).toBe(1);
    const end = events(s.lines.join('\n')).find((e) => e.type === 'stream_end');
    expect(end?.error?.message).toMatch(/batch 2 was already planned by another process/);
    expect((await b.keys('lease/out/')).filter((k) => k.endsWith('.parquet'))).toHaveLength(2);

    // Another process takes the lease over while this one runs: its next renewal finds out, and it stops.
    await b.remove('state/lease/streams/test/offsets/0000000002.json');
    const holder = startStream(dir, args, env);
    expect(await holder.waitFor((l) => l.includes('"stream_start"'), 30_000)).toBe(true);
    await b.put('state/lease/streams/test/lock', lease(Date.now() + 600_000));
    expect(await holder.exited).toBe(1);
    const lostEnd = events(holder.lines.join('\n')).find((e) => e.type === 'stream_end');
    expect(lostEnd?.error?.message).toMatch(/stream lock .* was taken over by another process/);
    // It left the new holder's lease alone.
    expect(JSON.parse((await b.get('state/lease/streams/test/lock'))!.toString()).token).toBe('theirs');
  }, 120_000);
});
