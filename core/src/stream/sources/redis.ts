/**
 * redis: a Redis stream read through a consumer group (`XREADGROUP`), exactly once. The step's
 * value is the Redis URL; each entry becomes a row of string columns (its fields) plus `_id`.
 *
 * A batch takes first the entries this consumer was given but never acknowledged and that no
 * committed batch took (a crash between reading and logging the batch), then new ones (`>`). Its
 * entries are written to a snapshot before the batch is logged, and the offsets log records the
 * id range; a replay reads the snapshot, so it reads exactly the same entries. `XACK` goes out only
 * after the batch commits; entries a committed batch took but never acknowledged (a crash between
 * the commit and the ack) are acknowledged by the next plan, never taken again.
 *
 * The group is this stream's own: a second consumer in it would take entries this one never sees.
 */
import path from 'node:path';
import type { Redis } from 'ioredis';
import { StepError } from '../../errors.js';
import { writeFileAtomic } from '../../shared/atomic-write.js';
import { withoutCredentials } from '../../shared/url.js';
import type { StreamSpec } from '../../config/stream-spec.js';
import type { BatchInput } from '../../steps/batch-input.js';
import { keepOnly, sourceDir } from './snapshots.js';
import type { PlannedInput, SourceContext, StreamSource } from './source.js';

interface RedisState {
  /** The id of the last entry a committed batch took. */
  lastId?: string;
  /** The newest snapshot (shape of an empty batch). */
  last?: string;
}

interface RedisOffset {
  first: string;
  last: string;
  count: number;
}

type Entry = [id: string, fields: string[] | null];


export class RedisSource implements StreamSource {
  readonly mode = 'redis' as const;
  readonly step: string;
  readonly #ctx: SourceContext;
  readonly #spec: Extract<StreamSpec, { mode: 'redis' }>;
  #redis?: Redis;

  constructor(ctx: SourceContext, spec: Extract<StreamSpec, { mode: 'redis' }>) {
    this.#ctx = ctx;
    this.step = ctx.step.name;
    this.#spec = spec;
  }

