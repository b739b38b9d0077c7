/**
 * The tracker: an event subscriber that keeps a RunRecord per run (status, attempts, durations,
 * rows in/out, schema, samples, schema diff, lineage) and saves it as JSON in the state dir at
 * the start and the end of the run. Events arrive already redacted.
 */
import type { Plan } from '../graph/plan.js';
import type { EventBus } from '../exec/event-bus.js';
import type { RunEvent } from '../exec/events.js';
import type { LineageEntry, RunRecord, StepRecord } from './run-record.js';
import type { RunStore } from './run-store.js';

export class Tracker {
  readonly record: RunRecord;
  readonly #store?: RunStore;
  #writes: Promise<unknown> = Promise.resolve();

  constructor(plan: Plan, runId: string, options: { store?: RunStore; runOptions?: Record<string, unknown> } = {}) {
    this.#store = options.store;
    const steps: Record<string, StepRecord> = {};
    for (const name of plan.dag.order) {
      const s = plan.dag.steps.get(name)!;
      steps[name] = { name, layer: s.layer, status: 'pending', attempts: 0, logs: [] };
    }
    const lineage: Record<string, LineageEntry> = {};
    for (const [key, producer] of plan.dag.producers) lineage[key] = { producer, consumers: [] };
    for (const s of plan.dag.steps.values()) for (const key of Object.values(s.inputs)) lineage[key]?.consumers.push(s.name);
    this.record = {
      version: 1, runId, pipeline: plan.pipeline.name, configFile: plan.pipeline.file, status: 'running',
      startedAt: new Date().toISOString(), options: options.runOptions ?? {}, levels: plan.levels.map((l) => [...l]),
      steps, lineage, committed: [],
    };
  }

  attach(bus: EventBus): () => void {
    return bus.on(async (e) => {
      await this.handle(e);
    });
  }

  /** Resolves once every save started so far is on disk. */
  saved(): Promise<unknown> {
    return this.#writes;
  }

  handle(e: RunEvent): Promise<unknown> | void {
    const r = this.record;
    const step = 'step' in e ? r.steps[e.step] : undefined;
    switch (e.type) {
      case 'run_start':
        r.startedAt = e.timestamp;
        if (e.batch) r.batch = e.batch;
        return this.#save();
      case 'step_start':
        step!.status = 'running';
        step!.attempts = e.attempt;
        step!.startedAt ??= e.timestamp;
        return;
      case 'step_retry':
        (step!.retries ??= []).push(e.error);
        return;
      case 'step_success': {
        const first = e.outputs[0];
        Object.assign(step!, {
          status: 'success', attempts: e.attempt, endedAt: e.timestamp, durationMs: Math.round(e.durationMs),
          rowsIn: e.rowsIn, rowsOut: e.rowsOut, inputs: e.inputs, outputs: e.outputs, schemaDiff: e.schemaDiff,
          schema: first?.schema ?? e.inputs[0]?.schema, sample: first?.sample, writes: e.writes,
          ...(e.restoredFrom ? { restoredFrom: e.restoredFrom } : {}), ...(e.worker ? { worker: e.worker } : {}),
          ...(e.badRows ? { badRows: e.badRows } : {}),
        });
        return;
      }
      case 'step_error':
        Object.assign(step!, { status: 'failed', attempts: e.attempt, endedAt: e.timestamp, durationMs: Math.round(e.durationMs), error: e.error });
        return;
      case 'step_skipped':
        Object.assign(step!, { status: 'skipped', skipReason: e.reason, skipDetail: e.detail });
        return;
      case 'step_log':
        step!.logs.push(e.message);
        return;
      case 'step_check': {
        // A retry runs the checks again: the latest result of each is kept.
        const checks = (step!.checks ??= []);
        const at = checks.findIndex((c) => c.name === e.check.name);
        if (at >= 0) checks[at] = e.check;
        else checks.push(e.check);
        return;
      }
      case 'run_log':
        (r.logs ??= []).push({ level: e.level, message: e.message });
        return;
      case 'run_end':
        Object.assign(r, { status: e.status, endedAt: e.timestamp, durationMs: e.durationMs, committed: e.committed, error: e.error });
        if (r.batch?.availableAt && e.status === 'success') r.batch.lagMs = Math.max(0, Date.parse(e.timestamp) - Date.parse(r.batch.availableAt));
        return this.#save();
      default:
        return;
    }
  }

  #save(): Promise<unknown> {
    if (!this.#store) return Promise.resolve();
    const snapshot = structuredClone(this.record);
    this.#writes = this.#writes.then(() => this.#store!.save(snapshot));
    return this.#writes;
  }
}
