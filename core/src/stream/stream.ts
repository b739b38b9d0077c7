/**
 * Runs a pipeline continuously as micro-batches, exactly once. Each batch:
 *   1. plan: every streaming source says what is new since its committed state;
 *   2. write the offsets log entry (what the batch reads) under a new batch id;
 *   3. run the DAG on that input only (a normal run: atomic outputs, tracker record);
 *      append sinks write one part per batch, named by the batch id;
 *   4. write the commits log entry with the sources' new state (watermarks, files taken).
 * A crash anywhere leaves either a committed batch or offsets without a commit; on restart that
 * batch is replayed with the same input and rewrites the same parts, so no row is lost or doubled.
 */
import { locate, objectConnection, objectUriOf, onObjectStore } from '../storage/locate.js';
import { folderPrefix } from '../storage/uri.js';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { dryRun } from '../check/dry-run.js';
import { loadPipeline } from '../load/pipeline.js';
import { type LoadOptions } from '../config/load.js';
import type { Pipeline, StepConfig } from '../config/model.js';
import { ConfigError, errorMessage, StreamError } from '../errors.js';
import type { Hook } from '../exec/events.js';
import { toErrorInfo } from '../exec/executor.js';
import { Bus } from '../exec/event-bus.js';
import { defaultStateDir, runPipeline, sweepLeftovers, type RunOptions, type RunResult } from '../run.js';
import { resolvePath } from '../steps/context.js';
import { RunStore } from '../tracker/run-store.js';
import type { BatchContext, BatchInput } from '../steps/batch-input.js';
import { partIdOf } from '../shared/part-name.js';
import { BatchLog, type CommitEntry, type OffsetsEntry, type SourceOffset } from './batch-log.js';
import { systemClock, type Clock } from '../shared/clock.js';
import type { StreamEvent, StreamEventDraft } from './events.js';
import { StreamLock } from './lock.js';
import { StreamLease } from './lease.js';
import { dropWorkFiles, persistWorkFiles, relocate, restoreWorkFiles, sweepWorkFiles } from './durable-inputs.js';
import { ObjectStateDir, openStateDir, type StateDir } from '../state/state-dir.js';
import { SourceReader } from './source-reader.js';
import { createSource, EventSource } from './sources/index.js';
import type { StreamSource } from './sources/source.js';
import { streamSpecOf } from '../config/stream-spec.js';

export interface StreamOptions extends LoadOptions, Pick<RunOptions, 'workers' | 'keepGoing' | 'timeoutMs' | 'threads' | 'sampleRows'> {
  /** Where logs, snapshots and run records go: a folder or an s3:// / az:// URI (default: `.odibi/` beside the config). */
  stateDir?: string | StateDir;
  /** Stop after this many batches (replays count). */
  maxBatches?: number;
  /** Stop after this long with no new input. */
  untilIdleMs?: number;
  /** How often sources are polled when nothing wakes the stream (default 1000 ms). */
  triggerIntervalMs?: number;
  /** Stream progress: batches, waiting, the end. */
  onEvent?: (event: StreamEvent) => void;
  /** Subscribers to every batch's run events. */
  hooks?: Hook[];
  clock?: Clock;
  /**
   * Keep the offsets and commits logs (default true). Without them a restart reprocesses
   * everything: only for measuring what checkpointing costs.
   */
  checkpoint?: boolean;
  /** Tests: called at each step of a batch; throwing there simulates a crash at that point. */
  faults?: (point: FaultPoint, batchId: number) => void | Promise<void>;
}

export type FaultPoint = 'planned' | 'after_offsets' | 'after_run' | 'after_commit';

const KEEP_BATCHES = 1000;

export interface StreamStatus {
  stream: string;
  state: 'starting' | 'waiting' | 'running' | 'stopped' | 'failed';
  batches: number;
  lastBatch?: { batchId: number; rowsIn: number; rowsOut: number; lagMs?: number; at: string };
  lastCommitted?: number;
  error?: string;
}

export interface StreamSummary {
  batches: number;
  reason: 'max_batches' | 'until_idle' | 'stopped' | 'failed';
  lastCommitted?: number;
  error?: Error;
}

/** A running stream. */
export class StreamHandle {
  readonly stream: string;
  readonly stateDir: string;
  /** Resolves when the stream ends (never rejects: a failure is in the summary). */
  readonly done: Promise<StreamSummary>;
  readonly #sources: StreamSource[];
  readonly #stop: () => void;
  readonly #status: () => StreamStatus;

