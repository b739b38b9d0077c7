/**
 * Datasets passing between steps that run in different processes (and machines): each output is
 * written as Parquet to `<exchange>/<run-id>/<key>.parquet` by the worker that made it, and read by
 * the worker of any step that needs it. The exchange is a folder all workers and the coordinator
 * see (the state dir's `exchange/` by default, or a shared mount), or an s3:// / az:// prefix; an
 * object is fetched through the ETag cache, so a worker reads each dataset once.
 */
import { createHash } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { produceAtomic } from '../shared/atomic-write.js';
import { openStore } from '../storage/locate.js';
import { localCopies } from '../storage/read-cache.js';
import { folderPrefix, isObjectUri, joinKey, parseObjectUri, withKey } from '../storage/uri.js';

export class Exchange {
  constructor(readonly location: string, private readonly cacheDir: string) {}

  #name(key: string): string {
    // Keys are free text; the file name must not be (and must not collide).
    const safe = key.replace(/[^\w.-]/g, '_').slice(0, 80);
    return `${safe}.${createHash('sha256').update(key).digest('hex').slice(0, 8)}.parquet`;
  }

  where(runId: string, key: string): string {
    return isObjectUri(this.location) ? withKey(this.location, joinKey(parseObjectUri(this.location).key, runId, this.#name(key))) : path.join(this.location, runId, this.#name(key));
  }

  /**
   * Writes dataset `key` with `write(file)` (a local path to write Parquet to), whole or not at all.
   * Returns a local file holding it: the exchange's own file, or with `keep` the copy uploaded to a
   * store (in `scratch`, left for the caller to read and remove).
   */
  async put(runId: string, key: string, write: (file: string) => Promise<void>, scratch: string, keep = false): Promise<string | undefined> {
    const target = this.where(runId, key);
    if (!isObjectUri(target)) {
      await produceAtomic(target, write);
      return target;
    }
    const local = path.join(scratch, this.#name(key));
    await write(local);
    try {
      const uri = parseObjectUri(target);
      await (await openStore(uri)).upload(uri.key, local);
    } finally {
      if (!keep) await rm(local, { force: true });
    }
    return keep ? local : undefined;
  }

  /** A local file holding dataset `key`. */
  async get(runId: string, key: string): Promise<string> {
    const target = this.where(runId, key);
    if (!isObjectUri(target)) return target;
    const uri = parseObjectUri(target);
    const [copy] = await localCopies({ uri: target, store: await openStore(uri), key: uri.key }, this.cacheDir);
    return copy.file;
  }

  /** Removes the run's datasets. */
  async clear(runId: string): Promise<void> {
    if (!isObjectUri(this.location)) {
      await rm(path.join(this.location, runId), { recursive: true, force: true });
      return;
    }
    const uri = parseObjectUri(this.location);
    const store = await openStore(uri);
    const keys: string[] = [];
    for await (const o of store.list(folderPrefix(joinKey(uri.key, runId)))) keys.push(o.key);
    for (const k of keys) await store.delete(k).catch(() => undefined);
  }

  /**
   * Removes the datasets of runs whose coordinator is gone (killed before it could clear them):
   * run folders untouched for `staleMs` (a live run writes its folder as its steps finish).
   * Local folders only; on a store, a lifecycle rule on the prefix does this.
   */
  async sweep(staleMs = 24 * 3600_000, now = Date.now()): Promise<string[]> {
    if (isObjectUri(this.location)) return [];
    const removed: string[] = [];
    for (const name of await readdir(this.location).catch(() => [] as string[])) {
      const dir = path.join(this.location, name);
      const info = await stat(dir).catch(() => undefined);
      if (!info?.isDirectory() || now - info.mtimeMs < staleMs) continue;
      await rm(dir, { recursive: true, force: true });
      removed.push(name);
    }
    return removed;
  }
}
