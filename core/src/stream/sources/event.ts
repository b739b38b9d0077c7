/**
 * event: a batch per arrival of events. Events come as an HTTP POST to the endpoint the stream
 * opens on 127.0.0.1 (`params.stream.port`, `path`; default /events), or from TypeScript through
 * the stream handle's `emit`. An event is acknowledged only once it is written and flushed to the
 * source's inbox, so an acknowledged event is never lost; the batch that takes it deletes it from
 * the inbox after committing.
 *
 * POST bodies: a JSON object (one record), a JSON array of records, or NDJSON
 * (content-type application/x-ndjson). Answers 202 {"accepted": n}; 400 with a message otherwise.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { StepError } from '../../errors.js';
import { writeFileAtomic } from '../../shared/atomic-write.js';
import type { BatchInput } from '../../steps/batch-input.js';
import type { StreamSpec } from '../../config/stream-spec.js';
import { sourceDir } from './snapshots.js';
import type { PlannedInput, SourceContext, StreamSource } from './source.js';

interface EventState {
  /** Inbox name of the last event file taken. */
  upTo?: string;
  /** The newest taken file (shape of an empty batch). */
  last?: string;
}

const MAX_BODY = 64 * 1024 * 1024;
const INBOX_NAME = /^\d{15}-\d{6}\.ndjson$/;

export class EventRejected extends Error {}

export class EventSource implements StreamSource {
  readonly mode = 'event' as const;
  readonly step: string;
  readonly #ctx: SourceContext;
  readonly #spec: Extract<StreamSpec, { mode: 'event' }>;
  readonly #inbox: string;
  #server?: Server;
  #wake: () => void = () => undefined;
  #lastName = '';
  /** Names being written: a batch takes only names before the first of them, so none is skipped. */
  readonly #writing = new Set<string>();
  endpoint?: string;

  constructor(ctx: SourceContext, spec: Extract<StreamSpec, { mode: 'event' }>) {
    this.#ctx = ctx;
    this.step = ctx.step.name;
    this.#spec = spec;
    this.#inbox = path.join(sourceDir(ctx), 'inbox');
  }

  async start(wake: () => void): Promise<void> {
    this.#wake = wake;
    const existing = await this.#names();
    this.#lastName = existing[existing.length - 1] ?? '';
    this.#server = createServer((req, res) => void this.#serve(req, res));
    await new Promise<void>((resolve, reject) => {
      this.#server!.once('error', (err: NodeJS.ErrnoException) => reject(new StepError(this.step, `cannot listen on 127.0.0.1:${this.#spec.port}: ${err.code ?? err.message}`, {
        hint: err.code === 'EADDRINUSE' ? 'another process uses this port: stop it, or set params.stream.port to a free port (0 picks one)' : undefined,
      })));
      this.#server!.listen(this.#spec.port, '127.0.0.1', () => resolve());
    });
    const addr = this.#server.address() as { port: number };
    this.endpoint = `http://127.0.0.1:${addr.port}${this.#spec.path}`;
    this.#ctx.log(`listening for events on ${this.endpoint}`);
  }

  /** Accepts records: written durably to the inbox before this resolves. */
  async receive(records: unknown[]): Promise<number> {
    if (!records.length) return 0;
    for (const [i, r] of records.entries()) {
      if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new EventRejected(`record ${i + 1} is not a JSON object`);
    }
    const name = this.#nextName();
    this.#writing.add(name);
    try {
      await writeFileAtomic(path.join(this.#inbox, name), `${records.map((r) => JSON.stringify(r)).join('\n')}\n`, { durable: true });
    } finally {
      this.#writing.delete(name);
    }
    this.#wake();
    return records.length;
  }

  async plan(state: unknown): Promise<PlannedInput | undefined> {
    const upTo = (state as EventState | undefined)?.upTo ?? '';
    // Decided before listing: names given out later, and names still being written, wait for the
    // next batch. Otherwise an earlier name finishing after a later one could fall below upTo.
    const assigned = this.#lastName;
    const before = [...this.#writing].sort()[0];
    const names = (await this.#names()).filter((n) => n > upTo && n <= assigned && (before === undefined || n < before));
    if (!names.length) return undefined;
    const files = names.map((n) => path.join(this.#inbox, n));
    return {
      offset: { events: names },
      input: { files, format: 'ndjson', options: {} },
      nextState: { upTo: names[names.length - 1], last: files[files.length - 1] } satisfies EventState,
      availableAt: Number(names[0].slice(0, 15)),
    };
  }

  empty(state: unknown): BatchInput | undefined {
    const last = (state as EventState | undefined)?.last;
    return last ? { files: [], format: 'ndjson', options: {}, like: last } : undefined;
  }

  /**
   * Deletes the events of earlier batches, keeping this batch's: its commit entry is not fsynced,
   * so after a machine crash the batch may be replayed and must still find its input.
   */
  async committed(offset: unknown, state: unknown): Promise<void> {
    const st = state as EventState;
    const mine = new Set((offset as { events?: string[] } | null)?.events ?? []);
    const done = (await this.#names()).filter((n) => n <= (st.upTo ?? '') && !mine.has(n));
    await Promise.all(done.map((n) => rm(path.join(this.#inbox, n), { force: true })));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
    this.#server?.closeAllConnections();
  }

  /** Inbox names sort in arrival order; a restarted stream continues after the newest. */
  #nextName(): string {
    const lastMs = Number(this.#lastName.slice(0, 15) || 0);
    const lastSeq = Number(this.#lastName.slice(16, 22) || 0);
    // Never reuse or go below the newest name, even if the clock went back or did not move.
    const ms = Math.max(this.#ctx.clock.now(), lastMs);
    const seq = ms === lastMs ? lastSeq + 1 : 1;
    const name = `${String(ms).padStart(15, '0')}-${String(seq).padStart(6, '0')}.ndjson`;
    this.#lastName = name;
    return name;
  }

  async #names(): Promise<string[]> {
    try {
      return (await readdir(this.#inbox)).filter((n) => INBOX_NAME.test(n)).sort();
    } catch {
      return [];
    }
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, body: Record<string, unknown>) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
    };
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== this.#spec.path) return reply(404, { error: `no endpoint ${url.pathname}; POST events to ${this.#spec.path}` });
    if (req.method !== 'POST') return reply(405, { error: 'POST JSON records to this endpoint' });
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > MAX_BODY) throw new EventRejected(`the body is larger than ${MAX_BODY / 1024 / 1024} MB; send smaller batches`);
        chunks.push(chunk as Buffer);
      }
      const accepted = await this.receive(parseBody(Buffer.concat(chunks).toString('utf8'), String(req.headers['content-type'] ?? '')));
      reply(202, { accepted });
    } catch (err) {
      if (err instanceof EventRejected) return reply(400, { error: err.message });
      reply(500, { error: `could not store the events: ${(err as Error).message}` });
    }
  }
}

function parseBody(text: string, contentType: string): unknown[] {
  if (/ndjson|jsonl/i.test(contentType)) {
    return text.split('\n').filter((l) => l.trim()).map((l, i) => {
      try {
        return JSON.parse(l) as unknown;
      } catch {
        throw new EventRejected(`line ${i + 1} is not valid JSON`);
      }
    });
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new EventRejected('the body is not valid JSON (send an object, an array of objects, or NDJSON with content-type application/x-ndjson)');
  }
  return Array.isArray(body) ? body : [body];
}