  async start(): Promise<void> {
    const { Redis: IORedis } = await import('ioredis');
    const url = this.#ctx.step.value;
    // No offline queue and few retries: a Redis that is gone fails the batch with its name, not a hang.
    const redis = new IORedis(url, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: false, connectTimeout: 5000 });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
    } catch (err) {
      redis.disconnect();
      throw this.#error(`cannot reach Redis at ${withoutCredentials(url)}: ${(err as Error).message}`, 'start redis-server, or fix the step\'s value (redis://host:6379)');
    }
    this.#redis = redis;
    try {
      await redis.xgroup('CREATE', this.#spec.stream, this.#spec.group, this.#spec.start === 'new' ? '$' : '0', 'MKSTREAM');
      this.#ctx.log(`created consumer group '${this.#spec.group}' on Redis stream '${this.#spec.stream}'`);
    } catch (err) {
      if (!/BUSYGROUP/.test((err as Error).message)) throw this.#error(`cannot create consumer group '${this.#spec.group}': ${(err as Error).message}`);
    }
  }

  async plan(state: unknown, batchId: number): Promise<PlannedInput | undefined> {
    const st = (state ?? {}) as RedisState;
    const redis = this.#client();
    const { stream, group, consumer, maxEntries } = this.#spec;
    // This consumer's pending entries: acknowledge those a committed batch took, keep the rest.
    const pending = entriesOf(await this.#call(() => redis.xreadgroup('GROUP', group, consumer, 'COUNT', maxEntries, 'STREAMS', stream, '0')));
    const done = pending.filter(([id]) => st.lastId !== undefined && compareIds(id, st.lastId) <= 0).map(([id]) => id);
    if (done.length) await this.#call(() => redis.xack(stream, group, ...done));
    const taken = pending.filter(([id, fields]) => fields !== null && (st.lastId === undefined || compareIds(id, st.lastId) > 0));
    if (taken.length < maxEntries) {
      taken.push(...entriesOf(await this.#call(() => redis.xreadgroup('GROUP', group, consumer, 'COUNT', maxEntries - taken.length, 'STREAMS', stream, '>'))).filter(([, f]) => f !== null));
    }
    if (!taken.length) return undefined;
    const file = path.join(sourceDir(this.#ctx), `input-${String(batchId).padStart(10, '0')}.csv`);
    await writeFileAtomic(file, toCsv(taken));
    const offset: RedisOffset = { first: taken[0][0], last: taken[taken.length - 1][0], count: taken.length };
    return {
      offset,
      input: { files: [file], format: 'csv', options: CSV_OPTIONS },
      nextState: { lastId: offset.last, last: file } satisfies RedisState,
      availableAt: Number(offset.first.split('-')[0]),
    };
  }

  empty(state: unknown): BatchInput | undefined {
    const last = (state as RedisState | undefined)?.last;
    return last ? { files: [], format: 'csv', options: CSV_OPTIONS, like: last } : undefined;
  }

  /** After the commit: acknowledge the batch's entries, and drop older snapshots. */
  async committed(offset: unknown, state: unknown): Promise<void> {
    const o = offset as RedisOffset;
    const redis = this.#client();
    const { stream, group, consumer } = this.#spec;
    for (;;) {
      const rows = await redis.xpending(stream, group, o.first, o.last, 1000, consumer) as [string, ...unknown[]][];
      if (!rows.length) break;
      await redis.xack(stream, group, ...rows.map((r) => r[0]));
      if (rows.length < 1000) break;
    }
    await keepOnly(this.#ctx, [(state as RedisState).last]);
  }

  async close(): Promise<void> {
    this.#redis?.disconnect();
    this.#redis = undefined;
  }

  #client(): Redis {
    if (!this.#redis) throw this.#error('the Redis source is not started');
    return this.#redis;
  }

  async #call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.#error(`Redis at ${withoutCredentials(this.#ctx.step.value)} failed: ${(err as Error).message}`, 'is redis-server running? The batch was not logged; the stream takes the same entries when it starts again');
    }
  }

  #error(message: string, hint?: string): StepError {
    return new StepError(this.step, message, hint ? { hint } : {});
  }
}

/** Every field is text, as Redis stores it: no type guessing. */
const CSV_OPTIONS = { header: true, all_varchar: true, allow_quoted_nulls: false };

function entriesOf(reply: unknown): Entry[] {
  // [[stream, [[id, [field, value, …]], …]]] or null when there is nothing.
  const streams = (reply ?? []) as [string, Entry[]][];
  return streams.flatMap(([, entries]) => entries);
}

/** Orders Redis stream ids (`<ms>-<seq>`) numerically. */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt);
  const [bm, bs] = b.split('-').map(BigInt);
  return am !== bm ? (am < bm ? -1 : 1) : as === bs ? 0 : (as ?? 0n) < (bs ?? 0n) ? -1 : 1;
}

/** Entries as CSV: `_id` then the union of their fields, every value quoted; a field an entry lacks is empty (NULL). */
export function toCsv(entries: Entry[]): string {
  const columns: string[] = [];
  const seen = new Set<string>(['_id']);
  const rows = entries.map(([id, fields]) => {
    const row = new Map<string, string>();
    for (let i = 0; i + 1 < (fields ?? []).length; i += 2) {
      const name = fields![i];
      row.set(name, fields![i + 1]);
      if (!seen.has(name)) {
        seen.add(name);
        columns.push(name);
      }
    }
    return { id, row };
  });
  const q = (v: string) => `"${v.replace(/"/g, '""')}"`;
  const lines = [['_id', ...columns].map(q).join(',')];
  for (const { id, row } of rows) lines.push([q(id), ...columns.map((c) => (row.has(c) ? q(row.get(c)!) : ''))].join(','));
  return `${lines.join('\n')}\n`;
}
