/**
 * A StreamTest-style harness (after Spark's): a test adds data, starts the stream, lets it process
 * everything, crashes it at a chosen point of a batch, restarts it and checks the answer in the
 * sink, all on a manual clock. The stream is the real one (real DuckDB, real files); only time
 * and the crash are controlled.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { ManualClock } from '../shared/clock.js';
import type { StreamEvent } from '../stream/events.js';
import { startStream, type FaultPoint, type StreamHandle, type StreamOptions, type StreamSummary } from '../stream/stream.js';

export class SimulatedCrash extends Error {}

export class StreamTest {
  readonly clock = new ManualClock();
  readonly events: StreamEvent[] = [];
  #handle?: StreamHandle;
  #crashAt?: { point: FaultPoint; batchId?: number };
  #summary?: StreamSummary;

  private constructor(readonly dir: string, readonly config: string, readonly options: StreamOptions) {}

  static async create(steps: unknown[], options: StreamOptions = {}): Promise<StreamTest> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'odibi-streamtest-'));
    const config = path.join(dir, 'pipeline.json');
    await writeFile(config, JSON.stringify({ name: 'streamtest', steps }));
    return new StreamTest(dir, config, options);
  }

  /** Writes a file the way producers should: hidden name, then moved into place. */
  async addFile(rel: string, content: string): Promise<void> {
    const file = path.join(this.dir, rel);
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
    await writeFile(tmp, content);
    await rename(tmp, file);
  }

  async start(extra: StreamOptions = {}): Promise<StreamHandle> {
    this.#summary = undefined;
    this.#handle = await startStream(this.config, {
      triggerIntervalMs: 1000, ...this.options, ...extra, clock: this.clock,
      onEvent: (e) => {
        this.events.push(e);
        extra.onEvent?.(e);
      },
      faults: (point, batchId) => {
        const c = this.#crashAt;
        if (c && c.point === point && (c.batchId === undefined || c.batchId === batchId)) {
          this.#crashAt = undefined;
          throw new SimulatedCrash(`crash at ${point} of batch ${batchId}`);
        }
      },
    });
    void this.#handle.done.then((s) => (this.#summary = s));
    return this.#handle;
  }

  get handle(): StreamHandle {
    if (!this.#handle) throw new Error('start the stream first');
    return this.#handle;
  }

  /** Arms a crash: the stream dies at `point` of the next batch (or of batch `batchId`). */
  crashAt(point: FaultPoint, batchId?: number): void {
    this.#crashAt = { point, batchId };
  }

  /**
   * Lets the stream take everything available: moves the clock on by a trigger interval until a
   * poll finds nothing new. Resolves with the batches committed meanwhile; stops early if the
   * stream ended (a crash, or a failed batch).
   */
  async processAll(maxRounds = 50): Promise<number> {
    const before = this.committed().length;
    let last = -1;
    for (let round = 0; round < maxRounds; round++) {
      await this.#untilIdle();
      if (this.#summary) break;
      const now = this.committed().length;
      if (now === last) break;
      last = now;
      this.clock.advance(this.options.triggerIntervalMs ?? 1000);
    }
    return this.committed().length - before;
  }

  /** Advances the manual clock (interval triggers, --until-idle) and waits for the stream to settle. */
  async advance(ms: number): Promise<void> {
    this.clock.advance(ms);
    await this.#untilIdle();
  }

  /** Waits for the stream to end (after a crash, stop or failure). */
  async ended(): Promise<StreamSummary> {
    return this.handle.done;
  }

  async stop(): Promise<StreamSummary> {
    return this.handle.stop();
  }

  committed(): number[] {
    return this.events.filter((e) => e.type === 'batch_end' && e.status === 'success').map((e) => (e as { batchId: number }).batchId);
  }

  /** Rows of a DuckDB query over the test folder (e.g. `SELECT * FROM read_parquet('out/*.parquet')`). */
  async query(sql: string): Promise<Record<string, unknown>[]> {
    const inst = await DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    try {
      await conn.run(`SET file_search_path = '${this.dir.replace(/'/g, "''")}'`);
      const rows = (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
      return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
    } finally {
      conn.closeSync();
      inst.closeSync();
    }
  }

  async cleanup(): Promise<void> {
    if (this.#handle && !this.#summary) await this.#handle.stop();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** The loop is asleep on the clock (it found nothing new), or the stream has ended. */
  async #untilIdle(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.#summary) return;
      if (this.clock.waiting > 0 && this.#handle?.status().state === 'waiting') return;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`the stream did not settle within ${timeoutMs} ms (state ${this.#handle?.status().state})`);
  }
}
