/** Where local copies of objects live when the caller names no state folder. */
import os from 'node:os';
import path from 'node:path';

export function defaultObjectCacheDir(): string {
  // One per user: another user's copies are neither readable nor to be trusted.
  return process.env.ODIBI_OBJECT_CACHE || path.join(os.tmpdir(), `odibi-objects-${process.getuid?.() ?? 'user'}`);
}

/** The object cache of a state folder (`.odibi/cache/objects`). */
export function objectCacheDirOf(stateDir: string): string {
  return path.join(stateDir, 'cache', 'objects');
}
