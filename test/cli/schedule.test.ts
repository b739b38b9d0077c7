/** `odibi schedule` through the real CLI: interval and file triggers, run records, bad input. */
import { spawn } from 'node:child_process';
import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, events, odibi } from '../helpers/cli.js';
import { tempDir, writePipeline } from '../helpers/project.js';

async function project(): Promise<string> {
  const dir = await tempDir('odibi-schedule-');
  await writeFile(path.join(dir, 'prices.csv'), 'sku,price\na,1\n');
  await writePipeline(dir, [
    { layer: 'ingest', name: 'read', value: 'prices.csv', outputs: { data: 'prices' } },
    { layer: 'store', name: 'save', value: 'out/prices', params: { mode: 'append' }, inputs: { data: 'prices' } },
  ]);
  return dir;
}

describe('odibi schedule', () => {
  it('runs on an interval, records each run with its trigger, and stops after --max-runs', async () => {
    const dir = await project();
    const r = await odibi(['schedule', 'pipeline.json', '--every', '1s', '--max-runs', '2', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    const ev = events(r.stdout);
    expect(ev[0]).toMatchObject({ type: 'schedule_start', trigger: 'every 1.0s', overlap: 'skip', missed: 'skip' });
    expect(ev.filter((e) => e.type === 'schedule_run_end').map((e) => e.status)).toEqual(['success', 'success']);
    expect(ev.at(-1)).toMatchObject({ type: 'schedule_end', runs: 2, reason: 'max_runs' });
    expect(await readdir(path.join(dir, 'out/prices'))).toHaveLength(2);
    const runs = await odibi(['runs'], { cwd: dir });
    expect(runs.stdout.match(/\(scheduled: every 1\.0s\)/g)).toHaveLength(2);
  });

  it('runs when a file lands, and stops on SIGTERM', async () => {
    const dir = await project();
    await mkdir(path.join(dir, 'landing'));
    const child = spawn(process.execPath, [CLI, 'schedule', 'pipeline.json', '--on-file', 'landing', '--pattern', '*.csv'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    const until = async (re: RegExp) => {
      for (let i = 0; i < 300 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 50));
      expect(out).toMatch(re);
    };
    await until(/Scheduling test: on file in landing matching \*\.csv \(overlap: queue/);
    await writeFile(path.join(dir, 'landing/.new.csv.tmp'), 'x\n');
    await rename(path.join(dir, 'landing/.new.csv.tmp'), path.join(dir, 'landing/new.csv'));
    await until(/✔ run \S+ success/);
    expect(out).toMatch(/▶ run \(file: .*new\.csv\)/);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toMatch(/Schedule stopped after 1 run/);
  });

  it('makes up runs missed while it was down with --missed run-once, once', async () => {
    const dir = await project();
    await mkdir(path.join(dir, '.odibi/schedules'), { recursive: true });
    await writeFile(path.join(dir, '.odibi/schedules/test.json'), JSON.stringify({ lastFire: Date.now() - 5 * 3_600_000 }));
    const r = await odibi(['schedule', 'pipeline.json', '--every', '1h', '--missed', 'run-once', '--max-runs', '1', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    const ev = events(r.stdout);
    expect(ev.find((e) => e.type === 'schedule_missed')).toMatchObject({ count: 5, policy: 'run_once' });
    expect(ev.find((e) => e.type === 'schedule_fire')).toMatchObject({ reason: 'missed' });
    expect(ev.find((e) => e.type === 'schedule_run_end')).toMatchObject({ status: 'success' });
    const bad = await odibi(['schedule', 'pipeline.json', '--every', '1h', '--missed', 'later'], { cwd: dir });
    expect(bad.code).toBe(2);
  });

  it('rejects a bad cron expression, timezone or missing trigger with exit code 2', async () => {
    const dir = await project();
    const cron = await odibi(['schedule', 'pipeline.json', '--cron', '0 25 * * *'], { cwd: dir });
    expect(cron.code).toBe(2);
    expect(cron.stderr).toMatch(/invalid cron expression '0 25 \* \* \*': Invalid value for hour: 25/);
    const tz = await odibi(['schedule', 'pipeline.json', '--cron', '0 6 * * *', '--tz', 'Paris'], { cwd: dir });
    expect(tz.code).toBe(2);
    expect(tz.stderr).toMatch(/unknown timezone 'Paris'\n {2}hint: use an IANA name/);
    const none = await odibi(['schedule', 'pipeline.json'], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no trigger given\n {2}hint: use --cron/);
  });
});
