import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rename, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FOREIGN_STALE_MS, stageFile, sweepStaging } from './staging.js';
import { startTicksOf } from '../shared/process.js';

/** A staged file, renamed as if process `pid` (started at `start` ticks, in pid space `space`) owned it. */
async function staged(dir: string, name: string, pid: number, owner: { space?: string; start?: number } = {}): Promise<string> {
  const s = await stageFile(path.join(dir, name), 'run1');
  await writeFile(s.tempPath, 'x');
  const file = s.tempPath.replace(/\.([0-9a-f]{8})\.(\d+)\.(\d+)\.(\d+)\.odibi-tmp$/, (_m, space: string, _pid, start: string, seq: string) =>
    `.${owner.space ?? space}.${pid}.${owner.start ?? (pid === process.pid ? start : startTicksOf(pid) ?? start)}.${seq}.odibi-tmp`);
  await rename(s.tempPath, file);
  return path.basename(file);
}

const ago = async (dir: string, name: string, ms: number) => {
  const t = new Date(Date.now() - ms);
  await utimes(path.join(dir, name), t, t);
};

describe('sweepStaging', () => {
  it("removes a dead process's files and keeps a live one's and everything that is not staging", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'odibi-sweep-'));
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 1000)']);
    await new Promise((r) => child.on('exit', r));
    const dead = await staged(dir, 'a.parquet', child.pid!);
    const mine = await staged(dir, 'b.parquet', process.pid);
    await writeFile(path.join(dir, '.c.parquet.notours.tmp'), 'x');
    await writeFile(path.join(dir, 'd.parquet'), 'x');
    const removed = await sweepStaging([dir]);
    expect(removed.map((f) => path.basename(f))).toEqual([dead]);
    expect((await readdir(dir)).sort()).toEqual([mine, '.c.parquet.notours.tmp', 'd.parquet'].sort());
  });

  it('removes a file of an earlier process that had the pid now in use (a restarted container), whatever the clocks say', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'odibi-sweep-'));
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      await new Promise((r) => child.on('spawn', r));
      const started = startTicksOf(child.pid!)!;
      const old = await staged(dir, 'a.parquet', child.pid!, { start: started - 1 });
      const fresh = await staged(dir, 'b.parquet', child.pid!);
      // A live run's file looks old to a clock that runs ahead: it is kept all the same.
      await ago(dir, fresh, 60_000);
      const removed = await sweepStaging([dir]);
      expect(removed.map((f) => path.basename(f))).toEqual([old]);
      expect(await readdir(dir)).toEqual([fresh]);
    } finally {
      child.kill();
    }
  });

  it("judges another host's files by age alone, since their pids mean nothing here", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'odibi-sweep-'));
    const recent = await staged(dir, 'a.parquet', 1, { space: 'ffffffff' });
    const old = await staged(dir, 'b.parquet', 1, { space: 'eeeeeeee' });
    await ago(dir, old, FOREIGN_STALE_MS + 60_000);
    const removed = await sweepStaging([dir, path.join(dir, 'missing')]);
    expect(removed.map((f) => path.basename(f))).toEqual([old]);
    expect(await readdir(dir)).toEqual([recent]);
  });
});
