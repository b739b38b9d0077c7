/** Where local copies of objects live when the caller names no state folder. */
import { createHash } from 'node:crypto';
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

/**
 * The local caches of a state dir on a store (`s3://…`): per user and per URI, beside the default
 * object cache. Caches are per machine by nature; fetching them over the network would defeat them.
 */
export function remoteStateCacheDir(uri: string): string {
  const root = process.env.ODIBI_CACHE_DIR || path.join(os.tmpdir(), `odibi-cache-${process.getuid?.() ?? 'user'}`);
  return path.join(root, createHash('sha256').update(uri.replace(/\/+$/, '')).digest('hex').slice(0, 16));
}
