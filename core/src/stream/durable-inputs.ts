/**
 * Snapshot-based sources keep files in the stream's local work folder: each batch's input (the
 * rows an incremental or interval source took, the events a batch drained) and what their state
 * names (an incremental source's seen-row hashes, the last input as the shape of an empty batch).
 * When the state dir is on an object store, the logs that name these files are there too, and the
 * stream may go on from another machine. So every work file a batch's offsets name goes up beside
 * the logs before the offsets entry is written, comes back down when a restart needs it and does
 * not find it, and is removed from the store once no committed state names it.
 *
 * Log entries record the work folder they were written with; a restart with another one (another
 * machine, another cache folder) relocates the paths they hold.
 */
import path from 'node:path';
import { produceAtomic } from '../shared/atomic-write.js';
import { ObjectStateDir, type StateDir } from '../state/state-dir.js';
import { folderPrefix } from '../storage/uri.js';

interface WorkFile {
  file: string;
  /** Its key relative to the state dir. */
  rel: string;
}

/** Every absolute path inside `workDir` found among the strings of `values`. */
function workFiles(rel: string, workDir: string, ...values: unknown[]): WorkFile[] {
  const found = new Map<string, WorkFile>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      if (v.startsWith(workDir + path.sep)) found.set(v, { file: v, rel: `${rel}/${path.relative(workDir, v).split(path.sep).join('/')}` });
    } else if (Array.isArray(v)) {
      v.forEach(walk);
    } else if (v && typeof v === 'object') {
      Object.values(v).forEach(walk);
    }
  };
  values.forEach(walk);
  return [...found.values()];
}

/** Uploads the work files `values` name (a batch's offsets) before its offsets entry is written. */
export async function persistWorkFiles(state: StateDir, rel: string, workDir: string, ...values: unknown[]): Promise<void> {
  if (!(state instanceof ObjectStateDir)) return;
  const store = await state.store();
  for (const f of workFiles(rel, workDir, ...values)) await store.upload(state.key(f.rel), f.file);
}

/**
 * Downloads the work files `values` name (the committed state, a batch to replay), replacing any
 * local file of the same name: one left here by a batch this machine planned but never logged
 * would be another batch's input. Returns the keys of files named but not on the store.
 */
export async function restoreWorkFiles(state: StateDir, rel: string, workDir: string, ...values: unknown[]): Promise<string[]> {
  if (!(state instanceof ObjectStateDir)) return [];
  const store = await state.store();
  const missing: string[] = [];
  for (const f of workFiles(rel, workDir, ...values)) {
    if (!(await store.head(state.key(f.rel)))) {
      missing.push(state.where(f.rel));
      continue;
    }
    await produceAtomic(f.file, async (tmp) => {
      await store.download(state.key(f.rel), tmp);
    });
  }
  return missing;
}

/** Removes work files on the store that `values` (what a restart recovered) do not name: left by a crash after a commit. */
export async function sweepWorkFiles(state: StateDir, rel: string, workDir: string, ...values: unknown[]): Promise<number> {
  if (!(state instanceof ObjectStateDir)) return 0;
  const store = await state.store();
  const kept = new Set(workFiles(rel, workDir, ...values).map((f) => state.key(f.rel)));
  let n = 0;
  for await (const o of store.list(folderPrefix(state.key(`${rel}/sources`)))) {
    if (kept.has(o.key)) continue;
    await store.delete(o.key).catch(() => undefined);
    n++;
  }
  return n;
}

/** Removes from the store the work files `before` names and `after` (the newly committed state) does not. */
export async function dropWorkFiles(state: StateDir, rel: string, workDir: string, before: unknown, after: unknown): Promise<void> {
  if (!(state instanceof ObjectStateDir)) return;
  const store = await state.store();
  const kept = new Set(workFiles(rel, workDir, after).map((f) => f.rel));
  for (const f of workFiles(rel, workDir, before)) if (!kept.has(f.rel)) await store.delete(state.key(f.rel)).catch(() => undefined);
}

/** `value` with paths under `from` moved under `to` (a log entry written with another work folder). */
export function relocate<T>(value: T, from: string | undefined, to: string): T {
  if (!from || from === to || value === undefined) return value;
  const move = (v: unknown): unknown => {
    if (typeof v === 'string') return v === from || v.startsWith(from + path.sep) ? to + v.slice(from.length) : v;
    if (Array.isArray(v)) return v.map(move);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, move(x)]));
    return v;
  };
  return move(value) as T;
}
