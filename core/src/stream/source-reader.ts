/**
 * Reads a streaming step's whole source the way the step itself would (file, glob, URL, SQL on a
 * connection, API, function), into a planning database that lives as long as the stream. The
 * incremental and interval modes snapshot what is new from it. Connections the step depends on
 * are opened once and kept.
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
  #runner?: DuckDBStepRunner;
  #tmpDir?: string;
  readonly #opened = new Set<string>();

  constructor(pipeline: Pipeline) {
    this.#pipeline = pipeline;
  }

  /**
   * Reads step `name`'s source and hands `use` a session where it is the table returned; the
   * table is dropped afterwards.
   */
  async read<T>(name: string, use: (session: Session, table: string) => Promise<T>): Promise<T> {
    const { engine, runner } = await this.#open();
    const plan = createPlan(this.#pipeline, { only: [`+${name}`] });
    const signal = new AbortController().signal;
    for (const planned of plan.steps) {
      const isConnect = planned.step.layer === 'connect';
      if (isConnect && this.#opened.has(planned.step.name)) continue;
      await runner.run(planned, 1, signal);
      if (isConnect) this.#opened.add(planned.step.name);
    }
    const step = plan.steps.find((p) => p.step.name === name)!.step;
    const table = datasetTable(onlyOutput(step).key);
    const session = await engine.session();
    try {
      return await use(session, table);
    } catch (err) {
      throw err instanceof StepError ? err : new StepError(name, (err as Error).message, { cause: err });
    } finally {
      await session.run(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
      session.close();
    }
  }

  async #open(): Promise<{ engine: DuckDBEngine; runner: DuckDBStepRunner }> {
    if (!this.#engine) {
      this.#tmpDir = await mkdtemp(path.join(os.tmpdir(), 'odibi-stream-'));
      this.#engine = await DuckDBEngine.create({ baseDir: this.#pipeline.baseDir, threads: 1 });
      this.#runner = new DuckDBStepRunner({ pipeline: this.#pipeline, engine: this.#engine, runId: 'stream-planning', tmpDir: this.#tmpDir, log: () => undefined });
    }
    return { engine: this.#engine, runner: this.#runner! };
  }

  async close(): Promise<void> {
    await this.#runner?.close();
    this.#engine?.close();
    if (this.#tmpDir) await rm(this.#tmpDir, { recursive: true, force: true });
  }
}
