/**
 * An interactive pipeline: steps defined one at a time (by notebook magics) run at once on a DuckDB
 * database that lives as long as the session, and are recorded so the whole pipeline can be run
 * from scratch or exported as a config. Re-defining a step for the same dataset key replaces it; a
 * definition that fails validation or execution records nothing and keeps the earlier one.
 */
import { stateDirAt } from '../state/state-dir.js';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Pipeline, RawStep, StepConfig } from '../config/model.js';
import { validatePipeline } from '../load/pipeline.js';
import { DuckDBEngine, datasetTable, type ColumnSchema } from '../engine/duckdb-engine.js';
import type { DatasetSchema } from './dataset-types.js';
import { StepError } from '../errors.js';
import type { DatasetInfo } from '../exec/events.js';
import { singleStepPlan } from '../graph/plan.js';
import { Redactor, substitute } from '../config/env.js';
import { EventBus } from '../exec/event-bus.js';
import type { Hook } from '../exec/events.js';
import { execute } from '../exec/executor.js';
import { newRunId } from '../shared/ids.js';
import { RunStore } from '../tracker/run-store.js';
import { Tracker } from '../tracker/tracker.js';
import { runPipeline, type RunOptions, type RunResult } from '../run.js';
import { DuckDBStepRunner } from '../steps/duckdb-runner.js';
import { exportConfig } from './export-config.js';
import { MagicUsageError, upsertStep } from './magic-steps.js';
import { withCheck } from './magic-check.js';
import type { CheckSpec } from '../config/checks.js';
import { runChecks, type CheckResult } from '../quality/run-checks.js';
import { suggest } from '../shared/suggest.js';
import type { StepFields } from './step-fields.js';
export type { StepFields };
import { readSqlStructure, type SqlStructure, type SqlSyntaxError } from '../sql/structure.js';

/** Rows a magic's preview shows (the kernel renders the first 20). */
const PREVIEW_ROWS = 20;


export interface DefineResult {
  step: StepConfig;
  /** What the step produced (ingest/transform), with rows, schema and a sample. */
  outputs: DatasetInfo[];
  /** Rows written (store/publish). */
  rowsOut: number;
  /** Whether an earlier definition was replaced. */
  replaced: boolean;
}

export interface NotebookSessionOptions {
  /** Folder that relative paths resolve against (the notebook's). */
  baseDir: string;
  /** Subscribers to the events of every step the session runs (step_log carries ctx.log). */
  hooks?: Hook[];
  /** Where each step's run record goes (default: `.odibi/` in baseDir, as for `%run`). */
  stateDir?: string;
  /** Keep no run records. */
  noState?: boolean;
}

export interface DefineOptions {
  /** Subscribers to this step's events only (a cell's own output, say). */
  hooks?: Hook[];
}

export class NotebookSession {
  readonly baseDir: string;
  readonly #engine: DuckDBEngine;
  readonly #runner: DuckDBStepRunner;
  readonly #tmpDir: string;
  /** Definitions in the order they were first made, keyed by step name. */
  readonly #steps = new Map<string, StepFields>();
  /** The validated pipeline of #steps, until they change. */
  #pipeline: Pipeline | undefined;
  /** Columns of each dataset defined so far, from the step that made it. */
  readonly #schemas = new Map<string, ColumnSchema[]>();
  #running: AbortController | undefined;
  /** The events of the step running now, if one is. */
  #bus: EventBus | undefined;
  readonly #hooks: readonly Hook[];
  readonly #store: RunStore | undefined;
  /** `${var:…}` values set in the notebook (%set): steps keep the reference, runs use the value. */
  readonly #vars = new Map<string, string>();

