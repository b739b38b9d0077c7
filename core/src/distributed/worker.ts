/**
 * `odibi worker`: takes step jobs from a BullMQ queue on Redis and runs each on its own DuckDB.
 * A step reads its inputs from the exchange (Parquet written by the steps that made them), writes
 * its outputs there, and stages its sink writes in the coordinator's name; the coordinator commits.
 *
 * Jobs of one run share one DuckDB engine on a worker (a dataset read or made here is not read
 * again), closed once the run has sent nothing for a minute. The job lock is short (5 s, renewed
 * every 2.5 s), so a worker that dies mid-step loses its job to another worker within seconds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Job } from 'bullmq';
import type { Pipeline, StepConfig } from '../config/model.js';
import { DuckDBEngine, datasetTable, type Session } from '../engine/duckdb-engine.js';
import { str } from '../engine/sql.js';
import { errorMessage } from '../errors.js';
import { toErrorInfo } from '../exec/executor.js';
import { singleStepPlan } from '../graph/plan.js';
import { loadPipeline } from '../load/pipeline.js';
import { DuckDBStepRunner, type OutputExport } from '../steps/duckdb-runner.js';
import type { StepCache } from '../steps/step-cache.js';
import type { DatasetPlan, InlinedDataset } from '../graph/fusion.js';
import { defaultObjectCacheDir } from '../storage/cache-dir.js';
import { Checkpointer } from '../checkpoint/checkpointer.js';
import { outputProbe } from '../checkpoint/committed-output.js';
import { checkpointStoreOf } from '../checkpoint/open-store.js';
import { stateDirAt } from '../state/state-dir.js';
import { Exchange } from './exchange.js';
import { CANCEL_CHANNEL, cancelKey, DEFAULT_QUEUE, partKey, type PartJob, type PartStepResult, type StepJob, type StepJobResult } from './jobs.js';
import { redisConnection, redisLabel } from './redis.js';

export interface WorkerOptions {
  redis: string;
  queue?: string;
  /** Steps at once (default: the number of cores). */
  concurrency?: number;
  /** A line per job (the CLI prints them). */
  log?: (line: string) => void;
}

export interface WorkerHandle {
  readonly id: string;
  /** Waits for running jobs, then stops. */
  close(): Promise<void>;
}

interface RunContext {
  pipeline: Pipeline;
  engine: DuckDBEngine;
  runner: DuckDBStepRunner;
  tmpDir: string;
  /** Datasets already in this engine: read from the exchange, or made here. */
  loaded: Map<string, Promise<void>>;
  /** Per step of the run, when it saves checkpoints. */
  checkpoints: Map<string, Checkpointer>;
  /** The views of this run's fused producers, as jobs name them. */
  fusion: { inlined: Map<string, InlinedDataset>; datasets: DatasetPlan[] };
  usedAt: number;
  jobs: number;
}

const IDLE_MS = 60_000;
export const LOCK_MS = 5000;

/**
 * Writes dataset `key` into the exchange as `name`, once. A view (a SQL output: see OutputExport)
 * is then pointed at the written file, so reading it again here (a later step, the tracker's count
 * and sample) reads the file rather than running its query again.
 */
async function toExchange(exchange: Exchange, runId: string, key: string, name: string, session: Session, view: boolean, scratch: string): Promise<void> {
  const file = await exchange.put(runId, name, (f) => session.run(`COPY ${datasetTable(key)} TO ${str(f)} (FORMAT parquet, COMPRESSION lz4)`), scratch, view);
  if (view) await session.run(`CREATE OR REPLACE VIEW ${datasetTable(key)} AS SELECT * FROM read_parquet(${str(file!)})`);
}

