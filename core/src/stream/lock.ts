/**
 * One process per stream: two processes taking the same new files would write them twice. The
 * lock file holds the owner's pid; a lock left by a killed process (its pid is gone) is taken over.
 */
import { open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { StreamError } from '../errors.js';

export class StreamLock {
  private constructor(readonly file: string) {}

  static async acquire(dir: string): Promise<StreamLock> {
    const file = path.join(dir, 'lock');
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fh = await open(file, 'wx');
        await fh.writeFile(String(process.pid));
        await fh.close();
        return new StreamLock(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
        if (owner && owner !== process.pid && alive(owner)) {
          throw new StreamError(`the stream is already running (process ${owner} holds ${file})`, { hint: 'stop that process first (SIGTERM finishes its batch), or use another --state-dir' });
        }
        await rm(file, { force: true });
      }
    }
    throw new StreamError(`could not take the stream lock ${file}`, { hint: 'remove the file if no stream process is running' });
  }

  async release(): Promise<void> {
    await rm(this.file, { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
