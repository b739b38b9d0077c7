/**
 * The StepRunner for the DuckDB engine: gives each attempt its own session, calls the layer's
 * handler, then measures what the step produced (rows, schema, sample) for the events. Input
 * schemas and counts come from what upstream steps reported, so measuring costs one query per
 * output.
 */
import type { Pipeline, StepConfig } from '../config/model.js';
import { explainSqlError } from '../sql/errors.js';
import { OdibiError, StepError } from '../errors.js';
import type { Connection } from '../engine/connections.js';
import type { DuckDBEngine, Session } from '../engine/duckdb-engine.js';
import { checksOf } from '../config/checks.js';
import { CheckFailedError, runChecks, type CheckResult } from '../quality/run-checks.js';
import { REJECTS_ALIAS } from './bad-rows.js';
import { stageFile, type StagedAction, type StagingOwner } from '../engine/staging.js';
import type { DatasetInfo, SchemaDiff } from '../exec/events.js';
import type { StepResult, StepRunner } from '../exec/executor.js';
import type { Fusion } from '../graph/fusion.js';
import type { Plan, PlannedStep } from '../graph/plan.js';
import type { StepCache } from './step-cache.js';
import type { BatchContext } from './batch-input.js';
import type { StepContext } from './context.js';
import { HANDLERS } from './index.js';
import { preloadFunction } from './load-function.js';
import { defaultObjectCacheDir } from '../storage/cache-dir.js';

export interface RunnerOptions {
  pipeline: Pipeline;
  engine: DuckDBEngine;
  runId: string;
  tmpDir: string;
  log: (step: string, message: string) => void;
  /** Rows kept per output for the tracker (default 5). */
  sampleRows?: number;
  /** The stream micro-batch this run is, if any. */
  batch?: BatchContext;
  /** Keeps step outputs, and restores them instead of running a step (checkpoints, on resume). */
  cache?: StepCache;
  /** Datasets to define as views rather than store (see graph/fusion.ts). */
  fusion?: Fusion;
  /** Local copies of objects read from S3 or Azure (default: odibi-objects in the system temp folder). */
  objectCacheDir?: string;
  /** Whose name staged writes go under (a worker stages for its coordinator). */
  stagingOwner?: StagingOwner;
  /** Outputs that leave this engine (a worker's, for other workers). */
  exports?: OutputExport;
  /** Each data check's result, as it comes (a check_result event). */
  onCheck?: (step: string, result: CheckResult) => void;
}

/**
 * Datasets written out of the engine as soon as their step makes them. A SQL output that leaves is
 * defined as a view and written once, straight from its query, instead of being stored here and
 * then copied out; `write` then points the dataset at what it wrote, so a later step here reads
 * that rather than running the query again.
 */
export interface OutputExport {
  leaves(key: string): boolean;
  /** Writes dataset `key` (a table, or a view of its query when `view`) out. */
  write(key: string, session: Session, view: boolean): Promise<void>;
}

export class DuckDBStepRunner implements StepRunner {
  readonly #o: RunnerOptions;
  readonly #connections = new Map<string, Connection>();
  readonly #datasets = new Map<string, DatasetInfo>();
  /** Columns of the datasets defined as views, as DuckDB bound them. */
  readonly #views = new Map<string, DatasetInfo['schema']>();
  /** Attempts still running, including ones the executor gave up on after a timeout. */
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(options: RunnerOptions) {
    this.#o = options;
  }

