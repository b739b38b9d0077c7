/**
 * incremental: a growing file or table, read the way the step reads it; each batch takes the rows
 * at or above the committed watermark minus `lateness`, without the rows an earlier batch took
 * (their hashes are kept for the lateness window). The batch's rows are snapshot to Parquet before
 * the batch runs, so a replay reads exactly them. The new watermark is committed with the batch.
 */
import { StepError } from '../../errors.js';
import { ident, str } from '../../engine/sql.js';
import type { BatchInput } from '../../steps/batch-input.js';
import { writeParquet } from '../snapshot.js';
import { batchFile, keepOnly } from './snapshots.js';
import type { PlannedInput, SourceContext, StreamSource } from './source.js';

interface IncrementalState {
  /** Highest watermark taken, as DuckDB prints it. */
  watermark?: string;
  /** Hashes of taken rows still inside the lateness window. */
  seen?: string;
  /** The newest batch input (shape of an empty batch). */
  last?: string;
}

const HASH = '__odibi_row_hash';

export class IncrementalSource implements StreamSource {
  readonly mode = 'incremental' as const;
  readonly step: string;
  readonly #ctx: SourceContext;
  readonly #column: string;
  readonly #latenessMs: number;

  constructor(ctx: SourceContext, spec: { watermarkColumn: string; latenessMs: number }) {
    this.#ctx = ctx;
    this.step = ctx.step.name;
    this.#column = spec.watermarkColumn;
    this.#latenessMs = spec.latenessMs;
  }

  async start(): Promise<void> {}

  plan(state: unknown, batchId: number): Promise<PlannedInput | undefined> {
    const st = (state ?? {}) as IncrementalState;
    return this.#ctx.reader.read(this.step, async (s, table) => {
      const cols = await s.describe(table);
      const col = cols.find((c) => c.name === this.#column);
      if (!col) {
        throw new StepError(this.step, `watermark column '${this.#column}' is not in the source (columns: ${cols.map((c) => c.name).join(', ')})`, { hint: 'set params.stream.watermark_column to a timestamp, date or number column' });
      }
      const c = ident(this.#column);
      const lateness = this.#latenessExpr(col.type);
      // >=: a row with the watermark's own value can still arrive; the seen hashes drop the ones taken.
      const above = st.watermark === undefined ? '' : ` AND ${c} >= CAST(${str(st.watermark)} AS ${col.type}) - ${lateness}`;
      await s.run(`CREATE OR REPLACE TEMP TABLE odibi_candidates AS SELECT src.*, hash(src) AS ${HASH} FROM ${table} src WHERE ${c} IS NOT NULL${above}`);
      const unseen = st.seen ? ` WHERE ${HASH} NOT IN (SELECT h FROM read_parquet(${str(st.seen)}))` : '';
      const fresh = `SELECT * EXCLUDE (${HASH}) FROM odibi_candidates${unseen}`;
      const [{ n, w }] = await s.query(`SELECT count(*) AS n, CAST(max(${c}) AS VARCHAR) AS w FROM (${fresh})`);
      if (Number(n) === 0) return undefined;
      const watermark = st.watermark === undefined ? String(w) : String((await s.query(`SELECT CAST(greatest(CAST(${str(st.watermark)} AS ${col.type}), CAST(${str(String(w))} AS ${col.type})) AS VARCHAR) AS w`))[0].w);
      const input = batchFile(this.#ctx, 'input', batchId);
      const seen = batchFile(this.#ctx, 'seen', batchId);
      await writeParquet(s, fresh, input);
      await writeParquet(s, `SELECT DISTINCT ${HASH} AS h FROM odibi_candidates WHERE ${c} >= CAST(${str(watermark)} AS ${col.type}) - ${lateness}`, seen);
      await s.run('DROP TABLE odibi_candidates');
      return {
        offset: { from: st.watermark ?? null, to: watermark, rows: Number(n) },
        input: { files: [input], format: 'parquet', options: {} },
        nextState: { watermark, seen, last: input } satisfies IncrementalState,
        availableAt: this.#ctx.clock.now(),
      };
    });
  }

  empty(state: unknown): BatchInput | undefined {
    const last = (state as IncrementalState | undefined)?.last;
    return last ? { files: [], format: 'parquet', options: {}, like: last } : undefined;
  }

  async committed(_offset: unknown, state: unknown): Promise<void> {
    const st = state as IncrementalState;
    await keepOnly(this.#ctx, [st.seen, st.last]);
  }

  async close(): Promise<void> {}

  #latenessExpr(type: string): string {
    if (/^(TIMESTAMP|DATE)/.test(type)) return `INTERVAL (${this.#latenessMs}) MILLISECOND`;
    if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL)/.test(type)) return String(this.#latenessMs);
    throw new StepError(this.step, `watermark column '${this.#column}' has type ${type}`, { hint: 'the watermark column must be a timestamp, a date or a number (cast it in the source SQL)' });
  }
}