  constructor(init: { stream: string; stateDir: string; sources: StreamSource[]; done: Promise<StreamSummary>; stop: () => void; status: () => StreamStatus }) {
    this.stream = init.stream;
    this.stateDir = init.stateDir;
    this.#sources = init.sources;
    this.done = init.done;
    this.#stop = init.stop;
    this.#status = init.status;
  }

  /** Ends the stream after the batch in progress (SIGTERM does this in the CLI). */
  stop(): Promise<StreamSummary> {
    this.#stop();
    return this.done;
  }

  status(): StreamStatus {
    return this.#status();
  }

  /** Sends records to an event-mode step; resolves once they are durably accepted. */
  async emit(step: string, records: Record<string, unknown>[]): Promise<number> {
    return this.#eventSource(step).receive(records);
  }

  /** The HTTP endpoint of an event-mode step. */
  endpoint(step: string): string | undefined {
    return this.#eventSource(step).endpoint;
  }

  #eventSource(step: string): EventSource {
    const s = this.#sources.find((x) => x.step === step);
    if (!(s instanceof EventSource)) {
      const events = this.#sources.filter((x) => x instanceof EventSource).map((x) => x.step);
      throw new StreamError(`step '${step}' is not an event-mode streaming step`, { hint: events.length ? `event steps: ${events.join(', ')}` : 'give an ingest step params.stream {"mode": "event"}' });
    }
    return s;
  }
}

