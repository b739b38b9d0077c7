/**
 * The stream's write-ahead logs, as Spark Structured Streaming keeps them: before a micro-batch
 * runs, `offsets/<id>.json` records exactly what it reads; after its sinks have committed,
 * `commits/<id>.json` records the sources' state after it. On restart, a batch with offsets but no
 * commit is replayed with the same input. Entries are written whole (locally a temporary file,
 * then a rename, which is what a killed process needs; not fsynced per batch, which cost ~6 ms a
 * batch, over 10%, so after a machine crash the newest batches may be planned or replayed again).
 * On an object store, each entry is created only if it does not exist yet (If-None-Match), so two
 * writers that got past the lock cannot both plan or commit one batch. An entry that cannot be
 * read is reported and ignored, never trusted (the batch is planned or replayed again, which the
 * idempotent sinks make safe).
 */
import { StreamError } from '../errors.js';
import type { StateDir } from '../state/state-dir.js';
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
  /** The local work folder the sources' paths are in (a restart elsewhere relocates them). */
  workDir?: string;
}

export interface CommitEntry {
  version: 1;
  batchId: number;
  committedAt: string;
  runId: string;
  /** As in OffsetsEntry. */
  workDir?: string;
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
  readonly #offsets: string;
  readonly #commits: string;

  /** The logs of the stream whose folder in `state` is `rel` (`streams/<name>`). */
  constructor(private readonly state: StateDir, rel: string, private readonly warn: (message: string) => void = () => undefined) {
    this.#offsets = `${rel}/offsets`;
    this.#commits = `${rel}/commits`;
    this.offsetsDir = state.where(this.#offsets);
    this.commitsDir = state.where(this.#commits);
  }

  static fileName(batchId: number): string {
    return `${String(batchId).padStart(10, '0')}.json`;
  }

  async writeOffsets(entry: OffsetsEntry): Promise<void> {
    await this.#write(this.#offsets, entry.batchId, JSON.stringify(entry), 'planned');
  }

  async writeCommit(entry: CommitEntry): Promise<void> {
    await this.#write(this.#commits, entry.batchId, JSON.stringify(entry), 'committed');
  }

  async #write(dir: string, batchId: number, text: string, what: string): Promise<void> {
    const rel = `${dir}/${BatchLog.fileName(batchId)}`;
    // A local state dir has one writer (the lock file); a store is reached from many machines.
    if (this.state.local !== undefined) return this.state.write(rel, text);
    if (await this.state.create(rel, text)) return;
    // Taken: by another writer, or an entry that could not be read and is being written again.
    const existing = await this.state.read(rel).catch(() => undefined);
    // Our own entry: a create whose answer was lost and that the client retried.
    if (existing === text) return;
    if (existing !== undefined && parses(existing, batchId)) {
      throw new StreamError(`batch ${batchId} was already ${what} by another process (${this.state.where(rel)})`, {
        hint: 'two processes run this stream with one state dir: stop the other one; this one stops without committing anything',
      });
    }
    await this.state.write(rel, text);
  }

  async recover(): Promise<Recovered> {
    let commit: CommitEntry | undefined;
    for (const id of (await this.#ids(this.#commits)).reverse()) {
      commit = await this.#read<CommitEntry>(this.#commits, id, 'commit');
      if (commit) break;
    }
    const next = commit ? commit.batchId + 1 : 0;
    const pending = (await this.#ids(this.#offsets)).includes(next) ? await this.#read<OffsetsEntry>(this.#offsets, next, 'offsets') : undefined;
    return { commit, pending };
  }

  /**
   * Drops log entries older than the newest `keep` batches (a restart needs only the last);
   * returns the run ids of the commits dropped, so their run records can go too.
   */
  async purge(keep: number): Promise<string[]> {
    const runIds: string[] = [];
    for (const dir of [this.#offsets, this.#commits]) {
      const all = await this.#ids(dir);
      for (const id of all.slice(0, Math.max(0, all.length - keep))) {
        const rel = `${dir}/${BatchLog.fileName(id)}`;
        if (dir === this.#commits) {
          const c = await this.state.read(rel).then((t) => (t === undefined ? undefined : JSON.parse(t) as CommitEntry), () => undefined);
          if (c?.runId) runIds.push(c.runId);
        }
        await this.state.remove(rel);
      }
    }
    return runIds;
  }

  async #read<T extends { batchId: number; version: number }>(dir: string, id: number, what: string): Promise<T | undefined> {
    const rel = `${dir}/${BatchLog.fileName(id)}`;
    // A store that does not answer fails the recovery: falling back a batch would replay a committed one.
    const text = this.state.local !== undefined ? await this.state.read(rel).catch(() => undefined) : await this.state.read(rel);
    try {
      if (text === undefined) throw new Error('gone');
      const entry = JSON.parse(text) as T;
      if (entry?.version !== 1 || entry.batchId !== id) throw new Error('not an entry of this batch');
      return entry;
    } catch (err) {
      this.warn(`ignoring unreadable ${what} log entry ${this.state.where(rel)} (${(err as Error).message}); batch ${id} will be ${what === 'commit' ? 'replayed' : 'planned again'}`);
      return undefined;
    }
  }

  async #ids(dir: string): Promise<number[]> {
    return (await this.state.list(dir)).map((f) => NAME.exec(f)).filter((m): m is RegExpExecArray => !!m).map((m) => Number(m[1])).sort((a, b) => a - b);
  }
}

function parses(text: string, batchId: number): boolean {
  try {
    const e = JSON.parse(text) as { version?: number; batchId?: number };
    return e?.version === 1 && e.batchId === batchId;
  } catch {
    return false;
  }
}
