/**
 * The coordinator's StepRunner for `odibi run --executor bullmq`: the executor plans and schedules
 * as for a local run (retries, timeouts, --keep-going, events), and each step attempt it starts
 * becomes a BullMQ job that any `odibi worker` takes. The worker's answer comes back as the step's
 * result: its outputs (now in the exchange), and its staged writes, which the executor commits or
 * rolls back at the end of the run like any others.
 */
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import type { Job, Queue, QueueEvents } from 'bullmq';
import type { Checkpointer } from '../checkpoint/checkpointer.js';
import type { Redis } from 'ioredis';
import type { Pipeline } from '../config/model.js';
import { checkInputs } from '../config/checks.js';
import { OWN_PROCESS } from '../engine/staging.js';
import { OdibiError, StepError, errorMessage } from '../errors.js';
import type { CheckResult, DatasetInfo, ErrorInfo } from '../exec/events.js';
import { toErrorInfo, type StepResult, type StepRunner } from '../exec/executor.js';
import type { Fusion } from '../graph/fusion.js';
import type { PlannedStep } from '../graph/plan.js';
import { diffSchemas } from '../steps/duckdb-runner.js';
import type { BatchContext } from '../steps/batch-input.js';
import { Exchange } from './exchange.js';
import { revive } from './handoff.js';
import { CANCEL_CHANNEL, cancelKey, DEFAULT_QUEUE, jobIdOf, type PartStepResult, type StepJob, type StepJobLog, type StepJobResult } from './jobs.js';
import type { PartitionGroup } from './partition-probe.js';
import { redisConnection, redisLabel } from './redis.js';
import { RunLock } from './run-lock.js';

export interface BullmqRunnerOptions {
  redis: string;
  queue?: string;
  pipeline: Pipeline;
  project?: string;
  runId: string;
  exchange: Exchange;
  /** A local scratch folder (a restored dataset on its way to an object-store exchange). */
  scratch: string;
  sampleRows?: number;
  batch?: BatchContext;
  log: (step: string, message: string) => void;
  /** A data check's result from a worker. */
  onCheck?: (step: string, check: CheckResult) => void;
  /** A message about the run itself (a run_log event). */
  note: (message: string) => void;
  /** Datasets kept as views (graph/fusion.ts): their producers run inside their consumer's job. */
  fusion: Fusion;
  /** With --checkpoint/--resume: workers save checkpoints into `stateDir`; a resumed step is restored into the exchange. */
  checkpoints?: { checkpointer: Checkpointer; fingerprints: ReadonlyMap<string, string>; stateDir: string };
  /** Partitioned ingests and their chains (partition-probe.ts): each runs as one job per part. */
  partitions?: readonly PartitionGroup[];
}

/** One partitioned chain in a run: what each part's job did, step by step. */
interface GroupRun {
  group: PartitionGroup;
  parts: { steps: Map<string, PartStepResult>; worker?: string; failed?: { step: string; error: ErrorInfo } }[];
}

export class BullmqStepRunner implements StepRunner {
  readonly #o: BullmqRunnerOptions;
  readonly #queue: Queue<StepJob, StepJobResult>;
  readonly #events: QueueEvents;
  readonly #connections: Redis[];
  readonly #lock: RunLock;
  readonly #known = new Map<string, DatasetInfo>();
  /** Producers of fused datasets, run later inside their consumer's job. */
  readonly #deferred = new Map<string, PlannedStep>();
  /** Steps by job id, for the progress messages (step logs) workers send. */
  readonly #jobs = new Map<string, string>();
  /** Steps of partitioned chains (the ingest and the steps after it) → their chain. */
  readonly #groups = new Map<string, GroupRun>();
  /** Datasets a partitioned chain makes: never views, and the last one read as its parts. */
  readonly #partitioned = new Set<string>();
  readonly #partsOf = new Map<string, number>();
  #gone?: OdibiError;
  readonly #onGone = new Set<(err: OdibiError) => void>();

