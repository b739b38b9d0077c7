/**
 * The stream's write-ahead logs, as Spark Structured Streaming keeps them: before a micro-batch
 * runs, `offsets/<id>.json` records exactly what it reads; after its sinks have committed,
 * `commits/<id>.json` records the sources' state after it. On restart, a batch with offsets but no
 * commit is replayed with the same input. Entries are written atomically (temporary file, then
 * rename), which is what a killed process needs; they are not fsynced per batch (that cost ~6 ms a
 * batch, over 10%), so after a machine crash the newest batches may be planned or replayed again.
 * An entry that cannot be read is reported and ignored, never trusted (the batch is planned or
 * replayed again, which the idempotent sinks make safe).
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomicSync } from '../shared/atomic-write.js';
import type { BatchInput } from '../steps/batch-input.js';
import type { StreamMode } from './sources/source.js';

export interface SourceOffset {
  mode: StreamMode;
  /** What this batch takes from the source (files, a watermark range, a tick, events). */
  offset: unknown;
  /** How the step reads it; absent: the step reads its source as usual. */
  input?: BatchInput;
  /** The source's state once this batch commits. */
  nextState: unknown;
  /** When the input became available (ms since epoch), for lag. */
  availableAt?: number;
}

export interface OffsetsEntry {
  version: 1;
  batchId: number;
  plannedAt: string;
  sources: Record<string, SourceOffset>;
}

export interface CommitEntry {
  version: 1;
  batchId: number;
  committedAt: string;
  runId: string;
  rowsIn: number;
  rowsOut: number;
  durationMs: number;
  /** Every source's state after this batch. */
  state: Record<string, unknown>;
}

export interface Recovered {
  /** The last batch that committed. */
  commit?: CommitEntry;
  /** A batch planned after it but not committed: replay it. */
  pending?: OffsetsEntry;
}

const NAME = /^(\d{10})\.json$/;

export class BatchLog {
  readonly offsetsDir: string;
  readonly commitsDir: string;

  constructor(readonly dir: string, private readonly warn: (message: string) => void = () => undefined) {
    this.offsetsDir = path.join(dir, 'offsets');
    this.commitsDir = path.join(dir, 'commits');
  }

  static fileName(batchId: number): string {
    return `${String(batchId).padStart(10, '0')}.json`;
  }

  async writeOffsets(entry: OffsetsEntry): Promise<void> {
    this.#write(this.offsetsDir, entry.batchId, JSON.stringify(entry));
  }

  async writeCommit(entry: CommitEntry): Promise<void> {
    this.#write(this.commitsDir, entry.batchId, JSON.stringify(entry));
  }

  /**
   * Synchronous on purpose: an entry is a few KB, and two trips through the thread pool for each of
   * open, write, close and rename cost more than the write (they were most of the logs' cost).
   */
  #write(dir: string, batchId: number, text: string): void {
    writeFileAtomicSync(path.join(dir, BatchLog.fileName(batchId)), text);
  }

  async recover(): Promise<Recovered> {
    let commit: CommitEntry | undefined;
    for (const id of (await ids(this.commitsDir)).reverse()) {
      commit = await this.#read<CommitEntry>(this.commitsDir, id, 'commit');
      if (commit) break;
    }
    const next = commit ? commit.batchId + 1 : 0;
    const pending = (await ids(this.offsetsDir)).includes(next) ? await this.#read<OffsetsEntry>(this.offsetsDir, next, 'offsets') : undefined;
    return { commit, pending };
  }

  /**
   * Drops log entries older than the newest `keep` batches (a restart needs only the last);
   * returns the run ids of the commits dropped, so their run records can go too.
   */
  async purge(keep: number): Promise<string[]> {
    const runIds: string[] = [];
    for (const dir of [this.offsetsDir, this.commitsDir]) {
      const all = await ids(dir);
      for (const id of all.slice(0, Math.max(0, all.length - keep))) {
        if (dir === this.commitsDir) {
          const c = await readFile(path.join(dir, BatchLog.fileName(id)), 'utf8').then((t) => JSON.parse(t) as CommitEntry, () => undefined);
          if (c?.runId) runIds.push(c.runId);
        }
        await rm(path.join(dir, BatchLog.fileName(id)), { force: true });
      }
    }
    return runIds;
  }

  async #read<T extends { batchId: number; version: number }>(dir: string, id: number, what: string): Promise<T | undefined> {
    const file = path.join(dir, BatchLog.fileName(id));
    try {
      const entry = JSON.parse(await readFile(file, 'utf8')) as T;
      if (entry?.version !== 1 || entry.batchId !== id) throw new Error('not an entry of this batch');
      return entry;
    } catch (err) {
      this.warn(`ignoring unreadable ${what} log entry ${file} (${(err as Error).message}); batch ${id} will be ${what === 'commit' ? 'replayed' : 'planned again'}`);
      return undefined;
    }
  }
}

async function ids(dir: string): Promise<number[]> {
  try {
    return (await readdir(dir)).map((f) => NAME.exec(f)).filter((m): m is RegExpExecArray => !!m).map((m) => Number(m[1])).sort((a, b) => a - b);
  } catch {
    return [];
  }
}
