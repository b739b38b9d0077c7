/**
 * What the step runner asks of a cache of step outputs, without knowing what keeps them: restore a
 * step's outputs instead of running it, and keep the outputs of a step that ran. Checkpointing
 * (checkpoint/) implements it; the runner never imports checkpoint.
 */
import type { StepConfig } from '../config/model.js';
import type { Session } from '../engine/duckdb-engine.js';
import type { DatasetInfo } from '../exec/events.js';

export interface StepCache {
  /** Puts the step's outputs into the session instead of running it, if it can: the run they came from. */
  restore(step: StepConfig, session: Session): Promise<string | undefined>;
  /** A step ran and succeeded: keep its outputs (as measured). */
  save(step: StepConfig, session: Session, outputs: readonly DatasetInfo[]): Promise<void>;
}
