/**
 * @odibi/core — the public API. Everything else is internal.
 *
 * @example
 * import { runPipeline } from '@odibi/core';
 * const result = await runPipeline('pipeline.json', { workers: 4 });
 */

/** Configs */
export { readRawPipeline } from './config/load.js';
export { loadPipeline, validatePipeline } from './load/pipeline.js';
export type { LoadOptions } from './config/load.js';
export type { ValidatedPipeline } from './config/validate.js';
export { LAYERS, STEP_TYPES } from './config/model.js';
export type { Layer, Pipeline, StepConfig, StepType, RawPipeline, RawStep } from './config/model.js';
export { Redactor } from './config/env.js';

/** Graph and plan */
export { createPlan, dagOf } from './graph/plan.js';
export type { Plan, PlannedStep, PlanOptions } from './graph/plan.js';
export { planFusion, MAX_INLINE_DEPTH } from './graph/fusion.js';
export type { Fusion, DatasetPlan, InlinedDataset, FusionOptions } from './graph/fusion.js';
export type { Dag } from './graph/dag.js';
export { suggest as didYouMean } from './shared/suggest.js';

/** Running */
export { runPipeline, defaultStateDir, fusionFor } from './run.js';
export type { RunOptions, RunResult } from './run.js';
export { EventBus } from './exec/event-bus.js';
export { execute } from './exec/executor.js';
export type { StepRunner, StepResult, RunSummary, ExecuteOptions } from './exec/executor.js';
export type * from './exec/events.js';

/** Streaming */
export { startStream, runContinuous, StreamHandle } from './stream/stream.js';
export type { StreamOptions, StreamStatus, StreamSummary, FaultPoint } from './stream/stream.js';
export type * from './stream/events.js';
export { ManualClock, systemClock } from './shared/clock.js';
export type { Clock } from './shared/clock.js';
export { BatchLog } from './stream/batch-log.js';
export type { OffsetsEntry, CommitEntry } from './stream/batch-log.js';
export { streamFromFlags, StreamFlagError, type StreamFlags } from './stream/flags.js';
export { parseDuration } from './shared/duration.js';

/** Scheduling */
export { Scheduler } from './schedule/scheduler.js';
export type { SchedulerOptions, ScheduleEvent, ScheduleSummary, OverlapPolicy, MissedPolicy, FireReason } from './schedule/scheduler.js';
export { scheduleFromFlags, timedTrigger, TriggerError } from './schedule/trigger.js';
export type { ScheduleFlags, TriggerSpec, TimedTrigger } from './schedule/trigger.js';

/** Checkpoints (odibi run --checkpoint / --resume) */
export { LocalCheckpointStore } from './checkpoint/store.js';
export { ObjectCheckpointStore } from './checkpoint/object-checkpoint-store.js';
export { checkpointStoreOf } from './checkpoint/open-store.js';
export { stateDirAt, openStateDir, type StateDir } from './state/state-dir.js';
export type { CheckpointStore, CheckpointEntry, CheckpointDataset, PendingCheckpoint } from './checkpoint/store.js';

/** Tracking */
export { Tracker } from './tracker/tracker.js';
export { RunStore } from './tracker/run-store.js';
export type { RunRecord, StepRecord, LineageEntry } from './tracker/run-record.js';

/** Notebooks */
export { NotebookSession } from './interactive/notebook-session.js';
export type { DefineResult, DefineOptions, StepFields, NotebookSessionOptions } from './interactive/notebook-session.js';
export { parseMagic, splitArgs } from './interactive/magic-parse.js';
export type { MagicCall } from './interactive/magic-parse.js';
export { datasetDeclarations, type DatasetSchema } from './interactive/dataset-types.js';
export { declareStep, stepFromMagic, upsertStep, MagicUsageError, STEP_MAGICS } from './interactive/magic-steps.js';
export { checkFromMagic, CHECK_USAGE } from './interactive/magic-check.js';
export { readSqlStructure, type SqlStructure, type SqlSyntaxError, type TableRef } from './sql/structure.js';
export type { MagicStep } from './interactive/magic-steps.js';
export { identifier, writeFunctionModule } from './interactive/function-module.js';
export { convertNotebook } from './interactive/convert-notebook.js';
export type { ConvertOptions, ConvertResult } from './interactive/convert-notebook.js';

/** Rendering */
export { toMermaid } from './render/mermaid.js';
export { toDot } from './render/dot.js';
export { toSvg } from './render/svg.js';
export type { SvgOptions, StepState } from './render/svg.js';

/** Errors */
export { OdibiError, ConfigError, SelectionError, StepError, StepTimeoutError, StepCancelledError, StreamError, errorMessage } from './errors.js';
export type { ConfigProblem } from './errors.js';
