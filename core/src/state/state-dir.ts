/**
 * The state dir: run records, checkpoints, stream logs and locks, schedule state. It is a local
 * folder or a prefix on an object store (`--state-dir s3://bucket/prefix`, `az://…`), behind one
 * small interface of whole small files addressed by relative keys, so the tracker, the stream's
 * logs and the scheduler need not know which.
 *
 * Caches (type checks, dry runs, local copies of objects) are never in a remote state dir: they
 * are per machine by nature, and fetching a cache over the network would defeat it. With a URI,
 * they go to a local folder named after the URI (`cacheDir`).
 *
 * A bare state-dir URI reaches its store as a bare data URI does: through the environment's
 * credentials (the AWS default chain with AWS_ENDPOINT_URL; AZURE_STORAGE_CONNECTION_STRING, or
 * AZURE_STORAGE_ACCOUNT with DefaultAzureCredential).
 */
import { link, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempPathFor, writeFileAtomic, writeFileAtomicSync } from '../shared/atomic-write.js';
import { remoteStateCacheDir } from '../storage/cache-dir.js';
import { openStore } from '../storage/locate.js';
import { isPrecondition, type ObjectStore } from '../storage/object-store.js';
import { folderPrefix, isObjectUri, joinKey, parseObjectUri, withKey } from '../storage/uri.js';

export interface StateDir {
  /** As messages show it: an absolute folder or a URI. */
  readonly location: string;
  /** The local folder, when the state dir is one. */
  readonly local?: string;
  /** A local folder for caches and work files (inside the state dir when it is local). */
  readonly cacheDir: string;
  /** Where a relative key is, as messages show it. */
  where(rel: string): string;
  /** The text of an entry; undefined when there is none. */
  read(rel: string): Promise<string | undefined>;
  /** Writes an entry whole, replacing any (readers see the old text or the new). */
  write(rel: string, text: string): Promise<void>;
  /** Writes an entry only if there is none yet; false when another writer got there first. */
  create(rel: string, text: string): Promise<boolean>;
  /** Names directly under a folder (entries and sub-folders), none when it does not exist. */
  list(relDir: string): Promise<string[]>;
  remove(rel: string): Promise<void>;
  /** Removes a folder and everything under it. */
  removeTree(relDir: string): Promise<void>;
}

/** The state dir at `location` (a folder, relative to the working folder, or a URI). */
export function stateDirAt(location: string | StateDir): StateDir {
  if (typeof location !== 'string') return location;
  return isObjectUri(location) ? new ObjectStateDir(location) : new LocalStateDir(path.resolve(location));
}

/** Same as `stateDirAt`, but a URI's store is reached now: a wrong bucket or credential fails here. */
export async function openStateDir(location: string | StateDir): Promise<StateDir> {
  const state = stateDirAt(location);
  if (state instanceof ObjectStateDir) await state.probe();
  return state;
}

export class LocalStateDir implements StateDir {
  readonly cacheDir: string;

  constructor(readonly local: string) {
    this.cacheDir = path.join(local, 'cache');
  }

  get location(): string {
    return this.local;
  }

  where(rel: string): string {
    return path.join(this.local, rel);
  }

  async read(rel: string): Promise<string | undefined> {
    try {
      return await readFile(this.where(rel), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async write(rel: string, text: string): Promise<void> {
    // A few KB (a log entry) synchronously: the thread pool trips cost more than the write.
    if (text.length < 65_536) writeFileAtomicSync(this.where(rel), text);
    else await writeFileAtomic(this.where(rel), text);
  }

  async create(rel: string, text: string): Promise<boolean> {
    const file = this.where(rel);
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = tempPathFor(file);
    await writeFile(tmp, text);
    try {
      // A hard link appears whole and fails if the name is taken: create-only in one step.
      await link(tmp, file);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    } finally {
      await rm(tmp, { force: true });
    }
  }

  async list(relDir: string): Promise<string[]> {
    try {
      return await readdir(this.where(relDir));
    } catch {
      return [];
    }
  }

  async remove(rel: string): Promise<void> {
    await rm(this.where(rel), { force: true });
  }

  async removeTree(relDir: string): Promise<void> {
    await rm(this.where(relDir), { recursive: true, force: true });
  }
}

export class ObjectStateDir implements StateDir {
  readonly cacheDir: string;
  readonly #prefix: string;
  #store?: Promise<ObjectStore>;
  #probed?: Promise<void>;

  constructor(readonly location: string) {
    const uri = parseObjectUri(location);
    this.#prefix = folderPrefix(uri.key);
    this.cacheDir = remoteStateCacheDir(location);
  }

  get local(): undefined {
    return undefined;
  }

  /** The store's client (one per process and bucket). */
  store(): Promise<ObjectStore> {
    this.#store ??= openStore(parseObjectUri(this.location));
    return this.#store;
  }

  /** The object key of a relative key. */
  key(rel: string): string {
    return joinKey(this.#prefix, rel);
  }

  where(rel: string): string {
    return withKey(this.location, this.key(rel));
  }

  /** Lists the first page under the prefix, once: a missing bucket or a denied credential fails here. */
  probe(): Promise<void> {
    this.#probed ??= (async () => {
      for await (const _ of (await this.store()).list(this.#prefix)) break;
    })();
    this.#probed.catch(() => {
      this.#probed = undefined;
    });
    return this.#probed;
  }

  async read(rel: string): Promise<string | undefined> {
    return (await (await this.store()).getBytes(this.key(rel)))?.body.toString('utf8');
  }

  async write(rel: string, text: string): Promise<void> {
    await (await this.store()).putBytes(this.key(rel), text);
  }

  async create(rel: string, text: string): Promise<boolean> {
    try {
      await (await this.store()).putBytes(this.key(rel), text, { ifNoneMatch: '*' });
      return true;
    } catch (err) {
      if (isPrecondition(err)) return false;
      throw err;
    }
  }

  async list(relDir: string): Promise<string[]> {
    const prefix = folderPrefix(this.key(relDir));
    const names = new Set<string>();
    for await (const o of (await this.store()).list(prefix)) {
      const name = o.key.slice(prefix.length).split('/')[0];
      if (name) names.add(name);
    }
    return [...names];
  }

  async remove(rel: string): Promise<void> {
    await (await this.store()).delete(this.key(rel));
  }

  async removeTree(relDir: string): Promise<void> {
    const store = await this.store();
    const keys: string[] = [];
    for await (const o of store.list(folderPrefix(this.key(relDir)))) keys.push(o.key);
    for (const k of keys) await store.delete(k);
  }
}
