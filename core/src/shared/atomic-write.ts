/**
 * The one way ODIBI writes a file: to a hidden temporary file beside the target, then a rename,
 * so readers see the old content or the new, never a part, and a crash leaves no half-written
 * target. Temporary names are unique (pid and a counter) and hidden: a dot name that does not end
 * in the target's extension, so globs over the folder never see it. `durable` also flushes the
 * file and its folder to disk, for writes that must survive a machine crash, not only a process's.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';

let seq = 0;

/** A unique hidden temporary path beside `file`. */
export function tempPathFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${++seq}.tmp`);
}

export async function writeFileAtomic(file: string, data: string | Uint8Array, options: { durable?: boolean; mode?: number } = {}): Promise<void> {
  await produceAtomic(file, async (tmp) => {
    const fh = await open(tmp, 'w', options.mode);
    try {
      await fh.writeFile(data);
      if (options.durable) await fh.sync();
    } finally {
      await fh.close();
    }
  });
  if (options.durable) await syncDir(path.dirname(file));
}

/** The same for a few KB on a path where two trips through the thread pool cost more than the write. */
export function writeFileAtomicSync(file: string, data: string | Uint8Array, options: { mode?: number } = {}): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = tempPathFor(file);
  try {
    writeFileSync(tmp, data, { mode: options.mode });
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** A file something else writes (DuckDB's COPY, a copy of another file): at a temporary path, then renamed. */
export async function produceAtomic(file: string, write: (tmp: string) => Promise<void>): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = tempPathFor(file);
  try {
    await write(tmp);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Flushes a folder's entries (a rename into it) to disk. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch {
    // Some file systems cannot fsync a directory; the rename is still atomic there.
  } finally {
    await fh.close();
  }
}
