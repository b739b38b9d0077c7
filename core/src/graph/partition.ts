/**
 * Partitioned steps (`params.partition: "files"` on an ingest): which steps of a plan fan out one
 * job per file, or per N files, on the distributed executor. The ingest, then the chain of steps
 * that each read only the previous one's output, are the only reader of it, and work row by row
 * (so running them on part of the rows and stacking the results gives what running them on all
 * rows gives). The chain's last output is the union of the parts; whatever reads it reads them all.
 *
 * Whether a step's SQL is row-wise is DuckDB's to say (its plan: no aggregate, window, sort,
 * limit, join); that check lives with the executor (distributed/partition-probe.ts) and reaches
 * this planning as a function, called on each next step in chain order.
 */
import type { StepConfig } from '../config/model.js';
import { checkInputs, checksOf } from '../config/checks.js';
import type { Plan } from './plan.js';

export interface PartitionChain {
  /** The ingest whose files are split. */
  readonly ingest: string;
  /** Steps after the ingest that run on each part too, in order (may be empty). */
  readonly chain: readonly string[];
  /** Files per part. */
  readonly size: number;
  /** Why the chain stops where it does (for a note on the run). */
  readonly stop: string;
}

/** A step's SQL is row-wise (undefined), or why it is not. */
export type RowWise = (step: StepConfig) => Promise<string | undefined>;

/** The ingest steps of a plan that ask for `partition: "files"`. */
export function partitionedIngests(plan: Plan): StepConfig[] {
  return plan.steps.map((p) => p.step).filter((s) => s.layer === 'ingest' && s.params.partition === 'files');
}

export function filesPerPart(step: StepConfig): number {
  const n = step.params.partition_size;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : 1;
}

/** The chain of one partitioned ingest: the steps after it that run per part, and why it stops. */
export async function partitionChain(plan: Plan, ingest: StepConfig, rowWise: RowWise): Promise<PartitionChain> {
  const readers = new Map<string, StepConfig[]>();
  for (const { step } of plan.steps) {
    // A relationships check reads its dataset too (outside the step's query).
    for (const key of new Set([...Object.values(step.inputs), ...checkInputs(step)])) (readers.get(key) ?? readers.set(key, []).get(key)!).push(step);
  }
  const chain: string[] = [];
  let current = ingest;
  let stop: string;
  for (;;) {
    const outputs = Object.values(current.outputs);
    if (outputs.length !== 1) {
      stop = `${current.name} has ${outputs.length} outputs`;
      break;
    }
    const reads = readers.get(outputs[0]) ?? [];
    if (reads.length !== 1) {
      stop = reads.length === 0 ? `no step of this run reads ${current.name}'s output` : `${current.name}'s output is read by ${reads.length} steps`;
      break;
    }
    const next = reads[0];
    if (next.layer !== 'transform' || next.type !== 'sql' || typeof next.params.connection === 'string') {
      stop = `${next.name} is ${next.layer === 'store' || next.layer === 'publish' ? 'a sink' : next.type === 'function' ? 'a function step' : 'not SQL on DuckDB'}`;
      break;
    }
    if (checksOf(next).length) {
      stop = `${next.name} has data checks, which judge all its rows`;
      break;
    }
    if (Object.keys(next.inputs).length !== 1) {
      stop = `${next.name} reads ${Object.keys(next.inputs).length} datasets`;
      break;
    }
    const why = await rowWise(next);
    if (why) {
      stop = `${next.name} is not row by row (${why})`;
      break;
    }
    chain.push(next.name);
    current = next;
  }
  return { ingest: ingest.name, chain, size: filesPerPart(ingest), stop };
}

/** Splits files into parts of `size`, in order. */
export function splitFiles(files: readonly string[], size: number): string[][] {
  const parts: string[][] = [];
  for (let i = 0; i < files.length; i += size) parts.push(files.slice(i, i + size));
  return parts;
}
