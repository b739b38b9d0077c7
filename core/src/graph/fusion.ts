/**
 * Fusion: which datasets of a plan need not be stored as tables. A dataset that exactly one SQL
 * step of the plan reads, and that is itself the result of a file read or of SQL on DuckDB, becomes
 * a view: DuckDB then plans the producer's query inside its consumer's (a CSV scan runs inside the
 * cleaning query, a filter inside the aggregate) instead of writing and re-reading a table.
 *
 * Datasets read twice or more, read by a sink or a function step, read by no step of the plan (a
 * result the user looks at), or produced by a connection, an API or a function stay tables. The
 * decision is data: the runner creates views for the keys listed, and `odibi run --explain` shows it.
 */
import type { StepConfig } from '../config/model.js';
import { checkInputs, checksOf } from '../config/checks.js';
import { isUrl } from '../shared/url.js';
import type { Plan } from './plan.js';

/**
 * How deep views may nest: a long chain of single-consumer steps is cut into tables every so
 * often, so a failing query never unfolds into dozens of steps' SQL and DuckDB's planner never
 * sees a thousand-level view.
 */
export const MAX_INLINE_DEPTH = 8;

export interface InlinedDataset {
  /** The step that defines the view. */
  readonly producer: string;
  /** The one step that reads it, into whose query DuckDB plans it. */
  readonly consumer: string;
}

/** What happens to one dataset of the plan, and why (for `odibi run --explain`). */
export interface DatasetPlan {
  readonly key: string;
  readonly producer: string;
  /** Steps of the plan that read it, once per read. */
  readonly readers: readonly string[];
  readonly storage: 'view' | 'table';
  readonly reason: string;
}

export interface Fusion {
  /** Dataset key → who defines and who reads it, for every dataset kept as a view. */
  readonly inlined: ReadonlyMap<string, InlinedDataset>;
  /** Every dataset a step of the plan produces, in plan order. */
  readonly datasets: readonly DatasetPlan[];
}

export interface FusionOptions {
  /** False: every dataset is a table (`odibi run --no-fuse`, checkpoints, stream batches). */
  enabled?: boolean;
  /** Why fusion is off, when it is (shown by --explain). */
  disabledBecause?: string;
}

/** Params that give a step its own retries or time limit: inside its reader's query it would lose them. */
const OWN_POLICY = ['retries', 'retry_delay_ms', 'timeout_ms'];

/** A step whose output can be a view: a local file read, or SQL that runs on DuckDB itself. */
function producesView(step: StepConfig): boolean {
  if (Object.keys(step.outputs).length !== 1) return false;
  // A file read against a schema is read (and its bad rows counted) when its step runs.
  if (step.layer === 'ingest' && step.type === 'config_op') return !!step.value && !isUrl(step.value) && step.params.schema === undefined;
  return step.type === 'sql' && typeof step.params.connection !== 'string' && (step.layer === 'ingest' || step.layer === 'transform');
}

/** A step that reads its inputs through DuckDB SQL, and so can read a view as well as a table. */
function readsThroughSql(step: StepConfig): boolean {
  return step.layer === 'transform' && step.type === 'sql' && typeof step.params.connection !== 'string';
}

export function planFusion(plan: Plan, options: FusionOptions = {}): Fusion {
  const enabled = options.enabled !== false;
  // Every read of every dataset by a step of the plan (one step reading a key twice counts twice).
  const readers = new Map<string, string[]>();
  for (const { step } of plan.steps) {
    // A relationships check reads its `to` dataset too.
    for (const key of [...Object.values(step.inputs), ...checkInputs(step)]) (readers.get(key) ?? readers.set(key, []).get(key)!).push(step.name);
  }
  const byName = new Map(plan.steps.map((p) => [p.step.name, p.step]));
  const inlined = new Map<string, InlinedDataset>();
  const datasets: DatasetPlan[] = [];
  // Depth of a step's output: 1 + the deepest view it reads.
  const depth = new Map<string, number>();
  for (const { step } of plan.steps) {
    const d = 1 + Math.max(0, ...Object.values(step.inputs).map((k) => (inlined.has(k) ? depth.get(inlined.get(k)!.producer)! : 0)));
    depth.set(step.name, d);
    for (const key of Object.values(step.outputs)) {
      const reads = readers.get(key) ?? [];
      const consumer = reads.length === 1 ? byName.get(reads[0])! : undefined;
      const table = (reason: string) => datasets.push({ key, producer: step.name, readers: reads, storage: 'table', reason });
      if (!enabled) table(options.disabledBecause ?? 'fusion is off');
      else if (!producesView(step)) table(step.type === 'function' ? 'made by a function step' : 'made by a connection, an API or a download, not a query DuckDB can inline');
      else if (reads.length === 0) table('no step of this run reads it: kept as a result');
      else if (reads.length > 1) table(`read by ${reads.length} steps`);
      else if (checksOf(step).length) table(`${step.name} has data checks, which read it`)
      // A check reads a dataset on its own, outside its step's query: only a table is there to read.
      else if (checkInputs(consumer!).includes(key)) table(`a data check of ${consumer!.name} reads it`)
      else if (OWN_POLICY.some((p) => step.params[p] !== undefined)) table(`${step.name} sets its own ${OWN_POLICY.filter((p) => step.params[p] !== undefined).join(', ')}, which only a step of its own keeps`);
      else if (!readsThroughSql(consumer!)) table(`read by ${consumer!.name}, ${consumer!.type === 'function' ? 'a function step' : consumer!.layer === 'store' || consumer!.layer === 'publish' ? 'a sink' : 'a step on another connection'}, which needs a table`);
      else if (d > MAX_INLINE_DEPTH) table(`${MAX_INLINE_DEPTH} views in a row: stored to keep queries small`);
      else {
        inlined.set(key, { producer: step.name, consumer: consumer!.name });
        datasets.push({ key, producer: step.name, readers: reads, storage: 'view', reason: `read only by ${consumer!.name}, inside its query` });
      }
    }
  }
  return { inlined, datasets };
}
