/**
 * Objects reach DuckDB as local files: each is streamed from the store into a cache folder (never
 * held whole in memory) under a name made of its URI and its ETag, so reading an unchanged object
 * again costs one HEAD (or one listing) and no GET. A changed object gets a new name; the stale
 * copy is removed once the new one is in place.
 */
import { createHash } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { produceAtomic } from '../shared/atomic-write.js';
import type { ObjectLocation } from './locate.js';
import { StorageError, type ObjectInfo } from './object-store.js';
import { globPrefix, hasGlob, withKey } from './uri.js';

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
  for await (const o of loc.store.list(globPrefix(loc.key))) if (match(o.key)) found.push(o);
  if (found.length === 0) throw new StorageError(`no object matches ${loc.uri}`, 'not-found', { hint: 'check the pattern; a listing covers everything under its prefix' });
  return found.sort((a, b) => (a.key < b.key ? -1 : 1));
}

async function cached(loc: ObjectLocation, o: ObjectInfo, cacheDir: string, signal?: AbortSignal): Promise<CachedObject> {
  const uri = withKey(loc.uri, o.key);
  const stem = hash(`${loc.store.label}/${o.key}`);
  // The extension stays: DuckDB's readers and a user reading the cache both see what it is.
  const ext = path.extname(o.key).slice(0, 16);
  const file = path.join(cacheDir, `${stem}-${hash(o.etag)}${ext}`);
  const have = await stat(file).catch(() => undefined);
  if (have && have.size === o.size) return { uri, file, fetched: false };
  // IfMatch: an object replaced between the listing and the download fails rather than mixing.
  await produceAtomic(file, async (tmp) => {
    await loc.store.download(o.key, tmp, o.etag || undefined, signal);
  });
  await removeOlder(cacheDir, stem, path.basename(file));
  return { uri, file, fetched: true };
}

async function removeOlder(cacheDir: string, stem: string, keep: string): Promise<void> {
  const names = await readdir(cacheDir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.startsWith(`${stem}-`) && n !== keep).map((n) => rm(path.join(cacheDir, n), { force: true })));
}
