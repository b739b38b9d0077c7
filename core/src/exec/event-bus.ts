/**
 * Delivers run events to hooks in order. A hook that throws becomes a `hook_error` event: a broken
 * subscriber (a log sink, a progress bar) never fails the run. Async hooks are awaited by `flush`
 * so the tracker's files are written before a run returns.
 */
import { OdibiError } from '../errors.js';
import type { Redactor } from '../config/env.js';
import type { EventDraft, EventOf, Hook, RunEvent, RunEventType } from './events.js';

export class EventBus {
  readonly #hooks: Hook[] = [];
  readonly #pending = new Set<Promise<unknown>>();
  readonly #runId: string;
  readonly #redactor?: Redactor;
  readonly #now: () => Date;

  constructor(runId: string, options: { redactor?: Redactor; now?: () => Date } = {}) {
    this.#runId = runId;
    this.#redactor = options.redactor;
    this.#now = options.now ?? (() => new Date());
  }

  /** Subscribes to every event; returns an unsubscribe function. */
  on(hook: Hook): () => void {
    this.#hooks.push(hook);
    return () => {
      const i = this.#hooks.indexOf(hook);
      if (i >= 0) this.#hooks.splice(i, 1);
    };
  }

  /** Subscribes to one event type. */
  onType<T extends RunEventType>(type: T, hook: (event: EventOf<T>) => void | Promise<void>): () => void {
    return this.on((e) => (e.type === type ? hook(e as EventOf<T>) : undefined));
  }

  emit(draft: EventDraft): RunEvent {
    const stamped = { ...draft, runId: this.#runId, timestamp: this.#now().toISOString() } as RunEvent;
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

  #hookFailed(event: RunEvent, err: unknown): void {
    if (event.type === 'hook_error') return;
    const message = err instanceof Error ? err.message : String(err);
    this.emit({ type: 'hook_error', error: { name: err instanceof Error ? err.name : 'Error', message: `a hook failed on ${event.type}: ${message}`, hint: err instanceof OdibiError ? err.hint : undefined } });
  }

  /** Waits for async hooks started so far. */
  async flush(): Promise<void> {
    while (this.#pending.size) await Promise.allSettled([...this.#pending]);
  }
}
