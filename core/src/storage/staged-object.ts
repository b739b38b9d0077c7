/**
 * Atomic outputs on object stores. A step's file is written locally, then uploaded under a hidden
 * staging key beside its target (the same `.name.<run>.<pid space>.<pid>.<start>.<seq>.odibi-tmp`
 * names local staging uses, which no `*.parquet` glob matches). At commit a server-side copy puts
 * it at the target in one step (readers see the old object or the new one), and the staging object
 * is deleted; on rollback it is only deleted. A run killed before commit leaves the target as it
 * was and a staging object that the next run's sweep removes.
 */
import type { StagedAction, StagingOwner } from '../engine/staging.js';
import { isStaleStaging, stagingName } from '../engine/staging.js';
import type { ObjectLocation } from './locate.js';
import { folderPrefix, joinKey, splitKey, withKey } from './uri.js';

export async function uploadStaged(loc: ObjectLocation, localFile: string, runId: string, signal?: AbortSignal, owner?: StagingOwner): Promise<StagedAction> {
  const { dir, base } = splitKey(loc.key);
  const staging = joinKey(dir, stagingName(base, runId, owner));
  try {
    await loc.store.upload(staging, localFile, {}, signal);
  } catch (err) {
    // An upload cut off by a timeout may still land: nothing else would ever remove it.
    await loc.store.delete(staging).catch(() => undefined);
    throw err;
  }
  return stagedObjectAction(loc, staging);
}

/** The commit (a server-side copy) and rollback of an object staged at key `staging` beside `loc`. */
export function stagedObjectAction(loc: ObjectLocation, staging: string): StagedAction {
  return {
    target: loc.uri,
    handoff: { kind: 'object', uri: loc.uri, staging },
    commit: async () => {
      await loc.store.copy(staging, loc.key);
      await loc.store.delete(staging).catch(() => undefined);
    },
    rollback: () => loc.store.delete(staging),
    // The run's hourly heartbeat: a sweep from another machine judges staging objects by their date.
    touch: () => loc.store.touch(staging).catch(() => undefined),
  };
}

/**
 * Removes the staging objects that runs which are gone left in `folders` (keys of folders, each
 * with its store). Returns the URIs removed.
 */
export async function sweepStagedObjects(folders: Iterable<ObjectLocation>, now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  const seen = new Set<string>();
  for (const f of folders) {
    const prefix = folderPrefix(f.key);
    const id = `${f.store.id}/${prefix}`;
    if (seen.has(id)) continue;
    seen.add(id);
    try {
      // Only the folder's own entries: staging names start with a dot right after the prefix.
      for await (const o of f.store.list(`${prefix}.`)) {
        const name = o.key.slice(prefix.length);
        if (name.includes('/') || !isStaleStaging(name, o.lastModified?.getTime() ?? now, now)) continue;
        await f.store.delete(o.key);
        removed.push(withKey(f.uri, o.key));
      }
    } catch {
      // A folder that cannot be listed now is left for a later sweep; the others still are swept.
    }
  }
  return removed;
}
