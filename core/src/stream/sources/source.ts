/**
 * A streaming source: the part of a streaming ingest step that finds new input. The stream loop
 * asks each source to plan a batch from its committed state; the plan is recorded in the offsets
 * log before the batch runs, and its `nextState` becomes the committed state after.
 */
import type { Pipeline, StepConfig } from '../../config/model.js';
import type { BatchInput } from '../../steps/batch-input.js';
import type { Clock } from '../../shared/clock.js';
import type { StreamSpec } from '../../config/stream-spec.js';
import type { SourceReader } from '../source-reader.js';

export type StreamMode = StreamSpec['mode'];

export interface SourceContext {
  step: StepConfig;
  pipeline: Pipeline;
  /** The stream's folder in the state dir; a source keeps its files under `<dir>/sources/<step>/`. */
  dir: string;
  clock: Clock;
  /** Reads the step's whole source as the step itself would (for snapshot-based modes). */
  reader: SourceReader;
  log(message: string): void;
}

export interface PlannedInput {
  offset: unknown;
  input: BatchInput;
  nextState: unknown;
  /** When the input became available (ms since epoch). */
  availableAt?: number;
}

export interface StreamSource {
  readonly step: string;
  readonly mode: StreamMode;
  /**
   * Starts watching (a folder, a server); `wake` tells the loop input may have arrived. `committed`
   * is the source's state after the last committed batch (a broker consumer starts after it).
   */
  start(wake: () => void, committed?: unknown): Promise<void>;
  /** New input after the committed `state`, or undefined when there is none now. */
  plan(state: unknown, batchId: number): Promise<PlannedInput | undefined>;
  /** The input of a batch in which this source has nothing new: empty, shaped like earlier input. */
  empty(state: unknown): BatchInput | undefined;
  /** The batch that took `offset` has committed: drop what is no longer needed. */
  committed(offset: unknown, state: unknown): Promise<void>;
  /** Ms until this source may have new input without being woken (a timer), if it has one. */
  nextDueIn?(state: unknown): number | undefined;
  close(): Promise<void>;
}
