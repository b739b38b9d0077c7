/**
 * A batch's snapshot inputs (the rows an incremental or interval source took, the events a batch
 * drained) are written in the stream's local work folder before its offsets are logged. When the
 * state dir is on an object store, the offsets entry is there too, and the batch may be replayed
 * from another machine: so its snapshot files go up beside the log before the entry is written,
 * come back down for a replay that does not find them, and are removed once the batch commits.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { produceAtomic } from '../shared/atomic-write.js';
import { ObjectStateDir, type StateDir } from '../state/state-dir.js';
import type { OffsetsEntry } from './batch-log.js';

/** Snapshot files of the batch inside the work folder, each with its key relative to the state dir. */
function snapshots(rel: string, workDir: string, entry: OffsetsEntry): { file: string; rel: string }[] {
  const out: { file: string; rel: string }[] = [];
  for (const so of Object.values(entry.sources)) {
    for (const file of so.input?.files ?? []) {
      const inside = path.relative(workDir, file);
      if (inside.startsWith('..') || path.isAbsolute(inside)) continue;
      out.push({ file, rel: `${rel}/${inside.split(path.sep).join('/')}` });
    }
  }
  return out;
}

export async function persistInputs(state: StateDir, rel: string, workDir: string, entry: OffsetsEntry): Promise<void> {
  if (!(state instanceof ObjectStateDir)) return;
  const store = await state.store();
  for (const s of snapshots(rel, workDir, entry)) await store.upload(state.key(s.rel), s.file);
}

export async function restoreInputs(state: StateDir, rel: string, workDir: string, entry: OffsetsEntry): Promise<void> {
  if (!(state instanceof ObjectStateDir)) return;
  const store = await state.store();
  for (const s of snapshots(rel, workDir, entry)) {
    if (await stat(s.file).then(() => true, () => false)) continue;
    await produceAtomic(s.file, async (tmp) => {
      await store.download(state.key(s.rel), tmp);
    });
  }
}

export async function dropInputs(state: StateDir, rel: string, workDir: string, entry: OffsetsEntry): Promise<void> {
  if (!(state instanceof ObjectStateDir)) return;
  const store = await state.store();
  for (const s of snapshots(rel, workDir, entry)) await store.delete(state.key(s.rel)).catch(() => undefined);
}