export async function startWorker(o: WorkerOptions): Promise<WorkerHandle> {
  const { Worker } = await import('bullmq');
  const id = `${os.hostname()}:${process.pid}`;
  const log = o.log ?? (() => undefined);
  const runs = new Map<string, Promise<RunContext>>();
  const objectCacheDir = defaultObjectCacheDir();

  const contextOf = (job: StepJob): Promise<RunContext> => {
    let ctx = runs.get(job.runId);
    if (!ctx) {
      ctx = (async () => {
        const { pipeline } = await loadPipeline(job.config, { project: job.project, profile: job.profile, vars: job.vars });
        const engine = await DuckDBEngine.create({ baseDir: pipeline.baseDir });
        const tmpDir = await mkdtemp(path.join(os.tmpdir(), 'odibi-worker-'));
        const exchange = new Exchange(job.exchange, objectCacheDir);
        const loaded = new Map<string, Promise<void>>();
        // Every output goes to the exchange, for the steps that read it on other workers (a view
        // fused into a later step of this job never leaves this worker).
        const exports: OutputExport = {
          leaves: (key) => !fusion.inlined.has(key),
          write: async (key, session, view) => {
            await toExchange(exchange, job.runId, key, key, session, view, tmpDir);
            loaded.set(key, Promise.resolve());
          },
        };
        // With --checkpoint, outputs also go into the run's checkpoint store (a resumed run restores from there).
        const cache: StepCache = {
          restore: async () => undefined,
          save: async (step, session, outputs) => {
            await checkpoints.get(step.name)?.save(step, session, outputs);
          },
        };
        const checkpoints = new Map<string, Checkpointer>();
        const fusion = { inlined: new Map<string, InlinedDataset>(), datasets: [] as DatasetPlan[] };
        const runner = new DuckDBStepRunner({
          pipeline, engine, runId: job.runId, tmpDir, sampleRows: job.sampleRows, cache, exports, objectCacheDir, stagingOwner: job.owner, batch: job.batch, fusion,
          log: (step, message) => currentJobs.get(`${job.runId}/${step}`)?.updateProgress({ log: message }).catch(() => undefined),
          onCheck: (step, check) => currentJobs.get(`${job.runId}/${step}`)?.updateProgress({ check, step }).catch(() => undefined),
        });
        return { pipeline, engine, runner, tmpDir, loaded, checkpoints, fusion, usedAt: Date.now(), jobs: 0 };
      })();
      ctx.catch(() => runs.delete(job.runId));
      runs.set(job.runId, ctx);
    }
    return ctx;
  };
  const currentJobs = new Map<string, Job>();

  const close = async (runId: string) => {
    const ctx = await runs.get(runId)?.catch(() => undefined);
    runs.delete(runId);
    if (!ctx) return;
    await ctx.runner.close();
    ctx.engine.close();
    await rm(ctx.tmpDir, { recursive: true, force: true });
  };
  const sweeper = setInterval(() => {
    for (const [runId, p] of runs) {
      void p.then((ctx) => {
        if (ctx.jobs === 0 && Date.now() - ctx.usedAt > IDLE_MS) void close(runId);
      }, () => undefined);
    }
  }, 10_000);
  sweeper.unref();

  /** Runs `work` with a signal that a coordinator's cancel message, or the step's time limit, aborts. */
  const cancellable = async <T>(job: Job, timeoutMs: number | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    const controller = new AbortController();
    const timer = timeoutMs ? setTimeout(() => controller.abort(), timeoutMs) : undefined;
    cancels.set(job.id!, controller);
    // Cancelled before this worker took it (the message went out while it sat in the queue).
    if (await connection.exists(cancelKey(job.id!)).catch(() => 0)) controller.abort();
    try {
      return await work(controller.signal);
    } finally {
      clearTimeout(timer);
      cancels.delete(job.id!);
    }
  };

  /**
   * One part of a partitioned ingest: the ingest on this part's files, then its chain, on a DuckDB
   * of the part's own (parts of one run may run side by side here, each with the same dataset
   * names). The chain's last dataset goes from its query straight into the exchange as this part.
   */
  const runPart = async (data: StepJob, part: PartJob, ctx: RunContext, exchange: Exchange, job: Job): Promise<StepJobResult> => {
    const { pipeline } = ctx;
    // The part's number names a folder and an exchange key: a whole number, nothing else.
    if (!Number.isInteger(part.index) || part.index < 0 || !Number.isInteger(part.of) || part.index >= part.of) {
      return { ok: false, worker: id, error: { name: 'StepError', message: `worker ${id}: refused a part job numbered ${JSON.stringify(part.index)} of ${JSON.stringify(part.of)}`, hint: 'jobs come from `odibi run --executor bullmq`; check who else writes to this Redis queue' } };
    }
    const steps = [data.step, ...part.chain].map((name) => pipeline.steps.find((s) => s.name === name));
    const missing = [data.step, ...part.chain].find((_, i) => !steps[i]);
    if (missing !== undefined) return { ok: false, worker: id, error: { name: 'ConfigError', message: `worker ${id}: step '${missing}' is not in ${data.config}`, hint: 'the config changed since the run started: start it again' } };
    const chain = steps as StepConfig[];
    const last = chain[chain.length - 1];
    const endKey = Object.values(last.outputs)[0];
    const inlined = new Map<string, InlinedDataset>();
    chain.forEach((s, i) => {
      const key = Object.values(s.outputs)[0];
      if (i < chain.length - 1 && part.views.includes(key)) inlined.set(key, { producer: s.name, consumer: chain[i + 1].name });
    });
    const tmpDir = await mkdtemp(path.join(ctx.tmpDir, `part${part.index}-`));
    const engine = await DuckDBEngine.create({ baseDir: pipeline.baseDir });
    const runner = new DuckDBStepRunner({
      pipeline, engine, runId: data.runId, tmpDir, sampleRows: data.sampleRows, objectCacheDir, stagingOwner: data.owner, fusion: { inlined, datasets: [] },
      // Only the chain's last dataset leaves, as this part of it.
      exports: { leaves: (key) => key === endKey, write: (key, session, view) => toExchange(exchange, data.runId, key, partKey(key, part.index), session, view, tmpDir) },
      // The ingest reads this part's files, as a stream batch reads its new files.
      batch: { stream: pipeline.name, id: part.index, replay: false, inputs: { [data.step]: part.input } },
      log: (step, message) => void job.updateProgress({ log: `${step} (part ${part.index + 1} of ${part.of}): ${message}` }).catch(() => undefined),
    });
    const done: PartStepResult[] = [];
    try {
      return await cancellable(job, data.timeoutMs, async (signal) => {
        for (const step of chain) {
          try {
            const r = await runner.run(singleStepPlan(pipeline, step).steps[0], data.attempt, signal);
            done.push({ step: step.name, rowsIn: r.rowsIn, rowsOut: r.rowsOut, outputs: r.outputs, ...(r.schemaDiff ? { schemaDiff: r.schemaDiff } : {}) });
          } catch (err) {
            log(`✗ ${step.name} (run ${data.runId}, part ${part.index + 1} of ${part.of}): ${errorMessage(err).split('\n')[0]}`);
            return { ok: false, worker: id, error: toErrorInfo(err), failedStep: step.name, chain: done };
          }
        }
        const end = done[done.length - 1];
        log(`✓ ${data.step} → ${last.name} (run ${data.runId}, part ${part.index + 1} of ${part.of}, ${part.input.files.length} file${part.input.files.length === 1 ? '' : 's'})`);
        return { ok: true, worker: id, rowsIn: done[0].rowsIn, rowsOut: end.rowsOut, outputs: end.outputs, handoff: [], chain: done };
      });
    } finally {
      await runner.close();
      engine.close();
      await rm(tmpDir, { recursive: true, force: true });
    }
  };

  const processor = async (job: Job<StepJob, StepJobResult>): Promise<StepJobResult> => {
    const data = job.data;
    // A run id names folders (the exchange, staging): one that could climb out of them is refused.
    if (typeof data.runId !== 'string' || !/^[\w.-]+$/.test(data.runId) || data.runId.startsWith('.')) {
      return { ok: false, worker: id, error: { name: 'StepError', message: `worker ${id}: refused a job with run id ${JSON.stringify(data.runId)}`, hint: 'jobs come from `odibi run --executor bullmq`; check who else writes to this Redis queue' } };
    }
    const t0 = Date.now();
    let ctx: RunContext;
    try {
      ctx = await contextOf(data);
    } catch (err) {
      return { ok: false, worker: id, error: { name: 'ConfigError', message: `worker ${id} cannot load ${data.config}: ${errorMessage(err)}`, hint: 'workers read the config at the same path as the coordinator: share its folder (or run the worker beside it)' } };
    }
    ctx.jobs++;
    ctx.usedAt = Date.now();
    log(`→ ${data.step} (run ${data.runId}, attempt ${data.attempt})`);
    const key = `${data.runId}/${data.step}${data.part ? `#${data.part.index}` : ''}`;
    currentJobs.set(key, job);
    try {
      const step = ctx.pipeline.steps.find((s) => s.name === data.step);
      if (!step) return { ok: false, worker: id, error: { name: 'ConfigError', message: `worker ${id}: step '${data.step}' is not in ${data.config}`, hint: 'the config changed since the run started: start it again' } };
      const exchange = new Exchange(data.exchange, objectCacheDir);
      if (data.part) return await runPart(data, data.part, ctx, exchange, job);
      for (const input of data.inputs) {
        let loading = ctx.loaded.get(input);
        if (!loading) {
          loading = (async () => {
            const parts = data.parts?.[input];
            if (parts !== undefined && (!Number.isInteger(parts) || parts < 1)) throw new Error(`refused ${JSON.stringify(parts)} parts of '${input}'`);
            const files = parts === undefined
              ? [await exchange.get(data.runId, input)]
              : await Promise.all(Array.from({ length: parts }, (_, i) => exchange.get(data.runId, partKey(input, i))));
            const session = await ctx.engine.session();
            try {
              // A view: the consumer reads the Parquet files directly, with no copy into this database.
              await session.run(`CREATE OR REPLACE VIEW ${datasetTable(input)} AS SELECT * FROM read_parquet([${files.map(str).join(', ')}])`);
            } finally {
              session.close();
            }
          })();
          loading.catch(() => ctx.loaded.delete(input));
          ctx.loaded.set(input, loading);
        }
        await loading;
      }
      if (data.checkpoint) {
        ctx.checkpoints.set(step.name, new Checkpointer({
          store: checkpointStoreOf(stateDirAt(data.checkpoint.stateDir)), fingerprints: new Map([[step.name, data.checkpoint.fingerprint]]), pipeline: ctx.pipeline.name,
          runId: data.runId, write: true, resume: false, probe: outputProbe(ctx.pipeline), warn: (_s, message) => void job.updateProgress({ log: message }).catch(() => undefined),
        }));
      }
      const planned = singleStepPlan(ctx.pipeline, step).steps[0];
      return await cancellable(job, data.timeoutMs, async (signal) => {
        // The fused producers first: each defines its view in this run's database, read by the step.
        for (const [key, f] of Object.entries(data.fused ?? {})) ctx.fusion.inlined.set(key, f);
        for (const name of data.prelude ?? []) {
          const producer = ctx.pipeline.steps.find((s) => s.name === name);
          if (!producer) throw new Error(`step '${name}' is not in ${data.config}`);
          await ctx.runner.run(singleStepPlan(ctx.pipeline, producer).steps[0], 1, signal);
        }
        const r = await ctx.runner.run(planned, data.attempt, signal);
        const handoff = r.staged.map((s) => s.handoff);
        if (handoff.some((h) => h === undefined)) {
          await Promise.allSettled(r.staged.map((s) => s.rollback()));
          return { ok: false, worker: id, error: { name: 'StepError', message: `step '${step.name}' writes to a connection's table, which a worker cannot hand to the coordinator`, hint: 'run this pipeline without --executor bullmq, or write files (local, s3://, az://) from its sinks' } };
        }
        log(`✓ ${data.step} (run ${data.runId}, attempt ${data.attempt}) in ${Date.now() - t0} ms`);
        return { ok: true, worker: id, rowsIn: r.rowsIn, rowsOut: r.rowsOut, outputs: r.outputs, ...(r.schemaDiff ? { schemaDiff: r.schemaDiff } : {}), ...(r.badRows ? { badRows: r.badRows } : {}), handoff: handoff as NonNullable<(typeof handoff)[number]>[] };
      });
    } catch (err) {
      log(`✗ ${data.step} (run ${data.runId}, attempt ${data.attempt}): ${errorMessage(err).split('\n')[0]}`);
      return { ok: false, worker: id, error: toErrorInfo(err) };
    } finally {
      currentJobs.delete(key);
      ctx.jobs--;
      ctx.usedAt = Date.now();
    }
  };

  const connection = await redisConnection(o.redis);
  // Cancellations from coordinators: the step's query is interrupted and its staged writes rolled back.
  const cancels = new Map<string, AbortController>();
  const subscriber = await redisConnection(o.redis);
  subscriber.on('message', (_channel: string, jobId: string) => cancels.get(jobId)?.abort());
  await subscriber.subscribe(CANCEL_CHANNEL).catch(() => undefined);
  const worker = new Worker<StepJob, StepJobResult>(o.queue ?? DEFAULT_QUEUE, processor, {
    connection, concurrency: o.concurrency ?? os.availableParallelism(), lockDuration: LOCK_MS, stalledInterval: 2000, maxStalledCount: 2,
    autorun: false,
  });
  worker.on('error', (err) => log(`worker error: ${errorMessage(err)}`));
  await worker.waitUntilReady().catch((err: unknown) => {
    throw new Error(`cannot reach Redis at ${redisLabel(o.redis)}: ${errorMessage(err)}`);
  });
  void worker.run();
  log(`worker ${id} taking steps from queue '${o.queue ?? DEFAULT_QUEUE}' on ${redisLabel(o.redis)}`);
  return {
    id,
    close: async () => {
      await worker.close();
      clearInterval(sweeper);
      for (const runId of [...runs.keys()]) await close(runId);
      connection.disconnect();
      subscriber.disconnect();
    },
  };
}
