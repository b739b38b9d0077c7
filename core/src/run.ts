/**
 * The facade: load → plan → execute with tracking, in one call. The CLI and the kernel both run
 * pipelines through this, so they behave the same.
 */
import { locate, type ObjectLocation } from './storage/locate.js';
import { sweepStagedObjects } from './storage/staged-object.js';
import { isObjectUri } from './storage/uri.js';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cachedDryRun } from './check/dry-run-cache.js';
import { Redactor } from './config/env.js';
import { ConfigError, OdibiError } from './errors.js';
import { loadPipeline } from './load/pipeline.js';
import { type LoadOptions } from './config/load.js';
import type { Pipeline } from './config/model.js';
import { DuckDBEngine } from './engine/duckdb-engine.js';
import { EventBus } from './exec/event-bus.js';
import type { Hook } from './exec/events.js';
import { execute, type RunSummary, type StepRunner } from './exec/executor.js';
import { createPlan, type Plan, type PlanOptions } from './graph/plan.js';
import { planFusion, type Fusion } from './graph/fusion.js';
import type { CheckResult } from './exec/events.js';
import { DuckDBStepRunner } from './steps/duckdb-runner.js';
import { objectOutputFolders, outputFolders } from './steps/output-folders.js';
import { sweepStaging } from './engine/staging.js';
import { Checkpointer } from './checkpoint/checkpointer.js';
import { fingerprints } from './checkpoint/fingerprint.js';
import { checkpointStoreOf } from './checkpoint/open-store.js';
import { outputProbe } from './checkpoint/committed-output.js';
import { openStateDir, stateDirAt, type StateDir } from './state/state-dir.js';
import type { BatchContext } from './steps/batch-input.js';
import type { RunRecord } from './tracker/run-record.js';
import { RunStore } from './tracker/run-store.js';
import { newRunId } from './shared/ids.js';
import { Tracker } from './tracker/tracker.js';

export interface RunOptions extends PlanOptions, LoadOptions {
  /** Steps run at once (default: DEFAULT_WORKERS, four per core). */
  workers?: number;
  keepGoing?: boolean;
  /** Default per-step timeout in ms; a step's params.timeout_ms wins. */
  timeoutMs?: number;
  /** Where run records and checkpoints go: a folder or an s3:// / az:// URI (default: `.odibi/` beside the config). */
  stateDir?: string | StateDir;
  /** Save no run record. */
  noState?: boolean;
  /** Subscribers to the run's events, attached before it starts. */
  hooks?: Hook[];
  /** DuckDB threads (default: all cores). */
  threads?: number;
  sampleRows?: number;
  /** Aborting it cancels the run: running steps stop, outputs roll back. */
  signal?: AbortSignal;
  /** Runs the pipeline as one micro-batch of a stream (see stream/). */
  batch?: BatchContext;
  /** Save each step's outputs as a checkpoint (Parquet in the state dir). */
  checkpoint?: boolean;
  /**
   * Restore steps whose inputs, SQL and code are unchanged from their checkpoints instead of
   * running them; run the rest (failed, unfinished, changed). Also saves new checkpoints.
   */
  resume?: boolean;
  /** What started the run (a schedule), kept in its record. */
  trigger?: string;
  /**
   * The dry run of `odibi validate` before anything runs (default true): files, SQL against
   * schemas, function modules. A stream checks once when it starts, not every batch.
   */
  check?: boolean;
  /**
   * Keep datasets that one SQL step reads as views inside it rather than tables (default true; see
   * graph/fusion.ts). Runs that save checkpoints, and stream batches, always store every dataset.
   */
  fuse?: boolean;
  /** Where steps run: in this process (default), or as BullMQ jobs that `odibi worker`s take. */
  executor?: 'local' | 'bullmq';
  /** With the bullmq executor: the Redis URL (default ODIBI_REDIS_URL). */
  redis?: string;
  /** With the bullmq executor: the queue name (default `odibi`). */
  queue?: string;
  /** With the bullmq executor: where datasets pass between workers (default: the state dir's `exchange/`). */
  exchange?: string;
}

export interface RunResult extends RunSummary {
  runId: string;
  plan: Plan;
  /** The datasets the run kept as views. */
  fusion: Fusion;
  record: RunRecord;
  /** Where the run record was saved, if it was. */
  recordPath?: string;
}

