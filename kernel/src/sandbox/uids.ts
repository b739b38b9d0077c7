/**
 * One unprivileged uid per live kernel, so no two kernels share a process limit or file owner.
 * A claim is a file named after the uid holding the launcher's pid; claims of launchers that are
 * gone are taken over. Claiming happens under a short-lived lock folder, since Jupyter may start
 * several kernels at once.
 */
import { mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { processAlive } from './pids.js';

const LOCK_STALE_MS = 10_000;


async function withLock<T>(dir: string, fn: () => T): Promise<T> {
  const lock = path.join(dir, '.lock');
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A launcher killed while holding the lock must not block every later kernel.
      try {
        if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) rmdirSync(lock);
      } catch {
        // Gone meanwhile: try again.
      }
      if (i > 500) throw new Error(`the sandbox uid lock ${lock} stays taken; remove it if no kernel is starting`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  try {
    return fn();
  } finally {
    rmdirSync(lock);
  }
}

/** Claims the lowest free uid in [first, last] for `pid`. */
export async function claimUid(stateDir: string, [first, last]: [number, number], pid = process.pid): Promise<number> {
  const dir = path.join(stateDir, 'uids');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return withLock(dir, () => {
    const held = new Set<number>();
    for (const name of readdirSync(dir)) {
      const uid = Number(name);
      if (!Number.isInteger(uid)) continue;
      const owner = Number(readFileSync(path.join(dir, name), 'utf8'));
      if (owner && processAlive(owner)) held.add(uid);
    }
    for (let uid = first; uid <= last; uid++) {
      if (held.has(uid)) continue;
      writeFileSync(path.join(dir, String(uid)), String(pid));
      return uid;
    }
    throw new Error(`all ${last - first + 1} sandbox uids (${first}-${last}) are in use; raise the range or stop some kernels`);
  });
}

export function releaseUid(stateDir: string, uid: number, pid = process.pid): void {
  const file = path.join(stateDir, 'uids', String(uid));
  try {
    if (Number(readFileSync(file, 'utf8')) === pid) unlinkSync(file);
  } catch {
    // Already gone.
  }
}
