/**
 * Checkpoints under a state dir on an object store:
 *
 *   <state-uri>/checkpoints/<step>/<fingerprint>/manifest.json + <run>.<n>.parquet
 *
 * Datasets are written locally, uploaded under names of their own run, and only then is the
 * manifest written: a checkpoint is visible once whole, and one being replaced stays readable
 * until its manifest changes (files of the old one are removed after). A resumed run reads each
 * dataset through the ETag-keyed object cache, so one already fetched is not fetched again.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../errors.js';
import type { ObjectStateDir } from '../state/state-dir.js';
import { localCopies } from '../storage/read-cache.js';
import { folderPrefix, withKey } from '../storage/uri.js';
import { safe, type CheckpointDataset, type CheckpointEntry, type CheckpointStore, type CommittedOutput, type PendingCheckpoint } from './store.js';

/** A data file no manifest names, untouched this long, was left by a publish that never finished. */
const ORPHAN_AGE_MS = 60 * 60_000;

export class ObjectCheckpointStore implements CheckpointStore {
  readonly root: string;

  constructor(private readonly state: ObjectStateDir) {
    this.root = state.where('checkpoints');
  }

  #rel(step: string, fingerprint: string, file = ''): string {
    return `checkpoints/${safe(step)}/${fingerprint.slice(0, 32)}${file ? `/${file}` : ''}`;
  }

  async begin(step: string, fingerprint: string): Promise<PendingCheckpoint> {
    const work = path.join(this.state.cacheDir, 'pending-checkpoints');
    await mkdir(work, { recursive: true });
    const dir = await mkdtemp(path.join(work, `${safe(step)}-`));
    return {
      dir,
      publish: async (entry) => {
        const store = await this.state.store();
        const previous = (await this.#read(step, fingerprint)).entry;
        const datasets: CheckpointDataset[] = [];
        for (const d of entry.datasets) {
          const file = `${entry.runId}.${d.file}`;
          await store.upload(this.state.key(this.#rel(step, fingerprint, file)), path.join(dir, d.file));
          datasets.push({ ...d, file });
        }
        await this.#writeManifest({ ...entry, datasets });
        await rm(dir, { recursive: true, force: true });
        // The replaced checkpoint's files (the same step and fingerprint: the same data).
        const kept = new Set(datasets.map((d) => d.file));
        for (const d of previous?.datasets ?? []) {
          if (!kept.has(d.file)) await store.delete(this.state.key(this.#rel(step, fingerprint, d.file))).catch(() => undefined);
        }
        // The caller keeps this entry to mark it committed later: it must name the files as stored.
        entry.datasets = datasets;
      },
      discard: () => rm(dir, { recursive: true, force: true }),
    };
  }

  async find(step: string, fingerprint: string): Promise<{ entry?: CheckpointEntry; problem?: string }> {
    const { entry, problem } = await this.#read(step, fingerprint);
    if (!entry) return { problem };
    if (entry.fingerprint !== fingerprint || entry.step !== step) return { problem: `${this.state.where(this.#rel(step, fingerprint))} belongs to another step or fingerprint` };
    const store = await this.state.store();
    for (const d of entry.datasets) {
      const rel = this.#rel(step, fingerprint, d.file);
      const info = await store.head(this.state.key(rel)).catch((err: unknown) => errorMessage(err).split('\n')[0]);
      if (typeof info === 'string') return { problem: `${this.state.where(rel)} could not be looked at (${info})` };
      if (!info || info.size !== d.bytes) return { problem: `${this.state.where(rel)} is ${info ? `${info.size} bytes, expected ${d.bytes}` : 'missing'}` };
    }
    return { entry };
  }

  async fileOf(entry: CheckpointEntry, dataset: CheckpointDataset): Promise<string> {
    const rel = this.#rel(entry.step, entry.fingerprint, dataset.file);
    const [copy] = await localCopies({ uri: this.state.where(rel), store: await this.state.store(), key: this.state.key(rel) }, path.join(this.state.cacheDir, 'objects'));
    return copy.file;
  }

  async markCommitted(entry: CheckpointEntry, outputs: CommittedOutput[]): Promise<void> {
    await this.#writeManifest({ ...entry, committed: true, outputs });
  }

  async list(): Promise<CheckpointEntry[]> {
    const out: CheckpointEntry[] = [];
    for (const step of await this.state.list('checkpoints')) {
      for (const fp of await this.state.list(`checkpoints/${step}`)) {
        const text = await this.state.read(`checkpoints/${step}/${fp}/manifest.json`).catch(() => undefined);
        const entry = text === undefined ? undefined : parse(text);
        if (entry) out.push(entry);
      }
    }
    return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.step.localeCompare(b.step));
  }

  async remove(entry: CheckpointEntry): Promise<void> {
    await this.state.removeTree(this.#rel(entry.step, entry.fingerprint));
  }

  async removeLeftovers(): Promise<number> {
    await rm(path.join(this.state.cacheDir, 'pending-checkpoints'), { recursive: true, force: true });
    const store = await this.state.store();
    const now = Date.now();
    let n = 0;
    for (const step of await this.state.list('checkpoints')) {
      for (const fp of await this.state.list(`checkpoints/${step}`)) {
        const folder = `checkpoints/${step}/${fp}`;
        const text = await this.state.read(`${folder}/manifest.json`).catch(() => undefined);
        const named = new Set(['manifest.json', ...((text ? parse(text)?.datasets : undefined) ?? []).map((d) => d.file)]);
        const prefix = folderPrefix(this.state.key(folder));
        for await (const o of store.list(prefix)) {
          const name = o.key.slice(prefix.length);
          if (named.has(name) || now - (o.lastModified?.getTime() ?? now) < ORPHAN_AGE_MS) continue;
          await store.delete(o.key).catch(() => undefined);
          n++;
        }
      }
    }
    return n;
  }

  async #writeManifest(entry: CheckpointEntry): Promise<void> {
    await this.state.write(this.#rel(entry.step, entry.fingerprint, 'manifest.json'), `${JSON.stringify(entry, null, 2)}\n`);
  }

  async #read(step: string, fingerprint: string): Promise<{ entry?: CheckpointEntry; problem?: string }> {
    const rel = this.#rel(step, fingerprint, 'manifest.json');
    let text: string | undefined;
    try {
      text = await this.state.read(rel);
    } catch (err) {
      return { problem: `${this.state.where(rel)} could not be read (${errorMessage(err)})` };
    }
    // No manifest: no checkpoint (data files alone are a publish that never finished).
    if (text === undefined) return {};
    const entry = parse(text);
    return entry ? { entry } : { problem: `${withKey(this.state.location, this.state.key(rel))} is unreadable` };
  }
}

function parse(text: string): CheckpointEntry | undefined {
  try {
    const e = JSON.parse(text) as CheckpointEntry;
    return e.version === 1 && typeof e.step === 'string' && Array.isArray(e.datasets) ? e : undefined;
  } catch {
    return undefined;
  }
}