/** Removes staging files that killed runs left beside the pipeline's outputs, and says so. */
export async function sweepLeftovers(pipeline: Pipeline, say: (message: string) => void): Promise<void> {
  const removed = (await sweepStaging(outputFolders(pipeline))).map((f) => path.relative(pipeline.baseDir, f));
  const folders = objectOutputFolders(pipeline);
  if (folders.length) {
    // A store that cannot be reached now fails the step that writes to it, with its own message.
    const located = (await Promise.all(folders.map(({ step, folder }) => locate(pipeline, step, folder).catch(() => undefined)))).filter((l): l is ObjectLocation => l !== undefined);
    removed.push(...(await sweepStagedObjects(located).catch(() => [])));
  }
  if (removed.length) say(`removed ${removed.length} staging file${removed.length === 1 ? '' : 's'} left by runs that were killed: ${removed.join(', ')}`);
}

/**
 * What the run stores as tables and what it fuses: nothing is fused when outputs must exist as
 * tables (checkpoints save them; a stream counts its sources' rows) or when the user says so.
 */
export function fusionFor(plan: Plan, options: Pick<RunOptions, 'fuse' | 'checkpoint' | 'resume' | 'batch'> = {}): Fusion {
  const off = options.fuse === false ? '--no-fuse'
    : options.checkpoint || options.resume ? 'checkpoints save every dataset'
      : options.batch ? 'a stream batch counts its sources' : undefined;
  return planFusion(plan, off ? { enabled: false, disabledBecause: `fusion is off: ${off}` } : {});
}

/**
 * Steps run at once by default: four per core. A step spends most of its time inside DuckDB, which
 * runs each query on all cores and shares one memory limit among them, so more steps at once do
 * not oversubscribe memory; what they do is overlap the fixed cost of each statement (about a
 * millisecond: parse, plan, catalog commit), which on a DAG of many small steps is most of the work.
 */
function defaultWorkers(): number {
  return Math.min(16, 4 * os.availableParallelism());
}

export function defaultStateDir(pipeline: Pipeline): string {
  return path.join(pipeline.baseDir, '.odibi');
}

/** Runs a pipeline config file (or an already validated Pipeline). */
export async function runPipeline(config: string | Pipeline, options: RunOptions = {}): Promise<RunResult> {
  const pipeline = typeof config === 'string' ? (await loadPipeline(config, options)).pipeline : config;
  const plan = createPlan(pipeline, options);
  // A state dir on a store that cannot be reached fails here, before anything runs or is written.
  const state = options.noState && !options.checkpoint && !options.resume ? stateDirAt(options.stateDir ?? defaultStateDir(pipeline)) : await openStateDir(options.stateDir ?? defaultStateDir(pipeline));
  const objectCacheDir = path.join(state.cacheDir, 'objects');
  if (options.check !== false) {
    const { problems } = await cachedDryRun(pipeline, { steps: plan.steps.map((p) => p.step.name), cacheDir: path.join(state.cacheDir, 'typecheck'), objectCacheDir }, path.join(state.cacheDir, 'dry-run'));
    if (problems.length) throw new ConfigError(problems, pipeline.file);
  }
  const runId = newRunId();
  const bus = new EventBus(runId, { redactor: new Redactor(pipeline.secrets) });
  const store = options.noState ? undefined : new RunStore(state);
  // Distributed: the workers' own concurrency limits them; the coordinator queues every ready step.
  const workers = options.workers ?? (options.executor === 'bullmq' ? 256 : defaultWorkers());
  const tracker = new Tracker(plan, runId, {
    store,
    runOptions: {
      workers, only: options.only ?? [], skip: options.skip ?? [], keepGoing: !!options.keepGoing, project: options.project,
      ...(options.fuse === false ? { fuse: false } : {}),
      ...(options.trigger ? { trigger: options.trigger } : {}), ...(options.resume ? { resume: true } : {}),
      // What the config was loaded with: a run can be told apart from one under another profile.
      ...(pipeline.profile ? { profile: pipeline.profile } : {}), ...(pipeline.vars ? { vars: pipeline.vars } : {}),
    },
  });
  tracker.attach(bus);
  for (const hook of options.hooks ?? []) bus.on(hook);
  // A stream sweeps once when it starts, not before every batch.
  if (!options.batch) await sweepLeftovers(pipeline, (message) => bus.emit({ type: 'run_log', level: 'info', message }));

  const tmpDir = await mkdtemp(path.join(os.tmpdir(), 'odibi-run-'));
  const distributed = options.executor === 'bullmq';
  const engine = distributed ? undefined : await DuckDBEngine.create({ baseDir: pipeline.baseDir, threads: options.threads });
  const prints = options.checkpoint || options.resume ? await fingerprints(plan) : undefined;
  const checkpoints = prints
    ? new Checkpointer({
      store: checkpointStoreOf(state), fingerprints: prints, pipeline: pipeline.name, runId, probe: outputProbe(pipeline),
      write: true, resume: !!options.resume, warn: (step, message) => bus.emit({ type: 'step_log', step, message }),
    })
    : undefined;
  const fusion = fusionFor(plan, options);
  const log = (step: string, message: string) => bus.emit({ type: 'step_log', step, message });
  const onCheck = (step: string, check: CheckResult) => bus.emit({ type: 'step_check', step, check });
  let runner: StepRunner & { close(): Promise<void> };
  if (engine) {
    const local = new DuckDBStepRunner({ pipeline, engine, runId, tmpDir, sampleRows: options.sampleRows, batch: options.batch, cache: checkpoints, fusion, objectCacheDir, log, onCheck });
    local.prepare(plan);
    runner = local;
  } else {
    const note = (message: string) => bus.emit({ type: 'run_log', level: 'info', message });
    runner = await openDistributedRunner(plan, state, { ...options, runId, objectCacheDir, tmpDir, log, onCheck, note, checkpointer: checkpoints, fingerprints: prints, fusion }).catch(async (err: unknown) => {
      await rm(tmpDir, { recursive: true, force: true });
      throw err;
    });
  }
  try {
    const b = options.batch;
    const batch = b && { stream: b.stream, id: b.id, replay: b.replay, ...(b.availableAt !== undefined ? { availableAt: new Date(b.availableAt).toISOString() } : {}) };
    const summary = await execute(plan, runner, bus, { workers, keepGoing: options.keepGoing, timeoutMs: options.timeoutMs, signal: options.signal, batch, ...(distributed ? { executor: 'bullmq' } : {}) });
    if (checkpoints) {
      const committed = new Set(summary.committed);
      await checkpoints.committed([...summary.results]
        .filter(([, r]) => r.staged.length && r.staged.every((s) => committed.has(s.target)))
        .map(([step, r]) => ({ step, targets: r.staged.map((s) => s.target) })));
    }
    await tracker.saved();
    return { ...summary, runId, plan, fusion, record: tracker.record, recordPath: store?.pathOf(runId) };
  } finally {
    await runner.close();
    engine?.close();
    await rm(tmpDir, { recursive: true, force: true });
  }
}

