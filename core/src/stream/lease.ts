/**
 * The stream's lock when its state dir is on an object store, where no file link or pid check
 * reaches across machines: a lease object. It is created only if absent (If-None-Match), names
 * its holder (host, pid) and when it expires, and is renewed well before that by a write
 * conditional on its ETag (If-Match), so a holder that lost it finds out. A lease past its expiry,
 * or held by a process of this machine that is gone, is taken over by one conditional write: of two
 * takers, one wins. A killed holder on this machine is replaced at once; on another machine, after
 * the lease expires (ODIBI_LOCK_TTL_MS, 30 s by default).
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { StreamError } from '../errors.js';
import { OWN_START, PID_SPACE, processAlive } from '../shared/process.js';
import type { ObjectStateDir } from '../state/state-dir.js';
import { isPrecondition, type ObjectStore } from '../storage/object-store.js';

interface LeaseBody {
  host: string;
  /** Pids compare only within one pid space (see PID_SPACE). */
  pidSpace: string;
  pid: number;
  start: number;
  token: string;
  expiresAt: string;
}

export function leaseTtlMs(): number {
  const v = Number(process.env.ODIBI_LOCK_TTL_MS);
  return Number.isFinite(v) && v >= 1000 ? v : 30_000;
}

export class StreamLease {
  #etag: string;
  #lost: string | undefined;
  /** When the lease last surely held: its expiry is counted from here. */
  #heldAt = Date.now();
  #renewing = false;
  readonly #timer: NodeJS.Timeout;

  private constructor(private readonly store: ObjectStore, private readonly key: string, readonly uri: string, private readonly body: LeaseBody, etag: string, private readonly ttl: number) {
    this.#etag = etag;
    this.#timer = setInterval(() => void this.#renew(), Math.max(250, Math.floor(ttl / 3)));
    this.#timer.unref();
  }

  static async acquire(state: ObjectStateDir, rel: string): Promise<StreamLease> {
    const store = await state.store();
    const key = state.key(rel);
    const uri = state.where(rel);
    const ttl = leaseTtlMs();
    const body = (): LeaseBody => ({ host: os.hostname(), pidSpace: PID_SPACE, pid: process.pid, start: OWN_START, token: randomUUID(), expiresAt: new Date(Date.now() + ttl).toISOString() });
    for (let attempt = 0; attempt < 5; attempt++) {
      const mine = body();
      try {
        const { etag } = await store.putBytes(key, JSON.stringify(mine), { ifNoneMatch: '*' });
        return new StreamLease(store, key, uri, mine, etag, ttl);
      } catch (err) {
        if (!isPrecondition(err)) throw err;
      }
      const current = await store.getBytes(key);
      if (!current) continue;
      const holder = parse(current.body.toString('utf8'));
      if (holder && !stale(holder)) {
        throw new StreamError(`the stream is already running (process ${holder.pid} on ${holder.host} holds ${uri}, renewed until ${holder.expiresAt})`, {
          hint: 'stop that process first (SIGTERM finishes its batch), or use another --state-dir; a holder that died on another machine is replaced once its lease expires',
        });
      }
      try {
        const { etag } = await store.putBytes(key, JSON.stringify(mine), { ifMatch: current.etag });
        return new StreamLease(store, key, uri, mine, etag, ttl);
      } catch (err) {
        if (!isPrecondition(err)) throw err;
        // Another taker won; look again.
      }
    }
    throw new StreamError(`could not take the stream lock ${uri}`, { hint: 'another process keeps taking it: stop the other stream processes of this state dir' });
  }

  /**
   * Why the lease was lost, once it was: another process took it over, or it could not be renewed
   * for as long as it lasts (another machine may take it over now). The stream must stop.
   */
  get lost(): string | undefined {
    if (!this.#lost && Date.now() - this.#heldAt >= this.ttl) this.#lost = `the stream lock ${this.uri} could not be renewed for ${Math.round(this.ttl / 1000)} s (is the store reachable?)`;
    return this.#lost;
  }

  async #renew(): Promise<void> {
    // One renewal at a time: two in flight with the same ETag would make the second look like a takeover.
    if (this.#lost || this.#renewing) return;
    this.#renewing = true;
    const started = Date.now();
    const next = { ...this.body, expiresAt: new Date(started + this.ttl).toISOString() };
    try {
      this.#etag = (await this.store.putBytes(this.key, JSON.stringify(next), { ifMatch: this.#etag })).etag;
      this.#heldAt = started;
    } catch (err) {
      if (isPrecondition(err)) {
        this.#lost = `the stream lock ${this.uri} was taken over by another process`;
        clearInterval(this.#timer);
      }
      // Any other error (the store briefly unreachable): try again at the next tick, while the lease holds.
    } finally {
      this.#renewing = false;
    }
  }

  /** Removes the lease if it is still this process's (S3 has no conditional delete: a takeover in between is the small window). */
  async release(): Promise<void> {
    clearInterval(this.#timer);
    if (this.#lost) return;
    const current = await this.store.getBytes(this.key).catch(() => undefined);
    if (current && parse(current.body.toString('utf8'))?.token === this.body.token) await this.store.delete(this.key).catch(() => undefined);
  }
}

function parse(text: string): LeaseBody | undefined {
  try {
    const b = JSON.parse(text) as LeaseBody;
    return typeof b.pid === 'number' && typeof b.expiresAt === 'string' ? b : undefined;
  } catch {
    return undefined;
  }
}

function stale(b: LeaseBody): boolean {
  if (Date.parse(b.expiresAt) < Date.now()) return true;
  return b.pidSpace === PID_SPACE && !processAlive(b.pid, b.start);
}