/** Starts a stream; resolves once its sources are listening. */
export async function startStream(config: string | Pipeline, options: StreamOptions = {}): Promise<StreamHandle> {
  const pipeline = typeof config === 'string' ? (await loadPipeline(config, options)).pipeline : config;
  const streaming = pipeline.steps.filter((s) => s.layer === 'ingest' && s.params.stream !== undefined);
  if (!streaming.length) {
    throw new StreamError(`no step of ${pipeline.file} streams`, { file: pipeline.file, hint: 'give an ingest step params.stream, e.g. {"mode": "file_watch", "pattern": "*.csv"}; or use `odibi run` for a one-off run' });
  }
  checkAppendTargets(pipeline);
  const stateRoot = await openStateDir(options.stateDir ?? defaultStateDir(pipeline));
  const stateDir = stateRoot.location;
  // Checked once here, as `odibi run` checks before it runs; batches then skip the check.
  const { problems } = await dryRun(pipeline, { cacheDir: path.join(stateRoot.cacheDir, 'typecheck'), objectCacheDir: path.join(stateRoot.cacheDir, 'objects') });
  if (problems.length) throw new ConfigError(problems, pipeline.file);
  const rel = `streams/${pipeline.name.replace(/[^\w.-]/g, '_')}`;
  // The sources' work files (snapshots, the event inbox): in the state dir, or beside the caches
  // when the state dir is on a store (see durable-inputs.ts).
  const dir = stateRoot.local !== undefined ? stateRoot.where(rel) : path.join(stateRoot.cacheDir, rel);
  const clock = options.clock ?? systemClock;
  // A display that throws becomes a hook_error event and never stops the stream.
  const bus = new Bus<StreamEvent, StreamEventDraft>((draft, timestamp) => ({ ...draft, timestamp }) as StreamEvent, (error) => ({ type: 'hook_error', error }), { now: () => new Date(clock.now()) });
  if (options.onEvent) bus.on(options.onEvent);
  const emit = (e: StreamEventDraft) => bus.emit(e);
  const log = (message: string) => emit({ type: 'stream_log', stream: pipeline.name, message });
  const checkpoint = options.checkpoint !== false;
  await mkdir(dir, { recursive: true });
  const lock = stateRoot instanceof ObjectStateDir ? await StreamLease.acquire(stateRoot, `${rel}/lock`) : await StreamLock.acquire(dir);
  const lost = () => (lock instanceof StreamLease ? lock.lost : undefined);
  const reader = new SourceReader(pipeline);
  const sources = streaming.map((step) => createSource({ step, pipeline, dir, clock, reader, log }, streamSpecOf(step)!));

  let wakeController = new AbortController();
  let woken = false;
  const wake = () => {
    woken = true;
    wakeController.abort();
  };
  let stopping = false;
  const status: StreamStatus = { stream: pipeline.name, state: 'starting', batches: 0 };
  const batchLog = new BatchLog(stateRoot, rel, log);

  let recovered: Awaited<ReturnType<BatchLog['recover']>> = {};
  try {
    await sweepLeftovers(pipeline, log);
    if (checkpoint) {
      recovered = await batchLog.recover();
      const { commit, pending } = recovered;
      if (commit) commit.state = relocate(commit.state, commit.workDir, dir);
      if (pending) pending.sources = relocate(pending.sources, pending.workDir, dir);
      for (const m of await restoreWorkFiles(stateRoot, rel, dir, commit?.state, pending?.sources)) log(`${m} is named by the stream's log but is not on the store`);
      await sweepWorkFiles(stateRoot, rel, dir, commit?.state, pending?.sources);
      await checkSinkParts(pipeline, recovered.pending?.batchId ?? recovered.commit?.batchId ?? -1);
    }
    for (const s of sources) await s.start(wake, recovered.commit?.state[s.step]);
  } catch (err) {
    await Promise.allSettled(sources.map((s) => s.close()));
    await reader.close();
    await lock.release();
    throw err;
  }

  const loop = async (): Promise<StreamSummary> => {
    let state: Record<string, unknown> = recovered.commit?.state ?? {};
    let nextId = recovered.commit ? recovered.commit.batchId + 1 : 0;
    let pending: OffsetsEntry | undefined = recovered.pending;
    status.lastCommitted = recovered.commit?.batchId;
    emit({
      type: 'stream_start', stream: pipeline.name, stateDir, lastCommitted: recovered.commit?.batchId, replaying: pending?.batchId,
      sources: sources.map((s) => ({ step: s.step, mode: s.mode, ...(s instanceof EventSource && s.endpoint ? { endpoint: s.endpoint } : {}) })),
    });
    let batches = 0;
    let idleSince = clock.now();
    const waiting = new Set<string>();
    const fault = async (point: FaultPoint, id: number) => options.faults?.(point, id);

    for (;;) {
      if (stopping) return { batches, reason: 'stopped', lastCommitted: status.lastCommitted };
      if (lost()) throw new StreamError(`${lost()}; stopping without planning another batch`, { hint: 'two processes ran this stream: keep one (this one has stopped)' });
      if (options.maxBatches !== undefined && batches >= options.maxBatches) return { batches, reason: 'max_batches', lastCommitted: status.lastCommitted };

      let entry: OffsetsEntry | undefined;
      const replay = !!pending;
      if (pending) {
        entry = pending;
        pending = undefined;
      } else {
        woken = false;
        entry = await planBatch(sources, state, nextId, waiting, log);
        if (!entry) {
          if (options.untilIdleMs !== undefined && clock.now() - idleSince >= options.untilIdleMs) {
            return { batches, reason: 'until_idle', lastCommitted: status.lastCommitted };
          }
          if (status.state !== 'waiting') emit({ type: 'stream_waiting', stream: pipeline.name, idleMs: clock.now() - idleSince });
          status.state = 'waiting';
          if (!woken && !stopping) {
            wakeController = new AbortController();
            // While a source waits for its first input, a due timer would only spin: poll instead.
            const due = waiting.size ? [] : sources.map((s) => s.nextDueIn?.(state[s.step])).filter((d): d is number => d !== undefined);
            const idleLeft = options.untilIdleMs === undefined ? Infinity : Math.max(0, options.untilIdleMs - (clock.now() - idleSince));
            await clock.sleep(Math.min(options.triggerIntervalMs ?? 1000, idleLeft, ...due), wakeController.signal);
          }
          continue;
        }
        await fault('planned', entry.batchId);
        if (checkpoint) {
          entry.workDir = dir;
          await persistWorkFiles(stateRoot, rel, dir, entry.sources);
          await batchLog.writeOffsets(entry);
        }
      }
      const id = entry.batchId;
      await fault('after_offsets', id);

      status.state = 'running';
      emit({ type: 'batch_start', stream: pipeline.name, batchId: id, replay, inputs: Object.fromEntries(Object.entries(entry.sources).map(([k, v]) => [k, v.input?.files.length ?? 0])) });
      const available = Object.values(entry.sources).map((v) => v.availableAt).filter((a): a is number => a !== undefined);
      const batch: BatchContext = {
        stream: pipeline.name, id, replay, ...(available.length && !replay ? { availableAt: Math.min(...available) } : {}),
        inputs: Object.fromEntries(Object.entries(entry.sources).filter(([, v]) => v.input).map(([k, v]) => [k, v.input!])),
      };
      const t0 = clock.now();
      let result: RunResult;
      try {
        result = await runPipeline(pipeline, {
          workers: options.workers, keepGoing: false, timeoutMs: options.timeoutMs, threads: options.threads, sampleRows: options.sampleRows,
          stateDir: stateRoot, hooks: options.hooks, batch, check: false,
        });
      } catch (err) {
        return failed(err, id, replay, t0, batches);
      }
      if (result.status !== 'success') {
        const step = result.failed[0];
        const why = step ? result.record.steps[step]?.error : result.record.error;
        const err = new StreamError(`batch ${id} failed${step ? ` at step '${step}'` : ''}: ${why?.message ?? 'see the run record'}`, {
          step, hint: `nothing of batch ${id} was committed; fix the cause and start the stream again: the batch is replayed with the same input (run record ${result.recordPath ?? result.runId})`,
        });
        return failed(err, id, replay, t0, batches, result);
      }
      await fault('after_run', id);

      const nextState = { ...state };
      for (const [step, so] of Object.entries(entry.sources)) nextState[step] = so.nextState;
      const rowsIn = Object.keys(entry.sources).reduce((n, step) => n + (result.results.get(step)?.rowsOut ?? 0), 0);
      const rowsOut = pipeline.steps.filter((s) => s.layer === 'store' || s.layer === 'publish').reduce((n, s) => n + (result.results.get(s.name)?.rowsOut ?? 0), 0);
      const commit: CommitEntry = {
        version: 1, batchId: id, committedAt: new Date(clock.now()).toISOString(), runId: result.runId, rowsIn, rowsOut,
        durationMs: clock.now() - t0, state: nextState, workDir: dir,
      };
      if (lost()) throw new StreamError(`${lost()}; batch ${id} is not committed`, { hint: 'two processes ran this stream: keep one (this one has stopped); the batch is replayed by the one that holds the lock' });
      if (checkpoint) {
        await batchLog.writeCommit(commit);
        await dropWorkFiles(stateRoot, rel, dir, [entry.sources, state], nextState);
      }
      await fault('after_commit', id);
      for (const s of sources) {
        const so = entry.sources[s.step];
        if (so?.offset != null) await s.committed(so.offset, nextState[s.step]).catch((err) => log(`cleanup after batch ${id} failed: ${errorMessage(err)}`));
      }
      state = nextState;
      nextId = id + 1;
      batches++;
      status.batches = batches;
      status.lastCommitted = id;
      idleSince = clock.now();
      const lagMs = batch.availableAt === undefined ? undefined : Math.max(0, clock.now() - batch.availableAt);
      status.lastBatch = { batchId: id, rowsIn, rowsOut, lagMs, at: commit.committedAt };
      emit({ type: 'batch_end', stream: pipeline.name, batchId: id, replay, status: 'success', runId: result.runId, rowsIn, rowsOut, durationMs: commit.durationMs, lagMs });
      if (checkpoint && id % 100 === 99) {
        // A long-running stream keeps the newest 1,000 batches' log entries and run records.
        const runStore = new RunStore(stateRoot);
        for (const runId of await batchLog.purge(KEEP_BATCHES)) await runStore.remove(runId);
      }
    }
  };

  const failed = (err: unknown, id: number, replay: boolean, t0: number, batches: number, result?: RunResult): StreamSummary => {
    const error = err instanceof Error ? err : new Error(String(err));
    status.error = errorMessage(error);
    emit({ type: 'batch_end', stream: pipeline.name, batchId: id, replay, status: 'failed', runId: result?.runId ?? '', rowsIn: 0, rowsOut: 0, durationMs: clock.now() - t0, error: toErrorInfo(error) });
    return { batches, reason: 'failed', lastCommitted: status.lastCommitted, error };
  };

  const done = loop()
    .catch((err: unknown): StreamSummary => {
      const error = err instanceof Error ? err : new Error(String(err));
      status.error = errorMessage(error);
      return { batches: status.batches, reason: 'failed', lastCommitted: status.lastCommitted, error };
    })
    .then(async (summary) => {
      status.state = summary.reason === 'failed' ? 'failed' : 'stopped';
      await Promise.allSettled(sources.map((s) => s.close()));
      await reader.close();
      await lock.release();
      emit({ type: 'stream_end', stream: pipeline.name, batches: summary.batches, reason: summary.reason, ...(summary.error ? { error: toErrorInfo(summary.error) } : {}) });
      return summary;
    });

  return new StreamHandle({
    stream: pipeline.name, stateDir, sources, done,
    stop: () => {
      stopping = true;
      wake();
    },
    status: () => structuredClone(status),
  });
}

