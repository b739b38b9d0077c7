/**
 * What a streaming ingest step reads in one micro-batch, instead of its whole source: exact files
 * (new files of a watched folder, a snapshot of new rows, received events). Recorded in the
 * offsets log, so a replayed batch reads the same input.
 */
import type { FileFormat } from './formats.js';

export interface BatchInput {
  /** Absolute paths, read together. Empty: the source had nothing new this batch. */
  files: string[];
  format: FileFormat;
  /** Reader options (the step's params.options for its own files; none for snapshots). */
  options: Record<string, unknown>;
  /** With no files: an earlier input whose columns give the empty table its shape. */
  like?: string;
}

/** The batch a pipeline run belongs to: sinks name their parts by its id. */
export interface BatchContext {
  /** Stream name (the pipeline's). */
  stream: string;
  id: number;
  /** A replay of a batch that was planned but not committed before a crash. */
  replay: boolean;
  /** Streaming ingest step → what it reads. Steps not listed read their source as usual. */
  inputs: Readonly<Record<string, BatchInput>>;
  /** When the batch's oldest input became available (ms since epoch), for its lag. */
  availableAt?: number;
}
