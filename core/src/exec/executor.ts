/**
 * Runs a plan: starts each step as soon as everything it depends on has succeeded, at most
 * `workers` at a time; retries with backoff; enforces timeouts; stops starting new work after a
 * failure (fail-fast) or, with keepGoing, skips only the failed step's dependents. Every change is
 * reported as an event. Outputs are committed together at the end, or rolled back.
 */
import { errorMessage, OdibiError, StepCancelledError, StepTimeoutError } from '../errors.js';
import type { Plan, PlannedStep } from '../graph/plan.js';
import { CommitFailure, OutputTransaction, type StagedAction } from '../engine/staging.js';
import type { BadRows, BatchRef, DatasetInfo, ErrorInfo, SchemaDiff } from './events.js';
import type { EventBus } from './event-bus.js';
import { backoffMs, policyOf } from './retry.js';

export interface StepResult {
  /** Null: an input was inlined (a view), so not counted. */
  rowsIn: number | null;
  /** Null: the output was inlined into its consumer, so not counted. */
  rowsOut: number | null;
  inputs: DatasetInfo[];
  outputs: DatasetInfo[];
  schemaDiff?: SchemaDiff;
  /** Writes that become visible when the run commits. */
  staged: StagedAction[];
  /** Set when a resumed run took the outputs from this run's checkpoint instead of running. */
  restoredFrom?: string;
  /** The worker process that ran it, when it ran on one (host:pid). */
  worker?: string;
  /** Input rows that did not parse, and what was done with them (an ingest's params.on_bad_rows). */
  badRows?: BadRows;
}

/** Runs one attempt of one step. The executor owns policy; the runner owns the work. */
export interface StepRunner {
  run(planned: PlannedStep, attempt: number, signal: AbortSignal): Promise<StepResult>;
}

export interface ExecuteOptions {
  workers: number;
  keepGoing?: boolean;
  /** Default per-step timeout when a step sets none. */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Cancels the run (Ctrl-C): running steps are stopped, nothing new starts, outputs roll back. */
  signal?: AbortSignal;
  /** The stream micro-batch this run is, reported in run_start. */
  batch?: BatchRef;
  /** Where steps run when not in this process (reported in run_start). */
  executor?: string;
}

export interface RunSummary {
  status: 'success' | 'failed';
  succeeded: string[];
  failed: string[];
  skipped: string[];
  results: Map<string, StepResult>;
  /** The error each failed step ended with, as thrown (for callers that show it, like a notebook cell). */
  errors: Map<string, unknown>;
  committed: string[];
  /** Why committing the outputs failed, when it did. */
  commitError?: ErrorInfo;
  durationMs: number;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof OdibiError) return { name: err.name, message: err.message, hint: err.hint };
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'Error', message: String(err) };
}

