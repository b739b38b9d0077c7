/**
 * One DAG across worker processes: `odibi run --executor bullmq` as the coordinator and
 * `odibi worker` processes on a real `redis-server` (Debian) on 127.0.0.1. Outputs are compared
 * with a local run's; workers are SIGKILLed mid-step; Redis is stopped mid-run.
 */
import { execFile, spawn } from 'node:child_process';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startRedis } from '../helpers/brokers.js';
import { CLI, events, odibi, REPO } from '../helpers/cli.js';
import { redisWithWorkers, startWorker, type WorkerProcess } from '../helpers/workers.js';
import { jupyterEnv } from '../helpers/jupyter.js';
import { query } from '../helpers/duckdb.js';
import { copyExample, tempDir, writePipeline } from '../helpers/project.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Rows of a file, sorted, as JSON text. */
async function rowsOf(file: string): Promise<string> {
  const reader = file.endsWith('.json') ? 'read_json' : 'read_parquet';
  return JSON.stringify(await query(`SELECT * FROM ${reader}('${file}') ORDER BY ALL`));
}

describe('odibi run --executor bullmq', () => {
  const redis = redisWithWorkers();

  it('runs the IoT example on a coordinator and 2 workers with the same outputs as a local run, each step recorded with its worker', async () => {
    const local = await copyExample();
    expect((await odibi(['run', 'pipeline.json'], { cwd: local })).code).toBe(0);
    const dir = await copyExample();
    const [a, b] = await Promise.all([startWorker(redis.url), startWorker(redis.url)]);
    const r = await odibi(['run', 'pipeline.json', '--executor', 'bullmq', '--redis', redis.url, '--json'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const out of ['out/gold/device_health.parquet', 'out/silver/readings.parquet', 'out/reports/site_summary.json']) {
      expect(await rowsOf(path.join(dir, out)), out).toBe(await rowsOf(path.join(local, out)));
    }
    const ev = events(r.stdout);
    expect(ev.find((e) => e.type === 'run_start')?.executor).toBe('bullmq');
    // The function step's log line came back from its worker.
    expect(ev.some((e) => e.type === 'step_log' && e.step === 'rate_devices' && /rated \d+ device-days/.test(e.message))).toBe(true);
    const runId = ev.find((e) => e.type === 'run_start')!.runId;
    const record = JSON.parse(await readFile(path.join(dir, '.odibi/runs', `${runId}.json`), 'utf8'));
    // A fused dataset's producer runs inside its consumer's job (as locally, inside its query): no job of its own.
    const steps = Object.values(record.steps as Record<string, { name: string; worker?: string; outputs?: { inlinedInto?: string }[] }>);
    const fused = steps.filter((st) => st.outputs?.some((o) => o.inlinedInto));
    expect(fused.map((st) => st.name).sort()).toEqual(['ingest_devices', 'ingest_readings']);
    const used = new Set(steps.filter((st) => !fused.includes(st)).map((st) => st.worker));
    expect([...used].every((w) => w !== undefined && (w.endsWith(a.id) || w.endsWith(b.id))), JSON.stringify([...used])).toBe(true);
    // The exchange of the run is gone, and no staging file is left.
    expect(await stat(path.join(dir, '.odibi/exchange', runId)).then(() => true, () => false)).toBe(false);
    expect((await readdir(path.join(dir, 'out/gold'))).filter((f) => f.startsWith('.'))).toEqual([]);
  }, 120_000);

  it('gives the right outputs, committed once, in 10 runs that each lose a worker (SIGKILL) in the middle of a step', async () => {
    const dir = await tempDir('odibi-dist-kill-');
    await writePipeline(dir, [
      { layer: 'ingest', name: 'numbers', type: 'sql', value: 'SELECT range AS n, range % 7 AS k FROM range(50000)', outputs: { data: 'nums' } },
      // About two seconds of work: a worker is killed while it runs this.
      { layer: 'transform', name: 'crunch', value: 'SELECT k, count(*) AS c, sum(n) AS s, (SELECT count(*) FROM range(12000) a, range(12000) b WHERE (a.range * b.range) % 11 = 3) AS busy FROM nums GROUP BY k', inputs: { nums: 'nums' }, outputs: { data: 'sums' } },
      { layer: 'store', name: 'save', value: 'out/sums.parquet', inputs: { data: 'sums' } },
      { layer: 'store', name: 'history', value: 'out/history', params: { mode: 'append' }, inputs: { data: 'sums' } },
    ]);
    const pool = await Promise.all([startWorker(redis.url), startWorker(redis.url)]);
    for (let run = 1; run <= 10; run++) {
      const starts = (w: WorkerProcess) => w.lines.filter((l) => l.startsWith('→ crunch')).length;
      const before = new Map(pool.map((w) => [w, starts(w)]));
      const coordinator = odibi(['run', 'pipeline.json', '--executor', 'bullmq', '--redis', redis.url, '--json'], { cwd: dir });
      // Kill whichever worker took the slow step, once it has started it.
      let victim: WorkerProcess | undefined;
      const deadline = Date.now() + 30_000;
      while (!victim && Date.now() < deadline) {
        victim = pool.find((w) => starts(w) > before.get(w)!);
        if (!victim) await sleep(20);
      }
      expect(victim, `run ${run}: no worker started crunch`).toBeDefined();
      await sleep(300);
      victim!.child.kill('SIGKILL');
      await victim!.exited;
      pool.splice(pool.indexOf(victim!), 1, await startWorker(redis.url));
      const r = await coordinator;
      expect(r.code, `run ${run}\n${r.stdout}\n${r.stderr}`).toBe(0);
      const rows = await query(`SELECT k, c, s FROM read_parquet('${dir}/out/sums.parquet') ORDER BY k`);
      expect(rows).toHaveLength(7);
      expect(rows.reduce((n, x) => n + Number(x.c), 0)).toBe(50000);
      // One part per run: the killed attempt's write was never committed.
      expect((await readdir(path.join(dir, 'out/history'))).filter((f) => f.endsWith('.parquet'))).toHaveLength(run);
    }
    expect((await readdir(path.join(dir, 'out'))).filter((f) => f.startsWith('.'))).toEqual([]);
  }, 400_000);

  it('takes over with `odibi run --resume` when the coordinator is killed: finished steps come from their checkpoints', async () => {
    const dir = await tempDir('odibi-dist-resume-');
    await writePipeline(dir, [
      { layer: 'ingest', name: 'numbers', type: 'sql', value: 'SELECT range AS n, range % 7 AS k FROM range(50000)', outputs: { data: 'nums' } },
      { layer: 'transform', name: 'crunch', value: 'SELECT k, count(*) AS c, (SELECT count(*) FROM range(12000) a, range(12000) b WHERE (a.range * b.range) % 11 = 3) AS busy FROM nums GROUP BY k', inputs: { nums: 'nums' }, outputs: { data: 'sums' } },
      { layer: 'store', name: 'history', value: 'out/history', params: { mode: 'append' }, inputs: { data: 'sums' } },
    ]);
    const w = await startWorker(redis.url);
    // A short lock expiry: the dead coordinator's lock goes in seconds, not 30.
    const env = { ...process.env, NO_COLOR: '1', ODIBI_LOCK_TTL_MS: '2000' } as Record<string, string>;
    const coordinator = spawn(process.execPath, [CLI, 'run', 'pipeline.json', '--executor', 'bullmq', '--redis', redis.url, '--checkpoint', '--json'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    coordinator.stdout!.on('data', (d) => (out += d));
    expect(await w.waitFor((l) => l.startsWith('→ crunch'), 30_000)).toBe(true);
    coordinator.kill('SIGKILL');
    await new Promise((r) => coordinator.on('exit', r));
    const firstRun = events(out).find((e) => e.type === 'run_start')!.runId;

    let resumed = await odibi(['run', 'pipeline.json', '--executor', 'bullmq', '--redis', redis.url, '--resume', '--json'], { cwd: dir, env });
    for (let i = 0; i < 20 && /already running/.test(resumed.stdout + resumed.stderr); i++) {
      await sleep(500);
      resumed = await odibi(['run', 'pipeline.json', '--executor', 'bullmq', '--redis', redis.url, '--resume', '--json'], { cwd: dir, env });
    }
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    const steps = Object.fromEntries(events(resumed.stdout).filter((e) => e.type === 'step_success').map((e) => [e.step, e.restoredFrom ?? 'ran']));
    expect(steps.numbers).toBe(firstRun);
    expect(steps.history).toBe('ran');
    const parts = (await readdir(path.join(dir, 'out/history'))).filter((f) => f.endsWith('.parquet'));
    expect(parts).toHaveLength(1);
    expect(await query(`SELECT sum(c) AS n FROM read_parquet('${dir}/out/history/*.parquet')`)).toEqual([{ n: 50000 }]);

    // Once more: everything is checkpointed and the sink committed, so nothing is written twice.
    const again = await odibi(['run', 'pipeline.json', '--executor', 'bullmq', '--redis', redis.url, '--resume'], { cwd: dir, env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/↺ history .*already written/);
    expect((await readdir(path.join(dir, 'out/history'))).filter((f) => f.endsWith('.parquet'))).toHaveLength(1);
  }, 120_000);

  it('runs a notebook\'s pipeline on the workers from the kernel: %run --executor bullmq', async () => {
    const dir = await tempDir('odibi-dist-nb-');
    const w = await startWorker(redis.url);
    const cells = path.join(dir, 'cells.json');
    await writeFile(cells, JSON.stringify([
      ['sql', '%%sql nums\nSELECT range AS n, range % 3 AS k FROM range(100)'],
      ['agg', '%%sql by_k\nSELECT k, count(*) AS c FROM nums GROUP BY k ORDER BY k'],
      ['store', '%store by_k out/by_k.parquet'],
      ['run', `%run --executor bullmq --redis ${redis.url}`],
    ]));
    const { stdout } = await promisify(execFile)('/usr/bin/python3', [path.join(REPO, 'test/storage/run_cells.py'), dir, cells], { env: await jupyterEnv(), maxBuffer: 16 * 1024 * 1024, timeout: 180_000 });
    const out = JSON.parse(stdout) as Record<string, { reply: Record<string, unknown> }>;
    for (const name of ['sql', 'agg', 'store', 'run']) expect(out[name].reply.status, `${name}: ${JSON.stringify(out[name])}`).toBe('ok');
    // Every step ran on the worker, and the committed output is the run's.
    // nums is fused into by_k's job (a view inside its query), so by_k's job ran both.
    expect(w.lines.some((l) => l.startsWith('✓ ') && l.includes('by_k')), w.lines.join('\n')).toBe(true);
    expect(await query(`SELECT k, c FROM read_parquet('${dir}/out/by_k.parquet') ORDER BY k`)).toEqual([{ k: 0, c: 34 }, { k: 1, c: 33 }, { k: 2, c: 33 }]);
  }, 200_000);

  it('honours --only, --skip and --keep-going with the same outcome, events and exit code as a local run', async () => {
    const dir = await tempDir('odibi-dist-select-');
    await writePipeline(dir, [
      { layer: 'ingest', name: 'a', type: 'sql', value: 'SELECT range AS n FROM range(5)', outputs: { data: 'a' } },
      { layer: 'transform', name: 'bad', value: "SELECT error('no') FROM a", inputs: { a: 'a' }, outputs: { data: 'b' } },
      { layer: 'store', name: 'after_bad', value: 'out/b.parquet', inputs: { data: 'b' } },
      { layer: 'store', name: 'save_a', value: 'out/a.parquet', inputs: { data: 'a' } },
      { layer: 'ingest', name: 'other', type: 'sql', value: 'SELECT 1 AS x', outputs: { data: 'o' } },
      { layer: 'store', name: 'save_other', value: 'out/o.parquet', inputs: { data: 'o' } },
    ]);
    await startWorker(redis.url);
    const outcome = async (args: string[]) => {
      const dist = await odibi(['run', 'pipeline.json', '--json', ...args, '--executor', 'bullmq', '--redis', redis.url], { cwd: dir });
      const local = await odibi(['run', 'pipeline.json', '--json', ...args], { cwd: dir });
      const of = (stdout: string) => Object.fromEntries(events(stdout).filter((e) => /^step_(success|error|skipped)$/.test(e.type)).map((e) => [e.step, e.type === 'step_skipped' ? `skipped: ${e.reason}` : e.type]));
      expect(of(dist.stdout)).toEqual(of(local.stdout));
      expect(dist.code).toBe(local.code);
      return { code: dist.code, steps: of(dist.stdout) };
    };
    expect(await outcome(['--only', 'other,save_other'])).toMatchObject({ code: 0, steps: { save_other: 'step_success', a: 'skipped: deselected' } });
    expect(await outcome(['--skip', 'bad,after_bad'])).toMatchObject({ code: 0, steps: { save_a: 'step_success', bad: 'skipped: deselected' } });
    const kept = await outcome(['--keep-going']);
    expect(kept).toMatchObject({ code: 1, steps: { bad: 'step_error', after_bad: 'skipped: upstream_failed', save_a: 'step_success', save_other: 'step_success' } });
  }, 90_000);

  it('keeps queues apart: a run on --queue reaches only the workers taking that queue', async () => {
    const dir = await tempDir('odibi-dist-queue-');
    await writePipeline(dir, [
      { layer: 'ingest', name: 'numbers', type: 'sql', value: 'SELECT range AS n FROM range(10)', outputs: { data: 'nums' } },
      { layer: 'store', name: 'save', value: 'out/nums.parquet', inputs: { data: 'nums' } },
    ]);
    const [other, night] = await Promise.all([startWorker(redis.url), startWorker(redis.url, ['--queue', 'night'])]);
    expect(night.lines.some((l) => l.includes("queue 'night'"))).toBe(true);
    const r = await odibi(['run', 'pipeline.json', '--executor', 'bullmq', '--redis', redis.url, '--queue', 'night'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(night.lines.filter((l) => l.startsWith('✓ '))).toHaveLength(2);
    expect(other.lines.filter((l) => l.startsWith('→ '))).toEqual([]);
  }, 60_000);

  it('fails a poison step after its retries, as a local run would, and commits nothing', async () => {
    const dir = await tempDir('odibi-dist-poison-');
    await writePipeline(dir, [
      { layer: 'ingest', name: 'numbers', type: 'sql', value: 'SELECT range AS n FROM range(10)', outputs: { data: 'nums' } },
      { layer: 'store', name: 'save', value: 'out/nums.parquet', inputs: { data: 'nums' } },
      { layer: 'transform', name: 'poison', value: "SELECT error('bad row in ' || n) FROM nums", params: { retries: 1, retry_delay_ms: 10 }, inputs: { nums: 'nums' }, outputs: { data: 'p' } },
    ]);
    await startWorker(redis.url);
    const r = await odibi(['run', 'pipeline.json', '--executor', 'bullmq', '--redis', redis.url, '--json'], { cwd: dir });
    expect(r.code).toBe(1);
    const ev = events(r.stdout);
    expect(ev.filter((e) => e.type === 'step_start' && e.step === 'poison')).toHaveLength(2);
    expect(ev.find((e) => e.type === 'step_error')?.error.message).toMatch(/bad row in/);
    expect(await stat(path.join(dir, 'out/nums.parquet')).then(() => true, () => false)).toBe(false);
  }, 60_000);

  it('stops a step on its worker when the coordinator gives up on it (a --timeout, or Ctrl-C)', async () => {
    const dir = await tempDir('odibi-dist-cancel-');
    await writePipeline(dir, [
      // Several seconds of work; the run allows one.
      { layer: 'ingest', name: 'slow', type: 'sql', value: 'SELECT count(*) AS c FROM range(30000) a, range(30000) b WHERE (a.range * b.range) % 11 = 3', outputs: { data: 's' } },
    ]);
    const w = await startWorker(redis.url);
    const r = await odibi(['run', 'pipeline.json', '--executor', 'bullmq', '--redis', redis.url, '--timeout', '1000', '--json'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(events(r.stdout).find((e) => e.type === 'step_error')?.error.message).toMatch(/timed out after 1000 ms/);
    // The worker was told: its query was interrupted (left alone, it would have finished: ✓).
    expect(await w.waitFor((l) => l.startsWith('✗ slow') || l.startsWith('✓ slow'), 30_000), w.lines.join('\n')).toBe(true);
    expect(w.lines.find((l) => l.startsWith('✗ slow') || l.startsWith('✓ slow'))).toMatch(/^✗ slow .*(interrupt|cancel)/i);
  }, 60_000);

  it('holds one run per pipeline: a second coordinator is refused while the first runs', async () => {
    const dir = await tempDir('odibi-dist-lock-');
    await writePipeline(dir, [
      { layer: 'ingest', name: 'slow', type: 'sql', value: 'SELECT count(*) AS c FROM range(12000) a, range(12000) b WHERE (a.range * b.range) % 11 = 3', outputs: { data: 's' } },
    ]);
    const w = await startWorker(redis.url);
    const first = odibi(['run', 'pipeline.json', '--executor', 'bullmq', '--redis', redis.url], { cwd: dir });
    expect(await w.waitFor((l) => l.startsWith('→ slow'), 20_000)).toBe(true);
    const second = await odibi(['run', 'pipeline.json', '--executor', 'bullmq', '--redis', redis.url], { cwd: dir });
    expect(second.code).not.toBe(0);
    expect(second.stderr).toMatch(/pipeline 'test' is already running \(run \S+ holds its lock in Redis/);
    expect((await first).code).toBe(0);
  }, 60_000);

  it('names Redis when it is not there, and when it goes away in the middle of a run (nothing committed)', async () => {
    const dir = await tempDir('odibi-dist-gone-');
    await writePipeline(dir, [
      { layer: 'ingest', name: 'slow', type: 'sql', value: 'SELECT count(*) AS c FROM range(15000) a, range(15000) b WHERE (a.range * b.range) % 11 = 3', outputs: { data: 's' } },
      { layer: 'store', name: 'save', value: 'out/s.parquet', inputs: { data: 's' } },
    ]);
    const none = await odibi(['run', 'pipeline.json', '--executor', 'bullmq', '--redis', 'redis://127.0.0.1:1'], { cwd: dir });
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
    const noUrl = await odibi(['run', 'pipeline.json', '--executor', 'bullmq'], { cwd: dir, env: { ODIBI_REDIS_URL: '' } });
    expect(noUrl.stderr).toMatch(/needs a Redis URL/);

    const own = await startRedis();
    try {
      const w = await startWorker(own.url);
      const run = odibi(['run', 'pipeline.json', '--executor', 'bullmq', '--redis', own.url, '--json'], { cwd: dir });
      expect(await w.waitFor((l) => l.startsWith('→ slow'), 20_000)).toBe(true);
      await own.stop();
      const r = await run;
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toMatch(/lost Redis at redis:\/\/127\.0\.0\.1:\d+/);
      expect(await stat(path.join(dir, 'out/s.parquet')).then(() => true, () => false)).toBe(false);
    } finally {
      await own.stop();
    }
  }, 120_000);
});
