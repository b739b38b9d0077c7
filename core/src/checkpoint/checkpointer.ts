/**
 * Node-level checkpoints for one run. With `write`, each successful step's output datasets are
 * saved as Parquet under the step's fingerprint; with `resume`, a step whose fingerprint has a
 * sound checkpoint is restored from it instead of run. Sinks (store, publish) have no datasets:
 * theirs records that the run committed their writes, and only such a sink is skipped on resume.
 * Connect steps always run. A checkpoint that fails to restore is reported and the step runs.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { StepConfig } from '../config/model.js';
import { datasetTable, type Session } from '../engine/duckdb-engine.js';
import { errorMessage } from '../errors.js';
import type { DatasetInfo } from '../exec/events.js';
import { str } from '../engine/sql.js';
import { changedOutput, type OutputProbe } from './committed-output.js';
import type { CheckpointEntry, CheckpointStore, CommittedOutput } from './store.js';
import type { StepCache } from '../steps/step-cache.js';

export interface CheckpointerOptions {
  store: CheckpointStore;
  fingerprints: ReadonlyMap<string, string>;
  pipeline: string;
  runId: string;
  write: boolean;
  resume: boolean;
  warn: (step: string, message: string) => void;
  /** How a committed sink's outputs are looked at (files, objects). */
  probe: OutputProbe;
}

export class Checkpointer implements StepCache {
  readonly #o: CheckpointerOptions;
  readonly #saved = new Map<string, CheckpointEntry>();

  constructor(options: CheckpointerOptions) {
    this.#o = options;
  }

  /** On resume, restores the step's outputs from its checkpoint if it has a sound one: the run it came from. */
  async restore(step: StepConfig, session: Session): Promise<string | undefined> {
    const entry = await this.#usable(step);
    return entry && (await this.#load(step, session, entry)) ? entry.runId : undefined;
  }

  /** The checkpoint a resumed run may use for this step instead of running it. */
  usable(step: StepConfig): Promise<CheckpointEntry | undefined> {
    return this.#usable(step);
  }

  /** A local file holding one of a checkpoint's datasets. */
  fileOf(entry: CheckpointEntry, dataset: CheckpointEntry['datasets'][number]): Promise<string> {
    return this.#o.store.fileOf(entry, dataset);
  }

  async #usable(step: StepConfig): Promise<CheckpointEntry | undefined> {
    if (!this.#o.resume || step.layer === 'connect') return undefined;
    const fp = this.#o.fingerprints.get(step.name);
    if (!fp) return undefined;
    const { entry, problem } = await this.#o.store.find(step.name, fp);
    if (problem) this.#o.warn(step.name, `ignoring its checkpoint: ${problem}; running the step instead`);
    if (!entry) return undefined;
    const sink = Object.keys(step.outputs).length === 0;
    if (!sink) return entry;
    if (!entry.committed) return undefined;
    // A committed sink is skipped only if what it wrote is still there as it was written.
    const changed = await changedOutput(step.name, entry.outputs ?? [], this.#o.probe);
    if (changed) {
      this.#o.warn(step.name, `${changed} since run ${entry.runId} wrote it; writing it again`);
      return undefined;
    }
    return entry;
  }

  /** Loads the checkpoint's datasets as the step's outputs; false (with a warning) if it cannot. */
  async #load(step: StepConfig, session: Session, entry: CheckpointEntry): Promise<boolean> {
    try {
      for (const d of entry.datasets) {
        const file = await this.#o.store.fileOf(entry, d);
        await session.run(`CREATE OR REPLACE TABLE ${datasetTable(d.key)} AS SELECT * FROM read_parquet(${str(file)})`);
        const n = await session.count(d.key);
        if (n !== d.rows) throw new Error(`${path.basename(file)} has ${n} rows, the manifest says ${d.rows}`);
      }
      return true;
    } catch (err) {
      this.#o.warn(step.name, `checkpoint from run ${entry.runId} is damaged (${errorMessage(err).split('\n')[0]}); running the step instead`);
      return false;
    }
  }

  /** Saves a successful step's outputs (nothing for a sink but the record that it ran). */
  async save(step: StepConfig, session: Session, outputs: readonly DatasetInfo[]): Promise<void> {
    if (!this.#o.write || step.layer === 'connect') return;
    const fp = this.#o.fingerprints.get(step.name);
    if (!fp) return;
    const pending = await this.#o.store.begin(step.name, fp);
    try {
      const datasets = [];
      for (const [i, out] of outputs.entries()) {
        const file = `${i}.parquet`;
        const target = path.join(pending.dir, file);
        const copied = await session.query(`COPY ${datasetTable(out.key)} TO ${str(target)} (FORMAT parquet)`);
        const { size } = await stat(target);
        // A run with checkpoints fuses nothing, so rows are known; COPY's own count covers a view anyway.
        datasets.push({ key: out.key, file, rows: out.rows ?? Number(Object.values(copied[0] ?? {})[0] ?? 0), bytes: size });
      }
      const entry: CheckpointEntry = {
        version: 1, pipeline: this.#o.pipeline, step: step.name, layer: step.layer, fingerprint: fp, runId: this.#o.runId,
        createdAt: new Date().toISOString(), datasets, committed: false,
      };
      await pending.publish(entry);
      this.#saved.set(step.name, entry);
    } catch (err) {
      await pending.discard();
      // A checkpoint that cannot be written costs a resume, not the run.
      this.#o.warn(step.name, `could not save its checkpoint: ${errorMessage(err)}`);
    }
  }

  /** The run committed these sinks' writes (`targets`: the files, or tables, each wrote). */
  async committed(sinks: ReadonlyArray<{ step: string; targets: readonly string[] }>): Promise<void> {
    for (const { step, targets } of sinks) {
      // Saved here, or by a worker of this run (the distributed executor).
      const fp = this.#o.fingerprints.get(step);
      const found = this.#saved.get(step) ?? (fp ? (await this.#o.store.find(step, fp).catch(() => ({ entry: undefined }))).entry : undefined);
      const entry = found?.runId === this.#o.runId ? found : undefined;
      if (!entry || entry.datasets.length !== 0) continue;
      // Files and objects are recorded as committed; a table on a connection cannot be looked at.
      const outputs: CommittedOutput[] = [];
      for (const t of targets) {
        const o = await this.#o.probe(step, t).catch(() => undefined);
        if (o) outputs.push(o);
      }
      await this.#o.store.markCommitted(entry, outputs).catch(() => undefined);
    }
  }
}