export async function execute(plan: Plan, runner: StepRunner, bus: EventBus, options: ExecuteOptions): Promise<RunSummary> {
  const started = Date.now();
  const workers = Math.max(1, Math.floor(options.workers));
  const sleep = options.sleep ?? defaultSleep;
  const byName = new Map(plan.steps.map((p) => [p.step.name, p]));
  const remainingDeps = new Map(plan.steps.map((p) => [p.step.name, p.upstream.length]));
  const pending = new Set(plan.steps.map((p) => p.step.name));
  const succeeded: string[] = [];
  const failed: string[] = [];
  const skipped: string[] = [];
  const results = new Map<string, StepResult>();
  const errors = new Map<string, unknown>();
  const tx = new OutputTransaction();
  let aborted = false;
  const cancel = () => {
    aborted = true;
  };
  options.signal?.addEventListener('abort', cancel, { once: true });

  bus.emit({
    type: 'run_start', pipeline: plan.pipeline.name, configFile: plan.pipeline.file,
    steps: plan.steps.map((p) => p.step.name), levels: plan.levels.map((l) => [...l]), workers,
    ...(options.batch ? { batch: options.batch } : {}), ...(options.executor ? { executor: options.executor } : {}),
  });
  for (const name of plan.deselected) {
    const s = plan.dag.steps.get(name)!;
    bus.emit({ type: 'step_skipped', step: name, layer: s.layer, reason: 'deselected', detail: 'not selected by --only/--skip' });
  }

  const skip = (name: string, reason: 'upstream_failed' | 'run_aborted', detail: string) => {
    if (!pending.delete(name)) return;
    skipped.push(name);
    bus.emit({ type: 'step_skipped', step: name, layer: byName.get(name)!.step.layer, reason, detail });
  };
  const skipDownstream = (name: string) => {
    const stack = [...byName.get(name)!.downstream];
    while (stack.length) {
      const d = stack.pop()!;
      if (!pending.has(d)) continue;
      skip(d, 'upstream_failed', `upstream step '${name}' failed`);
      stack.push(...byName.get(d)!.downstream);
    }
  };

  /** Runs a step through its attempts; resolves true if it succeeded. */
  const runWithPolicy = async (planned: PlannedStep): Promise<boolean> => {
    const { step } = planned;
    const policy = policyOf(step, { timeoutMs: options.timeoutMs });
    for (let attempt = 1; ; attempt++) {
      bus.emit({ type: 'step_start', step: step.name, layer: step.layer, attempt });
      const t0 = performance.now();
      try {
        const result = await guarded(step.name, policy.timeoutMs, options.signal, (signal) => runner.run(planned, attempt, signal));
        results.set(step.name, result);
        tx.add(result.staged);
        succeeded.push(step.name);
        bus.emit({
          type: 'step_success', step: step.name, layer: step.layer, attempt, durationMs: performance.now() - t0,
          rowsIn: result.rowsIn, rowsOut: result.rowsOut, inputs: result.inputs, outputs: result.outputs,
          schemaDiff: result.schemaDiff, writes: result.staged.map((s) => s.target),
          ...(result.restoredFrom ? { restoredFrom: result.restoredFrom } : {}), ...(result.worker ? { worker: result.worker } : {}),
          ...(result.badRows ? { badRows: result.badRows } : {}),
        });
        return true;
      } catch (err) {
        if (attempt <= policy.retries && !aborted) {
          const delayMs = backoffMs(policy, attempt);
          bus.emit({ type: 'step_retry', step: step.name, layer: step.layer, attempt, error: toErrorInfo(err), delayMs });
          await sleep(delayMs);
          // Another step may have failed the run while this one waited.
          if (!aborted) continue;
        }
        failed.push(step.name);
        errors.set(step.name, err);
        bus.emit({ type: 'step_error', step: step.name, layer: step.layer, attempt, durationMs: performance.now() - t0, error: toErrorInfo(err) });
        return false;
      }
    }
  };

  await new Promise<void>((resolve) => {
    let running = 0;
    // Steps whose dependencies have all succeeded, in plan order: each completion only looks at
    // its own downstream steps, so scheduling stays linear in the size of the graph.
    const ready = plan.steps.filter((p) => p.upstream.length === 0).map((p) => p.step.name);
    const pump = () => {
      while (!aborted && running < workers && ready.length) {
        const name = ready.shift()!;
        if (!pending.delete(name)) continue;
        running++;
        void runWithPolicy(byName.get(name)!).then((ok) => {
          running--;
          if (!ok) {
            if (options.keepGoing) skipDownstream(name);
            else aborted = true;
          } else {
            for (const d of byName.get(name)!.downstream) {
              const left = remainingDeps.get(d)! - 1;
              remainingDeps.set(d, left);
              if (left === 0) ready.push(d);
            }
          }
          pump();
        });
      }
      if (running === 0) {
        const why = options.signal?.aborted ? 'the run was cancelled' : `run stopped after '${failed[0]}' failed (use --keep-going to run independent steps)`;
        for (const name of [...pending]) skip(name, 'run_aborted', why);
        resolve();
      }
    };
    pump();
  });

  options.signal?.removeEventListener('abort', cancel);
  let committed: string[] = [];
  let commitError: ErrorInfo | undefined;
  // A cancelled run commits nothing, even with keepGoing.
  const commit = !options.signal?.aborted && (failed.length === 0 || options.keepGoing);
  try {
    if (commit) committed = await tx.commit();
    else await tx.rollback();
  } catch (err) {
    if (err instanceof CommitFailure) committed = err.committed;
    commitError = {
      name: 'CommitError',
      message: `committing outputs failed: ${errorMessage(err)}`,
      hint: committed.length ? `these outputs were already replaced: ${committed.join(', ')}; rerun after fixing the cause` : 'no output was changed; rerun after fixing the cause',
    };
    await tx.rollback();
  }
  const status = failed.length === 0 && !commitError ? 'success' : 'failed';
  const durationMs = Date.now() - started;
  bus.emit({ type: 'run_end', status, durationMs, succeeded: succeeded.length, failed: failed.length, skipped: skipped.length + plan.deselected.length, committed, error: commitError });
  await bus.flush();
  return { status, succeeded, failed, skipped, results, errors, committed, ...(commitError ? { commitError } : {}), durationMs };
}

/**
 * Runs one attempt, stopping it when its timeout passes or the run is cancelled: the attempt's
 * signal aborts (the runner interrupts its query) and the attempt fails at once.
 */
async function guarded<T>(step: string, timeoutMs: number, run: AbortSignal | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  if (!timeoutMs && !run) return work(controller.signal);
  let timer: NodeJS.Timeout | undefined;
  let onCancel: (() => void) | undefined;
  const stopped = new Promise<never>((_, reject) => {
    if (timeoutMs) {
      timer = setTimeout(() => {
        controller.abort();
        reject(new StepTimeoutError(step, `timed out after ${timeoutMs} ms`, { hint: 'raise params.timeout_ms, or make the step faster' }));
      }, timeoutMs);
    }
    onCancel = () => {
      controller.abort();
      reject(new StepCancelledError(step, 'cancelled', { hint: 'the run was interrupted; no output was changed' }));
    };
    if (run?.aborted) onCancel();
    else run?.addEventListener('abort', onCancel, { once: true });
  });
  try {
    return await Promise.race([work(controller.signal), stopped]);
  } finally {
    clearTimeout(timer);
    if (onCancel) run?.removeEventListener('abort', onCancel);
  }
}
