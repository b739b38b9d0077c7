/**
 * Exactly-once under crashes, with real processes: `odibi stream` is SIGKILLed at seeded random
 * moments (at least 20 times, some right after a batch starts) while CSV files keep arriving,
 * and restarted each time. At the end the sink, read with DuckDB over all its part files, must
 * equal the same SQL run as one batch over all the inputs: no row lost, none duplicated.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, rename, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rng } from '../../examples/iot/rng.mjs';
import { CLI, events, odibi } from '../helpers/cli.js';
import { query } from '../helpers/duckdb.js';
import { tempDir, writePipeline } from '../helpers/project.js';

const FILES = 60;
const ROWS_PER_FILE = 40;
const KILLS = 22;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A stream process whose JSON events can be awaited. */
function startStream(dir: string, args: string[] = []): { child: ChildProcess; lines: string[]; exited: Promise<number | null>; waitFor: (pred: (l: string) => boolean, ms: number) => Promise<boolean> } {
  const child = spawn(process.execPath, [CLI, 'stream', 'pipeline.json', '--json', '--trigger-interval', '50', ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  let buf = '';
  child.stdout!.on('data', (d) => {
    buf += d;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  child.stderr!.on('data', () => undefined);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const waitFor = async (pred: (l: string) => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (lines.some(pred)) return true;
      await Promise.race([new Promise<void>((r) => waiters.push(r)), sleep(Math.max(1, deadline - Date.now())), exited]);
      if (child.exitCode !== null) return lines.some(pred);
    }
    return false;
  };
  return { child, lines, exited, waitFor };
}

describe('odibi stream: exactly-once under SIGKILL', () => {
  it(`survives ${KILLS} kills at random moments while files arrive, with no row lost or duplicated`, async () => {
    const dir = await tempDir('odibi-crash-');
    await mkdir(path.join(dir, 'in'));
    await writePipeline(dir, [
      { layer: 'ingest', name: 'readings', value: 'in', params: { stream: { mode: 'file_watch', pattern: '*.csv' } }, outputs: { data: 'raw' } },
      { layer: 'transform', name: 'clean', value: "SELECT file_no, row_no, device, round(v * 1.5, 3) AS v15 FROM raw WHERE device <> 'bad'", inputs: { raw: 'raw' }, outputs: { data: 'clean' } },
      { layer: 'store', name: 'sink', value: 'out/clean', params: { mode: 'append' }, inputs: { data: 'clean' } },
    ]);
    const random = rng(20261125);

    // Files arrive the way well-behaved producers drop them: written under a hidden name, then moved into place.
    let written = 0;
    const feeder = (async () => {
      for (let f = 0; f < FILES; f++) {
        const rows = Array.from({ length: ROWS_PER_FILE }, (_, r) => `${f},${r},${random() < 0.1 ? 'bad' : `d${Math.floor(random() * 5)}`},${(random() * 100).toFixed(2)}`);
        const name = `batch-${String(f).padStart(3, '0')}.csv`;
        await writeFile(path.join(dir, 'in', `.${name}.tmp`), `file_no,row_no,device,v\n${rows.join('\n')}\n`);
        await rename(path.join(dir, 'in', `.${name}.tmp`), path.join(dir, 'in', name));
        written++;
        await sleep(20 + random() * 120);
      }
    })();

    let kills = 0;
    let replays = 0;
    while (kills < KILLS) {
      const s = startStream(dir);
      if (random() < 0.5) {
        // Right after a batch starts: the kill lands inside the batch (before or after its sinks commit).
        const started = await s.waitFor((l) => l.includes('"batch_start"'), 15_000);
        if (started) await sleep(random() * 40);
      } else {
        await sleep(150 + random() * 900);
      }
      s.child.kill('SIGKILL');
      await s.exited;
      kills++;
      replays += s.lines.filter((l) => l.includes('"replaying"')).length;
    }
    await feeder;
    expect(written).toBe(FILES);

    // A last start drains whatever is left and exits once idle.
    const last = startStream(dir, ['--until-idle', '2']);
    expect(await last.exited).toBe(0);
    const end = events(last.lines.join('\n')).find((e) => e.type === 'stream_end');
    expect(end?.reason).toBe('until_idle');

    const expected = await query(`SELECT file_no, row_no, device, round(v * 1.5, 3) AS v15 FROM read_csv('${dir}/in/*.csv') WHERE device <> 'bad'`);
    const sink = `read_parquet('${dir}/out/clean/*.parquet')`;
    const [{ n }] = await query(`SELECT count(*) AS n FROM ${sink}`);
    expect(n).toBe(expected.length);
    const [{ dups }] = await query(`SELECT count(*) AS dups FROM (SELECT file_no, row_no FROM ${sink} GROUP BY ALL HAVING count(*) > 1)`);
    expect(dups).toBe(0);
    const missing = await query(`SELECT * FROM (SELECT file_no, row_no, device, round(v * 1.5, 3) AS v15 FROM read_csv('${dir}/in/*.csv') WHERE device <> 'bad' EXCEPT ALL SELECT * FROM ${sink})`);
    const extra = await query(`SELECT * FROM (SELECT * FROM ${sink} EXCEPT ALL SELECT file_no, row_no, device, round(v * 1.5, 3) AS v15 FROM read_csv('${dir}/in/*.csv') WHERE device <> 'bad')`);
    expect(missing).toEqual([]);
    expect(extra).toEqual([]);
    // Parts are named by batch id, and no half-written file is visible to readers.
    const parts = await readdir(path.join(dir, 'out/clean'));
    expect(parts.filter((p) => !p.startsWith('.')).every((p) => /^part-\d{8}\.parquet$/.test(p))).toBe(true);
    console.log(`crash test: ${kills} kills, ${replays} replayed batches, ${parts.filter((p) => !p.startsWith('.')).length} parts, ${n} rows`);
  }, 240_000);

  it('refuses a second process on the same stream while the first runs', async () => {
    const dir = await tempDir('odibi-lock-');
    await mkdir(path.join(dir, 'in'));
    await writePipeline(dir, [
      { layer: 'ingest', name: 'readings', value: 'in', params: { stream: { mode: 'file_watch', pattern: '*.csv' } }, outputs: { data: 'raw' } },
      { layer: 'store', name: 'sink', value: 'out', params: { mode: 'append' }, inputs: { data: 'raw' } },
    ]);
    const first = startStream(dir);
    expect(await first.waitFor((l) => l.includes('"stream_start"'), 15_000)).toBe(true);
    const second = await odibi(['stream', 'pipeline.json'], { cwd: dir });
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/already running \(process \d+/);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  }, 60_000);
});