/** Runs a stream until it ends (`maxBatches`, `untilIdleMs`, or a stop); throws if a batch failed. */
export async function runContinuous(config: string | Pipeline, options: StreamOptions = {}): Promise<StreamSummary> {
  const summary = await (await startStream(config, options)).done;
  if (summary.error) throw summary.error;
  return summary;
}

/**
 * The next batch's offsets: what each source has that is new. Undefined when nothing is new, or
 * when a source that has nothing has never had input (its empty table would have no shape yet).
 */
async function planBatch(sources: StreamSource[], state: Record<string, unknown>, batchId: number, waiting: Set<string>, log: (m: string) => void): Promise<OffsetsEntry | undefined> {
  const planned: Record<string, SourceOffset> = {};
  let any = false;
  for (const s of sources) {
    const p = await s.plan(state[s.step], batchId);
    if (p) {
      planned[s.step] = { mode: s.mode, offset: p.offset, input: p.input, nextState: p.nextState, availableAt: p.availableAt };
      any = true;
    }
  }
  if (!any) return undefined;
  for (const s of sources) {
    if (planned[s.step]) continue;
    const empty: BatchInput | undefined = s.empty(state[s.step]);
    if (!empty) {
      if (!waiting.has(s.step)) log(`waiting for the first input of streaming step '${s.step}' before running batches`);
      waiting.add(s.step);
      return undefined;
    }
    planned[s.step] = { mode: s.mode, offset: null, input: empty, nextState: state[s.step] };
  }
  return { version: 1, batchId, plannedAt: new Date().toISOString(), sources: planned };
}

