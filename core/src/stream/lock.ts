/**
 * One process per stream: two processes taking the same new files would write them twice. The
 * lock file holds the owner's pid and appears with it in one step (written beside, then linked
 * into place). A lock left by a killed process (its pid is gone) is moved aside and checked, so
 * two processes taking over the same stale lock cannot both win.
 */
import { link, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StreamError } from '../errors.js';
import { processAlive } from '../shared/process.js';

export class StreamLock {
  private constructor(readonly file: string) {}

  static async acquire(dir: string): Promise<StreamLock> {
    const file = path.join(dir, 'lock');
    const mine = path.join(dir, `.lock.${process.pid}.tmp`);
    await writeFile(mine, String(process.pid));
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          await link(mine, file);
          return new StreamLock(file);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
        const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
        if (owner && owner !== process.pid && processAlive(owner)) {
          throw new StreamError(`the stream is already running (process ${owner} holds ${file})`, { hint: 'stop that process first (SIGTERM finishes its batch), or use another --state-dir' });
        }
        // Stale: move it aside (only one taker's rename succeeds), and put it back if it turns out
        // another process took the lock meanwhile.
        const aside = path.join(dir, `.lock.stale.${process.pid}`);
        try {
          await rename(file, aside);
        } catch {
          continue;
        }
        const moved = Number((await readFile(aside, 'utf8').catch(() => '')).trim());
        if (moved !== owner && moved && processAlive(moved)) await link(aside, file).catch(() => undefined);
        await rm(aside, { force: true });
      }
      throw new StreamError(`could not take the stream lock ${file}`, { hint: 'remove the file if no stream process is running' });
    } finally {
      await rm(mine, { force: true });
    }
  }

  async release(): Promise<void> {
    await rm(this.file, { force: true });
  }
}
