/**
 * Objects reach DuckDB as local files: each is streamed from the store into a cache folder (never
 * held whole in memory), at the object's own key path (so Hive partition folders such as
 * `year=2024/` still mean something to DuckDB) under a name carrying its ETag. Reading an unchanged
 * object again costs one HEAD (or one listing) and no GET. A changed object gets a new name; copies
 * of older versions are removed once nobody can still be reading them (an hour untouched).
 */
import { createHash } from 'node:crypto';
import { readdir, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { produceAtomic } from '../shared/atomic-write.js';
import type { ObjectLocation } from './locate.js';
import { StorageError, type ObjectInfo } from './object-store.js';
import { globPrefix, hasGlob, withKey } from './uri.js';

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const hash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 20);

export interface CachedObject {
  uri: string;
  file: string;
  /** Whether this call fetched it (false: the cache already held this version). */
  fetched: boolean;
}

/** The objects a location names (one key, or every key a glob matches), each as a local file. */
export async function localCopies(loc: ObjectLocation, cacheDir: string, signal?: AbortSignal): Promise<CachedObject[]> {
  const objects = await resolveObjects(loc);
  const out: CachedObject[] = [];
  for (const o of objects) out.push(await cached(loc, o, cacheDir, signal));
  return out;
}

/** The objects a location names, with their ETags; fails with a hint when there are none. */
export async function resolveObjects(loc: ObjectLocation): Promise<ObjectInfo[]> {
  if (!hasGlob(loc.key)) {
    const info = await loc.store.head(loc.key);
    if (!info) throw new StorageError(`object not found: ${loc.uri}`, 'not-found', { hint: 'check the key (paths under a connect step are relative to its URI) and that an upstream job wrote it' });
    return [info];
  }
  const match = picomatch(loc.key, { dot: false });
  const found: ObjectInfo[] = [];
  // Keys ending in '/' are folder markers (the S3 console's, a Data Lake directory), not data.
  for await (const o of loc.store.list(globPrefix(loc.key))) if (!o.key.endsWith('/') && match(o.key)) found.push(o);
  if (found.length === 0) throw new StorageError(`no object matches ${loc.uri}`, 'not-found', { hint: 'check the pattern; a listing covers everything under its prefix' });
  return found.sort((a, b) => (a.key < b.key ? -1 : 1));
}

/** A copy of an older version untouched this long is no longer read by anyone. */
const OLD_VERSION_GRACE_MS = 60 * 60_000;

/** A key's folders and name as safe local path parts (no '..', no empty or absolute parts). */
function localParts(key: string): string[] {
  return key.split('/').filter((p) => p !== '').map((p) => (p === '.' || p === '..' ? `%2E${p.slice(1)}` : p.slice(0, 200)));
}

async function cached(loc: ObjectLocation, o: ObjectInfo, cacheDir: string, signal?: AbortSignal): Promise<CachedObject> {
  const uri = withKey(loc.uri, o.key);
  const parts = localParts(o.key);
  const name = parts.pop() ?? 'object';
  // The extension stays last: DuckDB's readers and a user reading the cache both see what it is.
  const ext = path.extname(name).slice(0, 16);
  const stem = name.slice(0, name.length - ext.length);
  const dir = path.join(cacheDir, hash(loc.store.id), ...parts);
  const file = path.join(dir, `${stem}.${hash(o.etag)}${ext}`);
  const have = await stat(file).catch(() => undefined);
  if (have && have.size === o.size) {
    const now = new Date();
    await utimes(file, now, now).catch(() => undefined);
    return { uri, file, fetched: false };
  }
  // IfMatch: an object replaced between the listing and the download fails rather than mixing.
  await produceAtomic(file, async (tmp) => {
    await loc.store.download(o.key, tmp, o.etag || undefined, signal);
  });
  await removeOlder(dir, stem, ext, path.basename(file));
  return { uri, file, fetched: true };
}

/** Copies of other versions of the same object, once untouched for the grace period. */
async function removeOlder(dir: string, stem: string, ext: string, keep: string): Promise<void> {
  const version = new RegExp(`^${escapeRegExp(stem)}\\.[0-9a-f]{20}${escapeRegExp(ext)}$`);
  const now = Date.now();
  for (const n of await readdir(dir).catch(() => [] as string[])) {
    if (n === keep || !version.test(n)) continue;
    const f = path.join(dir, n);
    const s = await stat(f).catch(() => undefined);
    if (s && now - s.mtimeMs > OLD_VERSION_GRACE_MS) await rm(f, { force: true });
  }
}