/** The coordinator's runner for `--executor bullmq` (loaded only then: BullMQ and Redis clients). */
async function openDistributedRunner(plan: Plan, state: StateDir, o: RunOptions & {
  runId: string; objectCacheDir: string; tmpDir: string; log: (step: string, message: string) => void; onCheck: (step: string, check: CheckResult) => void; note: (message: string) => void; checkpointer?: Checkpointer; fingerprints?: ReadonlyMap<string, string>; fusion: Fusion;
}): Promise<StepRunner & { close(): Promise<void> }> {
  const { pipeline } = plan;
  const [{ BullmqStepRunner }, { Exchange }, { redisUrlOf }, { probePartitions }] = await Promise.all([
    import('./distributed/bullmq-runner.js'), import('./distributed/exchange.js'), import('./distributed/redis.js'), import('./distributed/partition-probe.js'),
  ]);
  const redis = redisUrlOf(o.redis);
  if (!redis) throw new OdibiError('--executor bullmq needs a Redis URL', { hint: 'pass --redis redis://host:6379 or set ODIBI_REDIS_URL' });
  const exchange = new Exchange(o.exchange ? (isObjectUri(o.exchange) ? o.exchange : path.resolve(o.exchange)) : (state.local !== undefined ? path.join(state.local, 'exchange') : state.where('exchange')), o.objectCacheDir);
  const partitions = await probePartitions(plan, { note: o.note, streamed: new Set(Object.keys(o.batch?.inputs ?? {})) });
  return BullmqStepRunner.open({
    redis, queue: o.queue, pipeline, partitions, project: o.project, runId: o.runId, exchange, scratch: o.tmpDir, sampleRows: o.sampleRows, fusion: o.fusion,
    ...(o.batch ? { batch: o.batch } : {}), log: o.log, onCheck: o.onCheck, note: o.note,
    ...(o.checkpointer && o.fingerprints ? { checkpoints: { checkpointer: o.checkpointer, fingerprints: o.fingerprints, stateDir: state.location } } : {}),
  });
}
