/** The tracker's record of one run, as saved to `<state-dir>/runs/<run-id>.json`. */
import type { Layer } from '../config/model.js';
import type { ColumnSchema } from '../engine/duckdb-engine.js';
import type { BadRows, BatchRef, CheckResult, DatasetInfo, ErrorInfo, SchemaDiff, SkipReason } from '../exec/events.js';

export type StepStatus = 'pending' | 'running' | 'success' | 'failed' | 'skipped';

export interface StepRecord {
  name: string;
  layer: Layer;
  status: StepStatus;
  attempts: number;
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  /** Null where a dataset was inlined (a view read inside its consumer) and never counted. */
  rowsIn?: number | null;
  rowsOut?: number | null;
  /** Schema of the (first) output dataset. */
  schema?: ColumnSchema[];
  /** Up to 5 rows of the (first) output. */
  sample?: Record<string, unknown>[];
  inputs?: DatasetInfo[];
  outputs?: DatasetInfo[];
  schemaDiff?: SchemaDiff;
  writes?: string[];
  error?: ErrorInfo;
  retries?: ErrorInfo[];
  skipReason?: SkipReason;
  /** Restored from this run's checkpoint instead of run. */
  restoredFrom?: string;
  /** The worker that ran it (`--executor bullmq`): host and pid. */
  worker?: string;
  skipDetail?: string;
  /** Input rows that did not parse, skipped or quarantined (an ingest's params.on_bad_rows). */
  badRows?: BadRows;
  /** Its data checks' results, in order (params.checks). */
  checks?: CheckResult[];
  logs: string[];
}

export interface LineageEntry {
  producer: string;
  consumers: string[];
}

export interface RunRecord {
  version: 1;
  runId: string;
  pipeline: string;
  configFile: string;
  status: 'running' | 'success' | 'failed';
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
  options: Record<string, unknown>;
  levels: string[][];
  steps: Record<string, StepRecord>;
  /** dataset key → producing step → consuming steps */
  lineage: Record<string, LineageEntry>;
  committed: string[];
  error?: ErrorInfo;
  /** Set when the run was a micro-batch of a stream. */
  batch?: BatchRef;
  /** What the run said outside its steps (run_log events). */
  logs?: { level: 'info' | 'warning'; message: string }[];
}
