/**
 * nats: a NATS JetStream subject read through a durable pull consumer, exactly once. The step's
 * value is the NATS URL; each message's JSON payload becomes a row (a payload that is not a JSON
 * object becomes `_value`), plus `_seq`, its stream sequence.
 *
 * The stream owns its durable consumer: at start it is (re)created to deliver from the sequence
 * after the last committed batch, so messages a killed process was given and never logged come
 * again, in order. A batch's messages are written to a snapshot before the batch is logged, and the
 * offsets log records the sequence range; a replay reads the snapshot. Acks (awaited, `ackAck`) go
 * out only after the batch commits; a message delivered again that a committed batch took (its
 * sequence is at or below the committed one) is acknowledged and skipped.
 */
import path from 'node:path';
import type { Consumer, JsMsg, NatsConnection, Subscription } from 'nats';
import { StepError } from '../../errors.js';
import { writeFileAtomic } from '../../shared/atomic-write.js';
import { withoutCredentials } from '../../shared/url.js';
import type { StreamSpec } from '../../config/stream-spec.js';
import type { BatchInput } from '../../steps/batch-input.js';
import { keepOnly, sourceDir } from './snapshots.js';
import type { PlannedInput, SourceContext, StreamSource } from './source.js';

interface NatsState {
  /** The stream sequence of the last message a committed batch took. */
  lastSeq?: number;
  /** The newest snapshot (shape of an empty batch). */
  last?: string;
}

interface NatsOffset {
  first: number;
  last: number;
  count: number;
}

/** Long enough for a slow batch; a message not acked by then is delivered again (and skipped if committed). */
const ACK_WAIT_NS = 5 * 60 * 1e9;

export class NatsSource implements StreamSource {
  readonly mode = 'nats' as const;
  readonly step: string;
  readonly #ctx: SourceContext;
  readonly #spec: Extract<StreamSpec, { mode: 'nats' }>;
  #nc?: NatsConnection;
  #consumer?: Consumer;
  #wakeSub?: Subscription;
  /** Messages taken by the batch in flight, to ack once it commits. */
  #held: JsMsg[] = [];

  constructor(ctx: SourceContext, spec: Extract<StreamSpec, { mode: 'nats' }>) {
    this.#ctx = ctx;
    this.step = ctx.step.name;
    this.#spec = spec;
  }

  async start(wake: () => void, committed?: unknown): Promise<void> {
    const { connect, AckPolicy, DeliverPolicy } = await import('nats');
    const { stream, subject, durable, maxMessages } = this.#spec;
    const url = this.#ctx.step.value;
    try {
      this.#nc = await connect({ servers: url, timeout: 5000, maxReconnectAttempts: 3 });
    } catch (err) {
      throw this.#error(`cannot reach NATS at ${withoutCredentials(url)}: ${(err as Error).message}`, 'start nats-server -js, or fix the step\'s value (nats://host:4222)');
    }
    const jsm = await this.#nc.jetstreamManager();
    try {
      await jsm.streams.info(stream);
    } catch (err) {
      throw this.#error(`JetStream stream '${stream}' is not there (${(err as Error).message})`, `create it first, e.g. nats stream add ${stream} --subjects '${subject}'`);
    }
    const lastSeq = (committed as NatsState | undefined)?.lastSeq;
    // Recreated from the committed position: anything delivered to a process that died comes again.
    await jsm.consumers.delete(stream, durable).catch(() => undefined);
    await jsm.consumers.add(stream, {
      durable_name: durable, filter_subject: subject, ack_policy: AckPolicy.Explicit, ack_wait: ACK_WAIT_NS,
      max_ack_pending: Math.max(1000, 2 * maxMessages),
      ...(lastSeq === undefined ? { deliver_policy: DeliverPolicy.All } : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: lastSeq + 1 }),
    });
    this.#consumer = await this.#nc.jetstream().consumers.get(stream, durable);
    // Plain NATS sees each message as it is published: a wake-up, so a batch need not wait for the next poll.
    this.#wakeSub = this.#nc.subscribe(subject, { callback: () => wake() });
  }

  async plan(state: unknown, batchId: number): Promise<PlannedInput | undefined> {
    const st = (state ?? {}) as NatsState;
    const consumer = this.#consumer;
    if (!consumer) throw this.#error('the NATS source is not started');
    const info = await this.#call(() => consumer.info());
    const want = Math.min(this.#spec.maxMessages, info.num_pending + info.num_ack_pending);
    if (want === 0) return undefined;
    const taken: JsMsg[] = [];
    const batch = await this.#call(() => consumer.fetch({ max_messages: want, expires: 1000 }));
    for await (const m of batch) {
      if (st.lastSeq !== undefined && m.seq <= st.lastSeq) {
        // A committed batch took it; its ack was lost.
        await m.ackAck().catch(() => undefined);
        continue;
      }
      taken.push(m);
    }
    if (!taken.length) return undefined;
    taken.sort((a, b) => a.seq - b.seq);
    const file = path.join(sourceDir(this.#ctx), `input-${String(batchId).padStart(10, '0')}.ndjson`);
    await writeFileAtomic(file, taken.map((m) => JSON.stringify(rowOf(m))).join('\n') + '\n');
    this.#held = taken;
    const offset: NatsOffset = { first: taken[0].seq, last: taken[taken.length - 1].seq, count: taken.length };
    return {
      offset,
      input: { files: [file], format: 'ndjson', options: {} },
      nextState: { lastSeq: offset.last, last: file } satisfies NatsState,
      availableAt: Math.floor(taken[0].info.timestampNanos / 1e6),
    };
  }

  empty(state: unknown): BatchInput | undefined {
    const last = (state as NatsState | undefined)?.last;
    return last ? { files: [], format: 'ndjson', options: {}, like: last } : undefined;
  }

  /** After the commit: ack the batch's messages (a replayed batch's come again and are acked then), drop older snapshots. */
  async committed(offset: unknown, state: unknown): Promise<void> {
    const o = offset as NatsOffset;
    const mine = this.#held.filter((m) => m.seq >= o.first && m.seq <= o.last);
    this.#held = [];
    await Promise.all(mine.map((m) => m.ackAck()));
    await keepOnly(this.#ctx, [(state as NatsState).last]);
  }

  async close(): Promise<void> {
    this.#wakeSub?.unsubscribe();
    await this.#nc?.close().catch(() => undefined);
    this.#nc = undefined;
  }

  async #call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.#error(`NATS at ${withoutCredentials(this.#ctx.step.value)} failed: ${(err as Error).message}`, 'is nats-server running with JetStream (-js)? The batch was not logged; the stream takes the same messages when it starts again');
    }
  }

  #error(message: string, hint?: string): StepError {
    return new StepError(this.step, message, hint ? { hint } : {});
  }
}

function rowOf(m: JsMsg): Record<string, unknown> {
  const text = new TextDecoder().decode(m.data);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = text;
  }
  return value && typeof value === 'object' && !Array.isArray(value) ? { ...(value as Record<string, unknown>), _seq: m.seq } : { _value: value, _seq: m.seq };
}
