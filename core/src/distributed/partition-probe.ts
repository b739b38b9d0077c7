/**
 * The coordinator's look at a run's partitioned ingests before anything is queued: the files each
 * glob matches now (split into parts), the columns DuckDB reads from all of them together, and how
 * far the chain of row-wise steps goes (graph/partition.ts), with DuckDB's own plan deciding what
 * is row-wise. Every part then reads its files with the whole glob's column types, so parts agree
 * with each other and with a local run (a column sniffed as BIGINT in one file and DOUBLE in
 * another is DOUBLE everywhere).
 */
import type { Pipeline, StepConfig } from '../config/model.js';
import { checksOf } from '../config/checks.js';
import { DuckDBEngine, type Session } from '../engine/duckdb-engine.js';
import { namedArgs, str } from '../engine/sql.js';
import { errorMessage } from '../errors.js';
import { partitionChain, partitionedIngests, splitFiles, type PartitionChain } from '../graph/partition.js';
import type { Plan } from '../graph/plan.js';
import { onObjectStore } from '../storage/locate.js';
import type { BatchInput } from '../steps/batch-input.js';
import { isUrl, resolvePath } from '../steps/context.js';
import { formatOf, readerFor } from '../steps/formats.js';

export interface PartitionGroup extends PartitionChain {
  /** What each part's ingest reads: its files, with the whole glob's column types. */
  readonly parts: readonly BatchInput[];
  /** Every dataset the ingest and the chain make, the last one the union of the parts. */
  readonly keys: readonly string[];
  readonly end: string;
}

/** Plan operators a row-wise query may have (the input CTE, scans, filters, projections, unnest). */
const ROW_WISE = new Set(['CTE', 'CTE_SCAN', 'SEQ_SCAN', 'TABLE_SCAN', 'PROJECTION', 'FILTER', 'UNNEST', 'EMPTY_RESULT']);

export async function probePartitions(plan: Plan, o: { note: (message: string) => void; streamed?: ReadonlySet<string> }): Promise<PartitionGroup[]> {
  const ingests = partitionedIngests(plan);
  if (!ingests.length) return [];
  const { pipeline } = plan;
  const engine = await DuckDBEngine.create({ baseDir: pipeline.baseDir, threads: 1 });
  const groups: PartitionGroup[] = [];
  try {
    for (const ingest of ingests) {
      const whole = (why: string) => o.note(`${ingest.name} reads its input whole: ${why}`);
      if (o.streamed?.has(ingest.name)) {
        whole('a stream batch reads only its new input');
        continue;
      }
      if (ingest.params.schema !== undefined) {
        whole('it reads against params.schema, counting bad rows once for all its files');
        continue;
      }
      if (checksOf(ingest).length) {
        whole('it has data checks, which judge all its rows');
        continue;
      }
      if (ingest.type !== 'config_op' || isUrl(ingest.value) || onObjectStore(pipeline, ingest)) {
        whole('partition: "files" splits local files and shared folders (not URLs or object stores yet)');
        continue;
      }
      const session = await engine.session();
      try {
        const group = await probe(pipeline, plan, ingest, session);
        if (typeof group === 'string') whole(group);
        else {
          groups.push(group);
          const files = group.parts.reduce((n, p) => n + p.files.length, 0);
          o.note(`${ingest.name} fans out over ${files} files in ${group.parts.length} parts: ${[ingest.name, ...group.chain].join(' → ')} runs per part (then ${group.stop})`);
        }
      } finally {
        session.close();
      }
    }
  } finally {
    engine.close();
  }
  return groups;
}

async function probe(pipeline: Pipeline, plan: Plan, ingest: StepConfig, session: Session): Promise<PartitionGroup | string> {
  const source = resolvePath(pipeline, ingest.value);
  const files = (await session.query(`SELECT file FROM glob(${str(source)}) ORDER BY file`)).map((r) => String(r.file));
  if (files.length < 2) return `${source} matches ${files.length} file${files.length === 1 ? '' : 's'}`;
  const format = formatOf(ingest.name, ingest.value, ingest.params.format);
  const reader = readerFor(format);
  const options = { ...(ingest.params.options ?? {}) } as Record<string, unknown>;
  const ingestKey = Object.values(ingest.outputs)[0];
  let columns;
  try {
    columns = await session.createEmpty(ingestKey, `SELECT * FROM ${reader.fn}(${str(source)}${namedArgs({ ...reader.defaults, ...options })})`);
  } catch (err) {
    return `DuckDB cannot read ${source}: ${errorMessage(err).split('\n')[0]}`;
  }
  const sniffed = Object.fromEntries(columns.map((c) => [c.name, c.type]));
  // Parquet files carry their types; CSV and JSON ones are sniffed, so each part is told them.
  const typed = format === 'csv'
    ? { ...options, types: { ...sniffed, ...((options.types as object | undefined) ?? {}) } }
    : format === 'parquet' ? options : { ...options, columns: { ...sniffed, ...((options.columns as object | undefined) ?? {}) } };
  const chain = await partitionChain(plan, ingest, async (step) => {
    let ops: string[];
    try {
      ops = await session.planOperators(step.value, step.inputs);
    } catch (err) {
      return `DuckDB cannot plan it: ${errorMessage(err).split('\n')[0]}`;
    }
    const other = ops.find((op) => !ROW_WISE.has(op));
    if (other) return other;
    // Its columns, for the next step's plan.
    await session.createEmpty(Object.values(step.outputs)[0], step.value, step.inputs);
    return undefined;
  });
  const keys = [ingestKey, ...chain.chain.map((name) => Object.values(plan.dag.steps.get(name)!.outputs)[0])];
  return {
    ...chain, keys, end: keys[keys.length - 1],
    parts: splitFiles(files, chain.size).map((part) => ({ files: part, format, options: typed })),
  };
}
