/**
 * The typed events of a run: the one channel through which the executor reports. The tracker,
 * CLI progress, JSON logs and the kernel's display all subscribe to these; none of them reaches
 * into the executor.
 */
import type { Layer } from '../config/model.js';
import type { ColumnSchema } from '../engine/duckdb-engine.js';

/** A dataset as a step saw it: enough for the tracker's schema, sample and lineage records. */
export interface DatasetInfo {
  key: string;
  alias: string;
  /** Null when the dataset was never stored: a view read inside its one consumer (see inlinedInto). */
  rows: number | null;
  schema: ColumnSchema[];
  /** Up to 5 rows, JSON-safe. Only for outputs that were stored. */
  sample?: Record<string, unknown>[];
  /** The step whose query reads this dataset as a view (fusion): it was never stored on its own. */
  inlinedInto?: string;
}

export interface SchemaDiff {
  added: ColumnSchema[];
  removed: ColumnSchema[];
  changed: { name: string; from: string; to: string }[];
}

export interface ErrorInfo {
  name: string;
  message: string;
  hint?: string;
}

interface EventBase {
  runId: string;
  /** ISO-8601 time the event was emitted. */
  timestamp: string;
}

/** Which micro-batch of which stream a run is. */
export interface BatchRef {
  stream: string;
  id: number;
  /** A replay of a batch planned but not committed before a crash. */
  replay: boolean;
  /** When the batch's oldest input became available. */
  availableAt?: string;
  /** From then until the run committed the batch's outputs (set in the run record at its end). */
  lagMs?: number;
}

export interface RunStartEvent extends EventBase {
  type: 'run_start';
  pipeline: string;
  configFile: string;
  steps: string[];
  levels: string[][];
  workers: number;
  /** Where steps run, when not in this process: `bullmq` (queued for `odibi worker`s). */
  executor?: string;
  batch?: BatchRef;
}
export interface StepStartEvent extends EventBase {
  type: 'step_start';
  step: string;
  layer: Layer;
  attempt: number;
}
export interface StepRetryEvent extends EventBase {
  type: 'step_retry';
  step: string;
  layer: Layer;
  attempt: number;
  error: ErrorInfo;
  delayMs: number;
}
export interface StepSuccessEvent extends EventBase {
  type: 'step_success';
  step: string;
  layer: Layer;
  attempt: number;
  durationMs: number;
  /** Null when an input was inlined (a view) and so never counted on its own. */
  rowsIn: number | null;
  /** Null when the output was inlined into its consumer. */
  rowsOut: number | null;
  inputs: DatasetInfo[];
  outputs: DatasetInfo[];
  schemaDiff?: SchemaDiff;
  /** Files or tables this step writes when the run commits. */
  writes: string[];
  /** Restored from this run's checkpoint (odibi run --resume) instead of run. */
  restoredFrom?: string;
  /** The worker process that ran it (`--executor bullmq`). */
  worker?: string;
  /** Input rows that did not parse (an ingest's params.on_bad_rows: skipped or quarantined). */
  badRows?: BadRows;
}
/** What an ingest did with rows that did not parse. */
export interface BadRows {
  policy: 'skip' | 'quarantine';
  count: number;
}
export interface StepErrorEvent extends EventBase {
  type: 'step_error';
  step: string;
  layer: Layer;
  attempt: number;
  durationMs: number;
  error: ErrorInfo;
}
export type SkipReason = 'deselected' | 'upstream_failed' | 'run_aborted';
export interface StepSkippedEvent extends EventBase {
  type: 'step_skipped';
  step: string;
  layer: Layer;
  reason: SkipReason;
  detail: string;
}
export interface StepLogEvent extends EventBase {
  type: 'step_log';
  step: string;
  message: string;
}
/** Something a run says outside any step: housekeeping it did, a warning. */
export interface RunLogEvent extends EventBase {
  type: 'run_log';
  level: 'info' | 'warning';
  message: string;
}
export interface HookErrorEvent extends EventBase {
  type: 'hook_error';
  error: ErrorInfo;
}
export interface RunEndEvent extends EventBase {
  type: 'run_end';
  status: 'success' | 'failed';
  durationMs: number;
  succeeded: number;
  failed: number;
  skipped: number;
  /** Outputs made visible by the commit at the end of the run. */
  committed: string[];
  /** Why the run failed outside any step (e.g. the commit failed). */
  error?: ErrorInfo;
}

/** One data check of a step (`params.checks`), as it ran. */
export interface CheckResult {
  name: string;
  type: 'not_null' | 'unique' | 'accepted_values' | 'row_count' | 'relationships' | 'freshness' | 'sql';
  severity: 'error' | 'warn';
  passed: boolean;
  /** Rows that fail it (for row_count and freshness: 1 when failed). */
  failing: number;
  /** What was found, in words (`3 rows have NULL device_id`). */
  message: string;
  /** Up to 5 failing rows, JSON-safe. */
  sample?: Record<string, unknown>[];
}
/** A data check ran on a step's data (before the step ends: an error check that fails fails it). */
export interface StepCheckEvent extends EventBase {
  type: 'step_check';
  step: string;
  check: CheckResult;
}

export type RunEvent =
  | RunStartEvent | StepStartEvent | StepRetryEvent | StepSuccessEvent | StepErrorEvent
  | StepSkippedEvent | StepLogEvent | StepCheckEvent | RunLogEvent | HookErrorEvent | RunEndEvent;
export type RunEventType = RunEvent['type'];
export type EventOf<T extends RunEventType> = Extract<RunEvent, { type: T }>;

/** An event before the bus stamps it. */
export type EventDraft = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'runId' | 'timestamp'> : never) : never;

export type Hook = (event: RunEvent) => void | Promise<void>;