  private constructor(baseDir: string, engine: DuckDBEngine, tmpDir: string, options: NotebookSessionOptions) {
    this.baseDir = baseDir;
    this.#engine = engine;
    this.#tmpDir = tmpDir;
    this.#hooks = options.hooks ?? [];
    const state = stateDirAt(options.stateDir ?? path.join(baseDir, '.odibi'));
    this.#store = options.noState ? undefined : new RunStore(state);
    const pipeline: Pipeline = { name: 'notebook', file: path.join(baseDir, 'notebook.json'), baseDir, steps: [], secrets: [] };
    // 20 sample rows: the step's own measurement is the preview a magic shows, with no second query.
    // What a function step logs is a step_log event of the step running now.
    this.#runner = new DuckDBStepRunner({
      pipeline, engine, runId: 'notebook', tmpDir, sampleRows: PREVIEW_ROWS, objectCacheDir: path.join(state.cacheDir, 'objects'),
      log: (step, message) => this.#bus?.emit({ type: 'step_log', step, message }),
      onCheck: (step, check) => this.#bus?.emit({ type: 'step_check', step, check }),
    });
  }

  static async create(options: NotebookSessionOptions): Promise<NotebookSession> {
    const baseDir = path.resolve(options.baseDir);
    const tmpDir = await mkdtemp(path.join(os.tmpdir(), 'odibi-notebook-'));
    const engine = await DuckDBEngine.create({ baseDir });
    return new NotebookSession(baseDir, engine, tmpDir, options);
  }

  /** Each dataset's columns, in definition order (for the kernel's declared row types). */
  datasetSchemas(): DatasetSchema[] {
    return this.keys().map((key) => ({ key, schema: this.#schemas.get(key) ?? [] }));
  }

  /** Dataset keys defined so far, in definition order. */
  keys(): string[] {
    return this.pipeline().steps.flatMap((s) => Object.values(s.outputs));
  }

  /** The recorded steps as a validated pipeline. */
  pipeline(): Pipeline {
    if (this.#steps.size === 0) return { name: 'notebook', file: path.join(this.baseDir, 'notebook.json'), baseDir: this.baseDir, steps: [], secrets: [] };
    // Every magic asks for the known keys: validating every step again each time grew with the notebook.
    this.#pipeline ??= this.#validate([...this.#steps.values()]).pipeline;
    return this.#pipeline;
  }

  #validate(fields: StepFields[]) {
    const raw: RawStep[] = fields.map((f) => ({ fields: f, origin: { file: 'notebook', row: `step '${f.name}'` } }));
    return validatePipeline({ name: 'notebook', file: path.join(this.baseDir, 'notebook.json'), steps: raw }, { vars: this.vars(), profile: 'notebook' });
  }

  /** Sets `${var:name}` for the steps defined from now on and for runs; defined steps keep the reference. */
  setVar(name: string, value: string): void {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new MagicUsageError(`'${name}' is not a variable name`, 'a name is letters, digits and _, e.g. %set data_root data/sample');
    this.#vars.set(name, value);
    // Every step is validated again with the new value when the pipeline is next asked for.
    this.#pipeline = undefined;
  }

  /** The notebook's variables. */
  vars(): Record<string, string> {
    return Object.fromEntries(this.#vars);
  }

  /**
   * Validates the step against the others, runs it now on the session's database and records it.
   * A step writing a dataset key that an earlier step wrote replaces that step.
   */
  async define(fields: StepFields, options: DefineOptions = {}): Promise<DefineResult> {
    const { next, replaced } = upsertStep(this.#steps, fields);
    const { pipeline } = this.#validate([...next.values()]);
    const step = pipeline.steps.find((s) => s.name === fields.name)!;
    // A run of one step, like any run: the executor's events (retries, timeouts, a commit at its
    // end, so a sink's file is written whole or not at all) and a record in the state dir.
    const plan = singleStepPlan(pipeline, step);
    const runId = newRunId();
    const bus = new EventBus(runId, { redactor: new Redactor(pipeline.secrets) });
    const tracker = new Tracker(plan, runId, { store: this.#store, runOptions: { notebook: true } });
    tracker.attach(bus);
    for (const hook of [...this.#hooks, ...(options.hooks ?? [])]) bus.on(hook);
    this.#running = new AbortController();
    this.#bus = bus;
    try {
      const summary = await execute(plan, this.#runner, bus, { workers: 1, signal: this.#running.signal });
      await tracker.saved();
      if (summary.status !== 'success') {
        const info = summary.commitError ?? tracker.record.steps[step.name]?.error;
        throw summary.errors.get(step.name) ?? new StepError(step.name, info?.message ?? 'failed', { hint: info?.hint });
      }
      const result = summary.results.get(step.name)!;
      this.#steps.clear();
      for (const [k, v] of next) this.#steps.set(k, v);
      this.#pipeline = pipeline;
      for (const out of result.outputs) this.#schemas.set(out.key, out.schema);
      // A notebook step runs on its own, never fused: its output is always a counted table.
      return { step, outputs: result.outputs, rowsOut: result.rowsOut ?? 0, replaced };
    } finally {
      this.#running = undefined;
      this.#bus = undefined;
    }
  }

  /**
   * Adds a data check to the step that makes dataset `key` (replacing one of the same name) and
   * runs it now on the dataset as it is. The check is kept whether it passes or not: `%run` and
   * the exported config run it with the step from then on.
   */
  async addCheck(key: string, check: CheckSpec): Promise<CheckResult> {
    const producer = [...this.#steps.values()].find((f) => Object.values((f.outputs ?? {}) as Record<string, string>).includes(key));
    if (!producer) {
      const known = this.keys();
      throw new MagicUsageError('check', `no step makes dataset '${key}'`, known.length ? suggest(key, known, `defined datasets: ${known.join(', ')}`) : 'define it first, e.g. %ingest readings data/readings.csv');
    }
    const next = new Map(this.#steps);
    next.set(producer.name, withCheck(producer, check));
    const { pipeline } = this.#validate([...next.values()]);
    const session = await this.#engine.session();
    let result: CheckResult;
    try {
      [result] = await runChecks(session, key, [check]);
    } finally {
      session.close();
    }
    this.#steps.clear();
    for (const [k, v] of next) this.#steps.set(k, v);
    this.#pipeline = pipeline;
    return result;
  }

  /** What a SQL statement reads, by DuckDB's own parser (see sql/structure.ts). */
  async parseSql(sql: string): Promise<SqlStructure | SqlSyntaxError> {
    const session = await this.#engine.session();
    try {
      // The SQL as it will run: ${var:…} is a value, not SQL DuckDB could parse.
      return await readSqlStructure((q) => session.query(q), substitute(sql, { vars: this.vars() }).value);
    } finally {
      session.close();
    }
  }

  /**
   * Rows of a dataset (all, or the first `limit`) as JS objects, with the values DuckDB gives
   * JavaScript (BIGINT → bigint, TIMESTAMP and DATE → Date…): what the declared row types say.
   */
  async rows(key: string, limit?: number): Promise<Record<string, unknown>[]> {
    this.#assertKey(key);
    const session = await this.#engine.session();
    try {
      const rows = await session.query(`SELECT * FROM ${datasetTable(key)}${limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(limit))}`}`);
      return rows;
    } finally {
      session.close();
    }
  }

  /** A dataset as an apache-arrow Table. */
  async table(key: string): Promise<import('apache-arrow').Table> {
    this.#assertKey(key);
    const { columnsToArrow } = await import('../engine/arrow-bridge.js');
    const session = await this.#engine.session();
    try {
      return columnsToArrow(await session.readColumns(datasetTable(key)));
    } finally {
      session.close();
    }
  }

  /** What the tracker would record of a dataset: rows, schema, first rows. */
  async snapshot(key: string, n = 20): Promise<{ rows: number; schema: { name: string; type: string }[]; sample: Record<string, unknown>[] }> {
    this.#assertKey(key);
    const session = await this.#engine.session();
    try {
      return await session.snapshot(key, n);
    } finally {
      session.close();
    }
  }

  #assertKey(key: string): void {
    if (!this.keys().includes(key)) {
      const known = this.keys();
      throw new Error(`no dataset '${key}' in this notebook${known.length ? ` (defined: ${known.join(', ')})` : ''}`);
    }
  }

  /**
   * Runs the recorded pipeline from scratch through the core executor, as `odibi run` would; the
   * tracker records it in `.odibi/runs/` of the notebook's folder, so `odibi runs` lists it.
   */
  async run(options: RunOptions = {}): Promise<RunResult> {
    this.#running = new AbortController();
    try {
      // Workers load the pipeline from a file: the notebook's steps go to one first, as %export writes them.
      const config = options.executor === 'bullmq' ? await this.export(path.join(this.baseDir, '.odibi', 'notebook-run.json'), 'notebook') : this.pipeline();
      return await runPipeline(config, { ...options, signal: this.#running.signal });
    } finally {
      this.#running = undefined;
    }
  }

  /** The recorded step definitions, in notebook order. */
  definitions(): StepFields[] {
    return [...this.#steps.values()].map((f) => ({ ...f }));
  }

  /** Writes the recorded pipeline as a JSON config; returns the file's absolute path. */
  async export(file: string, name = path.basename(file).replace(/\.[^.]+$/, ''), options: { parameterize?: boolean } = {}): Promise<string> {
    return exportConfig(file, name, this.definitions(), this.baseDir, { vars: this.vars(), ...options });
  }

  /** Stops what is running (a step or a run). */
  interrupt(): void {
    this.#running?.abort();
  }

  /** Closes connections and the database; an error closing a connection reaches the caller. */
  async close(): Promise<void> {
    try {
      await this.#runner.close();
    } finally {
      this.#engine.close();
      await rm(this.#tmpDir, { recursive: true, force: true });
    }
  }
}
