/**
 * What goes over the queue between a coordinator (`odibi run --executor bullmq`) and its workers
 * (`odibi worker`): one job per step attempt, and what the worker answers. Plain JSON: no secrets
 * (a worker loads the config itself, with its own environment) and no closures (staged writes are
 * described, and the coordinator commits them).
 */
import type { StagingOwner, Handoff } from '../engine/staging.js';
import type { BadRows, CheckResult, DatasetInfo, ErrorInfo, SchemaDiff } from '../exec/events.js';
import type { BatchContext, BatchInput } from '../steps/batch-input.js';

export const DEFAULT_QUEUE = 'odibi';

export interface StepJob {
  runId: string;
  /** The config file, as the coordinator loaded it: workers must see it at the same path (a shared folder). */
  config: string;
  project?: string;
  /** The profile and the variables the coordinator loaded the config with: the worker loads it the same way. */
  profile?: string;
  vars?: Record<string, string>;
  step: string;
  attempt: number;
  /** Where datasets pass between steps (a folder or an s3:// / az:// URI); this run's are under `<exchange>/<runId>/`. */
  exchange: string;
  /** The dataset keys the step reads, each written to the exchange by the step that made it. */
  inputs: string[];
  /**
   * Steps whose one output is fused into this step (a view inside its query, as in a local run):
   * they run first, on the same worker, in this order, and their outputs never reach the exchange.
   */
  prelude?: string[];
  /** Dataset key → producer and consumer, for every view the prelude defines. */
  fused?: Record<string, { producer: string; consumer: string }>;
  /** The coordinator's name, under which staged writes go: it commits or rolls them back. */
  owner: StagingOwner;
  sampleRows?: number;
  timeoutMs?: number;
  /** Save the step's outputs as a checkpoint under this fingerprint, in this state dir (a shared folder or a URI). */
  checkpoint?: { stateDir: string; fingerprint: string };
  batch?: BatchContext;
  /**
   * Datasets of `inputs` stored as parts (the union of a partitioned chain): key → how many parts,
   * each written by one part job. The step reads them all as one table.
   */
  parts?: Record<string, number>;
  /** One part of a partitioned ingest (graph/partition.ts): `step` is the ingest, run on `input` alone. */
  part?: PartJob;
}

export interface PartJob {
  index: number;
  of: number;
  /** The files of this part, read with the whole glob's column types. */
  input: BatchInput;
  /** The steps after the ingest that run on this part too, in order. */
  chain: string[];
  /** Datasets of the chain kept as views inside the next step's query (as the local run's fusion keeps them). */
  views: string[];
}

/** What one step of a part job did. */
export interface PartStepResult {
  step: string;
  rowsIn: number | null;
  rowsOut: number | null;
  outputs: DatasetInfo[];
  schemaDiff?: SchemaDiff;
}

export type StepJobResult =
  | {
    ok: true;
    worker: string;
    rowsIn: number | null;
    rowsOut: number | null;
    outputs: DatasetInfo[];
    schemaDiff?: SchemaDiff;
    handoff: Handoff[];
    /** A part job: what each step of its chain did (the ingest first). */
    chain?: PartStepResult[];
    badRows?: BadRows;
  }
  | { ok: false; worker: string; error: ErrorInfo; /** A part job: the step that failed, after those in `chain` did their part. */ failedStep?: string; chain?: PartStepResult[] };

/** A step's progress message sent through the job (a step_log on the coordinator). */
export interface StepJobLog {
  log?: string;
  /** A data check's result (a step_check event on the coordinator). */
  check?: CheckResult;
}

/**
 * Cancelling a running job (Ctrl-C, a timeout on the coordinator): published on this channel with
 * the job id, and kept as a key for a worker that takes the job only after the message went out.
 */
export const CANCEL_CHANNEL = 'odibi:cancel';
export const cancelKey = (jobId: string): string => `odibi:cancel:${jobId}`;

/** How a BullMQ job id names one attempt of one step (or one part of it) of one run (`:` is reserved by BullMQ). */
export function jobIdOf(runId: string, step: string, attempt: number, part?: number): string {
  return `${runId}.${attempt}.${step.replace(/[^\w.-]/g, '_')}${part === undefined ? '' : `.part${part}`}`;
}

/** The exchange key of one part of a partitioned dataset. */
export function partKey(key: string, index: number): string {
  return `${key}#part${index}`;
}
