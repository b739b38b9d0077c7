/**
 * What a step handler gets to do its work: its config, a DuckDB session of its own, the run's
 * connections, a way to stage atomic outputs, and a logger. Handlers never see the executor.
 */
import path from 'node:path';
import { isUrl } from '../shared/url.js';
import type { Pipeline, StepConfig } from '../config/model.js';
import type { Session } from '../engine/duckdb-engine.js';
import type { BadRows } from '../exec/events.js';
import type { Connection } from '../engine/connections.js';
import type { StagingOwner, StagedAction, StagedFile } from '../engine/staging.js';
import type { BatchContext } from './batch-input.js';

export interface ConnectionRegistry {
  get(name: string): Connection | undefined;
  set(name: string, connection: Connection): void;
}

export interface StepContext {
  readonly step: StepConfig;
  readonly pipeline: Pipeline;
  readonly runId: string;
  readonly session: Session;
  /**
   * Stores a query's result as dataset `key` (inputs: alias → dataset key, bound as table names): a
   * table, or a view when the plan fuses the dataset into the one step that reads it.
   */
  produce(key: string, selectSql: string, inputs?: Readonly<Record<string, string>>): Promise<void>;
  readonly connections: ConnectionRegistry;
  readonly signal: AbortSignal;
  /** Scratch folder of the run (downloads and the like), removed at its end. */
  readonly tmpDir: string;
  /** Where objects read from S3 or Azure are kept between runs, by ETag (storage/read-cache.ts). */
  readonly objectCacheDir: string;
  /** A temp file that replaces `finalPath` when the run commits. */
  stage(finalPath: string): Promise<StagedFile>;
  /** Registers a write that becomes visible when the run commits. */
  addStaged(action: StagedAction): void;
  log(message: string): void;
  openSession(): Promise<Session>;
  /** Set when the run is a micro-batch of a stream. */
  readonly batch?: BatchContext;
  /** Whose name staged writes go under (a worker stages for its coordinator); default this process. */
  readonly stagingOwner?: StagingOwner;
}

/** What a handler reports back; the runner measures datasets itself. */
export interface HandlerResult {
  /** Rows written to a sink (store, publish). */
  rowsWritten?: number;
  /** Input rows that did not parse (an ingest's params.on_bad_rows). */
  badRows?: BadRows;
}

export type StepHandler = (ctx: StepContext) => Promise<HandlerResult | void>;

export { isUrl };

/** Relative paths in a config resolve against the config file's folder. */
export function resolvePath(pipeline: Pipeline, p: string): string {
  return isUrl(p) ? p : path.resolve(pipeline.baseDir, p);
}

export function firstInput(step: StepConfig): { alias: string; key: string } {
  const [alias, key] = Object.entries(step.inputs)[0];
  return { alias, key };
}

export function onlyOutput(step: StepConfig): { alias: string; key: string } {
  const [alias, key] = Object.entries(step.outputs)[0];
  return { alias, key };
}
