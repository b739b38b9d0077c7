/**
 * Writes a file so that readers see either the old content or the new, never a part: the data goes
 * to a temporary file beside the target, then a rename replaces the target. `durable` also flushes
 * the file and its folder to disk, so the write survives a crash of the machine, not only of the
 * process: the stream's offsets and commits logs need that.
 */
import { open, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';

let seq = 0;

export async function writeFileAtomic(file: string, data: string | Uint8Array, options: { durable?: boolean } = {}): Promise<void> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true });
  // A dot name that does not end in the target's extension: globs over the folder never see it.
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${++seq}.tmp`);
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data);
      if (options.durable) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  if (options.durable) await syncDir(dir);
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
