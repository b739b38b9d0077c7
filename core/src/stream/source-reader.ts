/**
 * Reads a streaming step's whole source the way the step itself would (file, glob, URL, SQL on a
 * connection, API, function), into a planning database that lives as long as the stream. The
 * incremental and interval modes snapshot what is new from it. The connections the step depends
 * on are opened for each read and closed after it: a DuckDB file stays free for its writers
 * between polls, and a SQLite file (read whole by sql.js) is read again, growth included.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Pipeline } from '../config/model.js';
import { DuckDBEngine, datasetTable, type Session } from '../engine/duckdb-engine.js';
import { StepError } from '../errors.js';
import { createPlan } from '../graph/plan.js';
import { DuckDBStepRunner } from '../steps/duckdb-runner.js';
import { onlyOutput } from '../steps/context.js';

export class SourceReader {
  readonly #pipeline: Pipeline;
  #engine?: DuckDBEngine;
  #tmpDir?: string;

  constructor(pipeline: Pipeline) {
    this.#pipeline = pipeline;
  }

  /**
   * Reads step `name`'s source and hands `use` a session where it is the table returned; the
   * table is dropped afterwards.
   */
  async read<T>(name: string, use: (session: Session, table: string) => Promise<T>): Promise<T> {
    const engine = await this.#open();
    const runner = new DuckDBStepRunner({ pipeline: this.#pipeline, engine, runId: 'stream-planning', tmpDir: this.#tmpDir!, log: () => undefined });
    const plan = createPlan(this.#pipeline, { only: [`+${name}`] });
    const step = plan.steps.find((p) => p.step.name === name)!.step;
    const table = datasetTable(onlyOutput(step).key);
    const signal = new AbortController().signal;
    try {
      for (const planned of plan.steps) await runner.run(planned, 1, signal);
      const session = await engine.session();
      try {
        return await use(session, table);
      } catch (err) {
        throw err instanceof StepError ? err : new StepError(name, (err as Error).message, { cause: err });
      } finally {
        await session.run(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
        session.close();
      }
    } finally {
      await runner.close();
    }
  }

  /** A session on the planning database, for work that reads files directly. */
  async withSession<T>(use: (session: Session) => Promise<T>): Promise<T> {
    const session = await (await this.#open()).session();
    try {
      return await use(session);
    } finally {
      session.close();
    }
  }

  async #open(): Promise<DuckDBEngine> {
    if (!this.#engine) {
      this.#tmpDir = await mkdtemp(path.join(os.tmpdir(), 'odibi-stream-'));
      this.#engine = await DuckDBEngine.create({ baseDir: this.#pipeline.baseDir, threads: 1 });
    }
    return this.#engine;
  }

  async close(): Promise<void> {
    this.#engine?.close();
    if (this.#tmpDir) await rm(this.#tmpDir, { recursive: true, force: true });
  }
}
