/**
 * Where step checkpoints live. The interface is what a resumed run needs (find a checkpoint by
 * step and fingerprint, a local file to read each dataset from, publish a new one atomically);
 * `LocalCheckpointStore` keeps them in a local state dir, `ObjectCheckpointStore` under a state
 * dir on S3 or Azure:
 *
 *   <state-dir>/checkpoints/<step>/<fingerprint>/manifest.json + <n>.parquet
 *
 * A checkpoint is written into a hidden folder and renamed into place, so a visible one is always
 * whole. One that is damaged anyway (missing file, wrong size, unreadable manifest) is reported
 * and ignored, never trusted.
 */
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../shared/atomic-write.js';
import type { StateDir } from '../state/state-dir.js';

export interface CheckpointDataset {
  key: string;
  /** File name inside the checkpoint. */
  file: string;
  rows: number;
  bytes: number;
}

export interface CheckpointEntry {
  version: 1;
  pipeline: string;
  step: string;
  layer: string;
  fingerprint: string;
  runId: string;
  createdAt: string;
  datasets: CheckpointDataset[];
  /** A sink whose writes were committed by its run (a resumed run need not write them again). */
  committed: boolean;
  /** The files a committed sink wrote, as they were at commit: a resume checks they still are. */
  outputs?: CommittedOutput[];
}

export interface CommittedOutput {
  /** A local file or an object's URI. */
  path: string;
  size: number;
  /** A file's modification time. */
  mtimeMs?: number;
  /** An object's ETag. */
  etag?: string;
}

/** A checkpoint being written: files go into `dir`, then `publish` makes it visible. */
export interface PendingCheckpoint {
  dir: string;
  publish(entry: CheckpointEntry): Promise<void>;
  discard(): Promise<void>;
}

export interface CheckpointStore {
  /** Where they are, as messages show it (a folder or a URI). */
  readonly root: string;
  begin(step: string, fingerprint: string): Promise<PendingCheckpoint>;
  /** The checkpoint of this step with this fingerprint; `problem` says why one that exists is not sound. */
  find(step: string, fingerprint: string): Promise<{ entry?: CheckpointEntry; problem?: string }>;
  /** A local path to read one of its datasets from. */
  fileOf(entry: CheckpointEntry, dataset: CheckpointDataset): Promise<string>;
  markCommitted(entry: CheckpointEntry, outputs: CommittedOutput[]): Promise<void>;
  list(): Promise<CheckpointEntry[]>;
  remove(entry: CheckpointEntry): Promise<void>;
  /** Folders left by writes that never finished. */
  removeLeftovers(): Promise<number>;
}

export class LocalCheckpointStore implements CheckpointStore {
  readonly root: string;

  constructor(stateDir: string | StateDir) {
    this.root = path.join(typeof stateDir === 'string' ? stateDir : stateDir.local!, 'checkpoints');
  }

  #dir(step: string, fingerprint: string): string {
    return path.join(this.root, safe(step), fingerprint.slice(0, 32));
  }

  async begin(step: string, fingerprint: string): Promise<PendingCheckpoint> {
    const final = this.#dir(step, fingerprint);
    const dir = path.join(path.dirname(final), `.${path.basename(final)}.${process.pid}.${Date.now()}.tmp`);
    await mkdir(dir, { recursive: true });
    return {
      dir,
      publish: async (entry) => {
        await writeFileAtomic(path.join(dir, 'manifest.json'), `${JSON.stringify(entry, null, 2)}\n`);
        // A checkpoint of the same step and fingerprint is the same data: the new one replaces it.
        await rm(final, { recursive: true, force: true });
        await rename(dir, final);
      },
      discard: () => rm(dir, { recursive: true, force: true }),
    };
  }

  async find(step: string, fingerprint: string): Promise<{ entry?: CheckpointEntry; problem?: string }> {
    const dir = this.#dir(step, fingerprint);
    const { entry, problem } = await this.#read(dir);
    if (!entry) return { problem };
    if (entry.fingerprint !== fingerprint || entry.step !== step) return { problem: `${dir} belongs to another step or fingerprint` };
    for (const d of entry.datasets) {
      const s = await stat(path.join(dir, d.file)).catch(() => undefined);
      if (!s || s.size !== d.bytes) return { problem: `${path.join(dir, d.file)} is ${s ? `${s.size} bytes, expected ${d.bytes}` : 'missing'}` };
    }
    return { entry };
  }

  async fileOf(entry: CheckpointEntry, dataset: CheckpointDataset): Promise<string> {
    return path.join(this.#dir(entry.step, entry.fingerprint), dataset.file);
  }

  async markCommitted(entry: CheckpointEntry, outputs: CommittedOutput[]): Promise<void> {
    await writeFileAtomic(path.join(this.#dir(entry.step, entry.fingerprint), 'manifest.json'), `${JSON.stringify({ ...entry, committed: true, outputs }, null, 2)}\n`);
  }

  async list(): Promise<CheckpointEntry[]> {
    const out: CheckpointEntry[] = [];
    for (const step of await names(this.root)) {
      for (const fp of await names(path.join(this.root, step))) {
        if (fp.startsWith('.')) continue;
        const { entry } = await this.#read(path.join(this.root, step, fp));
        if (entry) out.push(entry);
      }
    }
    return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.step.localeCompare(b.step));
  }

  async remove(entry: CheckpointEntry): Promise<void> {
    await rm(this.#dir(entry.step, entry.fingerprint), { recursive: true, force: true });
  }

  async removeLeftovers(): Promise<number> {
    let n = 0;
    for (const step of await names(this.root)) {
      for (const fp of await names(path.join(this.root, step))) {
        if (!fp.startsWith('.') || !fp.endsWith('.tmp')) continue;
        await rm(path.join(this.root, step, fp), { recursive: true, force: true });
        n++;
      }
    }
    return n;
  }

  async #read(dir: string): Promise<{ entry?: CheckpointEntry; problem?: string }> {
    let text: string;
    try {
      text = await readFile(path.join(dir, 'manifest.json'), 'utf8');
    } catch (err) {
      // No folder: no checkpoint. A folder without its manifest is a damaged one.
      const exists = await stat(dir).then(() => true, () => false);
      return exists ? { problem: `${dir} has no readable manifest (${(err as NodeJS.ErrnoException).code})` } : {};
    }
    try {
      const e = JSON.parse(text) as CheckpointEntry;
      if (e.version !== 1 || typeof e.step !== 'string' || !Array.isArray(e.datasets)) throw new Error('not a checkpoint manifest');
      return { entry: e };
    } catch (err) {
      return { problem: `${path.join(dir, 'manifest.json')} is unreadable (${(err as Error).message})` };
    }
  }
}

export function safe(step: string): string {
  return step.replace(/[^\w.-]/g, '_');
}

async function names(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}