function appendSinks(pipeline: Pipeline): StepConfig[] {
  return pipeline.steps.filter((s) => (s.layer === 'store' || s.layer === 'publish') && s.params.mode === 'append');
}

/**
 * Append sinks must be idempotent by batch id: one folder each (two would overwrite each other's
 * parts), and files only (an INSERT into a connection's table would be repeated by a replay).
 */
function checkAppendTargets(pipeline: Pipeline): void {
  const seen = new Map<string, string>();
  for (const s of appendSinks(pipeline)) {
    if (typeof s.params.connection === 'string' && !objectConnection(pipeline, s.params.connection)) {
      throw new StreamError(`step '${s.name}' appends to a table of connection '${s.params.connection}', which a replayed batch would insert twice`, {
        step: s.name, hint: 'in a stream, append to files (a folder of parts named by batch id), or use "mode": "overwrite" for the table',
      });
    }
    const target = sinkFolderId(pipeline, s);
    const other = seen.get(target);
    if (other) throw new StreamError(`steps '${other}' and '${s.name}' both append to ${target}`, { step: s.name, hint: 'in a stream each append sink needs its own folder (parts are named by batch id)' });
    seen.set(target, s.name);
  }
}

/**
 * A part of a batch the logs do not know (past the last committed or pending batch) means the
 * stream's state dir was deleted or changed: new batches would overwrite such parts.
 */
async function checkSinkParts(pipeline: Pipeline, lastKnown: number): Promise<void> {
  for (const s of appendSinks(pipeline)) {
    if (typeof s.params.connection === 'string' && !objectConnection(pipeline, s.params.connection)) continue;
    const dir = sinkFolderId(pipeline, s);
    const names = await partNames(pipeline, s);
    const beyond = names.map(partIdOf).filter((id): id is number => id !== undefined && id > lastKnown);
    if (beyond.length) {
      throw new StreamError(`${dir} holds parts of batches up to ${Math.max(...beyond)}, but this stream's logs ${lastKnown < 0 ? 'are empty' : `end at batch ${lastKnown}`}`, {
        step: s.name, hint: 'the stream state dir was deleted or changed: restore it, or empty the sink folder to start over (new batches would overwrite those parts)',
      });
    }
  }
}


/** An append sink's folder as one string (a local path, or the URI of an object-store prefix). */
function sinkFolderId(pipeline: Pipeline, s: StepConfig): string {
  return objectUriOf(pipeline, s, s.value.replace(/\/+$/, '')) ?? resolvePath(pipeline, s.value);
}

/** The names in an append sink's folder, local or on an object store (none if it is not there yet). */
async function partNames(pipeline: Pipeline, s: StepConfig): Promise<string[]> {
  if (!onObjectStore(pipeline, s)) return readdir(resolvePath(pipeline, s.value)).catch(() => [] as string[]);
  const loc = await locate(pipeline, s, `${s.value.replace(/\/+$/, '')}/`);
  if (!loc) return [];
  const names: string[] = [];
  for await (const o of loc.store.list(folderPrefix(loc.key))) {
    const name = o.key.slice(loc.key.length);
    if (!name.includes('/')) names.push(name);
  }
  return names;
}
