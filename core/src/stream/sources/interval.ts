/**
 * interval: the whole source is read again every `every`, and each read is one batch. The read is
 * snapshot to Parquet before the batch runs, so a replay after a crash uses the same data.
 */
import type { BatchInput } from '../../steps/batch-input.js';
import { writeParquet } from '../snapshot.js';
import { batchFile, keepOnly } from './snapshots.js';
import type { PlannedInput, SourceContext, StreamSource } from './source.js';

interface IntervalState {
  /** When the last batch's read was due (ms since epoch). */
  tick?: number;
  last?: string;
}

export class IntervalSource implements StreamSource {
  readonly mode = 'interval' as const;
  readonly step: string;
  readonly #ctx: SourceContext;
  readonly #everyMs: number;

  constructor(ctx: SourceContext, spec: { everyMs: number }) {
    this.#ctx = ctx;
    this.step = ctx.step.name;
    this.#everyMs = Math.max(1, spec.everyMs);
  }

  async start(): Promise<void> {}

  nextDueIn(state: unknown): number | undefined {
    const tick = (state as IntervalState | undefined)?.tick;
    return tick === undefined ? 0 : Math.max(0, tick + this.#everyMs - this.#ctx.clock.now());
  }

  async plan(state: unknown, batchId: number): Promise<PlannedInput | undefined> {
    const st = (state ?? {}) as IntervalState;
    const now = this.#ctx.clock.now();
    if (st.tick !== undefined && now < st.tick + this.#everyMs) return undefined;
    // Ticks stay on the grid of the first one; ticks missed while stopped are not made up.
    const tick = st.tick === undefined ? now : st.tick + Math.floor((now - st.tick) / this.#everyMs) * this.#everyMs;
    const input = batchFile(this.#ctx, 'input', batchId);
    await this.#ctx.reader.read(this.step, (s, table) => writeParquet(s, `SELECT * FROM ${table}`, input));
    return {
      offset: { tick: new Date(tick).toISOString() },
      input: { files: [input], format: 'parquet', options: {} },
      nextState: { tick, last: input } satisfies IntervalState,
      availableAt: tick,
    };
  }

  empty(state: unknown): BatchInput | undefined {
    const last = (state as IntervalState | undefined)?.last;
    return last ? { files: [], format: 'parquet', options: {}, like: last } : undefined;
  }

  async committed(_offset: unknown, state: unknown): Promise<void> {
    await keepOnly(this.#ctx, [(state as IntervalState).last]);
  }

  async close(): Promise<void> {}
}