  /**
   * Warms up what the plan's function steps will need (apache-arrow, their compiled modules) in
   * the background while the first steps run.
   */
  prepare(plan: Plan): void {
    const fns = plan.steps.filter((p) => p.step.type === 'function');
    if (fns.length === 0) return;
    import('../engine/arrow-bridge.js').catch(() => undefined);
    for (const p of fns) preloadFunction(this.#o.pipeline.baseDir, p.step.value);
  }

  run(planned: PlannedStep, attempt: number, signal: AbortSignal): Promise<StepResult> {
    const p = this.#run(planned, attempt, signal);
    const tracked = p.catch(() => undefined).finally(() => this.#inFlight.delete(tracked));
    this.#inFlight.add(tracked);
    return p;
  }

  async #run(planned: PlannedStep, _attempt: number, signal: AbortSignal): Promise<StepResult> {
    const { step } = planned;
    const { engine, pipeline, runId, tmpDir } = this.#o;
    const session = await engine.session();
    const staged: StagedAction[] = [];
    // An interrupt that arrives before DuckDB has started the query is lost, so keep sending it
    // until the attempt ends.
    let interrupter: NodeJS.Timeout | undefined;
    const onAbort = () => {
      session.interrupt();
      interrupter = setInterval(() => session.interrupt(), 50);
    };
    signal.addEventListener('abort', onAbort);
    const inlined = this.#o.fusion?.inlined;
    /** Outputs defined as views of their query, to be written out (see OutputExport). */
    const leaving = new Set<string>();
    const ctx: StepContext = {
      step, pipeline, runId, session, signal, tmpDir, objectCacheDir: this.#o.objectCacheDir ?? defaultObjectCacheDir(),
      produce: async (key, selectSql, inputs) => {
        if (inlined?.has(key)) this.#views.set(key, await session.defineView(key, selectSql, inputs));
        else if (this.#o.exports?.leaves(key)) {
          await session.defineView(key, selectSql, inputs);
          leaving.add(key);
        } else await session.materializeWithSnapshot(key, selectSql, inputs ?? {}, this.#o.sampleRows ?? 5);
      },
      connections: this.#connections,
      stage: async (finalPath) => {
        const s = await stageFile(finalPath, runId, this.#o.stagingOwner);
        staged.push(s);
        return s;
      },
      addStaged: (a) => staged.push(a),
      log: (m) => this.#o.log(step.name, m),
      openSession: () => engine.session(),
      batch: this.#o.batch,
      stagingOwner: this.#o.stagingOwner,
    };
    try {
      const cache = this.#o.cache;
      const restoredFrom = await cache?.restore(step, session);
      const handled = restoredFrom ? { rowsWritten: 0 } : ((await HANDLERS[step.layer](ctx)) ?? {});
      if (signal.aborted) throw new StepError(step.name, 'cancelled after timeout');
      const inputs = Object.entries(step.inputs).map(([alias, key]) => ({ ...this.#known(key), alias, sample: undefined }));
      const outputs: DatasetInfo[] = [];
      for (const [alias, key] of Object.entries(step.outputs)) {
        if (!restoredFrom && !inlined?.has(key) && this.#o.exports?.leaves(key)) await this.#o.exports.write(key, session, leaving.has(key));
        const info = await this.#measure(session, alias, key);
        this.#datasets.set(key, info);
        outputs.push(info);
      }
      // Data checks, on the step's output (a sink's: what it writes), before anything reads it or any commit.
      const checks = restoredFrom ? [] : checksOf(step);
      // (An ingest's quarantined rows, its `rejects` output, are not what its checks judge.)
      const checked = Object.entries(step.outputs).find(([alias]) => alias !== REJECTS_ALIAS)?.[1] ?? Object.values(step.inputs)[0];
      if (checks.length && checked !== undefined) {
        const results = await runChecks(session, checked, checks);
        for (const r of results) this.#o.onCheck?.(step.name, r);
        const failed = results.filter((r) => !r.passed && r.severity === 'error');
        if (failed.length) throw new CheckFailedError(step.name, failed);
      }
      const rowsIn = sumRows(inputs);
      const rowsOut = outputs.length ? sumRows(outputs) : (handled.rowsWritten ?? 0);
      if (!restoredFrom) await cache?.save(step, session, outputs);
      return {
        rowsIn, rowsOut, inputs, outputs, schemaDiff: outputs.length && inputs.length ? diffSchemas(inputs, outputs[0]) : undefined, staged,
        ...(handled.badRows ? { badRows: handled.badRows } : {}),
        ...(restoredFrom ? { restoredFrom } : {}),
      };
    } catch (err) {
      await Promise.allSettled(staged.map((s) => s.rollback()));
      const fusedInputs = Object.values(step.inputs).filter((k) => inlined?.has(k));
      throw wrap(step, err, (key) => this.#datasets.get(key)?.schema.map((c) => c.name), fusedInputs);
    } finally {
      clearInterval(interrupter);
      signal.removeEventListener('abort', onAbort);
      session.close();
    }
  }

  #known(key: string): DatasetInfo {
    return this.#datasets.get(key) ?? { key, alias: key, rows: 0, schema: [] };
  }

  async #measure(session: Session, alias: string, key: string): Promise<DatasetInfo> {
    const view = this.#views.get(key);
    // A view is read once, by its consumer: counting or sampling it here would read it twice.
    if (view) return { key, alias, rows: null, schema: view, inlinedInto: this.#o.fusion!.inlined.get(key)!.consumer };
    return { key, alias, ...(await session.snapshot(key, this.#o.sampleRows ?? 5)) };
  }

  /**
   * Waits (briefly) for abandoned attempts to stop before the engine closes: closing a connection
   * in the middle of a query would block until the query ends. A user function that never returns
   * cannot be stopped, so the wait is bounded.
   */
  async close(graceMs = 3000): Promise<void> {
    if (this.#inFlight.size) {
      await Promise.race([Promise.allSettled([...this.#inFlight]), new Promise((r) => setTimeout(r, graceMs).unref())]);
    }
    await Promise.allSettled([...this.#connections.values()].map((c) => c.close()));
  }
}

/** Rows of all the datasets, or null when one of them was a view and so was never counted. */
function sumRows(datasets: readonly DatasetInfo[]): number | null {
  let n = 0;
  for (const d of datasets) {
    if (d.rows === null) return null;
    n += d.rows;
  }
  return n;
}

function wrap(step: StepConfig, err: unknown, columnsOf: (key: string) => string[] | undefined, fusedInputs: readonly string[] = []): Error {
  if (err instanceof StepError) return err;
  // Never ODIBI's own names for datasets (memory.odibi_data."x"): the key the user wrote.
  const message = (err instanceof Error ? err.message : String(err)).trim().replace(/memory\.odibi_data\.("(?:[^"]|"")+"|\w+)/g, (_m, n: string) => (n.startsWith('"') ? n.slice(1, -1).replace(/""/g, '"') : n));
  // A SQL step's DuckDB error, in the terms of the SQL the user wrote.
  const sqlStep = step.type === 'sql' && !step.params.connection && (step.layer === 'transform' || step.layer === 'ingest');
  if (sqlStep && /^(Parser|Binder|Catalog) Error/.test(message)) {
    const tables = new Map(Object.entries(step.inputs).map(([alias, key]) => [alias, columnsOf(key)] as const));
    const e = explainSqlError(message, { sql: step.value, tables });
    return new StepError(step.name, e.message, { cause: err, hint: e.hint, ...(e.line !== undefined ? { sql: { line: e.line, column: e.column } } : {}) });
  }
  // A view's query runs inside this step, so a bad value in a fused input's file fails here.
  const fused = fusedInputs.length
    ? `${fusedInputs.map((k) => `'${k}'`).join(', ')} ${fusedInputs.length === 1 ? 'was' : 'were'} read inside this step (fused); \`odibi run --no-fuse\` stores every dataset and shows which step's query fails`
    : undefined;
  // A typed error from below (a store, a connection) already knows what the user should do.
  const own = err instanceof OdibiError ? err.hint : undefined;
  const hint = [own ?? hintFor(message), fused].filter(Boolean).join('; ') || undefined;
  return new StepError(step.name, message, { cause: err, hint });
}

/** Hints for the DuckDB errors users meet most. */
function hintFor(message: string): string | undefined {
  if (/Conversion Error|Invalid Input Error/.test(message)) return 'a value does not fit its type; clean or cast it upstream';
  if (/INTERRUPT/i.test(message)) return 'the query was interrupted';
  return undefined;
}

export function diffSchemas(inputs: readonly DatasetInfo[], output: DatasetInfo): SchemaDiff {
  const before = new Map<string, string>();
  for (const i of inputs) for (const c of i.schema) if (!before.has(c.name)) before.set(c.name, c.type);
  const after = new Map(output.schema.map((c) => [c.name, c.type]));
  return {
    added: output.schema.filter((c) => !before.has(c.name)),
    removed: [...before].filter(([name]) => !after.has(name)).map(([name, type]) => ({ name, type })),
    changed: output.schema.filter((c) => before.has(c.name) && before.get(c.name) !== c.type).map((c) => ({ name: c.name, from: before.get(c.name)!, to: c.type })),
  };
}