  private constructor(o: BullmqRunnerOptions, queue: Queue<StepJob, StepJobResult>, events: QueueEvents, connections: Redis[], lock: RunLock) {
    this.#o = o;
    this.#queue = queue;
    this.#events = events;
    this.#connections = connections;
    this.#lock = lock;
    for (const group of o.partitions ?? []) {
      const run: GroupRun = { group, parts: group.parts.map(() => ({ steps: new Map() })) };
      for (const name of [group.ingest, ...group.chain]) this.#groups.set(name, run);
      for (const key of group.keys) this.#partitioned.add(key);
      this.#partsOf.set(group.end, group.parts.length);
    }
    events.on('progress', ({ jobId, data }) => {
      const step = this.#jobs.get(jobId);
      const message = (data as StepJobLog | undefined)?.log;
      const check = (data as StepJobLog | undefined)?.check;
      // A part job's progress names the chain step it is about.
      if (step && typeof message === 'string') o.log(step, message);
      if (step && check) o.onCheck?.((data as { step?: string }).step ?? step, check);
    });
    // A Redis that stops answering ends its connections (see redis.ts): every waiting step fails with its name.
    for (const c of connections) {
      c.on('end', () => {
        this.#gone ??= new OdibiError(`lost Redis at ${redisLabel(o.redis)}: it stopped answering while the run was going`, {
          hint: 'nothing of this run was committed; start Redis again, then run again (the run lock expires on its own)',
        });
        for (const f of this.#onGone) f(this.#gone);
      });
    }
  }

  static async open(o: BullmqRunnerOptions): Promise<BullmqStepRunner> {
    const { Queue, QueueEvents } = await import('bullmq');
    const name = o.queue ?? DEFAULT_QUEUE;
    const conns = [await redisConnection(o.redis), await redisConnection(o.redis)];
    try {
      await Promise.all(conns.map((c) => Promise.race([
        c.ping(),
        new Promise((_, reject) => c.once('end', () => reject(new Error('connection refused')))),
      ])));
    } catch (err) {
      for (const c of conns) c.disconnect();
      throw new OdibiError(`cannot reach Redis at ${redisLabel(o.redis)}: ${errorMessage(err)}`, { hint: 'start redis-server (and `odibi worker --redis …`), or fix --redis / ODIBI_REDIS_URL' });
    }
    const lock = await RunLock.acquire(conns[0], o.pipeline.name, o.runId).catch((err: unknown) => {
      for (const c of conns) c.disconnect();
      throw err;
    });
    const swept = await o.exchange.sweep().catch(() => []);
    if (swept.length) o.note(`removed the exchange folders of ${swept.length} run${swept.length === 1 ? '' : 's'} whose coordinator died: ${swept.join(', ')}`);
    const queue = new Queue<StepJob, StepJobResult>(name, { connection: conns[0] });
    const events = new QueueEvents(name, { connection: conns[1] });
    await events.waitUntilReady();
    return new BullmqStepRunner(o, queue, events, conns, lock);
  }

  /** A dataset kept as a view inside its consumer's job (a partitioned chain's never is). */
  #isView(key: string): boolean {
    return this.#o.fusion.inlined.has(key) && !this.#partitioned.has(key);
  }

  async run(planned: PlannedStep, attempt: number, signal: AbortSignal): Promise<StepResult> {
    const { step } = planned;
    if (this.#gone) throw this.#gone;
    const group = this.#groups.get(step.name);
    if (group) return this.#runPartitioned(planned, group, attempt, signal);
    const restored = await this.#restore(planned);
    if (restored) return restored;
    const inlined = this.#o.fusion.inlined;
    const outputKeys = Object.values(step.outputs);
    if (outputKeys.length && outputKeys.every((k) => this.#isView(k))) {
      // A view's producer: it runs inside its consumer's job, as a local run plans it inside the consumer's query.
      this.#deferred.set(step.name, planned);
      const outputs: DatasetInfo[] = Object.entries(step.outputs).map(([alias, key]) => ({ key, alias, rows: null, schema: [], inlinedInto: inlined.get(key)!.consumer }));
      for (const o of outputs) this.#known.set(o.key, o);
      return { rowsIn: null, rowsOut: null, inputs: this.#inputsOf(planned), outputs, staged: [] };
    }
    const prelude = this.#preludeOf(planned);
    const reads = [...new Set([...prelude.map((p) => p.step), step].flatMap((s) => [...Object.values(s.inputs), ...checkInputs(s)]).filter((k) => !this.#isView(k)))];
    const fused = Object.fromEntries(prelude.flatMap((p) => Object.values(p.step.outputs)).map((k) => [k, inlined.get(k)!]));
    const parts = Object.fromEntries(reads.filter((k) => this.#partsOf.has(k)).map((k) => [k, this.#partsOf.get(k)!]));
    const ckpt = this.#o.checkpoints;
    const fingerprint = ckpt?.fingerprints.get(step.name);
    const data: StepJob = {
      ...this.#jobBase(step, attempt), inputs: reads,
      ...(prelude.length ? { prelude: prelude.map((p) => p.step.name), fused } : {}),
      ...(Object.keys(parts).length ? { parts } : {}),
      ...(ckpt && fingerprint && step.layer !== 'connect' ? { checkpoint: { stateDir: ckpt.stateDir, fingerprint } } : {}),
    };
    const r = await this.#submit(step.name, data, jobIdOf(this.#o.runId, step.name, attempt), signal);
    if (!r.ok) throw new StepError(step.name, r.error.message, { hint: r.error.hint });
    const staged = await Promise.all(r.handoff.map((h) => revive(this.#o.pipeline, step.name, h)));
    const inputs = this.#inputsOf(planned);
    for (const out of r.outputs) this.#known.set(out.key, out);
    return {
      rowsIn: inputs.length ? inputs.reduce<number | null>((n, i) => (n === null || i.rows === null ? null : n + i.rows), 0) : r.rowsIn,
      rowsOut: r.rowsOut, inputs, outputs: r.outputs, staged, worker: r.worker, ...(r.badRows ? { badRows: r.badRows } : {}),
      ...(r.outputs.length && inputs.length ? { schemaDiff: diffSchemas(inputs, r.outputs[0]) } : {}),
    };
  }

  #jobBase(step: PlannedStep['step'], attempt: number): Omit<StepJob, 'inputs'> {
    return {
      runId: this.#o.runId, config: this.#o.pipeline.file, ...(this.#o.project ? { project: this.#o.project } : {}), step: step.name, attempt,
      ...(this.#o.pipeline.profile ? { profile: this.#o.pipeline.profile } : {}), ...(this.#o.pipeline.vars ? { vars: { ...this.#o.pipeline.vars } } : {}),
      exchange: this.#o.exchange.location, owner: OWN_PROCESS,
      ...(this.#o.sampleRows !== undefined ? { sampleRows: this.#o.sampleRows } : {}),
      ...(typeof step.params.timeout_ms === 'number' ? { timeoutMs: step.params.timeout_ms } : {}),
      ...(this.#o.batch ? { batch: this.#o.batch } : {}),
    };
  }

  /**
   * A step of a partitioned chain. The ingest's first attempt queues one job per part, each running
   * the whole chain on its files; every step of the chain then reports what its parts did (rows
   * summed), or fails with the first part that failed at it. A retry of a step runs again only the
   * parts that failed at it (from their files: a part's datasets live only in its job).
   */
  async #runPartitioned(planned: PlannedStep, run: GroupRun, attempt: number, signal: AbortSignal): Promise<StepResult> {
    const { step } = planned;
    const { group } = run;
    const again = run.parts.map((p, i) => ({ p, i })).filter(({ p }) => (step.name === group.ingest && attempt === 1) || (attempt > 1 && p.failed?.step === step.name));
    await Promise.all(again.map(async ({ p, i }) => {
      p.failed = undefined;
      const data: StepJob = {
        ...this.#jobBase(this.#o.pipeline.steps.find((s) => s.name === group.ingest)!, attempt), inputs: [],
        part: { index: i, of: group.parts.length, input: group.parts[i], chain: [...group.chain], views: group.keys.filter((k) => this.#o.fusion.inlined.has(k)) },
      };
      let r: StepJobResult;
      try {
        // The id names the step retried too: a retry of another step at the same attempt is another job.
        r = await this.#submit(step.name, data, jobIdOf(this.#o.runId, `${group.ingest}.${step.name}`, attempt, i), signal);
      } catch (err) {
        if (err instanceof OdibiError && !(err instanceof StepError)) throw err;
        p.failed = { step: step.name, error: toErrorInfo(err) };
        return;
      }
      p.worker = r.worker;
      for (const s of r.chain ?? []) p.steps.set(s.step, s);
      if (!r.ok) p.failed = { step: r.failedStep ?? group.ingest, error: r.error };
    }));
    const failed = run.parts.findIndex((p) => p.failed?.step === step.name);
    if (failed >= 0) {
      const { error } = run.parts[failed].failed!;
      const files = group.parts[failed].files;
      throw new StepError(step.name, `part ${failed + 1} of ${group.parts.length} (${files.map((f) => path.basename(f)).join(', ')}): ${error.message}`, { hint: error.hint });
    }
    const mine = run.parts.map((p) => p.steps.get(step.name));
    if (mine.some((r) => !r)) throw new StepError(step.name, 'a part of its partitioned chain did not run', { hint: 'run again' });
    const results = mine as PartStepResult[];
    const sum = (xs: (number | null)[]) => xs.reduce<number | null>((n, x) => (n === null || x === null ? null : n + x), 0);
    const outputs = results[0].outputs.map((o, j) => ({ ...o, rows: sum(results.map((r) => r.outputs[j]?.rows ?? null)) }));
    for (const out of outputs) this.#known.set(out.key, out);
    const inputs = this.#inputsOf(planned);
    const workers = [...new Set(run.parts.map((p) => p.worker).filter(Boolean))];
    return {
      rowsIn: sum(results.map((r) => r.rowsIn)), rowsOut: sum(results.map((r) => r.rowsOut)), inputs, outputs, staged: [],
      worker: workers.join(', '), ...(results[0].schemaDiff ? { schemaDiff: results[0].schemaDiff } : {}),
    };
  }

  /** Queues one job and waits for its answer, cancelling it if the executor gives up on the step. */
  async #submit(stepName: string, data: StepJob, jobId: string, signal: AbortSignal): Promise<StepJobResult> {
    this.#jobs.set(jobId, stepName);
    let job: Job<StepJob, StepJobResult>;
    try {
      job = await this.#queue.add(data.step, data, { jobId, attempts: 1, removeOnComplete: { age: 3600 }, removeOnFail: { age: 24 * 3600 } });
    } catch (err) {
      this.#jobs.delete(jobId);
      throw this.#gone ?? new OdibiError(`cannot queue step '${stepName}' on Redis at ${redisLabel(this.#o.redis)}: ${errorMessage(err)}`);
    }
    let stop: ((err: unknown) => void) | undefined;
    const stopped = new Promise<never>((_, reject) => {
      stop = reject;
    });
    const onAbort = () => {
      // The worker interrupts the step and rolls its writes back; this attempt ends now either way.
      void this.#connections[0].multi().set(cancelKey(jobId), '1', 'PX', 3_600_000).publish(CANCEL_CHANNEL, jobId).exec().catch(() => undefined);
      stop!(new StepError(stepName, 'cancelled'));
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    const onGone = (err: OdibiError) => stop!(err);
    this.#onGone.add(onGone);
    try {
      return await Promise.race([job.waitUntilFinished(this.#events), stopped]);
    } catch (err) {
      if (err instanceof OdibiError) throw err;
      // The job itself failed: its workers died more often than a job may stall.
      throw new StepError(stepName, `its job failed: ${errorMessage(err)}`, { hint: 'the workers running it stopped answering (killed, or out of memory) more than twice' });
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.#onGone.delete(onGone);
      this.#jobs.delete(jobId);
    }
  }

  #inputsOf(planned: PlannedStep): DatasetInfo[] {
    return Object.entries(planned.step.inputs).map(([alias, key]) => ({ ...(this.#known.get(key) ?? { key, rows: 0, schema: [] }), alias, sample: undefined }));
  }

  /** The deferred producers of the views a step reads, producers of producers first. */
  #preludeOf(planned: PlannedStep): PlannedStep[] {
    const out: PlannedStep[] = [];
    const visit = (p: PlannedStep) => {
      for (const key of Object.values(p.step.inputs)) {
        const producer = this.#isView(key) ? this.#o.fusion.inlined.get(key)?.producer : undefined;
        const deferred = producer === undefined ? undefined : this.#deferred.get(producer);
        if (deferred && !out.includes(deferred)) {
          visit(deferred);
          out.push(deferred);
        }
      }
    };
    visit(planned);
    return out;
  }

  /**
   * On --resume, a step with a sound checkpoint is not queued: its datasets go from the checkpoint
   * into this run's exchange (a committed sink whose outputs are unchanged has none), as a local
   * run would restore them into its database.
   */
  async #restore(planned: PlannedStep): Promise<StepResult | undefined> {
    const ckpt = this.#o.checkpoints;
    const entry = ckpt && await ckpt.checkpointer.usable(planned.step);
    if (!entry) return undefined;
    const outputs: DatasetInfo[] = [];
    try {
      for (const d of entry.datasets) {
        const file = await ckpt.checkpointer.fileOf(entry, d);
        await this.#o.exchange.put(this.#o.runId, d.key, (to) => copyFile(file, to), this.#o.scratch);
        const alias = Object.entries(planned.step.outputs).find(([, k]) => k === d.key)?.[0] ?? d.key;
        const info: DatasetInfo = { key: d.key, alias, rows: d.rows, schema: [] };
        this.#known.set(d.key, info);
        outputs.push(info);
      }
    } catch (err) {
      this.#o.log(planned.step.name, `checkpoint from run ${entry.runId} could not be restored (${errorMessage(err).split('\n')[0]}); running the step instead`);
      return undefined;
    }
    const inputs = Object.entries(planned.step.inputs).map(([alias, key]) => ({ ...(this.#known.get(key) ?? { key, rows: 0, schema: [] }), alias, sample: undefined }));
    return { rowsIn: null, rowsOut: outputs.reduce((n, o) => n + (o.rows ?? 0), 0), inputs, outputs, staged: [], restoredFrom: entry.runId };
  }

  /** Whether the run still holds its lock (false: Redis lost it for longer than its expiry). */
  get holdsLock(): boolean {
    return !this.#lock.lost;
  }

  async close(): Promise<void> {
    await this.#lock.release();
    await this.#o.exchange.clear(this.#o.runId).catch(() => undefined);
    await this.#events.close().catch(() => undefined);
    await this.#queue.close().catch(() => undefined);
    for (const c of this.#connections) c.disconnect();
  }
}
