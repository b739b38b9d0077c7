/**
 * Delivers events to hooks in order, stamped with the time they were emitted. A hook that throws
 * becomes a `hook_error` event: a broken subscriber (a log sink, a progress bar) never fails the
 * run, the stream or the schedule. Async hooks are awaited by `flush` so the tracker's files are
 * written before a run returns.
 *
 * One class for every family of events (a run's, a stream's, a scheduler's): each family says how
 * a draft is stamped and what its hook_error looks like.
 */
import { OdibiError } from '../errors.js';
import type { Redactor } from '../config/env.js';
import type { ErrorInfo, EventDraft, EventOf, RunEvent, RunEventType } from './events.js';

export interface BusOptions {
  redactor?: Redactor;
  now?: () => Date;
}

export class Bus<E extends { type: string; timestamp: string }, D> {
  readonly #hooks: ((event: E) => void | Promise<void>)[] = [];
  readonly #pending = new Set<Promise<unknown>>();
  readonly #stamp: (draft: D, timestamp: string) => E;
  readonly #hookError: (error: ErrorInfo) => D;
  readonly #redactor?: Redactor;
  readonly #now: () => Date;

  constructor(stamp: (draft: D, timestamp: string) => E, hookError: (error: ErrorInfo) => D, options: BusOptions = {}) {
    this.#stamp = stamp;
    this.#hookError = hookError;
    this.#redactor = options.redactor;
    this.#now = options.now ?? (() => new Date());
  }

  /** Subscribes to every event; returns an unsubscribe function. */
  on(hook: (event: E) => void | Promise<void>): () => void {
    this.#hooks.push(hook);
    return () => {
      const i = this.#hooks.indexOf(hook);
      if (i >= 0) this.#hooks.splice(i, 1);
    };
  }

  emit(draft: D): E {
    const stamped = this.#stamp(draft, this.#now().toISOString());
    const event = this.#redactor ? this.#redactor.redactValue(stamped) : stamped;
    for (const hook of [...this.#hooks]) {
      try {
        const r = hook(event);
        if (r && typeof (r as Promise<void>).then === 'function') {
          const p = (r as Promise<void>).catch((err) => this.#hookFailed(event, err)).finally(() => this.#pending.delete(p));
          this.#pending.add(p);
        }
      } catch (err) {
        this.#hookFailed(event, err);
      }
    }
    return event;
  }

  #hookFailed(event: E, err: unknown): void {
    // A hook that fails on hook_error itself is not reported again: that would never end.
    if (event.type === 'hook_error') return;
    const message = err instanceof Error ? err.message : String(err);
    this.emit(this.#hookError({ name: err instanceof Error ? err.name : 'Error', message: `a hook failed on ${event.type}: ${message}`, hint: err instanceof OdibiError ? err.hint : undefined }));
  }

  /** Waits for async hooks started so far. */
  async flush(): Promise<void> {
    while (this.#pending.size) await Promise.allSettled([...this.#pending]);
  }
}

/** A run's events, stamped with its run id. */
export class EventBus extends Bus<RunEvent, EventDraft> {
  constructor(runId: string, options: BusOptions = {}) {
    super((draft, timestamp) => ({ ...draft, runId, timestamp }) as RunEvent, (error) => ({ type: 'hook_error', error }), options);
  }

  /** Subscribes to one event type. */
  onType<T extends RunEventType>(type: T, hook: (event: EventOf<T>) => void | Promise<void>): () => void {
    return this.on((e) => (e.type === type ? hook(e as EventOf<T>) : undefined));
  }
}
